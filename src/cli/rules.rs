//! `hoist rules`: list every lint rule with its code, name, default level, category, summary,
//! equivalent names in other tools (aliases) and whether it is opt-in, as a table or JSON.

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
    rows.sort_by(|a, b| a.code.cmp(b.code));
    rows
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

pub fn run(args: RulesArgs) -> i32 {
    let rows = rows();
    let mut out = std::io::stdout().lock();
    let result = match args.format {
        RulesFormat::Table => render_table(&rows, &mut out),
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
