//! Supply-chain evidence over images: what ships in their layers, checked or described.
//!
//! One submodule per command: [`scan`] finds secrets in layers and configs.

pub mod scan;
