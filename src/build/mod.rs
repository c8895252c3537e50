//! `hoist build`: the daemonless Dockerfile builder.
pub mod fs;
