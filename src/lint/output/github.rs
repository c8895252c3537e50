//! `--format github`: GitHub Actions workflow commands, one `::error`/`::warning`/`::notice`
//! line per finding, which GitHub shows as annotations on the file.
//!
//! Escaping follows GitHub's rules: in the message `%`, CR and LF are percent-encoded; in
//! property values `:` and `,` are too. Columns are only given for single-line spans, and the
//! end column is inclusive there (ours are exclusive).

use std::io::{self, Write};

use super::{display_path, last_line};
use crate::lint::{FileReport, Finding, Severity};

/// Escapes a command's message.
pub(crate) fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command property value.
pub(crate) fn escape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

fn command(level: Severity) -> &'static str {
    match level {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "notice",
    }
}

fn line(file: &str, f: &Finding) -> String {
    let start = f.span.start;
    let end_line = last_line(&f.span);
    let mut props = format!(
        "file={},line={},endLine={}",
        escape_property(file),
        start.line,
        end_line
    );
    props.push_str(&format!(",col={}", start.column));
    if end_line == start.line {
        let end_col = f.span.end.column.saturating_sub(1).max(start.column);
        props.push_str(&format!(",endColumn={end_col}"));
    }
    props.push_str(&format!(",title={}", escape_property(&f.code)));
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}",
        command(f.level),
        props,
        escape_data(&message)
    )
}

pub(super) fn write(reports: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    for r in reports {
        let file = display_path(&r.path);
        for f in &r.findings {
            writeln!(w, "{}", line(&file, f))?;
        }
    }
    Ok(())
}
