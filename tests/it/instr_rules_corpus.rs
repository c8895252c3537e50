//! The `instr`, `labels` and `buildkit` rule groups over every corpus Dockerfile (templates
//! included): their `(file, code, line)` findings equal the reviewed snapshot
//! `testdata/instr_rules_expected.txt`. The harness is [`crate::corpus`].

use std::collections::BTreeSet;

use hoist::lint::registry;

use crate::corpus::{assert_snapshot, corpus};

#[test]
fn corpus_findings_match_snapshot() {
    let codes: BTreeSet<&str> = ["instr", "labels", "buildkit"]
        .into_iter()
        .filter_map(registry::group)
        .flatten()
        .map(|r| r.meta.code)
        .collect();
    assert!(codes.len() > 20, "rule groups not found: {codes:?}");
    let mut lines = BTreeSet::new();
    for file in corpus() {
        for f in &file.report.findings {
            if codes.contains(f.code.as_ref()) {
                lines.insert(format!("{}\t{}\t{}", file.rel, f.code, f.span.start.line));
            }
        }
    }
    let actual: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert_snapshot("instr_rules_expected.txt", &actual);
}
