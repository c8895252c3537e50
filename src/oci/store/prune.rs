//! Garbage collection of the content store: [`Store::prune`] keeps what refs and cache entries
//! reach (following indexes, manifests and configs) and deletes the rest.

use super::*;

impl Store {
    /// Delete every blob and unpacked layer not reachable from a ref or cache entry, plus
    /// leftovers of killed writers. Reachability follows indexes (`manifests`), manifests
    /// (`config`, `layers`, `subject`, `blobs`) and configs (`rootfs.diff_ids` keep unpacked
    /// layers). Waits for running writers to finish first.
    pub fn prune(&self) -> Result<PruneReport, StoreError> {
        let _gc = self.gc_lock(true)?;
        let mut keep_blobs: HashSet<Digest> = HashSet::new();
        let mut keep_layers: HashSet<Digest> = HashSet::new();
        let mut todo: Vec<(Digest, bool)> = Vec::new();
        for (_, d) in self.list_refs()? {
            todo.push((d, true));
        }
        for (_, d) in self.list_cache()? {
            keep_layers.insert(d.clone());
            todo.push((d, true));
        }
        // Belt and braces: a layout's index.json sharing the directory keeps what it names.
        if let Ok(bytes) = super::super::fsafe::read_regular(&self.root.join("index.json"), MAX_DOC)
        {
            if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                collect_refs(&doc, &mut todo, &mut keep_layers);
            }
        }
        while let Some((d, parse)) = todo.pop() {
            if !keep_blobs.insert(d.clone()) || !parse {
                continue;
            }
            let Ok(size) = self.blob_size(&d) else {
                continue;
            };
            if size > MAX_DOC {
                continue;
            }
            let bytes = self.read_blob(&d)?;
            let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                continue;
            };
            collect_refs(&doc, &mut todo, &mut keep_layers);
        }
        let mut report = PruneReport::default();
        let blobs = self.root.join("blobs/sha256");
        for ent in fs::read_dir(&blobs).map_err(io_err(&blobs))? {
            let ent = ent.map_err(io_err(&blobs))?;
            let name = ent.file_name();
            let Some(d) = name
                .to_str()
                .and_then(|h| Digest::new(Algorithm::Sha256, h).ok())
            else {
                continue;
            };
            if keep_blobs.contains(&d) {
                continue;
            }
            let p = ent.path();
            let len = fs::symlink_metadata(&p).map(|m| m.len()).unwrap_or(0);
            fs::remove_file(&p).map_err(io_err(&p))?;
            report.bytes_freed += len;
            report.blobs_removed.push(d);
        }
        let layers = self.root.join("layers/sha256");
        for ent in fs::read_dir(&layers).map_err(io_err(&layers))? {
            let ent = ent.map_err(io_err(&layers))?;
            let name = ent.file_name();
            let Some(d) = name
                .to_str()
                .and_then(|h| Digest::new(Algorithm::Sha256, h).ok())
            else {
                continue;
            };
            if keep_layers.contains(&d) {
                continue;
            }
            let p = ent.path();
            unpack::remove_tree(&p).map_err(io_err(&p))?;
            report.layers_removed.push(d);
        }
        if !report.blobs_removed.is_empty() || !report.layers_removed.is_empty() {
            fsync_dir(&blobs)?;
            fsync_dir(&layers)?;
        }
        report.blobs_removed.sort();
        report.layers_removed.sort();
        report.temp_removed = self.clean_tmp(STALE_AFTER)?;
        Ok(report)
    }
}

/// Queue the digests a manifest/index/config refers to.
fn collect_refs(
    doc: &serde_json::Value,
    todo: &mut Vec<(Digest, bool)>,
    layers: &mut HashSet<Digest>,
) {
    let digest_of =
        |v: &serde_json::Value| -> Option<Digest> { v.get("digest")?.as_str()?.parse().ok() };
    if let Some(list) = doc.get("manifests").and_then(|v| v.as_array()) {
        todo.extend(list.iter().filter_map(digest_of).map(|d| (d, true)));
    }
    if let Some(cfg) = doc.get("config").and_then(digest_of) {
        todo.push((cfg, true));
    }
    for key in ["layers", "blobs"] {
        if let Some(list) = doc.get(key).and_then(|v| v.as_array()) {
            todo.extend(list.iter().filter_map(digest_of).map(|d| (d, false)));
        }
    }
    if let Some(subject) = doc.get("subject").and_then(digest_of) {
        todo.push((subject, true));
    }
    if let Some(ids) = doc
        .get("rootfs")
        .and_then(|r| r.get("diff_ids"))
        .and_then(|v| v.as_array())
    {
        layers.extend(ids.iter().filter_map(|v| v.as_str()?.parse().ok()));
    }
}
