//! Supply-chain evidence about images: what is inside them ([`sbom`]), secrets that ship in
//! their layers ([`scan`]), and who vouches for them (cosign-compatible signatures and
//! attestations, [`sign`]). For `hoist build`: SLSA [`provenance`], BuildKit-style
//! attestation manifests ([`attach`]) and the build's scan/attest/sign steps ([`pipeline`]).

pub mod attach;
pub mod pipeline;
pub mod provenance;
pub mod sbom;
pub mod scan;
pub mod sign;
