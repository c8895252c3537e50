//! Cosign-compatible signatures and attestations for images in registries and `oci:` layouts.
//!
//! - [`keys`]: `cosign.key` / `cosign.pub` files and ECDSA P-256 signing.
//! - [`payload`]: the simple-signing payload an image signature signs.
//! - [`dsse`]: DSSE envelopes over in-toto statements (attestations).
//! - [`manifest`]: the `sha256-<hex>.sig` / `.att` manifests and referrer artifacts.
//! - [`storage`]: reading and writing them on registries and OCI layouts.
//! - [`ops`]: the library API: [`sign_image`], [`attest_image`], [`verify_image`],
//!   [`verify_attestations`].
//!
//! A builder signs what it pushed by digest:
//! ```no_run
//! use hoist::oci::reference::ImageRef;
//! use hoist::supply::sign::{self, storage::RemoteOptions, SignOptions, SigningKey};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pem = std::fs::read("cosign.key")?;
//! let key = SigningKey::from_encrypted_pem(&pem, b"password", "cosign.key")?;
//! let image = ImageRef::parse("registry.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")?;
//! let report = sign::sign_image(&image, &RemoteOptions::default(), &key, &SignOptions::default())?;
//! println!("signed {} in {}", report.image, report.location);
//! # Ok(())
//! # }
//! ```

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
