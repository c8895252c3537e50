//! `hoist login` as a user meets it (issue 9, item 19): the password prompt on a terminal
//! (driven through `script`, which gives hoist a pseudo-terminal), the warning for `-p`, the
//! `--no-verify` message, and a symlinked auth file that stays a symlink and keeps its mode.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine;

fn stored_auth(file: &Path, registry: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let b64 = v.get("auths")?.get(registry)?.get("auth")?.as_str()?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    String::from_utf8(raw).ok()
}

fn login(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("login")
        .args(args)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"))
}

#[test]
fn no_verify_says_unchecked_and_a_symlinked_file_stays_a_symlink_with_its_mode() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let real = dir.path().join("real.json");
    std::fs::write(&real, r#"{"psFormat":"table"}"#).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640))
        .unwrap_or_else(|e| panic!("{e}"));
    let link = dir.path().join("config.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap_or_else(|e| panic!("{e}"));
    let authfile = link.display().to_string();
    let out = login(
        &[
            "-u",
            "bob",
            "--password-stdin",
            "--no-verify",
            "--authfile",
            &authfile,
            "reg.example:5000",
        ],
        "pw-from-stdin\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("saved unchecked") && !err.contains("Login succeeded"),
        "{err}"
    );
    assert!(!err.contains("warning"), "{err}");
    let meta = std::fs::symlink_metadata(&link).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        meta.file_type().is_symlink(),
        "config.json was replaced by a file"
    );
    assert_eq!(
        stored_auth(&real, "reg.example:5000").as_deref(),
        Some("bob:pw-from-stdin")
    );
    let mode = std::fs::metadata(&real).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(mode.ok(), Some(0o640));
    assert!(std::fs::read_to_string(&real)
        .unwrap_or_default()
        .contains("psFormat"));

    // -p works, with a warning.
    let out = login(
        &[
            "-u",
            "bob",
            "-p",
            "on-the-command-line",
            "--no-verify",
            "--authfile",
            &authfile,
            "reg.example:5000",
        ],
        "",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning") && err.contains("--password-stdin"),
        "{err}"
    );

    // Neither a terminal nor --password-stdin: a usage error that says what to do.
    let out = login(
        &["-u", "bob", "--authfile", &authfile, "reg.example:5000"],
        "",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--password-stdin"), "{err}");
}

#[test]
fn the_password_is_prompted_for_on_a_terminal() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("note: /usr/bin/script (bsdutils) missing; skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("auth.json");
    let cmd = format!(
        "{} login -u carol --no-verify --authfile {} reg.example:5000",
        env!("CARGO_BIN_EXE_hoist"),
        file.display()
    );
    let out = {
        use std::io::Write;
        let mut child = Command::new("/usr/bin/script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn script: {e}"));
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(b"typed-secret\n");
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("wait: {e}"))
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Password:"), "{text}");
    assert_eq!(
        stored_auth(&file, "reg.example:5000").as_deref(),
        Some("carol:typed-secret")
    );
}
