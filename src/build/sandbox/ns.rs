//! Namespaces mode (also the inner half of rootless mode): new mount, pid, ipc, uts (and net)
//! namespaces; a pid-1 child mounts overlayfs, /dev, /proc, /sys, the /etc files and the
//! step's mounts, pivots into the root and execs the command. Everything lives in the private
//! mount namespace, so nothing is left on the host when the processes end.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::ForkResult;

use super::merged::Merged;
use super::overlay::{self, Kind, Layout, Target};
use super::{container, devices, MountSpec, NetworkMode, RunSpec, SetupError};

/// A prepared mount: where (relative to the root) and what.
struct Planned {
    target: Target,
    what: What,
}

enum What {
    Proc,
    Dev,
    Sys,
    EtcFile(PathBuf),
    Spec(MountSpec),
}

/// Run the step; returns the exit code (128+signal when signalled).
pub(super) fn run(spec: &RunSpec, rootless: bool) -> Result<i32, SetupError> {
    let layout = Layout::create(spec)?;
    let view = Merged::new(&spec.lowers);
    let planned = plan(spec, &view, &layout)?;
    // The mount namespace is the pid-1 child's own (see `init_mounts`): pivot_root moves the
    // root of every process of a mount namespace, and the helper must keep the host's.
    let mut flags = CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWIPC | CloneFlags::CLONE_NEWUTS;
    if spec.network == NetworkMode::None {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    nix::sched::unshare(flags).map_err(|e| {
        SetupError::sys_hint(
            "unshare(pid, ipc, uts namespaces)",
            e,
            "namespaces mode needs root (CAP_SYS_ADMIN); use --isolation rootless or --isolation chroot",
        )
    })?;
    if spec.network == NetworkMode::None {
        loopback_up()?;
    }
    nix::unistd::sethostname(&spec.hostname)
        .map_err(|e| SetupError::sys(format!("sethostname({})", spec.hostname), e))?;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SetupError::sys("pipe2", e))?;
    // SAFETY: the helper is single-threaded (it never starts threads), so the child may run
    // arbitrary code after fork.
    match unsafe { nix::unistd::fork() }.map_err(|e| SetupError::sys("fork", e))? {
        ForkResult::Child => {
            drop(err_r);
            let e = init(spec, &layout, &planned, rootless);
            container::fail(&err_w, &e)
        }
        ForkResult::Parent { child } => {
            drop(err_w);
            let failure = container::read_failure(err_r);
            let code = wait_code(child)?;
            let created: Vec<PathBuf> = planned
                .iter()
                .flat_map(|p| p.target.created.iter().cloned())
                .collect();
            overlay::clean_stub_traces(&spec.upper, &created)?;
            match failure {
                Some(e) => Err(e),
                None => Ok(code),
            }
        }
    }
}

/// Wait for a child; its exit code or 128+signal.
pub(super) fn wait_code(child: nix::unistd::Pid) -> Result<i32, SetupError> {
    loop {
        match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128 + sig as i32),
            Ok(_) => continue,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(SetupError::sys(format!("waitpid({child})"), e)),
        }
    }
}

fn plan(spec: &RunSpec, view: &Merged, layout: &Layout) -> Result<Vec<Planned>, SetupError> {
    let mut out = Vec::new();
    let mut add = |path: &str, kind: Kind, what: What| -> Result<(), SetupError> {
        let target = overlay::stub(view, &layout.stubs, path, kind)?;
        out.push(Planned { target, what });
        Ok(())
    };
    add("/proc", Kind::Dir, What::Proc)?;
    add("/dev", Kind::Dir, What::Dev)?;
    add("/sys", Kind::Dir, What::Sys)?;
    for name in ["hosts", "resolv.conf", "hostname"] {
        add(
            &format!("/etc/{name}"),
            Kind::File,
            What::EtcFile(layout.etc.join(name)),
        )?;
    }
    for m in &spec.mounts {
        let (target, kind) = match m {
            MountSpec::Bind { source, target, .. } => {
                let md = std::fs::metadata(source).map_err(|e| {
                    SetupError::io(format!("bind mount source {}", source.display()), &e)
                })?;
                (target, if md.is_dir() { Kind::Dir } else { Kind::File })
            }
            MountSpec::Tmpfs { target, .. } => (target, Kind::Dir),
        };
        add(target, kind, What::Spec(m.clone()))?;
    }
    Ok(out)
}

fn mnt(
    src: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<(), SetupError> {
    nix::mount::mount(src, target, fstype, flags, data).map_err(|e| {
        SetupError::sys(
            format!(
                "mount {} ({}) on {}",
                src.map(|s| s.display().to_string())
                    .unwrap_or_else(|| "none".into()),
                fstype.unwrap_or("bind"),
                target.display()
            ),
            e,
        )
    })
}

/// The container's pid 1 before exec: mounts, pivot_root, then the command.
fn init(spec: &RunSpec, layout: &Layout, planned: &[Planned], rootless: bool) -> SetupError {
    match init_mounts(spec, layout, planned, rootless) {
        Ok(()) => container::exec(spec),
        Err(e) => e,
    }
}

fn init_mounts(
    spec: &RunSpec,
    layout: &Layout,
    planned: &[Planned],
    rootless: bool,
) -> Result<(), SetupError> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
        .map_err(|e| SetupError::sys("prctl(PR_SET_PDEATHSIG)", e))?;
    nix::sched::unshare(CloneFlags::CLONE_NEWNS)
        .map_err(|e| SetupError::sys("unshare(mount namespace)", e))?;
    mnt(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )?;
    overlay::mount(spec, layout, rootless)?;
    let root = &layout.merged;
    let locked = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    for p in planned {
        let t = root.join(&p.target.rel);
        match &p.what {
            What::Proc => {
                if let Err(e) = mnt(Some(Path::new("proc")), &t, Some("proc"), locked, None) {
                    if !rootless {
                        return Err(e);
                    }
                    // Some rootless setups (masked /proc of an outer container) refuse a
                    // new procfs: fall back to the host's, read-only.
                    bind(Path::new("/proc"), &t, true, true)?;
                }
            }
            What::Dev => devices::mount_dev(&t, rootless)?,
            What::Sys => {
                if mnt(
                    Some(Path::new("sysfs")),
                    &t,
                    Some("sysfs"),
                    locked | MsFlags::MS_RDONLY,
                    None,
                )
                .is_err()
                {
                    bind(Path::new("/sys"), &t, true, true)?;
                }
            }
            What::EtcFile(src) => bind(src, &t, false, false)?,
            What::Spec(MountSpec::Bind {
                source, readonly, ..
            }) => bind(source, &t, *readonly, true)?,
            What::Spec(MountSpec::Tmpfs { size, .. }) => {
                let data = match size {
                    Some(s) => format!("mode=1777,size={s}"),
                    None => "mode=1777".to_string(),
                };
                mnt(
                    Some(Path::new("tmpfs")),
                    &t,
                    Some("tmpfs"),
                    MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
                    Some(&data),
                )?;
            }
        }
    }
    pivot(root)
}

/// Bind `src` onto `target`, optionally read-only (keeping the flags a user namespace locks).
fn bind(src: &Path, target: &Path, readonly: bool, recursive: bool) -> Result<(), SetupError> {
    let mut flags = MsFlags::MS_BIND;
    if recursive {
        flags |= MsFlags::MS_REC;
    }
    mnt(Some(src), target, None, flags, None)?;
    if readonly {
        let st = nix::sys::statvfs::statvfs(target)
            .map_err(|e| SetupError::sys(format!("statvfs {}", target.display()), e))?;
        let mut keep = MsFlags::empty();
        let f = st.flags();
        use nix::sys::statvfs::FsFlags;
        for (ff, mf) in [
            (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
            (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
            (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
            (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
            (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
            (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        ] {
            if f.contains(ff) {
                keep |= mf;
            }
        }
        mnt(
            None,
            target,
            None,
            MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | keep,
            None,
        )?;
    }
    Ok(())
}

fn pivot(root: &Path) -> Result<(), SetupError> {
    nix::unistd::chdir(root)
        .map_err(|e| SetupError::sys(format!("chdir {}", root.display()), e))?;
    nix::unistd::pivot_root(".", ".")
        .map_err(|e| SetupError::sys(format!("pivot_root into {}", root.display()), e))?;
    nix::mount::umount2(".", MntFlags::MNT_DETACH)
        .map_err(|e| SetupError::sys("detaching the old root", e))?;
    nix::unistd::chdir("/").map_err(|e| SetupError::sys("chdir /", e))
}

/// Bring `lo` up in a new network namespace.
pub(super) fn loopback_up() -> Result<(), SetupError> {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
    use std::os::fd::AsRawFd;
    let sock: OwnedFd = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| SetupError::sys("socket(AF_INET) for lo", e))?;
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (i, b) in b"lo".iter().enumerate() {
        req.ifr_name[i] = *b as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS reads the name from and writes the flags into `req`, a live,
    // properly sized ifreq; `sock` is an open socket.
    if unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) } < 0 {
        return Err(SetupError::sys("ioctl(SIOCGIFFLAGS, lo)", Errno::last()));
    }
    // SAFETY: ifru_flags is the union member SIOCGIFFLAGS just filled in.
    unsafe {
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    }
    // SAFETY: as above; SIOCSIFFLAGS only reads `req`.
    if unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) } < 0 {
        return Err(SetupError::sys("ioctl(SIOCSIFFLAGS, lo up)", Errno::last()));
    }
    Ok(())
}
