//! Writing a [`CopyPlan`] into an empty directory (the new layer in overlay form, or a
//! read-only snapshot whose unchanged files are hard links to their sources): files are
//! streamed (the kernel's `copy_file_range` through `std::io::copy`, never buffered whole),
//! symlinks and hardlinks recreated as such, owner, mode, security/user xattrs and mtimes set.
//! Directories are made first, then files in parallel, then hardlinks; directory modes are
//! applied last so restrictive directories do not block their children.
//! Local archives are unpacked with hoist's safe unpacker into a staging directory inside the
//! output (so nothing can land outside it), re-owned for `--chown`, then merged into place.

use std::collections::HashSet;
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use rustix::fs::{AtFlags, FileType, Mode, Timespec, Timestamps, CWD};

use super::add::open_decompressed;
use super::planned::{ArchiveOp, PEntry};
use super::{io_err, CopyPlan, FileKind, FsError};
use crate::oci::unpack::{is_root, unpack_tar, UnpackOptions, WhiteoutMode};

pub(crate) fn materialize(plan: &CopyPlan, out: &Path) -> Result<(), FsError> {
    materialize_with(plan, out, false)
}

/// Like [`materialize`], but with `link`, a regular file whose source already has exactly the
/// planned owner, mode, mtime and no extended attributes becomes a hard link to that source
/// instead of a copy (for read-only snapshots such as `RUN --mount=type=bind`: nothing may
/// write through them). Falls back to copying when linking fails (another filesystem).
pub(crate) fn materialize_with(plan: &CopyPlan, out: &Path, link: bool) -> Result<(), FsError> {
    let root = is_root();
    // 1. Directories, parents first (the map is sorted, so a parent precedes its children).
    let mut dirs: Vec<(PathBuf, &PEntry)> = Vec::new();
    let mut made: HashSet<&str> = HashSet::new();
    for (k, e) in plan.entries.iter().filter(|(_, e)| e.kind == FileKind::Dir) {
        let target = out.join(k);
        check_parent(out, k, &made)?;
        match std::fs::create_dir(&target) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                let md = std::fs::symlink_metadata(&target).map_err(io_err(&target))?;
                if !md.is_dir() {
                    return Err(io_err(&target)(err));
                }
            }
            Err(err) => return Err(io_err(&target)(err)),
        }
        // Owner now, mode at the end (so children can still be written).
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))
            .map_err(io_err(&target))?;
        chown(&target, e, root)?;
        set_xattrs(&target, e);
        made.insert(k.as_str());
        dirs.push((target, e));
    }
    // 2. Files, symlinks and special files, in parallel (their parents all exist now).
    let leaves: Vec<(&String, &PEntry)> = plan
        .entries
        .iter()
        .filter(|(_, e)| e.kind != FileKind::Dir && e.hardlink_to.is_none())
        .collect();
    leaves
        .par_iter()
        .try_for_each(|(k, e)| write_leaf(out, k, e, &made, root, link))?;
    // 3. Hardlinks to the files written above.
    for (k, e) in &plan.entries {
        if let Some(primary) = &e.hardlink_to {
            check_parent(out, k, &made)?;
            let target = out.join(k);
            remove_non_dir(&target)?;
            std::fs::hard_link(out.join(primary), &target).map_err(io_err(&target))?;
        }
    }
    // 4. Archives ADD unpacks.
    for a in &plan.archives {
        unpack_archive(a, out, root)?;
    }
    // 5. Directory modes and times, children first.
    for (p, e) in dirs.iter().rev() {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(e.mode)).map_err(io_err(p))?;
        set_mtime(p, e);
    }
    Ok(())
}

/// The parent of an entry must be a real directory: one written above, or checked on disk.
fn check_parent(out: &Path, k: &str, made: &HashSet<&str>) -> Result<(), FsError> {
    let parent = match k.rfind('/') {
        Some(i) => &k[..i],
        None => return Ok(()),
    };
    if made.contains(parent) {
        return Ok(());
    }
    let p = out.join(parent);
    let md = std::fs::symlink_metadata(&p).map_err(io_err(&p))?;
    if md.is_dir() {
        Ok(())
    } else {
        Err(FsError::Conflict {
            source_path: k.to_string(),
            dest: format!("/{k}"),
            reason: "a parent is not a directory in the new layer",
        })
    }
}

fn write_leaf(
    out: &Path,
    k: &str,
    e: &PEntry,
    made: &HashSet<&str>,
    root: bool,
    link: bool,
) -> Result<(), FsError> {
    check_parent(out, k, made)?;
    let target = out.join(k);
    match e.kind {
        FileKind::Dir => {}
        FileKind::File => {
            let Some(src) = &e.src else {
                return Ok(());
            };
            if link && linkable(src, e) && std::fs::hard_link(src, &target).is_ok() {
                return Ok(());
            }
            // Metadata through the open descriptor: no further path lookups.
            let w = copy_bytes(src, &target)?;
            match std::os::unix::fs::fchown(&w, Some(e.uid), Some(e.gid)) {
                Ok(()) => {}
                Err(err) if !root && err.raw_os_error() == Some(1) => {}
                Err(err) => return Err(io_err(&target)(err)),
            }
            w.set_permissions(std::fs::Permissions::from_mode(e.mode))
                .map_err(io_err(&target))?;
            for (k, v) in &e.xattrs {
                let _ = rustix::fs::fsetxattr(&w, k.as_str(), v, rustix::fs::XattrFlags::empty());
            }
            if let Some((sec, ns)) = e.mtime {
                let t = Timespec {
                    tv_sec: sec,
                    tv_nsec: ns as _,
                };
                let _ = rustix::fs::futimens(
                    &w,
                    &Timestamps {
                        last_access: t,
                        last_modification: t,
                    },
                );
            }
        }
        FileKind::Symlink => {
            let t = e.link_target.as_deref().unwrap_or("");
            if let Err(err) = std::os::unix::fs::symlink(t, &target) {
                if err.kind() != io::ErrorKind::AlreadyExists {
                    return Err(io_err(&target)(err));
                }
                remove_non_dir(&target)?;
                std::os::unix::fs::symlink(t, &target).map_err(io_err(&target))?;
            }
            chown(&target, e, root)?;
            set_mtime(&target, e);
        }
        FileKind::CharDev | FileKind::BlockDev | FileKind::Fifo | FileKind::Socket => {
            remove_non_dir(&target)?;
            let ft = match e.kind {
                FileKind::CharDev => FileType::CharacterDevice,
                FileKind::BlockDev => FileType::BlockDevice,
                FileKind::Fifo => FileType::Fifo,
                _ => FileType::Socket,
            };
            rustix::fs::mknodat(CWD, &target, ft, Mode::from_raw_mode(e.mode), e.rdev)
                .map_err(|err| io_err(&target)(err.into()))?;
            chown(&target, e, root)?;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(e.mode))
                .map_err(io_err(&target))?;
            set_mtime(&target, e);
        }
    }
    Ok(())
}

/// Whether `src` already looks exactly like the planned entry `e` (so a hard link to it is
/// indistinguishable from a copy, as long as nothing writes through it).
fn linkable(src: &Path, e: &PEntry) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(md) = std::fs::symlink_metadata(src) else {
        return false;
    };
    md.is_file()
        && md.uid() == e.uid
        && md.gid() == e.gid
        && md.mode() & 0o7777 == e.mode
        && e.mtime == Some((md.mtime(), md.mtime_nsec()))
        && e.xattrs.is_empty()
        && rustix::fs::llistxattr(src, &mut [0u8; 1][..]).is_ok_and(|n| n == 0)
}

/// Replace a file or symlink an earlier source of the same COPY put here.
fn remove_non_dir(p: &Path) -> Result<(), FsError> {
    match std::fs::symlink_metadata(p) {
        Ok(md) if md.is_dir() => Err(FsError::Conflict {
            source_path: p.display().to_string(),
            dest: p.display().to_string(),
            reason: "cannot replace a directory with a file",
        }),
        Ok(_) => std::fs::remove_file(p).map_err(io_err(p)),
        Err(_) => Ok(()),
    }
}

/// Stream one file's bytes (bounded memory: `io::copy` uses `copy_file_range`/`sendfile`
/// between files, or a small buffer).
fn copy_bytes(src: &Path, dst: &Path) -> Result<std::fs::File, FsError> {
    // Never follow a symlink swapped in after planning.
    let mut r = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(src)
        .map_err(io_err(src))?;
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(dst)
    };
    let mut w = match open() {
        Ok(w) => w,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            remove_non_dir(dst)?;
            open().map_err(io_err(dst))?
        }
        Err(e) => return Err(io_err(dst)(e)),
    };
    io::copy(&mut r, &mut w).map_err(io_err(dst))?;
    Ok(w)
}

/// Owner of an entry. Without root, only our own ids can be set; other ids are left to the
/// caller's id mapping (rootless builds), so EPERM is tolerated there.
fn chown(p: &Path, e: &PEntry, root: bool) -> Result<(), FsError> {
    match std::os::unix::fs::lchown(p, Some(e.uid), Some(e.gid)) {
        Ok(()) => Ok(()),
        Err(err) if !root && err.raw_os_error() == Some(1) => Ok(()),
        Err(err) => Err(io_err(p)(err)),
    }
}

fn set_xattrs(p: &Path, e: &PEntry) {
    for (k, v) in &e.xattrs {
        // Best effort like BuildKit (its copier logs and ignores xattr errors).
        let _ = rustix::fs::lsetxattr(p, k.as_str(), v, rustix::fs::XattrFlags::empty());
    }
}

fn set_mtime(p: &Path, e: &PEntry) {
    if let Some((s, ns)) = e.mtime {
        let t = Timespec {
            tv_sec: s,
            tv_nsec: ns as _,
        };
        let _ = rustix::fs::utimensat(
            CWD,
            p,
            &Timestamps {
                last_access: t,
                last_modification: t,
            },
            AtFlags::SYMLINK_NOFOLLOW,
        );
    }
}

fn unpack_archive(a: &ArchiveOp, out: &Path, root: bool) -> Result<(), FsError> {
    let dest = out.join(&a.dest);
    let staging = tempfile::Builder::new()
        .prefix(".hoist-add-")
        .tempdir_in(out)
        .map_err(io_err(out))?;
    let r = open_decompressed(&a.host)?;
    let opts = UnpackOptions {
        whiteouts: WhiteoutMode::Apply,
        same_owner: root && a.chown.is_none(),
        xattrs: true,
        devices: root,
        expected_diff_id: None,
    };
    unpack_tar(r, staging.path(), &opts).map_err(|source| FsError::Unpack {
        archive: a.source.clone(),
        source,
    })?;
    if let Some((uid, gid)) = a.chown {
        chown_tree(staging.path(), uid, gid, root)?;
    }
    merge_move(staging.path(), &dest)?;
    Ok(())
}

fn chown_tree(dir: &Path, uid: u32, gid: u32, root: bool) -> Result<(), FsError> {
    for e in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let e = e.map_err(io_err(dir))?;
        let p = e.path();
        let md = std::fs::symlink_metadata(&p).map_err(io_err(&p))?;
        let mode = md.permissions().mode();
        match std::os::unix::fs::lchown(&p, Some(uid), Some(gid)) {
            Ok(()) => {}
            Err(err) if !root && err.raw_os_error() == Some(1) => {}
            Err(err) => return Err(io_err(&p)(err)),
        }
        if md.is_dir() {
            chown_tree(&p, uid, gid, root)?;
        } else if !md.file_type().is_symlink() && mode & 0o6000 != 0 {
            // chown cleared setuid/setgid; the archive's mode wins.
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode & 0o7777));
        }
    }
    Ok(())
}

/// Move everything from `src` into `dst` (same filesystem), merging directories; an entry of
/// another type at the destination is replaced, as Docker's untar does.
fn merge_move(src: &Path, dst: &Path) -> Result<(), FsError> {
    for e in std::fs::read_dir(src).map_err(io_err(src))? {
        let e = e.map_err(io_err(src))?;
        let s = e.path();
        let d = dst.join(e.file_name());
        let smd = std::fs::symlink_metadata(&s).map_err(io_err(&s))?;
        match std::fs::symlink_metadata(&d) {
            Err(_) => std::fs::rename(&s, &d).map_err(io_err(&d))?,
            Ok(dmd) if smd.is_dir() && dmd.is_dir() => {
                merge_move(&s, &d)?;
                std::fs::set_permissions(&d, smd.permissions()).map_err(io_err(&d))?;
                {
                    use std::os::unix::fs::MetadataExt;
                    let _ = std::os::unix::fs::lchown(&d, Some(smd.uid()), Some(smd.gid()));
                }
                std::fs::remove_dir(&s).map_err(io_err(&s))?;
            }
            Ok(dmd) => {
                if dmd.is_dir() {
                    crate::oci::unpack::remove_tree(&d).map_err(io_err(&d))?;
                } else {
                    std::fs::remove_file(&d).map_err(io_err(&d))?;
                }
                std::fs::rename(&s, &d).map_err(io_err(&d))?;
            }
        }
    }
    Ok(())
}
