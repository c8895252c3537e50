//! Directory walker: scans a directory tree (metadata, xattrs, hardlinks, overlayfs
//! whiteouts) and writes it as a sorted, reproducible layer through [`LayerWriter`].

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::entry::sort_key;
use super::{
    io_err, EntryKind, EntryMeta, LayerEntry, LayerError, LayerInfo, LayerOptions, LayerWriter,
};

/// Options for [`write_dir`].
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Record extended attributes (except `security.selinux` and overlay's own).
    pub xattrs: bool,
    /// Treat the directory as an overlayfs upper dir: 0/0 character devices become `.wh.`
    /// whiteouts and directories marked `trusted.overlay.opaque=y` (or `user.overlay.opaque`)
    /// get an opaque whiteout.
    pub overlay_whiteouts: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            xattrs: true,
            overlay_whiteouts: false,
        }
    }
}

struct Scanned {
    entry: LayerEntry,
    source: Option<PathBuf>,
    name: Vec<u8>,
}

/// Write the contents of `dir` (not `dir` itself) as a layer.
pub fn write_dir<W: Write>(
    dir: &Path,
    out: W,
    opts: &LayerOptions,
    walk: &WalkOptions,
) -> Result<(W, LayerInfo), LayerError> {
    write_dir_owned(dir, out, opts, walk, &|_, uid, gid| (uid, gid))
}

/// The owner an entry gets in the layer: from its path (relative to the walked dir) and its
/// uid and gid on disk.
pub type OwnerFn<'a> = &'a dyn Fn(&Path, u32, u32) -> (u32, u32);

/// [`write_dir`] with the owners of entries given by `owner` (a store of shifted ids, as a
/// rootless builder keeps, maps them back to the image's).
pub fn write_dir_owned<W: Write>(
    dir: &Path,
    out: W,
    opts: &LayerOptions,
    walk: &WalkOptions,
    owner: OwnerFn,
) -> Result<(W, LayerInfo), LayerError> {
    let mut scanned = Vec::new();
    scan(dir, Path::new(""), walk, owner, &mut scanned)?;
    scanned.sort_by(|a, b| sort_key(&a.name).cmp(&sort_key(&b.name)));
    let mut w = LayerWriter::new(out, opts)?;
    let mut inodes: HashMap<(u64, u64), PathBuf> = HashMap::new();
    for s in &mut scanned {
        if let (Some(src), EntryKind::File { .. }) = (&s.source, &s.entry.kind) {
            let md = fs::symlink_metadata(src).map_err(io_err(src))?;
            if md.nlink() > 1 {
                if let Some(first) = inodes.get(&(md.dev(), md.ino())) {
                    s.entry.kind = EntryKind::Hardlink {
                        target: first.clone(),
                    };
                    w.append(&s.entry, None)?;
                    continue;
                }
                inodes.insert((md.dev(), md.ino()), s.entry.path.clone());
            }
            let mut f = File::options()
                .read(true)
                .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
                .open(src)
                .map_err(io_err(src))?;
            w.append(&s.entry, Some(&mut f))?;
        } else {
            w.append(&s.entry, None)?;
        }
    }
    w.finish()
}

fn read_xattrs(
    path: &Path,
    overlay: bool,
) -> Result<(BTreeMap<String, Vec<u8>>, bool), LayerError> {
    let mut out = BTreeMap::new();
    let mut opaque = false;
    let names = match list_xattrs(path) {
        Ok(n) => n,
        Err(e) if is_unsupported(&e) => return Ok((out, false)),
        Err(e) => return Err(io_err(path)(e)),
    };
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let Ok(key) = std::str::from_utf8(name) else {
            continue;
        };
        let value = match get_xattr(path, key) {
            Ok(v) => v,
            Err(e) if e.kind() == io::ErrorKind::NotFound || is_unsupported(&e) => continue,
            Err(e) => return Err(io_err(path)(e)),
        };
        if key == "trusted.overlay.opaque" || key == "user.overlay.opaque" {
            opaque = overlay && value == b"y";
            continue;
        }
        if key == "security.selinux"
            || key.starts_with("trusted.overlay.")
            || key.starts_with("user.overlay.")
        {
            continue;
        }
        out.insert(key.to_string(), value);
    }
    Ok((out, opaque))
}

pub(crate) fn is_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(code) if code == rustix::io::Errno::NOTSUP.raw_os_error()
            || code == rustix::io::Errno::NODATA.raw_os_error()
            || code == rustix::io::Errno::PERM.raw_os_error()
            || code == rustix::io::Errno::ACCESS.raw_os_error()
    )
}

pub(crate) fn list_xattrs(path: &Path) -> io::Result<Vec<u8>> {
    loop {
        let len = rustix::fs::llistxattr_query(path)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; len];
        match rustix::fs::llistxattr(path, &mut buf[..]) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(rustix::io::Errno::RANGE) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

pub(crate) fn get_xattr(path: &Path, name: &str) -> io::Result<Vec<u8>> {
    loop {
        let len = rustix::fs::lgetxattr_query(path, name)?;
        let mut buf = vec![0u8; len];
        if len == 0 {
            return Ok(buf);
        }
        match rustix::fs::lgetxattr(path, name, &mut buf[..]) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(rustix::io::Errno::RANGE) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn scan(
    root: &Path,
    rel: &Path,
    walk: &WalkOptions,
    owner: OwnerFn,
    out: &mut Vec<Scanned>,
) -> Result<(), LayerError> {
    let dir = root.join(rel);
    let rd = fs::read_dir(&dir).map_err(io_err(&dir))?;
    for item in rd {
        let item = item.map_err(io_err(&dir))?;
        let full = item.path();
        let rel_path = rel.join(item.file_name());
        let md = fs::symlink_metadata(&full).map_err(io_err(&full))?;
        let ft = md.file_type();
        let (xattrs, opaque) = if walk.xattrs || walk.overlay_whiteouts {
            let (x, o) = read_xattrs(&full, walk.overlay_whiteouts)?;
            (if walk.xattrs { x } else { BTreeMap::new() }, o)
        } else {
            (BTreeMap::new(), false)
        };
        let (uid, gid) = owner(&rel_path, md.uid(), md.gid());
        let meta = EntryMeta {
            mode: md.mode() & 0o7777,
            uid: u64::from(uid),
            gid: u64::from(gid),
            mtime: md.mtime(),
            xattrs,
        };
        let dev = rustix::fs::Dev::from(md.rdev());
        let (kind, source) = if ft.is_dir() {
            (EntryKind::Dir, None)
        } else if ft.is_file() {
            (EntryKind::File { size: md.len() }, Some(full.clone()))
        } else if ft.is_symlink() {
            let t = fs::read_link(&full).map_err(io_err(&full))?;
            (EntryKind::Symlink { target: t }, None)
        } else if ft.is_char_device() {
            if walk.overlay_whiteouts && md.rdev() == 0 {
                (EntryKind::Whiteout, None)
            } else {
                let (major, minor) = (rustix::fs::major(dev), rustix::fs::minor(dev));
                (EntryKind::CharDevice { major, minor }, None)
            }
        } else if ft.is_block_device() {
            let (major, minor) = (rustix::fs::major(dev), rustix::fs::minor(dev));
            (EntryKind::BlockDevice { major, minor }, None)
        } else if ft.is_fifo() {
            (EntryKind::Fifo, None)
        } else {
            // Sockets cannot be stored in a tar; skip them like other tools do.
            continue;
        };
        let is_dir = matches!(kind, EntryKind::Dir);
        let entry = LayerEntry {
            path: rel_path.clone(),
            kind,
            meta: meta.clone(),
        };
        let name = entry.tar_name()?;
        out.push(Scanned {
            entry,
            source,
            name,
        });
        if is_dir {
            if opaque {
                let e = LayerEntry {
                    path: rel_path.clone(),
                    kind: EntryKind::OpaqueWhiteout,
                    meta: EntryMeta {
                        mtime: meta.mtime,
                        ..EntryMeta::default()
                    },
                };
                let name = e.tar_name()?;
                out.push(Scanned {
                    entry: e,
                    source: None,
                    name,
                });
            }
            scan(root, &rel_path, walk, owner, out)?;
        }
    }
    Ok(())
}
