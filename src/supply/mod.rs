//! Supply-chain evidence attached to images: signatures and attestations ([`sign`]).

pub mod sign;
