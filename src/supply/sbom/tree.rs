//! The read-only file tree the catalogers look at: a trait with two implementations, a plain
//! root directory ([`DirTree`], one layer) and a stack of overlay-form layer directories
//! ([`LayersTree`], the store's unpacked layers, topmost first) whose merged view honours
//! whiteouts (0/0 character devices) and opaque directories (`overlay.opaque` xattr = `y`).
//!
//! Paths are absolute in the image (`/var/lib/dpkg/status`). Symlinks are never followed: a
//! path whose parent component is a symlink is reported missing, so nothing outside the tree is
//! ever read and merged-/usr aliases (`/bin` → `usr/bin`) are not counted twice.
//!
//! The merged view is written here rather than taken from `build::fs::LayerStack` because the
//! catalogers also need what no merged view offers: which layer holds the visible copy of a
//! path, and each layer's own copy of a file (to find the layer that wrote a database record).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use thiserror::Error;

/// Reading the tree failed.
#[derive(Debug, Error)]
pub enum TreeError {
    /// An I/O error on a host path.
    #[error("{path}: {source}")]
    Io {
        /// Host path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than the cataloger accepts.
    #[error("{path} is {size} bytes, more than the {max}-byte limit for this kind of file")]
    TooLarge {
        /// Path in the image.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
}

/// What kind of entry a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link (never followed).
    Symlink,
    /// Anything else (device, fifo, socket).
    Other,
}

/// One directory entry of the merged view.
#[derive(Clone, Debug)]
pub struct Entry {
    /// File name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Size in bytes (regular files).
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Index of the layer holding the visible copy (0 = bottom).
    pub layer: usize,
}

/// A read-only file tree of one or more layers.
pub trait FileTree: Sync {
    /// Number of layers (1 for a plain directory).
    fn layer_count(&self) -> usize;
    /// The visible entry at `path`, if any.
    fn lstat(&self, path: &str) -> Result<Option<Entry>, TreeError>;
    /// Merged entries of the directory at `path`, sorted by name; empty when it is missing.
    fn read_dir(&self, path: &str) -> Result<Vec<Entry>, TreeError>;
    /// Opens the visible copy of a regular file.
    fn open(&self, path: &str) -> Result<Option<File>, TreeError>;
    /// The copy of the regular file `path` that layer `layer` itself holds (whatever the layers
    /// above do with it), read whole up to `max` bytes.
    fn read_in_layer(
        &self,
        path: &str,
        layer: usize,
        max: u64,
    ) -> Result<Option<Vec<u8>>, TreeError>;

    /// Reads the visible regular file `path` whole; `None` when missing or not a file.
    fn read_file(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, TreeError> {
        let Some(e) = self.lstat(path)? else {
            return Ok(None);
        };
        if e.kind != Kind::File {
            return Ok(None);
        }
        if e.size > max {
            return Err(TreeError::TooLarge {
                path: path.to_string(),
                size: e.size,
                max,
            });
        }
        let Some(f) = self.open(path)? else {
            return Ok(None);
        };
        read_capped(f, path, max).map(Some)
    }

    /// Calls `f` for every entry of the merged view, as [`walk`] from `/` does, but with
    /// [`Entry::size`] and [`Entry::mode`] filled in for regular files only (see
    /// [`super::fastwalk`]).
    fn walk_all(&self, f: &mut dyn FnMut(&str, &Entry) -> Visit) -> Result<(), TreeError>;

    /// Opens, without resolving it again, the regular file `path` that [`FileTree::walk_all`]
    /// found visible in layer `layer`; `None` when it is no longer a regular file there.
    /// The file comes with its length.
    fn open_walked(&self, path: &str, layer: usize) -> Result<Option<(File, u64)>, TreeError>;

    /// Index of the layer holding the visible copy of `path` (0 = bottom).
    fn layer_of(&self, path: &str) -> Result<Option<usize>, TreeError> {
        Ok(self.lstat(path)?.map(|e| e.layer))
    }
}

/// Reads at most `max` bytes of `f`; more is an error naming `path`.
pub fn read_capped(f: File, path: &str, max: u64) -> Result<Vec<u8>, TreeError> {
    let mut buf = Vec::new();
    f.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| TreeError::Io {
            path: PathBuf::from(path),
            source,
        })?;
    if buf.len() as u64 > max {
        return Err(TreeError::TooLarge {
            path: path.to_string(),
            size: buf.len() as u64,
            max,
        });
    }
    Ok(buf)
}

/// What [`walk`] does with an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visit {
    /// Descend (directories) / keep going.
    Continue,
    /// Do not descend into this directory.
    Skip,
}

/// Depth-first walk from `root` in name order; `f(path, entry)` sees every entry and decides
/// whether to descend into directories. Symlinks are reported, never followed.
pub fn walk(
    tree: &dyn FileTree,
    root: &str,
    f: &mut dyn FnMut(&str, &Entry) -> Visit,
) -> Result<(), TreeError> {
    let mut stack = vec![normalize(root)];
    while let Some(dir) = stack.pop() {
        let entries = tree.read_dir(&dir)?;
        let mut subdirs = Vec::new();
        for e in entries {
            let path = join(&dir, &e.name);
            let visit = f(&path, &e);
            if e.kind == Kind::Dir && visit == Visit::Continue {
                subdirs.push(path);
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

/// `dir` + `/` + `name` for image paths.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The parent directory of an image path (`/` for top-level entries).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Absolute, without `.`/empty components; `..` is dropped at the root.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

fn components(path: &str) -> Vec<String> {
    normalize(path)
        .split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) fn io(path: &Path, source: std::io::Error) -> TreeError {
    TreeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Locks a cache; a poisoned one (a panic elsewhere) is still a valid cache.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn host_lstat(p: &Path) -> Result<Option<std::fs::Metadata>, TreeError> {
    match std::fs::symlink_metadata(p) {
        Ok(m) => Ok(Some(m)),
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) =>
        {
            Ok(None)
        }
        Err(e) => Err(io(p, e)),
    }
}

/// True when the host directory `p` is marked opaque (`overlay.opaque` xattr = `y`).
pub(super) fn is_opaque(p: &Path) -> bool {
    ["trusted.overlay.opaque", "user.overlay.opaque"]
        .iter()
        .any(|k| {
            let mut v = [0u8; 4];
            matches!(rustix::fs::lgetxattr(p, *k, &mut v), Ok(1) if v[0] == b'y')
        })
}

fn kind_of(m: &std::fs::Metadata) -> Kind {
    let t = m.file_type();
    if t.is_file() {
        Kind::File
    } else if t.is_dir() {
        Kind::Dir
    } else if t.is_symlink() {
        Kind::Symlink
    } else {
        Kind::Other
    }
}

fn entry_of(name: String, m: &std::fs::Metadata, layer: usize) -> Entry {
    Entry {
        name,
        kind: kind_of(m),
        size: m.len(),
        mode: m.mode() & 0o7777,
        layer,
    }
}

/// A plain root filesystem directory: one layer, index 0.
pub struct DirTree {
    root: PathBuf,
    /// Paths (relative, `/`-joined) already found to be real directories; the tree is
    /// read-only while cataloged, so each parent is `lstat`ed once.
    dirs: Mutex<HashSet<String>>,
}

impl DirTree {
    /// A tree rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> DirTree {
        DirTree {
            root: root.into(),
            dirs: Mutex::default(),
        }
    }

    /// Host path of `path` when no parent component is a symlink or missing.
    fn host(&self, path: &str) -> Result<Option<PathBuf>, TreeError> {
        let comps = components(path);
        let mut p = self.root.clone();
        for (i, c) in comps.iter().enumerate() {
            p.push(c);
            if i + 1 < comps.len() {
                let key = comps[..=i].join("/");
                if lock(&self.dirs).contains(&key) {
                    continue;
                }
                match host_lstat(&p)? {
                    Some(m) if m.is_dir() => {
                        lock(&self.dirs).insert(key);
                    }
                    _ => return Ok(None),
                }
            }
        }
        Ok(Some(p))
    }
}

impl FileTree for DirTree {
    fn layer_count(&self) -> usize {
        1
    }

    fn lstat(&self, path: &str) -> Result<Option<Entry>, TreeError> {
        let Some(p) = self.host(path)? else {
            return Ok(None);
        };
        let name = components(path).pop().unwrap_or_default();
        Ok(host_lstat(&p)?.map(|m| entry_of(name, &m, 0)))
    }

    fn read_dir(&self, path: &str) -> Result<Vec<Entry>, TreeError> {
        let Some(p) = self.host(path)? else {
            return Ok(Vec::new());
        };
        match host_lstat(&p)? {
            Some(m) if m.is_dir() => {}
            _ => return Ok(Vec::new()),
        }
        let mut out = Vec::new();
        for d in std::fs::read_dir(&p).map_err(|e| io(&p, e))? {
            let d = d.map_err(|e| io(&p, e))?;
            let m = d.metadata().map_err(|e| io(&d.path(), e))?;
            out.push(entry_of(
                d.file_name().to_string_lossy().into_owned(),
                &m,
                0,
            ));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn open(&self, path: &str) -> Result<Option<File>, TreeError> {
        let Some(p) = self.host(path)? else {
            return Ok(None);
        };
        match host_lstat(&p)? {
            Some(m) if m.is_file() => File::open(&p).map(Some).map_err(|e| io(&p, e)),
            _ => Ok(None),
        }
    }

    fn read_file(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, TreeError> {
        let Some(p) = self.host(path)? else {
            return Ok(None);
        };
        match host_lstat(&p)? {
            Some(m) => read_regular(&p, &m, path, max),
            None => Ok(None),
        }
    }

    fn read_in_layer(
        &self,
        path: &str,
        layer: usize,
        max: u64,
    ) -> Result<Option<Vec<u8>>, TreeError> {
        if layer != 0 {
            return Ok(None);
        }
        self.read_file(path, max)
    }

    fn walk_all(&self, f: &mut dyn FnMut(&str, &Entry) -> Visit) -> Result<(), TreeError> {
        super::fastwalk::walk(std::slice::from_ref(&self.root), false, f)
    }

    fn open_walked(&self, path: &str, layer: usize) -> Result<Option<(File, u64)>, TreeError> {
        if layer != 0 {
            return Ok(None);
        }
        let mut p = self.root.clone();
        p.extend(components(path));
        open_regular(&p)
    }
}

/// Reads the host file `p` that `m` says is a regular file, up to `max` bytes (`path` names
/// it in errors).
fn read_regular(
    p: &Path,
    m: &std::fs::Metadata,
    path: &str,
    max: u64,
) -> Result<Option<Vec<u8>>, TreeError> {
    if !m.is_file() {
        return Ok(None);
    }
    if m.len() > max {
        return Err(TreeError::TooLarge {
            path: path.to_string(),
            size: m.len(),
            max,
        });
    }
    let f = File::open(p).map_err(|e| io(p, e))?;
    read_capped(f, path, max).map(Some)
}

/// Opens the host file `p` when it is a regular file, never following a symlink there; with
/// its length.
fn open_regular(p: &Path) -> Result<Option<(File, u64)>, TreeError> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(p)
    {
        Ok(f) => f,
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(io(p, e)),
    };
    let m = f.metadata().map_err(|e| io(p, e))?;
    Ok(m.is_file().then_some((f, m.len())))
}

/// A stack of overlay-form layer directories, topmost first (as `oci::Store::unpack_layer`
/// leaves them); layer index 0 is the bottom layer, as in the image manifest.
pub struct LayersTree {
    /// Bottom first.
    layers: Vec<PathBuf>,
    /// Directories already resolved (relative, `/`-joined) → contributing layers, topmost
    /// first; the layers are read-only while cataloged.
    dirs: Mutex<HashMap<String, Vec<usize>>>,
}

/// What one layer has at a path.
enum Here {
    Missing,
    Whiteout,
    Dir { opaque: bool },
    NonDir(std::fs::Metadata),
}

impl LayersTree {
    /// A view over `lowers`, topmost first (the order overlayfs and the builder use).
    pub fn new(lowers: Vec<PathBuf>) -> LayersTree {
        let mut layers = lowers;
        layers.reverse();
        LayersTree {
            layers,
            dirs: Mutex::default(),
        }
    }

    fn here(&self, layer: usize, rel: &[String]) -> Result<Here, TreeError> {
        let Some(base) = self.layers.get(layer) else {
            return Ok(Here::Missing);
        };
        let mut p = base.clone();
        p.extend(rel);
        let Some(m) = host_lstat(&p)? else {
            return Ok(Here::Missing);
        };
        let t = m.file_type();
        if t.is_char_device() && m.rdev() == 0 {
            return Ok(Here::Whiteout);
        }
        if t.is_dir() {
            // Opaqueness hides lower layers only: the bottom layer needs no xattr lookups.
            let opaque = layer > 0 && is_opaque(&p);
            return Ok(Here::Dir { opaque });
        }
        Ok(Here::NonDir(m))
    }

    /// The layers (topmost first) whose copy of `rel` is visible as a directory, or the
    /// visible non-directory and its layer. Parent components are resolved the same way.
    fn resolve(&self, rel: &[String]) -> Result<Resolved, TreeError> {
        let mut dirs: Vec<usize> = (0..self.layers.len()).rev().collect();
        let mut start = 0;
        if rel.len() > 1 {
            if let Some(d) = lock(&self.dirs).get(&rel[..rel.len() - 1].join("/")) {
                dirs = d.clone();
                start = rel.len() - 1;
            }
        }
        for depth in start..rel.len() {
            let prefix = &rel[..=depth];
            let last = depth + 1 == rel.len();
            let mut next = Vec::new();
            for &l in &dirs {
                match self.here(l, prefix)? {
                    Here::Missing => continue,
                    Here::Whiteout => break,
                    Here::Dir { opaque, .. } => {
                        next.push(l);
                        if opaque {
                            break;
                        }
                    }
                    Here::NonDir(m) => {
                        if next.is_empty() && last {
                            return Ok(Resolved::NonDir(l, m));
                        }
                        break;
                    }
                }
            }
            if next.is_empty() {
                return Ok(Resolved::Missing);
            }
            lock(&self.dirs).insert(prefix.join("/"), next.clone());
            dirs = next;
        }
        Ok(Resolved::Dir(dirs))
    }

    fn host(&self, layer: usize, rel: &[String]) -> PathBuf {
        let mut p = self.layers.get(layer).cloned().unwrap_or_default();
        p.extend(rel);
        p
    }
}

enum Resolved {
    Missing,
    /// Contributing layers, topmost first.
    Dir(Vec<usize>),
    NonDir(usize, std::fs::Metadata),
}

impl FileTree for LayersTree {
    fn layer_count(&self) -> usize {
        self.layers.len()
    }

    fn lstat(&self, path: &str) -> Result<Option<Entry>, TreeError> {
        let rel = components(path);
        let name = rel.last().cloned().unwrap_or_default();
        match self.resolve(&rel)? {
            Resolved::Missing => Ok(None),
            Resolved::NonDir(l, m) => Ok(Some(entry_of(name, &m, l))),
            Resolved::Dir(ls) => {
                let Some(&top) = ls.first() else {
                    return Ok(None);
                };
                let p = self.host(top, &rel);
                Ok(host_lstat(&p)?.map(|m| entry_of(name, &m, top)))
            }
        }
    }

    fn read_dir(&self, path: &str) -> Result<Vec<Entry>, TreeError> {
        let rel = components(path);
        let Resolved::Dir(ls) = self.resolve(&rel)? else {
            return Ok(Vec::new());
        };
        let mut seen: std::collections::BTreeMap<String, Option<Entry>> = Default::default();
        for l in ls {
            let dir = self.host(l, &rel);
            let rd = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&dir, e)),
            };
            for d in rd {
                let d = d.map_err(|e| io(&dir, e))?;
                let name = d.file_name().to_string_lossy().into_owned();
                let m = d.metadata().map_err(|e| io(&d.path(), e))?;
                if let std::collections::btree_map::Entry::Vacant(slot) = seen.entry(name) {
                    // A whiteout hides the name in every lower layer.
                    let whiteout = m.file_type().is_char_device() && m.rdev() == 0;
                    let value = (!whiteout).then(|| entry_of(slot.key().clone(), &m, l));
                    slot.insert(value);
                }
            }
        }
        Ok(seen.into_values().flatten().collect())
    }

    fn open(&self, path: &str) -> Result<Option<File>, TreeError> {
        let rel = components(path);
        match self.resolve(&rel)? {
            Resolved::NonDir(l, m) if m.is_file() => {
                let p = self.host(l, &rel);
                File::open(&p).map(Some).map_err(|e| io(&p, e))
            }
            _ => Ok(None),
        }
    }

    fn read_file(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, TreeError> {
        let rel = components(path);
        match self.resolve(&rel)? {
            Resolved::NonDir(l, m) => read_regular(&self.host(l, &rel), &m, path, max),
            _ => Ok(None),
        }
    }

    fn read_in_layer(
        &self,
        path: &str,
        layer: usize,
        max: u64,
    ) -> Result<Option<Vec<u8>>, TreeError> {
        let rel = components(path);
        // Parents inside that layer must be real directories (no symlink escapes).
        for depth in 0..rel.len().saturating_sub(1) {
            match self.here(layer, &rel[..=depth])? {
                Here::Dir { .. } => {}
                _ => return Ok(None),
            }
        }
        match self.here(layer, &rel)? {
            Here::NonDir(m) if m.is_file() => {
                if m.len() > max {
                    return Err(TreeError::TooLarge {
                        path: path.to_string(),
                        size: m.len(),
                        max,
                    });
                }
                let p = self.host(layer, &rel);
                let f = File::open(&p).map_err(|e| io(&p, e))?;
                read_capped(f, path, max).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn walk_all(&self, f: &mut dyn FnMut(&str, &Entry) -> Visit) -> Result<(), TreeError> {
        super::fastwalk::walk(&self.layers, true, f)
    }

    fn open_walked(&self, path: &str, layer: usize) -> Result<Option<(File, u64)>, TreeError> {
        if layer >= self.layers.len() {
            return Ok(None);
        }
        open_regular(&self.host(layer, &components(path)))
    }
}
