//! Copying images between transports: one engine, one adapter per transport, above both the
//! OCI model ([`crate::oci`]) and the registry client ([`crate::registry`]).
//!
//! - [`engine`]: the transport-agnostic copy ([`copy_image`]), the [`ImageSource`] and
//!   [`ImageDest`] traits, platform choice; [`convert`]: `--format` manifest conversion.
//! - [`cas`]: the one mechanism behind every content-addressed transport:
//!   [`layout`] (`oci:`), [`oci_archive`] (`oci-archive:`), [`store`] (hoist's content store,
//!   incl. [`pull_to_store`] for the builder) and [`memory`] (in-memory artifacts).
//! - [`docker_archive`]: `docker-archive:` (`docker save`/`docker load`).
//! - [`registry`]: registries (any [`crate::registry::Registry`]) as source and destination;
//!   [`referrers`]: attaching signatures and attestations with the tag-schema fallback.
//! - [`open`]: any [`crate::oci::reference::ImageRef`] as a source or destination.
//! - [`error`]: [`CopyError`], keeping the registry's HTTP status typed.

pub mod cas;
pub mod convert;
pub mod docker_archive;
pub mod engine;
pub mod error;
#[cfg(test)]
mod fake_registry;
pub mod layout;
pub mod memory;
pub mod oci_archive;
pub mod open;
pub mod referrers;
pub mod registry;
pub mod store;

pub use convert::convert_manifest;
pub use docker_archive::{DockerArchiveDest, DockerArchiveSource};
pub use engine::{
    copy_image, read_verified, resolve_platform, BlobKind, CopyOptions, CopyReport, DestCaps,
    ImageDest, ImageSource, NoProgress, Progress, PARALLEL_BLOBS,
};
pub use error::CopyError;
pub use layout::{LayoutDest, LayoutSource};
pub use memory::MemorySource;
pub use oci_archive::{OciArchiveDest, OciArchiveSource};
pub use open::{open_dest, open_source};
pub use referrers::attach_referrer;
pub use registry::{RegistryDest, RegistrySource, RemoteOptions, UploadPolicy};
pub use store::{pull_image, pull_to_store, PulledImage, StoreDest, StoreSource};
