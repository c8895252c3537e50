//! Supply-chain evidence about images: what is inside them ([`sbom`]) and who vouches for them
//! (cosign-compatible signatures and attestations, [`sign`]).

pub mod sbom;
pub mod sign;
