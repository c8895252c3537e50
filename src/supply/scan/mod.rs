//! `hoist scan`: find secrets that ship in an image — in every file of every layer (including
//! files a later layer deletes, which still ship), text or binary, and in the config (ENV,
//! labels, CMD/ENTRYPOINT, history `created_by`, where `--build-arg` values leak).
//!
//! The content patterns are the linter's ([`crate::secrets`], one source of truth in
//! `rules/secrets.toml`), applied in bulk by [`crate::secrets::bulk`]; file rules
//! ([`files`]) recognise credential files by name and content. Layers are streamed from the
//! content store and decompressed in parallel, one rayon task per layer ([`layer`]); each
//! file is read in bounded windows. A finding never holds the secret: only its redacted form.
//!
//! Entry points: [`scan_image`] for an image pulled into the store ([`crate::copy::pull_image`]),
//! [`scan_dir`] for a directory tree.

pub mod allow;
pub mod config;
pub mod files;
pub mod layer;
pub mod output;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::copy::PulledImage;
use crate::oci::digest::Digest;
use crate::oci::store::Store;

pub use allow::{AllowList, ScanConfigError};

/// Where a finding was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A file of layer `index` (0 = bottom).
    Layer {
        index: usize,
        digest: Digest,
        /// The history `created_by` of the step that made the layer (redacted).
        history: Option<String>,
        /// A later layer deletes the file (it still ships in this layer).
        deleted_later: bool,
    },
    /// The image config.
    Config {
        /// The layer the history step produced, for findings in a history entry.
        layer: Option<(usize, Digest)>,
        /// The history `created_by` the finding is in or next to (redacted).
        history: Option<String>,
    },
    /// A file of a scanned directory.
    Dir,
}

/// One secret found. `matched` is redacted: the secret itself is never kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub location: Location,
    /// The file path inside the layer or directory (`/`-separated, no leading `/`), or the
    /// config field (`config.Env[2]`, `config.Labels["k"]`, `config.history[4].created_by`).
    pub path: String,
    /// Rule id: a pattern id of `rules/secrets.toml` or a file rule of [`files`].
    pub rule: String,
    /// What was found, in a few words.
    pub description: String,
    /// The redacted match ([`crate::secrets::redact`]).
    pub matched: String,
}

impl Finding {
    /// The layer index, if the finding is tied to a layer.
    pub fn layer_index(&self) -> Option<usize> {
        match &self.location {
            Location::Layer { index, .. } => Some(*index),
            Location::Config { layer, .. } => layer.as_ref().map(|l| l.0),
            Location::Dir => None,
        }
    }

    /// The layer digest, if the finding is tied to a layer.
    pub fn layer_digest(&self) -> Option<&Digest> {
        match &self.location {
            Location::Layer { digest, .. } => Some(digest),
            Location::Config { layer, .. } => layer.as_ref().map(|l| &l.1),
            Location::Dir => None,
        }
    }

    /// The (redacted) history step.
    pub fn history(&self) -> Option<&str> {
        match &self.location {
            Location::Layer { history, .. } | Location::Config { history, .. } => {
                history.as_deref()
            }
            Location::Dir => None,
        }
    }
}

/// Why a scan could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A layer blob could not be opened, decompressed or read as tar.
    #[error("layer {index} ({digest}): {reason}")]
    Layer {
        index: usize,
        digest: Digest,
        reason: String,
    },
    /// The store lacks a blob the manifest names.
    #[error(
        "layer {index} ({digest}) is not in the content store at {store}: pull the image again"
    )]
    MissingBlob {
        index: usize,
        digest: Digest,
        store: PathBuf,
    },
    /// A layer descriptor's digest is not a valid digest.
    #[error("layer {index}: invalid digest `{digest}`")]
    BadDigest { index: usize, digest: String },
    /// A directory could not be walked or a file read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A work limit was exceeded (see [`Limits`]).
    #[error("{what}: {detail}")]
    Limit { what: String, detail: String },
}

/// Bounds on the work one scan does, against hostile images.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Entries per layer (a tar bomb of tiny files).
    pub max_entries_per_layer: u64,
    /// Uncompressed bytes per layer.
    pub max_layer_bytes: u64,
    /// Findings kept; the rest are counted in [`ScanReport::dropped`].
    pub max_findings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries_per_layer: 2_000_000,
            max_layer_bytes: 64 << 30,
            max_findings: 10_000,
        }
    }
}

/// Options of a scan.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub allow: AllowList,
    pub limits: Limits,
}

/// What a scan found and read.
#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    /// Findings in layer order (config findings last), not allow-listed.
    pub findings: Vec<Finding>,
    /// Findings beyond [`Limits::max_findings`], not kept.
    pub dropped: usize,
    /// Findings the allow-list suppressed.
    pub allowed: usize,
    /// Regular files read.
    pub files: u64,
    /// Uncompressed bytes of file content read.
    pub bytes: u64,
    /// Layers read.
    pub layers: usize,
}

impl ScanReport {
    fn push(&mut self, f: Finding, opts: &ScanOptions) {
        if opts.allow.allows(&f.path, &f.rule) {
            self.allowed += 1;
        } else if self.findings.len() >= opts.limits.max_findings {
            self.dropped += 1;
        } else {
            self.findings.push(f);
        }
    }
}

/// The history `created_by` of each layer (history entries that are not `empty_layer`, in
/// order, map to the layers bottom first), redacted.
pub fn layer_history(
    config: &oci_spec::image::ImageConfiguration,
    layers: usize,
) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = config
        .history()
        .iter()
        .flatten()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .map(|h| h.created_by().as_deref().map(config::redact_created_by))
        .collect();
    out.resize(layers, None);
    out
}

/// Scans an image pulled into `store`: its layers in parallel, then its config.
pub fn scan_image(
    store: &Store,
    image: &PulledImage,
    opts: &ScanOptions,
) -> Result<ScanReport, ScanError> {
    let mut digests = Vec::with_capacity(image.layers.len());
    for (index, d) in image.layers.iter().enumerate() {
        let digest = Digest::from_oci(d.digest()).map_err(|_| ScanError::BadDigest {
            index,
            digest: d.digest().to_string(),
        })?;
        if !store.has_blob(&digest) {
            return Err(ScanError::MissingBlob {
                index,
                digest,
                store: store.root().to_path_buf(),
            });
        }
        digests.push(digest);
    }
    let results: Vec<Result<layer::LayerScan, ScanError>> = digests
        .par_iter()
        .enumerate()
        .map(|(index, digest)| {
            let file = store.open_blob(digest).map_err(|e| ScanError::Layer {
                index,
                digest: digest.clone(),
                reason: e.to_string(),
            })?;
            layer::scan_layer(file, &opts.limits).map_err(|reason| ScanError::Layer {
                index,
                digest: digest.clone(),
                reason,
            })
        })
        .collect();
    let scans = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let history = layer_history(&image.config, digests.len());
    let mut report = ScanReport {
        layers: scans.len(),
        ..ScanReport::default()
    };
    for (index, (scan, digest)) in scans.iter().zip(&digests).enumerate() {
        report.files += scan.files;
        report.bytes += scan.bytes;
        let later = scans.get(index + 1..).unwrap_or_default();
        for hit in &scan.hits {
            let deleted_later = later.iter().any(|l| l.deletes(&hit.path));
            let f = Finding {
                location: Location::Layer {
                    index,
                    digest: digest.clone(),
                    history: history.get(index).cloned().flatten(),
                    deleted_later,
                },
                path: hit.path.clone(),
                rule: hit.rule.clone(),
                description: hit.description.clone(),
                matched: hit.matched.clone(),
            };
            report.push(f, opts);
        }
        report.dropped += scan.dropped;
    }
    for f in config::scan_config(&image.config, &digests) {
        report.push(f, opts);
    }
    Ok(report)
}

/// Scans the regular files under `root` (symlinks are not followed).
pub fn scan_dir(root: &Path, opts: &ScanOptions) -> Result<ScanReport, ScanError> {
    let mut report = ScanReport::default();
    let mut stack = vec![root.to_path_buf()];
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|source| ScanError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in rd {
            let entry = entry.map_err(|source| ScanError::Io {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            let ty = entry.file_type().map_err(|source| ScanError::Io {
                path: path.clone(),
                source,
            })?;
            if ty.is_dir() {
                stack.push(path);
            } else if ty.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((path, rel));
            }
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let results: Vec<Result<(Vec<layer::Hit>, u64), ScanError>> = files
        .par_iter()
        .map(|(path, rel)| {
            let file = std::fs::File::open(path).map_err(|source| ScanError::Io {
                path: path.clone(),
                source,
            })?;
            let mut hits = Vec::new();
            let n = layer::scan_file(rel, file, &mut hits).map_err(|source| ScanError::Io {
                path: path.clone(),
                source,
            })?;
            Ok((hits, n))
        })
        .collect();
    for r in results {
        let (hits, n) = r?;
        report.files += 1;
        report.bytes += n;
        for h in hits {
            report.push(
                Finding {
                    location: Location::Dir,
                    path: h.path,
                    rule: h.rule,
                    description: h.description,
                    matched: h.matched,
                },
                opts,
            );
        }
    }
    Ok(report)
}
