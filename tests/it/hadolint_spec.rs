//! Conformance with hadolint's own rule specs: every case of `test/Hadolint/Rule/*Spec.hs` and
//! `PragmaSpec.hs`, extracted to `testdata/hadolint-spec/cases/*.json` by
//! `testdata/hadolint-spec/extract.py`, run through `hoist lint`. A case that fails must be listed
//! in `testdata/hadolint-spec/DIFFERENCES.md` with the reason hoist deliberately differs; a listed
//! case that passes, or a listed id that names no case, fails the test too, so the list stays true.
//! Cases listed as differing only because the spec puts instructions before any FROM must pass
//! once `FROM scratch` is put in front.
//!
//! hadolint's helpers, as the cases encode them: `catches` = at least one finding of the code,
//! `catches-not` = none, `count:N` = exactly N; the `onbuild` variants wrap every RUN in ONBUILD
//! first; `shellcheck-fails`/`-passes` = some/no `SC` finding with ShellCheck on.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use hoist::dockerfile::{self, Keyword};
use hoist::lint::{config::LintOptions, lint_source};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    id: String,
    code: String,
    expect: String,
    onbuild: bool,
    dockerfile: String,
    config: Config,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Config {
    #[serde(default)]
    allowed_registries: Vec<String>,
    #[serde(default)]
    label_schema: BTreeMap<String, String>,
    #[serde(default)]
    strict_labels: bool,
}

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/hadolint-spec")
}

fn cases() -> Vec<Case> {
    let mut files: Vec<PathBuf> = fs::read_dir(spec_dir().join("cases"))
        .expect("testdata/hadolint-spec/cases")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            let text = fs::read_to_string(p).expect("case file");
            serde_json::from_str::<Vec<Case>>(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

/// Heading of the DIFFERENCES.md section whose cases must pass once a FROM is put in front.
const BEFORE_FROM: &str = "## Instructions before the first FROM";

/// The case ids listed in DIFFERENCES.md (lines `- ID — reason`), each with whether it is in the
/// [`BEFORE_FROM`] section.
fn differences() -> BTreeMap<String, bool> {
    let text = fs::read_to_string(spec_dir().join("DIFFERENCES.md")).expect("DIFFERENCES.md");
    let mut section = "";
    let mut out = BTreeMap::new();
    for l in text.lines() {
        if l.starts_with("## ") {
            section = l;
        }
        let Some(entry) = l.strip_prefix("- ") else {
            continue;
        };
        let (id, reason) = entry
            .split_once(" — ")
            .unwrap_or_else(|| panic!("DIFFERENCES.md: `{l}` has no ` — reason`"));
        assert!(
            reason.trim().len() > 3,
            "DIFFERENCES.md: `{id}` has no reason"
        );
        out.insert(id.trim().to_string(), section == BEFORE_FROM);
    }
    out
}

/// hadolint's label type names → hoist's `label-schema` names.
fn label_type(t: &str) -> &'static str {
    match t {
        "RawText" => "text",
        "Url" => "url",
        "Email" => "email",
        "Rfc3339" => "rfc3339",
        "SemVer" => "semver",
        "Spdx" => "spdx",
        "GitHash" => "hash",
        other => panic!("unknown hadolint label type {other}"),
    }
}

/// hadolint's `assertOnBuildChecks`: every RUN instruction becomes `ONBUILD RUN`.
fn wrap_in_onbuild(src: &str) -> String {
    let df = dockerfile::parse(src);
    let mut out = src.to_string();
    for ins in df.instructions.iter().rev() {
        if ins.keyword == Keyword::Run {
            out.insert_str(ins.span.start.offset as usize, "ONBUILD ");
        }
    }
    out
}

/// Runs one case; `Err` says how hoist's answer differs from hadolint's expectation.
fn run(case: &Case) -> Result<(), String> {
    run_source(case, &case.dockerfile)
}

/// Runs one case on `dockerfile` instead of the case's own text.
fn run_source(case: &Case, dockerfile: &str) -> Result<(), String> {
    let mut options = LintOptions {
        trusted_registries: case.config.allowed_registries.clone(),
        strict_labels: case.config.strict_labels,
        ..LintOptions::default()
    };
    for (k, v) in &case.config.label_schema {
        options
            .label_schema
            .insert(k.clone(), label_type(v).to_string());
    }
    let shellcheck = case.code == "SC";
    if shellcheck {
        options.shellcheck = true;
    } else {
        options.enabled.push(case.code.clone());
    }
    let src = if case.onbuild {
        wrap_in_onbuild(dockerfile)
    } else {
        dockerfile.to_string()
    };
    let report = lint_source(Path::new("Dockerfile"), &src, &options);
    let of_code: Vec<_> = report
        .findings
        .iter()
        .filter(|f| {
            if shellcheck {
                f.code.starts_with("SC")
            } else {
                f.code == case.code
            }
        })
        .collect();
    let found = || {
        of_code
            .iter()
            .map(|f| format!("{}:{} {}", f.span.start.line, f.code, f.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let n = of_code.len();
    let ok = match case.expect.as_str() {
        "catches" | "shellcheck-fails" => n >= 1,
        "catches-not" | "shellcheck-passes" => n == 0,
        other => {
            let want: usize = other
                .strip_prefix("count:")
                .and_then(|c| c.parse().ok())
                .unwrap_or_else(|| panic!("{}: unknown expectation {other}", case.id));
            n == want
        }
    };
    if !ok {
        return Err(format!("expected {}, found {n}: {}", case.expect, found()));
    }
    if let Some(f) = report.findings.iter().find(|f| f.span.start.line == 0) {
        return Err(format!("finding {} on line 0", f.code));
    }
    Ok(())
}

#[test]
fn hadolint_rule_specs_pass_or_are_listed_differences() {
    let cases = cases();
    assert!(cases.len() > 1000, "only {} cases found", cases.len());
    let listed = differences();
    let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), cases.len(), "case ids are not unique");
    let mut problems = Vec::new();
    for id in listed.keys() {
        if !ids.contains(id.as_str()) {
            problems.push(format!("DIFFERENCES.md lists `{id}`, which is no case"));
        }
    }
    let mut passed = 0;
    for case in &cases {
        let listed_as = listed.get(&case.id).copied();
        match (run(case), listed_as) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => problems.push(format!(
                "`{}` passes now: remove it from DIFFERENCES.md",
                case.id
            )),
            (Err(_), Some(false)) => {}
            (Err(_), Some(true)) => {
                let with_from = format!("FROM scratch\n{}", case.dockerfile);
                if let Err(why) = run_source(case, &with_from) {
                    problems.push(format!(
                        "`{}` is listed under \"{BEFORE_FROM}\" but fails with a FROM too: {why}",
                        case.id
                    ));
                }
            }
            (Err(why), None) => problems.push(format!(
                "`{}` ({}): {why}\n{}",
                case.id,
                if case.onbuild { "onbuild" } else { "plain" },
                case.dockerfile.trim_end()
            )),
        }
    }
    eprintln!(
        "hadolint specs: {} cases, {passed} pass, {} listed differences",
        cases.len(),
        listed.len()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
