//! `hoist lint` accepts hadolint's command line: `-v/--version`, `-V/--verbose`,
//! `--file-path-in-report`, `--no-color`, the `gnu`, `codacy` and `sonarqube` formats with
//! hadolint's exact output (the expectations are those of hadolint's formatter specs and
//! formatter source), warnings for unknown config keys and rule codes, and a missing `-c` file.
//! The real binary on files in temporary directories.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

fn hoist(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("HADOLINT_") || k == "NO_COLOR" {
            c.env_remove(k);
        }
    }
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    hoist(dir)
        .arg("lint")
        .args(args)
        .output()
        .expect("run hoist")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A directory with a Dockerfile that gives DL3006 (warning, line 1) and DL3002 (warning, line 2).
fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    fs::write(d.path().join("Dockerfile"), "FROM debian\nUSER root\n").expect("write");
    d
}

const ARGS: &[&str] = &["--ignore", "DL3066,HO5003"];

#[test]
fn version_flags_print_the_version() {
    let d = project();
    for flag in ["-v", "--version"] {
        let out = run(d.path(), &[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let s = text(&out.stdout);
        assert!(s.contains(env!("CARGO_PKG_VERSION")), "{flag}: {s}");
    }
}

#[test]
fn gnu_format_is_hadolints() {
    let d = project();
    let out = run(d.path(), &[&["-f", "gnu", "Dockerfile"], ARGS].concat());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "hadolint:Dockerfile:1: DL3006 warning: Always tag the version of an image explicitly\n\
         hadolint:Dockerfile:2: DL3002 warning: Last USER should not be root\n"
    );
}

#[test]
fn codacy_format_is_hadolints() {
    let d = project();
    let out = run(
        d.path(),
        &[&["--format", "codacy", "Dockerfile"], ARGS].concat(),
    );
    assert_eq!(
        text(&out.stdout),
        concat!(
            r#"{"filename":"Dockerfile","line":1,"message":"Always tag the version of an image explicitly","patternId":"DL3006"}"#,
            r#"{"filename":"Dockerfile","line":2,"message":"Last USER should not be root","patternId":"DL3002"}"#
        )
    );
}

#[test]
fn sonarqube_format_and_file_path_in_report() {
    let d = project();
    let args = [
        &[
            "-f",
            "sonarqube",
            "--file-path-in-report",
            "/src/Dockerfile",
        ],
        ARGS,
        &["Dockerfile"],
    ]
    .concat();
    let out = run(d.path(), &args);
    let v: Value = serde_json::from_slice(&out.stdout).expect("sonarqube output is JSON");
    let issue = |rule: &str, msg: &str, line: u32| {
        json!({
            "engineId": "Hadolint",
            "ruleId": rule,
            "severity": "MAJOR",
            "type": "CODE_SMELL",
            "primaryLocation": {
                "message": msg,
                "filePath": "/src/Dockerfile",
                "textRange": {"startLine": line, "endLine": line, "startColumn": 0, "endColumn": 1}
            }
        })
    };
    assert_eq!(
        v,
        json!({"issues": [
            issue("DL3006", "Always tag the version of an image explicitly", 1),
            issue("DL3002", "Last USER should not be root", 2),
        ]})
    );
    // No findings: an empty list, as hadolint writes it.
    let clean = tempfile::tempdir().expect("tempdir");
    fs::write(
        clean.path().join("Dockerfile"),
        "FROM debian:12\nUSER 1000\n",
    )
    .expect("write");
    let out = run(clean.path(), &["-f", "sonarqube", "Dockerfile"]);
    assert_eq!(text(&out.stdout), r#"{"issues":[]}"#);
}

#[test]
fn file_path_in_report_applies_to_every_format() {
    let d = project();
    let out = run(
        d.path(),
        &[
            &["-f", "json", "--file-path-in-report", "x/Df"],
            ARGS,
            &["Dockerfile"],
        ]
        .concat(),
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v
        .as_array()
        .is_some_and(|a| a.len() == 2 && a.iter().all(|f| f["file"] == "x/Df")));
}

#[test]
fn no_color_and_verbose() {
    let d = project();
    fs::write(
        d.path().join(".hadolint.yaml"),
        "failure-threshold: error\n",
    )
    .expect("write");
    let out = run(d.path(), &["--no-color", "-V", "Dockerfile"]);
    let stdout = text(&out.stdout);
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains(".hadolint.yaml"), "{stderr}");
    assert!(stderr.contains("failure-threshold=error"), "{stderr}");
    // The threshold from the file applies: warnings only, exit 0.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn unknown_keys_and_codes_are_warned_about() {
    let d = project();
    fs::write(
        d.path().join(".hadolint.yaml"),
        "ignroed: [DL3006]\nignored: [DL9999]\noverride:\n  error: [NOPE1]\n",
    )
    .expect("write");
    let out = run(d.path(), &["--ignore", "XX42", "Dockerfile"]);
    let stderr = text(&out.stderr);
    for needle in [
        "unknown key `ignroed`",
        "unknown rule code `DL9999`",
        "unknown rule code `NOPE1`",
        "the command line: unknown rule code `XX42`",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in {stderr}");
    }
    // Known codes, names and aliases raise nothing.
    fs::write(d.path().join("empty.yaml"), "").expect("write");
    let out = run(
        d.path(),
        &[
            "-c",
            "empty.yaml",
            "--ignore",
            "DL3006,no-user,SC2086,DS-0002",
            "Dockerfile",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("unknown rule code"), "{stderr}");
}

#[test]
fn the_old_dl3063_gets_a_notice() {
    let d = project();
    let out = run(d.path(), &["--ignore", "DL3063", "Dockerfile"]);
    assert!(
        text(&out.stderr).contains("now HO5003"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_config_file_is_named() {
    let d = project();
    let out = run(
        d.path(),
        &["-c", "/nonexistent/hadolint.yaml", "Dockerfile"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("config file /nonexistent/hadolint.yaml does not exist"),
        "{stderr}"
    );
}
