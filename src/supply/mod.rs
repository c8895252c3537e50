//! Supply-chain evidence about images: what is inside them ([`sbom`]), secrets that ship in
//! their layers ([`scan`]), and who vouches for them (cosign-compatible signatures and
//! attestations, [`sign`]).

pub mod sbom;
pub mod scan;
pub mod sign;
