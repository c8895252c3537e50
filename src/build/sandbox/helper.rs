//! The helper process (`hoist __sandbox`): single-threaded; reads the request, ties its life
//! to the parent's, dispatches the job (a RUN step to its isolation mode, a rootless builder's
//! store work to `as_root`), reports the status on fd 3.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use nix::sys::signal::Signal;

use super::spec::{Job, Request, Status, STATUS_FD};
use super::{Isolation, SetupError};

pub(super) fn main() -> i32 {
    if std::env::args_os().nth(2).as_deref() == Some(std::ffi::OsStr::new("probe")) {
        return super::probe::probe_main();
    }
    // SAFETY: F_GETFD only queries the descriptor table; an unopened fd 3 gives EBADF.
    if unsafe { libc::fcntl(STATUS_FD, libc::F_GETFD) } < 0 {
        eprintln!("hoist __sandbox is internal to `hoist build` (no status pipe on fd 3)");
        return 125;
    }
    // SAFETY: fd 3 was checked to be open just above and nothing else in this fresh process
    // owns it (the parent dup'ed the status pipe there for us).
    let status_fd = unsafe { OwnedFd::from_raw_fd(STATUS_FD) };
    let mut status_file = std::fs::File::from(status_fd);
    let status = match run() {
        Ok(code) => Status::Exited(code),
        Err(e) => Status::Failed(e),
    };
    let code = match &status {
        Status::Exited(c) => *c,
        Status::Failed(_) => 125,
    };
    match serde_json::to_vec(&status) {
        Ok(body) => {
            let _ = status_file.write_all(&body);
        }
        Err(e) => eprintln!("hoist __sandbox: cannot encode status: {e}"),
    }
    code
}

fn run() -> Result<i32, SetupError> {
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| SetupError::io("reading the spec from stdin", &e))?;
    let req: Request = serde_json::from_slice(&body)
        .map_err(|e| SetupError::Invalid(format!("unreadable spec from the parent: {e}")))?;
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
        .map_err(|e| SetupError::sys("prctl(PR_SET_PDEATHSIG)", e))?;
    if nix::unistd::getppid().as_raw() as u32 != req.parent_pid {
        return Err(SetupError::Invalid(
            "the parent hoist process is gone".into(),
        ));
    }
    redirect_stdin()?;
    let spec = match &req.job {
        Job::Run(spec) => spec,
        Job::Chown { root, owners } => return super::as_root::chown(root, owners),
        Job::Tar(job) => return super::as_root::tar_dir(job),
        Job::Remove(path) => return super::as_root::remove(path),
    };
    match spec.isolation {
        Isolation::Namespaces => super::ns::run(spec, false),
        Isolation::Rootless => super::userns::run(spec),
        Isolation::Chroot => super::chroot::run(spec),
    }
}

/// The command reads from /dev/null (the spec came on stdin).
fn redirect_stdin() -> Result<(), SetupError> {
    let null =
        std::fs::File::open("/dev/null").map_err(|e| SetupError::io("opening /dev/null", &e))?;
    nix::unistd::dup2_stdin(&null).map_err(|e| SetupError::sys("dup2(/dev/null, 0)", e))?;
    Ok(())
}
