//! The whole-tree walk the catalogers start with, done cheaply: each directory carries the host
//! directories of the layers that contribute to it, so no path is resolved again from the root;
//! entry kinds come from the directory listing itself, and only regular files (and, in overlay
//! form, character devices that may be whiteouts) are `stat`ed, relative to their directory.
//! It yields the same entries, in the same order, as [`super::tree::walk`] from `/` over the
//! merged view, except that [`Entry::size`] and [`Entry::mode`] are only filled in for regular
//! files (0 for the rest).

use std::collections::BTreeMap;
use std::fs::{FileType, Metadata};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;

use super::tree::{io, is_opaque, join, Entry, Kind, TreeError, Visit};

/// What one layer holds under a name.
enum Held {
    Whiteout,
    Dir,
    File(Metadata),
    Symlink,
    Other,
}

fn classify(t: FileType, d: &std::fs::DirEntry, overlay: bool) -> Result<Held, TreeError> {
    if t.is_dir() {
        return Ok(Held::Dir);
    }
    if t.is_symlink() {
        return Ok(Held::Symlink);
    }
    if t.is_file() {
        let m = d.metadata().map_err(|e| io(&d.path(), e))?;
        return Ok(Held::File(m));
    }
    if overlay && t.is_char_device() {
        let m = d.metadata().map_err(|e| io(&d.path(), e))?;
        if m.rdev() == 0 {
            return Ok(Held::Whiteout);
        }
    }
    Ok(Held::Other)
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
    // (image path, contributing layers topmost first as (index, host dir)).
    let top: Vec<(usize, PathBuf)> = layers.iter().cloned().enumerate().rev().collect();
    let mut stack = vec![("/".to_string(), top)];
    while let Some((dir, contributing)) = stack.pop() {
        let mut names: BTreeMap<String, Vec<(usize, Held)>> = BTreeMap::new();
        for (l, host) in &contributing {
            let rd = match std::fs::read_dir(host) {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(host, e)),
            };
            for d in rd {
                let d = d.map_err(|e| io(host, e))?;
                let t = d.file_type().map_err(|e| io(&d.path(), e))?;
                let name = d.file_name().to_string_lossy().into_owned();
                let copies = names.entry(name).or_default();
                // Copies below a non-directory are hidden by it and never looked at.
                let needed = copies.last().is_none_or(|(_, c)| matches!(c, Held::Dir));
                if needed {
                    copies.push((*l, classify(t, &d, overlay)?));
                }
            }
        }
        let mut subdirs = Vec::new();
        for (name, copies) in names {
            let Some((l, visible)) = copies.first() else {
                continue;
            };
            let (kind, size, mode) = match visible {
                Held::Whiteout => continue,
                Held::Dir => (Kind::Dir, 0, 0),
                Held::File(m) => (Kind::File, m.len(), m.mode() & 0o7777),
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
            for (cl, c) in &copies {
                if !matches!(c, Held::Dir) {
                    break;
                }
                let Some((_, parent)) = contributing.iter().find(|(x, _)| x == cl) else {
                    break;
                };
                let host = parent.join(&entry.name);
                let stop = overlay && *cl > 0 && is_opaque(&host);
                below.push((*cl, host));
                if stop {
                    break;
                }
            }
            subdirs.push((path, below));
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
}
