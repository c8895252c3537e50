//! Safe layer extraction with OCI semantics.
//!
//! [`unpack_layer`] streams a (gzip/zstd/plain) layer blob onto a directory and returns the
//! diffID of the decompressed stream, computed while extracting. Whiteouts are either applied
//! ([`WhiteoutMode::Apply`]: `.wh.name` deletes `name` from what is already in the target,
//! `.wh..wh..opq` empties the directory, both only for content that did not come from this same
//! layer) or converted to overlayfs form ([`WhiteoutMode::Overlay`]: 0/0 character devices and
//! the `overlay.opaque` xattr), which is how the store keeps per-layer lower dirs.
//!
//! Safety model (hand-written, on directory file descriptors via `rustix`): every entry path is
//! cleaned first (a leading `/` is dropped, `..` anywhere is refused), then its parent directory
//! is resolved one component at a time with `openat(O_NOFOLLOW|O_DIRECTORY)` starting from the
//! target's fd. Symlinks met on the way are followed *inside* the target with chroot semantics
//! (an absolute or `..`-climbing target never leaves the root), and the last component is always
//! created with `*at` calls relative to the parent fd without following it (`O_CREAT|O_EXCL`,
//! `symlinkat`, `mknodat`, `linkat` without `AT_SYMLINK_FOLLOW`). Hardlink targets are resolved
//! the same way, so they stay inside. Whiteout names `.`/`..`/empty and `.wh.` used as a
//! directory are refused; device nodes are skipped unless allowed (default: only as root);
//! layer xattrs in the `trusted.overlay.`/`user.overlay.` namespaces are dropped. The `tar`
//! crate only parses headers (including PAX and GNU long names); it never touches the disk.
//!
//! Memory: a 1 MiB read buffer, the decompressor's window, and one small record per directory
//! (its mode and mtime are applied at the end) and per path of the layer (to know what this
//! layer created when a whiteout comes later).

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;

use super::digest::{Digest, Sha256Reader};
use super::media::{sniff_compression, LayerCompression};

const BUF: usize = 1 << 20;
const MAX_SYMLINKS: usize = 40;

/// Errors from unpacking.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The entry (relative to the target) or the target.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// The layer tried something unsafe; nothing was written for this entry.
    #[error("refusing layer entry {path:?}: {reason}")]
    Unsafe {
        /// The entry name as found in the tar.
        path: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// An entry type hoist does not extract (e.g. GNU sparse files).
    #[error("unsupported layer entry {path:?} ({kind})")]
    Unsupported {
        /// The entry name.
        path: String,
        /// The tar type.
        kind: String,
    },
    /// The tar stream itself is malformed.
    #[error("malformed layer: {0}")]
    Tar(io::Error),
    /// The decompressed stream does not hash to the expected diffID.
    #[error("layer diffID mismatch: expected {expected}, got {actual}")]
    DiffIdMismatch {
        /// What the caller expected.
        expected: Digest,
        /// What the stream hashed to.
        actual: Digest,
    },
}

/// How whiteout entries are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhiteoutMode {
    /// Apply them to what is already in the target (unpacking layers onto one rootfs).
    #[default]
    Apply,
    /// Turn them into overlayfs whiteouts (for per-layer lower directories).
    Overlay(OverlayXattr),
}

/// Which xattr namespace marks opaque directories in overlay mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayXattr {
    /// `trusted.overlay.opaque` (needs CAP_SYS_ADMIN; classic overlayfs).
    Trusted,
    /// `user.overlay.opaque` (overlayfs mounted with `userxattr`, rootless).
    User,
}

/// Options for unpacking.
#[derive(Debug, Clone)]
pub struct UnpackOptions {
    /// Whiteout handling.
    pub whiteouts: WhiteoutMode,
    /// Give entries the layer's uid/gid (default: when running as root).
    pub same_owner: bool,
    /// Restore extended attributes (unsupported ones are counted in `skipped`).
    pub xattrs: bool,
    /// Create character/block devices (default: when running as root); otherwise skipped.
    pub devices: bool,
    /// Fail if the decompressed stream does not hash to this diffID.
    pub expected_diff_id: Option<Digest>,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        let root = is_root();
        UnpackOptions {
            whiteouts: WhiteoutMode::Apply,
            same_owner: root,
            xattrs: true,
            devices: root,
            expected_diff_id: None,
        }
    }
}

/// True when the effective uid is 0.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// What an unpack did.
#[derive(Debug, Clone)]
pub struct UnpackStats {
    /// sha256 of the decompressed tar stream.
    pub diff_id: Digest,
    /// Its size.
    pub uncompressed_size: u64,
    /// Entries extracted (including whiteouts handled).
    pub entries: u64,
    /// Entries or attributes skipped, with the reason (devices when not allowed, xattrs the
    /// filesystem refuses, AUFS metadata).
    pub skipped: Vec<String>,
}

/// Unpack a layer blob, detecting gzip/zstd/plain tar from its first bytes.
pub fn unpack_layer<R: Read>(
    blob: R,
    target: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackStats, UnpackError> {
    let mut br = BufReader::with_capacity(BUF, blob);
    let head = fill_head(&mut br).map_err(UnpackError::Tar)?;
    match sniff_compression(&head) {
        LayerCompression::None => unpack_tar(br, target, opts),
        LayerCompression::Gzip => {
            unpack_tar(flate2::bufread::MultiGzDecoder::new(br), target, opts)
        }
        LayerCompression::Zstd => {
            let z = zstd::stream::read::Decoder::with_buffer(br).map_err(UnpackError::Tar)?;
            unpack_tar(z, target, opts)
        }
    }
}

fn fill_head<R: Read>(br: &mut BufReader<R>) -> io::Result<Vec<u8>> {
    use std::io::BufRead;
    let buf = br.fill_buf()?;
    Ok(buf.get(..4).unwrap_or(buf).to_vec())
}

/// Unpack an uncompressed tar stream.
pub fn unpack_tar<R: Read>(
    tar_stream: R,
    target: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackStats, UnpackError> {
    let root: OwnedFd = rustix::fs::open(
        target,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io_err(&target.display().to_string(), e.into()))?;
    let hashed = Sha256Reader::new(BufReader::with_capacity(BUF, tar_stream));
    let mut reader = TarReader::new(hashed);
    let mut u = Unpacker {
        root,
        opts,
        created: HashSet::new(),
        dirs: Vec::new(),
        skipped: Vec::new(),
        buf: vec![0; BUF],
        entries: 0,
    };
    while let Some(entry) = reader.next_entry()? {
        u.entry(&entry, &mut reader)?;
    }
    u.finish_dirs()?;
    let mut rest = reader.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(UnpackError::Tar)?;
    let (_, diff_id, uncompressed_size) = rest.finish();
    if let Some(expected) = &opts.expected_diff_id {
        if *expected != diff_id {
            return Err(UnpackError::DiffIdMismatch {
                expected: expected.clone(),
                actual: diff_id,
            });
        }
    }
    Ok(UnpackStats {
        diff_id,
        uncompressed_size,
        entries: u.entries,
        skipped: u.skipped,
    })
}

fn io_err(path: &str, source: io::Error) -> UnpackError {
    UnpackError::Io {
        path: path.to_string(),
        source,
    }
}

fn unsafe_entry(path: &[u8], reason: &'static str) -> UnpackError {
    UnpackError::Unsafe {
        path: String::from_utf8_lossy(path).into_owned(),
        reason,
    }
}

/// Split a tar path into clean components: empty and `.` parts dropped (so a leading `/` is
/// ignored), `..` refused, NUL refused.
pub fn clean_path(raw: &[u8]) -> Result<Vec<&[u8]>, UnpackError> {
    let mut out = Vec::new();
    for c in raw.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err(unsafe_entry(raw, "path contains '..'")),
            c if c.contains(&0) => return Err(unsafe_entry(raw, "path contains NUL")),
            c => out.push(c),
        }
    }
    Ok(out)
}

struct Meta {
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: i64,
    xattrs: Vec<(String, Vec<u8>)>,
}

struct Unpacker<'o> {
    root: OwnedFd,
    opts: &'o UnpackOptions,
    /// Paths (joined with `/`) this layer created, for whiteout semantics.
    created: HashSet<Vec<u8>>,
    /// Directories whose mode/mtime are applied at the end.
    dirs: Vec<(Vec<u8>, u32, i64)>,
    skipped: Vec<String>,
    buf: Vec<u8>,
    entries: u64,
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&b'/')
}

fn os(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}

impl Unpacker<'_> {
    fn entry<R: Read>(
        &mut self,
        entry: &TarEntry,
        data: &mut TarReader<R>,
    ) -> Result<(), UnpackError> {
        let raw: &[u8] = &entry.path;
        let shown = String::from_utf8_lossy(raw).into_owned();
        let kind = entry.kind;
        if matches!(kind, tar::EntryType::XGlobalHeader) {
            return Ok(());
        }
        let comps = clean_path(raw)?;
        for c in comps.iter().take(comps.len().saturating_sub(1)) {
            if c.starts_with(b".wh.") {
                return Err(unsafe_entry(raw, "whiteout name used as a directory"));
            }
        }
        let meta = Self::meta(entry);
        self.entries += 1;
        let Some((&leaf, parent)) = comps.split_last() else {
            // The root itself: only a directory entry makes sense.
            if kind.is_dir() {
                let r = open_dir_at(self.root.as_fd(), b".").map_err(|e| io_err(&shown, e))?;
                self.own_fd(r.as_fd(), &meta, &shown)?;
                self.dirs.push((Vec::new(), meta.mode, meta.mtime));
                return Ok(());
            }
            return Err(unsafe_entry(raw, "non-directory entry for the root"));
        };
        if let Some(name) = leaf.strip_prefix(b".wh.") {
            return self.whiteout(raw, parent, name);
        }
        let key = join(&comps);
        let pfd = self
            .resolve(parent, true, raw)?
            .ok_or_else(|| io_err(&shown, io::Error::from(io::ErrorKind::NotFound)))?;
        let pfd = pfd.as_fd();
        match kind {
            tar::EntryType::Directory => {
                let existing = stat_at(pfd, leaf);
                let is_dir = matches!(&existing, Ok(Some(ft)) if *ft == FileType::Directory);
                if !is_dir {
                    if matches!(existing, Ok(Some(_))) {
                        remove_all_at(pfd, leaf).map_err(|e| io_err(&shown, e))?;
                    }
                    rustix::fs::mkdirat(pfd, os(leaf), Mode::from_raw_mode(0o700))
                        .map_err(|e| io_err(&shown, e.into()))?;
                }
                let dfd = open_dir_at(pfd, leaf).map_err(|e| io_err(&shown, e))?;
                self.own_fd(dfd.as_fd(), &meta, &shown)?;
                self.dirs.push((key.clone(), meta.mode, meta.mtime));
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                self.clear(pfd, leaf, &shown)?;
                let fd = rustix::fs::openat(
                    pfd,
                    os(leaf),
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .map_err(|e| io_err(&shown, e.into()))?;
                let mut f = File::from(fd);
                self.copy(data, &mut f, &shown)?;
                self.own_fd(f.as_fd(), &meta, &shown)?;
                rustix::fs::fchmod(&f, Mode::from_raw_mode(meta.mode))
                    .map_err(|e| io_err(&shown, e.into()))?;
                rustix::fs::futimens(&f, &times(meta.mtime))
                    .map_err(|e| io_err(&shown, e.into()))?;
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link
                    .clone()
                    .ok_or_else(|| unsafe_entry(raw, "symlink without a target"))?;
                self.clear(pfd, leaf, &shown)?;
                rustix::fs::symlinkat(os(&target), pfd, os(leaf))
                    .map_err(|e| io_err(&shown, e.into()))?;
                self.own_at(pfd, leaf, &meta, &shown)?;
                set_times_at(pfd, leaf, meta.mtime).map_err(|e| io_err(&shown, e))?;
            }
            tar::EntryType::Link => {
                let target = entry
                    .link
                    .clone()
                    .ok_or_else(|| unsafe_entry(raw, "hardlink without a target"))?;
                let tcomps = clean_path(&target)?;
                if tcomps.iter().any(|c| c.starts_with(b".wh.")) {
                    return Err(unsafe_entry(raw, "hardlink to a whiteout"));
                }
                let Some((&tleaf, tparent)) = tcomps.split_last() else {
                    return Err(unsafe_entry(raw, "hardlink to the root"));
                };
                if join(&tcomps) == key {
                    return Ok(());
                }
                let tfd = self
                    .resolve(tparent, false, raw)?
                    .ok_or_else(|| unsafe_entry(raw, "hardlink target does not exist"))?;
                match stat_at(tfd.as_fd(), tleaf) {
                    Ok(Some(FileType::Directory)) => {
                        return Err(unsafe_entry(raw, "hardlink to a directory"))
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => return Err(unsafe_entry(raw, "hardlink target does not exist")),
                    Err(e) => return Err(io_err(&shown, e)),
                }
                self.clear(pfd, leaf, &shown)?;
                rustix::fs::linkat(tfd.as_fd(), os(tleaf), pfd, os(leaf), AtFlags::empty())
                    .map_err(|e| io_err(&shown, e.into()))?;
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let ft = match kind {
                    tar::EntryType::Char => FileType::CharacterDevice,
                    tar::EntryType::Block => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                if ft != FileType::Fifo && !self.opts.devices {
                    self.skipped
                        .push(format!("{shown}: device node (not allowed)"));
                    return Ok(());
                }
                let (major, minor) = entry.dev;
                self.clear(pfd, leaf, &shown)?;
                let dev = rustix::fs::makedev(major, minor);
                rustix::fs::mknodat(pfd, os(leaf), ft, Mode::from_raw_mode(0o600), dev)
                    .map_err(|e| io_err(&shown, e.into()))?;
                self.own_at(pfd, leaf, &meta, &shown)?;
                rustix::fs::chmodat(
                    pfd,
                    os(leaf),
                    Mode::from_raw_mode(meta.mode),
                    AtFlags::empty(),
                )
                .map_err(|e| io_err(&shown, e.into()))?;
                set_times_at(pfd, leaf, meta.mtime).map_err(|e| io_err(&shown, e))?;
            }
            other => {
                return Err(UnpackError::Unsupported {
                    path: shown,
                    kind: format!("{other:?}"),
                })
            }
        }
        self.created.insert(key);
        Ok(())
    }

    fn meta(entry: &TarEntry) -> Meta {
        let xattrs = entry
            .xattrs
            .iter()
            .filter(|(k, _)| !k.starts_with("trusted.overlay.") && !k.starts_with("user.overlay."))
            .cloned()
            .collect();
        Meta {
            mode: entry.mode & 0o7777,
            uid: entry.uid,
            gid: entry.gid,
            mtime: entry.mtime,
            xattrs,
        }
    }

    fn copy<R: Read>(
        &mut self,
        entry: &mut TarReader<R>,
        f: &mut File,
        shown: &str,
    ) -> Result<(), UnpackError> {
        loop {
            let n = match entry.read(&mut self.buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(UnpackError::Tar(e)),
            };
            f.write_all(&self.buf[..n]).map_err(|e| io_err(shown, e))?;
        }
    }

    /// Remove whatever is at `leaf` so a new entry can take its place.
    fn clear(&self, pfd: BorrowedFd<'_>, leaf: &[u8], shown: &str) -> Result<(), UnpackError> {
        remove_all_at(pfd, leaf).map_err(|e| io_err(shown, e))
    }

    fn owner(
        &self,
        meta: &Meta,
        shown: &str,
    ) -> Result<Option<(rustix::fs::Uid, rustix::fs::Gid)>, UnpackError> {
        if !self.opts.same_owner {
            return Ok(None);
        }
        let uid = u32::try_from(meta.uid)
            .map_err(|_| unsafe_entry(shown.as_bytes(), "uid out of range"))?;
        let gid = u32::try_from(meta.gid)
            .map_err(|_| unsafe_entry(shown.as_bytes(), "gid out of range"))?;
        Ok(Some((
            rustix::fs::Uid::from_raw(uid),
            rustix::fs::Gid::from_raw(gid),
        )))
    }

    /// Owner and xattrs on an open file or directory (mode is set by the caller).
    fn own_fd(&mut self, fd: BorrowedFd<'_>, meta: &Meta, shown: &str) -> Result<(), UnpackError> {
        if let Some((u, g)) = self.owner(meta, shown)? {
            rustix::fs::fchown(fd, Some(u), Some(g)).map_err(|e| io_err(shown, e.into()))?;
        }
        if self.opts.xattrs {
            for (k, v) in &meta.xattrs {
                if let Err(e) =
                    rustix::fs::fsetxattr(fd, k.as_str(), v, rustix::fs::XattrFlags::empty())
                {
                    let e: io::Error = e.into();
                    if super::layer::is_unsupported(&e) {
                        self.skipped.push(format!("{shown}: xattr {k} ({e})"));
                    } else {
                        return Err(io_err(shown, e));
                    }
                }
            }
        }
        Ok(())
    }

    /// Owner and xattrs on something that cannot be opened for writing (symlink, device).
    fn own_at(
        &mut self,
        pfd: BorrowedFd<'_>,
        leaf: &[u8],
        meta: &Meta,
        shown: &str,
    ) -> Result<(), UnpackError> {
        if let Some((u, g)) = self.owner(meta, shown)? {
            rustix::fs::chownat(pfd, os(leaf), Some(u), Some(g), AtFlags::SYMLINK_NOFOLLOW)
                .map_err(|e| io_err(shown, e.into()))?;
        }
        if self.opts.xattrs && !meta.xattrs.is_empty() {
            // Address the leaf through the parent's fd; the last component is not followed.
            let mut p = PathBuf::from(format!("/proc/self/fd/{}", as_raw(pfd)));
            p.push(os(leaf));
            for (k, v) in &meta.xattrs {
                if let Err(e) =
                    rustix::fs::lsetxattr(&p, k.as_str(), v, rustix::fs::XattrFlags::empty())
                {
                    let e: io::Error = e.into();
                    if super::layer::is_unsupported(&e) || e.kind() == io::ErrorKind::NotFound {
                        self.skipped.push(format!("{shown}: xattr {k} ({e})"));
                    } else {
                        return Err(io_err(shown, e));
                    }
                }
            }
        }
        Ok(())
    }

    fn whiteout(&mut self, raw: &[u8], parent: &[&[u8]], name: &[u8]) -> Result<(), UnpackError> {
        let shown = String::from_utf8_lossy(raw).into_owned();
        let opaque = name == b".wh..opq";
        if !opaque {
            if name.starts_with(b".wh.") {
                // Other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): meaningless here.
                self.skipped.push(format!("{shown}: AUFS metadata"));
                return Ok(());
            }
            if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
                return Err(unsafe_entry(raw, "whiteout of an invalid name"));
            }
        }
        match self.opts.whiteouts {
            WhiteoutMode::Apply => {
                let Some(dfd) = self.resolve(parent, false, raw)? else {
                    return Ok(()); // nothing below to hide
                };
                let dir_key = join(parent);
                if opaque {
                    let target = dfd;
                    for child in list_dir(target.as_fd()).map_err(|e| io_err(&shown, e))? {
                        let mut k = dir_key.clone();
                        if !k.is_empty() {
                            k.push(b'/');
                        }
                        k.extend_from_slice(&child);
                        if !self.created.contains(&k) {
                            remove_all_at(target.as_fd(), &child).map_err(|e| io_err(&shown, e))?;
                        }
                    }
                } else {
                    let mut k = dir_key;
                    if !k.is_empty() {
                        k.push(b'/');
                    }
                    k.extend_from_slice(name);
                    if !self.created.contains(&k) {
                        remove_all_at(dfd.as_fd(), name).map_err(|e| io_err(&shown, e))?;
                    }
                }
            }
            WhiteoutMode::Overlay(ns) => {
                let dfd = self
                    .resolve(parent, true, raw)?
                    .ok_or_else(|| io_err(&shown, io::Error::from(io::ErrorKind::NotFound)))?;
                if opaque {
                    let key = match ns {
                        OverlayXattr::Trusted => "trusted.overlay.opaque",
                        OverlayXattr::User => "user.overlay.opaque",
                    };
                    rustix::fs::fsetxattr(dfd.as_fd(), key, b"y", rustix::fs::XattrFlags::empty())
                        .map_err(|e| io_err(&shown, e.into()))?;
                } else {
                    self.clear(dfd.as_fd(), name, &shown)?;
                    rustix::fs::mknodat(
                        dfd.as_fd(),
                        os(name),
                        FileType::CharacterDevice,
                        Mode::empty(),
                        rustix::fs::makedev(0, 0),
                    )
                    .map_err(|e| io_err(&shown, e.into()))?;
                    let mut k = join(parent);
                    if !k.is_empty() {
                        k.push(b'/');
                    }
                    k.extend_from_slice(name);
                    self.created.insert(k);
                }
            }
        }
        Ok(())
    }

    /// Resolve a directory inside the root, following symlinks with chroot semantics.
    /// `create` makes missing directories (mode 0755); otherwise a missing one gives `None`.
    fn resolve(
        &self,
        comps: &[&[u8]],
        create: bool,
        raw: &[u8],
    ) -> Result<Option<OwnedFd>, UnpackError> {
        let shown = String::from_utf8_lossy(raw).into_owned();
        let mut pending: std::collections::VecDeque<Vec<u8>> =
            comps.iter().map(|c| c.to_vec()).collect();
        let mut stack: Vec<OwnedFd> = Vec::new();
        let mut links = 0usize;
        while let Some(c) = pending.pop_front() {
            let cur = stack.last().map(|f| f.as_fd()).unwrap_or(self.root.as_fd());
            match &c[..] {
                b"" | b"." => continue,
                b".." => {
                    stack.pop();
                    continue;
                }
                _ => {}
            }
            match stat_at(cur, &c).map_err(|e| io_err(&shown, e))? {
                None => {
                    if !create {
                        return Ok(None);
                    }
                    match rustix::fs::mkdirat(cur, os(&c), Mode::from_raw_mode(0o755)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(io_err(&shown, e.into())),
                    }
                    let fd = open_dir_at(cur, &c).map_err(|e| io_err(&shown, e))?;
                    stack.push(fd);
                }
                Some(FileType::Symlink) => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(unsafe_entry(raw, "too many symlinks in path"));
                    }
                    let target = rustix::fs::readlinkat(cur, os(&c), Vec::new())
                        .map_err(|e| io_err(&shown, e.into()))?;
                    let target = target.as_bytes();
                    if target.first() == Some(&b'/') {
                        stack.clear();
                    }
                    for part in target.split(|&b| b == b'/').rev() {
                        pending.push_front(part.to_vec());
                    }
                }
                Some(FileType::Directory) => {
                    let fd = open_dir_at(cur, &c).map_err(|e| io_err(&shown, e))?;
                    stack.push(fd);
                }
                Some(_) => {
                    return Err(io_err(
                        &shown,
                        io::Error::from_raw_os_error(Errno::NOTDIR.raw_os_error()),
                    ));
                }
            }
        }
        match stack.pop() {
            Some(fd) => Ok(Some(fd)),
            None => open_dir_at(self.root.as_fd(), b".")
                .map(Some)
                .map_err(|e| io_err(&shown, e)),
        }
    }

    /// Apply directory modes and mtimes last (children change a directory's mtime, and a
    /// read-only mode would stop children being created).
    fn finish_dirs(&mut self) -> Result<(), UnpackError> {
        let dirs = std::mem::take(&mut self.dirs);
        for (key, mode, mtime) in dirs.iter().rev() {
            let comps: Vec<&[u8]> = key
                .split(|&b| b == b'/')
                .filter(|c| !c.is_empty())
                .collect();
            let Some(fd) = self.resolve(&comps, false, key)? else {
                continue; // removed by a later whiteout
            };
            let shown = String::from_utf8_lossy(key).into_owned();
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(*mode))
                .map_err(|e| io_err(&shown, e.into()))?;
            rustix::fs::futimens(&fd, &times(*mtime)).map_err(|e| io_err(&shown, e.into()))?;
        }
        Ok(())
    }
}

fn as_raw(fd: BorrowedFd<'_>) -> i32 {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

fn times(mtime: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

fn set_times_at(pfd: BorrowedFd<'_>, leaf: &[u8], mtime: i64) -> io::Result<()> {
    rustix::fs::utimensat(pfd, os(leaf), &times(mtime), AtFlags::SYMLINK_NOFOLLOW)
        .map_err(Into::into)
}

/// The type of `leaf` in `dir` without following it, or `None` if absent.
fn stat_at(dir: BorrowedFd<'_>, leaf: &[u8]) -> io::Result<Option<FileType>> {
    match rustix::fs::statat(dir, os(leaf), AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn open_dir_at(dir: BorrowedFd<'_>, leaf: &[u8]) -> io::Result<OwnedFd> {
    rustix::fs::openat(
        dir,
        os(leaf),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(Into::into)
}

fn list_dir(dir: BorrowedFd<'_>) -> io::Result<Vec<Vec<u8>>> {
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

/// Remove a directory tree by path, making read-only directories writable on the way
/// (unpacked layers may contain `0555` directories). Symlinks are not followed.
pub fn remove_tree(path: &Path) -> io::Result<()> {
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

/// Largest PAX or GNU long-name extension block accepted (they are held in memory).
const MAX_EXTENSION: u64 = 16 << 20;

/// One tar member with its PAX / GNU extensions applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Member name (PAX `path` > GNU long name > ustar prefix/name).
    pub path: Vec<u8>,
    /// Link target for symlinks and hardlinks.
    pub link: Option<Vec<u8>>,
    /// Member type.
    pub kind: tar::EntryType,
    /// Permission bits as stored.
    pub mode: u32,
    /// Owner (PAX `uid` overrides).
    pub uid: u64,
    /// Group (PAX `gid` overrides).
    pub gid: u64,
    /// Seconds since the epoch (PAX `mtime` overrides; fractions dropped).
    pub mtime: i64,
    /// Data size (PAX `size` overrides).
    pub size: u64,
    /// Device numbers for character/block devices.
    pub dev: (u32, u32),
    /// `SCHILY.xattr.*` records, in stream order.
    pub xattrs: Vec<(String, Vec<u8>)>,
}

/// A streaming tar reader. Written here rather than using `tar::Archive` because that
/// crate's PAX parser splits records on newlines, which breaks on binary xattr values (e.g.
/// `security.capability`) and could let a crafted record change how later keys are read. The
/// `tar` crate's `Header` is still used to decode the fixed header fields.
pub struct TarReader<R> {
    inner: R,
    /// Data bytes of the current member not read yet.
    remaining: u64,
    /// Padding after the current member's data.
    pad: u64,
}

fn malformed(msg: &str) -> UnpackError {
    UnpackError::Tar(io::Error::new(io::ErrorKind::InvalidData, msg.to_string()))
}

/// Parse PAX extended header records (`LEN KEY=VALUE\n`, LEN counting the whole record).
pub fn parse_pax(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, UnpackError> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&b| b == 0) {
            break; // some writers pad with NULs
        }
        let sp = rest
            .iter()
            .take(21)
            .position(|&b| b == b' ')
            .ok_or_else(|| malformed("PAX record without a length"))?;
        let len: usize = std::str::from_utf8(rest.get(..sp).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed("PAX record with a bad length"))?;
        let record = rest
            .get(..len)
            .ok_or_else(|| malformed("PAX record longer than its header"))?;
        let body = record
            .get(sp + 1..len.saturating_sub(1))
            .ok_or_else(|| malformed("PAX record too short"))?;
        if record.last() != Some(&b'\n') {
            return Err(malformed("PAX record not terminated by a newline"));
        }
        let eq = body
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| malformed("PAX record without '='"))?;
        let key = std::str::from_utf8(body.get(..eq).unwrap_or_default())
            .map_err(|_| malformed("PAX key is not UTF-8"))?;
        out.push((
            key.to_string(),
            body.get(eq + 1..).unwrap_or_default().to_vec(),
        ));
        rest = rest.get(len..).unwrap_or_default();
    }
    Ok(out)
}

impl<R: Read> TarReader<R> {
    /// Read tar members from `inner`.
    pub fn new(inner: R) -> Self {
        TarReader {
            inner,
            remaining: 0,
            pad: 0,
        }
    }

    /// The underlying reader, positioned after the end-of-archive block (or wherever reading
    /// stopped).
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn skip(&mut self, n: u64) -> Result<(), UnpackError> {
        let copied =
            io::copy(&mut (&mut self.inner).take(n), &mut io::sink()).map_err(UnpackError::Tar)?;
        if copied != n {
            return Err(malformed("unexpected end of layer"));
        }
        Ok(())
    }

    fn read_block(&mut self, block: &mut [u8; 512]) -> Result<bool, UnpackError> {
        let mut got = 0;
        while got < block.len() {
            match self.inner.read(&mut block[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(malformed("truncated tar header")),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(UnpackError::Tar(e)),
            }
        }
        Ok(true)
    }

    fn read_extension(&mut self, size: u64) -> Result<Vec<u8>, UnpackError> {
        if size > MAX_EXTENSION {
            return Err(malformed("extension header too large"));
        }
        let mut v = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut self.inner)
            .take(size)
            .read_to_end(&mut v)
            .map_err(UnpackError::Tar)?;
        if v.len() as u64 != size {
            return Err(malformed("unexpected end of layer"));
        }
        self.skip(padding(size))?;
        Ok(v)
    }

    /// The next member, or `None` at the end of the archive. Unread data of the previous
    /// member is skipped.
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, UnpackError> {
        let left = self.remaining + self.pad;
        self.remaining = 0;
        self.pad = 0;
        self.skip(left)?;
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pending = false;
        loop {
            let mut block = [0u8; 512];
            if !self.read_block(&mut block)? || block.iter().all(|&b| b == 0) {
                if pending {
                    return Err(malformed("extension header without a member"));
                }
                return Ok(None);
            }
            let mut header = tar::Header::new_old();
            header.as_mut_bytes().copy_from_slice(&block);
            let sum: u32 = block
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        32
                    } else {
                        u32::from(b)
                    }
                })
                .sum();
            if header.cksum().ok() != Some(sum) {
                return Err(malformed("tar header checksum mismatch"));
            }
            let old = header.as_old();
            let size = lenient(header.entry_size(), &old.size, "bad size field")?;
            let kind = header.entry_type();
            match kind {
                tar::EntryType::XHeader => {
                    let data = self.read_extension(size)?;
                    pax.extend(parse_pax(&data)?);
                    pending = true;
                    continue;
                }
                tar::EntryType::XGlobalHeader => {
                    self.skip(size + padding(size))?;
                    continue;
                }
                tar::EntryType::GNULongName | tar::EntryType::GNULongLink => {
                    let mut data = self.read_extension(size)?;
                    if let Some(nul) = data.iter().position(|&b| b == 0) {
                        data.truncate(nul);
                    }
                    if kind == tar::EntryType::GNULongName {
                        long_name = Some(data);
                    } else {
                        long_link = Some(data);
                    }
                    pending = true;
                    continue;
                }
                _ => {}
            }
            let num = |v: &[u8]| -> Option<i64> {
                std::str::from_utf8(v).ok()?.split('.').next()?.parse().ok()
            };
            let bad = |what: &str| malformed(what);
            let mut e = TarEntry {
                path: long_name.unwrap_or_else(|| header.path_bytes().into_owned()),
                link: long_link.or_else(|| header.link_name_bytes().map(|l| l.into_owned())),
                kind,
                mode: u32::try_from(lenient(
                    header.mode().map(u64::from),
                    &old.mode,
                    "bad mode field",
                )?)
                .unwrap_or(0),
                uid: lenient(header.uid(), &old.uid, "bad uid field")?,
                gid: lenient(header.gid(), &old.gid, "bad gid field")?,
                mtime: i64::try_from(lenient(header.mtime(), &old.mtime, "bad mtime field")?)
                    .unwrap_or(i64::MAX),
                size,
                dev: (
                    header.device_major().ok().flatten().unwrap_or(0),
                    header.device_minor().ok().flatten().unwrap_or(0),
                ),
                xattrs: Vec::new(),
            };
            for (k, v) in pax {
                match k.as_str() {
                    "path" => e.path = v,
                    "linkpath" => e.link = Some(v),
                    "size" => {
                        e.size = num(&v)
                            .and_then(|n| u64::try_from(n).ok())
                            .ok_or_else(|| bad("bad PAX size"))?
                    }
                    "uid" => e.uid = num(&v).and_then(|n| u64::try_from(n).ok()).unwrap_or(e.uid),
                    "gid" => e.gid = num(&v).and_then(|n| u64::try_from(n).ok()).unwrap_or(e.gid),
                    "mtime" => e.mtime = num(&v).unwrap_or(e.mtime),
                    _ => {
                        if let Some(name) = k.strip_prefix("SCHILY.xattr.") {
                            e.xattrs.push((name.to_string(), v));
                        } else if k.starts_with("GNU.sparse.") {
                            return Err(UnpackError::Unsupported {
                                path: String::from_utf8_lossy(&e.path).into_owned(),
                                kind: "PAX sparse file".into(),
                            });
                        }
                    }
                }
            }
            // Links, directories and devices carry no data whatever their size field says
            // (as Go's archive/tar, which containerd and BuildKit use, reads them).
            if matches!(
                e.kind,
                tar::EntryType::Link
                    | tar::EntryType::Symlink
                    | tar::EntryType::Directory
                    | tar::EntryType::Char
                    | tar::EntryType::Block
                    | tar::EntryType::Fifo
            ) {
                e.size = 0;
            }
            self.remaining = e.size;
            self.pad = padding(e.size);
            return Ok(Some(e));
        }
    }
}

/// A numeric header field; an all-NUL/space field reads as 0 (as most tar readers do).
fn lenient(parsed: io::Result<u64>, raw: &[u8], what: &str) -> Result<u64, UnpackError> {
    match parsed {
        Ok(v) => Ok(v),
        Err(_) if raw.iter().all(|&b| b == 0 || b == b' ') => Ok(0),
        Err(_) => Err(malformed(what)),
    }
}

fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

impl<R: Read> Read for TarReader<R> {
    /// Read the current member's data.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let max = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "layer ends inside a member",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}
