//! `hoist parse --format buildkit` against BuildKit's parser test data: every one of the 33
//! testfiles dumps through the CLI exactly as BuildKit's expected `result`, exit 0, nothing on
//! stderr; every negative testfile fails with a parser error and no dump. Instruction-level
//! problems (what BuildKit's parser accepts and only its instruction checks reject) are dumped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BUILDKIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/conformance/buildkit");

fn subdirs(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(p)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", p.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn parse_buildkit(file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["parse", "--format", "buildkit"])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run hoist: {e}"))
}

#[test]
fn every_buildkit_testfile_dumps_through_the_cli() {
    let dirs = subdirs(&Path::new(BUILDKIT).join("testfiles"));
    assert_eq!(dirs.len(), 33, "expected BuildKit's 33 parser testfiles");
    let mut failures = Vec::new();
    for dir in &dirs {
        let expected = fs::read_to_string(dir.join("result"))
            .unwrap_or_else(|e| panic!("cannot read {}/result: {e}", dir.display()));
        let out = parse_buildkit(&dir.join("Dockerfile"));
        let got = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = err.lines().filter(|l| l.contains(": error: ")).collect();
        if out.status.code() != Some(0) || got != expected || !errors.is_empty() {
            failures.push(format!(
                "== {} (exit {:?})\n-- stderr\n{err}-- expected\n{expected}-- got\n{got}",
                dir.display(),
                out.status.code()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

#[test]
fn buildkit_negative_testfiles_fail_in_the_cli() {
    let expected = [
        ("empty_dockerfile", "1:1: error: file with no instructions"),
        ("env_no_value", "3:5: error: ENV must have two arguments"),
        ("only_comments", "1:1: error: file with no instructions"),
        (
            "shykes-nested-json",
            "1:5: error: when using JSON array syntax, arrays must be comprised of strings only",
        ),
    ];
    let dirs = subdirs(&Path::new(BUILDKIT).join("testfiles-negative"));
    assert_eq!(dirs.len(), expected.len());
    for (name, msg) in expected {
        let out = parse_buildkit(
            &Path::new(BUILDKIT)
                .join("testfiles-negative")
                .join(name)
                .join("Dockerfile"),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{name}: dumped despite a parser error"
        );
        assert!(err.contains(msg), "{name}: {err}");
    }
}

/// `HEALTHCHECK` with no arguments and an unknown instruction pass BuildKit's parser; the
/// JSON format (hoist's full check) still reports them.
#[test]
fn instruction_level_errors_are_dumped_in_buildkit_format_only() {
    let dir = std::env::temp_dir().join(format!("hoist-parse-bk-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let file = dir.join("Dockerfile");
    fs::write(&file, "FROM a\nHEALTHCHECK\nFOO x\n")
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    let out = parse_buildkit(&file);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "(from \"a\")\n(healthcheck)\n(foo \"\")\n"
    );
    let json = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("parse")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run hoist: {e}"));
    let err = String::from_utf8_lossy(&json.stderr);
    assert_eq!(json.status.code(), Some(1), "{err}");
    assert!(
        err.contains(":2:1: error: HEALTHCHECK requires at least one argument"),
        "{err}"
    );
    assert!(
        err.contains(":3:1: error: unknown instruction: FOO"),
        "{err}"
    );
    let _ = fs::remove_dir_all(&dir);
}
