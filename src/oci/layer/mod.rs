//! Streaming, reproducible layer writer.
//!
//! [`LayerWriter`] turns a sequence of [`LayerEntry`] values into a layer blob in one pass:
//! tar bytes are hashed (diffID) on their way into the compressor and the compressed bytes are
//! hashed (blob digest) and counted on their way to the output. Nothing is buffered beyond a
//! 1 MiB copy buffer, a 1 MiB write buffer and the compressor's own window, so memory does not
//! grow with the layer (the directory walker [`write_dir`] keeps one small metadata record per
//! entry to sort them; file contents are streamed).
//!
//! Reproducibility rules (same input, same bytes):
//! - entries must come in sorted order (path components compared bytewise; the writer rejects
//!   anything else and [`write_dir`] sorts before writing);
//! - ustar headers with empty user/group names, mode limited to `0o7777` (setuid, setgid and
//!   sticky kept), numeric uid/gid, whole-second mtimes clamped to `SOURCE_DATE_EPOCH` when
//!   set; PAX records (`path`, `linkpath`, `size`, `uid`, `gid`, `mtime`,
//!   `SCHILY.xattr.*`, in that fixed order, xattrs sorted) only when a value does not fit;
//! - hardlinks: the first path of an inode in sorted order carries the data, later ones are
//!   link entries;
//! - whiteouts are explicit OCI entries: `dir/.wh.name` and `dir/.wh..wh..opq`.
//!
//! Compression: gzip through `flate2` (zlib-rs backend, gzip header without name or mtime) and
//! zstd through `zstd` (libzstd). Both can use several threads: zstd through libzstd workers
//! (`zstd_workers`), gzip through a block mode written here (`gzip_threads`: 1 MiB blocks
//! deflated in parallel with the previous 32 KiB as dictionary and joined with sync flushes,
//! as pigz does). Each gives the same bytes for any thread count ≥ 1; 0 selects the classic
//! single-stream encoders, whose bytes differ but are just as reproducible. Tar headers are built
//! with the `tar` crate's `Header` type; the entry framing, PAX records and padding are written here so the exact bytes
//! are under our control.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::digest::{Digest, Sha256Writer};
use super::media::{layer_media_type, LayerCompression, MediaFlavor};

mod compress;
mod entry;
mod walk;

use compress::{Encoder, ParGzip};
use entry::relative_bytes;
pub use entry::sort_key;
pub use entry::{EntryKind, EntryMeta, LayerEntry};
pub(crate) use walk::is_unsupported;
pub(crate) use walk::{get_xattr, list_xattrs};
pub use walk::{write_dir, write_dir_owned, OwnerFn, WalkOptions};

const BLOCK: usize = 512;
const COPY_BUF: usize = 1 << 20;
const MAX_OCTAL_11: u64 = 0o777_7777_7777;
const MAX_OCTAL_7: u64 = 0o777_7777;

/// Errors from writing a layer.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// Reading a source file or writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved (or `<output>`).
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A path that cannot appear in a layer (absolute, `..`, `.`, empty).
    #[error("invalid layer path {0:?}")]
    InvalidPath(PathBuf),
    /// A regular entry whose name starts with `.wh.` (it would read as a whiteout).
    #[error("{0:?}: names starting with .wh. are reserved for whiteouts")]
    ReservedName(PathBuf),
    /// Entries not in sorted order (or a duplicate).
    #[error("layer entries out of order: {next:?} after {prev:?}")]
    NotSorted {
        /// The previous entry's tar name.
        prev: String,
        /// The offending entry's tar name.
        next: String,
    },
    /// A file had fewer bytes than its entry declared.
    #[error("{path}: expected {expected} bytes, got {got} (file changed while reading?)")]
    SizeMismatch {
        /// The entry.
        path: PathBuf,
        /// Declared size.
        expected: u64,
        /// Bytes actually read.
        got: u64,
    },
    /// `SOURCE_DATE_EPOCH` is not an integer.
    #[error("SOURCE_DATE_EPOCH={0:?} is not an integer number of seconds")]
    SourceDateEpoch(String),
    /// A file entry was appended without data.
    #[error("{0:?}: a regular file entry needs its content")]
    MissingData(PathBuf),
}

fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> LayerError {
    let path = path.into();
    move |source| LayerError::Io { path, source }
}

fn out_err(source: io::Error) -> LayerError {
    LayerError::Io {
        path: PathBuf::from("<output>"),
        source,
    }
}

/// Compression and its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain tar.
    None,
    /// gzip, level 0–9.
    Gzip {
        /// 0 (store) to 9 (best); 6 is zlib's default.
        level: u32,
    },
    /// zstd, level 1–22 (negative levels are the fast modes).
    Zstd {
        /// 3 is zstd's default.
        level: i32,
    },
}

impl Default for Compression {
    fn default() -> Self {
        Compression::Gzip { level: 6 }
    }
}

impl Compression {
    /// The compression family.
    pub fn kind(self) -> LayerCompression {
        match self {
            Compression::None => LayerCompression::None,
            Compression::Gzip { .. } => LayerCompression::Gzip,
            Compression::Zstd { .. } => LayerCompression::Zstd,
        }
    }
}

/// Options for [`LayerWriter`].
#[derive(Debug, Clone, Default)]
pub struct LayerOptions {
    /// Compression and level.
    pub compression: Compression,
    /// Clamp every mtime to at most this many seconds since the epoch.
    pub source_date_epoch: Option<i64>,
    /// libzstd worker threads (0 = compress in the calling thread). Any value ≥ 1 gives the
    /// same bytes; 0 gives different (equally valid) bytes.
    pub zstd_workers: u32,
    /// gzip threads. 0 = one classic deflate stream (flate2's `GzEncoder`). Any value ≥ 1
    /// switches to block mode: the tar stream is cut into 1 MiB blocks, each deflated on its
    /// own (with the previous 32 KiB as dictionary, ending in a sync flush) and the pieces
    /// joined into one valid gzip member, pigz-style. Block mode gives the same bytes for any
    /// thread count ≥ 1 (slightly larger than the classic stream) and uses about
    /// `threads × 2 MiB` of memory.
    pub gzip_threads: u32,
}

impl LayerOptions {
    /// Read `SOURCE_DATE_EPOCH` from the environment (unset or empty = no clamping).
    pub fn source_date_epoch_from_env() -> Result<Option<i64>, LayerError> {
        match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if v.trim().is_empty() => Ok(None),
            Ok(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| LayerError::SourceDateEpoch(v)),
            Err(_) => Ok(None),
        }
    }
}

/// What a finished layer is: the two digests and the sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// sha256 of the uncompressed tar stream.
    pub diff_id: Digest,
    /// sha256 of the blob as written.
    pub digest: Digest,
    /// Size of the blob as written.
    pub size: u64,
    /// Size of the uncompressed tar stream.
    pub uncompressed_size: u64,
    /// Compression used.
    pub compression: LayerCompression,
}

impl LayerInfo {
    /// The layer media type in the given flavour.
    pub fn media_type(&self, flavor: MediaFlavor) -> &'static str {
        layer_media_type(self.compression, flavor)
    }
}

type Chain<W> = BufWriter<Sha256Writer<Encoder<Sha256Writer<W>>>>;

/// Streaming layer writer: append sorted entries, then [`finish`](LayerWriter::finish).
pub struct LayerWriter<W: Write> {
    out: Chain<W>,
    opts: LayerOptions,
    last: Option<Vec<u8>>,
    buf: Vec<u8>,
    compression: LayerCompression,
}

impl<W: Write> LayerWriter<W> {
    /// Start a layer written to `out`.
    pub fn new(out: W, opts: &LayerOptions) -> Result<Self, LayerError> {
        let digest_w = Sha256Writer::new(out);
        let enc = match opts.compression {
            Compression::None => Encoder::Plain(digest_w),
            Compression::Gzip { level } if opts.gzip_threads > 0 => Encoder::ParGzip(ParGzip::new(
                digest_w,
                level.min(9),
                opts.gzip_threads as usize,
            )),
            Compression::Gzip { level } => {
                let gz = flate2::GzBuilder::new()
                    .mtime(0)
                    .operating_system(255)
                    .write(digest_w, flate2::Compression::new(level.min(9)));
                Encoder::Gzip(gz)
            }
            Compression::Zstd { level } => {
                let mut z = zstd::stream::write::Encoder::new(digest_w, level).map_err(out_err)?;
                if opts.zstd_workers > 0 {
                    z.multithread(opts.zstd_workers).map_err(out_err)?;
                }
                Encoder::Zstd(z)
            }
        };
        Ok(LayerWriter {
            out: BufWriter::with_capacity(COPY_BUF, Sha256Writer::new(enc)),
            opts: opts.clone(),
            last: None,
            buf: vec![0; COPY_BUF],
            compression: opts.compression.kind(),
        })
    }

    /// Append one entry. Regular files need `data` yielding at least `size` bytes (only `size`
    /// bytes are read); other kinds ignore it.
    pub fn append(
        &mut self,
        entry: &LayerEntry,
        data: Option<&mut dyn Read>,
    ) -> Result<(), LayerError> {
        let name = entry.tar_name()?;
        if let Some(prev) = &self.last {
            if sort_key(prev) >= sort_key(&name) {
                return Err(LayerError::NotSorted {
                    prev: String::from_utf8_lossy(prev).into_owned(),
                    next: String::from_utf8_lossy(&name).into_owned(),
                });
            }
        }
        let meta = &entry.meta;
        let empty = EntryMeta {
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: meta.mtime,
            xattrs: BTreeMap::new(),
        };
        match &entry.kind {
            EntryKind::File { size } => {
                let data = data.ok_or_else(|| LayerError::MissingData(entry.path.clone()))?;
                self.header(&name, tar::EntryType::Regular, meta, *size, None, None)?;
                self.copy_data(&entry.path, data, *size)?;
            }
            EntryKind::Dir => {
                let mut n = name.clone();
                n.push(b'/');
                self.header(&n, tar::EntryType::Directory, meta, 0, None, None)?;
            }
            EntryKind::Symlink { target } => {
                let t = target.as_os_str().as_bytes();
                self.header(&name, tar::EntryType::Symlink, meta, 0, Some(t), None)?;
            }
            EntryKind::Hardlink { target } => {
                let t = relative_bytes(target)?;
                if t.is_empty() {
                    return Err(LayerError::InvalidPath(target.clone()));
                }
                self.header(&name, tar::EntryType::Link, meta, 0, Some(&t), None)?;
            }
            EntryKind::CharDevice { major, minor } => {
                let dev = Some((*major, *minor));
                self.header(&name, tar::EntryType::Char, meta, 0, None, dev)?;
            }
            EntryKind::BlockDevice { major, minor } => {
                let dev = Some((*major, *minor));
                self.header(&name, tar::EntryType::Block, meta, 0, None, dev)?;
            }
            EntryKind::Fifo => {
                self.header(&name, tar::EntryType::Fifo, meta, 0, None, None)?;
            }
            EntryKind::Whiteout | EntryKind::OpaqueWhiteout => {
                self.header(&name, tar::EntryType::Regular, &empty, 0, None, None)?;
            }
        }
        self.last = Some(name);
        Ok(())
    }

    fn clamp_mtime(&self, mtime: i64) -> i64 {
        match self.opts.source_date_epoch {
            Some(epoch) if mtime > epoch => epoch,
            _ => mtime,
        }
    }

    fn header(
        &mut self,
        name: &[u8],
        kind: tar::EntryType,
        meta: &EntryMeta,
        size: u64,
        link: Option<&[u8]>,
        dev: Option<(u32, u32)>,
    ) -> Result<(), LayerError> {
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        if name.len() > 100 {
            pax.push(("path".into(), name.to_vec()));
        }
        set_bytes_field(h.as_ustar_mut().map(|u| &mut u.name[..]), name);
        if let Some(l) = link {
            if l.len() > 100 {
                pax.push(("linkpath".into(), l.to_vec()));
            }
            set_bytes_field(h.as_ustar_mut().map(|u| &mut u.linkname[..]), l);
        }
        if size > MAX_OCTAL_11 {
            pax.push(("size".into(), size.to_string().into_bytes()));
            h.set_size(0);
        } else {
            h.set_size(size);
        }
        for (key, id) in [("uid", meta.uid), ("gid", meta.gid)] {
            let v = if id > MAX_OCTAL_7 {
                pax.push((key.into(), id.to_string().into_bytes()));
                0
            } else {
                id
            };
            if key == "uid" {
                h.set_uid(v);
            } else {
                h.set_gid(v);
            }
        }
        let mtime = self.clamp_mtime(meta.mtime);
        match u64::try_from(mtime) {
            Ok(m) if m <= MAX_OCTAL_11 => h.set_mtime(m),
            _ => {
                pax.push(("mtime".into(), mtime.to_string().into_bytes()));
                h.set_mtime(0);
            }
        }
        h.set_mode(meta.mode & 0o7777);
        if let Some((major, minor)) = dev {
            h.set_device_major(major).map_err(out_err)?;
            h.set_device_minor(minor).map_err(out_err)?;
        }
        for (k, v) in &meta.xattrs {
            pax.push((format!("SCHILY.xattr.{k}"), v.clone()));
        }
        if !pax.is_empty() {
            self.pax_header(&pax)?;
        }
        h.set_cksum();
        self.out.write_all(h.as_bytes()).map_err(out_err)
    }

    fn pax_header(&mut self, records: &[(String, Vec<u8>)]) -> Result<(), LayerError> {
        let mut data = Vec::new();
        for (key, value) in records {
            // "LEN KEY=VALUE\n" where LEN counts the whole record including its own digits.
            let rest = key.len() + value.len() + 3;
            let mut len = rest + 1;
            while rest + len.to_string().len() != len {
                len = rest + len.to_string().len();
            }
            data.extend_from_slice(len.to_string().as_bytes());
            data.push(b' ');
            data.extend_from_slice(key.as_bytes());
            data.push(b'=');
            data.extend_from_slice(value);
            data.push(b'\n');
        }
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::XHeader);
        set_bytes_field(h.as_ustar_mut().map(|u| &mut u.name[..]), b"././@PaxHeader");
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_size(data.len() as u64);
        h.set_cksum();
        self.out.write_all(h.as_bytes()).map_err(out_err)?;
        self.out.write_all(&data).map_err(out_err)?;
        self.pad(data.len() as u64)
    }

    fn pad(&mut self, written: u64) -> Result<(), LayerError> {
        let rem = (written % BLOCK as u64) as usize;
        if rem != 0 {
            self.out.write_all(&[0u8; BLOCK][rem..]).map_err(out_err)?;
        }
        Ok(())
    }

    fn copy_data(&mut self, path: &Path, data: &mut dyn Read, size: u64) -> Result<(), LayerError> {
        let mut left = size;
        while left > 0 {
            let want = usize::try_from(left.min(COPY_BUF as u64)).unwrap_or(COPY_BUF);
            let chunk = &mut self.buf[..want];
            let n = match data.read(chunk) {
                Ok(0) => {
                    return Err(LayerError::SizeMismatch {
                        path: path.to_path_buf(),
                        expected: size,
                        got: size - left,
                    })
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(path)(e)),
            };
            self.out.write_all(&chunk[..n]).map_err(out_err)?;
            left -= n as u64;
        }
        self.pad(size)
    }

    /// Write the end-of-archive marker, finish compression and return the output and digests.
    pub fn finish(mut self) -> Result<(W, LayerInfo), LayerError> {
        self.out.write_all(&[0u8; 2 * BLOCK]).map_err(out_err)?;
        self.finish_raw()
    }

    /// Pass bytes of a whole uncompressed layer made elsewhere (the output of a
    /// [`LayerWriter`] with [`Compression::None`], end-of-archive marker included, such as one
    /// written by a helper process) through this writer's hashing and compression, so the
    /// blob is the one [`LayerWriter::finish`] would give for the same entries. The bytes are
    /// not checked: their entries and order are the producer's. End with
    /// [`LayerWriter::finish_raw`]; do not mix with [`LayerWriter::append`].
    pub fn write_raw(&mut self, bytes: &[u8]) -> Result<(), LayerError> {
        self.out.write_all(bytes).map_err(out_err)
    }

    /// Finish compression (no end-of-archive marker added: the raw bytes carried theirs) and
    /// return the output and digests.
    pub fn finish_raw(self) -> Result<(W, LayerInfo), LayerError> {
        let tar_hasher = self.out.into_inner().map_err(|e| out_err(e.into_error()))?;
        let (enc, diff_id, uncompressed_size) = tar_hasher.finish();
        let digest_w = enc.finish().map_err(out_err)?;
        let (mut out, digest, size) = digest_w.finish();
        out.flush().map_err(out_err)?;
        Ok((
            out,
            LayerInfo {
                diff_id,
                digest,
                size,
                uncompressed_size,
                compression: self.compression,
            },
        ))
    }
}

fn set_bytes_field(field: Option<&mut [u8]>, value: &[u8]) {
    if let Some(field) = field {
        let n = value.len().min(field.len());
        field[..n].copy_from_slice(&value[..n]);
        for b in &mut field[n..] {
            *b = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> LayerEntry {
        LayerEntry {
            path: path.into(),
            kind: EntryKind::File { size },
            meta: EntryMeta {
                mode: 0o644,
                ..Default::default()
            },
        }
    }

    #[test]
    fn rejects_unsorted_and_short_data() {
        let mut w = LayerWriter::new(Vec::new(), &LayerOptions::default()).unwrap();
        w.append(&file("b", 0), Some(&mut &b""[..])).unwrap();
        let err = w.append(&file("a", 0), Some(&mut &b""[..])).unwrap_err();
        assert!(matches!(err, LayerError::NotSorted { .. }));
        let err = w
            .append(&file("c", 10), Some(&mut &b"abc"[..]))
            .unwrap_err();
        assert!(matches!(err, LayerError::SizeMismatch { got: 3, .. }));
    }

    #[test]
    fn raw_tar_bytes_give_the_blob_of_the_entries() {
        let entries: Vec<(LayerEntry, Vec<u8>)> = (0..12)
            .map(|i| {
                let body: Vec<u8> = (0..(i * 97_000)).map(|n| (n * 31 % 251) as u8).collect();
                (file(&format!("f{i:02}"), body.len() as u64), body)
            })
            .collect();
        let write = |opts: &LayerOptions| {
            let mut w = LayerWriter::new(Vec::new(), opts).unwrap();
            for (e, body) in &entries {
                w.append(e, Some(&mut &body[..])).unwrap();
            }
            w.finish().unwrap()
        };
        let (tar, plain) = write(&LayerOptions {
            compression: Compression::None,
            ..Default::default()
        });
        for compression in [
            Compression::Gzip { level: 6 },
            Compression::Zstd { level: 3 },
        ] {
            let opts = LayerOptions {
                compression,
                gzip_threads: 2,
                zstd_workers: 2,
                ..Default::default()
            };
            let (want_bytes, want) = write(&opts);
            assert_eq!(want.diff_id, plain.digest);
            // Fed in odd chunk sizes, as a pipe delivers them.
            for chunk in [1000, 16 * 1024, 3 << 20] {
                let mut w = LayerWriter::new(Vec::new(), &opts).unwrap();
                for c in tar.chunks(chunk) {
                    w.write_raw(c).unwrap();
                }
                let (bytes, info) = w.finish_raw().unwrap();
                assert_eq!(info, want, "{compression:?} in chunks of {chunk}");
                assert!(bytes == want_bytes);
            }
        }
    }

    #[test]
    fn pax_for_long_names_and_big_ids() {
        let long = "d/".repeat(80) + "file";
        let mut e = file(&long, 3);
        e.meta.uid = 5_000_000;
        e.meta.xattrs.insert("user.k".into(), b"v\0\n".to_vec());
        let mut w = LayerWriter::new(
            Vec::new(),
            &LayerOptions {
                compression: Compression::None,
                ..Default::default()
            },
        )
        .unwrap();
        w.append(&e, Some(&mut &b"xyz"[..])).unwrap();
        let (bytes, info) = w.finish().unwrap();
        assert_eq!(info.digest, info.diff_id);
        let mut r = crate::oci::unpack::TarReader::new(&bytes[..]);
        let ent = r.next_entry().unwrap().unwrap();
        assert_eq!(ent.path, long.as_bytes());
        assert_eq!(ent.uid, 5_000_000);
        assert_eq!(ent.xattrs, vec![("user.k".to_string(), b"v\0\n".to_vec())]);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert!(r.next_entry().unwrap().is_none());
        assert_eq!(s, "xyz");
    }
}
