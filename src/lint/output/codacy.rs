//! `--format codacy`: Codacy's tool result format as hadolint writes it: one JSON object per
//! finding (`filename`, `line`, `message`, `patternId`), the objects written back to back
//! without separators or a final newline.

use std::io::{self, Write};

use serde::Serialize;

use super::display_path;
use crate::lint::FileReport;

/// One issue; fields in the order hadolint's JSON encoder writes them (sorted by name).
#[derive(Serialize)]
struct Issue<'a> {
    filename: &'a str,
    line: u32,
    message: &'a str,
    #[serde(rename = "patternId")]
    pattern_id: &'a str,
}

pub(super) fn write(reports: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    for r in reports {
        let file = display_path(&r.path);
        for f in &r.findings {
            let issue = Issue {
                filename: &file,
                line: f.span.start.line,
                message: &f.message,
                pattern_id: &f.code,
            };
            serde_json::to_writer(&mut *w, &issue)?;
        }
    }
    Ok(())
}
