//! The `run` side: start the helper (no fork in this possibly multi-threaded process, only
//! `std::process::Command`), send the spec, stream output, collect the status, clean `work`.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use super::spec::{Job, Owner, Request, Status, TarDir, STATUS_FD};
use super::{OutputStream, RunOptions, RunOutcome, RunSpec, SandboxError};

pub(super) fn run(
    spec: &RunSpec,
    opts: &RunOptions,
    on_output: &mut dyn FnMut(OutputStream, &[u8]),
) -> Result<RunOutcome, SandboxError> {
    validate(spec)?;
    let helper = helper_command(opts);
    let result = run_helper(Job::Run(Box::new(spec.clone())), &helper, on_output);
    let cleaned = clear_dir(&spec.work);
    let outcome = result?;
    cleaned.map_err(|e| SandboxError::io(format!("cleaning {}", spec.work.display()), e))?;
    Ok(outcome)
}

fn validate(spec: &RunSpec) -> Result<(), SandboxError> {
    if spec.argv.is_empty() {
        return Err(SandboxError::InvalidSpec("empty argv".into()));
    }
    if !spec.cwd.starts_with('/') {
        return Err(SandboxError::InvalidSpec(format!(
            "working directory {:?} is not absolute",
            spec.cwd
        )));
    }
    for m in &spec.mounts {
        let t = match m {
            super::MountSpec::Bind { target, .. } | super::MountSpec::Tmpfs { target, .. } => {
                target
            }
        };
        if !t.starts_with('/') {
            return Err(SandboxError::InvalidSpec(format!(
                "mount target {t:?} is not absolute"
            )));
        }
    }
    for (dir, what) in [(&spec.upper, "upper"), (&spec.work, "work")] {
        if !dir.is_dir() {
            return Err(SandboxError::InvalidSpec(format!(
                "{what} dir {} does not exist",
                dir.display()
            )));
        }
    }
    Ok(())
}

pub(super) fn helper_command(opts: &RunOptions) -> Vec<OsString> {
    if let Some(h) = &opts.helper {
        if !h.is_empty() {
            return h.clone();
        }
    }
    match std::env::var_os("HOIST_SANDBOX_EXE") {
        Some(exe) if !exe.is_empty() => vec![exe],
        _ => vec![OsString::from("/proc/self/exe")],
    }
}

enum Event {
    Chunk(OutputStream, Vec<u8>),
    Done,
}

/// Give each of `owners` (relative to `root`) its owner from inside a rootless user
/// namespace (the helper's output goes to `on_output`).
pub(super) fn set_owners(
    root: &Path,
    owners: Vec<Owner>,
    opts: &RunOptions,
    on_output: &mut dyn FnMut(OutputStream, &[u8]),
) -> Result<(), SandboxError> {
    let job = Job::Chown {
        root: root.to_path_buf(),
        owners,
    };
    run_job(job, "setting owners", opts, on_output)
}

/// Write a directory as an uncompressed layer from inside a rootless user namespace; the tar
/// bytes go to `on_tar` as they come.
pub(super) fn tar_dir(
    job: TarDir,
    opts: &RunOptions,
    on_tar: &mut dyn FnMut(&[u8]),
) -> Result<(), SandboxError> {
    let mut stderr = Vec::new();
    let what = format!("writing {} as a layer", job.dir.display());
    run_job(Job::Tar(job), &what, opts, &mut |s, b| match s {
        OutputStream::Stdout => on_tar(b),
        OutputStream::Stderr => stderr.extend_from_slice(b),
    })
    .map_err(|e| match e {
        SandboxError::HelperDied { exe, status } if !stderr.is_empty() => {
            SandboxError::HelperDied {
                exe,
                status: format!("{status}: {}", String::from_utf8_lossy(&stderr).trim()),
            }
        }
        e => e,
    })
}

/// Remove the tree `path` from inside a rootless user namespace.
pub(super) fn remove_tree(path: &Path) -> Result<(), SandboxError> {
    let mut output = Vec::new();
    let what = format!("removing {}", path.display());
    run_job(
        Job::Remove(path.to_path_buf()),
        &what,
        &RunOptions::default(),
        &mut |_, b| output.extend_from_slice(b),
    )
}

fn run_job(
    job: Job,
    what: &str,
    opts: &RunOptions,
    on_output: &mut dyn FnMut(OutputStream, &[u8]),
) -> Result<(), SandboxError> {
    let helper = helper_command(opts);
    match run_helper(job, &helper, on_output)?.exit_code {
        0 => Ok(()),
        code => Err(SandboxError::HelperDied {
            exe: PathBuf::from(&helper[0]),
            status: format!("{what} ended with exit code {code}"),
        }),
    }
}

fn run_helper(
    job: Job,
    helper: &[OsString],
    on_output: &mut dyn FnMut(OutputStream, &[u8]),
) -> Result<RunOutcome, SandboxError> {
    let exe = PathBuf::from(&helper[0]);
    let (status_r, status_w): (OwnedFd, OwnedFd) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SandboxError::io("creating the status pipe", e.into()))?;
    let mut cmd = Command::new(&helper[0]);
    cmd.args(&helper[1..])
        .arg("__sandbox")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let raw = status_w.as_raw_fd();
    // SAFETY: the closure runs in the forked child before exec and only calls the
    // async-signal-safe dup2/fcntl on a descriptor that stays open in the parent until spawn
    // returns; it allocates nothing and touches no locks.
    unsafe {
        cmd.pre_exec(move || {
            if raw == STATUS_FD {
                if libc::fcntl(raw, libc::F_SETFD, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(raw, STATUS_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|source| SandboxError::Spawn {
        exe: exe.clone(),
        source,
    })?;
    drop(status_w);
    let request = Request {
        job,
        parent_pid: std::process::id(),
    };
    let body = serde_json::to_vec(&request).map_err(|e| SandboxError::Protocol(e.to_string()))?;
    let mut stdin = child.stdin.take();
    let write_result = stdin.as_mut().map(|s| s.write_all(&body));
    drop(stdin);
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut status_file = std::fs::File::from(status_r);
    // Bounded: a helper streaming a layer waits for the consumer instead of filling memory.
    let (tx, rx) = mpsc::sync_channel::<Event>(64);
    let mut status_bytes = Vec::new();
    let wait = std::thread::scope(|s| {
        for (stream, pipe) in [
            (
                OutputStream::Stdout,
                stdout.map(|p| Box::new(p) as Box<dyn Read + Send>),
            ),
            (
                OutputStream::Stderr,
                stderr.map(|p| Box::new(p) as Box<dyn Read + Send>),
            ),
        ] {
            let tx = tx.clone();
            s.spawn(move || {
                if let Some(mut pipe) = pipe {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        match pipe.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                if tx.send(Event::Chunk(stream, buf[..n].to_vec())).is_err() {
                                    break;
                                }
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(_) => break,
                        }
                    }
                }
                let _ = tx.send(Event::Done);
            });
        }
        drop(tx);
        let mut done = 0;
        while done < 2 {
            match rx.recv() {
                Ok(Event::Chunk(stream, data)) => on_output(stream, &data),
                Ok(Event::Done) => done += 1,
                Err(_) => break,
            }
        }
        let _ = status_file.read_to_end(&mut status_bytes);
        child.wait()
    });
    let exit = wait.map_err(|e| SandboxError::io("waiting for the sandbox helper", e))?;
    if status_bytes.is_empty() {
        if let Some(Err(e)) = write_result {
            return Err(SandboxError::io(
                "sending the spec to the sandbox helper",
                e,
            ));
        }
        let status = match (exit.code(), exit.signal()) {
            (Some(c), _) => format!("exit code {c}"),
            (_, Some(sig)) => format!("killed by signal {sig}"),
            _ => "unknown status".into(),
        };
        return Err(SandboxError::HelperDied { exe, status });
    }
    match serde_json::from_slice::<Status>(&status_bytes) {
        Ok(Status::Exited(code)) => Ok(RunOutcome { exit_code: code }),
        Ok(Status::Failed(e)) => Err(SandboxError::Setup(e)),
        Err(e) => Err(SandboxError::Protocol(e.to_string())),
    }
}

/// Remove everything inside `dir` (the helper's scratch space), keeping `dir` itself.
pub(super) fn clear_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        if entry.file_type()?.is_dir() {
            if !nix::unistd::geteuid().is_root() {
                make_writable(&p);
            }
            std::fs::remove_dir_all(&p)?;
        } else {
            std::fs::remove_file(&p)?;
        }
    }
    Ok(())
}

/// Overlayfs leaves `work/work` with mode 000 (and a command may leave unreadable dirs in the
/// chroot copy); an unprivileged caller needs to open them up before removing.
fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(md) = std::fs::symlink_metadata(dir) {
        if md.is_dir() && md.permissions().mode() & 0o700 != 0o700 {
            let _ = std::fs::set_permissions(
                dir,
                std::fs::Permissions::from_mode(md.permissions().mode() | 0o700),
            );
        }
        if md.is_dir() {
            if let Ok(rd) = std::fs::read_dir(dir) {
                for e in rd.flatten() {
                    if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                        make_writable(&e.path());
                    }
                }
            }
        }
    }
}
