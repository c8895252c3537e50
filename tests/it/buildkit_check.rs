//! BuildKit's build-check test suite (`frontend/dockerfile/dockerfile_check_test.go`), ported as
//! data under `testdata/buildkit-check/<case>/`, run through the real CLI: `hoist lint
//! --buildkit --format json` must report the checks and lines BuildKit's lint request reports,
//! at the expected level, and `hoist build --check=buildkit` must fail exactly when BuildKit's
//! lint request carries an error. Cases listed in `DIFFERENCES.md` are expected to differ; the
//! test fails on an unlisted difference and on a listed case that passes.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/buildkit-check");

/// Files of a case directory that are not part of the build context.
const META: &[&str] = &["expected.json", "args"];

fn hoist() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HADOLINT_") || k.starts_with("HOIST_LINT") {
            c.env_remove(k);
        }
    }
    c
}

/// `(rule, line)` pairs, sorted.
fn pairs(v: &Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|w| {
                    (
                        w["rule"].as_str().unwrap_or_default().to_string(),
                        w["line"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs one case; `Err` describes how hoist differs from BuildKit.
fn run_case(dir: &Path) -> Result<(), String> {
    let expected: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let ctx = tempfile::tempdir().unwrap();
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if !META.iter().any(|m| name == *m) {
            fs::copy(e.path(), ctx.path().join(&name)).unwrap();
        }
    }
    let mut build_args = Vec::new();
    if let Ok(text) = fs::read_to_string(dir.join("args")) {
        for line in text.lines().filter(|l| !l.is_empty()) {
            build_args.push("--build-arg".to_string());
            build_args.push(line.to_string());
        }
    }
    let mut problems = Vec::new();

    let out = hoist()
        .args([
            "lint",
            "--buildkit",
            "--format",
            "json",
            "--no-fail",
            "--context",
        ])
        .arg(ctx.path())
        .args(&build_args)
        .arg(ctx.path().join("Dockerfile"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let found: Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "hoist lint: not JSON ({e}): {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let warnings: Vec<&Value> = found
        .as_array()
        .map(|a| a.iter().filter(|f| f["code"] != "DL1000").collect())
        .unwrap_or_default();
    let got = pairs(&Value::Array(
        warnings
            .iter()
            .map(|f| serde_json::json!({"rule": f["code"], "line": f["line"]}))
            .collect(),
    ));
    let want = pairs(&expected["lint"]);
    if got != want {
        problems.push(format!("lint reported {got:?}, BuildKit {want:?}"));
    }
    let level = expected["level"].as_str().unwrap_or("warning");
    if let Some(w) = warnings.iter().find(|f| f["level"] != level) {
        problems.push(format!(
            "level {} for {}, expected {level}",
            w["level"], w["code"]
        ));
    }

    let out = hoist()
        .args(["build", "--check=buildkit"])
        .args(&build_args)
        .arg(ctx.path())
        .output()
        .unwrap();
    let fails = expected["fails"].as_bool().unwrap_or(false);
    let code = out.status.code();
    if code != Some(if fails { 1 } else { 0 }) {
        problems.push(format!(
            "build --check=buildkit exited {code:?}, BuildKit {}: {}",
            if fails { "fails" } else { "passes" },
            String::from_utf8_lossy(&out.stdout).trim()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Case names listed in DIFFERENCES.md (`- \`name\`: reason`).
fn listed_differences() -> BTreeMap<String, String> {
    let text = fs::read_to_string(Path::new(ROOT).join("DIFFERENCES.md")).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("- `")?;
            let (name, reason) = rest.split_once('`')?;
            Some((
                name.to_string(),
                reason.trim_start_matches(':').trim().to_string(),
            ))
        })
        .collect()
}

#[test]
fn buildkit_check_suite() {
    let listed = listed_differences();
    let mut dirs: Vec<_> = fs::read_dir(ROOT)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 80, "only {} cases", dirs.len());
    let mut errors = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        match (run_case(dir), listed.contains_key(&name)) {
            (Ok(()), false) | (Err(_), true) => {}
            (Err(e), false) => errors.push(format!("{name}: {e}")),
            (Ok(()), true) => {
                errors.push(format!("{name}: passes now; remove it from DIFFERENCES.md"))
            }
        }
    }
    for name in listed.keys() {
        if !dirs.iter().any(|d| d.ends_with(name)) {
            errors.push(format!("DIFFERENCES.md lists {name}, which is not a case"));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// A check configuration BuildKit refuses fails `--check=buildkit` (a DL1000 naming the
/// directive), while warnings alone do not; `--check` alone still lints with every rule.
#[test]
fn buildkit_check_mode_exit_status() {
    let ctx = tempfile::tempdir().unwrap();
    let df = ctx.path().join("Dockerfile");
    let check = |mode: &str, args: &[&str]| {
        let out = hoist()
            .args(["build", mode])
            .args(args)
            .arg(ctx.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    fs::write(&df, "# check=skip=all;nonsense=1\nFROM debian as base\n").unwrap();
    let (code, stdout) = check("--check=buildkit", &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains(":1:") && stdout.contains("DL1000") && stdout.contains("nonsense"));
    fs::write(&df, "FROM debian as base\nRUN apt-get install curl\n").unwrap();
    let (code, stdout) = check("--check=buildkit", &[]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("FromAsCasing") && !stdout.contains("DL3008"),
        "{stdout}"
    );
    let (code, stdout) = check(
        "--check=buildkit",
        &["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=error=true"],
    );
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("error FromAsCasing"), "{stdout}");
    let (code, stdout) = check("--check", &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("DL3008"), "{stdout}");
}
