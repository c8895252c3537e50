//! `--format junit`: JUnit XML for CI test reports. One `<testsuite>` per file and one
//! `<testcase>` per finding; findings at or above the failure threshold carry a `<failure>`,
//! the others pass with the finding in `<system-out>`. A clean file gets one passing testcase.

use std::io::{self, Write};

use super::{display_path, xml_escape};
use crate::lint::{FileReport, Finding, Severity};

fn fails(f: &Finding, threshold: Severity) -> bool {
    f.level <= threshold
}

fn describe(path: &str, f: &Finding) -> String {
    let mut s = format!(
        "{}:{}:{}: {} {}: {}",
        path,
        f.span.start.line,
        f.span.start.column,
        f.code,
        f.level.as_str(),
        f.message
    );
    if let Some(help) = &f.help {
        s.push_str("\nhelp: ");
        s.push_str(help);
    }
    s
}

pub(super) fn write(
    reports: &[FileReport],
    opts: &super::OutputOptions,
    w: &mut dyn Write,
) -> io::Result<()> {
    let tests: usize = reports.iter().map(|r| r.findings.len().max(1)).sum();
    let failures: usize = reports
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| fails(f, opts.threshold))
        .count();
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<testsuites name="hoist" tests="{tests}" failures="{failures}" errors="0">"#
    )?;
    for r in reports {
        let path = display_path(&r.path);
        let name = xml_escape(&path);
        let n = r.findings.len().max(1);
        let nfail = r
            .findings
            .iter()
            .filter(|f| fails(f, opts.threshold))
            .count();
        writeln!(
            w,
            r#"  <testsuite name="{name}" tests="{n}" failures="{nfail}" errors="0" skipped="0">"#
        )?;
        if r.findings.is_empty() {
            writeln!(
                w,
                r#"    <testcase name="no problems" classname="{name}"/>"#
            )?;
        }
        for f in &r.findings {
            let case = xml_escape(&format!(
                "{} at {}:{}",
                f.code, f.span.start.line, f.span.start.column
            ));
            writeln!(w, r#"    <testcase name="{case}" classname="{name}">"#)?;
            let body = xml_escape(&describe(&path, f));
            if fails(f, opts.threshold) {
                writeln!(
                    w,
                    r#"      <failure message="{}" type="{}">{body}</failure>"#,
                    xml_escape(&f.message),
                    xml_escape(f.level.as_str()),
                )?;
            } else {
                writeln!(w, "      <system-out>{body}</system-out>")?;
            }
            writeln!(w, "    </testcase>")?;
        }
        writeln!(w, "  </testsuite>")?;
    }
    writeln!(w, "</testsuites>")
}
