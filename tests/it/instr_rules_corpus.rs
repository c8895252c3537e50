//! Runs the `instr`, `labels` and `buildkit` rule groups over every Dockerfile of the shared
//! corpus and compares the `(file, code, line)` findings with a reviewed snapshot,
//! `testdata/instr_rules_expected.txt`. Set `HOIST_UPDATE_SNAPSHOT=1` to rewrite the snapshot
//! (then review the diff before keeping it).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use hoist::lint::config::LintOptions;
use hoist::lint::lint_source;
use hoist::lint::registry;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/corpus");
const SNAPSHOT: &str = "testdata/instr_rules_expected.txt";

fn dockerfiles(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            dockerfiles(&p, out);
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("Dockerfile"))
        {
            out.push(p);
        }
    }
}

#[test]
fn corpus_findings_match_snapshot() {
    let root = Path::new(CORPUS);
    if !root.is_dir() {
        eprintln!("corpus not found at {CORPUS}; skipping");
        return;
    }
    let mut files = Vec::new();
    dockerfiles(root, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no Dockerfiles under {CORPUS}");

    let codes: BTreeSet<&str> = ["instr", "labels", "buildkit"]
        .into_iter()
        .filter_map(registry::group)
        .flatten()
        .map(|r| r.meta.code)
        .collect();
    let options = LintOptions::default();
    let mut lines = BTreeSet::new();
    for f in &files {
        let src = fs::read_to_string(f).expect("read corpus file");
        let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
        let report = lint_source(f, &src, &options);
        for finding in &report.findings {
            if codes.contains(finding.code.as_ref()) {
                lines.insert(format!(
                    "{rel}\t{}\t{}",
                    finding.code, finding.span.start.line
                ));
            }
        }
    }
    let actual: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    if std::env::var_os("HOIST_UPDATE_SNAPSHOT").is_some() {
        fs::write(&snapshot, &actual).expect("write snapshot");
        return;
    }
    let expected = fs::read_to_string(&snapshot).unwrap_or_default();
    if expected != actual {
        let exp: BTreeSet<&str> = expected.lines().collect();
        let act: BTreeSet<&str> = actual.lines().collect();
        let missing: Vec<_> = exp.difference(&act).collect();
        let extra: Vec<_> = act.difference(&exp).collect();
        panic!("corpus findings differ from {SNAPSHOT}\nmissing: {missing:#?}\nnew: {extra:#?}");
    }
}
