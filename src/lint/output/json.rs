//! `--format json`: one JSON array of every finding, with hadolint's field names (`code`,
//! `level`, `file`, `line`, `column`, `message`) plus hoist's additions (`end_line`,
//! `end_column`, `category`, and `help` and `fix` when present).

use std::io::{self, Write};

use serde::Serialize;

use super::display_path;
use crate::lint::{Category, FileReport, Fix, Severity};

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    level: Severity,
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
    category: Category,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a Fix>,
}

pub(super) fn write(reports: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    let mut all = Vec::new();
    for r in reports {
        let file = display_path(&r.path);
        for f in &r.findings {
            all.push(JsonFinding {
                code: &f.code,
                level: f.level,
                file: file.clone(),
                line: f.span.start.line,
                column: f.span.start.column,
                end_line: f.span.end.line,
                end_column: f.span.end.column,
                message: &f.message,
                category: f.category,
                help: f.help.as_deref(),
                fix: f.fix.as_ref(),
            });
        }
    }
    serde_json::to_writer_pretty(&mut *w, &all)?;
    writeln!(w)
}
