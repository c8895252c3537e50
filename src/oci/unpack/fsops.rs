//! Filesystem primitives relative to directory fds (stat, open, list, timestamps, recursive
//! removal) that never follow the last path component.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;

pub(super) fn os(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}

pub(super) fn as_raw(fd: BorrowedFd<'_>) -> i32 {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

pub(super) fn times(mtime: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

pub(super) fn set_times_at(pfd: BorrowedFd<'_>, leaf: &[u8], mtime: i64) -> io::Result<()> {
    rustix::fs::utimensat(pfd, os(leaf), &times(mtime), AtFlags::SYMLINK_NOFOLLOW)
        .map_err(Into::into)
}

/// The type of `leaf` in `dir` without following it, or `None` if absent.
pub(super) fn stat_at(dir: BorrowedFd<'_>, leaf: &[u8]) -> io::Result<Option<FileType>> {
    match rustix::fs::statat(dir, os(leaf), AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn open_dir_at(dir: BorrowedFd<'_>, leaf: &[u8]) -> io::Result<OwnedFd> {
    rustix::fs::openat(
        dir,
        os(leaf),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(Into::into)
}

pub(super) fn list_dir(dir: BorrowedFd<'_>) -> io::Result<Vec<Vec<u8>>> {
    let mut names = Vec::new();
    let mut d = rustix::fs::Dir::read_from(dir)?;
    while let Some(ent) = d.read() {
        let ent = ent?;
        let n = ent.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(n.to_vec());
        }
    }
    Ok(names)
}

/// Remove `leaf` in `dir` (recursively for directories) without following symlinks.
/// Missing is fine. Directories are made writable first so read-only trees can be removed.
pub(crate) fn remove_all_at(dir: BorrowedFd<'_>, leaf: &[u8]) -> io::Result<()> {
    match stat_at(dir, leaf)? {
        None => Ok(()),
        Some(FileType::Directory) => {
            let sub = open_dir_at(dir, leaf)?;
            let _ = rustix::fs::fchmod(&sub, Mode::from_raw_mode(0o700));
            for child in list_dir(sub.as_fd())? {
                remove_all_at(sub.as_fd(), &child)?;
            }
            match rustix::fs::unlinkat(dir, os(leaf), AtFlags::REMOVEDIR) {
                Ok(()) | Err(Errno::NOENT) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        Some(_) => match rustix::fs::unlinkat(dir, os(leaf), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        },
    }
}

/// What removes a tree an unprivileged caller may not (see [`set_tree_remover`]).
static REMOVER: std::sync::OnceLock<fn(&Path) -> io::Result<()>> = std::sync::OnceLock::new();

/// Let [`remove_tree`] hand a tree it may not remove (permission denied: entries a rootless
/// build's RUN steps or base layers gave to subordinate ids) to `f`, which removes it with the
/// rights that made it. Set once per process; later calls are ignored.
pub fn set_tree_remover(f: fn(&Path) -> io::Result<()>) {
    let _ = REMOVER.set(f);
}

/// Remove a directory tree by path, making read-only directories writable on the way
/// (unpacked layers may contain `0555` directories). Symlinks are not followed. What the
/// caller may not remove goes to the remover set with [`set_tree_remover`], if any.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    match remove_tree_here(path) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => match REMOVER.get() {
            Some(f) => f(path),
            None => Err(e),
        },
        r => r,
    }
}

fn remove_tree_here(path: &Path) -> io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("/"));
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no file name"));
    };
    let pfd = rustix::fs::open(
        if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        },
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    remove_all_at(pfd.as_fd(), name.as_bytes())
}
