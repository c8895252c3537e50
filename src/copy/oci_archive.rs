//! `oci-archive:FILE[:TAG]` (an OCI layout in a tar) as copy source and destination, on the
//! shared content-addressed mechanism ([`super::cas`]). The source reads members in place
//! (never extracting); the destination streams into a temporary file next to the target and
//! moves it into place when the image is committed.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::cas::{
    transport_name, BlobRead, BlobWrite, CasDest, CasSource, Described, RootManifest,
};
use super::error::CopyError;
use crate::oci::archive::{TarIndex, TarSink};
use crate::oci::digest::{digest_bytes, Digest};
use crate::oci::image::{media_type_str, RawManifest};
use crate::oci::json::to_canonical_vec;
use crate::oci::layout::{
    resolve_in_index, LayoutError, LAYOUT_FILE_CONTENT, MAX_MANIFEST_SIZE, REF_NAME,
};
use crate::oci::media;

fn member(d: &Digest) -> String {
    format!("blobs/{}/{}", d.algorithm().as_str(), d.hex())
}

/// An oci-archive being read.
pub struct OciArchiveReader {
    file: PathBuf,
    tag: Option<String>,
    tar: TarIndex,
}

/// An oci-archive being written.
pub struct OciArchiveWriter {
    file: PathBuf,
    tag: Option<String>,
    sink: Option<TarSink>,
    written: HashSet<Digest>,
}

/// An `oci-archive:` tar as a source (read in place, not extracted).
pub type OciArchiveSource = CasSource<OciArchiveReader>;
/// An `oci-archive:` tar as a destination (an existing archive is replaced on commit).
pub type OciArchiveDest = CasDest<OciArchiveWriter>;

impl OciArchiveSource {
    /// Open the archive; the image is the one tagged `tag` (or the only one).
    pub fn open(file: &Path, tag: Option<&str>) -> Result<OciArchiveSource, CopyError> {
        let tar = TarIndex::open(file)?;
        if !tar.contains("oci-layout") || !tar.contains("index.json") {
            return Err(LayoutError::NotALayout(file.to_path_buf()).into());
        }
        Ok(CasSource {
            blobs: OciArchiveReader {
                file: file.to_path_buf(),
                tag: tag.map(str::to_string),
                tar,
            },
        })
    }
}

impl OciArchiveDest {
    /// Start writing `file`.
    pub fn create(file: &Path, tag: Option<&str>) -> Result<OciArchiveDest, CopyError> {
        let mut sink = TarSink::create(file)?;
        sink.append_bytes("oci-layout", LAYOUT_FILE_CONTENT)?;
        Ok(CasDest {
            blobs: OciArchiveWriter {
                file: file.to_path_buf(),
                tag: tag.map(str::to_string),
                sink: Some(sink),
                written: HashSet::new(),
            },
        })
    }
}

impl BlobRead for OciArchiveReader {
    fn root(&self) -> Result<RootManifest, CopyError> {
        let bytes = self.tar.read_member("index.json", MAX_MANIFEST_SIZE)?;
        let index = serde_json::from_slice(&bytes).map_err(|e| LayoutError::Malformed {
            path: self.file.join("index.json"),
            reason: e.to_string(),
        })?;
        let desc = resolve_in_index(&index, self.tag.as_deref(), &self.describe())?;
        Ok(RootManifest {
            digest: Digest::from_oci(desc.digest())?,
            media_type: Some(media_type_str(&desc)),
        })
    }

    fn blob_size(&self, d: &Digest) -> Result<Option<u64>, CopyError> {
        Ok(self.tar.size(&member(d)))
    }

    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + '_>, CopyError> {
        Ok(Box::new(self.tar.open_member(&member(d))?))
    }
}

impl OciArchiveWriter {
    fn sink(&mut self) -> Result<&mut TarSink, CopyError> {
        let reference = self.describe();
        self.sink.as_mut().ok_or(CopyError::Unsupported {
            reference,
            reason: "archive already committed".to_string(),
        })
    }
}

impl BlobWrite for OciArchiveWriter {
    fn has_blob(&self, d: &Digest, _size: u64) -> Result<bool, CopyError> {
        Ok(self.written.contains(d))
    }

    fn write_blob(&mut self, d: &Digest, size: u64, data: &mut dyn Read) -> Result<(), CopyError> {
        self.sink()?.append(&member(d), size, data)?;
        self.written.insert(d.clone());
        Ok(())
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), CopyError> {
        let d = digest_bytes(bytes);
        if self.written.contains(&d) {
            return Ok(());
        }
        self.sink()?.append_bytes(&member(&d), bytes)?;
        self.written.insert(d);
        Ok(())
    }

    fn set_root(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        let mut entry = json!({
            "mediaType": root.media_type,
            "digest": root.digest.to_string(),
            "size": root.size(),
        });
        if let Some(t) = &self.tag {
            entry["annotations"] = json!({ REF_NAME: t });
        }
        let index = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": [entry],
        });
        let bytes = to_canonical_vec(&index)?;
        let mut sink = self.sink.take().ok_or(CopyError::Unsupported {
            reference: self.describe(),
            reason: "archive already committed".to_string(),
        })?;
        sink.append_bytes("index.json", &bytes)?;
        sink.finish()?;
        Ok(())
    }

    fn scratch_dir(&self) -> Option<PathBuf> {
        match self.file.parent() {
            Some(p) if !p.as_os_str().is_empty() => Some(p.to_path_buf()),
            _ => Some(PathBuf::from(".")),
        }
    }
}

impl Described for OciArchiveReader {
    fn describe(&self) -> String {
        transport_name("oci-archive", &self.file, self.tag.as_deref())
    }
}

impl Described for OciArchiveWriter {
    fn describe(&self) -> String {
        transport_name("oci-archive", &self.file, self.tag.as_deref())
    }
}
