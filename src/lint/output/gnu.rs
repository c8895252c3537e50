//! `--format gnu`: one line per finding in the GNU error-message format that editors and
//! compilers' tooling parse, exactly as hadolint writes it:
//! `hadolint:FILE:LINE: CODE LEVEL: MESSAGE`. The program name stays `hadolint` so that
//! existing problem matchers keep working when hoist replaces hadolint.

use std::io::{self, Write};

use super::display_path;
use crate::lint::FileReport;

pub(super) fn write(reports: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    for r in reports {
        let file = display_path(&r.path);
        for f in &r.findings {
            let message = f.message.replace(['\r', '\n'], " ");
            writeln!(
                w,
                "hadolint:{file}:{}: {} {}: {message}",
                f.span.start.line,
                f.code,
                f.level.as_str()
            )?;
        }
    }
    Ok(())
}
