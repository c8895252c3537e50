//! `hoist build`: building OCI images from Dockerfiles without a daemon.

#[allow(unsafe_code)]
pub mod sandbox;
