//! Image archives: `oci-archive:` (a tar of an OCI image layout) and `docker-archive:` (the
//! `docker save` / `docker load` format), read and write.
//!
//! Reading never extracts the archive: [`TarIndex`] scans the tar once, remembers where each
//! member's data starts, and later opens members by seeking into the file (symlinks and hard
//! links between members are followed, as `docker save` uses them for repeated layers). A
//! compressed archive is first decompressed to a temporary file so it can be indexed.
//!
//! Writing streams members into a tar created next to the destination and renamed over it at
//! the end ([`TarSink`]); members whose size is not known up front (layers decompressed for
//! `docker load`) are spooled to a temporary file first. A docker archive has a `manifest.json`
//! (`Config`, `RepoTags`, `Layers`), a `repositories` file, the config as `<hex>.json` and each
//! layer as an uncompressed `<diffid-hex>/layer.tar` whose sha256 is checked against the
//! config's `rootfs.diff_ids`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::digest::{Digest, Sha256Writer};
use super::json::{to_canonical_vec, JsonError};
use super::media::{self, sniff_compression, LayerCompression};

/// Errors reading or writing an archive.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The archive or a temporary file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The tar itself is malformed.
    #[error("{}: not a valid tar archive: {reason}", path.display())]
    BadTar {
        /// The archive.
        path: PathBuf,
        /// The reader's complaint.
        reason: String,
    },
    /// A member the format requires is absent.
    #[error("{}: missing {member}", path.display())]
    MissingMember {
        /// The archive.
        path: PathBuf,
        /// The member name.
        member: String,
    },
    /// `manifest.json` is malformed or names no usable image.
    #[error("{}: {reason}", path.display())]
    Manifest {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A layer's uncompressed content does not match the config's diffID.
    #[error("{}: layer {digest} uncompresses to {got}, but the config expects diffID {want}", path.display())]
    DiffId {
        /// The archive being written.
        path: PathBuf,
        /// The layer blob.
        digest: Digest,
        /// The sha256 of its uncompressed content.
        got: Digest,
        /// The diffID from the config.
        want: Digest,
    },
    /// JSON could not be written.
    #[error(transparent)]
    Json(#[from] JsonError),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone)]
enum Member {
    File { offset: u64, size: u64 },
    Link { target: String },
    Dir,
}

/// A scanned tar: member names to data offsets, for random access without extracting.
pub struct TarIndex {
    path: PathBuf,
    members: HashMap<String, Member>,
    _spool: Option<tempfile::NamedTempFile>,
}

/// Normalise a member name: no leading `./` or `/`, no trailing `/`, `.` components dropped.
fn clean_name(name: &str) -> String {
    name.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Resolve `target` (a symlink's target) relative to the directory of `from`.
fn join_link(from: &str, target: &str) -> String {
    if target.starts_with('/') {
        return clean_name(target);
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

impl TarIndex {
    /// Scan `path` (a plain, gzip- or zstd-compressed tar).
    pub fn open(path: &Path) -> Result<TarIndex, ArchiveError> {
        // The archive itself may be reached through a symlink the user named, but must be a
        // regular file: a FIFO or device would hang or never end.
        let mut f = File::options()
            .read(true)
            .custom_flags(i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0))
            .open(path)
            .map_err(io_err(path))?;
        let md = f.metadata().map_err(io_err(path))?;
        if !md.is_file() {
            return Err(io_err(path)(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file; an archive must be a tar file",
            )));
        }
        let mut head = [0u8; 4];
        let n = read_up_to(&mut f, &mut head).map_err(io_err(path))?;
        let compression = sniff_compression(head.get(..n).unwrap_or_default());
        let (scan_path, spool) = match compression {
            LayerCompression::None => (path.to_path_buf(), None),
            c => {
                f.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
                // Beside the archive when its directory is writable (same file system, no
                // room needed in $TMPDIR), in $TMPDIR otherwise.
                let beside = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let mut tmp = match tempfile::Builder::new()
                    .prefix(".hoist-spool-")
                    .tempfile_in(beside)
                {
                    Ok(t) => t,
                    Err(_) => tempfile::NamedTempFile::new().map_err(io_err(path))?,
                };
                super::scratch::lock(tmp.as_file()).map_err(io_err(tmp.path()))?;
                let mut dec = decompressor(c, BufReader::new(f)).map_err(io_err(path))?;
                io::copy(&mut dec, tmp.as_file_mut()).map_err(io_err(path))?;
                (tmp.path().to_path_buf(), Some(tmp))
            }
        };
        let file = File::open(&scan_path).map_err(io_err(&scan_path))?;
        let bad = |e: io::Error| ArchiveError::BadTar {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut ar = tar::Archive::new(BufReader::new(file));
        let mut members = HashMap::new();
        for entry in ar.entries().map_err(bad)? {
            let entry = entry.map_err(bad)?;
            let name = clean_name(&String::from_utf8_lossy(&entry.path_bytes()));
            let kind = entry.header().entry_type();
            let member = if kind.is_file() || kind == tar::EntryType::Continuous {
                Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                }
            } else if kind.is_dir() {
                Member::Dir
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                let target = if kind.is_symlink() {
                    join_link(&name, &target)
                } else {
                    clean_name(&target)
                };
                Member::Link { target }
            } else {
                continue;
            };
            members.insert(name, member);
        }
        Ok(TarIndex {
            path: scan_path,
            members,
            _spool: spool,
        })
    }

    fn resolve(&self, name: &str) -> Option<(u64, u64)> {
        let mut name = clean_name(name);
        for _ in 0..16 {
            match self.members.get(&name)? {
                Member::File { offset, size } => return Some((*offset, *size)),
                Member::Link { target } => name = target.clone(),
                Member::Dir => return None,
            }
        }
        None
    }

    /// True when the member exists (after following links) and is a file.
    pub fn contains(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }

    /// Size of a member.
    pub fn size(&self, name: &str) -> Option<u64> {
        self.resolve(name).map(|(_, s)| s)
    }

    /// Open a member for reading.
    pub fn open_member(&self, name: &str) -> Result<io::Take<BufReader<File>>, ArchiveError> {
        let (offset, size) = self
            .resolve(name)
            .ok_or_else(|| ArchiveError::MissingMember {
                path: self.path.clone(),
                member: name.to_string(),
            })?;
        let mut f = File::open(&self.path).map_err(io_err(&self.path))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(io_err(&self.path))?;
        Ok(BufReader::new(f).take(size))
    }

    /// Read a member into memory, refusing members above `max` bytes.
    pub fn read_member(&self, name: &str, max: u64) -> Result<Vec<u8>, ArchiveError> {
        let size = self.size(name).unwrap_or(0);
        if size > max {
            return Err(ArchiveError::Manifest {
                path: self.path.clone(),
                reason: format!("{name} is {size} bytes, more than the {max}-byte limit"),
            });
        }
        let mut out = Vec::new();
        self.open_member(name)?
            .read_to_end(&mut out)
            .map_err(io_err(&self.path))?;
        Ok(out)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A decompressing reader for a layer of the given compression.
pub fn decompressor<'a, R: Read + 'a>(c: LayerCompression, r: R) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match c {
        LayerCompression::None => Box::new(r),
        LayerCompression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        LayerCompression::Zstd => Box::new(zstd::stream::read::Decoder::new(r)?),
    })
}

/// One entry of a docker archive's `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct DockerManifestEntry {
    /// Member name of the config.
    pub config: String,
    /// `name:tag` strings (may be null or absent).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub repo_tags: Vec<String>,
    /// Member names of the layers, bottom first.
    pub layers: Vec<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// Read a docker archive's `manifest.json`.
pub fn read_docker_manifest(
    idx: &TarIndex,
    archive: &Path,
) -> Result<Vec<DockerManifestEntry>, ArchiveError> {
    if !idx.contains("manifest.json") {
        return Err(ArchiveError::MissingMember {
            path: archive.to_path_buf(),
            member: "manifest.json".to_string(),
        });
    }
    let bytes = idx.read_member("manifest.json", 64 << 20)?;
    serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Manifest {
        path: archive.to_path_buf(),
        reason: format!("manifest.json: {e}"),
    })
}

/// Choose the entry of `manifest.json` for `name` (`repo:tag` in any of the spellings given),
/// or the only entry when no name is given.
pub fn select_docker_entry<'a>(
    entries: &'a [DockerManifestEntry],
    names: &[String],
    archive: &Path,
) -> Result<&'a DockerManifestEntry, ArchiveError> {
    if names.is_empty() {
        return match entries {
            [only] => Ok(only),
            [] => Err(ArchiveError::Manifest {
                path: archive.to_path_buf(),
                reason: "manifest.json lists no images".to_string(),
            }),
            many => Err(ArchiveError::Manifest {
                path: archive.to_path_buf(),
                reason: format!(
                    "holds {} images; name one with docker-archive:FILE:NAME (tags: {})",
                    many.len(),
                    all_tags(many)
                ),
            }),
        };
    }
    entries
        .iter()
        .find(|e| e.repo_tags.iter().any(|t| names.contains(t)))
        .ok_or_else(|| ArchiveError::Manifest {
            path: archive.to_path_buf(),
            reason: format!(
                "no image tagged {} (tags: {})",
                names.first().map(String::as_str).unwrap_or(""),
                all_tags(entries)
            ),
        })
}

fn all_tags(entries: &[DockerManifestEntry]) -> String {
    let t: Vec<&str> = entries
        .iter()
        .flat_map(|e| e.repo_tags.iter().map(String::as_str))
        .collect();
    if t.is_empty() {
        "none".to_string()
    } else {
        t.join(", ")
    }
}

/// A tar being written to a temporary file next to its destination; [`TarSink::finish`]
/// renames it into place, dropping it unfinished removes it.
pub struct TarSink {
    dest: PathBuf,
    builder: tar::Builder<BufWriter<tempfile::NamedTempFile>>,
    dirs: HashSet<String>,
    written: HashSet<String>,
}

impl TarSink {
    /// Start writing the tar that will become `dest`.
    pub fn create(dest: &Path) -> Result<TarSink, ArchiveError> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        super::scratch::clean_stale(&parent);
        let tmp =
            super::fsafe::temp_file_in(&parent, ".hoist-archive-").map_err(io_err(&parent))?;
        super::scratch::lock(tmp.as_file()).map_err(io_err(tmp.path()))?;
        let mut builder = tar::Builder::new(BufWriter::new(tmp));
        builder.mode(tar::HeaderMode::Deterministic);
        Ok(TarSink {
            dest: dest.to_path_buf(),
            builder,
            dirs: HashSet::new(),
            written: HashSet::new(),
        })
    }

    /// The destination path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// True when a member of that name was written.
    pub fn has(&self, name: &str) -> bool {
        self.written.contains(name)
    }

    fn ensure_dirs(&mut self, name: &str) -> Result<(), ArchiveError> {
        let mut prefix = String::new();
        let parts: Vec<&str> = name.split('/').collect();
        for c in parts.iter().take(parts.len().saturating_sub(1)) {
            prefix.push_str(c);
            prefix.push('/');
            if self.dirs.insert(prefix.clone()) {
                let mut h = tar::Header::new_ustar();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                h.set_mtime(0);
                self.builder
                    .append_data(&mut h, &prefix, io::empty())
                    .map_err(io_err(&self.dest))?;
            }
        }
        Ok(())
    }

    /// Append a regular file member of exactly `size` bytes read from `data`.
    pub fn append(
        &mut self,
        name: &str,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<(), ArchiveError> {
        self.ensure_dirs(name)?;
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(size);
        h.set_mtime(0);
        let mut counted = ExactReader {
            inner: data,
            left: size,
        };
        self.builder
            .append_data(&mut h, name, &mut counted)
            .map_err(io_err(&self.dest))?;
        if counted.left != 0 {
            return Err(io_err(&self.dest)(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{name}: stream ended {} bytes early", counted.left),
            )));
        }
        self.written.insert(name.to_string());
        Ok(())
    }

    /// Append a member from memory.
    pub fn append_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        let mut r = bytes;
        self.append(name, bytes.len() as u64, &mut r)
    }

    /// Append a member from a stream of unknown length (spooled to a temporary file first).
    /// Returns the sha256 and size of what was written.
    pub fn append_spooled(
        &mut self,
        name: &str,
        data: &mut dyn Read,
    ) -> Result<(Digest, u64), ArchiveError> {
        let (spool, digest, size) = spool(data, &self.dest)?;
        let mut f = BufReader::new(spool.reopen().map_err(io_err(spool.path()))?);
        self.append(name, size, &mut f)?;
        Ok((digest, size))
    }

    /// Finish the tar, sync it and rename it over the destination.
    pub fn finish(self) -> Result<(), ArchiveError> {
        let buf = self.builder.into_inner().map_err(io_err(&self.dest))?;
        let tmp = buf
            .into_inner()
            .map_err(|e| io_err(&self.dest)(e.into_error()))?;
        tmp.as_file().sync_all().map_err(io_err(&self.dest))?;
        tmp.persist(&self.dest)
            .map_err(|e| io_err(&self.dest)(e.error))?;
        Ok(())
    }
}

/// Copy `data` to a temporary file next to `near`, hashing it.
fn spool(
    data: &mut dyn Read,
    near: &Path,
) -> Result<(tempfile::NamedTempFile, Digest, u64), ArchiveError> {
    let parent = match near.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".hoist-spool-")
        .tempfile_in(&parent)
        .map_err(io_err(&parent))?;
    super::scratch::lock(tmp.as_file()).map_err(io_err(tmp.path()))?;
    let mut w = Sha256Writer::new(BufWriter::new(tmp));
    io::copy(data, &mut w).map_err(io_err(near))?;
    let (buf, digest, size) = w.finish();
    let tmp = buf.into_inner().map_err(|e| io_err(near)(e.into_error()))?;
    Ok((tmp, digest, size))
}

/// Reads at most `left` bytes and counts what is missing.
struct ExactReader<'a> {
    inner: &'a mut dyn Read,
    left: u64,
}

impl Read for ExactReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Drain one more read so a verifying reader below sees the end of its stream.
            let mut probe = [0u8; 1];
            let n = self.inner.read(&mut probe)?;
            if n != 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "stream is longer than its declared size",
                ));
            }
            return Ok(0);
        }
        let max = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(buf.get_mut(..max).unwrap_or_default())?;
        self.left -= n as u64;
        if n == 0 {
            return Ok(0);
        }
        Ok(n)
    }
}

/// Writes one image as a `docker load`-able archive.
pub struct DockerArchiveWriter {
    sink: TarSink,
    config: Option<(String, Vec<Digest>)>,
    layers: Vec<String>,
    done_layers: HashMap<Digest, String>,
}

impl DockerArchiveWriter {
    /// Start writing `dest`.
    pub fn create(dest: &Path) -> Result<DockerArchiveWriter, ArchiveError> {
        Ok(DockerArchiveWriter {
            sink: TarSink::create(dest)?,
            config: None,
            layers: Vec::new(),
            done_layers: HashMap::new(),
        })
    }

    /// Write the config (its bytes are kept, so the image ID is the config digest).
    pub fn put_config(
        &mut self,
        digest: &Digest,
        bytes: &[u8],
        diff_ids: Vec<Digest>,
    ) -> Result<(), ArchiveError> {
        let name = format!("{}.json", digest.hex());
        self.sink.append_bytes(&name, bytes)?;
        self.config = Some((name, diff_ids));
        Ok(())
    }

    /// Write the next layer (bottom first). `compression` is what the stream is; it is
    /// decompressed and its sha256 must equal the config's diffID for this position.
    pub fn put_layer(
        &mut self,
        blob: &Digest,
        compression: LayerCompression,
        data: &mut dyn Read,
    ) -> Result<(), ArchiveError> {
        let position = self.layers.len();
        let want = self
            .config
            .as_ref()
            .and_then(|(_, ids)| ids.get(position))
            .cloned()
            .ok_or_else(|| ArchiveError::Manifest {
                path: self.sink.dest().to_path_buf(),
                reason: format!("layer {blob} has no matching diffID in the config's rootfs"),
            })?;
        if let Some(existing) = self.done_layers.get(&want) {
            let existing = existing.clone();
            io::copy(data, &mut io::sink()).map_err(io_err(self.sink.dest()))?;
            self.layers.push(existing);
            return Ok(());
        }
        let name = format!("{}/layer.tar", want.hex());
        let (got, _) = {
            let mut dec = decompressor(compression, BufReader::new(&mut *data))
                .map_err(io_err(self.sink.dest()))?;
            self.sink.append_spooled(&name, &mut dec)?
        };
        // Read whatever follows the compressed stream so a verifying reader underneath sees
        // its end (and fails if the blob was not what its descriptor says).
        io::copy(data, &mut io::sink()).map_err(io_err(self.sink.dest()))?;
        if got != want {
            return Err(ArchiveError::DiffId {
                path: self.sink.dest().to_path_buf(),
                digest: blob.clone(),
                got,
                want,
            });
        }
        self.done_layers.insert(want, name.clone());
        self.layers.push(name);
        Ok(())
    }

    /// Write an uncompressed layer whose size is known, without spooling.
    pub fn put_tar_layer_sized(
        &mut self,
        blob: &Digest,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<(), ArchiveError> {
        let position = self.layers.len();
        let want = self
            .config
            .as_ref()
            .and_then(|(_, ids)| ids.get(position))
            .cloned()
            .ok_or_else(|| ArchiveError::Manifest {
                path: self.sink.dest().to_path_buf(),
                reason: format!("layer {blob} has no matching diffID in the config's rootfs"),
            })?;
        if blob != &want {
            return Err(ArchiveError::DiffId {
                path: self.sink.dest().to_path_buf(),
                digest: blob.clone(),
                got: blob.clone(),
                want,
            });
        }
        if let Some(existing) = self.done_layers.get(&want) {
            let existing = existing.clone();
            io::copy(data, &mut io::sink()).map_err(io_err(self.sink.dest()))?;
            self.layers.push(existing);
            return Ok(());
        }
        let name = format!("{}/layer.tar", want.hex());
        self.sink.append(&name, size, data)?;
        self.done_layers.insert(want, name.clone());
        self.layers.push(name);
        Ok(())
    }

    /// Write `manifest.json` and `repositories` and move the archive into place. `tags` are
    /// `repo:tag` strings in Docker's familiar form (`alpine:3.20`, `ghcr.io/a/b:1`).
    pub fn finish(mut self, tags: &[String]) -> Result<(), ArchiveError> {
        let (config, ids) = self.config.take().ok_or_else(|| ArchiveError::Manifest {
            path: self.sink.dest().to_path_buf(),
            reason: "no config was written".to_string(),
        })?;
        if ids.len() != self.layers.len() {
            return Err(ArchiveError::Manifest {
                path: self.sink.dest().to_path_buf(),
                reason: format!(
                    "the config lists {} diffIDs but {} layers were written",
                    ids.len(),
                    self.layers.len()
                ),
            });
        }
        let entry = DockerManifestEntry {
            config,
            repo_tags: tags.to_vec(),
            layers: self.layers.clone(),
        };
        self.sink
            .append_bytes("manifest.json", &to_canonical_vec(&vec![entry])?)?;
        // `repositories`: repo -> tag -> top layer ID (the layer's directory name).
        let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        if let Some(top) = self.layers.last().and_then(|l| l.split('/').next()) {
            for t in tags {
                if let Some((repo, tag)) = split_repo_tag(t) {
                    repos
                        .entry(repo.to_string())
                        .or_default()
                        .insert(tag.to_string(), top.to_string());
                }
            }
        }
        if !repos.is_empty() {
            self.sink
                .append_bytes("repositories", &to_canonical_vec(&repos)?)?;
        }
        self.sink.finish()
    }
}

/// Split `repo:tag` at the last `:` after the last `/`.
pub fn split_repo_tag(s: &str) -> Option<(&str, &str)> {
    let slash = s.rfind('/').map_or(0, |i| i + 1);
    let colon = s.get(slash..)?.rfind(':')? + slash;
    Some((s.get(..colon)?, s.get(colon + 1..)?))
}

/// Media type a docker-archive layer is presented with when read, from its first bytes.
pub fn docker_layer_media_type(compression: LayerCompression) -> &'static str {
    match compression {
        LayerCompression::None => media::DOCKER_LAYER_TAR,
        LayerCompression::Gzip => media::DOCKER_LAYER_GZIP,
        LayerCompression::Zstd => media::OCI_LAYER_ZSTD,
    }
}

/// Sniff the compression of a member from its first bytes.
pub fn sniff_member(idx: &TarIndex, name: &str) -> Result<LayerCompression, ArchiveError> {
    let mut r = idx.open_member(name)?;
    let mut head = [0u8; 4];
    let n = read_up_to(&mut r, &mut head).map_err(io_err(name.as_ref()))?;
    Ok(sniff_compression(head.get(..n).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_links() {
        assert_eq!(clean_name("./a//b/"), "a/b");
        assert_eq!(join_link("x/layer.tar", "../y/layer.tar"), "y/layer.tar");
        assert_eq!(
            split_repo_tag("localhost:5000/a/b:1"),
            Some(("localhost:5000/a/b", "1"))
        );
        assert_eq!(split_repo_tag("alpine:3.20"), Some(("alpine", "3.20")));
        assert_eq!(split_repo_tag("localhost:5000/a"), None);
    }

    #[test]
    fn tar_sink_and_index_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("a.tar");
        let mut sink = TarSink::create(&dest).unwrap();
        sink.append_bytes("blobs/sha256/x", b"hello").unwrap();
        let mut r: &[u8] = b"spooled data";
        let (d, n) = sink.append_spooled("y/layer.tar", &mut r).unwrap();
        assert_eq!(
            (d, n),
            (crate::oci::digest::digest_bytes(b"spooled data"), 12)
        );
        // Too short a stream is an error.
        let mut short: &[u8] = b"abc";
        assert!(sink.append("z", 10, &mut short).is_err());
        drop(sink);
        assert!(!dest.exists(), "an unfinished archive must not appear");

        let mut sink = TarSink::create(&dest).unwrap();
        sink.append_bytes("blobs/sha256/x", b"hello").unwrap();
        sink.finish().unwrap();
        let idx = TarIndex::open(&dest).unwrap();
        assert!(idx.contains("./blobs/sha256/x"));
        assert_eq!(idx.read_member("blobs/sha256/x", 100).unwrap(), b"hello");
        assert!(!idx.contains("blobs/sha256"));
        let leftovers = std::fs::read_dir(tmp.path()).unwrap().count();
        assert_eq!(leftovers, 1);
    }
}
