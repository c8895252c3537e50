//! Remaining `hoist build` features end to end: `COPY --link` layers re-used over a new base,
//! rootless builds by a real unprivileged user, predefined platform ARGs before FROM, and the
//! project's lint configuration in the summary before a build.

use std::fs;
use std::path::Path;

use hoist::oci::digest::Digest;
use hoist::oci::Store;

use crate::build_support::*;

/// The layer digests of the store image `digest`, bottom first.
fn layers_of(home: &Path, digest: &Digest) -> Vec<String> {
    let store = Store::open(home).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&store.read_blob(digest).unwrap()).unwrap();
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

const LINK_DF: &str = "ARG BASE
FROM $BASE
ARG V=1
RUN echo \"v=$V\" > /v
COPY --link a.txt /linked/a.txt
RUN cat /v /linked/a.txt > /both
";

#[test]
fn copy_link_layer_is_reused_when_what_is_below_changes() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), LINK_DF).unwrap();
    fs::write(ctx.path().join("a.txt"), "a\n").unwrap();
    let (d1, _) = build_ok(home.path(), &[], ctx.path());
    let l1 = layers_of(home.path(), &d1);
    assert_eq!(l1.len(), 4, "base, /v, --link, /both");

    // An earlier step changes: it and the steps after the --link one rebuild, the --link step
    // is a hit with the same layer.
    let (d2, stderr) = build_ok(home.path(), &["--build-arg", "V=2"], ctx.path());
    assert_eq!(
        cached_steps(&stderr),
        vec!["COPY --link a.txt /linked/a.txt"],
        "{stderr}"
    );
    assert_eq!(
        ran_steps(&stderr),
        vec!["RUN echo \"v=$V\" > /v", "RUN cat /v /linked/a.txt > /both"],
        "{stderr}"
    );
    let l2 = layers_of(home.path(), &d2);
    assert_eq!(l2[2], l1[2]);
    assert_ne!(l2[3], l1[3]);
    let (code, out) = run_image(home.path(), &d2, Some(vec!["cat".into(), "/both".into()]));
    assert_eq!((code, out.as_str()), (0, "v=2\na\n"));

    // A new base image (the first build written out as a layout, one more layer): same again.
    let layout = tempfile::tempdir().unwrap();
    let dest = format!("type=oci,dest={}", layout.path().join("img").display());
    build_ok(home.path(), &["-o", &dest], ctx.path());
    let new_base = format!("BASE=oci:{}", layout.path().join("img").display());
    let (d3, stderr) = build_ok(home.path(), &["--build-arg", &new_base], ctx.path());
    assert_eq!(
        cached_steps(&stderr),
        vec!["COPY --link a.txt /linked/a.txt"],
        "{stderr}"
    );
    assert_eq!(
        ran_steps(&stderr),
        vec!["RUN echo \"v=$V\" > /v", "RUN cat /v /linked/a.txt > /both"],
        "{stderr}"
    );
    let l3 = layers_of(home.path(), &d3);
    assert_eq!(l3.len(), 7);
    assert_eq!(l3[5], l1[2]);

    // Without --link the copy chains from the step below it and rebuilds.
    fs::write(
        ctx.path().join("Dockerfile"),
        LINK_DF.replace("--link ", ""),
    )
    .unwrap();
    build_ok(home.path(), &[], ctx.path());
    let (_, stderr) = build_ok(home.path(), &["--build-arg", "V=3"], ctx.path());
    assert!(cached_steps(&stderr).is_empty(), "{stderr}");
}

/// Files and dirs under `roots` owned by `uid` or the subordinate range of the rootless test
/// user (1100000–1165535), outside `allowed`.
pub(crate) fn owned_by_user(roots: &[&Path], uid: u32, allowed: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = roots.iter().map(|p| p.to_path_buf()).collect();
    while let Some(d) = stack.pop() {
        if d.starts_with(allowed) {
            continue;
        }
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let Ok(md) = e.path().symlink_metadata() else {
                continue;
            };
            let owner = std::os::unix::fs::MetadataExt::uid(&md);
            if !e.path().starts_with(allowed)
                && (owner == uid || (1_100_000..1_165_536).contains(&owner))
            {
                found.push(e.path().display().to_string());
            }
            if md.is_dir() {
                stack.push(e.path());
            }
        }
    }
    found
}

#[test]
fn rootless_build_by_an_unprivileged_user_gives_the_root_digest() {
    let Some(base) = can_build() else { return };
    let Some((uid, gid)) = crate::sandbox::rootless_user() else {
        return;
    };
    // The shared base layout is root's; the user needs to read it.
    let layout = base
        .strip_prefix("oci:")
        .and_then(|r| r.rsplit_once(':'))
        .map(|(dir, _)| dir)
        .unwrap();
    let st = std::process::Command::new("chmod")
        .args(["-R", "a+rX", layout])
        .status()
        .unwrap();
    assert!(st.success());
    // The user's home: the store (the default ~/.local/share/hoist) and outputs live there.
    let home = tempfile::Builder::new()
        .prefix("rootless-home-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    std::os::unix::fs::chown(home.path(), Some(uid), Some(gid)).unwrap();
    let marker_tmp: Vec<&Path> = ["/tmp", "/var/tmp", "/dev/shm"]
        .iter()
        .map(Path::new)
        .collect();
    let before = owned_by_user(&marker_tmp, uid, home.path());
    for ex in ["user", "files", "multistage"] {
        let root_home = tempfile::tempdir().unwrap();
        let (want, _) = build_ok(root_home.path(), &[], &example(ex));
        let out_dir = home.path().join(format!("out-{ex}"));
        let out = std::process::Command::new("setpriv")
            .arg(format!("--reuid={}", crate::sandbox::ROOTLESS_USER))
            .arg(format!("--regid={}", crate::sandbox::ROOTLESS_USER))
            .arg("--init-groups")
            .arg(env!("CARGO_BIN_EXE_hoist"))
            .args(["build", "--progress=plain", "--isolation=rootless"])
            .arg("--build-arg")
            .arg(format!("BASE={base}"))
            .arg("-o")
            .arg(format!("type=oci,dest={}", out_dir.display()))
            .arg(example(ex))
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .current_dir(home.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("user namespaces are disabled") {
            eprintln!("note: unprivileged user namespaces are forbidden here; skipping");
            return;
        }
        assert!(out.status.success(), "{ex}: {stderr}");
        let got = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(got, want.to_string(), "{ex}: {stderr}");
        assert!(home.path().join(".local/share/hoist").is_dir());
        let index = fs::read_to_string(out_dir.join("index.json")).unwrap();
        assert!(index.contains(&got), "{index}");
        // The unprivileged build re-uses its cache.
        let again = std::process::Command::new("setpriv")
            .arg(format!("--reuid={}", crate::sandbox::ROOTLESS_USER))
            .arg(format!("--regid={}", crate::sandbox::ROOTLESS_USER))
            .arg("--init-groups")
            .arg(env!("CARGO_BIN_EXE_hoist"))
            .args(["build", "--progress=plain", "--isolation=rootless"])
            .arg("--build-arg")
            .arg(format!("BASE={base}"))
            .arg(example(ex))
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .current_dir(home.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&again.stderr);
        assert!(again.status.success(), "{ex}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), got);
        assert!(ran_steps(&stderr).is_empty(), "{ex}: {stderr}");
    }
    // Nothing of the user's outside its home.
    assert_eq!(owned_by_user(&marker_tmp, uid, home.path()), before);
    let store_tmp = home.path().join(".local/share/hoist/tmp");
    assert_eq!(fs::read_dir(&store_tmp).unwrap().count(), 0);
    // The store holds shifted ids: bob's (1000) file is the subordinate id start+999.
    let shifted = std::process::Command::new("find")
        .arg(home.path().join(".local/share/hoist/layers"))
        .args(["-name", "made-by-bob", "-uid", "1100999"])
        .output()
        .unwrap();
    assert!(!shifted.stdout.is_empty(), "no shifted made-by-bob");
}

#[test]
fn lint_summary_before_a_build_follows_the_project_config() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let df = "ARG BASE\nFROM $BASE\nRUN echo hi > /x\n";
    fs::write(ctx.path().join("Dockerfile"), df).unwrap();
    let (_, stderr) = build_ok(home.path(), &[], ctx.path());
    assert!(
        stderr.contains("HO5003") && stderr.contains("HO1010"),
        "{stderr}"
    );
    // The project's .hadolint.yaml (found as `hoist lint` finds it) ignores a rule.
    fs::write(ctx.path().join(".hadolint.yaml"), "ignored:\n  - HO5003\n").unwrap();
    let (_, stderr) = build_ok(home.path(), &[], ctx.path());
    assert!(
        !stderr.contains("HO5003") && stderr.contains("HO1010"),
        "{stderr}"
    );
    // A pragma silences the other one; nothing left, no summary.
    fs::write(
        ctx.path().join("Dockerfile"),
        df.replace("FROM", "# hadolint ignore=HO1010\nFROM"),
    )
    .unwrap();
    let (_, stderr) = build_ok(home.path(), &[], ctx.path());
    assert!(!stderr.contains("lint warning"), "{stderr}");
    // `--check` uses the same configuration, and so does a .hoist.toml in a parent directory
    // of a Dockerfile given with -f.
    fs::remove_file(ctx.path().join(".hadolint.yaml")).unwrap();
    let sub = ctx.path().join("docker");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("Dockerfile"), df).unwrap();
    fs::write(
        ctx.path().join(".hoist.toml"),
        "ignore = [\"HO1010\"]\n[override]\nHO5003 = \"error\"\n",
    )
    .unwrap();
    let f = sub.join("Dockerfile");
    let out = hoist_build(
        home.path(),
        &["--check", "-f", f.to_str().unwrap()],
        ctx.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("error HO5003") && !stdout.contains("HO1010"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}");
}

/// A relative `HOIST_HOME` names the same store for every step, RUN included (the sandbox
/// mounts its overlay after changing directory).
#[test]
fn a_relative_store_path_builds_and_caches() {
    let Some(base) = can_build() else { return };
    let work = tempfile::tempdir().unwrap();
    let ctx = work.path().join("ctx");
    fs::create_dir(&ctx).unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "ARG BASE\nFROM $BASE\nRUN echo one > /one\nRUN cat /one > /two\n",
    )
    .unwrap();
    let build = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["build", "--progress=plain", "--isolation=namespaces"])
            .arg("--build-arg")
            .arg(format!("BASE={base}"))
            .arg("ctx")
            .current_dir(work.path())
            .env("HOIST_HOME", "homes/rel")
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .unwrap()
    };
    let first = build();
    let err = String::from_utf8_lossy(&first.stderr).into_owned();
    assert!(first.status.success(), "{err}");
    let second = build();
    let err2 = String::from_utf8_lossy(&second.stderr).into_owned();
    assert!(second.status.success(), "{err2}");
    assert_eq!(first.stdout, second.stdout);
    assert!(
        ran_steps(&err2).is_empty(),
        "a rebuild re-ran steps: {err2}"
    );
    assert!(work.path().join("homes/rel").is_dir());
}
