//! Safe layer extraction with OCI semantics.
//!
//! [`unpack_layer`] streams a (gzip/zstd/plain) layer blob onto a directory and returns the
//! diffID of the decompressed stream, computed while extracting. Whiteouts are either applied
//! ([`WhiteoutMode::Apply`]: `.wh.name` deletes `name` from what is already in the target,
//! `.wh..wh..opq` empties the directory, both only for content that did not come from this same
//! layer) or converted to overlayfs form ([`WhiteoutMode::Overlay`]: 0/0 character devices and
//! the `overlay.opaque` xattr), which is how the store keeps per-layer lower dirs.
//!
//! Safety model (hand-written, on directory file descriptors via `rustix`): every entry path is
//! cleaned first (a leading `/` is dropped, `..` anywhere is refused), then its parent directory
//! is resolved one component at a time with `openat(O_NOFOLLOW|O_DIRECTORY)` starting from the
//! target's fd. Symlinks met on the way are followed *inside* the target with chroot semantics
//! (an absolute or `..`-climbing target never leaves the root), and the last component is always
//! created with `*at` calls relative to the parent fd without following it (`O_CREAT|O_EXCL`,
//! `symlinkat`, `mknodat`, `linkat` without `AT_SYMLINK_FOLLOW`). Hardlink targets are resolved
//! the same way, so they stay inside. Whiteout names `.`/`..`/empty and `.wh.` used as a
//! directory are refused; device nodes are skipped unless allowed (default: only as root);
//! layer xattrs in the `trusted.overlay.`/`user.overlay.` namespaces are dropped. The `tar`
//! crate only parses headers (including PAX and GNU long names); it never touches the disk.
//!
//! Memory: a 1 MiB read buffer, the decompressor's window, and one small record per directory
//! (its mode and mtime are applied at the end) and per path of the layer (to know what this
//! layer created when a whiteout comes later).

use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use super::digest::Digest;
use super::media::{sniff_compression, LayerCompression};

mod extract;
mod fsops;
mod tar_reader;

pub use extract::unpack_tar;
pub use fsops::{remove_tree, set_tree_remover};
pub use tar_reader::{parse_pax, TarEntry, TarReader};

const BUF: usize = 1 << 20;
const MAX_SYMLINKS: usize = 40;

/// Errors from unpacking.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The entry (relative to the target) or the target.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// The layer tried something unsafe; nothing was written for this entry.
    #[error("refusing layer entry {path:?}: {reason}")]
    Unsafe {
        /// The entry name as found in the tar.
        path: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// An entry type hoist does not extract (e.g. GNU sparse files).
    #[error("unsupported layer entry {path:?} ({kind})")]
    Unsupported {
        /// The entry name.
        path: String,
        /// The tar type.
        kind: String,
    },
    /// The tar stream itself is malformed.
    #[error("malformed layer: {0}")]
    Tar(io::Error),
    /// The decompressed stream does not hash to the expected diffID.
    #[error("layer diffID mismatch: expected {expected}, got {actual}")]
    DiffIdMismatch {
        /// What the caller expected.
        expected: Digest,
        /// What the stream hashed to.
        actual: Digest,
    },
}

/// How whiteout entries are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhiteoutMode {
    /// Apply them to what is already in the target (unpacking layers onto one rootfs).
    #[default]
    Apply,
    /// Turn them into overlayfs whiteouts (for per-layer lower directories).
    Overlay(OverlayXattr),
}

/// Which xattr namespace marks opaque directories in overlay mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayXattr {
    /// `trusted.overlay.opaque` (needs CAP_SYS_ADMIN; classic overlayfs).
    Trusted,
    /// `user.overlay.opaque` (overlayfs mounted with `userxattr`, rootless).
    User,
}

/// Options for unpacking.
#[derive(Debug, Clone)]
pub struct UnpackOptions {
    /// Whiteout handling.
    pub whiteouts: WhiteoutMode,
    /// Give entries the layer's uid/gid (default: when running as root).
    pub same_owner: bool,
    /// Restore extended attributes (unsupported ones are counted in `skipped`).
    pub xattrs: bool,
    /// Create character/block devices (default: when running as root); otherwise skipped.
    pub devices: bool,
    /// Fail if the decompressed stream does not hash to this diffID.
    pub expected_diff_id: Option<Digest>,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        let root = is_root();
        UnpackOptions {
            whiteouts: WhiteoutMode::Apply,
            same_owner: root,
            xattrs: true,
            devices: root,
            expected_diff_id: None,
        }
    }
}

/// True when the effective uid is 0.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// What an unpack did.
#[derive(Debug, Clone)]
pub struct UnpackStats {
    /// sha256 of the decompressed tar stream.
    pub diff_id: Digest,
    /// Its size.
    pub uncompressed_size: u64,
    /// Entries extracted (including whiteouts handled).
    pub entries: u64,
    /// Entries or attributes skipped, with the reason (devices when not allowed, xattrs the
    /// filesystem refuses, AUFS metadata).
    pub skipped: Vec<String>,
    /// Without `same_owner` (an unprivileged caller owns everything it extracted): the
    /// entries left in the target whose owner in the layer is not 0:0, as paths relative to
    /// the target (the tar's, resolved from the target as a root) with that uid and gid.
    /// Hardlinks are not listed (their inode is, by its first path).
    pub owners: Vec<(PathBuf, u32, u32)>,
}

/// Unpack a layer blob, detecting gzip/zstd/plain tar from its first bytes.
pub fn unpack_layer<R: Read>(
    blob: R,
    target: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackStats, UnpackError> {
    let mut br = BufReader::with_capacity(BUF, blob);
    let head = fill_head(&mut br).map_err(UnpackError::Tar)?;
    match sniff_compression(&head) {
        LayerCompression::None => unpack_tar(br, target, opts),
        LayerCompression::Gzip => {
            unpack_tar(flate2::bufread::MultiGzDecoder::new(br), target, opts)
        }
        LayerCompression::Zstd => {
            let z = zstd::stream::read::Decoder::with_buffer(br).map_err(UnpackError::Tar)?;
            unpack_tar(z, target, opts)
        }
    }
}

fn fill_head<R: Read>(br: &mut BufReader<R>) -> io::Result<Vec<u8>> {
    use std::io::BufRead;
    let buf = br.fill_buf()?;
    Ok(buf.get(..4).unwrap_or(buf).to_vec())
}

/// Unpack an uncompressed tar stream.
fn io_err(path: &str, source: io::Error) -> UnpackError {
    UnpackError::Io {
        path: path.to_string(),
        source,
    }
}

fn unsafe_entry(path: &[u8], reason: &'static str) -> UnpackError {
    UnpackError::Unsafe {
        path: String::from_utf8_lossy(path).into_owned(),
        reason,
    }
}

/// Split a tar path into clean components: empty and `.` parts dropped (so a leading `/` is
/// ignored), `..` refused, NUL refused.
pub fn clean_path(raw: &[u8]) -> Result<Vec<&[u8]>, UnpackError> {
    let mut out = Vec::new();
    for c in raw.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err(unsafe_entry(raw, "path contains '..'")),
            c if c.contains(&0) => return Err(unsafe_entry(raw, "path contains NUL")),
            c => out.push(c),
        }
    }
    Ok(out)
}
