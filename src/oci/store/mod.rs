//! Content-addressed store under `$HOIST_HOME` (default `~/.local/share/hoist`).
//!
//! Layout (all below the store root):
//! - `blobs/sha256/<hex>`: verified blobs, read-only (`0444`).
//! - `layers/sha256/<diffid hex>/rootfs/`: each layer extracted once, in overlayfs form
//!   (whiteouts as 0/0 character devices, opaque dirs marked by the `overlay.opaque` xattr),
//!   ready to be stacked as a lower dir; `…/complete` is written before the directory is
//!   renamed into place, so a visible layer directory is always whole. Never modified after.
//!   Trees are not synced: the marker names the boot, and after a reboot a layer is extracted
//!   again from its blob (see `marker`).
//! - `refs/<name>` and `cache/<key>`: one digest each, the roots [`Store::prune`] keeps.
//! - `tmp/`: in-progress blobs and layer extractions; `locks/`: lock files.
//!
//! Crash and concurrency safety: a blob is streamed into a temp file in `tmp/` while being
//! hashed, then digest and size are checked, the file is fsynced and atomically renamed to its
//! final name and the directory fsynced, so a blob path never holds partial or wrong bytes; two
//! writers of the same blob both succeed (the second rename replaces identical content). Temp
//! entries are `flock`ed by their writer; [`Store::open`] and `prune` delete only those that are
//! unlocked and more than a minute old, i.e. left by a killed process. Writers hold a shared
//! lock on `locks/gc.lock` and prune an exclusive one, so prune never deletes a blob mid-write;
//! unpacking a layer takes a per-layer exclusive lock so each layer is extracted once.
//! Locks are `flock(2)` via `rustix`; temp files come from `tempfile`.

mod marker;
mod prune;

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fs::FlockOperation;
use sha2::{Digest as _, Sha256};

use super::digest::{Algorithm, Digest, DigestError};
use super::layer::{self, LayerError, LayerInfo, LayerOptions, WalkOptions};
use super::unpack::{self, is_root, OverlayXattr, UnpackError, UnpackOptions, WhiteoutMode};

const BUF: usize = 1 << 20;
const STALE_AFTER: Duration = Duration::from_secs(60);
/// Blobs larger than this are never parsed as JSON while pruning (they are layers).
const MAX_DOC: u64 = 16 << 20;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Content did not hash to the expected digest; nothing was stored.
    #[error("digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// Expected digest.
        expected: Digest,
        /// Digest of the received bytes.
        actual: Digest,
    },
    /// Content size differs from the expected size; nothing was stored.
    #[error("size mismatch for {digest}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// Expected digest.
        digest: Digest,
        /// Expected size.
        expected: u64,
        /// Bytes received (at least; reading stops once over).
        actual: u64,
    },
    /// The blob is not in the store.
    #[error("blob {0} not found in the store")]
    BlobNotFound(Digest),
    /// Only sha256 content can be stored.
    #[error("unsupported digest algorithm for {0} (the store uses sha256)")]
    Algorithm(Digest),
    /// A ref or cache key that cannot be a file name.
    #[error("invalid ref name {0:?}")]
    InvalidName(String),
    /// A ref file holds something that is not a digest.
    #[error("{path}: {source}")]
    BadRef {
        /// The ref file.
        path: PathBuf,
        /// The parse error.
        source: DigestError,
    },
    /// No `$HOIST_HOME`, `$XDG_DATA_HOME` or `$HOME` to put the store in.
    #[error("cannot locate the store: set HOIST_HOME or HOME")]
    NoHome,
    /// Writing a layer failed.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// Unpacking a layer failed.
    #[error(transparent)]
    Unpack(#[from] UnpackError),
}

fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.into();
    move |source| StoreError::Io { path, source }
}

/// What a blob is expected to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Its digest.
    pub digest: Digest,
    /// Its size, when known.
    pub size: Option<u64>,
}

impl Expected {
    /// Expect this digest, size unknown.
    pub fn digest(digest: Digest) -> Self {
        Expected { digest, size: None }
    }
}

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// Its digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
}

/// What [`Store::prune`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Blobs deleted.
    pub blobs_removed: Vec<Digest>,
    /// Unpacked layers (by diffID) deleted.
    pub layers_removed: Vec<Digest>,
    /// Bytes of blobs deleted.
    pub bytes_freed: u64,
    /// Leftover temp entries of killed processes deleted.
    pub temp_removed: usize,
}

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// A held `flock`; released when dropped.
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

fn lock_file(path: &Path, exclusive: bool) -> Result<LockGuard, StoreError> {
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_err(path))?;
    let op = if exclusive {
        FlockOperation::LockExclusive
    } else {
        FlockOperation::LockShared
    };
    loop {
        match rustix::fs::flock(&f, op) {
            Ok(()) => return Ok(LockGuard { _file: f }),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(io_err(path)(e.into())),
        }
    }
}

fn fsync_dir(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io_err(path))
}

/// Encode a ref/cache name as one file name: `[A-Za-z0-9._-]` kept (a leading `.` escaped),
/// everything else as `%XX`.
fn encode_name(name: &str) -> Result<String, StoreError> {
    if name.is_empty() || name.len() > 200 {
        return Err(StoreError::InvalidName(name.to_string()));
    }
    let mut out = String::with_capacity(name.len());
    for (i, b) in name.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

fn decode_name(file: &str) -> Option<String> {
    let bytes = file.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = file.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Store {
    /// Where the store lives: `$HOIST_HOME`, else `$XDG_DATA_HOME/hoist`, else
    /// `$HOME/.local/share/hoist`.
    pub fn default_root() -> Result<PathBuf, StoreError> {
        let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        if let Some(h) = non_empty("HOIST_HOME") {
            return Ok(PathBuf::from(h));
        }
        if let Some(x) = non_empty("XDG_DATA_HOME") {
            return Ok(PathBuf::from(x).join("hoist"));
        }
        let home = non_empty("HOME").ok_or(StoreError::NoHome)?;
        Ok(PathBuf::from(home).join(".local/share/hoist"))
    }

    /// Open (creating if needed) the store at [`Store::default_root`].
    pub fn open_default() -> Result<Store, StoreError> {
        Store::open(Store::default_root()?)
    }

    /// Open (creating if needed) a store at `root`, removing temp files left by killed
    /// processes.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let root = root.into();
        for sub in [
            "blobs/sha256",
            "layers/sha256",
            "refs",
            "cache",
            "tmp",
            "locks",
        ] {
            let p = root.join(sub);
            fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        let store = Store { root };
        store.clean_tmp(STALE_AFTER)?;
        Ok(store)
    }

    /// The store root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    fn gc_lock(&self, exclusive: bool) -> Result<LockGuard, StoreError> {
        lock_file(&self.root.join("locks/gc.lock"), exclusive)
    }

    /// Where a blob is (or would be) stored.
    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(d.algorithm().as_str())
            .join(d.hex())
    }

    /// Whether the blob is stored.
    pub fn has_blob(&self, d: &Digest) -> bool {
        self.blob_path(d).is_file()
    }

    /// Open a stored blob for reading.
    pub fn open_blob(&self, d: &Digest) -> Result<File, StoreError> {
        let p = self.blob_path(d);
        File::open(&p).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::BlobNotFound(d.clone())
            } else {
                io_err(&p)(e)
            }
        })
    }

    /// Size of a stored blob.
    pub fn blob_size(&self, d: &Digest) -> Result<u64, StoreError> {
        let p = self.blob_path(d);
        match fs::metadata(&p) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(StoreError::BlobNotFound(d.clone()))
            }
            Err(e) => Err(io_err(&p)(e)),
        }
    }

    /// Read a whole (small) blob, e.g. a manifest or config.
    pub fn read_blob(&self, d: &Digest) -> Result<Vec<u8>, StoreError> {
        let mut f = self.open_blob(d)?;
        let mut v = Vec::new();
        f.read_to_end(&mut v).map_err(io_err(self.blob_path(d)))?;
        Ok(v)
    }

    /// Re-hash a stored blob and check it still matches its name (e.g. after a disk problem).
    pub fn verify_blob(&self, d: &Digest) -> Result<bool, StoreError> {
        if d.algorithm() != Algorithm::Sha256 {
            return Err(StoreError::Algorithm(d.clone()));
        }
        let mut f = self.open_blob(d)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; BUF];
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(self.blob_path(d))(e)),
            };
            hasher.update(buf.get(..n).unwrap_or_default());
        }
        Ok(Digest::from_sha256_bytes(hasher.finalize().into()) == *d)
    }

    /// Start writing a blob whose digest is computed while writing.
    pub fn blob_writer(&self) -> Result<BlobWriter, StoreError> {
        let gc = self.gc_lock(false)?;
        let tmp = tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(self.tmp_dir())
            .map_err(io_err(self.tmp_dir()))?;
        rustix::fs::flock(tmp.as_file(), FlockOperation::LockExclusive)
            .map_err(|e| io_err(tmp.path())(e.into()))?;
        Ok(BlobWriter {
            store: self.clone(),
            tmp: Some(tmp),
            hasher: Sha256::new(),
            count: 0,
            limit: None,
            _gc: gc,
        })
    }

    /// Stream `reader` into the store. With `expected`, the content must match its digest (and
    /// size); if the blob is already there nothing is read. Nothing is stored on any error.
    pub fn put_blob<R: Read>(
        &self,
        mut reader: R,
        expected: Option<&Expected>,
    ) -> Result<BlobInfo, StoreError> {
        if let Some(exp) = expected {
            if exp.digest.algorithm() != Algorithm::Sha256 {
                return Err(StoreError::Algorithm(exp.digest.clone()));
            }
            if self.has_blob(&exp.digest) {
                let size = self.blob_size(&exp.digest)?;
                return Ok(BlobInfo {
                    digest: exp.digest.clone(),
                    size,
                });
            }
        }
        let mut w = self.blob_writer()?;
        w.limit = expected.and_then(|e| e.size.map(|s| (e.digest.clone(), s)));
        let mut buf = vec![0u8; BUF];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err("<input>")(e)),
            };
            w.write_chunk(buf.get(..n).unwrap_or_default())?;
        }
        w.commit(expected)
    }

    /// Store a byte slice (e.g. a canonical manifest); returns its digest and size.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<BlobInfo, StoreError> {
        self.put_blob(bytes, None)
    }

    /// Write the contents of `dir` as a layer blob straight into the store.
    pub fn write_dir_layer(
        &self,
        dir: &Path,
        opts: &LayerOptions,
        walk: &WalkOptions,
    ) -> Result<LayerInfo, StoreError> {
        let w = self.blob_writer()?;
        let (w, info) = layer::write_dir(dir, w, opts, walk)?;
        w.commit(Some(&Expected {
            digest: info.digest.clone(),
            size: Some(info.size),
        }))?;
        Ok(info)
    }

    fn ns_path(&self, ns: &str, name: &str) -> Result<PathBuf, StoreError> {
        Ok(self.root.join(ns).join(encode_name(name)?))
    }

    fn ns_set(&self, ns: &str, name: &str, d: &Digest) -> Result<(), StoreError> {
        let dest = self.ns_path(ns, name)?;
        if matches!(self.ns_get(ns, name), Ok(Some(cur)) if cur == *d) {
            // Unchanged (a no-op rebuild re-tags the same image): no write, no fsync.
            return Ok(());
        }
        let mut tmp = tempfile::Builder::new()
            .prefix("ref-")
            .tempfile_in(self.tmp_dir())
            .map_err(io_err(self.tmp_dir()))?;
        writeln!(tmp, "{d}").map_err(io_err(tmp.path()))?;
        tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
        tmp.persist(&dest).map_err(|e| io_err(&dest)(e.error))?;
        fsync_dir(&self.root.join(ns))
    }

    fn ns_get(&self, ns: &str, name: &str) -> Result<Option<Digest>, StoreError> {
        let p = self.ns_path(ns, name)?;
        match fs::read_to_string(&p) {
            Ok(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|source| StoreError::BadRef { path: p, source }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&p)(e)),
        }
    }

    fn ns_remove(&self, ns: &str, name: &str) -> Result<bool, StoreError> {
        let p = self.ns_path(ns, name)?;
        match fs::remove_file(&p) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(&p)(e)),
        }
    }

    fn ns_list(&self, ns: &str) -> Result<Vec<(String, Digest)>, StoreError> {
        let dir = self.root.join(ns);
        let mut out = Vec::new();
        for ent in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let ent = ent.map_err(io_err(&dir))?;
            let Some(name) = ent.file_name().to_str().and_then(decode_name) else {
                continue;
            };
            let p = ent.path();
            let s = fs::read_to_string(&p).map_err(io_err(&p))?;
            let d = s
                .trim()
                .parse()
                .map_err(|source| StoreError::BadRef { path: p, source })?;
            out.push((name, d));
        }
        out.sort();
        Ok(out)
    }

    /// Point the tag/ref `name` at a digest (atomically replaced).
    pub fn set_ref(&self, name: &str, d: &Digest) -> Result<(), StoreError> {
        self.ns_set("refs", name, d)
    }

    /// The digest a ref points at.
    pub fn get_ref(&self, name: &str) -> Result<Option<Digest>, StoreError> {
        self.ns_get("refs", name)
    }

    /// Delete a ref; true if it existed.
    pub fn remove_ref(&self, name: &str) -> Result<bool, StoreError> {
        self.ns_remove("refs", name)
    }

    /// All refs, sorted by name.
    pub fn list_refs(&self) -> Result<Vec<(String, Digest)>, StoreError> {
        self.ns_list("refs")
    }

    /// Record a build-cache entry (key → blob digest or diffID); kept by prune.
    pub fn set_cache(&self, key: &str, d: &Digest) -> Result<(), StoreError> {
        self.ns_set("cache", key, d)
    }

    /// Look up a cache entry.
    pub fn get_cache(&self, key: &str) -> Result<Option<Digest>, StoreError> {
        self.ns_get("cache", key)
    }

    /// Delete a cache entry; true if it existed.
    pub fn remove_cache(&self, key: &str) -> Result<bool, StoreError> {
        self.ns_remove("cache", key)
    }

    /// All cache entries, sorted by key.
    pub fn list_cache(&self) -> Result<Vec<(String, Digest)>, StoreError> {
        self.ns_list("cache")
    }

    fn layer_root(&self, diff_id: &Digest) -> PathBuf {
        self.root
            .join("layers")
            .join(diff_id.algorithm().as_str())
            .join(diff_id.hex())
    }

    /// The unpacked tree of a layer if it has been extracted (complete) already.
    pub fn unpacked_layer(&self, diff_id: &Digest) -> Option<PathBuf> {
        let dir = self.layer_root(diff_id);
        marker::is_complete(&dir).then(|| dir.join("rootfs"))
    }

    /// Extract the layer blob `blob` (whose uncompressed stream must hash to `diff_id`) once
    /// into `layers/sha256/<diffid>/rootfs` and return that path. Concurrent callers for the
    /// same layer wait for the first one.
    pub fn unpack_layer(&self, blob: &Digest, diff_id: &Digest) -> Result<PathBuf, StoreError> {
        if let Some(p) = self.unpacked_layer(diff_id) {
            return Ok(p);
        }
        let _gc = self.gc_lock(false)?;
        let _layer = lock_file(
            &self
                .root
                .join(format!("locks/layer-{}.lock", diff_id.hex())),
            true,
        )?;
        if let Some(p) = self.unpacked_layer(diff_id) {
            return Ok(p);
        }
        let final_dir = self.layer_root(diff_id);
        if final_dir.exists() {
            unpack::remove_tree(&final_dir).map_err(io_err(&final_dir))?;
        }
        let blob_file = self.open_blob(blob)?;
        let td = tempfile::Builder::new()
            .prefix("layer-")
            .tempdir_in(self.tmp_dir())
            .map_err(io_err(self.tmp_dir()))?;
        let work = TempTree(Some(td.keep()));
        let work_path = work.path().to_path_buf();
        let dir_handle = File::open(&work_path).map_err(io_err(&work_path))?;
        rustix::fs::flock(&dir_handle, FlockOperation::LockExclusive)
            .map_err(|e| io_err(&work_path)(e.into()))?;
        let rootfs = work_path.join("rootfs");
        fs::create_dir(&rootfs).map_err(io_err(&rootfs))?;
        let root = is_root();
        let opts = UnpackOptions {
            whiteouts: WhiteoutMode::Overlay(if root {
                OverlayXattr::Trusted
            } else {
                OverlayXattr::User
            }),
            same_owner: root,
            xattrs: true,
            devices: root,
            expected_diff_id: Some(diff_id.clone()),
        };
        unpack::unpack_layer(io::BufReader::with_capacity(BUF, blob_file), &rootfs, &opts)?;
        let durable = marker::write(&work_path, &dir_handle, diff_id, &blob.to_string())?;
        fs::rename(&work_path, &final_dir).map_err(io_err(&final_dir))?;
        work.disarm();
        drop(dir_handle);
        if durable {
            fsync_dir(&self.root.join("layers/sha256"))?;
        }
        Ok(final_dir.join("rootfs"))
    }

    /// A fresh empty directory under the store's `tmp/` (same filesystem as the unpacked
    /// layers, so [`Store::adopt_layer`] can rename it into place). Removed with its contents
    /// when the returned handle is dropped, unless adopted first.
    pub fn temp_dir(&self, prefix: &str) -> Result<tempfile::TempDir, StoreError> {
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(self.tmp_dir())
            .map_err(io_err(self.tmp_dir()))
    }

    /// Make `dir` (a directory under the store's `tmp/`, in overlayfs form, whose layer tar
    /// hashes to `diff_id`) the unpacked layer for `diff_id` by renaming it into place, instead
    /// of extracting the blob again. When the layer is already unpacked, `dir` is left alone
    /// and the existing path returned. The caller vouches that `dir` matches `diff_id`.
    pub fn adopt_layer(&self, diff_id: &Digest, dir: &Path) -> Result<PathBuf, StoreError> {
        if let Some(p) = self.unpacked_layer(diff_id) {
            return Ok(p);
        }
        let _gc = self.gc_lock(false)?;
        let _layer = lock_file(
            &self
                .root
                .join(format!("locks/layer-{}.lock", diff_id.hex())),
            true,
        )?;
        if let Some(p) = self.unpacked_layer(diff_id) {
            return Ok(p);
        }
        let final_dir = self.layer_root(diff_id);
        if final_dir.exists() {
            unpack::remove_tree(&final_dir).map_err(io_err(&final_dir))?;
        }
        let td = self.temp_dir("adopt-")?;
        let work = TempTree(Some(td.keep()));
        let work_path = work.path().to_path_buf();
        let rootfs = work_path.join("rootfs");
        fs::rename(dir, &rootfs).map_err(io_err(dir))?;
        let handle = File::open(&work_path).map_err(io_err(&work_path))?;
        let durable = marker::write(&work_path, &handle, diff_id, "adopted")?;
        fs::rename(&work_path, &final_dir).map_err(io_err(&final_dir))?;
        work.disarm();
        if durable {
            fsync_dir(&self.root.join("layers/sha256"))?;
        }
        Ok(final_dir.join("rootfs"))
    }

    /// Remove leftovers of killed writers from `tmp/`: entries not locked by a live writer and
    /// older than `min_age`.
    fn clean_tmp(&self, min_age: Duration) -> Result<usize, StoreError> {
        let dir = self.tmp_dir();
        let mut removed = 0;
        let now = SystemTime::now();
        for ent in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let ent = ent.map_err(io_err(&dir))?;
            let p = ent.path();
            let Ok(md) = fs::symlink_metadata(&p) else {
                continue;
            };
            let age = md
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            if age < min_age {
                continue;
            }
            let Ok(f) = File::open(&p) else { continue };
            if rustix::fs::flock(&f, FlockOperation::NonBlockingLockExclusive).is_err() {
                continue; // a live writer holds it
            }
            let res = if md.is_dir() {
                unpack::remove_tree(&p)
            } else {
                fs::remove_file(&p)
            };
            if res.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A temp directory removed (even if read-only inside) unless disarmed.
struct TempTree(Option<PathBuf>);

impl TempTree {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = unpack::remove_tree(&p);
        }
    }
}

/// A blob being written; [`commit`](BlobWriter::commit) verifies and stores it, dropping it
/// discards everything.
pub struct BlobWriter {
    store: Store,
    tmp: Option<tempfile::NamedTempFile>,
    hasher: Sha256,
    count: u64,
    limit: Option<(Digest, u64)>,
    _gc: LockGuard,
}

impl BlobWriter {
    fn write_chunk(&mut self, buf: &[u8]) -> Result<(), StoreError> {
        if let Some((d, max)) = &self.limit {
            let total = self.count + buf.len() as u64;
            if total > *max {
                return Err(StoreError::SizeMismatch {
                    digest: d.clone(),
                    expected: *max,
                    actual: total,
                });
            }
        }
        let Some(tmp) = self.tmp.as_mut() else {
            return Err(io_err("<blob>")(io::Error::other(
                "blob writer already finished",
            )));
        };
        tmp.write_all(buf).map_err(io_err("<blob temp file>"))?;
        self.hasher.update(buf);
        self.count += buf.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.count
    }

    /// Verify against `expected` (if any), fsync and move into place.
    pub fn commit(mut self, expected: Option<&Expected>) -> Result<BlobInfo, StoreError> {
        let actual = Digest::from_sha256_bytes(std::mem::take(&mut self.hasher).finalize().into());
        if let Some(exp) = expected {
            if exp.digest != actual {
                return Err(StoreError::DigestMismatch {
                    expected: exp.digest.clone(),
                    actual,
                });
            }
            if let Some(size) = exp.size {
                if size != self.count {
                    return Err(StoreError::SizeMismatch {
                        digest: actual,
                        expected: size,
                        actual: self.count,
                    });
                }
            }
        }
        let Some(tmp) = self.tmp.take() else {
            return Err(io_err("<blob>")(io::Error::other(
                "blob writer already finished",
            )));
        };
        let dest = self.store.blob_path(&actual);
        if dest.is_file() {
            // Already stored (blobs are immutable): drop the temporary file, skip the fsyncs.
            drop(tmp);
            return Ok(BlobInfo {
                digest: actual,
                size: self.count,
            });
        }
        let tpath = tmp.path().to_path_buf();
        tmp.as_file().sync_all().map_err(io_err(&tpath))?;
        fs::set_permissions(&tpath, fs::Permissions::from_mode(0o444)).map_err(io_err(&tpath))?;
        tmp.persist(&dest).map_err(|e| io_err(&dest)(e.error))?;
        if let Some(parent) = dest.parent() {
            fsync_dir(parent)?;
        }
        Ok(BlobInfo {
            digest: actual,
            size: self.count,
        })
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_chunk(buf)
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.tmp.as_mut() {
            Some(t) => t.as_file_mut().flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for n in [
            "docker.io/library/alpine:3.20",
            "a",
            "x%y",
            "../../etc",
            ".hidden",
            "ü",
        ] {
            let e = encode_name(n).unwrap();
            assert!(!e.contains('/') && !e.starts_with('.'), "{e}");
            assert_eq!(decode_name(&e).as_deref(), Some(n));
        }
        assert!(encode_name("").is_err());
    }

    #[test]
    fn adopted_layer_is_the_unpacked_layer() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(root.path()).unwrap();
        let dir = store.temp_dir("t-").unwrap();
        let tree = dir.path().join("tree");
        fs::create_dir_all(tree.join("etc")).unwrap();
        fs::write(tree.join("etc/hello"), "hi").unwrap();
        let info = store
            .write_dir_layer(&tree, &LayerOptions::default(), &WalkOptions::default())
            .unwrap();
        let p = store.adopt_layer(&info.diff_id, &tree).unwrap();
        assert!(!tree.exists(), "the directory was moved, not copied");
        assert_eq!(fs::read_to_string(p.join("etc/hello")).unwrap(), "hi");
        assert_eq!(store.unpacked_layer(&info.diff_id), Some(p.clone()));
        // Unpacking the blob again finds the adopted tree; adopting again leaves the new dir.
        assert_eq!(store.unpack_layer(&info.digest, &info.diff_id).unwrap(), p);
        let other = dir.path().join("other");
        fs::create_dir(&other).unwrap();
        assert_eq!(store.adopt_layer(&info.diff_id, &other).unwrap(), p);
        assert!(other.exists());
    }
}
