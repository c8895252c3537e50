//! Copying filesystem entries with their metadata (mode, owner, times, xattrs), used to build
//! the stub layer, to materialise the chroot root and to write the chroot diff into upper.

use std::ffi::OsStr;
use std::fs::Metadata;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use nix::sys::stat::{utimensat, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;

/// Extended attributes overlayfs and SELinux manage themselves: never copied.
fn skipped_xattr(name: &[u8]) -> bool {
    name.starts_with(b"trusted.overlay.")
        || name.starts_with(b"user.overlay.")
        || name == b"security.selinux"
}

use crate::oci::layer::list_xattrs;

/// Copy the xattrs of `src` onto `dst` (both not followed); unsupported ones are skipped.
pub(crate) fn copy_xattrs(src: &Path, dst: &Path) -> io::Result<()> {
    let names = match list_xattrs(src) {
        Ok(n) => n,
        Err(e) if crate::oci::layer::is_unsupported(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        if skipped_xattr(name) {
            continue;
        }
        let key = OsStr::from_bytes(name);
        let Some(key) = key.to_str() else { continue };
        let value = match crate::oci::layer::get_xattr(src, key) {
            Ok(v) => v,
            Err(e) if crate::oci::layer::is_unsupported(&e) => continue,
            Err(e) => return Err(e),
        };
        match rustix::fs::lsetxattr(dst, key, &value, rustix::fs::XattrFlags::empty()) {
            Ok(()) => {}
            Err(e) if crate::oci::layer::is_unsupported(&e.into()) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Owner, mode (not for symlinks) and times of `md` onto `dst`. An owner the process cannot
/// set (an id unmapped in a user namespace) is left as is.
pub(crate) fn apply_meta(dst: &Path, md: &Metadata) -> io::Result<()> {
    match std::os::unix::fs::lchown(dst, Some(md.uid()), Some(md.gid())) {
        Ok(()) => {}
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::EPERM)) => {}
        Err(e) => return Err(e),
    }
    if !md.file_type().is_symlink() {
        std::fs::set_permissions(dst, std::fs::Permissions::from_mode(md.mode() & 0o7777))?;
    }
    set_times(dst, md)
}

/// Access and modification times of `md` onto `dst` (not followed).
pub(crate) fn set_times(dst: &Path, md: &Metadata) -> io::Result<()> {
    let at = TimeSpec::new(md.atime(), md.atime_nsec());
    let mt = TimeSpec::new(md.mtime(), md.mtime_nsec());
    utimensat(
        nix::fcntl::AT_FDCWD,
        dst,
        &at,
        &mt,
        UtimensatFlags::NoFollowSymlink,
    )
    .map_err(io::Error::from)
}

/// Create `dst` as a copy of the single entry `src` (a directory is created empty), with
/// xattrs, owner and mode; times are left to the caller for directories.
pub(crate) fn copy_entry(src: &Path, md: &Metadata, dst: &Path) -> io::Result<()> {
    let ft = md.file_type();
    if ft.is_dir() {
        std::fs::create_dir(dst)?;
    } else if ft.is_file() {
        std::fs::copy(src, dst)?;
    } else if ft.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, dst)?;
    } else {
        let kind = if ft.is_char_device() {
            SFlag::S_IFCHR
        } else if ft.is_block_device() {
            SFlag::S_IFBLK
        } else if ft.is_fifo() {
            SFlag::S_IFIFO
        } else {
            SFlag::S_IFSOCK
        };
        nix::sys::stat::mknod(
            dst,
            kind,
            Mode::from_bits_truncate(md.mode() & 0o7777),
            md.rdev(),
        )
        .map_err(io::Error::from)?;
    }
    copy_xattrs(src, dst)?;
    apply_meta(dst, md)
}

/// Remove a file, symlink or whole directory tree; a missing path is fine.
pub(crate) fn remove_all(p: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(p) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(md) if md.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
    }
}

/// Mark a directory opaque the way overlayfs does (trusted xattr as root, user xattr otherwise).
pub(crate) fn set_opaque(dir: &Path) -> io::Result<()> {
    let key = if nix::unistd::geteuid().is_root() {
        "trusted.overlay.opaque"
    } else {
        "user.overlay.opaque"
    };
    rustix::fs::lsetxattr(dir, key, b"y", rustix::fs::XattrFlags::empty()).map_err(io::Error::from)
}
