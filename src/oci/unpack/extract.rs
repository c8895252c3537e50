//! Extraction proper: walks the tar stream and creates each entry under the target through
//! directory fds (chroot-style path resolution, whiteouts, ownership, xattrs, deferred
//! directory metadata).

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::fsops::*;
use super::tar_reader::{TarEntry, TarReader};
use super::{
    clean_path, io_err, unsafe_entry, OverlayXattr, UnpackError, UnpackOptions, UnpackStats,
    WhiteoutMode, BUF, MAX_SYMLINKS,
};
use crate::oci::digest::Sha256Reader;

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
        owners: BTreeMap::new(),
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
        owners: u
            .owners
            .into_iter()
            .map(|(k, (uid, gid))| (PathBuf::from(OsString::from_vec(k)), uid, gid))
            .collect(),
    })
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
    /// Without `same_owner`: the owners (other than 0:0) the layer gives entries that stand
    /// in the target, by path (joined with `/`).
    owners: BTreeMap<Vec<u8>, (u32, u32)>,
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&b'/')
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
                return self.note_owner(b"", &meta, true, &shown);
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
        if kind == tar::EntryType::Link {
            self.forget(&key);
        } else {
            self.note_owner(&key, &meta, kind.is_dir(), &shown)?;
        }
        self.created.insert(key);
        Ok(())
    }

    /// Without `same_owner`, remember the owner the layer gives `key` (0:0, what the
    /// unprivileged caller's files amount to, is not kept). `keeps_children`: a directory
    /// entry, whose existing children stay.
    fn note_owner(
        &mut self,
        key: &[u8],
        meta: &Meta,
        keeps_children: bool,
        shown: &str,
    ) -> Result<(), UnpackError> {
        if self.opts.same_owner {
            return Ok(());
        }
        if !keeps_children {
            self.forget(key);
        }
        let uid = u32::try_from(meta.uid)
            .map_err(|_| unsafe_entry(shown.as_bytes(), "uid out of range"))?;
        let gid = u32::try_from(meta.gid)
            .map_err(|_| unsafe_entry(shown.as_bytes(), "gid out of range"))?;
        if (uid, gid) == (0, 0) {
            self.owners.remove(key);
        } else {
            self.owners.insert(key.to_vec(), (uid, gid));
        }
        Ok(())
    }

    /// `key` and everything below it are gone (replaced or whited out).
    fn forget(&mut self, key: &[u8]) {
        if self.owners.is_empty() {
            return;
        }
        self.owners.remove(key);
        let (mut lo, mut hi) = (key.to_vec(), key.to_vec());
        lo.push(b'/');
        hi.push(b'/' + 1);
        let below: Vec<Vec<u8>> = self.owners.range(lo..hi).map(|(k, _)| k.clone()).collect();
        for k in below {
            self.owners.remove(&k);
        }
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
                    if crate::oci::layer::is_unsupported(&e) {
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
                    if crate::oci::layer::is_unsupported(&e) || e.kind() == io::ErrorKind::NotFound
                    {
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
                        self.forget(&k);
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
                    self.forget(&k);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: tar::EntryType, uid: u64, gid: u64, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_uid(uid);
        h.set_gid(gid);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(0);
        h
    }

    #[test]
    fn an_unprivileged_unpack_reports_the_owners_it_could_not_set() {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, kind, uid, gid, mode| {
            let mut h = header(kind, uid, gid, mode, 0);
            b.append_data(&mut h, path, &b""[..]).unwrap();
        };
        add("a/", tar::EntryType::Directory, 1000, 1000, 0o700);
        add("a/f", tar::EntryType::Regular, 1000, 50, 0o4755);
        add("b", tar::EntryType::Regular, 0, 0, 0o644);
        // Replaced by a root-owned entry: nothing to do.
        add("c", tar::EntryType::Regular, 5, 6, 0o644);
        add("c", tar::EntryType::Regular, 0, 0, 0o644);
        // A file replaced by a root-owned directory.
        add("e", tar::EntryType::Regular, 7, 7, 0o644);
        add("e/", tar::EntryType::Directory, 0, 0, 0o755);
        // Whited out below: gone.
        add("g", tar::EntryType::Regular, 9, 9, 0o644);
        add(".wh.g", tar::EntryType::Regular, 0, 0, 0o644);
        let mut l = header(tar::EntryType::Symlink, 3, 4, 0o777, 0);
        b.append_link(&mut l, "s", "a/f").unwrap();
        let mut h = header(tar::EntryType::Link, 8, 8, 0o644, 0);
        b.append_link(&mut h, "h", "a/f").unwrap();
        let bytes = b.into_inner().unwrap();

        let dir = tempfile::tempdir().unwrap();
        let opts = UnpackOptions {
            whiteouts: WhiteoutMode::Overlay(OverlayXattr::User),
            same_owner: false,
            xattrs: false,
            devices: false,
            expected_diff_id: None,
        };
        let stats = unpack_tar(&bytes[..], dir.path(), &opts).unwrap();
        let owners: Vec<(&str, u32, u32)> = stats
            .owners
            .iter()
            .map(|(p, u, g)| (p.to_str().unwrap(), *u, *g))
            .collect();
        assert_eq!(
            owners,
            [("a", 1000, 1000), ("a/f", 1000, 50), ("s", 3, 4)],
            "hardlink h shares a/f's inode and is not listed"
        );
        // With same_owner (root) the unpacker set them itself and reports none.
        let dir = tempfile::tempdir().unwrap();
        let opts = UnpackOptions {
            same_owner: true,
            ..opts
        };
        if super::super::is_root() {
            let stats = unpack_tar(&bytes[..], dir.path(), &opts).unwrap();
            assert!(stats.owners.is_empty());
        }
    }
}
