//! Content-addressed store under `$HOIST_HOME` (default `~/.local/share/hoist`).
//!
//! Layout (all below the store root):
//! - `blobs/sha256/<hex>`: verified blobs, read-only (`0444`).
//! - `layers/sha256/<diffid hex>/rootfs/`: each layer extracted once, in overlayfs form
//!   (whiteouts as 0/0 character devices, opaque dirs marked by the `overlay.opaque` xattr),
//!   ready to be stacked as a lower dir; `…/complete` is written before the directory is
//!   renamed into place, so a visible layer directory is always whole. Never modified after.
//!   Trees are not synced: the marker names the boot, and after a reboot a layer is extracted
//!   again from its blob (see `complete`).
//! - `refs/<name>` and `cache/<key>`: one digest each, the roots [`Store::prune`] keeps.
//! - `tmp/`: in-progress blobs and layer extractions; `locks/`: lock files.
//! - `hoist-store`: the marker written at creation. [`Store::open_existing`] (what `prune`
//!   uses) accepts only a directory with the marker, or one laid out like a store by an
//!   earlier hoist (all the directories above, no `oci-layout`), which then gets the marker;
//!   anything else, an OCI layout above all, is refused, so prune never deletes what it does
//!   not own.
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

mod complete;
mod marker;
use marker::{classify, Kind};
mod prune;
mod refs;
mod volatile;

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fs::FlockOperation;
use sha2::{Digest as _, Sha256};

use super::digest::{Algorithm, Digest, DigestError};
use super::fsafe;
use super::layer::{self, LayerError, LayerInfo, LayerOptions, WalkOptions};
use super::unpack::{self, is_root, OverlayXattr, UnpackError, UnpackOptions, WhiteoutMode};

const BUF: usize = 1 << 20;
/// The file that marks a directory as a hoist store.
pub const MARKER: &str = "hoist-store";
const MARKER_CONTENT: &[u8] = b"{\"hoistStoreVersion\":1}\n";
/// The directories of a store.
const SUBDIRS: [&str; 6] = [
    "blobs/sha256",
    "layers/sha256",
    "refs",
    "cache",
    "tmp",
    "locks",
];
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
    /// A stored blob is a symlink, FIFO or device.
    #[error("store blob {digest}: {source}")]
    Refused {
        /// The blob.
        digest: Digest,
        /// Why, naming the path.
        #[source]
        source: fsafe::OpenError,
    },
    /// The directory is not a hoist store; nothing was changed in it.
    #[error("{path} is not a hoist content store ({reason}); refusing to use it")]
    NotAStore {
        /// The directory.
        path: PathBuf,
        /// What it is instead.
        reason: String,
    },
    /// No store exists at the path.
    #[error("no hoist content store at {0} (nothing to do; a store is created by the first pull or build)")]
    NoStore(PathBuf),
    /// No `$HOIST_HOME`, `$XDG_DATA_HOME` or `$HOME` to put the store in.
    #[error("cannot locate the store: set HOIST_HOME or HOME")]
    NoHome,
    /// Writing a layer failed.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// Unpacking a layer failed.
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    /// The owners of an unpacked layer could not be given (see [`OwnerFix`]).
    #[error("layer {diff_id}: giving the entries their owners: {message}")]
    Owners {
        /// The layer.
        diff_id: Digest,
        /// What failed and what to do.
        message: String,
    },
}

/// Gives the entries of a layer unpacked by an unprivileged user their owners from the layer
/// (which that user cannot set itself): called with the unpacked tree and
/// [`unpack::UnpackStats::owners`] (paths relative to the tree), before the tree is marked
/// complete. The error says what failed and what to do.
pub type OwnerFix<'a> = &'a dyn Fn(&Path, &[(PathBuf, u32, u32)]) -> Result<(), String>;

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

fn blob_err(d: &Digest, e: fsafe::OpenError) -> StoreError {
    if e.is_not_found() {
        StoreError::BlobNotFound(d.clone())
    } else {
        StoreError::Refused {
            digest: d.clone(),
            source: e,
        }
    }
}

fn fsync_dir(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io_err(path))
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
    /// processes. An OCI image layout is refused.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let root = root.into();
        match classify(&root)? {
            Kind::Foreign(reason) if reason.contains("OCI image layout") => {
                return Err(StoreError::NotAStore { path: root, reason })
            }
            _ => {}
        }
        Store::init(root)
    }

    /// The store root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The store's directory for temporary entries (cleaned of stale ones on open).
    pub fn tmp_dir(&self) -> PathBuf {
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

    /// Whether the blob is stored (as a regular file).
    pub fn has_blob(&self, d: &Digest) -> bool {
        matches!(fsafe::regular_size(&self.blob_path(d)), Ok(Some(_)))
    }

    /// Open a stored blob for reading; a blob that is a symlink, FIFO or device is refused.
    pub fn open_blob(&self, d: &Digest) -> Result<File, StoreError> {
        fsafe::open_regular(&self.blob_path(d), None).map_err(|e| blob_err(d, e))
    }

    /// Size of a stored blob.
    pub fn blob_size(&self, d: &Digest) -> Result<u64, StoreError> {
        match fsafe::regular_size(&self.blob_path(d)) {
            Ok(Some(n)) => Ok(n),
            Ok(None) => Err(StoreError::BlobNotFound(d.clone())),
            Err(e) => Err(blob_err(d, e)),
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

    /// Take the file at `path` (on the store's file system, already verified by the caller to
    /// hold the blob `d` of `size` bytes, e.g. a download spooled in [`Store::tmp_dir`]) as
    /// the blob by hard link, without copying it. False when linking is not possible.
    pub fn adopt_blob(&self, d: &Digest, size: u64, path: &Path) -> Result<bool, StoreError> {
        if d.algorithm() != Algorithm::Sha256 {
            return Err(StoreError::Algorithm(d.clone()));
        }
        if fsafe::regular_size(path).ok().flatten() != Some(size) {
            return Ok(false);
        }
        let _gc = self.gc_lock(false)?;
        if self.has_blob(d) {
            return Ok(true);
        }
        let dest = self.blob_path(d);
        match fs::hard_link(path, &dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(true),
            Err(_) => return Ok(false),
        }
        fs::set_permissions(&dest, fs::Permissions::from_mode(0o444)).map_err(io_err(&dest))?;
        File::open(&dest)
            .and_then(|f| f.sync_all())
            .map_err(io_err(&dest))?;
        if let Some(parent) = dest.parent() {
            fsync_dir(parent)?;
        }
        Ok(true)
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
        self.write_dir_layer_owned(dir, opts, walk, &|_, uid, gid| (uid, gid))
    }

    /// [`Store::write_dir_layer`] with the owners of entries given by `owner` (see
    /// [`layer::write_dir_owned`]).
    pub fn write_dir_layer_owned(
        &self,
        dir: &Path,
        opts: &LayerOptions,
        walk: &WalkOptions,
        owner: layer::OwnerFn,
    ) -> Result<LayerInfo, StoreError> {
        let w = self.blob_writer()?;
        let (w, info) = layer::write_dir_owned(dir, w, opts, walk, owner)?;
        w.commit(Some(&Expected {
            digest: info.digest.clone(),
            size: Some(info.size),
        }))?;
        Ok(info)
    }

    /// Write a layer blob straight into the store from entries `append` gives a
    /// [`layer::LayerWriter`] (in layer order); nothing is unpacked (see
    /// [`Store::unpack_layer`]).
    pub fn write_layer_with(
        &self,
        opts: &LayerOptions,
        append: &mut dyn FnMut(&mut layer::LayerWriter<BlobWriter>) -> Result<(), LayerError>,
    ) -> Result<LayerInfo, StoreError> {
        let mut lw = layer::LayerWriter::new(self.blob_writer()?, opts)?;
        append(&mut lw)?;
        let (w, info) = lw.finish()?;
        w.commit(Some(&Expected {
            digest: info.digest.clone(),
            size: Some(info.size),
        }))?;
        Ok(info)
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
        complete::is_complete(&dir).then(|| dir.join("rootfs"))
    }

    /// [`Store::unpacked_layer`] for a caller that gives owners with `fix` (see
    /// [`Store::unpack_layer_with`]): not a tree unpacked without the owners it needed.
    pub fn unpacked_layer_for(&self, diff_id: &Digest, fix: Option<OwnerFix>) -> Option<PathBuf> {
        self.unpacked_layer(diff_id)
            .filter(|_| fix.is_none() || !complete::owners_unset(&self.layer_root(diff_id)))
    }

    /// Extract the layer blob `blob` (whose uncompressed stream must hash to `diff_id`) once
    /// into `layers/sha256/<diffid>/rootfs` and return that path. Concurrent callers for the
    /// same layer wait for the first one.
    pub fn unpack_layer(&self, blob: &Digest, diff_id: &Digest) -> Result<PathBuf, StoreError> {
        self.unpack_layer_with(blob, diff_id, None)
    }

    /// [`Store::unpack_layer`] that, in the store of an unprivileged user, gives the entries
    /// their owners from the layer through `fix` before the tree is marked complete (see
    /// [`OwnerFix`]). A tree unpacked earlier without a fix whose entries needed one is
    /// extracted again.
    pub fn unpack_layer_with(
        &self,
        blob: &Digest,
        diff_id: &Digest,
        fix: Option<OwnerFix>,
    ) -> Result<PathBuf, StoreError> {
        if let Some(p) = self.unpacked_layer_for(diff_id, fix) {
            return Ok(p);
        }
        let _gc = self.gc_lock(false)?;
        let _layer = lock_file(
            &self
                .root
                .join(format!("locks/layer-{}.lock", diff_id.hex())),
            true,
        )?;
        if let Some(p) = self.unpacked_layer_for(diff_id, fix) {
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
        let stats =
            unpack::unpack_layer(io::BufReader::with_capacity(BUF, blob_file), &rootfs, &opts)?;
        let mut origin = blob.to_string();
        if !stats.owners.is_empty() {
            match fix {
                Some(f) => f(&rootfs, &stats.owners).map_err(|message| StoreError::Owners {
                    diff_id: diff_id.clone(),
                    message,
                })?,
                None => origin.push_str(complete::OWNERS_UNSET),
            }
        }
        let durable = complete::write(&work_path, &dir_handle, diff_id, &origin)?;
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
        let durable = complete::write(&work_path, &handle, diff_id, "adopted")?;
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
    use super::refs::{decode_name, encode_name};
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
