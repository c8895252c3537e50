//! The supply-chain steps of `hoist build` (`--scan`, `--sbom`, `--provenance`, `--sign`),
//! over a built image in the content store and the builder's public API; the CLI runs them
//! in order: build → [`scan_built`] → [`attest_built`] → tag/outputs/push → [`sign_written`].
//!
//! - Scan: every platform image, with the secret scanner, before anything is tagged or pushed.
//! - Attest: per platform an SPDX 2.3 statement (`https://spdx.dev/Document`) and/or a SLSA v1
//!   provenance statement, attached BuildKit-style ([`attach`]); the result is an index.
//! - Sign: where the image was written (registry repositories, OCI layouts) a cosign
//!   signature over the index and over each platform manifest (like `cosign sign
//!   --recursive`), and the statements' predicates as cosign attestations (DSSE) on each
//!   platform manifest — and on the index too when there is one platform, so
//!   `hoist verify-attestation REF` by tag finds them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use thiserror::Error;

use super::attach::{self, AttachError, PlatformImage};
use super::provenance::{self, BuildFacts, Dependency, Mode};
use super::sbom::document::DocMeta;
use super::sbom::{self, image as sbom_image, Subject};
use super::scan::{scan_image, ScanError, ScanOptions, ScanReport};
use super::sign::dsse::{Statement, Subject as StatementSubject};
use super::sign::ops::{attest_in, sign_in};
use super::sign::storage::{self, Fetched, ResolvedImage, SigStorage, StorageError};
use super::sign::{AttestOptions, SignError, SignOptions, SigningKey};
use crate::build::compat::fetch_image;
use crate::build::output::BuildResult;
use crate::build::plan::{plan, BaseRef, PlanInput};
use crate::build::{BuildError, BuildOptions};
use crate::copy::{pull_to_store, CopyError, NoProgress, StoreSource};
use crate::oci::digest::Digest;
use crate::oci::image::{Platform, RawManifest};
use crate::oci::reference::{ImageRef, Reference};
use crate::oci::store::Store;
use oci_spec::image::Descriptor;

/// The SPDX predicate type BuildKit and cosign use.
pub const SPDX_PREDICATE: &str = "https://spdx.dev/Document";

/// A supply-chain step failed.
#[derive(Debug, Error)]
pub enum PipelineError {
    /// Attaching statements failed.
    #[error(transparent)]
    Attach(#[from] AttachError),
    /// Reading the built image from the store failed.
    #[error("built image {digest}: {source}")]
    Copy {
        /// The image.
        digest: Digest,
        /// The error.
        #[source]
        source: Box<CopyError>,
    },
    /// Scanning failed (the image is not reported clean).
    #[error("scanning {digest}: {source}")]
    Scan {
        /// The image.
        digest: Digest,
        /// The error.
        #[source]
        source: Box<ScanError>,
    },
    /// Cataloging packages failed.
    #[error("SBOM of {digest}: {reason}")]
    Sbom {
        /// The image.
        digest: Digest,
        /// Why.
        reason: String,
    },
    /// Planning or resolving base images again failed.
    #[error("provenance: {0}")]
    Build(#[from] Box<BuildError>),
    /// The build context could not be hashed.
    #[error("provenance: {0}")]
    Provenance(#[from] provenance::ProvenanceError),
    /// Signing or attesting failed.
    #[error("signing {target}: {source}")]
    Sign {
        /// Where.
        target: String,
        /// The error.
        #[source]
        source: Box<SignError>,
    },
}

fn copy_err(digest: &Digest) -> impl FnOnce(CopyError) -> PipelineError + '_ {
    move |e| PipelineError::Copy {
        digest: digest.clone(),
        source: Box::new(e),
    }
}

fn source_for(store: &Store, img: &PlatformImage) -> Result<StoreSource, PipelineError> {
    let bytes = store
        .read_blob(&img.digest)
        .map_err(|e| copy_err(&img.digest)(e.into()))?;
    let m = RawManifest::new(bytes, Some(&img.media_type))
        .map_err(|e| copy_err(&img.digest)(e.into()))?;
    Ok(StoreSource::from_manifest(store.clone(), m))
}

/// Scan every platform image of the stored build result `digest`; returns the reports that
/// found something (empty: clean).
pub fn scan_built(
    store: &Store,
    digest: &Digest,
    opts: &ScanOptions,
) -> Result<Vec<(PlatformImage, ScanReport)>, PipelineError> {
    let mut dirty = Vec::new();
    for img in attach::platform_images(store, digest)? {
        let mut src = source_for(store, &img)?;
        let pulled = pull_to_store(&mut src, store, None, None, &NoProgress)
            .map_err(copy_err(&img.digest))?;
        let report = scan_image(store, &pulled, opts).map_err(|e| PipelineError::Scan {
            digest: img.digest.clone(),
            source: Box::new(e),
        })?;
        if !report.findings.is_empty() || report.dropped > 0 {
            dirty.push((img, report));
        }
    }
    Ok(dirty)
}

/// What `--sbom` / `--provenance` ask for.
#[derive(Debug, Clone, Default)]
pub struct AttestRequest {
    /// `--sbom`.
    pub sbom: bool,
    /// `--provenance` and its mode.
    pub provenance: Option<Mode>,
    /// The build's `-t` names (statement subjects).
    pub names: Vec<String>,
}

/// The statements attached to one platform image.
#[derive(Debug, Clone)]
pub struct PlatformStatements {
    /// The image.
    pub image: PlatformImage,
    /// Its statements (SBOM first, then provenance).
    pub statements: Vec<Statement>,
}

/// The build result with attestations attached, and what was attached.
#[derive(Debug, Clone)]
pub struct Attested {
    /// The index (what is tagged, written and pushed).
    pub result: BuildResult,
    /// Per platform image its statements.
    pub platforms: Vec<PlatformStatements>,
    /// Cataloger warnings.
    pub warnings: Vec<String>,
}

/// A statement about `img` named by each build name as BuildKit does
/// (`pkg:docker/NAME@TAG?platform=…`), or by the digest when the build has no name.
fn statement(
    img: &PlatformImage,
    names: &[String],
    ptype: &str,
    pred: serde_json::Value,
) -> Statement {
    let platform = img.platform.to_string();
    let mut s = Statement::new(&img.digest.to_string(), &img.digest, ptype, pred);
    if !names.is_empty() {
        let digest = s.subject[0].digest.clone();
        s.subject = names
            .iter()
            .map(|n| StatementSubject {
                name: provenance::image_purl(n, &platform),
                digest: digest.clone(),
            })
            .collect();
    }
    s
}

/// The SPDX 2.3 document of one platform image in the store.
pub fn spdx_document(
    store: &Store,
    img: &PlatformImage,
    name: &str,
    epoch: Option<i64>,
    warnings: &mut Vec<String>,
) -> Result<serde_json::Value, PipelineError> {
    let mut src = source_for(store, img)?;
    let loaded = sbom_image::load(&mut src, None, store).map_err(|e| PipelineError::Sbom {
        digest: img.digest.clone(),
        reason: e.to_string(),
    })?;
    let subject = Subject {
        name: name.to_string(),
        digest: Some(img.digest.to_string()),
        layers: loaded.diff_ids.iter().map(|d| d.to_string()).collect(),
    };
    let (doc, w) = sbom::generate(&loaded.tree(), subject).map_err(|e| PipelineError::Sbom {
        digest: img.digest.clone(),
        reason: e.to_string(),
    })?;
    warnings.extend(w);
    let secs = epoch.unwrap_or_else(now);
    let meta = DocMeta::at(&doc, u64::try_from(secs).unwrap_or(0));
    Ok(sbom::spdx::render(&doc, &meta))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The images of the build for `platform` (bases, `COPY --from` and mount sources, named
/// image contexts included), resolved to digests (they are in the store since the build fetched them; a registry tag is asked for
/// again).
pub fn dependencies(
    store: &Store,
    opts: &BuildOptions,
    platform: &Platform,
) -> Result<Vec<Dependency>, PipelineError> {
    let p = plan(&PlanInput {
        text: opts.dockerfile.clone(),
        name: opts.dockerfile_name.clone(),
        build_args: opts.build_args.clone(),
        target: opts.target.clone(),
        target_platform: platform.clone(),
        contexts: opts.named_contexts.keys().cloned().collect(),
    })
    .map_err(Box::new)?;
    let contexts = crate::build::exec::load_contexts(&opts.named_contexts).map_err(Box::new)?;
    // An image a `--build-context` names (docker-image://, oci-layout://) counts like any
    // other; a directory context is part of the sources, not a dependency.
    let context_image = |name: &str| match contexts.get(name) {
        Some(crate::build::exec::Loaded::Image(r)) => Some(r.clone()),
        _ => None,
    };
    let mut out: Vec<Dependency> = Vec::new();
    for i in &p.order {
        let Some(stage) = p.stages.get(*i) else {
            continue;
        };
        let mut refs: Vec<String> = Vec::new();
        match &stage.base {
            BaseRef::Image(r) => refs.push(r.clone()),
            BaseRef::Context(name) => refs.extend(context_image(name)),
            _ => {}
        }
        // Images read by COPY --from and RUN --mount=from (BuildKit lists them too).
        for r in &stage.images {
            match crate::build::contexts::context_name(r)
                .filter(|n| opts.named_contexts.contains_key(n))
            {
                Some(name) => refs.extend(context_image(&name)),
                None => refs.push(r.clone()),
            }
        }
        for r in refs {
            let digest = fetch_image(store, &r, &stage.platform, &opts.remote).map_err(|e| {
                Box::new(BuildError::Output {
                    dest: r.clone(),
                    source: Box::new(e),
                })
            })?;
            let dep = Dependency {
                reference: r,
                platform: stage.platform.to_string(),
                digest,
            };
            if !out.contains(&dep) {
                out.push(dep);
            }
        }
    }
    Ok(out)
}

/// Facts about a finished build that do not depend on the platform.
#[derive(Debug, Clone)]
pub struct BuildRun {
    /// The build's options.
    pub opts: BuildOptions,
    /// Every platform built.
    pub platforms: Vec<Platform>,
    /// Wall clock at the start (seconds since 1970).
    pub started: i64,
}

/// Produce the requested statements for every platform image of `result` and attach them;
/// the returned result is the new index.
pub fn attest_built(
    store: &Store,
    result: &BuildResult,
    run: &BuildRun,
    req: &AttestRequest,
) -> Result<Attested, PipelineError> {
    let finished = now();
    let opts = &run.opts;
    let mut warnings = Vec::new();
    let prov_common = match req.provenance {
        Some(_) => {
            let path = opts
                .dockerfile_path
                .as_ref()
                .map(|p| {
                    p.strip_prefix(&opts.context)
                        .map(PathBuf::from)
                        .unwrap_or_else(|_| p.clone())
                        .display()
                        .to_string()
                })
                .unwrap_or_else(|| opts.dockerfile_name.clone());
            Some((
                (
                    path,
                    crate::oci::digest::digest_bytes(opts.dockerfile.as_bytes()),
                ),
                provenance::context_digest(&opts.context, opts.dockerfile_path.as_deref())?,
            ))
        }
        None => None,
    };
    let name = req.names.first().cloned().unwrap_or_default();
    let mut inputs = Vec::new();
    let mut platforms = Vec::new();
    for img in attach::platform_images(store, &result.digest)? {
        let mut statements = Vec::new();
        if req.sbom {
            let doc_name = if name.is_empty() {
                img.digest.to_string()
            } else {
                name.clone()
            };
            let doc = spdx_document(
                store,
                &img,
                &doc_name,
                opts.source_date_epoch,
                &mut warnings,
            )?;
            statements.push(statement(&img, &req.names, SPDX_PREDICATE, doc));
        }
        if let (Some(mode), Some((dockerfile, context))) = (req.provenance, &prov_common) {
            let facts = BuildFacts {
                dockerfile: dockerfile.clone(),
                target: opts.target.clone(),
                platforms: run.platforms.iter().map(ToString::to_string).collect(),
                build_args: opts.build_args.clone(),
                secret_ids: opts.secrets.keys().cloned().collect(),
                ssh_ids: opts.ssh.keys().cloned().collect(),
                dependencies: dependencies(store, opts, &img.platform)?,
                context: context.clone(),
                epoch: opts.source_date_epoch,
                started: run.started,
                finished,
                builder_platform: Platform::host().to_string(),
            };
            let pred = provenance::predicate(&facts, mode);
            statements.push(statement(
                &img,
                &req.names,
                provenance::SLSA_PROVENANCE_V1,
                pred,
            ));
        }
        inputs.push((img.clone(), statements.clone()));
        platforms.push(PlatformStatements {
            image: img,
            statements,
        });
    }
    let attached = attach::attach(store, &inputs, &opts.annotations)?;
    Ok(Attested {
        result: BuildResult {
            digest: attached.digest,
            size: attached.size,
            media_type: crate::oci::media::OCI_INDEX.to_string(),
            config_digest: None,
        },
        platforms,
        warnings,
    })
}

/// Signature storage pinned to one digest (a platform manifest inside an index is not a
/// top-level entry of an OCI layout, and a pushed index is named by digest anyway).
struct Pinned {
    inner: Box<dyn SigStorage>,
    image: ResolvedImage,
}

impl SigStorage for Pinned {
    fn describe(&self) -> String {
        format!("{}@{}", self.inner.describe(), self.image.digest)
    }
    fn resolve(&mut self) -> Result<ResolvedImage, StorageError> {
        Ok(self.image.clone())
    }
    fn get_tagged(&mut self, tag: &str) -> Result<Option<Fetched>, StorageError> {
        self.inner.get_tagged(tag)
    }
    fn get_manifest(&mut self, digest: &Digest) -> Result<Vec<u8>, StorageError> {
        self.inner.get_manifest(digest)
    }
    fn get_blob(&mut self, digest: &Digest, size: u64, max: u64) -> Result<Vec<u8>, StorageError> {
        self.inner.get_blob(digest, size, max)
    }
    fn put_blob(&mut self, bytes: &[u8]) -> Result<Digest, StorageError> {
        self.inner.put_blob(bytes)
    }
    fn put_tagged(&mut self, bytes: &[u8], tag: &str) -> Result<Digest, StorageError> {
        self.inner.put_tagged(bytes, tag)
    }
    fn put_referrer(
        &mut self,
        bytes: &[u8],
        blobs: &[&[u8]],
        subject: &Digest,
    ) -> Result<Digest, StorageError> {
        self.inner.put_referrer(bytes, blobs, subject)
    }
    fn referrers(
        &mut self,
        subject: &Digest,
        artifact_type: &str,
    ) -> Result<Vec<Descriptor>, StorageError> {
        self.inner.referrers(subject, artifact_type)
    }
}

/// Where a build wrote its image, for signing.
#[derive(Debug, Clone)]
pub enum SignTarget {
    /// A registry repository (the image was pushed there by digest).
    Registry(Reference),
    /// An OCI layout directory.
    Layout(PathBuf),
}

/// One signature or attestation written.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Where.
    pub target: String,
    /// The digest signed or attested.
    pub digest: Digest,
    /// `signature` or the predicate type.
    pub what: String,
}

/// Sign the index `index` and each platform image at `target`, and attest each image with its
/// statements' predicates (the index too when there is one platform).
pub fn sign_written(
    target: &SignTarget,
    remote: &crate::copy::RemoteOptions,
    key: &SigningKey,
    index: &BuildResult,
    platforms: &[PlatformStatements],
    sign_opts: &SignOptions,
) -> Result<Vec<Signed>, PipelineError> {
    let (image_ref, identity, label) = match target {
        SignTarget::Registry(r) => (
            ImageRef::Registry(r.with_digest(index.digest.clone())),
            super::sign::payload::docker_reference(r),
            r.name(),
        ),
        SignTarget::Layout(dir) => (
            ImageRef::OciLayout {
                dir: dir.clone(),
                tag: None,
            },
            format!("oci:{}", dir.display()),
            format!("oci:{}", dir.display()),
        ),
    };
    let err = |e: SignError| PipelineError::Sign {
        target: label.clone(),
        source: Box::new(e),
    };
    let mut targets: Vec<(ResolvedImage, Vec<&Statement>)> = Vec::new();
    let resolved = |digest: &Digest, size: u64, media_type: &str| ResolvedImage {
        digest: digest.clone(),
        media_type: media_type.to_string(),
        size,
        identity: identity.clone(),
    };
    let index_statements = match platforms {
        [one] => one.statements.iter().collect(),
        _ => Vec::new(),
    };
    targets.push((
        resolved(&index.digest, index.size, &index.media_type),
        index_statements,
    ));
    for p in platforms {
        targets.push((
            resolved(&p.image.digest, p.image.size, &p.image.media_type),
            p.statements.iter().collect(),
        ));
    }
    let mut out = Vec::new();
    for (img, statements) in targets {
        let inner = storage::open(&image_ref, remote).map_err(|e| err(e.into()))?;
        let mut st = Pinned {
            inner,
            image: img.clone(),
        };
        sign_in(&mut st, key, sign_opts).map_err(err)?;
        out.push(Signed {
            target: label.clone(),
            digest: img.digest.clone(),
            what: "signature".into(),
        });
        for s in statements {
            let opts = AttestOptions {
                predicate_type: s.predicate_type.clone(),
                predicate: s.predicate.clone(),
                registry_referrers: sign_opts.registry_referrers,
            };
            attest_in(&mut st, key, &opts).map_err(err)?;
            out.push(Signed {
                target: label.clone(),
                digest: img.digest.clone(),
                what: s.predicate_type.clone(),
            });
        }
    }
    Ok(out)
}

/// Group the `HOST/REPO@sha256:…` strings a push printed into sign targets.
pub fn registry_targets(pushed: &[String]) -> Vec<SignTarget> {
    let mut seen = BTreeMap::new();
    for p in pushed {
        if let Ok(r) = crate::oci::reference::parse_normalized(p) {
            seen.entry(r.name()).or_insert(r);
        }
    }
    seen.into_values().map(SignTarget::Registry).collect()
}
