//! `hoist rules`: list every lint rule with its code, name, default level, category, summary,
//! equivalent names in other tools (aliases) and whether it is opt-in, as a table or JSON. The
//! codes with no rule entry that findings can carry (DL1000, parse errors) are listed too. On a
//! terminal narrower than the table, the name and the wrapped summary (with the equivalents)
//! share the last column, so every line fits.

use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;

use hoist::lint::registry;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// Aligned columns
    #[default]
    Table,
    /// A JSON array of objects
    Json,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist rules\n  hoist rules --format json | jq '.[] | select(.opt_in)'"
)]
pub struct RulesArgs {
    /// Output format
    #[arg(short, long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

/// One row of the listing.
#[derive(Debug, Serialize)]
struct RuleRow {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    category: &'static str,
    summary: &'static str,
    equivalents: Vec<&'static str>,
    opt_in: bool,
}

fn rows() -> Vec<RuleRow> {
    let mut rows: Vec<RuleRow> = registry::all()
        .map(|r| RuleRow {
            code: r.meta.code,
            name: r.meta.name,
            severity: r.meta.severity.as_str(),
            category: r.meta.category.as_str(),
            summary: r.meta.summary,
            equivalents: r.meta.aliases.to_vec(),
            opt_in: r.meta.opt_in,
        })
        .collect();
    rows.push(RuleRow {
        code: "DL1000",
        name: "parse-error",
        severity: "error",
        category: "syntax",
        summary: "The Dockerfile does not parse (or is not UTF-8 text)",
        equivalents: Vec::new(),
        opt_in: false,
    });
    rows.sort_by(|a, b| a.code.cmp(b.code));
    rows
}

/// Splits `text` into lines of at most `width` columns at spaces (a longer word gets a line of
/// its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let need = unicode_width::UnicodeWidthStr::width(cur.as_str())
            + usize::from(!cur.is_empty())
            + unicode_width::UnicodeWidthStr::width(word);
        if !cur.is_empty() && need > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The table in at most `width` columns: CODE, SEVERITY, CATEGORY, OPT-IN, then a last column
/// with the rule's name on its first line and the summary (with the equivalents) wrapped below
/// (at least 20 columns wide, so a very narrow terminal still gets readable text).
fn render_narrow(rows: &[RuleRow], width: usize, w: &mut dyn Write) -> std::io::Result<()> {
    let header = ["CODE", "SEVERITY", "CATEGORY", "OPT-IN"];
    let cells: Vec<[&str; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.code,
                r.severity,
                r.category,
                if r.opt_in { "yes" } else { "no" },
            ]
        })
        .collect();
    let mut widths = header.map(unicode_width::UnicodeWidthStr::width);
    for row in &cells {
        for (wd, c) in widths.iter_mut().zip(row) {
            *wd = (*wd).max(unicode_width::UnicodeWidthStr::width(*c));
        }
    }
    let prefix = |cols: &[&str; 4]| -> String {
        let mut s = String::new();
        for (c, wd) in cols.iter().zip(widths) {
            s.push_str(c);
            s.push_str(&" ".repeat(wd - unicode_width::UnicodeWidthStr::width(*c) + 2));
        }
        s
    };
    let mut indent: usize = widths.iter().map(|wd| wd + 2).sum();
    let longest_name = rows
        .iter()
        .map(|r| unicode_width::UnicodeWidthStr::width(r.name))
        .max()
        .unwrap_or(0);
    // Too narrow for the names beside the other columns: put them below, indented by two.
    let stacked = width.saturating_sub(indent) < longest_name;
    if stacked {
        indent = 2;
    }
    let room = width.saturating_sub(indent).max(20);
    writeln!(w, "{}NAME / SUMMARY", prefix(&header))?;
    for (r, row) in rows.iter().zip(&cells) {
        if stacked {
            writeln!(w, "{}", prefix(row).trim_end())?;
            writeln!(w, "{}{}", " ".repeat(indent), r.name)?;
        } else {
            writeln!(w, "{}{}", prefix(row), r.name)?;
        }
        let mut text = r.summary.to_string();
        if !r.equivalents.is_empty() {
            text.push_str(&format!(" (also {})", r.equivalents.join(", ")));
        }
        for part in wrap(&text, room) {
            writeln!(w, "{}{part}", " ".repeat(indent))?;
        }
    }
    Ok(())
}

fn render_table(rows: &[RuleRow], w: &mut dyn Write) -> std::io::Result<()> {
    let header = [
        "CODE",
        "NAME",
        "SEVERITY",
        "CATEGORY",
        "OPT-IN",
        "SUMMARY",
        "EQUIVALENTS",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.code.to_string(),
                r.name.to_string(),
                r.severity.to_string(),
                r.category.to_string(),
                if r.opt_in { "yes" } else { "no" }.to_string(),
                r.summary.to_string(),
                r.equivalents.join(", "),
            ]
        })
        .collect();
    let mut widths = header.map(unicode_width::UnicodeWidthStr::width);
    for row in &cells {
        for (wd, c) in widths.iter_mut().zip(row) {
            *wd = (*wd).max(unicode_width::UnicodeWidthStr::width(c.as_str()));
        }
    }
    let line = |cols: &[&str]| -> String {
        let mut s = String::new();
        for (i, c) in cols.iter().enumerate() {
            if i + 1 == cols.len() {
                s.push_str(c);
            } else {
                let pad = widths[i].saturating_sub(unicode_width::UnicodeWidthStr::width(*c));
                s.push_str(c);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_string()
    };
    writeln!(w, "{}", line(&header))?;
    for row in &cells {
        let cols: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(w, "{}", line(&cols))?;
    }
    Ok(())
}

/// The width of the widest line of [`render_table`]'s output.
fn table_width(rows: &[RuleRow]) -> usize {
    let mut buf = Vec::new();
    if render_table(rows, &mut buf).is_err() {
        return usize::MAX;
    }
    String::from_utf8_lossy(&buf)
        .lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

pub fn run(args: RulesArgs) -> i32 {
    let rows = rows();
    let mut out = std::io::stdout().lock();
    // On a terminal narrower than the full table, wrap the summary column.
    let term_width = std::io::IsTerminal::is_terminal(&std::io::stdout())
        .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .flatten();
    let result = match args.format {
        RulesFormat::Table => match term_width {
            Some(width) if table_width(&rows) > width => render_narrow(&rows, width, &mut out),
            _ => render_table(&rows, &mut out),
        },
        RulesFormat::Json => serde_json::to_writer_pretty(&mut out, &rows)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out)),
    };
    match result.and_then(|_| out.flush()) {
        Ok(()) => super::EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => super::EXIT_OK,
        Err(e) => {
            super::report_error(&format!("cannot write the rule list: {e}"), None);
            super::EXIT_FINDINGS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_every_rule_aligned() {
        let rows = rows();
        let mut buf = Vec::new();
        render_table(&rows, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.lines().count(), rows.len() + 1);
        assert!(text.starts_with("CODE"));
        assert!(text
            .lines()
            .any(|l| l.starts_with("DL1001") && l.contains("inline-ignore-pragma")));
    }

    #[test]
    fn lists_dl1000() {
        assert!(rows()
            .iter()
            .any(|r| r.code == "DL1000" && r.severity == "error"));
    }

    #[test]
    fn narrow_table_fits_the_width() {
        let rows = rows();
        for width in [60, 80, 100] {
            let mut buf = Vec::new();
            render_narrow(&rows, width, &mut buf).unwrap();
            let text = String::from_utf8(buf).unwrap();
            for l in text.lines() {
                assert!(
                    unicode_width::UnicodeWidthStr::width(l) <= width,
                    "{width}: {l}"
                );
            }
            // Every rule is there, with its summary words and equivalents.
            for r in &rows {
                assert!(text.lines().any(|l| l.starts_with(r.code)), "{}", r.code);
            }
            assert!(text.contains("JSONArgsRecommended"));
        }
        assert!(
            table_width(&rows) > 100,
            "the full table is wider than a terminal"
        );
    }

    #[test]
    fn json_rows_have_the_documented_keys() {
        let v = serde_json::to_value(rows()).unwrap();
        let first = &v[0];
        for k in [
            "code",
            "name",
            "severity",
            "category",
            "summary",
            "equivalents",
            "opt_in",
        ] {
            assert!(first.get(k).is_some(), "missing {k}");
        }
    }
}
