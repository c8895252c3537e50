//! Every rule is documented in `rules/<CODE>.md`, and every example in those documents is a test:
//! a ```` ```dockerfile bad ```` block must produce at least one finding of the rule's code, a
//! ```` ```dockerfile good ```` block none. A ```` ```toml config ```` block in the same document
//! is written as `.hoist.toml` beside the examples, a ```` ```dockerignore ```` block as
//! `.dockerignore` (the example's directory is its build context). Runs the real binary.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn hoist() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
}

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

struct Doc {
    code: String,
    config: Option<String>,
    dockerignore: Option<String>,
    bad: Vec<String>,
    good: Vec<String>,
}

/// Splits a rule document into its fenced blocks by info string.
fn parse_doc(path: &Path) -> Doc {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let title = text.lines().next().unwrap_or_default();
    let code = title
        .strip_prefix("# ")
        .and_then(|t| t.split(':').next())
        .unwrap_or_else(|| panic!("{}: first line must be `# CODE: name`", path.display()))
        .trim()
        .to_string();
    let mut doc = Doc {
        code,
        config: None,
        dockerignore: None,
        bad: vec![],
        good: vec![],
    };
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let info = info.trim().to_string();
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        match info.as_str() {
            "dockerfile bad" => doc.bad.push(body),
            "dockerfile good" => doc.good.push(body),
            "toml config" => doc.config = Some(body),
            "dockerignore" => doc.dockerignore = Some(body),
            _ => {}
        }
    }
    doc
}

/// Codes of `code`'s findings when linting `src` with `config` as `.hoist.toml`.
fn lint_example(code: &str, doc: &Doc, src: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("Dockerfile"), src).expect("write example");
    if let Some(c) = &doc.config {
        fs::write(dir.path().join(".hoist.toml"), c).expect("write config");
    }
    if let Some(c) = &doc.dockerignore {
        fs::write(dir.path().join(".dockerignore"), c).expect("write .dockerignore");
    }
    let out = hoist()
        .args(["lint", "--format", "json", "--no-fail", "--enable", code])
        .arg(dir.path().join("Dockerfile"))
        .current_dir(dir.path())
        .output()
        .expect("run hoist");
    assert!(
        out.status.success(),
        "hoist lint failed on example of {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("json output is an array");
    all.into_iter().filter(|f| f["code"] == code).collect()
}

fn registry_codes() -> BTreeSet<String> {
    let out = hoist()
        .args(["rules", "--format", "json"])
        .output()
        .expect("run hoist rules");
    assert!(out.status.success());
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("rules json");
    rules
        .iter()
        .map(|r| r["code"].as_str().expect("code").to_string())
        .collect()
}

#[test]
fn every_rule_has_a_document_and_every_document_a_rule() {
    let codes = registry_codes();
    assert!(!codes.is_empty(), "no rules registered");
    let docs: BTreeSet<String> = fs::read_dir(rules_dir())
        .expect("rules/ exists")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".md")
                .map(str::to_string)
        })
        .collect();
    let undocumented: Vec<_> = codes.difference(&docs).collect();
    let orphans: Vec<_> = docs.difference(&codes).collect();
    assert!(
        undocumented.is_empty(),
        "rules without rules/<CODE>.md: {undocumented:?}"
    );
    assert!(orphans.is_empty(), "documents without a rule: {orphans:?}");
}

#[test]
fn documented_examples_behave_as_documented() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for code in registry_codes() {
        let path = rules_dir().join(format!("{code}.md"));
        if !path.exists() {
            continue; // reported by the other test
        }
        let doc = parse_doc(&path);
        if doc.code != code {
            failures.push(format!(
                "{}: title names {}, file is {code}",
                path.display(),
                doc.code
            ));
        }
        if doc.bad.is_empty() || doc.good.is_empty() {
            failures.push(format!(
                "{code}: needs at least one bad and one good example"
            ));
        }
        for (i, src) in doc.bad.iter().enumerate() {
            checked += 1;
            if lint_example(&code, &doc, src).is_empty() {
                failures.push(format!("{code}: bad example #{} is not flagged", i + 1));
            }
        }
        for (i, src) in doc.good.iter().enumerate() {
            checked += 1;
            let found = lint_example(&code, &doc, src);
            if !found.is_empty() {
                failures.push(format!(
                    "{code}: good example #{} is flagged: {found:?}",
                    i + 1
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} examples wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
