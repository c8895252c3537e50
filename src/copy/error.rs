//! [`CopyError`]: why a copy failed, with a hint for the user and the registry's HTTP status
//! kept typed ([`CopyError::status`]) so callers can tell 401 from 404 from 429.

use std::io;

use crate::oci::archive::ArchiveError;
use crate::oci::digest::{Digest, DigestError};
use crate::oci::image::ImageError;
use crate::oci::json::JsonError;
use crate::oci::layout::LayoutError;
use crate::oci::store::StoreError;
use crate::registry::RegistryError;
use crate::runtime::RuntimeError;

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// An OCI layout operation failed.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// An archive operation failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A manifest or config is invalid.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// A digest is invalid.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// JSON could not be written.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// A blob failed verification or its stream broke.
    #[error("{reference}: blob {digest}: {source}")]
    Blob {
        /// The source.
        reference: String,
        /// The blob.
        digest: Digest,
        /// What happened.
        #[source]
        source: io::Error,
    },
    /// The destination cannot hold what the source has.
    #[error("{reference}: {reason}")]
    Unsupported {
        /// The destination (or source).
        reference: String,
        /// Why.
        reason: String,
    },
    /// The local content store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A registry operation failed; the registry error (and its HTTP status) is kept.
    #[error("{reference}: {what}{source}")]
    Registry {
        /// The registry reference.
        reference: String,
        /// What was being done, e.g. `blob sha256:…: ` (may be empty).
        what: String,
        /// The registry client's error (boxed: it is large).
        #[source]
        source: Box<RegistryError>,
    },
    /// A registry served or stored something other than what was asked for.
    #[error("{reference}: {message}")]
    Mismatch {
        /// The registry reference.
        reference: String,
        /// What differed.
        message: String,
    },
    /// The shared async runtime could not run the operation.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl CopyError {
    /// A registry error about `reference`.
    pub fn registry(reference: impl ToString, source: RegistryError) -> CopyError {
        CopyError::Registry {
            reference: reference.to_string(),
            what: String::new(),
            source: Box::new(source),
        }
    }

    /// The HTTP status the registry answered with, when a registry refused the operation.
    pub fn status(&self) -> Option<u16> {
        match self {
            CopyError::Registry { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The registry client's error, when a registry operation failed.
    pub fn registry_error(&self) -> Option<&RegistryError> {
        match self {
            CopyError::Registry { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }

    /// A short hint for the user, when one helps.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CopyError::Layout(LayoutError::Ambiguous { .. })
            | CopyError::Layout(LayoutError::TagNotFound { .. }) => {
                Some("name the image with oci:DIR:TAG (see the tags listed)")
            }
            CopyError::Layout(LayoutError::NotEmpty(_)) => {
                Some("write into an empty or missing directory, or an existing OCI layout")
            }
            CopyError::Layout(LayoutError::NotALayout(_)) => {
                Some("an OCI layout directory has an oci-layout file and an index.json")
            }
            CopyError::Image(ImageError::NoPlatform { .. }) => {
                Some("pick one of the available platforms with --platform, or copy all with --all")
            }
            CopyError::Blob { .. } | CopyError::Layout(LayoutError::Verify { .. }) => {
                Some("the content does not match its digest; the source may be corrupted")
            }
            CopyError::Archive(ArchiveError::DiffId { .. }) => {
                Some("the image config's rootfs.diff_ids do not describe its layers")
            }
            CopyError::Registry { source, .. } => registry_hint(source),
            _ => None,
        }
    }
}

/// What to try for a registry failure, by kind.
fn registry_hint(e: &RegistryError) -> Option<&'static str> {
    if let Some(h) = crate::registry::neterr::network_hint(e) {
        return Some(h);
    }
    match e {
        RegistryError::Unauthorized { .. } | RegistryError::Auth(_) => Some(
            "log in with `hoist login -u USER --password-stdin HOST`, or check the credentials",
        ),
        RegistryError::Status {
            status: 401 | 403, ..
        } => {
            Some("log in with `hoist login`, and check that the account may access this repository")
        }
        e if e.is_not_found() => Some("check the repository name and the tag or digest"),
        RegistryError::Status { status: 429, .. } => {
            Some("the registry is rate limiting; wait and retry, or log in")
        }
        RegistryError::DigestMismatch { .. } | RegistryError::SizeMismatch { .. } => {
            Some("the registry served content that does not match its digest")
        }
        RegistryError::Setup(_) => Some("check the CA bundle and TLS settings"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_status_stays_typed_through_the_copy_error() {
        for status in [401u16, 404, 429] {
            let e = CopyError::registry(
                "reg.example/app:1",
                RegistryError::Status {
                    method: "GET".into(),
                    url: "http://reg.example/v2/app/manifests/1".into(),
                    status,
                    code: None,
                    message: String::new(),
                    retry_after: None,
                },
            );
            assert_eq!(e.status(), Some(status));
            assert!(e.hint().is_some(), "{status}");
            assert!(e.to_string().starts_with("reg.example/app:1: GET"), "{e}");
        }
        let other = CopyError::Mismatch {
            reference: "r".into(),
            message: "m".into(),
        };
        assert_eq!(other.status(), None);
    }
}
