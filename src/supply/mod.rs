//! Supply-chain evidence about images: what is inside them (SBOM).

pub mod sbom;
