//! Source side of COPY/ADD: one interface over the build context (with `.dockerignore`
//! applied: excluded paths do not exist, as if the context had been sent without them) and a
//! stage's or image's [`LayerStack`]; chroot-style symlink resolution inside the source root;
//! Go wildcard expansion per path component (BuildKit's `ResolveWildcards`).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::layers::{components, is_missing, meta_of};
use super::{io_err, DockerIgnore, FileKind, FsError, FsMeta, LayerStack};
use crate::dockerfile::dockerignore::go_match;

const MAX_LINKS: usize = 40;

/// One node of a source root.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub meta: FsMeta,
    /// Where its bytes are on the host.
    pub host: PathBuf,
    pub md: std::fs::Metadata,
    /// Excluded by `.dockerignore` itself but present because an exception may re-include
    /// something below it (directories only).
    pub excluded: bool,
}

impl Node {
    pub(crate) fn dev_ino(&self) -> (u64, u64) {
        (self.md.dev(), self.md.ino())
    }
}

/// A source root: the context directory or a layer stack.
pub(crate) enum SrcFs<'a> {
    Context {
        dir: &'a Path,
        ignore: Option<&'a DockerIgnore>,
    },
    Layers(&'a LayerStack),
}

impl SrcFs<'_> {
    /// For messages: "the build context", "stage build".
    pub(crate) fn describe(&self) -> String {
        match self {
            SrcFs::Context { .. } => "the build context".to_string(),
            SrcFs::Layers(l) => l.name().to_string(),
        }
    }

    /// A literal path (absolute, cleaned), no symlink following. `None` when absent.
    pub(crate) fn lstat(&self, path: &str) -> Result<Option<Node>, FsError> {
        match self {
            SrcFs::Context { dir, ignore } => {
                let rel = path.trim_start_matches('/');
                let host = if rel.is_empty() {
                    dir.to_path_buf()
                } else {
                    dir.join(rel)
                };
                let md = match std::fs::symlink_metadata(&host) {
                    Ok(md) => md,
                    Err(e) if is_missing(&e) => return Ok(None),
                    Err(e) => return Err(io_err(&host)(e)),
                };
                let mut excluded = false;
                if let Some(ig) = ignore {
                    if ig.matches(rel).is_some() {
                        if md.is_dir() && ig.has_exceptions() {
                            excluded = true;
                        } else {
                            return Ok(None);
                        }
                    }
                }
                let meta = meta_of(&host, &md)?;
                Ok(Some(Node {
                    meta,
                    host,
                    md,
                    excluded,
                }))
            }
            SrcFs::Layers(l) => {
                let Some(host) = l.real_path(path)? else {
                    return Ok(None);
                };
                let md = std::fs::symlink_metadata(&host).map_err(io_err(&host))?;
                let meta = super::layers::layer_meta_of(&host, &md)?;
                Ok(Some(Node {
                    meta,
                    host,
                    md,
                    excluded: false,
                }))
            }
        }
    }

    /// Names in a literal directory, sorted, without excluded entries.
    pub(crate) fn read_dir(&self, path: &str) -> Result<Vec<String>, FsError> {
        match self {
            SrcFs::Context { dir, ignore } => {
                let rel = path.trim_start_matches('/');
                let host = if rel.is_empty() {
                    dir.to_path_buf()
                } else {
                    dir.join(rel)
                };
                let mut names = Vec::new();
                let rd = std::fs::read_dir(&host).map_err(io_err(&host))?;
                for e in rd {
                    let e = e.map_err(io_err(&host))?;
                    let name = e.file_name().to_string_lossy().into_owned();
                    if let Some(ig) = ignore {
                        let child = if rel.is_empty() {
                            name.clone()
                        } else {
                            format!("{rel}/{name}")
                        };
                        if ig.matches(&child).is_some() {
                            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
                            if !(is_dir && ig.has_exceptions()) {
                                continue;
                            }
                        }
                    }
                    names.push(name);
                }
                names.sort();
                Ok(names)
            }
            SrcFs::Layers(l) => l.read_dir(path),
        }
    }

    /// Follow symlinks inside the root like a chroot. `follow_last`: also the final component.
    /// Missing components are kept as written.
    pub(crate) fn resolve(&self, path: &str, follow_last: bool) -> Result<String, FsError> {
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
            if todo.is_empty() && !follow_last {
                done.push(c);
                break;
            }
            let candidate = abs(&done, &c);
            match self.lstat(&candidate)? {
                Some(n) if n.meta.kind == FileKind::Symlink => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(FsError::SymlinkLoop {
                            path: path.to_string(),
                            root: self.describe(),
                        });
                    }
                    let target = n.meta.link_target.unwrap_or_default();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    for t in target
                        .split('/')
                        .filter(|s| !s.is_empty() && *s != ".")
                        .rev()
                    {
                        todo.push(t.to_string());
                    }
                }
                _ => done.push(c),
            }
        }
        Ok(format!("/{}", done.join("/")))
    }

    /// Expand Go wildcards (per component) in an absolute cleaned path; sorted matches. A
    /// path without wildcards is returned as is (existence is checked by the caller).
    pub(crate) fn wildcards(&self, path: &str) -> Result<Vec<String>, FsError> {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let Some(first) = comps.iter().position(|c| has_wildcards(c)) else {
            return Ok(vec![path.to_string()]);
        };
        let base = format!("/{}", comps[..first].join("/"));
        let mut current = vec![self.resolve(&base, true)?];
        for (i, pat) in comps[first..].iter().enumerate() {
            let last = first + i + 1 == comps.len();
            let mut next = Vec::new();
            for dir in &current {
                let resolved = self.resolve(dir, true)?;
                match self.lstat(&resolved)? {
                    Some(n) if n.meta.kind == FileKind::Dir => {}
                    _ => continue,
                }
                if has_wildcards(pat) {
                    for name in self.read_dir(&resolved)? {
                        if go_match(pat, &name).map_err(|r| {
                            FsError::Invalid(format!("bad wildcard {pat:?} in {path:?}: {r}"))
                        })? {
                            next.push(join(dir, &name));
                        }
                    }
                } else {
                    let name = unescape(pat);
                    let p = join(dir, &name);
                    if last || self.lstat(&self.resolve(&p, false)?)?.is_some() {
                        next.push(p);
                    }
                }
            }
            current = next;
            if current.is_empty() {
                break;
            }
        }
        // Only keep matches that exist.
        let mut out = Vec::new();
        for m in current {
            if self.lstat(&self.resolve(&m, false)?)?.is_some() {
                out.push(m);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

fn abs(done: &[String], c: &str) -> String {
    if done.is_empty() {
        format!("/{c}")
    } else {
        format!("/{}/{c}", done.join("/"))
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// `*`, `?` or `[` not escaped by `\`.
pub(crate) fn has_wildcards(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'*' | b'?' | b'[' => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut esc = false;
    for c in s.chars() {
        if c == '\\' && !esc {
            esc = true;
            continue;
        }
        esc = false;
        out.push(c);
    }
    out
}
