//! Cosign-compatible signatures and attestations for images in registries and `oci:` layouts.
//!
//! - [`keys`]: `cosign.key` / `cosign.pub` files and ECDSA P-256 signing.
//! - [`payload`]: the simple-signing payload an image signature signs.
//! - [`dsse`]: DSSE envelopes over in-toto statements (attestations).
//! - [`manifest`]: the `sha256-<hex>.sig` / `.att` manifests and referrer artifacts.
//! - [`storage`]: reading and writing them on registries and OCI layouts.
//! - [`ops`]: the library API: [`sign_image`], [`attest_image`], [`verify_image`],
//!   [`verify_attestations`].

pub mod dsse;
pub mod keys;
pub mod manifest;
pub mod ops;
pub mod payload;
pub mod storage;

pub use keys::{KeyError, SigningKey, VerifyingKey};
pub use ops::{
    attest_image, sign_image, verify_attestations, verify_image, AttestOptions, SignError,
    SignOptions, SignReport, VerifiedAttestation, VerifiedSignature,
};
