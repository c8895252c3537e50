//! The whole-tree walk the catalogers start with, done cheaply: each directory is opened
//! relative to its parent's descriptor (no path is resolved again from the root, and no
//! symlink can be followed on the way), listed with raw `getdents64` (entry kinds come from
//! `d_type`), and only regular files (and, in overlay form, character devices that may be
//! whiteouts) are `stat`ed, relative to their directory. A parent's descriptor stays open only
//! while some of its subdirectories wait to be walked, and only down to [`MAX_FD_DEPTH`], so a
//! hostile deeply nested tree cannot exhaust descriptors (deeper directories are opened by
//! host path).
//!
//! It yields the same entries, in the same order, as [`super::tree::walk`] from `/` over the
//! merged view, except that [`Entry::size`] and [`Entry::mode`] are only filled in for regular
//! files (0 for the rest).

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir, CWD};

use super::tree::{join, Entry, Kind, TreeError, Visit};

/// Directories deeper than this are opened by host path rather than through a kept parent
/// descriptor.
const MAX_FD_DEPTH: usize = 128;

/// What one layer holds under a name.
enum Held {
    Whiteout,
    Dir,
    /// Size and permission bits.
    File(u64, u32),
    Symlink,
    Other,
}

/// One layer's copy of a directory still to be walked: how to open it.
struct Pending {
    layer: usize,
    /// The parent directory's descriptor (when kept) and the name in it.
    parent: Option<Rc<OwnedFd>>,
    name: CString,
    /// Host path, for errors and for opening without a parent descriptor.
    host: PathBuf,
}

fn io_err(path: &Path, e: rustix::io::Errno) -> TreeError {
    TreeError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    }
}

fn open_dir(p: &Pending) -> Result<Option<OwnedFd>, TreeError> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let r = match &p.parent {
        Some(fd) => rustix::fs::openat(fd.as_fd(), p.name.as_c_str(), flags, Mode::empty()),
        None => rustix::fs::openat(CWD, &p.host, flags, Mode::empty()),
    };
    match r {
        Ok(fd) => Ok(Some(fd)),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(io_err(&p.host, e)),
    }
}

/// True when the open directory is marked opaque (`overlay.opaque` xattr = `y`).
fn fd_is_opaque(fd: &OwnedFd) -> bool {
    ["trusted.overlay.opaque", "user.overlay.opaque"]
        .iter()
        .any(|k| {
            let mut v = [0u8; 4];
            matches!(rustix::fs::fgetxattr(fd, *k, &mut v), Ok(1) if v[0] == b'y')
        })
}

fn classify(
    dir: &OwnedFd,
    host: &Path,
    name: &CStr,
    t: FileType,
    overlay: bool,
) -> Result<Held, TreeError> {
    let t = match t {
        FileType::Directory => return Ok(Held::Dir),
        FileType::Symlink => return Ok(Held::Symlink),
        FileType::RegularFile => FileType::RegularFile,
        FileType::CharacterDevice if overlay => FileType::CharacterDevice,
        FileType::Unknown => FileType::Unknown,
        _ => return Ok(Held::Other),
    };
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|e| io_err(&host.join(std::ffi::OsStr::from_bytes(name.to_bytes())), e))?;
    let real = FileType::from_raw_mode(st.st_mode);
    Ok(match real {
        FileType::RegularFile => Held::File(st.st_size as u64, st.st_mode & 0o7777),
        FileType::Directory if t == FileType::Unknown => Held::Dir,
        FileType::Symlink if t == FileType::Unknown => Held::Symlink,
        FileType::CharacterDevice if overlay && st.st_rdev == 0 => Held::Whiteout,
        _ => Held::Other,
    })
}

/// Walks the merged view of `layers` (bottom first; `overlay` says whether whiteouts and opaque
/// directories apply, i.e. the layers are the store's unpacked layers rather than one plain
/// root directory) depth-first in name order, skipping `/proc`-like directories the callback
/// answers [`Visit::Skip`] for.
pub fn walk(
    layers: &[PathBuf],
    overlay: bool,
    f: &mut dyn FnMut(&str, &Entry) -> Visit,
) -> Result<(), TreeError> {
    let top: Vec<Pending> = layers
        .iter()
        .enumerate()
        .rev()
        .map(|(layer, host)| Pending {
            layer,
            parent: None,
            name: CString::default(),
            host: host.clone(),
        })
        .collect();
    let mut buf: Vec<u8> = Vec::with_capacity(32 << 10);
    let mut stack = vec![("/".to_string(), 0usize, top)];
    while let Some((dir, depth, copies_of_dir)) = stack.pop() {
        // Open the contributing copies, topmost first; an opaque one hides those below.
        let mut open = Vec::new();
        for p in copies_of_dir {
            let Some(fd) = open_dir(&p)? else {
                continue;
            };
            let stop = overlay && p.layer > 0 && fd_is_opaque(&fd);
            open.push((p.layer, p.host, Rc::new(fd)));
            if stop {
                break;
            }
        }
        // Per name: the copies (layer, the raw name of a directory copy, what it is).
        let mut names: BTreeMap<String, Vec<(usize, Option<CString>, Held)>> = BTreeMap::new();
        for (l, host, fd) in &open {
            let mut rd = RawDir::new(fd.as_fd(), buf.spare_capacity_mut());
            while let Some(d) = rd.next() {
                let d = d.map_err(|e| io_err(host, e))?;
                let raw = d.file_name();
                if raw == c"." || raw == c".." {
                    continue;
                }
                let name = String::from_utf8_lossy(raw.to_bytes()).into_owned();
                let copies = names.entry(name).or_default();
                // Copies below a non-directory are hidden by it and never looked at.
                let needed = copies.last().is_none_or(|(_, _, c)| matches!(c, Held::Dir));
                if needed {
                    let held = classify(fd, host, raw, d.file_type(), overlay)?;
                    let dir_name = matches!(held, Held::Dir).then(|| raw.to_owned());
                    copies.push((*l, dir_name, held));
                }
            }
        }
        let mut subdirs = Vec::new();
        for (name, copies) in names {
            let Some((l, _, visible)) = copies.first() else {
                continue;
            };
            let (kind, size, mode) = match visible {
                Held::Whiteout => continue,
                Held::Dir => (Kind::Dir, 0, 0),
                Held::File(size, mode) => (Kind::File, *size, *mode),
                Held::Symlink => (Kind::Symlink, 0, 0),
                Held::Other => (Kind::Other, 0, 0),
            };
            let path = join(&dir, &name);
            let entry = Entry {
                name,
                kind,
                size,
                mode,
                layer: *l,
            };
            if f(&path, &entry) != Visit::Continue || kind != Kind::Dir {
                continue;
            }
            let mut below = Vec::new();
            for (cl, raw, _) in copies {
                let Some(raw) = raw else {
                    break;
                };
                let Some((_, parent_host, parent_fd)) = open.iter().find(|(x, _, _)| *x == cl)
                else {
                    break;
                };
                below.push(Pending {
                    layer: cl,
                    parent: (depth < MAX_FD_DEPTH).then(|| parent_fd.clone()),
                    host: parent_host.join(std::ffi::OsStr::from_bytes(raw.to_bytes())),
                    name: raw,
                });
            }
            subdirs.push((path, depth + 1, below));
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tree::{walk as slow_walk, FileTree, LayersTree};
    use super::*;

    fn entries(
        run: impl FnOnce(&mut dyn FnMut(&str, &Entry) -> Visit),
    ) -> Vec<(String, Kind, usize)> {
        let mut out = Vec::new();
        run(&mut |p, e| {
            out.push((p.to_string(), e.kind, e.layer));
            if p == "/skip" {
                Visit::Skip
            } else {
                Visit::Continue
            }
        });
        out
    }

    #[test]
    fn same_entries_as_the_resolving_walk() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (lower, upper) = (dir.path().join("lower"), dir.path().join("upper"));
        for p in ["a/b", "a/c", "d/e", "skip/x"] {
            std::fs::create_dir_all(lower.join(p)).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::create_dir_all(upper.join("a/b")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(lower.join("a/b/f"), b"low").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(upper.join("a/b/g"), b"up").unwrap_or_else(|e| panic!("{e}"));
        // A file in the upper layer hides the lower directory of the same name.
        std::fs::write(upper.join("d"), b"file").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("a", upper.join("l")).unwrap_or_else(|e| panic!("{e}"));
        let tree = LayersTree::new(vec![upper, lower]);
        let fast = entries(|f| tree.walk_all(f).unwrap_or_else(|e| panic!("{e}")));
        let slow = entries(|f| slow_walk(&tree, "/", f).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(fast, slow);
        assert!(fast.contains(&("/a/b/f".to_string(), Kind::File, 0)));
        assert!(fast.contains(&("/d".to_string(), Kind::File, 1)));
        assert!(!fast.iter().any(|(p, _, _)| p == "/d/e" || p == "/skip/x"));
    }

    #[test]
    fn deep_trees_open_by_path_past_the_descriptor_depth() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut p = dir.path().to_path_buf();
        for _ in 0..MAX_FD_DEPTH + 20 {
            p.push("d");
        }
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(p.join("leaf"), b"x").unwrap_or_else(|e| panic!("{e}"));
        let tree = super::super::tree::DirTree::new(dir.path());
        let mut files = Vec::new();
        tree.walk_all(&mut |path, e| {
            if e.kind == Kind::File {
                files.push((path.matches('/').count(), e.size));
            }
            Visit::Continue
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(files, vec![(MAX_FD_DEPTH + 21, 1)]);
    }
}
