//! Registry side of hoist: talking to OCI distribution registries.
//!
//! - [`Registry`]: the operations hoist needs from a registry (blob HEAD/GET/PUT/mount, manifest
//!   GET/PUT, tags, referrers), as a trait so push/pull logic can run against fakes.
//! - [`client::HttpRegistry`]: the implementation over HTTP(S) with `reqwest` (rustls).
//! - [`auth`]: credentials (docker `config.json`, `$DOCKER_CONFIG`, `$REGISTRY_AUTH_FILE`,
//!   credential helpers), `WWW-Authenticate` parsing, `login`/`logout`.
//! - [`retry`]: which failures are retried and the backoff between attempts.
//!
//! Pushing and pulling whole images (and attaching referrers) is the copy engine's job
//! (`crate::copy`), which runs on this trait.
//!
//! Why `reqwest` directly rather than the `oci-client` crate: hoist needs, per request, the HTTP
//! status of every failure to decide on retries (oci-client folds 4xx answers that carry an
//! error body, 429 included, into one variant without the status), the media type of a raw
//! manifest (oci-client returns bytes and digest only), a cross-repository mount that treats
//! `202 Accepted` as "not mounted" and asks for a token scope covering the source repository
//! (oci-client errors on 202 and only asks for the target), resumable blob downloads and chunked
//! uploads with verification before anything reaches the store, and plain HTTP chosen by
//! address (loopback) rather than by a list of exact host strings. Each of those would have
//! needed a reqwest side path with its own authentication anyway, so the whole protocol is one
//! small client here (see `client.rs`).

use std::future::Future;
use std::path::PathBuf;

use crate::oci::digest::Digest;
use crate::oci::reference::{Reference, ReferenceError};

pub mod auth;
pub mod client;
pub mod duration;
pub mod neterr;
pub mod retry;
pub mod tls;

pub use client::{HttpRegistry, RegistryConfig};

/// Accept header sent for manifests: every manifest and index type hoist understands.
pub const MANIFEST_ACCEPT: &[&str] = &[
    crate::oci::media::OCI_MANIFEST,
    crate::oci::media::OCI_INDEX,
    crate::oci::media::DOCKER_MANIFEST,
    crate::oci::media::DOCKER_MANIFEST_LIST,
];

/// Largest manifest accepted from a registry (the distribution default limit is 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Errors from registry operations. Each names the registry, repository or digest involved.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an unexpected HTTP status.
    #[error("{method} {url}: HTTP {status}{}", fmt_detail(code, message))]
    Status {
        /// HTTP method.
        method: String,
        /// URL requested.
        url: String,
        /// Status code.
        status: u16,
        /// First error code of the distribution error body, if any (e.g. `MANIFEST_UNKNOWN`).
        code: Option<String>,
        /// Its message, or the start of the body.
        message: String,
        /// `Retry-After` of the answer, in seconds form.
        retry_after: Option<std::time::Duration>,
    },
    /// Authentication failed or no credentials were available.
    #[error("authentication to {registry} failed: {detail}")]
    Unauthorized {
        /// Registry host.
        registry: String,
        /// What went wrong.
        detail: String,
    },
    /// The request did not get an answer (connection refused/reset, timeout, TLS).
    #[error("{method} {url}: {}", neterr::classify(source))]
    Transport {
        /// HTTP method.
        method: String,
        /// URL requested.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A transfer stopped moving: less than [`client::MIN_PROGRESS_BYTES`] arrived within the
    /// idle window (retried; this is the error after the last attempt).
    #[error(
        "{method} {url}: stalled: less than {} bytes moved in {}s ({received} bytes in all)",
        client::MIN_PROGRESS_BYTES,
        fmt_secs(*idle)
    )]
    Stalled {
        /// HTTP method.
        method: String,
        /// URL of the transfer (names the host and the blob or manifest).
        url: String,
        /// The idle window.
        idle: std::time::Duration,
        /// Bytes received (downloads) or sent (uploads) in this attempt.
        received: u64,
    },
    /// The answer's headers did not come within the idle window after the request was sent
    /// (retried; this is the error after the last attempt).
    #[error("{method} {url}: timed out: no answer within {}s", fmt_secs(*waited))]
    NoAnswer {
        /// HTTP method.
        method: String,
        /// URL requested.
        url: String,
        /// The idle window waited.
        waited: std::time::Duration,
    },
    /// The overall deadline (`--timeout`) passed.
    #[error("gave up after the overall timeout of {}s, during {during}", fmt_secs(*limit))]
    Deadline {
        /// The configured limit.
        limit: std::time::Duration,
        /// What was under way (method and URL, or the error being retried).
        during: String,
    },
    /// An answer body was larger than hoist accepts for its kind.
    #[error("{url}: {what} larger than {limit} bytes; refusing to read more")]
    TooLarge {
        /// URL of the answer.
        url: String,
        /// What the body is (manifest, tag list, token answer, …).
        what: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// Content did not hash to the digest that names it.
    #[error("content of {expected} from {origin} does not match its digest (got {actual})")]
    DigestMismatch {
        /// The digest asked for.
        expected: Digest,
        /// The digest of what arrived.
        actual: Digest,
        /// Where it came from.
        origin: String,
    },
    /// Content had another size than its descriptor says.
    #[error("size of {digest} from {origin} is wrong: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The blob.
        digest: Digest,
        /// Size from the descriptor.
        expected: u64,
        /// Bytes received (at least).
        actual: u64,
        /// Where it came from.
        origin: String,
    },
    /// The registry broke the protocol (missing header, bad JSON, …).
    #[error("registry protocol error at {url}: {detail}")]
    Protocol {
        /// URL involved.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// Local file I/O.
    #[error("{path}: {source}")]
    Io {
        /// File involved.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Credentials could not be read.
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
    /// The content store refused or failed to store a blob.
    #[error(transparent)]
    Store(#[from] crate::oci::store::StoreError),
    /// A reference was malformed.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// Client setup failed (bad CA file, TLS backend).
    #[error("registry client setup: {0}")]
    Setup(String),
}

fn fmt_detail(code: &Option<String>, message: &str) -> String {
    match (code, message.is_empty()) {
        (Some(c), false) => format!(" {c}: {message}"),
        (Some(c), true) => format!(" {c}"),
        (None, false) => format!(": {message}"),
        (None, true) => String::new(),
    }
}

/// Seconds for messages: `30`, `1.5`.
fn fmt_secs(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

impl RegistryError {
    /// What kind of network failure this is, for transport errors.
    pub fn net_failure(&self) -> Option<neterr::NetFailure> {
        match self {
            RegistryError::Transport { source, .. } => Some(neterr::classify(source)),
            _ => None,
        }
    }

    /// HTTP status of the failure, when the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for "not found" answers (404 or a `*_UNKNOWN` error code).
    pub fn is_not_found(&self) -> bool {
        match self {
            RegistryError::Status { status, code, .. } => {
                *status == 404 || code.as_deref().is_some_and(|c| c.ends_with("_UNKNOWN"))
            }
            _ => false,
        }
    }
}

/// Result of registry operations.
pub type Result<T> = std::result::Result<T, RegistryError>;

/// A manifest (or index) as the registry served it: the exact bytes, never re-serialized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawManifest {
    /// The bytes that hash to `digest`.
    pub bytes: Vec<u8>,
    /// `Content-Type` of the answer, or the document's `mediaType` field.
    pub media_type: String,
    /// sha256 of `bytes` (checked against the requested digest and `Docker-Content-Digest`).
    pub digest: Digest,
}

/// What a manifest HEAD tells without downloading the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestInfo {
    /// `Docker-Content-Digest`.
    pub digest: Digest,
    /// `Content-Type`.
    pub media_type: String,
    /// `Content-Length`.
    pub size: u64,
}

/// A downloaded, verified blob waiting in a temporary file; dropping it deletes the file.
#[derive(Debug)]
pub struct VerifiedBlob {
    /// The temporary file holding exactly the blob's bytes.
    pub file: tempfile::NamedTempFile,
    /// Its digest (verified).
    pub digest: Digest,
    /// Its size (verified).
    pub size: u64,
}

/// Where bytes for an upload come from.
#[derive(Debug, Clone)]
pub enum BlobSource {
    /// Bytes in memory (configs, small blobs).
    Bytes(Vec<u8>),
    /// A file read in chunks; opened again for each attempt.
    File(PathBuf),
}

/// How a blob upload is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// `POST` then one `PUT` with the whole body.
    Monolithic,
    /// `POST`, `PATCH` per chunk of this many bytes, then `PUT`.
    Chunked(usize),
}

/// Outcome of a cross-repository mount request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountOutcome {
    /// The registry linked the blob into the target repository (201).
    Mounted,
    /// The registry declined (202 upload session, or no access to the source); upload instead.
    NotMounted,
}

/// The referrers of a subject manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Referrers {
    /// One descriptor per referring manifest.
    pub manifests: Vec<oci_spec::image::Descriptor>,
    /// True when the registry lacks the referrers API and the `sha256-<hex>` tag was read.
    pub via_tag_schema: bool,
}

/// The operations hoist needs from a registry.
///
/// `repo` arguments name the repository only (tag and digest of the reference are ignored),
/// except for [`Registry::get_manifest`]/[`Registry::head_manifest`], which resolve the
/// reference's digest or tag.
pub trait Registry: Send + Sync {
    /// Size of the blob if the repository has it, `None` if not.
    fn head_blob(
        &self,
        repo: &Reference,
        digest: &Digest,
    ) -> impl Future<Output = Result<Option<u64>>> + Send;

    /// Download a blob into a temporary file under `tmp_dir`, verifying size (when
    /// `expected_size` is given) and digest; interrupted transfers resume with `Range`.
    /// On any mismatch the file is removed and the error names the digest.
    fn get_blob(
        &self,
        repo: &Reference,
        digest: &Digest,
        expected_size: Option<u64>,
        tmp_dir: &std::path::Path,
    ) -> impl Future<Output = Result<VerifiedBlob>> + Send;

    /// Upload a blob whose digest and size are known.
    fn push_blob(
        &self,
        repo: &Reference,
        digest: &Digest,
        size: u64,
        source: &BlobSource,
        mode: UploadMode,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Ask the registry to link `digest` from repository `from` into `repo`.
    fn mount_blob(
        &self,
        repo: &Reference,
        from: &Reference,
        digest: &Digest,
    ) -> impl Future<Output = Result<MountOutcome>> + Send;

    /// Fetch a manifest by the reference's digest (verified) or tag.
    fn get_manifest(
        &self,
        reference: &Reference,
    ) -> impl Future<Output = Result<RawManifest>> + Send;

    /// HEAD a manifest: `None` when it does not exist.
    fn head_manifest(
        &self,
        reference: &Reference,
    ) -> impl Future<Output = Result<Option<ManifestInfo>>> + Send;

    /// Upload manifest bytes under their digest, then under each tag (each tag is checked
    /// against the tag grammar first). Returns the digest and whether the registry acknowledged
    /// a `subject` (`OCI-Subject` header).
    fn put_manifest(
        &self,
        repo: &Reference,
        bytes: &[u8],
        media_type: &str,
        tags: &[String],
    ) -> impl Future<Output = Result<PutManifest>> + Send;

    /// All tags of the repository (following pagination).
    fn list_tags(&self, repo: &Reference) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// Referrers of `subject`, optionally filtered by artifact type; falls back to the
    /// `sha256-<hex>` tag when the registry has no referrers API.
    fn referrers(
        &self,
        repo: &Reference,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> impl Future<Output = Result<Referrers>> + Send;
}

/// Result of [`Registry::put_manifest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutManifest {
    /// Digest of the uploaded bytes.
    pub digest: Digest,
    /// The registry answered with `OCI-Subject` (it indexes referrers itself).
    pub subject_acknowledged: bool,
}
