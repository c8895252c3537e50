//! Hostile and unlucky file systems under the image commands: layouts whose blobs are
//! symlinks, FIFOs or devices; `prune` pointed at what is not a store; concurrent writers
//! into one new layout; copies that fail midway; leftovers of killed runs; file modes under
//! a umask.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::oci_fixtures::*;
use crate::support;
use hoist::oci::digest::Digest;
use hoist::oci::layer::Compression;
use hoist::oci::layout::OciLayout;

fn cmd(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.args(args).env("HOME", std::env::temp_dir());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// Run with a watchdog: a command that hangs (say on a FIFO) fails the test instead of
/// hanging it.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = cmd(args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hoist {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(args: &[&str], env: &[(&str, &str)]) -> String {
    let o = run(args, env);
    assert!(o.status.success(), "hoist {args:?}: {}", err(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The config and layer digests of the image tagged `tag` in the layout at `dir`.
fn blobs_of(dir: &Path, tag: &str) -> (Digest, Vec<Digest>) {
    let l = OciLayout::open(dir).unwrap();
    let m = l.read_manifest(&l.resolve(Some(tag)).unwrap()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&m.bytes).unwrap();
    let d = |x: &serde_json::Value| x["digest"].as_str().unwrap().parse().unwrap();
    let layers = v["layers"].as_array().unwrap().iter().map(d).collect();
    (d(&v["config"]), layers)
}

fn hoist_temps(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|it| {
            it.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".hoist-") || n.starts_with(".tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

fn mkfifo(p: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        p,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

#[test]
fn layout_blobs_that_are_pointers_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let (config, layers) = blobs_of(&a, "v1");
    let src = format!("oci:{}:v1", s(&a));
    let l = OciLayout::open(&a).unwrap();

    // A layer blob that is a symlink to a file with exactly the right bytes: refused all the
    // same (a layout is data, not pointers), with the digest and the path in the message.
    let layer = l.blob_path(&layers[0]);
    let elsewhere = tmp.path().join("elsewhere");
    fs::rename(&layer, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &layer).unwrap();
    let o = run(
        &[
            "copy",
            "-q",
            &src,
            &format!("oci:{}", s(&tmp.path().join("b"))),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains(&layers[0].to_string()), "{}", err(&o));
    assert!(err(&o).contains("symbolic link"), "{}", err(&o));
    assert!(err(&o).contains(&s(&layer)), "{}", err(&o));
    assert!(
        !tmp.path().join("b").exists(),
        "a failed copy leaves nothing"
    );
    fs::remove_file(&layer).unwrap();
    fs::rename(&elsewhere, &layer).unwrap();

    // A symlink to /etc/passwd as the config: never read.
    let cfg = l.blob_path(&config);
    let saved = tmp.path().join("cfg");
    fs::rename(&cfg, &saved).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", &cfg).unwrap();
    let o = run(&["inspect", "--config", &src], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("symbolic link"), "{}", err(&o));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("root:"));

    // A FIFO nobody writes to: refused at once, not waited on.
    fs::remove_file(&cfg).unwrap();
    mkfifo(&cfg);
    let o = run(&["inspect", "--config", &src], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("FIFO"), "{}", err(&o));
    assert!(err(&o).contains(&config.to_string()), "{}", err(&o));

    // A character device (root can make one; /dev/null's numbers).
    fs::remove_file(&cfg).unwrap();
    if rustix::process::geteuid().is_root() {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &cfg,
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o644),
            rustix::fs::makedev(1, 3),
        )
        .unwrap();
        let o = run(&["inspect", "--config", &src], &[]);
        assert_eq!(o.status.code(), Some(1), "{}", err(&o));
        assert!(err(&o).contains("character device"), "{}", err(&o));
        fs::remove_file(&cfg).unwrap();
    }
    fs::rename(&saved, &cfg).unwrap();
    ok(&["inspect", "--config", &src], &[]);

    // An archive that is a FIFO: refused at once, by transport and as a bare path.
    let fifo = tmp.path().join("image.tar");
    mkfifo(&fifo);
    for arg in [format!("oci-archive:{}", s(&fifo)), s(&fifo)] {
        let o = run(&["digest", &arg], &[]);
        assert_eq!(o.status.code(), Some(1), "{arg}: {}", err(&o));
        assert!(err(&o).contains("not a regular file"), "{}", err(&o));
    }

    // index.json as a symlink, and blobs/sha256 as a symlink to a copy of itself.
    let index = a.join("index.json");
    let index_copy = tmp.path().join("index.json");
    fs::rename(&index, &index_copy).unwrap();
    std::os::unix::fs::symlink(&index_copy, &index).unwrap();
    let o = run(&["digest", &src], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("index.json"), "{}", err(&o));
    assert!(err(&o).contains("symbolic link"), "{}", err(&o));
    fs::remove_file(&index).unwrap();
    fs::rename(&index_copy, &index).unwrap();
    let sha = a.join("blobs/sha256");
    let moved = tmp.path().join("sha256");
    fs::rename(&sha, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &sha).unwrap();
    let o = run(&["digest", &src], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("symbolic link"), "{}", err(&o));
}

#[test]
fn prune_refuses_what_is_not_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let blob_count = || fs::read_dir(a.join("blobs/sha256")).unwrap().count();
    let before = blob_count();

    let refuse = |dir: &Path, why: &str| {
        let o = run(&["prune", "--store", &s(dir)], &[]);
        assert_eq!(o.status.code(), Some(2), "{why}: {}", err(&o));
        assert!(err(&o).contains(&s(dir)), "{why}: {}", err(&o));
        err(&o)
    };
    let e = refuse(&a, "an OCI layout");
    assert!(e.contains("not a hoist content store"), "{e}");
    assert!(e.contains("OCI image layout"), "{e}");
    assert_eq!(blob_count(), before, "no blob of the layout was deleted");
    assert!(!a.join("hoist-store").exists());

    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    refuse(&empty, "an empty directory");
    assert_eq!(fs::read_dir(&empty).unwrap().count(), 0);

    let random = tmp.path().join("random");
    fs::create_dir_all(random.join("blobs")).unwrap();
    fs::write(random.join("notes.txt"), b"mine").unwrap();
    refuse(&random, "a random directory");
    assert!(random.join("notes.txt").exists());

    let missing = tmp.path().join("missing");
    refuse(&missing, "a missing directory");
    assert!(!missing.exists(), "prune does not create a store");
    let home = tmp.path().join("home-missing");
    let out = ok(&["prune"], &[("HOIST_HOME", &s(&home))]);
    assert!(out.contains("nothing to prune"), "{out}");
    assert!(!home.exists());

    // A store made by an earlier hoist (no marker) is recognised by its layout and marked.
    let legacy = tmp.path().join("legacy");
    for sub in [
        "blobs/sha256",
        "layers/sha256",
        "refs",
        "cache",
        "tmp",
        "locks",
    ] {
        fs::create_dir_all(legacy.join(sub)).unwrap();
    }
    let junk = hoist::oci::digest::digest_bytes(b"junk");
    fs::write(legacy.join("blobs/sha256").join(junk.hex()), b"junk").unwrap();
    let out = ok(&["prune", "--store", &s(&legacy)], &[]);
    assert!(out.contains("removed 1 blobs"), "{out}");
    assert!(legacy.join("hoist-store").is_file());

    // A store hoist creates carries the marker; prune keeps what its refs reach.
    let home = tmp.path().join("home");
    ok(
        &["copy", "-q", &format!("oci:{}:v1", s(&a)), "hoist:app"],
        &[("HOIST_HOME", &s(&home))],
    );
    assert!(home.join("hoist-store").is_file());
    let out = ok(&["prune"], &[("HOIST_HOME", &s(&home))]);
    assert!(out.contains("removed 0 blobs"), "{out}");
}

#[test]
fn concurrent_copies_into_one_new_layout_all_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    for round in 0..3 {
        let dest = tmp.path().join(format!("new{round}"));
        let children: Vec<_> = (0..5)
            .map(|i| {
                cmd(
                    &[
                        "copy",
                        "-q",
                        &format!("oci:{}:v1", s(&a)),
                        &format!("oci:{}:t{i}", s(&dest)),
                    ],
                    &[],
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "round {round}: {}", err(&o));
        }
        let l = OciLayout::open(&dest).unwrap();
        let mut tags: Vec<String> = l.tags().unwrap().into_iter().map(|(t, _)| t).collect();
        tags.sort();
        assert_eq!(tags, ["t0", "t1", "t2", "t3", "t4"]);
        for (_, desc) in l.tags().unwrap() {
            assert_eq!(desc.digest().to_string(), d.to_string());
        }
        assert!(
            hoist_temps(tmp.path()).is_empty(),
            "{:?}",
            hoist_temps(tmp.path())
        );
        ok(
            &[
                "copy",
                "-q",
                &format!("oci:{}:t3", s(&dest)),
                &format!("oci:{}", s(&tmp.path().join(format!("check{round}")))),
            ],
            &[],
        );
    }
}

/// Flip the bytes of one layer blob of `dir` in place (same size): copies read it last and
/// fail verification after the config and other layers were written.
fn corrupt_last_layer(dir: &Path, tag: &str) {
    let (_, layers) = blobs_of(dir, tag);
    let p = OciLayout::open(dir)
        .unwrap()
        .blob_path(layers.last().unwrap());
    let mut bytes = fs::read(&p).unwrap();
    for b in bytes.iter_mut() {
        *b = !*b;
    }
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(&p, bytes).unwrap();
}

#[test]
fn a_failed_copy_leaves_no_half_written_output() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Gzip { level: 6 });
    // An existing layout holding the image with other layer blobs (zstd, not gzip).
    let good = tmp.path().join("good");
    let other = tmp.path().join("other");
    build_layout(&other, "v1", Compression::Zstd { level: 3 });
    ok(
        &[
            "copy",
            "-q",
            &format!("oci:{}:v1", s(&other)),
            &format!("oci:{}:v1", s(&good)),
        ],
        &[],
    );
    corrupt_last_layer(&a, "v1");
    let src = format!("oci:{}:v1", s(&a));
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();

    for dest in [
        format!("oci:{}", s(&out.join("layout"))),
        format!("oci-archive:{}", s(&out.join("image.tar"))),
        format!("docker-archive:{}", s(&out.join("docker.tar"))),
    ] {
        let o = run(&["copy", "-q", &src, &dest], &[]);
        assert_eq!(o.status.code(), Some(1), "{dest}: {}", err(&o));
        assert!(err(&o).contains("nothing was written"), "{}", err(&o));
        let left: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "{dest} left {left:?}");
    }
    // A failed unpack leaves no half-filled root, new or existing-and-empty.
    let root = out.join("root");
    let o = run(&["unpack", "-q", &src, &s(&root)], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("left as it was"), "{}", err(&o));
    assert!(!root.exists());
    fs::create_dir(&root).unwrap();
    let o = run(&["unpack", "-q", &src, &s(&root)], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
    fs::remove_dir(&root).unwrap();
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        0,
        "no temporaries left"
    );
    // An existing layout: its index is unchanged.
    let index = fs::read(good.join("index.json")).unwrap();
    let o = run(&["copy", "-q", &src, &format!("oci:{}:v2", s(&good))], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("index.json is unchanged"), "{}", err(&o));
    assert_eq!(fs::read(good.join("index.json")).unwrap(), index);
    assert!(hoist_temps(&good).is_empty() && hoist_temps(&good.join("blobs")).is_empty());
}

#[test]
fn a_pull_failing_midway_leaves_nothing_and_spools_beside_the_destination() {
    let Some(reg) = support::TestRegistry::start("hostile_fs_pull", support::AuthMode::Open) else {
        return;
    };
    let proxy = support::FaultProxy::start(&reg.host);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let remote = format!("{}/hostile/app:v1", proxy.host());
    ok(&["push", "-q", &s(&a), &remote], &[]);
    let (_, layers) = blobs_of(&a, "v1");
    let last = layers.last().unwrap().to_string();

    // The last layer's download fails for good (404 is not retried).
    proxy.inject(
        "GET",
        &format!("/blobs/{last}"),
        support::FaultAction::Status(404),
        50,
    );
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    for dest in [
        format!("oci:{}", s(&out.join("layout"))),
        format!("oci-archive:{}", s(&out.join("image.tar"))),
    ] {
        let o = run(&["copy", "-q", &format!("docker://{remote}"), &dest], &[]);
        assert_eq!(o.status.code(), Some(1), "{dest}: {}", err(&o));
        let left: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "{dest} left {left:?}");
    }
    proxy.clear_faults();

    // Downloads go next to the destination, not to $TMPDIR: a pull works with no usable
    // $TMPDIR at all, and its blobs follow the umask.
    let dest = out.join("layout");
    let o = run(
        &[
            "copy",
            "-q",
            &format!("docker://{remote}"),
            &format!("oci:{}:v1", s(&dest)),
        ],
        &[("TMPDIR", "/nonexistent/tmp")],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), d.to_string());
    assert!(hoist_temps(&dest).is_empty() && hoist_temps(&dest.join("blobs")).is_empty());
    // Into the content store the same way: spooled in the store's tmp/, linked into place.
    let home = tmp.path().join("home");
    let o = run(
        &["copy", "-q", &format!("docker://{remote}"), "hoist:app"],
        &[("TMPDIR", "/nonexistent/tmp"), ("HOIST_HOME", &s(&home))],
    );
    assert!(o.status.success(), "{}", err(&o));
    let (_, layers) = blobs_of(&a, "v1");
    for l in layers {
        let md = fs::metadata(home.join("blobs/sha256").join(l.hex())).unwrap();
        assert_eq!(md.mode() & 0o777, 0o444);
        assert_eq!(md.nlink(), 1, "the spool file was linked, then removed");
    }
    assert_eq!(fs::read_dir(home.join("tmp")).unwrap().count(), 0);
}

fn age(p: &Path) {
    let old = SystemTime::now() - Duration::from_secs(7200);
    fs::File::open(p).unwrap().set_modified(old).unwrap();
}

#[test]
fn leftovers_of_killed_runs_are_cleaned_live_ones_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let b = tmp.path().join("b");
    ok(
        &[
            "copy",
            "-q",
            &format!("oci:{}:v1", s(&a)),
            &format!("oci:{}:v1", s(&b)),
        ],
        &[],
    );
    let dead: Vec<PathBuf> = vec![
        b.join("blobs/.tmp-blob-dead"),
        b.join("blobs/.hoist-pull-dead"),
        b.join(".tmp-index.json-dead"),
        tmp.path().join(".hoist-archive-dead"),
    ];
    for p in &dead {
        fs::write(p, b"partial").unwrap();
        age(p);
    }
    let dead_dir = b.join("blobs/.hoist-tmp-dead");
    fs::create_dir(&dead_dir).unwrap();
    fs::write(dead_dir.join(".hoist-pull-x"), b"partial").unwrap();
    age(&dead_dir);
    // One held by a live process (this one) and one just created are kept.
    let held = b.join("blobs/.tmp-blob-held");
    fs::write(&held, b"writing").unwrap();
    age(&held);
    let lock = fs::File::open(&held).unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let young = b.join("blobs/.tmp-blob-young");
    fs::write(&young, b"writing").unwrap();

    ok(
        &[
            "copy",
            "-q",
            &format!("oci:{}:v1", s(&a)),
            &format!("oci:{}:v2", s(&b)),
        ],
        &[],
    );
    ok(
        &[
            "copy",
            "-q",
            &format!("oci:{}:v1", s(&a)),
            &format!("oci-archive:{}", s(&tmp.path().join("x.tar"))),
        ],
        &[],
    );
    for p in dead.iter().chain([&dead_dir]) {
        assert!(!p.exists(), "{} was left", p.display());
    }
    assert!(held.exists() && young.exists());
    drop(lock);
}

fn modes_under(root: &Path) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(p) = todo.pop() {
        let md = fs::symlink_metadata(&p).unwrap();
        out.push((s(&p), md.mode() & 0o777));
        if md.is_dir() {
            todo.extend(fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        }
    }
    out
}

#[test]
fn outputs_follow_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let hoist = env!("CARGO_BIN_EXE_hoist");
    for (umask, file_mode, dir_mode) in [("022", 0o644, 0o755), ("027", 0o640, 0o750)] {
        let out = tmp.path().join(format!("out{umask}"));
        fs::create_dir(&out).unwrap();
        let script = format!(
            "umask {umask} && {hoist} copy -q oci:{a}:v1 oci:{o}/layout:v1 && {hoist} copy -q oci:{a}:v1 oci-archive:{o}/image.tar && {hoist} copy -q oci:{a}:v1 docker-archive:{o}/docker.tar",
            a = s(&a),
            o = s(&out)
        );
        let o = Command::new("sh").arg("-c").arg(&script).output().unwrap();
        assert!(o.status.success(), "{}", err(&o));
        for (p, mode) in modes_under(&out).into_iter().filter(|(p, _)| *p != s(&out)) {
            let want = if Path::new(&p).is_dir() {
                dir_mode
            } else {
                file_mode
            };
            assert_eq!(mode, want, "umask {umask}: {p} is {mode:o}");
        }
    }
}

#[test]
fn bare_arguments_follow_one_rule_in_every_image_command() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let d = build_layout(&cwd.join("L"), "v1", Compression::Gzip { level: 6 });
    fs::create_dir(cwd.join("out")).unwrap();
    let in_cwd = |args: &[&str]| {
        let o = cmd(args, &[]).current_dir(cwd).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).trim().to_string(),
            err(&o),
        )
    };
    // `./L`, `L` (exists), `L:v1` (an existing path with a tag) and an absolute path are local.
    for arg in ["./L", "L", "L:v1", &s(&cwd.join("L"))] {
        let (code, out, e) = in_cwd(&["digest", arg]);
        assert_eq!(
            (code, out.as_str()),
            (Some(0), d.to_string().as_str()),
            "{arg}: {e}"
        );
        let (code, out, e) = in_cwd(&["inspect", arg]);
        assert_eq!(code, Some(0), "inspect {arg}: {e}");
        assert!(out.contains(&d.to_string()));
    }
    for args in [
        &["sbom", "./L"][..],
        &["scan", "./L"],
        &["unpack", "-q", "L", "./out/root"],
    ] {
        let (code, _, e) = in_cwd(args);
        assert_eq!(code, Some(0), "{args:?}: {e}");
    }
    // A new path inside an existing directory is a local destination, not a Docker Hub push.
    let (code, out, e) = in_cwd(&["copy", "-q", "oci:L:v1", "out/dir"]);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), d.to_string().as_str()),
        "{e}"
    );
    assert!(OciLayout::open(&cwd.join("out/dir")).is_ok());
    let (code, _, e) = in_cwd(&["copy", "-q", "./L", "./out/archive.tar"]);
    assert_eq!(code, Some(0), "{e}");
    assert!(cwd.join("out/archive.tar").is_file());
    let (code, out, e) = in_cwd(&["digest", "./out/archive.tar"]);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), d.to_string().as_str()),
        "{e}"
    );
    // Everything else is a registry reference: a bad name says how local paths are written.
    let (code, _, e) = in_cwd(&["digest", "NoSuchDir"]);
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("starts with /, ./ or ../"), "{e}");
    // push takes a local source; a registry source points to `copy`.
    let (code, _, e) = in_cwd(&["push", "example.com/a/b:v1", "127.0.0.1:9/c/d:v1"]);
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("hoist copy"), "{e}");
}
