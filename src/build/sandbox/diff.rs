//! Chroot mode's change detection: the copied root is compared with the snapshot taken when
//! it was materialised (inode numbers and ctimes, then metadata), and the changes are written
//! into upper exactly as overlayfs copy-up would have left them: a changed file whole, the
//! parent dirs of every change with their metadata, deletions as 0/0 character devices, a
//! removed-and-recreated dir (a new inode) as an opaque dir with all its contents.
//!
//! ctime cannot be set from user space, so "same inode, same ctime" proves an entry untouched
//! without reading its content; an entry whose ctime moved was written, chmod'ed, chown'ed or
//! touched, which is exactly when overlayfs copies it up.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::sys::stat::{Mode, SFlag};

use super::tree;

/// What an entry of the copied root looked like before the command ran.
#[derive(Debug, Clone)]
pub(super) struct Snap {
    pub ino: u64,
    /// Birth time where the filesystem records one: a freed inode number is reused at once
    /// (`rm -rf d; mkdir d` often gets the same number), the birth time tells them apart.
    pub birth: Option<std::time::SystemTime>,
    pub ctime: (i64, i64),
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: (i64, i64),
    /// Child names, for directories.
    pub children: Option<Vec<OsString>>,
}

impl Snap {
    pub fn of(md: &Metadata, children: Option<Vec<OsString>>) -> Snap {
        Snap {
            ino: md.ino(),
            birth: md.created().ok(),
            ctime: (md.ctime(), md.ctime_nsec()),
            mode: md.mode(),
            uid: md.uid(),
            gid: md.gid(),
            mtime: (md.mtime(), md.mtime_nsec()),
            children,
        }
    }

    fn same_meta(&self, md: &Metadata) -> bool {
        self.mode == md.mode()
            && self.uid == md.uid()
            && self.gid == md.gid()
            && self.mtime == (md.mtime(), md.mtime_nsec())
    }
}

/// Relative path → state before the run.
pub(super) type Snapshot = HashMap<PathBuf, Snap>;

struct Differ<'a> {
    root: &'a Path,
    upper: &'a Path,
    snap: &'a Snapshot,
    made: HashSet<PathBuf>,
    dirs: Vec<PathBuf>,
}

/// Write the changes of `root` relative to `snap` into `upper`.
pub(super) fn diff(root: &Path, snap: &Snapshot, upper: &Path) -> io::Result<()> {
    let mut d = Differ {
        root,
        upper,
        snap,
        made: HashSet::new(),
        dirs: Vec::new(),
    };
    d.walk(Path::new(""))?;
    // Directory times last (writing children moved them), deepest first.
    d.dirs
        .sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for rel in &d.dirs {
        let md = std::fs::symlink_metadata(root.join(rel))?;
        tree::set_times(&upper.join(rel), &md)?;
    }
    Ok(())
}

impl Differ<'_> {
    /// `rel` is a directory that is still the one materialised; true when anything in it (or
    /// its own metadata) changed.
    fn walk(&mut self, rel: &Path) -> io::Result<bool> {
        let mut changed = false;
        let mut names: Vec<OsString> = std::fs::read_dir(self.root.join(rel))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for name in &names {
            let child = rel.join(name);
            let md = std::fs::symlink_metadata(self.root.join(&child))?;
            match self.snap.get(&child) {
                Some(s)
                    if s.ino == md.ino()
                        && s.birth == md.created().ok()
                        && (s.children.is_some() == md.is_dir()) =>
                {
                    if md.is_dir() {
                        changed |= self.walk(&child)?;
                    } else if s.ctime != (md.ctime(), md.ctime_nsec()) || !s.same_meta(&md) {
                        self.copy_up(&child, false)?;
                        changed = true;
                    }
                }
                Some(_) => {
                    self.copy_up(&child, md.is_dir())?;
                    changed = true;
                }
                None => {
                    self.copy_up(&child, false)?;
                    changed = true;
                }
            }
        }
        if let Some(before) = self.snap.get(rel).and_then(|s| s.children.as_ref()) {
            let now: HashSet<&OsString> = names.iter().collect();
            for gone in before.iter().filter(|n| !now.contains(n)) {
                self.whiteout(&rel.join(gone))?;
                changed = true;
            }
        }
        if !changed && !rel.as_os_str().is_empty() {
            let md = std::fs::symlink_metadata(self.root.join(rel))?;
            changed = !self.snap.get(rel).is_some_and(|s| s.same_meta(&md));
        }
        if changed {
            self.ensure_dir(rel)?;
        }
        Ok(changed)
    }

    /// The directory `rel` (and its parents) in upper, with the root's metadata.
    fn ensure_dir(&mut self, rel: &Path) -> io::Result<()> {
        if rel.as_os_str().is_empty() || self.made.contains(rel) {
            return Ok(());
        }
        if let Some(parent) = rel.parent() {
            self.ensure_dir(parent)?;
        }
        let src = self.root.join(rel);
        let md = std::fs::symlink_metadata(&src)?;
        tree::copy_entry(&src, &md, &self.upper.join(rel))?;
        self.made.insert(rel.to_path_buf());
        self.dirs.push(rel.to_path_buf());
        Ok(())
    }

    /// Put the entry `rel` of the root (a whole tree for a dir) into upper.
    fn copy_up(&mut self, rel: &Path, opaque: bool) -> io::Result<()> {
        if let Some(parent) = rel.parent() {
            self.ensure_dir(parent)?;
        }
        let src = self.root.join(rel);
        let dst = self.upper.join(rel);
        let md = std::fs::symlink_metadata(&src)?;
        if md.is_dir() {
            tree::copy_entry(&src, &md, &dst)?;
            if opaque {
                tree::set_opaque(&dst)?;
            }
            self.made.insert(rel.to_path_buf());
            self.dirs.push(rel.to_path_buf());
            let mut names: Vec<OsString> = std::fs::read_dir(&src)?
                .map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<_>>()?;
            names.sort();
            for n in names {
                self.copy_up(&rel.join(n), false)?;
            }
            return Ok(());
        }
        match std::fs::hard_link(&src, &dst) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EXDEV) => tree::copy_entry(&src, &md, &dst),
            Err(e) => Err(e),
        }
    }

    fn whiteout(&mut self, rel: &Path) -> io::Result<()> {
        if let Some(parent) = rel.parent() {
            self.ensure_dir(parent)?;
        }
        nix::sys::stat::mknod(&self.upper.join(rel), SFlag::S_IFCHR, Mode::empty(), 0)
            .map_err(io::Error::from)
    }
}
