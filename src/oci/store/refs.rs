//! Refs and cache entries of the store: `refs/<name>` and `cache/<key>`, one digest each
//! (the roots [`Store::prune`] keeps), names encoded as single file names.

use super::*;

/// Encode a ref/cache name as one file name: `[A-Za-z0-9._-]` kept (a leading `.` escaped),
/// everything else as `%XX`.
pub(super) fn encode_name(name: &str) -> Result<String, StoreError> {
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

pub(super) fn decode_name(file: &str) -> Option<String> {
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
            let d = match s.trim().parse() {
                Ok(d) => d,
                // Cache entries are written without fsync (see `volatile`): one a crash
                // left torn names nothing.
                Err(_) if ns == "cache" => continue,
                Err(source) => return Err(StoreError::BadRef { path: p, source }),
            };
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
}
