//! `hoist build`: the daemonless Dockerfile builder.

pub mod fs;
#[allow(unsafe_code)]
pub mod sandbox;
