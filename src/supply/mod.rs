//! Supply-chain evidence over images: secrets that ship in their layers ([`scan`]),
//! signatures and attestations ([`sign`]).

pub mod scan;
pub mod sign;
