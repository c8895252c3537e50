//! [`LayerStack`]: a read-only merged view over overlay-form layer directories (topmost
//! first), the way overlayfs would show them: a 0/0 character device hides the lower entry
//! (whiteout), a directory with the `trusted.overlay.opaque` or `user.overlay.opaque` xattr
//! set to `y` hides everything below it in lower layers, a non-directory hides lower
//! directories. Symlinks are resolved with chroot semantics: an absolute target or a `..`
//! past the top stays inside the view.

use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{io_err, FileKind, FsError, FsMeta};

/// Symlinks followed while resolving one path before giving up (Linux's limit).
const MAX_LINKS: usize = 40;

/// Read-only merged view over overlay-form layer dirs (topmost first), honouring whiteouts
/// (0/0 char devices) and opaque dirs, never following a symlink out of the view.
#[derive(Debug)]
pub struct LayerStack {
    lowers: Vec<PathBuf>,
    name: String,
    /// Opaque-directory answers per host directory (layers are immutable while viewed).
    opaque: Mutex<HashMap<PathBuf, bool>>,
}

impl Clone for LayerStack {
    fn clone(&self) -> LayerStack {
        LayerStack {
            lowers: self.lowers.clone(),
            name: self.name.clone(),
            opaque: Mutex::new(HashMap::new()),
        }
    }
}

/// Where a path was found: the layers holding it (topmost first; more than one only for a
/// directory merged from several layers) and its metadata in the topmost one.
struct Located {
    layers: Vec<usize>,
}

enum Probe {
    /// The layer says nothing about the path.
    Missing { opaque_prefix: bool },
    /// The layer hides the path (whiteout, or a non-directory on the way).
    Hidden,
    /// The layer has the path.
    Found {
        md: std::fs::Metadata,
        opaque_prefix: bool,
    },
}

impl LayerStack {
    /// A view over `lowers` (topmost first; empty = scratch).
    pub fn new(lowers: Vec<PathBuf>) -> LayerStack {
        LayerStack {
            lowers,
            name: "the image".to_string(),
            opaque: Mutex::new(HashMap::new()),
        }
    }

    /// Name the view for error messages (`stage build`, `image alpine:3.20`).
    pub fn named(mut self, name: impl Into<String>) -> LayerStack {
        self.name = name.into();
        self
    }

    /// The name used in error messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The layer directories, topmost first.
    pub fn lowers(&self) -> &[PathBuf] {
        &self.lowers
    }

    fn opaque_cached(&self, p: &Path) -> bool {
        if let Ok(m) = self.opaque.lock() {
            if let Some(v) = m.get(p) {
                return *v;
            }
        }
        let v = is_opaque(p);
        if let Ok(mut m) = self.opaque.lock() {
            m.insert(p.to_path_buf(), v);
        }
        v
    }

    fn probe(&self, layer: usize, comps: &[&str]) -> Result<Probe, FsError> {
        let mut p = self.lowers[layer].clone();
        let mut opaque_prefix = false;
        for (i, c) in comps.iter().enumerate() {
            p.push(c);
            let md = match std::fs::symlink_metadata(&p) {
                Ok(md) => md,
                Err(e) if is_missing(&e) => return Ok(Probe::Missing { opaque_prefix }),
                Err(e) => return Err(io_err(&p)(e)),
            };
            if is_whiteout(&md) {
                return Ok(Probe::Hidden);
            }
            let last = i + 1 == comps.len();
            if last {
                return Ok(Probe::Found { md, opaque_prefix });
            }
            if !md.is_dir() {
                return Ok(Probe::Hidden);
            }
            if self.opaque_cached(&p) {
                opaque_prefix = true;
            }
        }
        // The root of the layer.
        let md = std::fs::symlink_metadata(&p).map_err(io_err(&p))?;
        Ok(Probe::Found {
            md,
            opaque_prefix: false,
        })
    }

    /// Find a literal path (no symlink following) in the merged view.
    fn locate(&self, comps: &[&str]) -> Result<Option<(Located, std::fs::Metadata)>, FsError> {
        let mut found: Option<(Located, std::fs::Metadata)> = None;
        for i in 0..self.lowers.len() {
            match self.probe(i, comps)? {
                Probe::Missing { opaque_prefix } => {
                    if opaque_prefix {
                        break;
                    }
                }
                Probe::Hidden => break,
                Probe::Found { md, opaque_prefix } => {
                    let opaque = md.is_dir() && !comps.is_empty() && {
                        let mut p = self.lowers[i].clone();
                        p.extend(comps);
                        self.opaque_cached(&p)
                    };
                    match &mut found {
                        None => {
                            let is_dir = md.is_dir();
                            found = Some((Located { layers: vec![i] }, md));
                            if !is_dir || opaque || opaque_prefix {
                                break;
                            }
                        }
                        Some((loc, _)) => {
                            if !md.is_dir() {
                                break;
                            }
                            loc.layers.push(i);
                            if opaque || opaque_prefix {
                                break;
                            }
                        }
                    }
                }
            }
        }
        if found.is_none() && comps.is_empty() {
            // Scratch (or all layers lack a root): the root is an empty directory.
            return Ok(None);
        }
        Ok(found)
    }

    /// Metadata of `path` (absolute in the image) without following a final symlink;
    /// symlinks in parent directories are followed inside the view. `None` when absent.
    pub fn lstat(&self, path: &str) -> Result<Option<FsMeta>, FsError> {
        let (parent, name) = split_parent(path);
        let parent = self.resolve(&parent)?;
        let full = join_abs(&parent, &name);
        self.lstat_literal(&full)
    }

    /// Metadata of a literal path (no symlink following anywhere).
    pub(crate) fn lstat_literal(&self, path: &str) -> Result<Option<FsMeta>, FsError> {
        let comps = components(path);
        if comps.is_empty() && self.lowers.is_empty() {
            return Ok(Some(root_meta()));
        }
        match self.locate(&comps)? {
            Some((loc, md)) => {
                let mut p = self.lowers[loc.layers[0]].clone();
                p.extend(&comps);
                Ok(Some(layer_meta_of(&p, &md)?))
            }
            None if comps.is_empty() => Ok(Some(root_meta())),
            None => Ok(None),
        }
    }

    /// Follow symlinks inside the view (like a chroot) and return the resolved absolute path.
    /// Components that do not exist are kept as written.
    pub fn resolve(&self, path: &str) -> Result<String, FsError> {
        self.resolve_inner(path, true)
    }

    fn resolve_inner(&self, path: &str, follow_last: bool) -> Result<String, FsError> {
        let mut todo: Vec<String> = components(path)
            .into_iter()
            .rev()
            .map(String::from)
            .collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0usize;
        while let Some(c) = todo.pop() {
            if c == ".." {
                done.pop();
                continue;
            }
            let last = todo.is_empty();
            let candidate = if done.is_empty() {
                format!("/{c}")
            } else {
                format!("/{}/{c}", done.join("/"))
            };
            if last && !follow_last {
                done.push(c);
                break;
            }
            match self.lstat_literal(&candidate)? {
                Some(m) if m.kind == FileKind::Symlink => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(FsError::SymlinkLoop {
                            path: path.to_string(),
                            root: self.name.clone(),
                        });
                    }
                    let target = m.link_target.unwrap_or_default();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    for t in components_keep_dots(&target).into_iter().rev() {
                        todo.push(t.to_string());
                    }
                }
                _ => done.push(c),
            }
        }
        Ok(format!("/{}", done.join("/")))
    }

    /// Contents of a regular file (following symlinks inside the view); `None` when absent.
    /// Larger than `max` bytes → [`FsError::TooLarge`].
    pub fn read_file(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, FsError> {
        let resolved = self.resolve(path)?;
        let Some(m) = self.lstat_literal(&resolved)? else {
            return Ok(None);
        };
        if m.kind != FileKind::File {
            return Ok(None);
        }
        if m.size > max {
            return Err(FsError::TooLarge {
                path: path.to_string(),
                root: self.name.clone(),
                max,
            });
        }
        let Some(host) = self.real_path(&resolved)? else {
            return Ok(None);
        };
        std::fs::read(&host).map(Some).map_err(io_err(host))
    }

    /// Names in a directory (following symlinks to it), merged over the layers, sorted.
    /// A missing path or a non-directory gives an empty list.
    pub fn read_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        let resolved = self.resolve(path)?;
        let comps = components(&resolved);
        if self.lowers.is_empty() {
            return Ok(Vec::new());
        }
        let Some((loc, md)) = self.locate(&comps)? else {
            return Ok(Vec::new());
        };
        if !md.is_dir() {
            return Ok(Vec::new());
        }
        let mut seen: std::collections::BTreeMap<String, bool> = Default::default();
        for &i in &loc.layers {
            let mut p = self.lowers[i].clone();
            p.extend(&comps);
            let rd = match std::fs::read_dir(&p) {
                Ok(rd) => rd,
                Err(e) if is_missing(&e) => continue,
                Err(e) => return Err(io_err(&p)(e)),
            };
            for e in rd {
                let e = e.map_err(io_err(&p))?;
                let name = e.file_name().to_string_lossy().into_owned();
                if seen.contains_key(&name) {
                    continue;
                }
                let md = e.metadata().map_err(io_err(e.path()))?;
                seen.insert(name, !is_whiteout(&md));
            }
        }
        Ok(seen
            .into_iter()
            .filter(|(_, v)| *v)
            .map(|(k, _)| k)
            .collect())
    }

    /// Host path of the topmost copy of a literal path (for copying bytes); `None` if absent.
    pub fn real_path(&self, path: &str) -> Result<Option<PathBuf>, FsError> {
        let comps = components(path);
        Ok(self.locate(&comps)?.map(|(loc, _)| {
            let mut p = self.lowers[loc.layers[0]].clone();
            p.extend(&comps);
            p
        }))
    }
}

fn root_meta() -> FsMeta {
    FsMeta {
        kind: FileKind::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
        size: 0,
        link_target: None,
        rdev: 0,
    }
}

/// Metadata of a host path from its (l)stat result.
pub(crate) fn meta_of(p: &Path, md: &std::fs::Metadata) -> Result<FsMeta, FsError> {
    let kind = FileKind::from_std(md.file_type());
    let link_target = if kind == FileKind::Symlink {
        let t = std::fs::read_link(p).map_err(io_err(p))?;
        Some(t.to_string_lossy().into_owned())
    } else {
        None
    };
    Ok(FsMeta {
        kind,
        mode: md.mode() & 0o7777,
        uid: md.uid(),
        gid: md.gid(),
        size: if kind == FileKind::File { md.len() } else { 0 },
        link_target,
        rdev: if matches!(kind, FileKind::CharDev | FileKind::BlockDev) {
            md.rdev()
        } else {
            0
        },
    })
}

/// Metadata of a path in an unpacked layer of the store, in the image's ids: a non-root
/// user's store holds shifted ids (see [`crate::build::sandbox::IdMap`]).
pub(crate) fn layer_meta_of(p: &Path, md: &std::fs::Metadata) -> Result<FsMeta, FsError> {
    let mut m = meta_of(p, md)?;
    if let Some(map) = crate::build::sandbox::current_map() {
        (m.uid, m.gid) = map.to_container(m.uid, m.gid);
    }
    Ok(m)
}

pub(crate) fn is_missing(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(20)
}

/// An overlayfs whiteout: a character device with device number 0/0.
pub(crate) fn is_whiteout(md: &std::fs::Metadata) -> bool {
    md.file_type().is_char_device() && md.rdev() == 0
}

/// An overlayfs opaque directory.
pub(crate) fn is_opaque(p: &Path) -> bool {
    ["trusted.overlay.opaque", "user.overlay.opaque"]
        .iter()
        .any(|k| get_xattr(p, k).is_some_and(|v| v == b"y"))
}

/// One extended attribute of a path (not following symlinks).
pub(crate) fn get_xattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        match rustix::fs::lgetxattr(p, name, &mut buf[..]) {
            Ok(n) => {
                buf.truncate(n);
                return Some(buf);
            }
            Err(rustix::io::Errno::RANGE) if buf.len() < 1 << 16 => {
                buf.resize(buf.len() * 4, 0);
            }
            Err(_) => return None,
        }
    }
}

/// Names of the extended attributes of a path (not following symlinks).
pub(crate) fn list_xattrs(p: &Path) -> Vec<String> {
    let mut buf = vec![0u8; 1024];
    loop {
        match rustix::fs::llistxattr(p, &mut buf[..]) {
            Ok(n) => {
                buf.truncate(n);
                return buf
                    .split(|&b| b == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect();
            }
            Err(rustix::io::Errno::RANGE) if buf.len() < 1 << 20 => {
                buf.resize(buf.len() * 4, 0);
            }
            Err(_) => return Vec::new(),
        }
    }
}

/// Clean components of an absolute or relative path (`.`, empty dropped; `..` resolved, never
/// above the root).
pub(crate) fn components(path: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// Components keeping `..` (for symlink targets resolved step by step).
fn components_keep_dots(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// `/a/b/c` → (`/a/b`, `c`), on the cleaned path.
pub(crate) fn split_parent(path: &str) -> (String, String) {
    let comps = components(path);
    match comps.split_last() {
        Some((last, rest)) => (format!("/{}", rest.join("/")), last.to_string()),
        None => ("/".to_string(), String::new()),
    }
}

/// Join an absolute directory and a name.
pub(crate) fn join_abs(dir: &str, name: &str) -> String {
    if name.is_empty() {
        return dir.to_string();
    }
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mkwhiteout(p: &Path) -> bool {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            p,
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0),
            0,
        )
        .is_ok()
    }

    #[test]
    fn merged_view_whiteouts_opaque_and_links() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (upper, lower) = (t.path().join("upper"), t.path().join("lower"));
        for d in ["etc", "opq", "usr/bin", "gone"] {
            std::fs::create_dir_all(lower.join(d)).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(lower.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(lower.join("opq/old"), "x").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(lower.join("usr/bin/a"), "x").unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(upper.join("opq")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(upper.join("opq/new"), "y").unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(upper.join("usr/bin")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(upper.join("usr/bin/b"), "y").unwrap_or_else(|e| panic!("{e}"));
        symlink("/usr/bin", upper.join("bin")).unwrap_or_else(|e| panic!("{e}"));
        symlink("../../../../etc", upper.join("up")).unwrap_or_else(|e| panic!("{e}"));
        let root = crate::oci::unpack::is_root();
        let opaque_ok = root
            && rustix::fs::setxattr(
                upper.join("opq").as_path(),
                "trusted.overlay.opaque",
                b"y",
                rustix::fs::XattrFlags::empty(),
            )
            .is_ok();
        let wh = root && mkwhiteout(&upper.join("gone"));
        let v = LayerStack::new(vec![upper.clone(), lower.clone()]);
        assert_eq!(
            v.read_dir("/usr/bin").unwrap_or_default(),
            vec!["a".to_string(), "b".to_string()]
        );
        assert_eq!(
            v.read_dir("/bin").unwrap_or_default(),
            vec!["a".to_string(), "b".to_string()],
            "a symlinked dir is followed inside the view"
        );
        assert_eq!(v.resolve("/bin/a").unwrap_or_default(), "/usr/bin/a");
        assert_eq!(v.resolve("/up/passwd").unwrap_or_default(), "/etc/passwd");
        assert!(v
            .read_file("/up/passwd", 100)
            .unwrap_or_default()
            .is_some_and(|b| b.starts_with(b"root")));
        assert!(matches!(
            v.read_file("/etc/passwd", 3),
            Err(FsError::TooLarge { .. })
        ));
        let m = v.lstat("/bin").unwrap_or_default();
        assert_eq!(m.map(|m| m.kind), Some(FileKind::Symlink));
        if opaque_ok {
            assert_eq!(
                v.read_dir("/opq").unwrap_or_default(),
                vec!["new".to_string()]
            );
            assert!(v.lstat("/opq/old").unwrap_or_default().is_none());
        }
        if wh {
            assert!(v.lstat("/gone").unwrap_or_default().is_none());
            assert!(!v
                .read_dir("/")
                .unwrap_or_default()
                .contains(&"gone".to_string()));
        }
        assert!(v.lstat("/nope/x").unwrap_or_default().is_none());
        assert_eq!(
            v.real_path("/usr/bin/a").unwrap_or_default(),
            Some(lower.join("usr/bin/a"))
        );
        // Loops are reported, not followed forever.
        symlink("loop", upper.join("loop")).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            v.resolve("/loop"),
            Err(FsError::SymlinkLoop { .. })
        ));
    }
}
