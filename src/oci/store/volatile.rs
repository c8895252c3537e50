//! Store writes without fsync, for small documents that are checked on every read and can be
//! made again: build-cache records and their entries. A crash may leave such a file missing,
//! empty or torn; [`Store::get_small_verified`] then answers "not there" (the step runs again)
//! and the next [`Store::put_small_volatile`] replaces the bad copy. Everything else in the
//! store (layer blobs, manifests, refs) keeps its fsync before rename.

use super::refs::encode_name;
use super::*;

/// Largest document these helpers read or write.
const MAX_SMALL: u64 = 1 << 20;

impl Store {
    /// Store `bytes` as the blob `d` (checked) without fsync. A stored copy that no longer
    /// hashes to `d` (torn by a crash) is replaced.
    pub fn put_small_volatile(&self, bytes: &[u8], d: &Digest) -> Result<(), StoreError> {
        let actual = Digest::from_sha256_bytes(Sha256::digest(bytes).into());
        if actual != *d {
            return Err(StoreError::DigestMismatch {
                expected: d.clone(),
                actual,
            });
        }
        if self.get_small_verified(d)?.is_some() {
            return Ok(());
        }
        let _gc = self.gc_lock(false)?;
        let dest = self.blob_path(d);
        let mut tmp = tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(self.tmp_dir())
            .map_err(io_err(self.tmp_dir()))?;
        tmp.write_all(bytes).map_err(io_err(tmp.path()))?;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o444))
            .map_err(io_err(tmp.path()))?;
        tmp.persist(&dest).map_err(|e| io_err(&dest)(e.error))?;
        Ok(())
    }

    /// The bytes of the small blob `d` when it is stored and still hashes to `d`; None when it
    /// is missing, too large or damaged.
    pub fn get_small_verified(&self, d: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        if d.algorithm() != Algorithm::Sha256 {
            return Ok(None);
        }
        let bytes = match fsafe::read_regular(&self.blob_path(d), MAX_SMALL) {
            Ok(b) => b,
            Err(_) => return Ok(None),
        };
        let actual = Digest::from_sha256_bytes(Sha256::digest(&bytes).into());
        Ok((actual == *d).then_some(bytes))
    }

    /// Point the cache entry `key` at `d` without fsync (see the module doc).
    pub fn set_cache_volatile(&self, key: &str, d: &Digest) -> Result<(), StoreError> {
        if matches!(self.get_cache_lenient(key), Ok(Some(cur)) if cur == *d) {
            return Ok(());
        }
        let dest = self.root.join("cache").join(encode_name(key)?);
        let mut tmp = tempfile::Builder::new()
            .prefix("ref-")
            .tempfile_in(self.tmp_dir())
            .map_err(io_err(self.tmp_dir()))?;
        writeln!(tmp, "{d}").map_err(io_err(tmp.path()))?;
        tmp.persist(&dest).map_err(|e| io_err(&dest)(e.error))?;
        Ok(())
    }

    /// The cache entry `key`; an entry a crash left empty or torn reads as missing.
    pub fn get_cache_lenient(&self, key: &str) -> Result<Option<Digest>, StoreError> {
        match self.get_cache(key) {
            Err(StoreError::BadRef { .. }) => Ok(None),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_documents_read_as_missing_and_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let body = br#"{"a":1}"#;
        let d = Digest::from_sha256_bytes(Sha256::digest(body).into());
        // A wrong digest is refused.
        let other = Digest::from_sha256_bytes(Sha256::digest(b"x").into());
        assert!(store.put_small_volatile(body, &other).is_err());
        store.put_small_volatile(body, &d).unwrap();
        assert_eq!(
            store.get_small_verified(&d).unwrap().as_deref(),
            Some(&body[..])
        );
        // Torn by a crash: missing to readers, replaced by the next write.
        let p = store.blob_path(&d);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(&p, b"{\"a\"").unwrap();
        assert_eq!(store.get_small_verified(&d).unwrap(), None);
        store.put_small_volatile(body, &d).unwrap();
        assert_eq!(
            store.get_small_verified(&d).unwrap().as_deref(),
            Some(&body[..])
        );
        // An empty entry file reads as no entry; set replaces it.
        store.set_cache_volatile("build-k", &d).unwrap();
        assert_eq!(store.get_cache_lenient("build-k").unwrap(), Some(d.clone()));
        fs::write(dir.path().join("cache/build-k"), b"").unwrap();
        assert_eq!(store.get_cache_lenient("build-k").unwrap(), None);
        assert!(store.list_cache().unwrap().is_empty());
        store.set_cache_volatile("build-k", &d).unwrap();
        assert_eq!(store.get_cache("build-k").unwrap(), Some(d));
    }
}
