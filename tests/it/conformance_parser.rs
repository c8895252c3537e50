//! Parser conformance against BuildKit's own parser test data (copied to
//! `testdata/conformance/buildkit`): AST dumps byte for byte, negative cases, line numbers; plus
//! every real Dockerfile of `testdata/corpus` must parse without errors.

use std::fs;
use std::path::{Path, PathBuf};

use hoist::dockerfile::{dump, parse};

const BUILDKIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/conformance/buildkit");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/corpus");

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn subdirs(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(p)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", p.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

#[test]
fn buildkit_testfiles_dump_identically() {
    let dirs = subdirs(&Path::new(BUILDKIT).join("testfiles"));
    assert_eq!(dirs.len(), 33, "expected BuildKit's 33 parser testfiles");
    let mut failures = Vec::new();
    for dir in &dirs {
        let src = read(&dir.join("Dockerfile"));
        let expected = read(&dir.join("result"));
        let got = dump::buildkit(&parse(&src));
        if got != expected {
            failures.push(format!(
                "== {}\n-- expected\n{expected}-- got\n{got}",
                dir.display()
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
fn buildkit_negative_testfiles_report_errors() {
    let dirs = subdirs(&Path::new(BUILDKIT).join("testfiles-negative"));
    assert_eq!(dirs.len(), 4);
    for dir in &dirs {
        let df = parse(&read(&dir.join("Dockerfile")));
        assert!(
            !df.errors.is_empty(),
            "{}: no error reported",
            dir.display()
        );
        for e in &df.errors {
            assert!(e.span.start.line >= 1 && e.span.start.column >= 1, "{e:?}");
        }
    }
    let df = parse(&read(
        &Path::new(BUILDKIT).join("testfiles-negative/env_no_value/Dockerfile"),
    ));
    assert_eq!(df.errors[0].message, "ENV must have two arguments");
    assert_eq!(df.errors[0].span.start.line, 3);
    let df = parse(&read(
        &Path::new(BUILDKIT).join("testfiles-negative/shykes-nested-json/Dockerfile"),
    ));
    assert_eq!(
        df.errors[0].message,
        "when using JSON array syntax, arrays must be comprised of strings only"
    );
}

#[test]
fn buildkit_line_numbers() {
    // BuildKit's TestLineInformation: FROM 5-5, ENV 11-12, RUN 17-31.
    let df = parse(&read(&Path::new(BUILDKIT).join("testfile-line/Dockerfile")));
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let lines: Vec<(u32, u32)> = df
        .instructions
        .iter()
        .map(|i| (i.span.start.line, i.span.end.line))
        .collect();
    assert_eq!(lines, vec![(5, 5), (11, 12), (17, 31)]);
    assert_eq!(df.directives.len(), 1);
    assert_eq!(df.directives[0].name, "escape");
    // The RUN has empty continuation lines: BuildKit warns once.
    assert_eq!(df.warnings.len(), 1);
    assert_eq!(df.warnings[0].kind, "empty-continuation");
    assert_eq!(df.warnings[0].span.start.line, 19);
}

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

/// Every real Dockerfile of the corpus parses cleanly. The `*.template` files are generator
/// input (jq `{{ ... }}` blocks, `%%PLACEHOLDER%%` values spanning lines), not Dockerfiles:
/// BuildKit and hadolint reject them too, so for them we only require a parse that keeps going
/// (instructions after the broken parts) with in-bounds error positions.
#[test]
fn corpus_parses_without_errors() {
    let mut files = Vec::new();
    dockerfiles(Path::new(CORPUS), &mut files);
    files.sort();
    let real: Vec<&PathBuf> = files
        .iter()
        .filter(|f| !matches!(f.extension().and_then(|e| e.to_str()), Some("template")))
        .collect();
    assert!(real.len() >= 10, "corpus not found at {CORPUS}");
    let mut failures = Vec::new();
    for f in &files {
        let src = read(f);
        let df = parse(&src);
        let lines = src.lines().count() as u32 + 1;
        if df.instructions.is_empty() {
            failures.push(format!("{}: no instructions", f.display()));
        }
        for e in &df.errors {
            if e.span.start.line > lines || e.span.end.offset as usize > src.len() {
                failures.push(format!("{}: error span out of bounds: {e:?}", f.display()));
            }
        }
        if real.contains(&f) {
            for e in &df.errors {
                failures.push(format!(
                    "{}:{}:{}: {}",
                    f.display(),
                    e.span.start.line,
                    e.span.start.column,
                    e.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn hoist(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hoist");
    if let Some(mut i) = child.stdin.take() {
        i.write_all(stdin).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for hoist");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_parse() {
    let dir = Path::new(BUILDKIT).join("testfiles/lk4d4-the-edge-case-generator");
    let file = dir.join("Dockerfile");
    let (code, out, _) = hoist(
        &["parse", "--format", "buildkit", file.to_str().unwrap_or("")],
        b"",
    );
    assert_eq!(code, 0);
    assert_eq!(out, read(&dir.join("result")));

    let (code, out, _) = hoist(&["parse", "-"], b"FROM a\nRUN echo hi\n");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(v["instructions"][1]["args"][0], "echo hi");

    // Instruction-level errors fail the JSON format; the BuildKit format dumps what BuildKit's
    // parser accepts (tests/it/cli_parse_buildkit.rs).
    let (code, _, err) = hoist(&["parse", "-"], b"FROM a\nFOO x\nCOPY y\n");
    assert_eq!(code, 1);
    assert!(
        err.contains("<stdin>:2:1: error: unknown instruction: FOO"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:3:6: error: COPY requires at least two arguments"),
        "{err}"
    );

    let (code, _, err) = hoist(&["parse", "-"], b"FROM \xff\n");
    assert_eq!(code, 2);
    assert!(err.contains("<stdin> is not valid UTF-8"), "{err}");
    let (code, _, err) = hoist(&["parse", "/nonexistent/Dockerfile"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/Dockerfile"), "{err}");
}
