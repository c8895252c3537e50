//! Content hashes of files with a stat-keyed fast path: a small persistent cache maps
//! (device, inode, size, mtime_ns, ctime_ns) to the sha256 of the content, so hashing an
//! unchanged build context does not read it again. ctime is part of the key because it cannot
//! be set from user space: a same-size rewrite that restores the mtime still changes it.
//! Entries whose mtime or ctime is not older than the start of the hashing run are not stored
//! (the file could change again within the same timestamp tick, git's "racy" case).
//!
//! Format (`stat-v1.bin`): the magic `HOISTSC1`, then 72-byte records (five little-endian
//! u64/i64 fields and the 32-byte hash). Written atomically (temp file + rename); a corrupt or
//! foreign file is ignored and rewritten.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use super::{io_err, FsError};

const MAGIC: &[u8; 8] = b"HOISTSC1";
const RECORD: usize = 72;
const FILE: &str = "stat-v1.bin";
/// Above this many entries (about 14 MB on disk), only those used by the last run are kept,
/// so the cache stays small in memory while a build loads it.
const MAX_ENTRIES: usize = 200_000;

/// What a hashing run did (to check the fast path).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashStats {
    /// Files whose content was read.
    pub files_read: u64,
    /// Bytes read from them.
    pub bytes_read: u64,
    /// Files answered from the stat cache.
    pub cache_hits: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct StatKey {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
}

impl StatKey {
    pub(crate) fn of(md: &std::fs::Metadata) -> StatKey {
        StatKey {
            dev: md.dev(),
            ino: md.ino(),
            size: md.len(),
            mtime_ns: md.mtime().saturating_mul(1_000_000_000) + md.mtime_nsec(),
            ctime_ns: md.ctime().saturating_mul(1_000_000_000) + md.ctime_nsec(),
        }
    }
}

/// The cache, loaded for one hashing run.
pub(crate) struct HashCache {
    dir: Option<PathBuf>,
    map: HashMap<StatKey, [u8; 32]>,
}

/// One file to hash.
pub(crate) struct HashJob<'a> {
    pub path: &'a Path,
    pub key: StatKey,
}

impl HashCache {
    /// Load the cache under `dir` (None: no persistence).
    pub(crate) fn open(dir: Option<&Path>) -> HashCache {
        let mut map = HashMap::new();
        if let Some(d) = dir {
            if let Ok(bytes) = std::fs::read(d.join(FILE)) {
                if bytes.len() >= MAGIC.len()
                    && &bytes[..MAGIC.len()] == MAGIC
                    && (bytes.len() - MAGIC.len()).is_multiple_of(RECORD)
                {
                    for r in bytes[MAGIC.len()..].chunks_exact(RECORD) {
                        let u = |i: usize| {
                            let mut b = [0u8; 8];
                            b.copy_from_slice(&r[i * 8..i * 8 + 8]);
                            u64::from_le_bytes(b)
                        };
                        let key = StatKey {
                            dev: u(0),
                            ino: u(1),
                            size: u(2),
                            mtime_ns: u(3) as i64,
                            ctime_ns: u(4) as i64,
                        };
                        let mut h = [0u8; 32];
                        h.copy_from_slice(&r[40..72]);
                        map.insert(key, h);
                    }
                }
            }
        }
        HashCache {
            dir: dir.map(Path::to_path_buf),
            map,
        }
    }

    /// Hash all `jobs` (in parallel), using and then updating the cache.
    pub(crate) fn hash_all(
        &mut self,
        jobs: &[HashJob],
        known: Option<&HashMap<StatKey, [u8; 32]>>,
    ) -> Result<(Vec<[u8; 32]>, HashStats), FsError> {
        let start_ns = now_ns();
        let files_read = AtomicU64::new(0);
        let bytes_read = AtomicU64::new(0);
        let hits = AtomicU64::new(0);
        let map = &self.map;
        let results: Vec<Result<([u8; 32], bool), FsError>> = jobs
            .par_iter()
            .map(|j| {
                if let Some(h) = known
                    .and_then(|k| k.get(&j.key))
                    .or_else(|| map.get(&j.key))
                {
                    hits.fetch_add(1, Ordering::Relaxed);
                    return Ok((*h, false));
                }
                let (h, n) = sha256_file(j.path)?;
                files_read.fetch_add(1, Ordering::Relaxed);
                bytes_read.fetch_add(n, Ordering::Relaxed);
                Ok((h, true))
            })
            .collect();
        let mut out = Vec::with_capacity(jobs.len());
        let mut dirty = false;
        for (j, r) in jobs.iter().zip(results) {
            let (h, fresh) = r?;
            if fresh && j.key.mtime_ns < start_ns && j.key.ctime_ns < start_ns {
                self.map.insert(j.key, h);
                dirty = true;
            }
            out.push(h);
        }
        if dirty {
            if self.map.len() > MAX_ENTRIES {
                let used: std::collections::HashSet<StatKey> = jobs.iter().map(|j| j.key).collect();
                self.map.retain(|k, _| used.contains(k));
            }
            // The cache is an optimisation: failing to write it must not fail the build.
            let _ = self.save();
        }
        let stats = HashStats {
            files_read: files_read.into_inner(),
            bytes_read: bytes_read.into_inner(),
            cache_hits: hits.into_inner(),
        };
        Ok((out, stats))
    }

    fn save(&self) -> std::io::Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        std::fs::create_dir_all(dir)?;
        let mut buf = Vec::with_capacity(MAGIC.len() + self.map.len() * RECORD);
        buf.extend_from_slice(MAGIC);
        for (k, h) in &self.map {
            for v in [k.dev, k.ino, k.size, k.mtime_ns as u64, k.ctime_ns as u64] {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            buf.extend_from_slice(h);
        }
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&buf)?;
        tmp.persist(dir.join(FILE)).map_err(|e| e.error)?;
        Ok(())
    }
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(i64::MAX)
}

/// sha256 of a file's content, streamed; returns the hash and the byte count.
pub(crate) fn sha256_file(path: &Path) -> Result<([u8; 32], u64), FsError> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut n = 0u64;
    // One buffer per thread, not one per file: zeroing 256 KiB for each of a context's
    // thousands of small files cost more than hashing them.
    HASH_BUF.with(|cell| -> Result<(), FsError> {
        let mut buf = cell.borrow_mut();
        loop {
            let r = f.read(&mut buf[..]).map_err(io_err(path))?;
            if r == 0 {
                return Ok(());
            }
            h.update(buf.get(..r).unwrap_or_default());
            n += r as u64;
        }
    })?;
    Ok((h.finalize().into(), n))
}

thread_local! {
    static HASH_BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 256 * 1024]);
}
