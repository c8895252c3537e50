//! OCI core: the pieces an image builder/pusher is made of, as a library.
//!
//! - [`digest`]: `sha256:` digests, hashing writers/readers (`sha2`).
//! - [`json`]: canonical JSON (sorted keys, compact) for everything hoist hashes and pushes;
//!   hand-written walk because `oci-spec` serializes its HashMaps in random order.
//! - [`media`]: media types and descriptor helpers (`oci-spec` types are used for manifests,
//!   indexes and configs, never its serializer's byte output).
//! - [`layer`]: streaming, reproducible layer writer (tar headers via the `tar` crate's `Header`,
//!   framing/PAX written here; gzip via `flate2` with the zlib-rs backend, zstd via `zstd`).
//! - [`unpack`]: safe layer extraction with OCI whiteout semantics; path resolution is
//!   hand-written on directory file descriptors (`rustix`) so no write can leave the target.
//! - [`store`]: the content store under `$HOIST_HOME`: verified blobs written atomically,
//!   unpacked layers shared by diffID, refs, cache entries and `prune`; advisory locks via
//!   `flock` (`rustix`), temp files via `tempfile`.
//! - [`reference`]: image references and skopeo-style transports.
//! - [`image`]: manifests, indexes and configs read from raw bytes; platform choice.
//! - [`assemble`]: image config, manifest and index from layers (canonical JSON).
//! - [`layout`], [`archive`]: OCI image layouts, oci-archive and docker-archive, read and write.
//! - [`fsafe`]: content files opened as data (no symlinks, FIFOs, devices), outputs created
//!   with the user's umask; [`scratch`]: temporary data beside outputs and its cleaning.
//!
//! Copying images between transports (registries included) is `crate::copy`'s job, a layer
//! above this one; nothing here imports the registry client or the copy engine.

pub mod archive;
pub mod assemble;
pub mod digest;
pub mod fsafe;
pub mod image;
pub mod json;
pub mod layer;
pub mod layout;
pub mod media;
pub mod reference;
pub mod scratch;
pub mod store;
pub mod unpack;

pub use digest::{digest_bytes, Digest, DigestError, Sha256Reader, Sha256Writer};
pub use json::{to_canonical_vec, JsonError};
pub use layer::{
    Compression, EntryKind, EntryMeta, LayerEntry, LayerError, LayerInfo, LayerOptions,
    LayerWriter, WalkOptions,
};
pub use media::{LayerCompression, MediaFlavor};
pub use store::{BlobInfo, BlobWriter, Expected, PruneReport, Store, StoreError};
pub use unpack::{unpack_layer, unpack_tar, UnpackError, UnpackOptions, UnpackStats, WhiteoutMode};
