//! The `core` rules (pinning, root user, shell-form CMD/ENTRYPOINT, secrets) raise no false
//! positive on the real-world corpus (`testdata/corpus`: the official python and nginx image
//! Dockerfiles and their templates). Every finding of a core code must be listed in
//! [`REVIEWED`] as a reviewed true positive, and every listed finding must still occur. The
//! harness is [`crate::corpus`].

use std::fs;

use hoist::lint::{config::LintOptions, lint_source};

use crate::corpus::{corpus, corpus_root};

/// The codes of the `core` rule group.
const CORE_CODES: &[&str] = &[
    "DL3002", "DL3006", "DL3007", "DL3025", "DL3026", "DL3064", "HO5003", "HO3001", "HO3002",
    "HO3003", "HO4001",
];

/// Reviewed true positives: (file relative to the corpus, line, code), each with the reason.
const REVIEWED: &[(&str, u32, &str)] = &[];

/// HO5003 (final stage never sets USER) is a true positive on every corpus image: none of them
/// has a USER instruction (official base images run as root by design and leave USER to the
/// images built on them). It must be reported exactly once per real Dockerfile, on the final FROM.
const EXPECTED_EVERYWHERE: &str = "HO5003";

#[test]
fn core_rules_have_no_false_positives_on_the_corpus() {
    let files = corpus();
    assert!(
        files.len() >= 50,
        "corpus not found at {}",
        corpus_root().display()
    );
    let mut found: Vec<(String, u32, String, String)> = Vec::new();
    let mut instructions = 0usize;
    for file in files {
        instructions += file.instructions.len();
        let final_from = file
            .instructions
            .iter()
            .rev()
            .find(|i| i.is_from)
            .map(|i| i.line);
        let user_findings: Vec<u32> = file
            .report
            .findings
            .iter()
            .filter(|f| f.code == EXPECTED_EVERYWHERE)
            .map(|f| f.span.start.line)
            .collect();
        if file.parse_errors.is_empty() {
            assert_eq!(
                user_findings,
                final_from.into_iter().collect::<Vec<_>>(),
                "{}: HO5003 must be reported once, on the final FROM",
                file.rel
            );
        }
        for f in &file.report.findings {
            if f.code == EXPECTED_EVERYWHERE {
                continue;
            }
            if CORE_CODES.contains(&f.code.as_ref()) {
                found.push((
                    file.rel.clone(),
                    f.span.start.line,
                    f.code.to_string(),
                    f.message.clone(),
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
        enabled: vec!["HO4001".into(), "HO5003".into()],
        ..LintOptions::default()
    };
    let report = lint_source(&path, &text, &options);
    assert!(report.findings.iter().any(|f| f.code == "HO4001"));
    assert!(report.findings.iter().any(|f| f.code == "HO5003"));
}
