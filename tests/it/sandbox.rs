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
