//! Rootless builds see and keep the image's real owners: base-layer entries owned by other
//! users (and setuid files) keep owner and mode in RUN steps and in the layers that copy them
//! up, and files a non-root RUN user makes private reach the layer; each build gives the
//! digest of the same build as root.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::build_support::*;
use crate::sandbox::{rootless_user, ROOTLESS_USER};

/// What each test starts from.
struct Setup {
    /// The busybox base, readable by the rootless user.
    busybox: &'static str,
    /// The rootless user's uid.
    uid: u32,
    /// A home owned by the rootless user (its store and the build contexts live there).
    home: tempfile::TempDir,
    /// What the user owned in the temp dirs before.
    before: Vec<String>,
}

/// `None` (with a note) where the build or rootless tests cannot run.
fn setup() -> Option<Setup> {
    let busybox = shared_base()?;
    let (uid, gid) = rootless_user()?;
    let home = tempfile::Builder::new()
        .prefix("rootless-owners-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    std::os::unix::fs::chown(home.path(), Some(uid), Some(gid)).unwrap();
    let before = temp_dirs_before(uid, home.path());
    Some(Setup {
        busybox,
        uid,
        home,
        before,
    })
}

fn readable(path: &Path) {
    let st = Command::new("chmod")
        .arg("-R")
        .arg("a+rX")
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

/// A build context under `home` holding `dockerfile` and `files`, readable by everyone.
fn context(home: &Path, name: &str, dockerfile: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = home.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    for (rel, body) in files {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, body).unwrap();
    }
    readable(&dir);
    dir
}

/// `hoist ARGS` run by the rootless user with `home` as its home.
fn as_user(home: &Path, args: &[&str]) -> Output {
    Command::new("setpriv")
        .arg(format!("--reuid={ROOTLESS_USER}"))
        .arg(format!("--regid={ROOTLESS_USER}"))
        .arg("--init-groups")
        .arg(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .current_dir(home)
        .output()
        .unwrap()
}

/// `hoist build --isolation=rootless` of `ctx` by the rootless user with `IMG=img`.
fn rootless_build_output(home: &Path, img: &str, ctx: &Path) -> Output {
    let img_arg = format!("IMG={img}");
    let ctx = ctx.display().to_string();
    as_user(
        home,
        &[
            "build",
            "--progress=plain",
            "--isolation=rootless",
            "--build-arg",
            &img_arg,
            &ctx,
        ],
    )
}

/// [`rootless_build_output`], successful: (digest, stderr); `None` (with a note) when this
/// kernel forbids unprivileged user namespaces.
fn rootless_build(home: &Path, img: &str, ctx: &Path) -> Option<(String, String)> {
    let out = rootless_build_output(home, img, ctx);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if stderr.contains("user namespaces are disabled") {
        eprintln!("note: unprivileged user namespaces are forbidden here; skipping");
        return None;
    }
    assert!(out.status.success(), "rootless build: {stderr}");
    Some((
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        stderr,
    ))
}

/// The same build as root (namespaces isolation, its own store).
fn root_build(img: &str, ctx: &Path) -> String {
    let home = tempfile::tempdir().unwrap();
    let (d, _) = build_ok(home.path(), &["--build-arg", &format!("IMG={img}")], ctx);
    d.to_string()
}

/// The busybox base, readable by the rootless user.
fn shared_base() -> Option<&'static str> {
    let base = can_build()?;
    let layout = base
        .strip_prefix("oci:")
        .and_then(|r| r.rsplit_once(':'))
        .map(|(dir, _)| dir)
        .unwrap();
    readable(Path::new(layout));
    Some(base)
}

/// Nothing of the user's is left behind: no process, no mount naming its home, no file
/// outside its home in the temp dirs, nothing in its store's `tmp/`.
fn assert_nothing_left(t: &Setup) {
    let home = t.home.path();
    let tmps: Vec<&Path> = ["/tmp", "/var/tmp", "/dev/shm"]
        .iter()
        .map(Path::new)
        .collect();
    assert_eq!(
        crate::build_features::owned_by_user(&tmps, t.uid, home),
        t.before
    );
    // Processes of this test's builds (others of the same user may run in parallel tests):
    // their environment names this home.
    let needle = format!("HOME={}", home.display());
    let left: Vec<String> = fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()))
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "processes of the build left: {left:?}");
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let home_s = home.display().to_string();
    assert!(!mounts.contains(&home_s), "{mounts}");
    let store_tmp = home.join(".local/share/hoist/tmp");
    assert_eq!(fs::read_dir(&store_tmp).unwrap().count(), 0);
}

fn temp_dirs_before(uid: u32, home: &Path) -> Vec<String> {
    let tmps: Vec<&Path> = ["/tmp", "/var/tmp", "/dev/shm"]
        .iter()
        .map(Path::new)
        .collect();
    crate::build_features::owned_by_user(&tmps, uid, home)
}

/// How many unpacked layers of the user's store lack the owners their entries need.
fn owners_unset(home: &Path) -> usize {
    fs::read_dir(home.join(".local/share/hoist/layers/sha256"))
        .unwrap()
        .flatten()
        .filter(|e| {
            fs::read_to_string(e.path().join("complete")).is_ok_and(|t| t.contains("owners-unset"))
        })
        .count()
}

/// The base: entries owned by 1000:1000 (a setuid+setgid file among them, a private
/// directory, a symlink), a setuid-root file.
const BASE_DF: &str = "ARG IMG
FROM $IMG
COPY --chown=1000:1000 owned.txt /srv/owned.txt
COPY --chown=1000:1000 d /srv/d
RUN chmod 6750 /srv/owned.txt \\
 && echo s > /srv/suid && chmod 4755 /srv/suid \\
 && mkdir -m 700 /srv/priv && echo p > /srv/priv/f && chmod 600 /srv/priv/f \\
 && ln -s owned.txt /srv/link \\
 && chown -h 1000:1000 /srv/link /srv/priv /srv/priv/f
";

const STAT: &str = "stat -c '%n %u:%g %a' /srv/owned.txt /srv/d /srv/d/f /srv/priv /srv/priv/f /srv/suid /srv/link";

#[test]
fn rootless_runs_see_base_owners_and_copy_ups_keep_them() {
    let Some(t) = setup() else { return };
    let (busybox, home) = (t.busybox, &t.home);
    // The base, built as root and written as a layout the user reads.
    let base_ctx = context(
        home.path(),
        "base-ctx",
        BASE_DF,
        &[("owned.txt", "o\n"), ("d/f", "f\n")],
    );
    let layout = home.path().join("base");
    let root_home = tempfile::tempdir().unwrap();
    let dest = format!("type=oci,dest={}", layout.display());
    build_ok(
        root_home.path(),
        &["--build-arg", &format!("IMG={busybox}"), "-o", &dest],
        &base_ctx,
    );
    readable(&layout);
    let img = format!("oci:{}", layout.display());

    let df = format!(
        "ARG IMG
FROM $IMG
RUN {STAT} | sed 's/^/seen: /'
RUN touch /srv/owned.txt /srv/d/f && echo more >> /srv/priv/f
USER 1000
RUN cat /srv/priv/f /srv/owned.txt > /tmp/read-by-1000
"
    );
    let ctx = context(home.path(), "ctx", &df, &[]);
    let want = root_build(&img, &ctx);
    // The user's store first unpacks the base for another command, which cannot give the
    // entries their owners; the build extracts those layers again with them.
    let sbom = as_user(home.path(), &["sbom", "-q", "-f", "json", &img]);
    assert!(
        sbom.status.success(),
        "{}",
        String::from_utf8_lossy(&sbom.stderr)
    );
    assert_eq!(
        owners_unset(home.path()),
        3,
        "the two COPY --chown and the RUN layer"
    );
    let Some((got, stderr)) = rootless_build(home.path(), &img, &ctx) else {
        return;
    };
    let seen: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split_once("seen: /srv").map(|(_, s)| s.trim()))
        .collect();
    assert_eq!(
        seen,
        [
            "/owned.txt 1000:1000 6750",
            "/d 1000:1000 755",
            "/d/f 1000:1000 644",
            "/priv 1000:1000 700",
            "/priv/f 1000:1000 600",
            "/suid 0:0 4755",
            "/link 1000:1000 777",
        ],
        "{stderr}"
    );
    assert_eq!(got, want, "{stderr}");
    assert_eq!(owners_unset(home.path()), 0);
    // A second build is all cache hits and the same image.
    let (again, stderr) = rootless_build(home.path(), &img, &ctx).unwrap();
    assert_eq!(again, want);
    assert!(ran_steps(&stderr).is_empty(), "{stderr}");
    // Forgotten (no cache entry, no name), every tree goes with `hoist prune`, also those
    // holding entries of subordinate ids the user may not unlink.
    let store = home.path().join(".local/share/hoist");
    for dir in ["cache", "refs"] {
        for e in fs::read_dir(store.join(dir)).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                fs::remove_dir_all(&p).unwrap();
            } else {
                fs::remove_file(&p).unwrap();
            }
        }
    }
    let prune = as_user(home.path(), &["prune"]);
    assert!(
        prune.status.success(),
        "{}",
        String::from_utf8_lossy(&prune.stderr)
    );
    let left: Vec<_> = fs::read_dir(store.join("layers/sha256")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    assert_nothing_left(&t);
}

#[test]
fn rootless_private_files_of_a_run_user_reach_the_layer() {
    let Some(t) = setup() else { return };
    let (busybox, home) = (t.busybox, &t.home);
    let df = "ARG IMG
FROM $IMG
RUN mkdir -p /home/x && chown 1000:1000 /home/x
USER 1000
RUN umask 077 && echo secret > /home/x/f && mkdir -m 700 /home/x/d && echo y > /home/x/d/g
";
    let ctx = context(home.path(), "ctx", df, &[]);
    let want = root_build(busybox, &ctx);
    let Some((got, stderr)) = rootless_build(home.path(), busybox, &ctx) else {
        return;
    };
    assert_eq!(got, want, "{stderr}");
    // The last layer, listed by GNU tar (numeric owners): the private entries with their
    // owner and modes.
    let blobs = home.path().join(".local/share/hoist/blobs/sha256");
    let blob = |digest: &str| blobs.join(digest.strip_prefix("sha256:").unwrap());
    let m: serde_json::Value = serde_json::from_slice(&fs::read(blob(&got)).unwrap()).unwrap();
    let last = m["layers"].as_array().unwrap().last().unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let list = Command::new("tar")
        .args(["--numeric-owner", "-tvzf"])
        .arg(blob(&last))
        .output()
        .unwrap();
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout);
    let entries: Vec<(String, String, String)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[f.len() - 1].to_string(),
                f[0].to_string(),
                f[1].to_string(),
            )
        })
        .collect();
    for (path, mode, owner) in [
        ("home/x/f", "-rw-------", "1000/1000"),
        ("home/x/d/", "drwx------", "1000/1000"),
        ("home/x/d/g", "-rw-------", "1000/1000"),
    ] {
        assert!(
            entries
                .iter()
                .any(|(p, m, o)| p == path && m == mode && o == owner),
            "{path} {mode} {owner} not in the layer:\n{text}"
        );
    }
    assert_nothing_left(&t);
}

/// What remains: COPY --from reads a stage's files as the builder, so a file a RUN step made
/// private to a container user other than root stops the build with the reason and the way
/// out.
#[test]
fn rootless_copy_from_a_private_stage_file_says_why_it_cannot() {
    let Some(t) = setup() else { return };
    let (busybox, home) = (t.busybox, &t.home);
    let df = "ARG IMG
FROM $IMG AS a
USER 1000
RUN mkdir -m 700 /tmp/p && echo s > /tmp/p/f
FROM $IMG
COPY --from=a /tmp/p /p
";
    let ctx = context(home.path(), "ctx", df, &[]);
    let out = rootless_build_output(home.path(), busybox, &ctx);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("user namespaces are disabled") {
        return;
    }
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Dockerfile:6")
            && stderr.contains("/rootfs/tmp/p")
            && stderr.contains("make them readable in that stage (chmod) or build as root"),
        "{stderr}"
    );
}
