//! BuildKit's own Dockerfile tests as data: each directory of `testdata/buildkit-build/` holds
//! a case ported from moby/buildkit's `frontend/dockerfile/*_test.go` (see testdata/SOURCES.md):
//! `Dockerfile`, an optional `context/`, and `expect.toml` with what the BuildKit test asserts
//! in its local export (file contents, modes, symlinks, absent paths, empty directories; a
//! case without any asserts, like BuildKit's, that the build succeeds: its RUN steps test). One runner builds every case with
//! `hoist build -o type=local` and checks them all, reporting every failing case at once.
//!
//! `FROM busybox` in a case names the busybox image of `build_support` with every applet
//! installed (`busybox --install -s`), as Docker Hub's busybox has them.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::build_support::*;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Test function the case comes from.
    source: String,
    /// What was changed from the original, and why (empty: unchanged).
    #[serde(default)]
    #[allow(dead_code)]
    adapted: String,
    #[serde(default)]
    build_args: BTreeMap<String, String>,
    /// Path in the exported root → exact content.
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// Path → permission bits in octal ("0644").
    #[serde(default)]
    modes: BTreeMap<String, String>,
    /// Path → symlink target.
    #[serde(default)]
    links: BTreeMap<String, String>,
    /// Paths that must not exist.
    #[serde(default)]
    absent: Vec<String>,
    /// Path → substrings its content must have.
    #[serde(default)]
    contains: BTreeMap<String, Vec<String>>,
    /// Path → substrings its content must not have.
    #[serde(default)]
    not_contains: BTreeMap<String, Vec<String>>,
    /// Directories that must exist.
    #[serde(default)]
    dirs: Vec<String>,
    /// Directories that must exist and be empty.
    #[serde(default)]
    empty_dirs: Vec<String>,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/buildkit-build")
}

/// `oci:DIR:full`: the busybox base with all applets, built once per test run.
fn full_busybox(home: &Path) -> &'static str {
    static FULL: OnceLock<String> = OnceLock::new();
    FULL.get_or_init(|| {
        let ctx = tempfile::tempdir().unwrap();
        std::fs::write(
            ctx.path().join("Dockerfile"),
            "ARG BASE\nFROM $BASE\nRUN /bin/busybox --install -s /bin\n",
        )
        .unwrap();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("hoist-it-busybox-full-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let dest = format!("type=oci,dest={},tar=false", dir.display());
        build_ok(home, &["-t", "busybox:full", "-o", &dest], ctx.path());
        format!("oci:{}:full", dir.display())
    })
}

/// The case's Dockerfile with `FROM busybox` naming the full busybox image.
fn dockerfile(case: &Path, busybox: &str) -> String {
    let text = std::fs::read_to_string(case.join("Dockerfile")).unwrap();
    text.lines()
        .map(|l| {
            let mut words: Vec<&str> = l.split_whitespace().collect();
            let is_from = words
                .first()
                .is_some_and(|w| w.eq_ignore_ascii_case("FROM"));
            if is_from && matches!(words.get(1), Some(&"busybox") | Some(&"busybox:latest")) {
                words[1] = busybox;
                words.join(" ")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Builds one case; the list of its failures.
fn run_case(home: &Path, case: &Path, busybox: &str) -> Vec<String> {
    let expect: Expect =
        toml::from_str(&std::fs::read_to_string(case.join("expect.toml")).unwrap())
            .unwrap_or_else(|e| panic!("{}/expect.toml: {e}", case.display()));
    let work = tempfile::tempdir().unwrap();
    let df = work.path().join("Dockerfile");
    std::fs::write(&df, dockerfile(case, busybox)).unwrap();
    let ctx = case.join("context");
    let ctx = if ctx.is_dir() {
        ctx
    } else {
        let empty = work.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        empty
    };
    let out = work.path().join("out");
    let dest = format!("type=local,dest={}", out.display());
    let mut args = vec![
        "-f".to_string(),
        df.display().to_string(),
        "-o".into(),
        dest,
    ];
    for (k, v) in &expect.build_args {
        args.push("--build-arg".into());
        args.push(format!("{k}={v}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = hoist_build(home, &args, &ctx);
    if !o.status.success() {
        return vec![format!(
            "build failed ({}): {}",
            expect.source,
            String::from_utf8_lossy(&o.stderr)
        )];
    }
    let mut fails = Vec::new();
    for (p, want) in &expect.files {
        match std::fs::read(out.join(p)) {
            Ok(got) if got == want.as_bytes() => {}
            Ok(got) => fails.push(format!(
                "{p}: {:?}, BuildKit's test wants {want:?}",
                String::from_utf8_lossy(&got)
            )),
            Err(e) => fails.push(format!("{p}: {e}")),
        }
    }
    for (p, want) in &expect.modes {
        match std::fs::symlink_metadata(out.join(p)) {
            Ok(m) => {
                let got = format!("{:04o}", m.permissions().mode() & 0o7777);
                if &got != want {
                    fails.push(format!("{p}: mode {got}, BuildKit's test wants {want}"));
                }
            }
            Err(e) => fails.push(format!("{p}: {e}")),
        }
    }
    for (p, want) in &expect.links {
        match std::fs::read_link(out.join(p)) {
            Ok(got) if got == Path::new(want) => {}
            Ok(got) => fails.push(format!(
                "{p}: links to {}, BuildKit's test wants {want}",
                got.display()
            )),
            Err(e) => fails.push(format!("{p}: not a symlink: {e}")),
        }
    }
    let has = expect.contains.iter().map(|(p, v)| (p, v, true));
    let lacks = expect.not_contains.iter().map(|(p, v)| (p, v, false));
    for (p, parts, want) in has.chain(lacks) {
        let text = std::fs::read_to_string(out.join(p)).unwrap_or_default();
        for part in parts {
            if text.contains(part.as_str()) != want {
                fails.push(format!("{p}: contains {part:?} is {}: {text:?}", !want));
            }
        }
    }
    for p in &expect.dirs {
        if !out.join(p).is_dir() {
            fails.push(format!("{p} is not a directory"));
        }
    }
    for p in &expect.empty_dirs {
        match std::fs::read_dir(out.join(p)) {
            Ok(mut rd) => {
                if rd.next().is_some() {
                    fails.push(format!("{p} is not empty"));
                }
            }
            Err(e) => fails.push(format!("{p}: {e}")),
        }
    }
    for p in &expect.absent {
        if std::fs::symlink_metadata(out.join(p)).is_ok() {
            fails.push(format!("{p} exists; BuildKit's test wants it absent"));
        }
    }
    fails
        .into_iter()
        .map(|f| format!("{}: {f}", expect.source))
        .collect()
}

#[test]
fn buildkit_dockerfile_cases() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let busybox = full_busybox(home.path());
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        for f in run_case(home.path(), case, busybox) {
            failures.push(format!("{name}: {f}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} BuildKit cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
