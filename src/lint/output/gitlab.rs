//! `--format gitlab` (aliases `codeclimate`, `gitlab_codeclimate`): GitLab Code Quality JSON,
//! a Code Climate issue array. Each issue has a fingerprint that stays the same across runs and
//! hoist versions: a 64-bit FNV-1a hash of file, code, line and message (written out here, as
//! std's hasher is not stable across Rust versions), with an occurrence number mixed in when two
//! issues would otherwise collide.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::{display_path, last_line};
use crate::lint::{Category, FileReport, Severity};

/// 64-bit FNV-1a.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Code Quality severities, most severe first: blocker, critical, major, minor, info.
fn severity(level: Severity) -> &'static str {
    match level {
        Severity::Error => "blocker",
        Severity::Warning => "major",
        Severity::Info => "minor",
        Severity::Style => "info",
    }
}

/// The Code Climate category of a finding.
fn category(c: Category) -> &'static str {
    match c {
        Category::Security | Category::Secrets | Category::User => "Security",
        Category::Style | Category::Labels => "Style",
        Category::Deprecated => "Compatibility",
        Category::Packages => "Performance",
        Category::Syntax
        | Category::Pinning
        | Category::ShellForm
        | Category::Correctness
        | Category::Shellcheck => "Bug Risk",
    }
}

pub(super) fn write(reports: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    let mut issues = Vec::new();
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for r in reports {
        let path = display_path(&r.path);
        for f in &r.findings {
            let key = format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                path, f.code, f.span.start.line, f.message
            );
            let base = fnv1a(key.as_bytes());
            let n = seen.entry(base).or_insert(0);
            let hash = if *n == 0 {
                base
            } else {
                fnv1a(format!("{key}\u{0}{n}").as_bytes())
            };
            *n += 1;
            let mut description = format!("{}: {}", f.code, f.message);
            if let Some(help) = &f.help {
                description.push_str(" (");
                description.push_str(help);
                description.push(')');
            }
            let issue: Value = json!({
                "type": "issue",
                "check_name": f.code,
                "description": description,
                "categories": [category(f.category)],
                "severity": severity(f.level),
                "fingerprint": format!("{hash:016x}"),
                "location": {
                    "path": path,
                    "lines": { "begin": f.span.start.line, "end": last_line(&f.span) },
                },
            });
            issues.push(issue);
        }
    }
    serde_json::to_writer_pretty(&mut *w, &issues)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn fnv1a_matches_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
