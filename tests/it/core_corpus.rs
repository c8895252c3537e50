//! The `core` rules (pinning, root user, shell-form CMD/ENTRYPOINT, secrets) raise no false
//! positive on the real-world corpus (`testdata/corpus`: the official python and nginx image
//! Dockerfiles and their templates). Every finding of a core code must be listed in
//! [`REVIEWED`] as a reviewed true positive, and every listed finding must still occur.

use std::fs;
use std::path::{Path, PathBuf};

use hoist::lint::{config::LintOptions, lint_source};

/// The codes of the `core` rule group.
const CORE_CODES: &[&str] = &[
    "DL3002", "DL3006", "DL3007", "DL3025", "DL3026", "DL3064", "DL3063", "HO3001", "HO3002",
    "HO3003", "HO4001",
];

/// Reviewed true positives: (file relative to the corpus, line, code), each with the reason.
const REVIEWED: &[(&str, u32, &str)] = &[];

/// DL3063 (final stage never sets USER) is a true positive on every corpus image: none of them
/// has a USER instruction (official base images run as root by design and leave USER to the
/// images built on them). It must be reported exactly once per real Dockerfile, on the final FROM.
const EXPECTED_EVERYWHERE: &str = "DL3063";

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![corpus_root()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("Dockerfile"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn core_rules_have_no_false_positives_on_the_corpus() {
    let root = corpus_root();
    let files = corpus_files();
    assert!(files.len() >= 50, "corpus not found at {}", root.display());
    let mut found: Vec<(String, u32, String, String)> = Vec::new();
    let mut instructions = 0usize;
    for path in &files {
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        instructions += hoist::dockerfile::parse(&text).instructions.len();
        let report = lint_source(path, &text, &LintOptions::default());
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let df = hoist::dockerfile::parse(&text);
        let final_from = df
            .instructions
            .iter()
            .rev()
            .find(|i| i.keyword == hoist::dockerfile::Keyword::From)
            .map(|i| i.span.start.line);
        let user_findings: Vec<u32> = report
            .findings
            .iter()
            .filter(|f| f.code == EXPECTED_EVERYWHERE)
            .map(|f| f.span.start.line)
            .collect();
        if df.errors.is_empty() {
            assert_eq!(
                user_findings,
                final_from.into_iter().collect::<Vec<_>>(),
                "{rel}: DL3063 must be reported once, on the final FROM"
            );
        }
        for f in report.findings {
            if f.code == EXPECTED_EVERYWHERE {
                continue;
            }
            if CORE_CODES.contains(&f.code.as_ref()) {
                found.push((
                    rel.clone(),
                    f.span.start.line,
                    f.code.to_string(),
                    f.message,
                ));
            }
        }
    }
    // The corpus really was parsed (a stub parser would make this test vacuous).
    assert!(
        instructions > 500,
        "only {instructions} instructions parsed"
    );

    let unexpected: Vec<String> = found
        .iter()
        .filter(|(file, line, code, _)| {
            !REVIEWED
                .iter()
                .any(|(f, l, c)| f == file && l == line && c == code)
        })
        .map(|(file, line, code, msg)| format!("{file}:{line} {code} {msg}"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unreviewed core findings on the corpus:\n{}",
        unexpected.join("\n")
    );
    let stale: Vec<String> = REVIEWED
        .iter()
        .filter(|(f, l, c)| {
            !found
                .iter()
                .any(|(file, line, code, _)| file == f && line == l && code == c)
        })
        .map(|(f, l, c)| format!("{f}:{l} {c}"))
        .collect();
    assert!(
        stale.is_empty(),
        "reviewed findings no longer reported: {stale:?}"
    );
}

/// The opt-in policies do fire on the corpus when enabled (the official images neither pin
/// digests nor set USER), which shows they are off by default rather than blind.
#[test]
fn opt_in_policies_fire_only_when_enabled() {
    let path = corpus_root().join("python/3.13/slim-trixie/Dockerfile");
    let Ok(text) = fs::read_to_string(&path) else {
        panic!("{} missing", path.display())
    };
    let options = LintOptions {
        enabled: vec!["HO4001".into(), "DL3063".into()],
        ..LintOptions::default()
    };
    let report = lint_source(&path, &text, &options);
    assert!(report.findings.iter().any(|f| f.code == "HO4001"));
    assert!(report.findings.iter().any(|f| f.code == "DL3063"));
}
