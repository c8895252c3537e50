//! The container's minimal /dev: null, zero, full, random, urandom, tty (bind-mounted from the
//! host in namespaces/rootless mode, created with mknod in chroot mode), /dev/pts, /dev/shm
//! and the standard symlinks.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use nix::sys::stat::{Mode, SFlag};

use super::SetupError;

/// Device nodes: name, major, minor.
pub(super) const NODES: [(&str, u64, u64); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

const LINKS: [(&str, &str); 5] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
];

fn mnt(
    src: Option<&str>,
    target: &Path,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<(), SetupError> {
    nix::mount::mount(src, target, fstype, flags, data).map_err(|e| {
        SetupError::sys(
            format!(
                "mount {} ({}) on {}",
                src.unwrap_or("none"),
                fstype.unwrap_or("bind"),
                target.display()
            ),
            e,
        )
    })
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> SetupError {
    move |e| SetupError::io(what, &e)
}

/// Mount a tmpfs /dev at `dev` (an existing dir in the new root) and populate it.
pub(super) fn mount_dev(dev: &Path, rootless: bool) -> Result<(), SetupError> {
    let nosuid = MsFlags::MS_NOSUID;
    mnt(
        Some("tmpfs"),
        dev,
        Some("tmpfs"),
        nosuid | MsFlags::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )?;
    for (name, _, _) in NODES {
        let host = Path::new("/dev").join(name);
        let p = dev.join(name);
        std::fs::File::create(&p).map_err(io(format!("creating {}", p.display())))?;
        mnt(host.to_str(), &p, None, MsFlags::MS_BIND, None)?;
    }
    let pts = dev.join("pts");
    std::fs::create_dir(&pts).map_err(io(format!("creating {}", pts.display())))?;
    let pts_opts = if rootless {
        "newinstance,ptmxmode=0666,mode=620"
    } else {
        "newinstance,ptmxmode=0666,mode=620,gid=5"
    };
    mnt(
        Some("devpts"),
        &pts,
        Some("devpts"),
        nosuid | MsFlags::MS_NOEXEC,
        Some(pts_opts),
    )?;
    let shm = dev.join("shm");
    std::fs::create_dir(&shm).map_err(io(format!("creating {}", shm.display())))?;
    mnt(
        Some("shm"),
        &shm,
        Some("tmpfs"),
        nosuid | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=1777,size=65536k"),
    )?;
    links(dev)?;
    Ok(())
}

fn links(dev: &Path) -> Result<Vec<PathBuf>, SetupError> {
    let mut made = Vec::new();
    for (name, target) in LINKS {
        let p = dev.join(name);
        match std::os::unix::fs::symlink(target, &p) {
            Ok(()) => made.push(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(SetupError::io(format!("creating {}", p.display()), &e)),
        }
    }
    Ok(made)
}

/// Chroot mode: create what is missing of /dev inside `dev` (an existing dir of the copied
/// root) without mounting; device nodes need CAP_MKNOD and are skipped without it. Returns the
/// paths created (removed again after the run).
pub(super) fn populate_dev(dev: &Path) -> Result<Vec<PathBuf>, SetupError> {
    let mut made = Vec::new();
    for (name, major, minor) in NODES {
        let p = dev.join(name);
        if std::fs::symlink_metadata(&p).is_ok() {
            continue;
        }
        let perm = Mode::from_bits_truncate(0o666);
        match nix::sys::stat::mknod(
            &p,
            SFlag::S_IFCHR,
            perm,
            nix::sys::stat::makedev(major, minor),
        ) {
            Ok(()) => {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666))
                    .map_err(io(format!("chmod {}", p.display())))?;
                made.push(p);
            }
            Err(nix::errno::Errno::EPERM) => {}
            Err(e) => return Err(SetupError::sys(format!("mknod {}", p.display()), e)),
        }
    }
    for (name, mode) in [("pts", 0o755), ("shm", 0o1777)] {
        let p = dev.join(name);
        match std::fs::create_dir(&p) {
            Ok(()) => {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
                    .map_err(io(format!("chmod {}", p.display())))?;
                made.push(p);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(SetupError::io(format!("creating {}", p.display()), &e)),
        }
    }
    made.extend(links(dev)?);
    Ok(made)
}
