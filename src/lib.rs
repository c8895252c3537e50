//! hoist: lint Dockerfiles and build, sign and push OCI images without a daemon.
//!
//! Modules by concern:
//! - [`dockerfile`]: the parser, AST and variable engine shared by lint and build.
//! - [`shell`]: POSIX shell parsing of RUN bodies.
//! - [`lint`]: the rules, their registry, configuration and output formats.
//! - [`oci`]: OCI core: digests, canonical JSON, content store, layer writer and safe unpack.
//! - [`registry`]: the OCI distribution client.
//! - [`copy`]: copying images between registries, layouts, archives and the content store.
//! - [`runtime`]: the one async runtime, behind a blocking facade.
//! - [`secrets`]: the secret patterns and file rules shared by lint and the layer scanner.
//! - [`supply`]: supply-chain evidence: secrets in layers ([`supply::scan`]), cosign-compatible
//!   signatures and attestations.

#![deny(unsafe_code)]

pub mod build;
pub mod copy;
pub mod dockerfile;
pub mod lint;
pub mod oci;
pub mod registry;
pub mod runtime;
pub mod secrets;
pub mod shell;
pub mod supply;
