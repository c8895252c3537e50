//! The last steps inside the container, shared by every mode: create the working directory,
//! switch to the step's user, find the executable on the container's PATH, exec. Also the
//! error channel from a container child to its helper.

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::{Gid, Uid};

use super::{RunSpec, SetupError};

/// Become the step's user in the working directory and exec the command. Returns only on
/// failure. Runs after `chroot`/`pivot_root`, so every path is the container's.
pub(super) fn exec(spec: &RunSpec) -> SetupError {
    match try_exec(spec) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

enum Never {}

fn try_exec(spec: &RunSpec) -> Result<Never, SetupError> {
    make_cwd(&spec.cwd, spec.user.uid, spec.user.gid)?;
    let groups: Vec<Gid> = spec
        .user
        .additional_gids
        .iter()
        .map(|g| Gid::from_raw(*g))
        .collect();
    if let Err(e) = nix::unistd::setgroups(&groups) {
        // A user namespace with a single mapping forbids setgroups; nothing to drop then (the
        // primary gid alone needs no setgroups: it is the process's gid).
        let only_primary = spec
            .user
            .additional_gids
            .iter()
            .all(|g| *g == spec.user.gid);
        if !(e == Errno::EPERM && only_primary) {
            return Err(SetupError::sys_hint(
                format!("setgroups({:?})", spec.user.additional_gids),
                e,
                "in rootless mode supplementary groups need subordinate ids (/etc/subgid and newgidmap)",
            ));
        }
    }
    let (uid, gid) = (Uid::from_raw(spec.user.uid), Gid::from_raw(spec.user.gid));
    nix::unistd::setresgid(gid, gid, gid).map_err(|e| {
        SetupError::sys_hint(
            format!("setgid({})", spec.user.gid),
            e,
            "the group id is not mapped in the container: rootless mode needs a range in /etc/subgid and newgidmap (uidmap package)",
        )
    })?;
    nix::unistd::setresuid(uid, uid, uid).map_err(|e| {
        SetupError::sys_hint(
            format!("setuid({})", spec.user.uid),
            e,
            "the user id is not mapped in the container: rootless mode needs a range in /etc/subuid and newuidmap (uidmap package)",
        )
    })?;
    nix::unistd::chdir(spec.cwd.as_str())
        .map_err(|e| SetupError::sys(format!("chdir({}) as uid {}", spec.cwd, uid), e))?;
    // Changing credentials cleared the parent-death signal: set it again.
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
        .map_err(|e| SetupError::sys("prctl(PR_SET_PDEATHSIG)", e))?;
    let path_var = spec
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let program = find_executable(&spec.argv[0], path_var, &spec.cwd)?;
    let argv = cstrings(spec.argv.iter().map(|s| s.as_bytes().to_vec()))?;
    let envp = cstrings(
        spec.env
            .iter()
            .map(|(k, v)| format!("{k}={v}").into_bytes()),
    )?;
    let prog = CString::new(program.as_os_str().as_bytes())
        .map_err(|_| SetupError::Invalid("NUL byte in the program path".into()))?;
    let err = match nix::unistd::execve(&prog, &argv, &envp) {
        Err(e) => e,
        Ok(never) => match never {},
    };
    Err(match err {
        Errno::ENOENT => SetupError::ExecutableNotFound {
            name: spec.argv[0].clone(),
            path: path_var.to_string(),
        },
        Errno::ENOEXEC => SetupError::sys_hint(
            format!("exec {}", program.display()),
            err,
            "not a binary for this machine's architecture (register qemu-user-static binfmt handlers) or a script without #!",
        ),
        e => SetupError::sys(format!("exec {}", program.display()), e),
    })
}

fn cstrings(items: impl Iterator<Item = Vec<u8>>) -> Result<Vec<CString>, SetupError> {
    items
        .map(|b| CString::new(b).map_err(|_| SetupError::Invalid("NUL byte in argv or env".into())))
        .collect()
}

/// Create the working directory if missing; created components belong to the user (Docker).
fn make_cwd(cwd: &str, uid: u32, gid: u32) -> Result<(), SetupError> {
    let mut p = PathBuf::from("/");
    for c in Path::new(cwd).components().skip(1) {
        p.push(c);
        match std::fs::create_dir(&p) {
            Ok(()) => {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                    .map_err(|e| SetupError::io(format!("chmod {}", p.display()), &e))?;
                std::os::unix::fs::lchown(&p, Some(uid), Some(gid))
                    .map_err(|e| SetupError::io(format!("chown {}", p.display()), &e))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(SetupError::io(
                    format!("creating working directory {}", p.display()),
                    &e,
                ))
            }
        }
    }
    Ok(())
}

/// PATH lookup inside the container (a name with a `/` is used as is).
fn find_executable(name: &str, path_var: &str, cwd: &str) -> Result<PathBuf, SetupError> {
    if name.contains('/') {
        return Ok(PathBuf::from(name));
    }
    for dir in path_var.split(':') {
        let dir = if dir.is_empty() { cwd } else { dir };
        let candidate = Path::new(dir).join(name);
        if let Ok(md) = std::fs::metadata(&candidate) {
            if md.is_file() && md.permissions().mode() & 0o111 != 0 {
                return Ok(candidate);
            }
        }
    }
    Err(SetupError::ExecutableNotFound {
        name: name.to_string(),
        path: path_var.to_string(),
    })
}

/// Report a setup failure from a container child to its helper and exit.
pub(super) fn fail(errfd: &OwnedFd, err: &SetupError) -> ! {
    if let Ok(body) = serde_json::to_vec(err) {
        let mut rest = &body[..];
        while !rest.is_empty() {
            match nix::unistd::write(errfd, rest) {
                Ok(0) | Err(_) => break,
                Ok(n) => rest = &rest[n..],
            }
        }
    }
    std::process::exit(127)
}

/// Read what a container child reported (empty when the exec succeeded).
pub(super) fn read_failure(errfd: OwnedFd) -> Option<SetupError> {
    use std::io::Read;
    let mut buf = Vec::new();
    let _ = std::fs::File::from(errfd).read_to_end(&mut buf);
    if buf.is_empty() {
        return None;
    }
    Some(
        serde_json::from_slice(&buf)
            .unwrap_or_else(|e| SetupError::Invalid(format!("unreadable child error: {e}"))),
    )
}
