//! COPY/ADD planning: resolve the sources against their root, the destination against the
//! image it is applied to, and compute the exact list of entries the new layer will hold
//! (BuildKit's `docopy` + fsutil `Copy` rules); [`super::planned`] then hashes them.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::add::{fetch_url, is_archive, is_git_source, is_url};
use super::hashcache::StatKey;
use super::layers::{components, list_xattrs, split_parent};
use super::planned::{dir_entry, ArchiveOp, CopyPlan, PEntry};
use super::select::{has_wildcards, Node, SrcFs};
use super::{verb, Chmod, DockerIgnore, FileKind, FsError, LayerStack};
use crate::dockerfile::dockerignore::go_match;

/// Where COPY/ADD sources come from.
#[derive(Clone, Copy)]
pub enum SourceRoot<'a> {
    /// The build context directory with its `.dockerignore`.
    Context {
        /// The context directory.
        dir: &'a Path,
        /// Its ignore rules.
        ignore: &'a DockerIgnore,
    },
    /// A stage's or image's filesystem (`COPY --from`).
    Layers(&'a LayerStack),
}

/// One COPY or ADD instruction, with its arguments already expanded.
#[derive(Clone, Copy)]
pub struct CopyRequest<'a> {
    /// Expanded source args (wildcards allowed); URLs only for ADD.
    pub sources: &'a [String],
    /// Expanded destination as written.
    pub dest: &'a str,
    /// The stage's WORKDIR (absolute).
    pub workdir: &'a str,
    /// `--chown`, already resolved to ids.
    pub chown: Option<(u32, u32)>,
    /// `--chmod`.
    pub chmod: Option<&'a Chmod>,
    /// `--parents`.
    pub parents: bool,
    /// `--exclude` patterns.
    pub excludes: &'a [String],
    /// `--link`: the destination is resolved without the parent image (dest_view None).
    pub link: bool,
    /// Some for ADD.
    pub add: Option<AddOptions<'a>>,
}

impl<'a> CopyRequest<'a> {
    /// A snapshot of `sources` at `/`, as they are (no owner or mode change, no parent image):
    /// what a bind mount or a named build context reads.
    pub fn snapshot(sources: &'a [String]) -> CopyRequest<'a> {
        CopyRequest {
            sources,
            dest: "/",
            workdir: "/",
            chown: None,
            chmod: None,
            parents: false,
            excludes: &[],
            link: true,
            add: None,
        }
    }
}

/// ADD's options.
#[derive(Debug, Clone, Copy)]
pub struct AddOptions<'a> {
    /// `--checksum=sha256:…` for a URL source.
    pub checksum: Option<&'a str>,
    /// Unpack local archives (ADD's default; `--unpack=false` turns it off). URLs are never
    /// unpacked.
    pub unpack: bool,
}

/// Knobs of planning that are not part of the instruction.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Directory of the persistent stat → sha256 cache (None: no persistence).
    pub hash_cache: Option<PathBuf>,
    /// Hashes an earlier plan of the same build computed (see [`CopyPlan::known_hashes`]):
    /// asked before the persistent cache and never written to it, so a second plan of the
    /// same sources reads nothing again, not even files too new for the persistent cache.
    pub known: Option<KnownHashes>,
}

/// Content hashes by stat key, from one plan for the next (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct KnownHashes(
    pub(crate) std::sync::Arc<std::collections::HashMap<super::hashcache::StatKey, [u8; 32]>>,
);

impl PlanOptions {
    /// The default: the cache under `$HOIST_HOME/ctxcache` (the store's root), when it can be
    /// located.
    pub fn from_env() -> PlanOptions {
        PlanOptions {
            hash_cache: crate::oci::store::Store::default_root()
                .ok()
                .map(|r| r.join("ctxcache")),
            known: None,
        }
    }
}

/// Resolve a COPY/ADD against its source root and (unless --link) the image it is applied to.
/// Uses the stat cache under `$HOIST_HOME/ctxcache` (see [`plan_copy_with`]).
pub fn plan_copy(
    src: &SourceRoot,
    dest_view: Option<&LayerStack>,
    req: &CopyRequest,
) -> Result<CopyPlan, FsError> {
    plan_copy_with(src, dest_view, req, &PlanOptions::from_env())
}

/// [`plan_copy`] with explicit options (e.g. the hash cache directory).
pub fn plan_copy_with(
    src: &SourceRoot,
    dest_view: Option<&LayerStack>,
    req: &CopyRequest,
    opts: &PlanOptions,
) -> Result<CopyPlan, FsError> {
    let what = verb(req.add.is_some());
    validate(req, what)?;
    let dest_view = if req.link { None } else { dest_view };
    let mut p = Planner {
        req,
        what,
        dest_view,
        tree: BTreeMap::new(),
        archives: Vec::new(),
        fetched: None,
        source_index: 0,
        fresh: HashSet::new(),
    };
    let excludes = if req.excludes.is_empty() {
        None
    } else {
        Some(DockerIgnore::from_patterns(req.excludes, "--exclude")?)
    };
    for (i, s) in req.sources.iter().enumerate() {
        p.source_index = i;
        if is_url(s) {
            p.add_url(s)?;
        } else {
            p.add_local(src, s, excludes.as_ref())?;
        }
    }
    super::planned::finish(p.tree, p.archives, p.fetched, opts)
}

fn validate(req: &CopyRequest, what: &str) -> Result<(), FsError> {
    if req.sources.is_empty() {
        return Err(FsError::Invalid(format!(
            "{what} needs at least one source"
        )));
    }
    if req.sources.len() > 1 && !req.dest.ends_with('/') {
        return Err(FsError::Invalid(format!(
            "When using {what} with more than one source file, the destination must be a directory and end with a / (got {:?})",
            req.dest
        )));
    }
    for s in req.sources {
        if is_git_source(s) {
            return Err(FsError::GitUnsupported { url: s.clone() });
        }
        if is_url(s) && req.add.is_none() {
            return Err(FsError::Invalid(format!(
                "COPY source {s:?} is a URL: use ADD to fetch URLs"
            )));
        }
    }
    if let Some(add) = &req.add {
        if add.checksum.is_some() {
            if req.sources.len() != 1 {
                return Err(FsError::Invalid(
                    "ADD --checksum can't be specified for multiple sources".to_string(),
                ));
            }
            if !is_url(&req.sources[0]) {
                return Err(FsError::Invalid(format!(
                    "ADD --checksum requires an HTTP(S) source, not {:?}",
                    req.sources[0]
                )));
            }
        }
    }
    if !req.workdir.starts_with('/') {
        return Err(FsError::Invalid(format!(
            "WORKDIR {:?} must be absolute",
            req.workdir
        )));
    }
    Ok(())
}

/// The absolute destination and whether it names a directory (trailing `/`, `.`).
fn dest_path(dest: &str, workdir: &str) -> (String, bool) {
    let d = if dest.is_empty() || dest == "." {
        "./"
    } else {
        dest
    };
    let dir_syntax = d.ends_with('/') || d.ends_with("/.");
    let joined = if d.starts_with('/') {
        d.to_string()
    } else {
        format!("{workdir}/{d}")
    };
    (format!("/{}", components(&joined).join("/")), dir_syntax)
}

/// Relative key of an absolute path.
fn key(abs: &str) -> String {
    abs.trim_start_matches('/').to_string()
}

fn base_name(p: &str) -> String {
    components(p)
        .last()
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// A directory visited but not yet created (created when something below it is included).
struct Pending {
    node: Node,
    target: String,
    created: bool,
}

struct Planner<'a> {
    req: &'a CopyRequest<'a>,
    what: &'static str,
    dest_view: Option<&'a LayerStack>,
    tree: BTreeMap<String, PEntry>,
    archives: Vec<ArchiveOp>,
    fetched: Option<tempfile::TempDir>,
    source_index: usize,
    /// Directories this COPY creates that the image does not have.
    fresh: HashSet<String>,
}

impl Planner<'_> {
    fn chmod(&self) -> Option<&Chmod> {
        self.req.chmod
    }

    fn resolve_dest(&self, abs: &str) -> Result<String, FsError> {
        match self.dest_view {
            Some(v) => v.resolve(abs),
            None => Ok(format!("/{}", components(abs).join("/"))),
        }
    }

    /// Kind of a resolved destination path: planned entries first, then the image.
    fn dest_kind(&self, abs: &str) -> Result<Option<FileKind>, FsError> {
        if abs == "/" {
            return Ok(Some(FileKind::Dir));
        }
        if let Some(e) = self.tree.get(&key(abs)) {
            return Ok(Some(e.kind));
        }
        // Below a directory this COPY created, the image has nothing (saves a lookup through
        // every layer per copied file).
        if self.fresh.contains(&key(&split_parent(abs).0)) {
            return Ok(None);
        }
        match self.dest_view {
            Some(v) => Ok(v.lstat_literal(abs)?.map(|m| m.kind)),
            None => Ok(None),
        }
    }

    fn created_dir(&self) -> PEntry {
        let (uid, gid) = self.req.chown.unwrap_or((0, 0));
        dir_entry(Chmod::created_dir_mode(self.chmod()), uid, gid, false)
    }

    /// Make sure every component of a resolved absolute directory exists (BuildKit's MkdirAll:
    /// new directories get 0755 or the octal --chmod and the --chown owner).
    fn mkdir_all(&mut self, abs: &str) -> Result<(), FsError> {
        let comps = components(abs);
        for i in 1..=comps.len() {
            let p = format!("/{}", comps[..i].join("/"));
            let k = key(&p);
            if let Some(e) = self.tree.get(&k) {
                if e.kind != FileKind::Dir {
                    return Err(self.conflict(
                        &p,
                        &p,
                        "a parent of the destination is not a directory",
                    ));
                }
                continue;
            }
            let existing = match self.dest_view {
                Some(v) => v.lstat_literal(&p)?,
                None => None,
            };
            let entry = match existing {
                Some(m) if m.kind == FileKind::Dir => dir_entry(m.mode, m.uid, m.gid, true),
                Some(_) => {
                    return Err(self.conflict(
                        &p,
                        &p,
                        "a parent of the destination is not a directory in the image",
                    ));
                }
                None => {
                    self.fresh.insert(k.clone());
                    self.created_dir()
                }
            };
            self.tree.insert(k, entry);
        }
        Ok(())
    }

    fn conflict(&self, src: &str, dest: &str, reason: &'static str) -> FsError {
        FsError::Conflict {
            source_path: src.to_string(),
            dest: dest.to_string(),
            reason,
        }
    }

    /// Add an entry at a resolved path, with fsutil's replacement rules.
    fn put(
        &mut self,
        src: &str,
        abs: &str,
        e: PEntry,
        overwrite_meta: bool,
    ) -> Result<(), FsError> {
        let k = key(abs);
        if k.is_empty() {
            return Ok(());
        }
        let prev = self.dest_kind(abs)?;
        match (prev, e.kind == FileKind::Dir) {
            (Some(FileKind::Dir), true) => {
                if overwrite_meta {
                    self.tree.insert(k, e);
                } else if !self.tree.contains_key(&k) {
                    let m = self
                        .dest_view
                        .and_then(|v| v.lstat_literal(abs).ok().flatten());
                    if let Some(m) = m {
                        self.tree.insert(k, dir_entry(m.mode, m.uid, m.gid, true));
                    }
                }
            }
            (Some(FileKind::Dir), false) => {
                return Err(self.conflict(src, abs, "cannot replace a directory with a file"));
            }
            (Some(_), true) => {
                return Err(self.conflict(src, abs, "cannot copy a directory onto a file"));
            }
            (prev, _) => {
                if prev.is_none() && e.kind == FileKind::Dir {
                    self.fresh.insert(k.clone());
                }
                self.tree.insert(k, e);
            }
        }
        Ok(())
    }

    /// The entry a source node becomes (owner, mode, xattrs after --chown/--chmod).
    fn entry_for(&self, n: &Node, zero_owner: bool) -> PEntry {
        let (uid, gid) = match self.req.chown {
            Some(ids) => ids,
            None if zero_owner => (0, 0),
            None => (n.meta.uid, n.meta.gid),
        };
        let mode = match (self.chmod(), n.meta.kind) {
            (_, FileKind::Symlink) => n.meta.mode,
            (Some(c), k) => c.apply(n.meta.mode, k == FileKind::Dir),
            (None, _) => n.meta.mode,
        };
        let xattrs = if matches!(n.meta.kind, FileKind::File | FileKind::Dir) {
            copy_xattrs(&n.host)
        } else {
            Vec::new()
        };
        use std::os::unix::fs::MetadataExt;
        let link_id = (n.meta.kind == FileKind::File && n.md.nlink() > 1).then(|| {
            let (d, i) = n.dev_ino();
            (self.source_index, d, i)
        });
        PEntry {
            kind: n.meta.kind,
            mode,
            uid,
            gid,
            size: n.meta.size,
            link_target: n.meta.link_target.clone(),
            rdev: n.meta.rdev,
            xattrs,
            src: (n.meta.kind == FileKind::File).then(|| n.host.clone()),
            key: (n.meta.kind == FileKind::File).then(|| StatKey::of(&n.md)),
            link_id,
            hardlink_to: None,
            sha: [0; 32],
            mtime: Some((n.md.mtime(), n.md.mtime_nsec())),
            existing: false,
        }
    }

    fn not_found(&self, fs: &SrcFs, src: &str, path: &str) -> FsError {
        if let SrcFs::Context {
            ignore: Some(ig), ..
        } = fs
        {
            if let Some(pat) = ig.matches(path) {
                return FsError::Excluded {
                    what: self.what,
                    source_path: src.to_string(),
                    pattern: pat.to_string(),
                    ignore_file: ig
                        .source()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| ".dockerignore".to_string()),
                };
            }
        }
        FsError::NotFound {
            what: self.what,
            source_path: src.to_string(),
            root: fs.describe(),
        }
    }

    fn add_local(
        &mut self,
        root: &SourceRoot,
        src: &str,
        excludes: Option<&DockerIgnore>,
    ) -> Result<(), FsError> {
        let fs = match root {
            SourceRoot::Context { dir, ignore } => SrcFs::Context {
                dir,
                ignore: Some(ignore),
            },
            SourceRoot::Layers(l) => SrcFs::Layers(l),
        };
        let zero_owner = matches!(root, SourceRoot::Context { .. });
        check_escape(src).map_err(|()| FsError::Escapes {
            what: self.what,
            source_path: src.to_string(),
            root: fs.describe(),
        })?;
        let (pivot, include) = if self.req.parents {
            let (pivot, pattern) = match src.split_once("/./") {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None => ("/".to_string(), src.to_string()),
            };
            let pattern = components(&pattern).join("/");
            let inc =
                DockerIgnore::from_patterns(std::slice::from_ref(&pattern), "--parents source")?;
            if !has_wildcards(&pivot) && !has_wildcards(&pattern) {
                let required = format!("/{}", components(&format!("{pivot}/{pattern}")).join("/"));
                let resolved = fs.resolve(&required, true)?;
                if fs.lstat(&resolved)?.is_none() {
                    return Err(self.not_found(&fs, src, &required));
                }
            }
            (
                format!("/{}", components(&pivot).join("/")),
                Some((inc, pattern)),
            )
        } else {
            (format!("/{}", components(src).join("/")), None)
        };
        let matches = fs.wildcards(&pivot)?;
        if matches.is_empty() {
            // Name the .dockerignore pattern when the unfiltered context would have matched.
            if let SrcFs::Context {
                dir,
                ignore: Some(ig),
            } = &fs
            {
                let raw = SrcFs::Context { dir, ignore: None };
                if let Some(m) = raw.wildcards(&pivot)?.first() {
                    if let Some(pat) = ig.matches(m) {
                        return Err(FsError::Excluded {
                            what: self.what,
                            source_path: src.to_string(),
                            pattern: pat.to_string(),
                            ignore_file: ig
                                .source()
                                .map(|p| p.display().to_string())
                                .unwrap_or_else(|| ".dockerignore".to_string()),
                        });
                    }
                }
            }
            return Err(FsError::NoMatch {
                what: self.what,
                pattern: src.to_string(),
                root: fs.describe(),
            });
        }
        for m in matches {
            let followed = fs.resolve(&m, true)?;
            let Some(node) = fs.lstat(&followed)? else {
                return Err(self.not_found(&fs, src, &m));
            };
            if let Some(add) = &self.req.add {
                if add.unpack && node.meta.kind == FileKind::File && is_archive(&node.host)? {
                    let (dest, _) = dest_path(self.req.dest, self.req.workdir);
                    let dest = self.resolve_dest(&dest)?;
                    self.mkdir_all(&dest)?;
                    self.archives.push(ArchiveOp {
                        source: m.clone(),
                        dest: key(&dest),
                        host: node.host.clone(),
                        key: StatKey::of(&node.md),
                        sha: [0; 32],
                        chown: self.req.chown,
                    });
                    continue;
                }
            }
            let inc = include.as_ref().map(|(m, p)| (m, p.as_str()));
            self.copy_source(
                &fs,
                &followed,
                node,
                &base_name(&m),
                true,
                inc,
                excludes,
                zero_owner,
            )?;
        }
        Ok(())
    }

    fn add_url(&mut self, url: &str) -> Result<(), FsError> {
        let checksum = self.req.add.as_ref().and_then(|a| a.checksum);
        if self.fetched.is_none() {
            self.fetched = Some(super::add::fetch_dir()?);
        }
        let dir = self
            .fetched
            .as_ref()
            .map(|t| t.path().to_path_buf())
            .unwrap_or_default();
        let (host, name) = fetch_url(url, checksum, &dir.join(format!("u{}", self.source_index)))?;
        let md = std::fs::symlink_metadata(&host).map_err(super::io_err(&host))?;
        let mut meta = super::layers::meta_of(&host, &md)?;
        meta.mode = 0o600;
        meta.uid = 0;
        meta.gid = 0;
        let node = Node {
            meta,
            host,
            md,
            excluded: false,
        };
        self.copy_source(
            &SrcFs::Layers(&LayerStack::new(Vec::new())),
            url,
            node,
            &name,
            false,
            None,
            None,
            true,
        )
    }

    /// BuildKit's `Copy` for one resolved source: prepare the destination, then copy.
    #[allow(clippy::too_many_arguments)]
    fn copy_source(
        &mut self,
        fs: &SrcFs,
        src_path: &str,
        node: Node,
        base: &str,
        copy_dir_contents: bool,
        include: Option<(&DockerIgnore, &str)>,
        excludes: Option<&DockerIgnore>,
        zero_owner: bool,
    ) -> Result<(), FsError> {
        let (dest, dir_syntax) = dest_path(self.req.dest, self.req.workdir);
        let ensure = if dir_syntax {
            dest.clone()
        } else {
            split_parent(&dest).0
        };
        let ensure = self.resolve_dest(&ensure)?;
        self.mkdir_all(&ensure)?;
        let mut dst = self.resolve_dest(&dest)?;
        let fi_dest = self.dest_kind(&dst)?;
        let src_is_dir = node.meta.kind == FileKind::Dir;
        if (!copy_dir_contents && src_is_dir && fi_dest.is_some())
            || (!src_is_dir && fi_dest == Some(FileKind::Dir))
        {
            dst = join(&dst, base);
        }
        let target_dir = if copy_dir_contents && src_is_dir && fi_dest.is_none() {
            dst.clone()
        } else {
            split_parent(&dst).0
        };
        self.mkdir_all(&target_dir)?;
        let mut pending = Vec::new();
        let mut w = Walk {
            fs,
            include,
            excludes,
            zero_owner,
            pending: &mut pending,
        };
        self.copy_tree(&mut w, src_path, node, &dst, "", false)
    }

    /// fsutil's `copier.copy`: one node and, for directories, everything below it.
    fn copy_tree(
        &mut self,
        w: &mut Walk,
        src_path: &str,
        node: Node,
        target: &str,
        comps: &str,
        overwrite: bool,
    ) -> Result<(), FsError> {
        let mut include = true;
        let mut excluded = false;
        if !comps.is_empty() {
            if let Some((m, _)) = w.include {
                include = m.matches(comps).is_some();
            }
            if let Some(x) = w.excludes {
                if x.matches(comps).is_some() {
                    include = false;
                    excluded = true;
                }
            }
            let can_skip =
                !include && w.include.is_none() && w.excludes.is_none_or(|x| !x.has_exceptions());
            if can_skip {
                return Ok(());
            }
        }
        let is_dir = node.meta.kind == FileKind::Dir;
        // A directory .dockerignore excludes is only created for what an exception re-includes.
        if node.excluded {
            include = false;
        }
        if !include && !is_dir {
            return Ok(());
        }
        if include {
            self.create_pending(w, src_path)?;
        }
        if !is_dir {
            let e = self.entry_for(&node, w.zero_owner);
            return self.put(src_path, target, e, overwrite);
        }
        if include {
            let e = self.entry_for(&node, w.zero_owner);
            self.put(src_path, target, e, overwrite)?;
        }
        if !include {
            if let Some((_, pattern)) = w.include {
                if !excluded && !could_contain(pattern, comps) {
                    return Ok(());
                }
            }
        }
        w.pending.push(Pending {
            node: node.clone(),
            target: target.to_string(),
            created: include,
        });
        let skip_children = excluded && w.excludes.is_none_or(|x| !x.has_exceptions());
        if !skip_children {
            for name in w.fs.read_dir(src_path)? {
                let child = join(src_path, &name);
                let Some(cn) = w.fs.lstat(&child)? else {
                    continue;
                };
                let cc = if comps.is_empty() {
                    name.clone()
                } else {
                    format!("{comps}/{name}")
                };
                self.copy_tree(w, &child, cn, &join(target, &name), &cc, true)?;
            }
        }
        w.pending.pop();
        Ok(())
    }

    /// Create the directories visited on the way to an included path (with their source
    /// metadata, only where nothing exists yet).
    fn create_pending(&mut self, w: &mut Walk, src: &str) -> Result<(), FsError> {
        for i in 0..w.pending.len() {
            if w.pending[i].created {
                continue;
            }
            let target = w.pending[i].target.clone();
            if self.dest_kind(&target)?.is_none() {
                let e = self.entry_for(&w.pending[i].node, w.zero_owner);
                self.put(src, &target, e, false)?;
            } else if self.dest_kind(&target)? != Some(FileKind::Dir) {
                return Err(self.conflict(src, &target, "cannot copy a directory onto a file"));
            }
            w.pending[i].created = true;
        }
        Ok(())
    }
}

struct Walk<'w, 'a> {
    fs: &'w SrcFs<'a>,
    include: Option<(&'w DockerIgnore, &'w str)>,
    excludes: Option<&'w DockerIgnore>,
    zero_owner: bool,
    pending: &'w mut Vec<Pending>,
}

/// Extended attributes carried over: all but overlayfs' own and SELinux labels.
fn copy_xattrs(p: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = list_xattrs(p)
        .into_iter()
        .filter(|k| {
            !k.starts_with("trusted.overlay.")
                && !k.starts_with("user.overlay.")
                && k != "security.selinux"
        })
        .filter_map(|k| super::layers::get_xattr(p, &k).map(|v| (k, v)))
        .collect();
    out.sort();
    out
}

/// `..` must never climb above the root.
fn check_escape(src: &str) -> Result<(), ()> {
    let mut depth = 0i64;
    for c in src.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Err(());
                }
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

/// Whether a directory at `dir` (relative) can hold paths `pattern` matches.
fn could_contain(pattern: &str, dir: &str) -> bool {
    let pc: Vec<&str> = pattern.split('/').collect();
    let dc: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for (i, d) in dc.iter().enumerate() {
        let Some(p) = pc.get(i) else {
            return false;
        };
        if p.contains("**") {
            return true;
        }
        if !go_match(p, d).unwrap_or(true) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_and_escapes() {
        assert_eq!(dest_path("x/", "/w"), ("/w/x".to_string(), true));
        assert_eq!(dest_path("x", "/w"), ("/w/x".to_string(), false));
        assert_eq!(dest_path(".", "/w"), ("/w".to_string(), true));
        assert_eq!(dest_path("", "/w"), ("/w".to_string(), true));
        assert_eq!(dest_path("/abs/./y/.", "/w"), ("/abs/y".to_string(), true));
        assert_eq!(dest_path("../up", "/w/v"), ("/w/up".to_string(), false));
        assert!(check_escape("a/../b").is_ok());
        assert!(check_escape("./a/./b/..").is_ok());
        assert!(check_escape("a/../../b").is_err());
        assert!(check_escape("/..").is_err());
    }

    #[test]
    fn parents_pruning() {
        assert!(could_contain("src/*/main.go", "src"));
        assert!(could_contain("src/*/main.go", "src/cmd"));
        assert!(!could_contain("src/*/main.go", "docs"));
        assert!(!could_contain("src/*/main.go", "src/cmd/main.go/x"));
        assert!(could_contain("src/**/x", "src/a/b/c"));
        assert!(!could_contain("a.txt", "src"));
    }
}
