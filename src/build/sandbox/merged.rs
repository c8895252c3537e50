//! A read-only merged view over overlay-form layer dirs (topmost first): whiteouts (0/0
//! character devices) hide lower entries, opaque dirs (`trusted.overlay.opaque` or
//! `user.overlay.opaque` = "y") hide lower dirs. Used to find mount targets in the image and to
//! materialise the root of chroot mode. Symlinks are reported, never followed.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

/// One entry of the merged view.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Host path of the topmost copy (its metadata is the entry's).
    pub host: PathBuf,
    pub meta: Metadata,
    /// For a directory: the host dirs that contribute to it, topmost first.
    pub stack: Vec<PathBuf>,
}

pub(crate) fn is_whiteout(md: &Metadata) -> bool {
    md.file_type().is_char_device() && md.rdev() == 0
}

pub(crate) fn is_opaque(dir: &Path) -> bool {
    ["trusted.overlay.opaque", "user.overlay.opaque"]
        .iter()
        .any(|k| matches!(crate::oci::layer::get_xattr(dir, k), Ok(v) if v == b"y"))
}

/// The merged view.
#[derive(Debug, Clone)]
pub(crate) struct Merged {
    layers: Vec<PathBuf>,
}

impl Merged {
    pub fn new(layers: &[PathBuf]) -> Merged {
        Merged {
            layers: layers.to_vec(),
        }
    }

    /// The root directory's stack (every layer).
    pub fn root_stack(&self) -> Vec<PathBuf> {
        self.layers.clone()
    }

    /// Look up `name` in a directory given by its stack.
    pub fn child(&self, stack: &[PathBuf], name: &OsStr) -> io::Result<Option<Found>> {
        let mut found: Option<Found> = None;
        for dir in stack {
            let p = dir.join(name);
            let md = match std::fs::symlink_metadata(&p) {
                Ok(md) => md,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => continue,
                Err(e) => return Err(e),
            };
            match &mut found {
                None => {
                    if is_whiteout(&md) {
                        return Ok(None);
                    }
                    let is_dir = md.is_dir();
                    let opaque = is_dir && is_opaque(&p);
                    found = Some(Found {
                        host: p.clone(),
                        meta: md,
                        stack: if is_dir { vec![p] } else { Vec::new() },
                    });
                    if !is_dir || opaque {
                        break;
                    }
                }
                Some(f) => {
                    if !md.is_dir() {
                        break;
                    }
                    let opaque = is_opaque(&p);
                    f.stack.push(p);
                    if opaque {
                        break;
                    }
                }
            }
        }
        Ok(found)
    }

    /// Merged, sorted child names of a directory given by its stack.
    pub fn children(&self, stack: &[PathBuf]) -> io::Result<Vec<(OsString, Found)>> {
        let mut names = BTreeSet::new();
        for dir in stack {
            for e in std::fs::read_dir(dir)? {
                names.insert(e?.file_name());
            }
        }
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            if let Some(f) = self.child(stack, &name)? {
                out.push((name, f));
            }
        }
        Ok(out)
    }

    /// Look up a relative path without following symlinks (a symlink in the middle of the
    /// path counts as missing: callers resolve first with [`resolve`]).
    pub fn lookup(&self, rel: &Path) -> io::Result<Option<Found>> {
        let mut stack = self.root_stack();
        let mut last: Option<Found> = None;
        for c in rel.components() {
            let Component::Normal(name) = c else { continue };
            if stack.is_empty() {
                return Ok(None);
            }
            match self.child(&stack, name)? {
                Some(f) => {
                    stack = f.stack.clone();
                    last = Some(f);
                }
                None => return Ok(None),
            }
        }
        Ok(last)
    }
}

/// What a resolver needs to know about a path: `None` when missing, else the symlink target
/// when it is a symlink.
pub(crate) enum Probe {
    Missing,
    Symlink(PathBuf),
    Dir,
    Other,
}

/// Resolve `path` (absolute in the container) like the kernel would inside a chroot: `..` stops
/// at the root, absolute symlinks restart at the root. Returns the relative path (no
/// symlinks left in it; its tail may not exist).
pub(crate) fn resolve(
    path: &str,
    probe: &mut dyn FnMut(&Path) -> io::Result<Probe>,
) -> io::Result<PathBuf> {
    let mut todo: Vec<OsString> = components_rev(Path::new(path));
    let mut out = PathBuf::new();
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        if c == ".." {
            out.pop();
            continue;
        }
        let candidate = out.join(&c);
        match probe(&candidate)? {
            Probe::Symlink(target) => {
                hops += 1;
                if hops > 40 {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                if target.is_absolute() {
                    out = PathBuf::new();
                }
                todo.extend(components_rev(&target));
            }
            Probe::Missing => {
                out = candidate;
                // The rest cannot exist: keep it lexically (`..` still pops).
                while let Some(c) = todo.pop() {
                    if c == ".." {
                        out.pop();
                    } else {
                        out.push(c);
                    }
                }
            }
            Probe::Dir | Probe::Other => out = candidate,
        }
    }
    Ok(out)
}

fn components_rev(p: &Path) -> Vec<OsString> {
    let mut v: Vec<OsString> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    v.reverse();
    v
}

/// A resolver probe over the merged view.
pub(crate) fn merged_probe(m: &Merged) -> impl FnMut(&Path) -> io::Result<Probe> + '_ {
    move |rel| {
        Ok(match m.lookup(rel)? {
            None => Probe::Missing,
            Some(f) if f.meta.file_type().is_symlink() => {
                Probe::Symlink(std::fs::read_link(&f.host)?)
            }
            Some(f) if f.meta.is_dir() => Probe::Dir,
            Some(_) => Probe::Other,
        })
    }
}

/// A resolver probe over a real directory used as a root.
pub(crate) fn dir_probe(root: &Path) -> impl FnMut(&Path) -> io::Result<Probe> + '_ {
    move |rel| {
        let p = root.join(rel);
        Ok(match std::fs::symlink_metadata(&p) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Probe::Missing,
            Err(e) => return Err(e),
            Ok(md) if md.file_type().is_symlink() => Probe::Symlink(std::fs::read_link(&p)?),
            Ok(md) if md.is_dir() => Probe::Dir,
            Ok(_) => Probe::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_stays_inside() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        std::os::unix::fs::symlink("/../../host", d.path().join("etc/abs")).unwrap();
        std::os::unix::fs::symlink("../../..", d.path().join("etc/up")).unwrap();
        let mut p = dir_probe(d.path());
        assert_eq!(resolve("/etc/abs/x", &mut p).unwrap(), Path::new("host/x"));
        assert_eq!(resolve("/etc/up/y", &mut p).unwrap(), Path::new("y"));
        assert_eq!(resolve("/../a/./b", &mut p).unwrap(), Path::new("a/b"));
    }

    #[test]
    fn merged_whiteouts_and_opaque() {
        let d = tempfile::tempdir().unwrap();
        let (top, bottom) = (d.path().join("top"), d.path().join("bottom"));
        for p in ["a", "b/inner", "c/old"] {
            std::fs::create_dir_all(bottom.join(p)).unwrap();
        }
        std::fs::create_dir_all(top.join("c")).unwrap();
        std::fs::write(top.join("c/new"), b"x").unwrap();
        nix::sys::stat::mknod(
            &top.join("a"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::empty(),
            0,
        )
        .unwrap();
        rustix::fs::lsetxattr(
            top.join("c"),
            "trusted.overlay.opaque",
            b"y",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
        let m = Merged::new(&[top, bottom]);
        let names: Vec<_> = m
            .children(&m.root_stack())
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, vec![OsString::from("b"), OsString::from("c")]);
        assert!(m.lookup(Path::new("c/old")).unwrap().is_none());
        assert!(m.lookup(Path::new("c/new")).unwrap().is_some());
        assert!(m.lookup(Path::new("b/inner")).unwrap().is_some());
    }
}
