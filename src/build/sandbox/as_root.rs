//! Storage work a builder without privileges cannot do on its own store, done by the helper as
//! container root inside a user namespace with the rootless sandbox's mapping (what rootless
//! buildah and podman get by running their storage code in that namespace):
//! - [`chown`]: give entries of a tree their owners (container ids), setuid/setgid bits kept;
//! - [`tar_dir`]: write a directory a RUN step produced as an uncompressed layer on stdout,
//!   reading files that belong to subordinate ids (a `0600` file of `USER 1000`) and seeing
//!   their owners as container ids, so no mapping back is needed;
//! - [`remove`]: remove a tree of the store holding entries of subordinate ids (pruning,
//!   cleaning up), which the user may not unlink.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};

use super::spec::{Owner, TarDir};
use super::userns::in_userns;
use super::SetupError;
use crate::oci::layer::{self, Compression, LayerOptions, WalkOptions};

/// Give each of `owners` (paths relative to `root`) its owner from inside a user namespace.
pub(super) fn chown(root: &Path, owners: &[Owner]) -> Result<i32, SetupError> {
    in_userns(|| {
        let tree = rustix::fs::open(
            root,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| SetupError::io(format!("opening {}", root.display()), &e.into()))?;
        // Entries come sorted, siblings together: each parent is resolved once per run.
        let mut parent_dir: Option<(&Path, OwnedFd)> = None;
        for o in owners {
            let (parent, leaf) = match (o.path.parent(), o.path.file_name()) {
                (Some(p), Some(l)) => (p, l),
                _ => (Path::new(""), OsStr::new(".")),
            };
            let dir = match parent_dir.take() {
                Some((p, fd)) if p == parent => fd,
                _ => open_parent(tree.as_fd(), root, parent)?,
            };
            chown_at(dir.as_fd(), leaf, root, o)?;
            parent_dir = Some((parent, dir));
        }
        Ok(0)
    })
}

/// `parent` (relative to the tree) resolved with the tree as "/": absolute symlinks and `..`
/// stay inside, the way the unpacker resolved it.
fn open_parent(tree: BorrowedFd<'_>, root: &Path, parent: &Path) -> Result<OwnedFd, SetupError> {
    rustix::fs::openat2(
        tree,
        if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        },
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
    .map_err(|e| {
        SetupError::io(
            format!("resolving {}", root.join(parent).display()),
            &e.into(),
        )
    })
}

/// Chown `leaf` of `dir` (never following it), setuid/setgid bits put back.
fn chown_at(dir: BorrowedFd<'_>, leaf: &OsStr, root: &Path, o: &Owner) -> Result<(), SetupError> {
    let shown = root.join(&o.path);
    let at = |what: &str, e: rustix::io::Errno| {
        SetupError::io(format!("{what} {}", shown.display()), &e.into())
    };
    let st = rustix::fs::statat(dir, leaf, AtFlags::SYMLINK_NOFOLLOW).map_err(|e| at("stat", e))?;
    rustix::fs::chownat(
        dir,
        leaf,
        Some(rustix::fs::Uid::from_raw(o.uid)),
        Some(rustix::fs::Gid::from_raw(o.gid)),
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .map_err(|e| {
        SetupError::Invalid(format!(
            "chown {}:{} {} in the user namespace: {e}; ids other than 0 need a range for this user in /etc/subuid and /etc/subgid (and newuidmap/newgidmap) that covers them",
            o.uid,
            o.gid,
            shown.display()
        ))
    })?;
    let mode = st.st_mode & 0o7777;
    let is_link = FileType::from_raw_mode(st.st_mode) == FileType::Symlink;
    if !is_link && mode & 0o6000 != 0 {
        // chown cleared setuid/setgid; the leaf is no symlink, so this does not follow one.
        rustix::fs::chmodat(dir, leaf, Mode::from_raw_mode(mode), AtFlags::empty())
            .map_err(|e| at("chmod", e))?;
    }
    Ok(())
}

/// Write `job.dir` as an uncompressed layer on stdout from inside a user namespace.
pub(super) fn tar_dir(job: &TarDir) -> Result<i32, SetupError> {
    in_userns(|| {
        let out = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| SetupError::io("duplicating stdout", &e))?;
        let opts = LayerOptions {
            compression: Compression::None,
            source_date_epoch: job.source_date_epoch,
            zstd_workers: 0,
            gzip_threads: 0,
        };
        let walk = WalkOptions {
            xattrs: job.xattrs,
            overlay_whiteouts: job.overlay_whiteouts,
        };
        layer::write_dir(&job.dir, File::from(out), &opts, &walk).map_err(|e| {
            SetupError::Invalid(format!(
                "writing {} as a layer in the user namespace: {e}",
                job.dir.display()
            ))
        })?;
        Ok(0)
    })
}

/// Remove the tree `path` from inside a user namespace.
pub(super) fn remove(path: &Path) -> Result<i32, SetupError> {
    in_userns(|| {
        crate::oci::unpack::remove_tree(path)
            .map_err(|e| SetupError::io(format!("removing {}", path.display()), &e))?;
        Ok(0)
    })
}
