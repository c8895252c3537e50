//! An image held in memory as a copy source (small artifacts: signatures, attestations,
//! test images), on the shared content-addressed mechanism ([`super::cas`]).

use std::collections::HashMap;
use std::io::Read;

use super::cas::{BlobRead, CasSource, Described, RootManifest};
use super::error::CopyError;
use crate::oci::digest::{digest_bytes, Digest};
use crate::oci::image::RawManifest;
use crate::oci::layout::LayoutError;

/// A manifest and blobs in memory.
pub struct MemoryBlobs {
    root: RawManifest,
    blobs: HashMap<Digest, Vec<u8>>,
}

/// An in-memory image as a source.
pub type MemorySource = CasSource<MemoryBlobs>;

impl MemorySource {
    /// A source whose top is `root`, with `blobs` (each named by its own digest) and any
    /// child manifests among them.
    pub fn new(root: RawManifest, blobs: Vec<Vec<u8>>) -> MemorySource {
        CasSource {
            blobs: MemoryBlobs {
                root,
                blobs: blobs.into_iter().map(|b| (digest_bytes(&b), b)).collect(),
            },
        }
    }
}

impl MemoryBlobs {
    fn get(&self, d: &Digest) -> Option<&[u8]> {
        if self.root.digest == *d {
            return Some(&self.root.bytes);
        }
        self.blobs.get(d).map(Vec::as_slice)
    }
}

impl BlobRead for MemoryBlobs {
    fn root(&self) -> Result<RootManifest, CopyError> {
        Ok(RootManifest {
            digest: self.root.digest.clone(),
            media_type: Some(self.root.media_type.clone()),
        })
    }

    fn blob_size(&self, d: &Digest) -> Result<Option<u64>, CopyError> {
        Ok(self.get(d).map(|b| b.len() as u64))
    }

    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + '_>, CopyError> {
        match self.get(d) {
            Some(bytes) => Ok(Box::new(bytes)),
            None => Err(LayoutError::MissingBlob {
                where_: self.describe(),
                digest: d.clone(),
            }
            .into()),
        }
    }
}

impl Described for MemoryBlobs {
    fn describe(&self) -> String {
        format!("memory:{}", self.root.digest)
    }
}
