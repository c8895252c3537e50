//! `--format checkstyle`: Checkstyle 4.3 XML, one `<file>` per linted file (clean files too)
//! and one `<error>` per finding. Checkstyle has no `style` level; it is written as `info`.

use std::io::{self, Write};

use super::{display_path, xml_escape};
use crate::lint::{FileReport, Severity};

fn severity(level: Severity) -> &'static str {
    match level {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "info",
    }
}

pub(super) fn write(reports: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(w, r#"<checkstyle version="4.3">"#)?;
    for r in reports {
        let name = xml_escape(&display_path(&r.path));
        if r.findings.is_empty() {
            writeln!(w, r#"  <file name="{name}"/>"#)?;
            continue;
        }
        writeln!(w, r#"  <file name="{name}">"#)?;
        for f in &r.findings {
            writeln!(
                w,
                r#"    <error line="{}" column="{}" severity="{}" message="{}" source="{}"/>"#,
                f.span.start.line,
                f.span.start.column,
                severity(f.level),
                xml_escape(&f.message),
                xml_escape(&f.code),
            )?;
        }
        writeln!(w, "  </file>")?;
    }
    writeln!(w, "</checkstyle>")
}
