//! The RUN sandbox (`hoist::build::sandbox`) end to end, as root, over a busybox rootfs made
//! once from Debian's busybox-static: output and exit codes, env/cwd/user, what lands in the
//! upper dir (files, whiteouts, opaque dirs), confinement, network none, bind/tmpfs mounts, no
//! leftover mounts or processes (also after SIGKILL of the parent), rootless and chroot modes,
//! and the same upper dir (same layer digest) in every mode.

use std::ffi::OsString;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hoist::build::sandbox::{
    run_with, Isolation, MountSpec, NetworkMode, OutputStream, RunOptions, RunSpec, UserIds,
};

const BUSYBOX: &str = "/bin/busybox";

/// The shared busybox lower dir (made once, atomically, under the target's tmp dir).
fn busybox_root() -> Option<&'static Path> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        if !Path::new(BUSYBOX).exists() {
            eprintln!("note: {BUSYBOX} missing (apt-get install busybox-static); skipping");
            return None;
        }
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let dir = base.join("sandbox-busybox-v1");
        if dir.join("bin/sh").exists() {
            return Some(dir);
        }
        let tmp = tempfile::Builder::new()
            .prefix("sandbox-busybox-")
            .tempdir_in(base)
            .unwrap()
            .keep();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
        for d in [
            "bin",
            "etc",
            "root",
            "home/user",
            "tmp",
            "var/empty",
            "data/sub",
        ] {
            std::fs::create_dir_all(tmp.join(d)).unwrap();
        }
        std::fs::set_permissions(tmp.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
        std::fs::copy(BUSYBOX, tmp.join("bin/busybox")).unwrap();
        let list = std::process::Command::new(BUSYBOX)
            .arg("--list")
            .output()
            .unwrap();
        for applet in String::from_utf8(list.stdout).unwrap().lines() {
            if applet != "busybox" {
                std::os::unix::fs::symlink("busybox", tmp.join("bin").join(applet)).unwrap();
            }
        }
        std::fs::write(
            tmp.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            tmp.join("etc/group"),
            "root:x:0:\nuser:x:1000:\nextra:x:2000:user\n",
        )
        .unwrap();
        std::fs::write(tmp.join("etc/motd"), "hello\n").unwrap();
        std::fs::write(tmp.join("data/keep"), "keep\n").unwrap();
        std::fs::write(tmp.join("data/sub/file"), "sub\n").unwrap();
        std::os::unix::fs::chown(tmp.join("home/user"), Some(1000), Some(1000)).unwrap();
        match std::fs::rename(&tmp, &dir) {
            Ok(()) => {}
            Err(_) if dir.join("bin/sh").exists() => {
                let _ = std::fs::remove_dir_all(&tmp);
            }
            Err(e) => panic!("fixture {}: {e}", dir.display()),
        }
        Some(dir)
    })
    .as_deref()
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A step's scratch: upper and work under one temp dir on the target's filesystem.
struct Step {
    dir: tempfile::TempDir,
}

impl Step {
    fn new() -> Step {
        let dir = tempfile::Builder::new()
            .prefix("sandbox-step-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        std::fs::create_dir(dir.path().join("upper")).unwrap();
        std::fs::create_dir(dir.path().join("work")).unwrap();
        Step { dir }
    }
    fn upper(&self) -> PathBuf {
        self.dir.path().join("upper")
    }
    fn spec(&self, lowers: Vec<PathBuf>, script: &str, isolation: Isolation) -> RunSpec {
        RunSpec {
            lowers,
            upper: self.upper(),
            work: self.dir.path().join("work"),
            argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            env: vec![
                ("PATH".into(), "/usr/sbin:/usr/bin:/sbin:/bin".into()),
                ("HOME".into(), "/root".into()),
            ],
            cwd: "/".into(),
            user: UserIds {
                uid: 0,
                gid: 0,
                additional_gids: vec![],
            },
            hostname: "sandboxhost".into(),
            network: NetworkMode::Default,
            mounts: vec![],
            isolation,
        }
    }
}

fn opts() -> RunOptions {
    RunOptions {
        helper: Some(vec![OsString::from(env!("CARGO_BIN_EXE_hoist"))]),
    }
}

#[derive(Debug)]
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_opts(spec: &RunSpec, o: &RunOptions) -> Output {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = run_with(spec, o, &mut |s, d| match s {
        OutputStream::Stdout => out.extend_from_slice(d),
        OutputStream::Stderr => err.extend_from_slice(d),
    })
    .unwrap_or_else(|e| panic!("run failed: {e}"));
    Output {
        code: outcome.exit_code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

fn run(spec: &RunSpec) -> Output {
    let before = host_mounts();
    let out = run_opts(spec, &opts());
    assert_eq!(host_mounts(), before, "host mount table changed");
    assert_eq!(
        std::fs::read_dir(&spec.work).unwrap().count(),
        0,
        "work dir not cleaned"
    );
    out
}

fn host_mounts() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .map(|l| l.split(' ').skip(4).collect::<Vec<_>>().join(" "))
        .collect()
}

/// Modes the basic tests run in on this machine.
fn modes() -> Vec<Isolation> {
    let mut m = vec![Isolation::Chroot];
    if is_root() {
        m.insert(0, Isolation::Namespaces);
    }
    m
}

#[test]
fn echo_and_exit_codes() {
    let Some(root) = busybox_root() else { return };
    for mode in modes() {
        let s = Step::new();
        let out = run(&s.spec(
            vec![root.to_path_buf()],
            "echo out; echo err >&2; exit 3",
            mode,
        ));
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (3, "out\n", "err\n"),
            "{mode}"
        );
        let s = Step::new();
        // In namespaces mode the command is pid 1 of its pid namespace (as with BuildKit), and
        // pid 1 ignores signals it has no handler for: kill a child shell instead.
        let script = match mode {
            Isolation::Chroot => "kill -9 $$",
            _ => "sh -c 'kill -9 $$'; exit $?",
        };
        let out = run(&s.spec(vec![root.to_path_buf()], script, mode));
        assert_eq!(out.code, 137, "{mode}");
        let s = Step::new();
        let mut spec = s.spec(vec![root.to_path_buf()], "", mode);
        spec.argv = vec!["no-such-tool".into()];
        let err = run_with(&spec, &opts(), &mut |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("executable not found") && err.contains("no-such-tool"),
            "{err}"
        );
    }
}

#[test]
fn env_cwd_user() {
    let Some(root) = busybox_root() else { return };
    for mode in modes() {
        let s = Step::new();
        let mut spec = s.spec(
            vec![root.to_path_buf()],
            "env | grep -v ^SHLVL= | sort; pwd; id; hostname; stat -c '%u:%g %a' /work/dir",
            mode,
        );
        spec.env.push(("FOO".into(), "bar baz".into()));
        spec.cwd = "/work/dir".into();
        spec.user = UserIds {
            uid: 1000,
            gid: 1000,
            additional_gids: vec![2000],
        };
        let out = run(&spec);
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            &lines[..4],
            &[
                "FOO=bar baz",
                "HOME=/root",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "PWD=/work/dir"
            ],
            "{mode}: {}",
            out.stdout
        );
        assert_eq!(lines[4], "/work/dir");
        assert_eq!(
            lines[5], "uid=1000(user) gid=1000(user) groups=2000(extra)",
            "{mode}"
        );
        if mode != Isolation::Chroot {
            assert_eq!(lines[6], "sandboxhost");
        }
        assert_eq!(lines[7], "1000:1000 755", "{mode}");
    }
}

/// `path kind` lines of an upper dir: f (file), d (dir), d+o (opaque dir), l (symlink),
/// wh (whiteout), c (other device).
fn listing(upper: &Path) -> Vec<String> {
    fn walk(base: &Path, rel: &Path, out: &mut Vec<String>) {
        let mut names: Vec<_> = std::fs::read_dir(base.join(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for n in names {
            let r = rel.join(&n);
            let p = base.join(&r);
            let md = std::fs::symlink_metadata(&p).unwrap();
            let ft = md.file_type();
            let kind = if ft.is_dir() {
                let opaque = ["trusted.overlay.opaque", "user.overlay.opaque"]
                    .iter()
                    .any(|k| {
                        let mut buf = [0u8; 4];
                        matches!(rustix::fs::lgetxattr(&p, *k, &mut buf[..]), Ok(1) if buf[0] == b'y')
                    });
                if opaque {
                    "d+o"
                } else {
                    "d"
                }
            } else if ft.is_file() {
                "f"
            } else if ft.is_symlink() {
                "l"
            } else if ft.is_char_device() && md.rdev() == 0 {
                "wh"
            } else {
                "c"
            };
            out.push(format!("{} {kind}", r.display()));
            if ft.is_dir() {
                walk(base, &r, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(upper, Path::new(""), &mut out);
    out
}

const CHANGES: &str = "echo new > /new; rm /etc/motd; rm -rf /data; mkdir /data; \
    echo x > /data/x; chmod 600 /etc/passwd; mkdir -p /a/b; ln -s /new /a/link; \
    rm /bin/vi; cat /etc/group > /dev/null";

fn expected_changes() -> Vec<&'static str> {
    vec![
        "a d",
        "a/b d",
        "a/link l",
        "bin d",
        "bin/vi wh",
        "data d+o",
        "data/x f",
        "etc d",
        "etc/motd wh",
        "etc/passwd f",
        "new f",
    ]
}

#[test]
fn upper_holds_changes_whiteouts_and_opaque_dirs() {
    let Some(root) = busybox_root() else { return };
    for mode in modes() {
        let s = Step::new();
        let out = run(&s.spec(vec![root.to_path_buf()], CHANGES, mode));
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        assert_eq!(listing(&s.upper()), expected_changes(), "{mode}");
        let md = std::fs::metadata(s.upper().join("etc/passwd")).unwrap();
        assert_eq!(md.permissions().mode() & 0o777, 0o600, "{mode}");
        assert_eq!(
            std::fs::read_to_string(s.upper().join("data/x")).unwrap(),
            "x\n"
        );
    }
}

/// Layer digest of an upper dir (overlay whiteouts, fixed epoch, uncompressed).
fn layer_digest(upper: &Path) -> String {
    let opts = hoist::oci::layer::LayerOptions {
        compression: hoist::oci::layer::Compression::None,
        source_date_epoch: Some(1_700_000_000),
        zstd_workers: 0,
        gzip_threads: 0,
    };
    let walk = hoist::oci::layer::WalkOptions {
        xattrs: true,
        overlay_whiteouts: true,
    };
    let (_, info) = hoist::oci::layer::write_dir(upper, std::io::sink(), &opts, &walk).unwrap();
    info.diff_id.to_string()
}

#[test]
fn same_upper_in_every_mode() {
    let Some(root) = busybox_root() else { return };
    if !is_root() {
        eprintln!("note: not root; skipping same_upper_in_every_mode");
        return;
    }
    let script = format!("{CHANGES}; mkdir -p /work/dir && cd /work/dir && echo w > f; chown 1000:1000 /etc/group; touch -d '2001-01-01 00:00:00' /etc/motd2");
    // A top layer whose /etc is older than the epoch: the time the command gives /etc must
    // survive in every mode (else clamping would not hide the difference).
    let old = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::create_dir(old.path().join("etc")).unwrap();
    std::fs::write(old.path().join("etc/old-file"), "old\n").unwrap();
    for p in [old.path().join("etc/old-file"), old.path().join("etc")] {
        let t = nix::sys::time::TimeVal::new(1000, 0);
        nix::sys::stat::utimes(&p, &t, &t).unwrap();
    }
    let mut digests = Vec::new();
    for mode in modes() {
        let s = Step::new();
        let lowers = vec![old.path().to_path_buf(), root.to_path_buf()];
        let mut spec = s.spec(lowers, &script, mode);
        spec.mounts.push(MountSpec::Tmpfs {
            target: "/var/cache/tmp".into(),
            size: None,
        });
        let out = run(&spec);
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        digests.push((mode, listing(&s.upper()), layer_digest(&s.upper())));
    }
    for w in digests.windows(2) {
        assert_eq!(w[0].1, w[1].1, "{} vs {}", w[0].0, w[1].0);
        assert_eq!(w[0].2, w[1].2, "{} vs {}", w[0].0, w[1].0);
    }
}

#[test]
fn mount_points_and_tmpfs_never_reach_upper() {
    let Some(root) = busybox_root() else { return };
    for mode in modes() {
        let s = Step::new();
        let secret = s.dir.path().join("secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o400)).unwrap();
        let mut spec = s.spec(
            vec![root.to_path_buf()],
            "cat /run/secrets/id; echo t > /mnt/t/a/file; ls /proc/self >/dev/null 2>&1; \
             test -c /dev/null && echo hi > /dev/null; cat /etc/hosts | grep -q localhost",
            mode,
        );
        spec.mounts = vec![
            MountSpec::Bind {
                source: secret.clone(),
                target: "/run/secrets/id".into(),
                readonly: true,
            },
            MountSpec::Tmpfs {
                target: "/mnt/t/a".into(),
                size: Some(1 << 20),
            },
        ];
        let out = run(&spec);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "s3cret\n"),
            "{mode}: {}",
            out.stderr
        );
        assert_eq!(listing(&s.upper()), Vec::<String>::new(), "{mode}");
    }
}

#[test]
fn bind_mounts_ro_and_rw() {
    let Some(root) = busybox_root() else { return };
    for mode in modes() {
        let s = Step::new();
        let (ro, cache) = (s.dir.path().join("ro"), s.dir.path().join("cache"));
        std::fs::create_dir(&ro).unwrap();
        std::fs::write(ro.join("a"), "a\n").unwrap();
        std::fs::create_dir(&cache).unwrap();
        std::fs::write(cache.join("old"), "old\n").unwrap();
        let mut spec = s.spec(
            vec![root.to_path_buf()],
            "cat /src/a; if touch /src/b 2>/dev/null; then echo ro-writable; fi; \
             echo new > /var/cache/new; rm /var/cache/old; echo done",
            mode,
        );
        spec.mounts = vec![
            MountSpec::Bind {
                source: ro.clone(),
                target: "/src".into(),
                readonly: true,
            },
            MountSpec::Bind {
                source: cache.clone(),
                target: "/var/cache".into(),
                readonly: false,
            },
        ];
        let out = run(&spec);
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        if mode == Isolation::Chroot {
            // Emulated by a copy: a write may succeed inside but never reaches the source.
            assert!(out.stdout.starts_with("a\n") && out.stdout.ends_with("done\n"));
        } else {
            assert_eq!(out.stdout, "a\ndone\n", "{mode}");
        }
        assert!(!ro.join("b").exists(), "{mode}");
        assert_eq!(std::fs::read_to_string(cache.join("new")).unwrap(), "new\n");
        assert!(!cache.join("old").exists(), "{mode}");
        assert_eq!(listing(&s.upper()), Vec::<String>::new(), "{mode}");
    }
}

#[test]
fn cannot_write_outside_the_root() {
    let Some(root) = busybox_root() else { return };
    for mode in modes() {
        let s = Step::new();
        let sentinel = s.dir.path().join("sentinel");
        std::fs::write(&sentinel, "untouched\n").unwrap();
        let abs = sentinel.display().to_string();
        let script = format!(
            "echo bad > ../../../../../..{abs}; ln -s {abs} /link; echo bad > /link; \
             echo bad > /proc/1/root{abs}; mkdir -p $(dirname {abs}); echo bad > {abs}; \
             cd /; cd ../../..; echo bad > .{abs}; exit 0"
        );
        let out = run(&s.spec(vec![root.to_path_buf()], &script, mode));
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        assert_eq!(
            std::fs::read_to_string(&sentinel).unwrap(),
            "untouched\n",
            "{mode}"
        );
        // The writes landed inside the container's root, i.e. in upper.
        let inside = s.upper().join(abs.trim_start_matches('/'));
        assert_eq!(std::fs::read_to_string(inside).unwrap(), "bad\n", "{mode}");
    }
}

#[test]
fn network_none_sees_only_lo() {
    let Some(root) = busybox_root() else { return };
    if !is_root() {
        return;
    }
    for mode in modes() {
        let s = Step::new();
        let mut spec = s.spec(
            vec![root.to_path_buf()],
            "ip -o link show | cut -d: -f2 | tr -d ' '; ip link show lo | head -1",
            mode,
        );
        spec.network = NetworkMode::None;
        let out = run(&spec);
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines[0], "lo", "{mode}: {}", out.stdout);
        assert_eq!(lines.len(), 2, "{mode}: {}", out.stdout);
        assert!(lines[1].contains("UP"), "{mode}: {}", out.stdout);
    }
}

#[test]
fn scratch_and_a_hundred_lowers() {
    let Some(root) = busybox_root() else { return };
    if !is_root() {
        return;
    }
    // Scratch: no lowers at all; the command comes from a bind mount.
    let s = Step::new();
    let mut spec = s.spec(vec![], "", Isolation::Namespaces);
    spec.argv = vec![
        "/bb/busybox".into(),
        "sh".into(),
        "-c".into(),
        "echo scratch > /f".into(),
    ];
    spec.mounts = vec![MountSpec::Bind {
        source: root.join("bin"),
        target: "/bb".into(),
        readonly: true,
    }];
    let out = run(&spec);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(listing(&s.upper()), vec!["f f"]);

    // 100 lowers with long paths: far beyond one page of mount options.
    let layers = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut lowers = Vec::new();
    for i in 0..100 {
        let d = layers.path().join(format!("{}-{i:03}", "x".repeat(80)));
        std::fs::create_dir_all(d.join("layers")).unwrap();
        std::fs::write(d.join("layers").join(format!("l{i:03}")), format!("{i}\n")).unwrap();
        std::fs::write(d.join("layers/top"), format!("{i}\n")).unwrap();
        lowers.push(d);
    }
    lowers.push(root.to_path_buf());
    let s = Step::new();
    let out = run(&s.spec(
        lowers,
        "ls /layers | grep -c '^l'; cat /layers/top; grep ' / / ' /proc/self/mountinfo",
        Isolation::Namespaces,
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("100\n0\n"), "{}", out.stdout);
    // The upper dir is self-contained: no redirects, no metacopy, no index (the kernel lists
    // only options that differ from its defaults).
    assert!(out.stdout.contains("upperdir=u"), "{}", out.stdout);
    for opt in [
        "redirect_dir=on",
        "redirect_dir=follow",
        "metacopy=on",
        "index=on",
    ] {
        assert!(!out.stdout.contains(opt), "{opt} set: {}", out.stdout);
    }
}

/// Pids whose command line contains `needle`.
fn pids_with(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

/// Any process's mount table mentioning `path`.
fn mounted_anywhere(path: &Path) -> bool {
    let needle = path.display().to_string();
    std::fs::read_dir("/proc").unwrap().any(|e| {
        let Some(pid) = e
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<u32>().ok())
        else {
            return false;
        };
        std::fs::read_to_string(format!("/proc/{pid}/mountinfo"))
            .map(|m| m.contains(&needle))
            .unwrap_or(false)
    })
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let t = std::time::Instant::now();
    while !f() {
        assert!(t.elapsed().as_secs() < 15, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn sigkill_of_the_parent_leaves_nothing() {
    let Some(root) = busybox_root() else { return };
    if !is_root() {
        return;
    }
    sigkill_case(root, Isolation::Namespaces, &[]);
}

#[test]
fn sigkill_of_the_parent_leaves_nothing_chroot() {
    let Some(root) = busybox_root() else { return };
    if !is_root() {
        return;
    }
    sigkill_case(root, Isolation::Chroot, &[]);
}

#[test]
fn sigkill_of_the_parent_leaves_nothing_rootless() {
    let Some(root) = busybox_root() else { return };
    let Some((uid, gid)) = rootless_user() else {
        return;
    };
    let user = format!("--reuid={uid} --regid={gid} --init-groups");
    let wrapper: Vec<&str> = std::iter::once("setpriv").chain(user.split(' ')).collect();
    // Readable lowers suffice here: the command writes only to its bind mount.
    sigkill_case(root, Isolation::Rootless, &wrapper);
}

/// A shell plays the `run()` caller: it feeds the request to the helper (its child) and is
/// then SIGKILLed; the container's processes and mounts must go away with it.
fn sigkill_case(root: &Path, mode: Isolation, wrapper: &[&str]) {
    let s = Step::new();
    let mark = s.dir.path().join("mark");
    std::fs::create_dir(&mark).unwrap();
    if let Some((uid, gid)) = (mode == Isolation::Rootless).then(rootless_user).flatten() {
        for p in [
            s.dir.path().to_path_buf(),
            s.upper(),
            s.dir.path().join("work"),
            mark.clone(),
        ] {
            std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
        }
    }
    let needle = format!("{}", 1_000_000 + std::process::id() * 2 + mode as u32);
    let mut spec = s.spec(
        vec![root.to_path_buf()],
        &format!("sleep {needle} & echo up > /mark/started; wait"),
        mode,
    );
    spec.mounts = vec![MountSpec::Bind {
        source: mark.clone(),
        target: "/mark".into(),
        readonly: false,
    }];
    let prefix = format!(
        "{{\"spec\":{},\"parent_pid\":",
        serde_json::to_string(&spec).unwrap()
    );
    let mut parent = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("printf '%s%s}' \"$PREFIX\" $$ | $WRAP \"$HELPER\" __sandbox 3>/dev/null >/dev/null 2>&1; sleep 100")
        .env("PREFIX", &prefix)
        .env("WRAP", wrapper.join(" "))
        .env("HELPER", env!("CARGO_BIN_EXE_hoist"))
        .spawn()
        .unwrap();
    wait_until("the container to start", || !pids_with(&needle).is_empty());
    if mode != Isolation::Chroot {
        wait_until("the bind mount", || mark.join("started").exists());
        assert!(mounted_anywhere(&s.dir.path().join("work")));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(parent.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    parent.wait().unwrap();
    wait_until("the container's processes to die", || {
        pids_with(&needle).is_empty()
    });
    wait_until("the overlay to be unmounted", || {
        !mounted_anywhere(&s.dir.path().join("work"))
    });
}

pub(crate) const ROOTLESS_USER: &str = "hoist-sbx";

/// The throwaway unprivileged user of the rootless tests (created when absent, with a
/// subordinate id range); `None` with a note when that is impossible here.
pub(crate) fn rootless_user() -> Option<(u32, u32)> {
    static USER: OnceLock<Option<(u32, u32)>> = OnceLock::new();
    *USER.get_or_init(|| {
        if !is_root() {
            eprintln!("note: rootless tests create a user and need root; skipping");
            return None;
        }
        let lookup = || nix::unistd::User::from_name(ROOTLESS_USER).ok().flatten();
        if lookup().is_none() {
            let st = std::process::Command::new("useradd")
                .args([
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                ])
                .arg(ROOTLESS_USER)
                .status()
                .unwrap();
            if !st.success() && lookup().is_none() {
                eprintln!("note: useradd {ROOTLESS_USER} failed; skipping rootless tests");
                return None;
            }
        }
        let user = lookup()?;
        for (file, flag) in [
            ("/etc/subuid", "--add-subuids"),
            ("/etc/subgid", "--add-subgids"),
        ] {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            if !text
                .lines()
                .any(|l| l.starts_with(&format!("{ROOTLESS_USER}:")))
            {
                let st = std::process::Command::new("usermod")
                    .args([flag, "1100000-1165535", ROOTLESS_USER])
                    .status()
                    .unwrap();
                assert!(st.success(), "usermod {flag}");
            }
        }
        Some((user.uid.as_raw(), user.gid.as_raw()))
    })
}

fn rootless_opts() -> RunOptions {
    RunOptions {
        helper: Some(vec![
            "setpriv".into(),
            format!("--reuid={ROOTLESS_USER}").into(),
            format!("--regid={ROOTLESS_USER}").into(),
            "--init-groups".into(),
            env!("CARGO_BIN_EXE_hoist").into(),
        ]),
    }
}

/// A step whose dirs belong to the rootless user.
fn rootless_step(uid: u32, gid: u32) -> Step {
    let s = Step::new();
    for p in [
        s.dir.path().to_path_buf(),
        s.upper(),
        s.dir.path().join("work"),
    ] {
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
    }
    s
}

/// Run rootless; `None` (with a note) when the kernel forbids unprivileged user namespaces.
fn run_rootless(spec: &RunSpec) -> Option<Output> {
    let before = host_mounts();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let result = run_with(spec, &rootless_opts(), &mut |s, d| match s {
        OutputStream::Stdout => out.extend_from_slice(d),
        OutputStream::Stderr => err.extend_from_slice(d),
    });
    assert_eq!(host_mounts(), before, "host mount table changed");
    match result {
        Ok(o) => Some(Output {
            code: o.exit_code,
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
        }),
        Err(e) if e.to_string().contains("user namespaces are disabled") => {
            eprintln!("note: unprivileged user namespaces are forbidden here; skipping: {e}");
            None
        }
        Err(e) => panic!("rootless run failed: {e}"),
    }
}

#[test]
fn rootless_basics() {
    let Some(root) = busybox_root() else { return };
    let Some((uid, gid)) = rootless_user() else {
        return;
    };
    // A rootless store holds layers with shifted ids: container root is the user, container
    // uid N is the subordinate id start+N-1.
    let shifted = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::set_permissions(shifted.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let lower = shifted.path().join("root");
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(root)
        .arg(&lower)
        .status()
        .unwrap();
    assert!(st.success());
    let st = std::process::Command::new("chown")
        .args(["-R", "-h", &format!("{uid}:{gid}")])
        .arg(&lower)
        .status()
        .unwrap();
    assert!(st.success());
    std::os::unix::fs::chown(lower.join("home/user"), Some(1_100_999), Some(1_100_999)).unwrap();
    let lowers = vec![lower];

    let s = rootless_step(uid, gid);
    let spec = s.spec(
        lowers.clone(),
        "echo out; echo err >&2; exit 5",
        Isolation::Rootless,
    );
    let Some(out) = run_rootless(&spec) else {
        return;
    };
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (5, "out\n", "err\n")
    );
    assert_eq!(
        std::fs::read_dir(s.dir.path().join("work"))
            .unwrap()
            .count(),
        0
    );

    // Subordinate ids: uid 1000 and supplementary groups exist inside.
    let s = rootless_step(uid, gid);
    let mut spec = s.spec(
        lowers.clone(),
        "id; hostname; pwd; echo hi > f",
        Isolation::Rootless,
    );
    spec.user = UserIds {
        uid: 1000,
        gid: 1000,
        additional_gids: vec![2000],
    };
    spec.cwd = "/home/user/new".into();
    let out = run_rootless(&spec).unwrap();
    assert_eq!(
        out.stdout,
        "uid=1000(user) gid=1000(user) groups=2000(extra)\nsandboxhost\n/home/user/new\n",
        "{}",
        out.stderr
    );
    // Container uid 1000 is host uid start+999 of the subordinate range.
    let f = s.upper().join("home/user/new/f");
    assert_eq!(std::fs::metadata(&f).unwrap().uid(), 1_100_000 + 999);

    // Changes, whiteouts and (user.overlay.) opaque dirs, and the stubs of mounts.
    let s = rootless_step(uid, gid);
    let mut spec = s.spec(lowers.clone(), CHANGES, Isolation::Rootless);
    spec.mounts.push(MountSpec::Tmpfs {
        target: "/mnt/tmp".into(),
        size: None,
    });
    let out = run_rootless(&spec).unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(listing(&s.upper()), expected_changes());
    let mut buf = [0u8; 4];
    assert_eq!(
        rustix::fs::lgetxattr(s.upper().join("data"), "user.overlay.opaque", &mut buf[..]).ok(),
        Some(1)
    );
    // Container root is the unprivileged user on the host.
    assert_eq!(std::fs::metadata(s.upper().join("new")).unwrap().uid(), uid);
}

#[test]
fn detect_isolation_picks_namespaces_as_root() {
    if !is_root() {
        return;
    }
    // The probe re-executes the helper; from a test binary that must be the hoist binary.
    std::env::set_var("HOIST_SANDBOX_EXE", env!("CARGO_BIN_EXE_hoist"));
    let first = hoist::build::sandbox::detect_isolation().unwrap();
    assert_eq!(first, Isolation::Namespaces);
    assert_eq!(hoist::build::sandbox::detect_isolation().unwrap(), first);
}

#[test]
fn probe_as_an_unprivileged_user_says_rootless() {
    let Some(_) = rootless_user() else { return };
    let st = std::process::Command::new("setpriv")
        .args([
            &format!("--reuid={ROOTLESS_USER}"),
            &format!("--regid={ROOTLESS_USER}"),
            "--init-groups",
            env!("CARGO_BIN_EXE_hoist"),
            "__sandbox",
            "probe",
        ])
        .status()
        .unwrap();
    // Exit codes of the probe: 10 namespaces, 11 rootless, 12 chroot.
    assert_eq!(st.code(), Some(11));
}

#[test]
fn parallel_runs_from_threads() {
    let Some(root) = busybox_root() else { return };
    let mode = modes()[0];
    std::thread::scope(|sc| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                sc.spawn(move || {
                    let s = Step::new();
                    let spec = s.spec(
                        vec![root.to_path_buf()],
                        &format!("echo {i} > /n; cat /n; exit {i}"),
                        mode,
                    );
                    let out = run_opts(&spec, &opts());
                    assert_eq!((out.code, out.stdout), (i, format!("{i}\n")));
                    assert_eq!(listing(&s.upper()), vec!["n f"]);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn minimal_dev_proc_and_readonly_sys() {
    let Some(root) = busybox_root() else { return };
    if !is_root() {
        return;
    }
    let s = Step::new();
    let script = "for n in null zero full random urandom tty; do test -c /dev/$n || echo no-$n; done; \
        test -d /dev/pts && test -d /dev/shm && test -L /dev/stdout && test -L /dev/fd || echo no-dirs; \
        head -c 3 /dev/urandom | wc -c; echo x > /dev/null; echo $$; \
        if touch /sys/x 2>/dev/null; then echo sys-writable; fi; \
        grep -q ' /dev/shm .* - tmpfs ' /proc/self/mountinfo || echo no-shm; \
        grep -q ' /dev/pts .* - devpts ' /proc/self/mountinfo || echo no-pts; \
        cat /etc/hostname; grep -c localhost /etc/hosts";
    let out = run(&s.spec(vec![root.to_path_buf()], script, Isolation::Namespaces));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "3\n1\nsandboxhost\n2\n", "{}", out.stderr);
    assert_eq!(listing(&s.upper()), Vec::<String>::new());
}

const ROOTLESS_SINGLE: &str = "hoist-sbx1";

#[test]
fn rootless_without_subordinate_ids_maps_only_root() {
    let Some(root) = busybox_root() else { return };
    if rootless_user().is_none() {
        return;
    }
    let lookup = || nix::unistd::User::from_name(ROOTLESS_SINGLE).ok().flatten();
    if lookup().is_none() {
        let _ = std::process::Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(ROOTLESS_SINGLE)
            .status();
    }
    let Some(user) = lookup() else {
        eprintln!("note: cannot create {ROOTLESS_SINGLE}; skipping");
        return;
    };
    let subuid = std::fs::read_to_string("/etc/subuid").unwrap_or_default();
    assert!(
        !subuid
            .lines()
            .any(|l| l.starts_with(&format!("{ROOTLESS_SINGLE}:"))),
        "{ROOTLESS_SINGLE} must have no subordinate ids"
    );
    let (uid, gid) = (user.uid.as_raw(), user.gid.as_raw());
    let wrapper = |spec: &RunSpec| -> Result<Output, String> {
        let o = RunOptions {
            helper: Some(vec![
                "setpriv".into(),
                format!("--reuid={uid}").into(),
                format!("--regid={gid}").into(),
                "--init-groups".into(),
                env!("CARGO_BIN_EXE_hoist").into(),
            ]),
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let r = run_with(spec, &o, &mut |st, d| match st {
            OutputStream::Stdout => out.extend_from_slice(d),
            OutputStream::Stderr => err.extend_from_slice(d),
        });
        r.map(|r| Output {
            code: r.exit_code,
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
        })
        .map_err(|e| e.to_string())
    };
    let s = rootless_step(uid, gid);
    let spec = s.spec(
        vec![root.to_path_buf()],
        "cat /proc/self/uid_map | tr -s ' '; id -u",
        Isolation::Rootless,
    );
    let out = match wrapper(&spec) {
        Ok(o) => o,
        Err(e) if e.contains("user namespaces are disabled") => return,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(out.stdout, format!(" 0 {uid} 1\n0\n"), "{}", out.stderr);
    // Another uid does not exist in such a namespace: a clear error naming the fix.
    let s = rootless_step(uid, gid);
    let mut spec = s.spec(vec![root.to_path_buf()], "id", Isolation::Rootless);
    spec.user.uid = 1000;
    spec.user.gid = 1000;
    let err = wrapper(&spec).unwrap_err();
    assert!(
        err.contains("setgid(1000)") && err.contains("/etc/subgid"),
        "{err}"
    );
}
