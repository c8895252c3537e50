//! `hoist lint` (and `hoist build`) on hostile files, end to end with the real binary: `${…}`
//! nested 100 000 levels deep in every instruction that expands words (single file and
//! directory run, where one bad file must not hide the others), ONBUILD chains, lines of
//! 256 KB and 10 MB full of secrets (output bounded, nothing quadratic), secrets redacted in
//! every output format, and binary files. No timing assertions: sizes and counts only.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const LEVELS: usize = 100_000;
/// Physical lines stay under BuildKit's 64 KiB line limit: the nesting is the only problem.
const PER_LINE: usize = 1_000;

fn hoist() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    for var in ["HADOLINT_IGNORE", "HADOLINT_FAILURE_THRESHOLD", "NO_COLOR"] {
        c.env_remove(var);
    }
    c
}

fn lint(dir: &Path, args: &[&str]) -> Output {
    hoist()
        .arg("lint")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run hoist lint")
}

fn json(out: &Output) -> Vec<Value> {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); exit {:?}; stderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn field<'a>(f: &'a Value, k: &str) -> &'a str {
    f[k].as_str().unwrap_or("")
}

/// `${a:-${a:-…x…}}` nested `LEVELS` deep, `PER_LINE` levels per physical line.
fn nested() -> String {
    let opens = vec!["${a:-".repeat(PER_LINE); LEVELS / PER_LINE].join("\\\n");
    let closes = vec!["}".repeat(PER_LINE); LEVELS / PER_LINE].join("\\\n");
    format!("{opens}x{closes}")
}

/// One Dockerfile per instruction kind that expands its words, and the line of that instruction.
fn nested_files() -> Vec<(&'static str, String, u64)> {
    let n = nested();
    let body = |ins: String| format!("FROM scratch\n{ins}\n");
    vec![
        ("env", body(format!("ENV A={n}")), 2),
        ("arg", body(format!("ARG A={n}")), 2),
        ("label", body(format!("LABEL a={n}")), 2),
        ("workdir", body(format!("WORKDIR /{n}")), 2),
        ("user", body(format!("USER {n}")), 2),
        ("expose", body(format!("EXPOSE {n}")), 2),
        ("copy", body(format!("COPY {n} /x")), 2),
        ("volume", body(format!("VOLUME {n}")), 2),
        ("stopsignal", body(format!("STOPSIGNAL {n}")), 2),
        ("from", format!("FROM {n}\n"), 1),
        ("from-platform", format!("FROM --platform={n} scratch\n"), 1),
    ]
}

fn nesting_finding(findings: &[Value], file: &str) -> Option<u64> {
    findings
        .iter()
        .find(|f| {
            field(f, "file") == file
                && field(f, "code") == "DL1000"
                && field(f, "message").contains("nested more than")
        })
        .and_then(|f| f["line"].as_u64())
}

#[test]
fn deep_substitutions_are_one_error_in_every_instruction_kind() {
    let d = tempfile::tempdir().unwrap();
    for (kind, text, line) in nested_files() {
        let name = format!("{kind}.Dockerfile");
        fs::write(d.path().join(&name), text).unwrap();
        let out = lint(d.path(), &["-f", "json", &name]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let f = json(&out);
        assert_eq!(nesting_finding(&f, &name), Some(line), "{kind}: {f:?}");
        // The message quotes the word cut short, not its 600 000 bytes.
        assert!(
            out.stdout.len() < 20_000,
            "{kind}: {} bytes",
            out.stdout.len()
        );
    }
}

#[test]
fn a_directory_run_reports_every_file() {
    let d = tempfile::tempdir().unwrap();
    let files = nested_files();
    for (kind, text, _) in &files {
        fs::write(d.path().join(format!("{kind}.Dockerfile")), text).unwrap();
    }
    let chain = format!("FROM scratch\n{}RUN x\n", "ONBUILD ".repeat(LEVELS / 10));
    fs::write(d.path().join("onbuild.Dockerfile"), chain).unwrap();
    fs::write(d.path().join("Dockerfile"), "FROM alpine\n").unwrap();
    let out = lint(d.path(), &["-f", "json", "."]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = json(&out);
    for (kind, _, line) in &files {
        let name = format!("{kind}.Dockerfile");
        assert_eq!(nesting_finding(&f, &name), Some(*line), "{kind}");
    }
    assert!(f.iter().any(
        |x| field(x, "file") == "onbuild.Dockerfile" && field(x, "message").contains("ONBUILD")
    ));
    assert!(f
        .iter()
        .any(|x| field(x, "file") == "Dockerfile" && field(x, "code") == "DL3006"));
}

#[test]
fn build_fails_with_an_error_on_deep_substitutions() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("home");
    let ctx = d.path().join("ctx");
    fs::create_dir_all(&ctx).unwrap();
    for (kind, text, line) in nested_files()
        .into_iter()
        .filter(|f| ["env", "from"].contains(&f.0))
    {
        fs::write(ctx.join("Dockerfile"), text).unwrap();
        let out = hoist()
            .env("HOIST_HOME", &home)
            .arg("build")
            .arg(&ctx)
            .output()
            .expect("run hoist build");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{kind}: {err}");
        assert!(
            err.contains(&format!("Dockerfile:{line}: failed to process"))
                && err.contains("nested more than"),
            "{kind}: {err}"
        );
        assert!(err.len() < 20_000, "{kind}: {} bytes of stderr", err.len());
    }
}

/// The `n` first GitHub-token-shaped strings that the secret patterns accept (a few random
/// strings contain a placeholder word such as `xxx` and are skipped).
fn tokens(n: usize) -> Vec<String> {
    (0..)
        .map(token)
        .filter(|t| hoist::secrets::scan(t).len() == 1)
        .take(n)
        .collect()
}

/// A GitHub-token-shaped string, different for each `i`.
fn token(i: usize) -> String {
    let alphabet: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
    let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let body: String = (0..36)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize]
        })
        .collect();
    format!("ghp_{body}")
}

#[test]
fn a_256k_line_of_secrets_is_linear_and_redacted() {
    let d = tempfile::tempdir().unwrap();
    let tokens = tokens(6_400);
    let line = format!("RUN echo {}", tokens.join(" "));
    assert!(line.len() > 256 * 1024);
    fs::write(
        d.path().join("Dockerfile"),
        format!("FROM alpine:3.20\n{line}\n"),
    )
    .unwrap();

    let out = lint(d.path(), &["-f", "json", "Dockerfile"]);
    let f = json(&out);
    let secrets = f.iter().filter(|x| field(x, "code") == "HO3001").count();
    assert_eq!(secrets, tokens.len());

    let tty = lint(d.path(), &["Dockerfile"]);
    assert_eq!(tty.status.code(), Some(1));
    let text = String::from_utf8_lossy(&tty.stdout);
    let headers = text.matches(": HO3001 error: ").count();
    assert_eq!(headers, tokens.len());
    // Each finding's excerpt is clipped around its span: bounded output per finding.
    assert!(
        tty.stdout.len() < 1_500 * f.len(),
        "{} bytes for {} findings",
        tty.stdout.len(),
        f.len()
    );
    for t in tokens.iter().step_by(97) {
        assert!(!text.contains(&t[4..]), "a token is printed in full");
    }
}

#[test]
fn a_10mb_line_finishes_with_bounded_output() {
    let d = tempfile::tempdir().unwrap();
    let filler = "a".repeat(40_000);
    let tokens = tokens(250);
    let mut line = String::from("RUN echo");
    for t in &tokens {
        line.push(' ');
        line.push_str(&filler);
        line.push(' ');
        line.push_str(t);
    }
    assert!(line.len() > 10_000_000);
    fs::write(
        d.path().join("Dockerfile"),
        format!("FROM alpine:3.20\n{line}\n"),
    )
    .unwrap();
    let out = lint(d.path(), &["Dockerfile"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches(": HO3001 error: ").count(), tokens.len());
    // The line-too-long error and each secret show at most a window of the line.
    assert!(out.stdout.len() < 400_000, "{} bytes", out.stdout.len());
    assert!(text.lines().all(|l| l.chars().count() < 500));
    assert!(!tokens.iter().any(|t| text.contains(&t[4..])));
}

#[test]
fn secrets_are_redacted_in_every_output_format() {
    let d = tempfile::tempdir().unwrap();
    let gh = token(7);
    let pw = "Zq9xT4wP2mK7vR3a";
    let src = format!(
        "FROM alpine:3.20\nENV GH_TOKEN={gh}\nRUN curl -u admin:{pw} https://h/x && echo \\\n  {gh}\nRUN <<EOF\necho {gh}\nEOF\n"
    );
    fs::write(d.path().join("Dockerfile"), src).unwrap();
    for format in [
        "tty",
        "json",
        "sarif",
        "checkstyle",
        "gitlab",
        "github",
        "junit",
    ] {
        let out = lint(d.path(), &["-f", format, "Dockerfile"]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("HO3001"), "{format}: {text}");
        assert!(text.contains("HO3002"), "{format}: {text}");
        assert!(!text.contains(&gh[4..]), "{format} shows the token: {text}");
        assert!(
            !text.contains(&pw[2..]),
            "{format} shows the password: {text}"
        );
    }
    // The excerpt keeps what the message shows of the secret, and its width.
    let out = lint(d.path(), &["Dockerfile"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("2 | ENV GH_TOKEN=ghp_{}", "*".repeat(36))),
        "{text}"
    );
}

#[test]
fn a_binary_file_is_one_finding_without_its_bytes() {
    let d = tempfile::tempdir().unwrap();
    let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
    bytes.extend((0..20_000u32).map(|i| (i * 7919 % 251) as u8));
    fs::write(d.path().join("Dockerfile"), &bytes).unwrap();
    for format in ["tty", "json", "sarif"] {
        let out = lint(d.path(), &["-f", format, "Dockerfile"]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let text = String::from_utf8(out.stdout).expect("the report is UTF-8");
        assert!(text.contains("not a text file"), "{format}: {text}");
        assert!(
            !text.contains("ELF") && !text.contains('\u{FFFD}'),
            "{format}: {text}"
        );
        assert!(text.len() < 100_000, "{format}: {} bytes", text.len());
    }
    let out = lint(d.path(), &["-f", "json", "Dockerfile"]);
    assert_eq!(json(&out).len(), 1);
}

#[test]
fn a_flag_an_instruction_does_not_take_is_a_finding_and_a_build_error() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("Dockerfile"), "FROM scratch\nCMD --verbose\n").unwrap();
    let out = lint(d.path(), &["-f", "json", "Dockerfile"]);
    let f = json(&out);
    assert!(
        f.iter().any(|x| field(x, "code") == "DL1000"
            && x["line"] == 2
            && field(x, "message").starts_with("unknown flag: verbose")),
        "{f:?}"
    );
    let out = hoist()
        .env("HOIST_HOME", d.path().join("home"))
        .arg("build")
        .arg(d.path())
        .output()
        .expect("run hoist build");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Dockerfile:2: unknown flag: verbose"), "{err}");
}
