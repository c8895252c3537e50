//! The result of a build: assemble config and manifest (labels, annotations, `created` from
//! `SOURCE_DATE_EPOCH`) into the store, then the outputs: store refs for `-t` names, an OCI
//! layout (`-o type=oci,dest=DIR`), `--iidfile`, `--digest-file` and `--metadata-file`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::compat::write_layout;
use super::config::StageState;
use super::error::BuildError;
use super::exec::Ctx;
use crate::dockerfile::scope::Platform;
use crate::oci::assemble::{assemble, rfc3339, IndexEntry};
use crate::oci::digest::Digest;
use crate::oci::media::MediaFlavor;
use crate::oci::Store;

/// A built image in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildResult {
    /// Manifest digest (what `--digest-file` and `-q` print).
    pub digest: Digest,
    /// Manifest size.
    pub size: u64,
    /// Manifest media type.
    pub media_type: String,
    /// Config digest (the image ID); `None` for a multi-platform index.
    pub config_digest: Option<Digest>,
}

/// Assemble the final image of `state` and store config and manifest.
pub fn finish(ctx: &Ctx, state: &StageState) -> Result<BuildResult, BuildError> {
    let mut config = state.config.clone();
    config.created = Some(rfc3339(ctx.epoch));
    for (k, v) in &ctx.opts.labels {
        config.config.labels.insert(k.clone(), v.clone());
    }
    let image = assemble(
        &config,
        &state.layers,
        &ctx.opts.annotations,
        MediaFlavor::Oci,
    )?;
    ctx.store.put_bytes(&image.config.bytes)?;
    ctx.store.put_bytes(&image.manifest.bytes)?;
    Ok(BuildResult {
        digest: image.manifest.digest.clone(),
        size: image.manifest.bytes.len() as u64,
        media_type: image.media_type.to_string(),
        config_digest: Some(image.config.digest),
    })
}

/// Tie single-platform builds together in an OCI index (stored); its digest is the result.
pub fn index(
    store: &Store,
    images: &[(Platform, BuildResult)],
    annotations: &BTreeMap<String, String>,
) -> Result<BuildResult, BuildError> {
    let entries: Vec<IndexEntry> = images
        .iter()
        .map(|(p, r)| IndexEntry {
            media_type: &r.media_type,
            digest: &r.digest,
            size: r.size,
            os: &p.os,
            architecture: &p.architecture,
            variant: p.variant.as_deref(),
        })
        .collect();
    let blob = crate::oci::assemble::index(&entries, annotations)?;
    store.put_bytes(&blob.bytes)?;
    Ok(BuildResult {
        digest: blob.digest,
        size: blob.bytes.len() as u64,
        media_type: crate::oci::media::OCI_INDEX.to_string(),
        config_digest: None,
    })
}

/// Point each store ref in `names` at the image.
pub fn tag(store: &Store, result: &BuildResult, names: &[String]) -> Result<(), BuildError> {
    for n in names {
        store.set_ref(n, &result.digest)?;
    }
    Ok(())
}

/// Write the image into the OCI layout `dir`, tagged `tag`.
pub fn oci_layout(
    store: &Store,
    result: &BuildResult,
    dir: &Path,
    tag: Option<&str>,
) -> Result<(), BuildError> {
    write_layout(store, &result.digest, dir, tag).map_err(|e| BuildError::Output {
        dest: dir.display().to_string(),
        source: Box::new(e),
    })
}

/// buildx's metadata file content.
pub fn metadata(result: &BuildResult, names: &[String]) -> serde_json::Value {
    let mut m = BTreeMap::new();
    m.insert("containerimage.digest", json!(result.digest.to_string()));
    if let Some(c) = &result.config_digest {
        m.insert("containerimage.config.digest", json!(c.to_string()));
    }
    m.insert(
        "containerimage.descriptor",
        json!({"mediaType": result.media_type, "digest": result.digest.to_string(), "size": result.size}),
    );
    if !names.is_empty() {
        m.insert("image.name", json!(names.join(",")));
    }
    json!(m)
}

/// Write `contents` to `path` atomically (temp file in the same directory, then rename), so
/// a failed build never leaves a half-written file; the file gets `0666` less the umask.
pub fn write_file_atomic(path: &Path, contents: &[u8]) -> Result<(), BuildError> {
    crate::oci::fsafe::write_output_atomic(path, contents).map_err(BuildError::io(path))
}
