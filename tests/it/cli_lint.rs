//! `hoist lint` end to end: the real binary on files in temporary directories. Exit codes,
//! stdin, directory discovery, config discovery, pragmas, `--fix`, thresholds, bad input.
//!
//! Rules used: DL3006 (untagged FROM, warning), DL4000 (MAINTAINER, error, with a safe fix),
//! DL3020 (ADD of a local file, error, with a safe fix), DL1001 (opt-in), DL1000 (parse errors
//! and undecodable files).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn hoist() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    for var in [
        "HADOLINT_FAILURE_THRESHOLD",
        "HADOLINT_IGNORE",
        "HADOLINT_TRUSTED_REGISTRIES",
        "HADOLINT_ALLOWED_REGISTRIES",
        "HADOLINT_NOFAIL",
        "HADOLINT_STRICT_LABELS",
        "HADOLINT_DISABLE_IGNORE_PRAGMA",
        "HADOLINT_OVERRIDE_ERROR",
        "HADOLINT_OVERRIDE_WARNING",
        "HADOLINT_OVERRIDE_INFO",
        "HADOLINT_OVERRIDE_STYLE",
        "HADOLINT_REQUIRE_LABELS",
        "NO_COLOR",
    ] {
        c.env_remove(var);
    }
    c
}

/// Runs `hoist lint --format json ARGS` in `dir`.
fn lint_json(dir: &Path, args: &[&str]) -> Output {
    hoist()
        .args(["lint", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run hoist")
}

fn findings(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not a JSON array ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `(file, line, code)` of each finding.
fn triples(out: &Output) -> Vec<(String, u64, String)> {
    findings(out)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn codes(out: &Output) -> Vec<String> {
    triples(out).into_iter().map(|t| t.2).collect()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(p, text).expect("write");
}

const CLEAN: &str = "FROM debian:12.7\nUSER 10001\nCMD [\"true\"]\n";
const UNTAGGED: &str = "FROM debian\nUSER 10001\nCMD [\"true\"]\n";

#[test]
fn exit_0_when_clean_and_1_on_findings() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Dockerfile", CLEAN);
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(findings(&out).is_empty());

    write(d.path(), "Dockerfile", UNTAGGED);
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        triples(&out),
        vec![("Dockerfile".to_string(), 1, "DL3006".to_string())]
    );
}

#[test]
fn default_path_is_dockerfile_in_cwd() {
    let d = tempfile::tempdir().unwrap();
    let out = lint_json(d.path(), &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no Dockerfile"), "{}", stderr(&out));
    write(d.path(), "Dockerfile", UNTAGGED);
    let out = lint_json(d.path(), &[]);
    assert_eq!(code(&out), 1);
    assert_eq!(codes(&out), vec!["DL3006"]);
}

#[test]
fn missing_file_is_exit_2_naming_it_and_others_are_still_linted() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Dockerfile", UNTAGGED);
    let out = lint_json(d.path(), &["nope/Dockerfile", "Dockerfile"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("nope/Dockerfile"), "{}", stderr(&out));
    assert_eq!(codes(&out), vec!["DL3006"]);
}

#[test]
fn bad_usage_is_exit_2() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Dockerfile", CLEAN);
    for args in [
        &["--failure-threshold", "fatal", "Dockerfile"][..],
        &["--require-label", "maintainer", "Dockerfile"][..],
        &["--format", "yaml", "Dockerfile"][..],
        &["--no-such-flag"][..],
    ] {
        let out = lint_json(d.path(), args);
        assert_eq!(code(&out), 2, "{args:?}");
    }
}

#[test]
fn stdin_and_stdin_filename() {
    let d = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut child = hoist()
            .args(["lint", "--format", "json"])
            .args(extra)
            .arg("-")
            .current_dir(d.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(UNTAGGED.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait")
    };
    let out = run(&[]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        triples(&out),
        vec![("-".to_string(), 1, "DL3006".to_string())]
    );
    let out = run(&["--stdin-filename", "web/Dockerfile"]);
    assert_eq!(triples(&out)[0].0, "web/Dockerfile");
}

#[test]
fn directories_are_searched_honouring_gitignore() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    for name in [
        "Dockerfile",
        "a/Containerfile",
        "a/app.Dockerfile",
        "b/Dockerfile.prod",
        "b/x.containerfile",
        ".devcontainer/Dockerfile",
        "ignored/Dockerfile",
        "also/Dockerfile",
    ] {
        write(root, name, UNTAGGED);
    }
    write(root, "b/Dockerfile.dockerignore", "*\n");
    write(root, "README.md", "FROM debian\n");
    write(root, ".gitignore", "ignored/\n");
    write(root, ".ignore", "also/\n");
    let out = lint_json(root, &["."]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let mut files: Vec<String> = triples(&out).into_iter().map(|t| t.0).collect();
    let sorted = {
        let mut s = files.clone();
        s.sort_by(|a, b| Path::new(a).cmp(Path::new(b)));
        s
    };
    assert_eq!(files, sorted, "output is ordered by path");
    files
        .iter_mut()
        .for_each(|f| *f = f.trim_start_matches("./").to_string());
    assert_eq!(
        files,
        vec![
            ".devcontainer/Dockerfile",
            "Dockerfile",
            "a/Containerfile",
            "a/app.Dockerfile",
            "b/Dockerfile.prod",
            "b/x.containerfile",
        ]
    );
}

#[test]
fn hoist_toml_is_discovered_upward() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".hoist.toml", "ignore = [\"DL3006\"]\n");
    write(d.path(), "sub/deeper/Dockerfile", UNTAGGED);
    let out = lint_json(d.path(), &["sub/deeper/Dockerfile"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(findings(&out).is_empty());
    // A nearer config replaces the farther one.
    write(d.path(), "sub/.hoist.toml", "ignore = []\n");
    let out = lint_json(d.path(), &["sub/deeper/Dockerfile"]);
    assert_eq!(codes(&out), vec!["DL3006"]);
}

#[test]
fn hadolint_yaml_is_read_and_hoist_toml_wins_beside_it() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        ".hadolint.yaml",
        "ignored:\n  - DL3006\nno-color: true\n",
    );
    write(
        d.path(),
        "Dockerfile",
        "FROM debian\nMAINTAINER me\nUSER 10001\n",
    );
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(codes(&out), vec!["DL4000"], "{}", stderr(&out));
    write(d.path(), ".hoist.toml", "[override]\nDL4000 = \"ignore\"\n");
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // --config uses that file only.
    write(d.path(), "other.yml", "override:\n  style: [DL3006]\n");
    let out = lint_json(d.path(), &["--config", "other.yml", "Dockerfile"]);
    let f = findings(&out);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["code"], "DL3006");
    assert_eq!(f[0]["level"], "style");
}

#[test]
fn config_errors_are_exit_2_with_file_and_key() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".hoist.toml", "ignored = [\"DL3006\"]\n");
    write(d.path(), "Dockerfile", CLEAN);
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains(".hoist.toml") && err.contains("ignored"),
        "{err}"
    );
    let out = lint_json(d.path(), &["--config", "missing.toml", "Dockerfile"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.toml"));
}

#[test]
fn env_vars_apply_and_flags_win() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Dockerfile", UNTAGGED);
    let out = hoist()
        .args(["lint", "--format", "json", "Dockerfile"])
        .env("HADOLINT_IGNORE", "DL3006")
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = hoist()
        .args(["lint", "--format", "json", "Dockerfile"])
        .env("HADOLINT_FAILURE_THRESHOLD", "error")
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    assert_eq!(codes(&out), vec!["DL3006"]);
    let out = hoist()
        .args(["lint", "--format", "json", "-t", "warning", "Dockerfile"])
        .env("HADOLINT_FAILURE_THRESHOLD", "error")
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
}

#[test]
fn thresholds_no_fail_and_level_flags() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Dockerfile", UNTAGGED); // one warning
    let run = |args: &[&str]| code(&lint_json(d.path(), &[args, &["Dockerfile"]].concat()));
    assert_eq!(run(&[]), 1);
    assert_eq!(run(&["-t", "error"]), 0);
    assert_eq!(run(&["-t", "warning"]), 1);
    assert_eq!(run(&["--failure-threshold", "style"]), 1);
    assert_eq!(run(&["-t", "none"]), 0);
    assert_eq!(run(&["--no-fail"]), 0);
    assert_eq!(run(&["--style", "DL3006"]), 0);
    assert_eq!(run(&["--error", "DL3006", "-t", "error"]), 1);
    assert_eq!(run(&["--ignore", "DL3007,DL3006"]), 0);
    let out = lint_json(d.path(), &["--info", "DL3006", "Dockerfile"]);
    assert_eq!(findings(&out)[0]["level"], "info");
}

#[test]
fn parse_errors_fail() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "Dockerfile",
        "FROM debian:12\nRUN <<EOF\necho unterminated\n",
    );
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(code(&out), 1);
    assert!(
        codes(&out).contains(&"DL1000".to_string()),
        "{:?}",
        codes(&out)
    );
}

#[test]
fn pragmas_suppress_and_can_be_disabled() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "Dockerfile",
        "# hadolint ignore=DL3006 base image is pinned by the CI\nFROM debian\n# hoist ignore=DL4000\nMAINTAINER me\nUSER 10001\n",
    );
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(code(&out), 0, "{:?}", codes(&out));
    let out = lint_json(d.path(), &["--disable-ignore-pragma", "Dockerfile"]);
    assert_eq!(codes(&out), vec!["DL3006", "DL4000"]);
    let out = lint_json(d.path(), &["--enable", "DL1001", "Dockerfile"]);
    assert_eq!(
        triples(&out).iter().map(|t| t.1).collect::<Vec<_>>(),
        vec![1, 3]
    );
    assert_eq!(codes(&out), vec!["DL1001", "DL1001"]);

    write(
        d.path(),
        "Dockerfile",
        "# hadolint global ignore=DL3006\nFROM debian\nFROM alpine\nUSER 10001\n",
    );
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert!(codes(&out).is_empty(), "{:?}", codes(&out));
}

#[test]
fn check_directive_and_aliases() {
    let d = tempfile::tempdir().unwrap();
    let src = "# check=skip=MaintainerDeprecated\nFROM debian\nMAINTAINER me\nUSER 10001\n";
    write(d.path(), "Dockerfile", src);
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(codes(&out), vec!["DL3006"]);
    // --disable-ignore-pragma does not turn off the BuildKit directive.
    let out = lint_json(d.path(), &["--disable-ignore-pragma", "Dockerfile"]);
    assert_eq!(codes(&out), vec!["DL3006"]);
    // error=true raises BuildKit-equivalent rules only.
    write(
        d.path(),
        "Dockerfile",
        "# check=error=true\nFROM debian:12\nCMD echo hi\n",
    );
    let out = lint_json(d.path(), &["--ignore", "DL3006", "Dockerfile"]);
    let f = findings(&out);
    let json_args: Vec<_> = f.iter().filter(|x| x["code"] == "DL3025").collect();
    assert_eq!(json_args.len(), 1, "{f:?}");
    assert_eq!(json_args[0]["level"], "error");
    // Pragmas and --ignore accept aliases and Trivy spellings.
    write(
        d.path(),
        "Dockerfile",
        "# hoist ignore=DS-0001\nFROM debian\n# trivy:ignore:AVD-DS-0022\nMAINTAINER me\nUSER 10001\n",
    );
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert!(codes(&out).is_empty(), "{:?}", codes(&out));
    write(
        d.path(),
        "Dockerfile",
        "FROM debian\nMAINTAINER me\nUSER 10001\n",
    );
    let out = lint_json(
        d.path(),
        &[
            "--ignore",
            "maintainerdeprecated",
            "--ignore=ds001",
            "Dockerfile",
        ],
    );
    assert!(codes(&out).is_empty(), "{:?}", codes(&out));
}

#[test]
fn fix_rewrites_the_file_and_reports_the_rest() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "Dockerfile",
        "FROM debian\nMAINTAINER me\nADD app.py /app/\nUSER 10001\n",
    );
    let out = lint_json(d.path(), &["--fix", "Dockerfile"]);
    let fixed = fs::read_to_string(d.path().join("Dockerfile")).unwrap();
    assert!(fixed.contains("LABEL maintainer="), "{fixed}");
    assert!(fixed.contains("\nCOPY app.py /app/\n"), "{fixed}");
    assert!(
        !fixed.contains("MAINTAINER") && !fixed.contains("ADD "),
        "{fixed}"
    );
    assert!(stderr(&out).contains("2 fixes"), "{}", stderr(&out));
    assert_eq!(codes(&out), vec!["DL3006"]);
    assert_eq!(code(&out), 1);
    // Nothing left to fix: the file is untouched.
    let out = lint_json(d.path(), &["--fix", "Dockerfile"]);
    assert!(!stderr(&out).contains("fix"), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(d.path().join("Dockerfile")).unwrap(),
        fixed
    );
}

#[test]
fn fix_with_stdin_prints_the_fixed_text() {
    let d = tempfile::tempdir().unwrap();
    let mut child = hoist()
        .args(["lint", "--format", "json", "--fix", "-"])
        .current_dir(d.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"FROM debian:12.7\nADD a.txt /a.txt\nUSER 10001\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "FROM debian:12.7\nCOPY a.txt /a.txt\nUSER 10001\n"
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn binary_and_invalid_utf8_files_are_dl1000() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("Dockerfile"),
        b"FROM debian:12\nRUN echo \xff\xfe\n",
    )
    .unwrap();
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(code(&out), 1);
    let f = findings(&out);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["code"], "DL1000");
    assert_eq!(
        (f[0]["line"].as_u64(), f[0]["column"].as_u64()),
        (Some(2), Some(10))
    );
    assert!(f[0]["message"].as_str().unwrap_or("").contains("UTF-8"));
    fs::write(d.path().join("Dockerfile"), b"\x7fELF\x02\x01\x01\x00\x00").unwrap();
    let out = lint_json(d.path(), &["Dockerfile"]);
    assert_eq!(code(&out), 1);
    assert_eq!(codes(&out), vec!["DL1000"]);
}

#[test]
fn colour_is_off_when_piped_and_on_when_forced() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Dockerfile", UNTAGGED);
    let run = |args: &[&str]| {
        let out = hoist()
            .args(["lint"])
            .args(args)
            .arg("Dockerfile")
            .current_dir(d.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains('\u{1b}')
    };
    assert!(!run(&[]));
    assert!(run(&["--color", "always"]));
    assert!(!run(&["--color", "always", "--no-color"]));
}

#[test]
fn rules_command_lists_rules_as_json() {
    let out = hoist()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    let rules: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let dl1001 = rules
        .iter()
        .find(|r| r["code"] == "DL1001")
        .expect("DL1001 listed");
    assert_eq!(dl1001["opt_in"], true);
    assert_eq!(dl1001["name"], "inline-ignore-pragma");
    let out = hoist().args(["rules"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).lines().count() > rules.len());
}
