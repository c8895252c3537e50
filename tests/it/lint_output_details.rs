//! Details of `hoist lint` and `hoist rules` output, through the real binary: no success
//! summary next to an error, `--fix` of a multi-line legacy `ENV` keeps its lines, a UTF-8 BOM
//! is not a column, DL3007 names the ARG default a `latest` tag came from, and `hoist rules`
//! lists DL1000.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use hoist::dockerfile::model::{Model, ModelOptions};
use serde_json::Value;

fn hoist(dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.current_dir(dir).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("HADOLINT_") || k == "NO_COLOR" {
            c.env_remove(k);
        }
    }
    c.output().expect("run hoist")
}

fn findings(dir: &Path, file: &str) -> Vec<Value> {
    let out = hoist(dir, &["lint", "--format", "json", file]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json report");
    v.as_array().cloned().unwrap_or_default()
}

#[test]
fn no_summary_when_nothing_was_linted() {
    let d = tempfile::tempdir().expect("tempdir");
    let out = hoist(d.path(), &["lint", "missing/Dockerfile"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing/Dockerfile"));
}

#[test]
fn fix_of_a_multi_line_legacy_env_keeps_its_lines() {
    let d = tempfile::tempdir().expect("tempdir");
    let src = "FROM debian:12\nENV PATH /usr/local/bin:$PATH \\\n    LANG=C.UTF-8\nUSER 1000\n";
    fs::write(d.path().join("Dockerfile"), src).expect("write");
    let out = hoist(d.path(), &["lint", "--fix", "Dockerfile"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("applied 1 fix"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = fs::read_to_string(d.path().join("Dockerfile")).expect("read");
    assert_eq!(
        fixed,
        "FROM debian:12\nENV PATH=\"/usr/local/bin:$PATH \\\n    LANG=C.UTF-8\"\nUSER 1000\n"
    );
    // Same meaning: PATH has the same value after the ENV (the USER line sees it).
    let value = |text: &str| {
        let df = hoist::dockerfile::parse(text);
        let model = Model::new(&df, &ModelOptions::default());
        model
            .vars_at(2)
            .and_then(|v| v.values.get("PATH").cloned())
            .expect("PATH is set")
    };
    assert_eq!(value(src), value(&fixed));
    assert!(value(src).contains("LANG=C.UTF-8"));
}

#[test]
fn a_bom_is_not_a_column() {
    let d = tempfile::tempdir().expect("tempdir");
    fs::write(
        d.path().join("Dockerfile"),
        "\u{feff}FROM debian\nUSER 1000\n",
    )
    .expect("write");
    let f = findings(d.path(), "Dockerfile");
    let dl3006 = f.iter().find(|f| f["code"] == "DL3006").expect("DL3006");
    assert_eq!(
        (&dl3006["line"], &dl3006["column"]),
        (&Value::from(1), &Value::from(6))
    );
}

#[test]
fn dl3007_names_the_arg_default() {
    let d = tempfile::tempdir().expect("tempdir");
    fs::write(
        d.path().join("Dockerfile"),
        "ARG BASE_TAG=latest\nFROM debian:${BASE_TAG}\nUSER 1000\n",
    )
    .expect("write");
    let f = findings(d.path(), "Dockerfile");
    let m = f
        .iter()
        .find(|f| f["code"] == "DL3007")
        .and_then(|f| f["message"].as_str())
        .expect("DL3007")
        .to_string();
    assert!(
        m.contains("${BASE_TAG}") && m.contains("ARG on line 1"),
        "{m}"
    );
}

#[test]
fn rules_lists_dl1000() {
    let d = tempfile::tempdir().expect("tempdir");
    let out = hoist(d.path(), &["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("DL1000") && l.contains("parse-error")),
        "{text}"
    );
}
