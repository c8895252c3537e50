//! `--format sonarqube`: SonarQube's generic issue import format as hadolint writes it: one
//! object `{"issues": [...]}` without a final newline. Severities map as hadolint's do (error →
//! CRITICAL, warning → MAJOR, info → MINOR, style → INFO; errors are BUGs, the rest
//! CODE_SMELLs), and the text range is the finding's line with hadolint's fixed columns 0 to 1.

use std::io::{self, Write};

use serde::Serialize;

use super::display_path;
use crate::lint::{FileReport, Severity};

/// Fields in the order hadolint's JSON encoder writes them (sorted by name).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TextRange {
    end_column: u32,
    end_line: u32,
    start_column: u32,
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    file_path: &'a str,
    message: &'a str,
    text_range: TextRange,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Issue<'a> {
    engine_id: &'static str,
    primary_location: Location<'a>,
    rule_id: &'a str,
    severity: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Issues<'a> {
    issues: Vec<Issue<'a>>,
}

fn severity(level: Severity) -> &'static str {
    match level {
        Severity::Error => "CRITICAL",
        Severity::Warning => "MAJOR",
        Severity::Info => "MINOR",
        Severity::Style => "INFO",
    }
}

pub(super) fn write(reports: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    let files: Vec<String> = reports.iter().map(|r| display_path(&r.path)).collect();
    let mut issues = Vec::new();
    for (r, file) in reports.iter().zip(&files) {
        for f in &r.findings {
            issues.push(Issue {
                engine_id: "Hadolint",
                primary_location: Location {
                    file_path: file,
                    message: &f.message,
                    text_range: TextRange {
                        end_column: 1,
                        end_line: f.span.start.line,
                        start_column: 0,
                        start_line: f.span.start.line,
                    },
                },
                rule_id: &f.code,
                severity: severity(f.level),
                kind: if f.level == Severity::Error {
                    "BUG"
                } else {
                    "CODE_SMELL"
                },
            });
        }
    }
    serde_json::to_writer(&mut *w, &Issues { issues }).map_err(io::Error::from)
}
