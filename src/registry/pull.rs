//! Pulling blobs into the content store.
//!
//! [`pull_blob_to_store`] downloads through [`Registry::get_blob`] (which verifies digest and
//! size and resumes interrupted transfers) into a temporary file inside the store's own `tmp/`
//! directory, then hands it to [`Store::put_blob`], which checks the content once more while
//! copying it into place atomically. A blob that fails verification never reaches the store:
//! its temporary file is removed and the error names the digest. Blobs already in the store
//! are not downloaded again.

use std::path::PathBuf;

use super::{Registry, RegistryError, Result};
use crate::oci::digest::Digest;
use crate::oci::reference::Reference;
use crate::oci::store::{BlobInfo, Expected, Store};

fn store_tmp(store: &Store) -> PathBuf {
    let dir = store.root().join("tmp");
    if dir.is_dir() {
        dir
    } else {
        std::env::temp_dir()
    }
}

/// Make sure `digest` (of `size` bytes when known) from `repo` is in `store`.
pub async fn pull_blob_to_store<R: Registry>(
    reg: &R,
    store: &Store,
    repo: &Reference,
    digest: &Digest,
    size: Option<u64>,
) -> Result<BlobInfo> {
    if store.has_blob(digest) {
        let actual = store.blob_size(digest)?;
        if size.is_none_or(|s| s == actual) {
            return Ok(BlobInfo {
                digest: digest.clone(),
                size: actual,
            });
        }
    }
    let blob = reg.get_blob(repo, digest, size, &store_tmp(store)).await?;
    let file = blob.file.reopen().map_err(|source| RegistryError::Io {
        path: blob.file.path().to_path_buf(),
        source,
    })?;
    let expected = Expected {
        digest: blob.digest.clone(),
        size: Some(blob.size),
    };
    let info = store.put_blob(std::io::BufReader::new(file), Some(&expected))?;
    drop(blob);
    Ok(info)
}
