//! The planned layer of a COPY/ADD: its entries (what [`CopyPlan::materialize`] writes),
//! hardlink detection, content hashing through the stat cache, and the content digest that
//! goes into the cache key.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::hashcache::{HashCache, HashJob, HashStats, StatKey};
use super::{FileKind, FsError, PlanOptions};
use crate::oci::Digest;

/// One entry of the planned layer.
#[derive(Debug, Clone)]
pub(crate) struct PEntry {
    pub kind: FileKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub link_target: Option<String>,
    pub rdev: u64,
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// Host file with the bytes (regular files).
    pub src: Option<PathBuf>,
    /// Stat key of `src` (for hashing).
    pub key: Option<StatKey>,
    /// (source index, dev, ino) for hardlink detection.
    pub link_id: Option<(usize, u64, u64)>,
    /// Another entry (path relative to the root) this one is a hardlink to.
    pub hardlink_to: Option<String>,
    pub sha: [u8; 32],
    /// Modification time to keep (seconds, nanoseconds).
    pub mtime: Option<(i64, i64)>,
    /// A directory that exists in the image, recreated with its metadata to hold children.
    pub existing: bool,
}

/// A local archive ADD unpacks into a directory.
#[derive(Debug, Clone)]
pub(crate) struct ArchiveOp {
    /// The source as written (for messages).
    pub source: String,
    /// Destination directory relative to the root.
    pub dest: String,
    pub host: PathBuf,
    pub key: StatKey,
    pub sha: [u8; 32],
    pub chown: Option<(u32, u32)>,
}

/// The resolved COPY/ADD: what the new layer holds.
pub struct CopyPlan {
    pub(crate) entries: BTreeMap<String, PEntry>,
    pub(crate) archives: Vec<ArchiveOp>,
    digest: Digest,
    stats: HashStats,
    /// Downloaded URL contents (deleted with the plan).
    _fetched: Option<tempfile::TempDir>,
}

pub(crate) fn dir_entry(mode: u32, uid: u32, gid: u32, existing: bool) -> PEntry {
    PEntry {
        kind: FileKind::Dir,
        mode,
        uid,
        gid,
        size: 0,
        link_target: None,
        rdev: 0,
        xattrs: Vec::new(),
        src: None,
        key: None,
        link_id: None,
        hardlink_to: None,
        sha: [0; 32],
        mtime: None,
        existing,
    }
}

/// The content digest: every planned entry in path order and every archive, never times.
fn digest_of(tree: &BTreeMap<String, PEntry>, archives: &[ArchiveOp]) -> Digest {
    let mut h = Sha256::new();
    h.update(b"hoist-copy-v1\n");
    for (k, e) in tree {
        h.update(k.as_bytes());
        h.update([0, e.kind.code(), e.existing as u8]);
        for v in [e.mode, e.uid, e.gid] {
            h.update(v.to_le_bytes());
        }
        match e.kind {
            FileKind::File => match &e.hardlink_to {
                Some(t) => {
                    h.update(b"h");
                    h.update(t.as_bytes());
                    h.update([0]);
                }
                None => {
                    h.update(b"f");
                    h.update(e.size.to_le_bytes());
                    h.update(e.sha);
                }
            },
            FileKind::Symlink => {
                h.update(e.link_target.as_deref().unwrap_or("").as_bytes());
                h.update([0]);
            }
            FileKind::CharDev | FileKind::BlockDev => h.update(e.rdev.to_le_bytes()),
            _ => {}
        }
        h.update((e.xattrs.len() as u64).to_le_bytes());
        for (n, v) in &e.xattrs {
            h.update(n.as_bytes());
            h.update([0]);
            h.update((v.len() as u64).to_le_bytes());
            h.update(v);
        }
    }
    for a in archives {
        h.update(b"A");
        h.update(a.dest.as_bytes());
        h.update([0]);
        h.update(a.sha);
        match a.chown {
            Some((u, g)) => {
                h.update([1]);
                h.update(u.to_le_bytes());
                h.update(g.to_le_bytes());
            }
            None => h.update([0]),
        }
    }
    Digest::from_sha256_bytes(h.finalize().into())
}

impl CopyPlan {
    /// Content digest of everything selected (relative path, type, mode, uid/gid after chown,
    /// content, link target; never mtime), stable across machines: the COPY part of the cache
    /// key.
    pub fn digest(&self) -> Digest {
        self.digest.clone()
    }

    /// The owner of each planned entry (path relative to the layer root): what a builder
    /// without privileges puts into the layer and then on disk through a user namespace.
    pub fn entry_owners(&self) -> Vec<(&str, u32, u32)> {
        self.entries
            .iter()
            .map(|(k, e)| (k.as_str(), e.uid, e.gid))
            .collect()
    }

    /// Each local archive's destination directory and `--chown` (its entries are not planned
    /// one by one).
    pub fn archive_owners(&self) -> Vec<(&str, Option<(u32, u32)>)> {
        self.archives
            .iter()
            .map(|a| (a.dest.as_str(), a.chown))
            .collect()
    }

    /// The content hash of every source file this plan read, by stat key: pass them as
    /// [`PlanOptions::known`](super::PlanOptions) to plan the same sources again without
    /// reading them.
    pub fn known_hashes(&self) -> super::plan::KnownHashes {
        let mut m = HashMap::new();
        for e in self.entries.values() {
            if let (Some(key), None) = (e.key, &e.hardlink_to) {
                if e.src.is_some() {
                    m.insert(key, e.sha);
                }
            }
        }
        for a in &self.archives {
            m.insert(a.key, a.sha);
        }
        super::plan::KnownHashes(std::sync::Arc::new(m))
    }

    /// What hashing the sources did (files read vs. answered from the stat cache).
    pub fn hash_stats(&self) -> HashStats {
        self.stats
    }

    /// Paths (absolute in the image) the layer will hold, in order, with their metadata —
    /// for progress output and tests. Archive contents are not listed.
    pub fn paths(&self) -> Vec<String> {
        self.entries.keys().map(|k| format!("/{k}")).collect()
    }

    /// Write the result into an empty directory (a new layer in overlay form, i.e. plain
    /// files; parents of the destination created like Docker does, with the parent image's
    /// metadata).
    pub fn materialize(&self, out: &Path) -> Result<(), FsError> {
        super::materialize::materialize(self, out)
    }

    /// A read-only snapshot of the result in an empty directory: like
    /// [`materialize`](Self::materialize), but files whose source already has the planned
    /// owner, mode and time are hard links to it. Only for views nothing writes through
    /// (read-only bind mounts); the sources stay shared.
    pub fn materialize_readonly(&self, out: &Path) -> Result<(), FsError> {
        super::materialize::materialize_with(self, out, true)
    }
}

/// Mark hardlinks, hash the file contents (through the stat cache) and compute the digest.
pub(crate) fn finish(
    mut tree: BTreeMap<String, PEntry>,
    mut archives: Vec<ArchiveOp>,
    fetched: Option<tempfile::TempDir>,
    opts: &PlanOptions,
) -> Result<CopyPlan, FsError> {
    // Hardlinks within one source: the first path (sorted) holds the bytes.
    let mut first: HashMap<(usize, u64, u64), String> = HashMap::new();
    for (k, e) in tree.iter_mut() {
        if let Some(id) = e.link_id {
            match first.get(&id) {
                Some(p) => e.hardlink_to = Some(p.clone()),
                None => {
                    first.insert(id, k.clone());
                }
            }
        }
    }
    let mut cache = HashCache::open(opts.hash_cache.as_deref());
    let mut idx = Vec::new();
    let mut jobs = Vec::new();
    for (k, e) in &tree {
        if let (Some(src), Some(key), None) = (&e.src, e.key, &e.hardlink_to) {
            idx.push(k.clone());
            jobs.push(HashJob { path: src, key });
        }
    }
    for a in &archives {
        jobs.push(HashJob {
            path: &a.host,
            key: a.key,
        });
    }
    let (hashes, stats) = cache.hash_all(&jobs, opts.known.as_ref().map(|k| &*k.0))?;
    drop(jobs);
    let n = idx.len();
    for (k, h) in idx.into_iter().zip(&hashes) {
        if let Some(e) = tree.get_mut(&k) {
            e.sha = *h;
        }
    }
    for (a, h) in archives.iter_mut().zip(&hashes[n..]) {
        a.sha = *h;
    }
    let digest = digest_of(&tree, &archives);
    Ok(CopyPlan {
        entries: tree,
        archives,
        digest,
        stats,
        _fetched: fetched,
    })
}
