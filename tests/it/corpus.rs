//! The real-world corpus (`testdata/corpus`: the Dockerfiles of the official python and nginx
//! images) lints with zero parse errors, and its findings equal the reviewed snapshot in
//! `testdata/corpus_findings.txt`. After a deliberate change, regenerate with
//! `HOIST_UPDATE_SNAPSHOTS=1 cargo test --test corpus` and review the diff.

use std::fs;
use std::path::{Path, PathBuf};

use hoist::lint::{config::LintOptions, lint_source};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus")
}

/// The names `hoist lint DIR` picks up. The corpus also holds `Dockerfile-*.template` files: jq and
/// `%%PLACEHOLDER%%` templates that generate the Dockerfiles, not Dockerfiles themselves (BuildKit
/// and hadolint reject them too); they are not linted, as `hoist lint DIR` would not pick them up.
fn is_dockerfile_name(name: &str) -> bool {
    name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![corpus_root()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir)
            .expect("corpus directory readable")
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_dockerfile_name)
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn render() -> String {
    let root = corpus_root();
    let mut out = String::new();
    for path in corpus_files() {
        let text = fs::read_to_string(&path).expect("corpus file is UTF-8");
        let options = LintOptions {
            // The corpus has no build context beside it; context checks are tested elsewhere.
            context_dir: None,
            ..LintOptions::default()
        };
        let report = lint_source(&path, &text, &options);
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        for f in &report.findings {
            out.push_str(&format!(
                "{rel}:{}:{} {} {} {}\n",
                f.span.start.line,
                f.span.start.column,
                f.code,
                f.level.as_str(),
                f.message
            ));
        }
    }
    out
}

#[test]
fn corpus_has_no_parse_errors() {
    let files = corpus_files();
    assert!(
        files.len() >= 55,
        "expected the shared corpus, found {} files",
        files.len()
    );
    let mut errors = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).expect("corpus file is UTF-8");
        let df = hoist::dockerfile::parse(&text);
        for e in df.errors {
            errors.push(format!(
                "{}:{}:{} {}",
                path.display(),
                e.span.start.line,
                e.span.start.column,
                e.message
            ));
        }
    }
    assert!(
        errors.is_empty(),
        "parse errors in the corpus:\n{}",
        errors.join("\n")
    );
}

#[test]
fn corpus_findings_match_reviewed_snapshot() {
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus_findings.txt");
    let actual = render();
    if std::env::var_os("HOIST_UPDATE_SNAPSHOTS").is_some() {
        fs::write(&snapshot, &actual).expect("write snapshot");
        return;
    }
    let expected = fs::read_to_string(&snapshot).unwrap_or_default();
    if expected != actual {
        let exp: Vec<&str> = expected.lines().collect();
        let act: Vec<&str> = actual.lines().collect();
        let missing: Vec<_> = exp.iter().filter(|l| !act.contains(l)).take(30).collect();
        let new: Vec<_> = act.iter().filter(|l| !exp.contains(l)).take(30).collect();
        panic!(
            "corpus findings differ from testdata/corpus_findings.txt\nno longer found:\n{}\nnew:\n{}",
            missing.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n"),
            new.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n")
        );
    }
}
