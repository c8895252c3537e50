//! `hoist build`: build OCI images from Dockerfiles without a daemon.
//!
//! - [`plan`]: parse, resolve global ARGs and platforms, the stage DAG, target, order.
//! - [`exec`]: run the needed stages (independent ones in parallel threads): bases, config
//!   instructions ([`config`]), RUN in the [`sandbox`], COPY/ADD through [`fs`].
//! - [`cache`]: step keys and cache records in the content store.
//! - [`output`]: assemble the image, tag it in the store, write layouts and result files.
//! - [`progress`]: buildx-style progress events and printer.
//! - [`compat`]: the builder's only use of the copy engine.

pub mod cache;
pub mod cache_export;
pub mod compat;
pub mod config;
pub mod contexts;
pub mod error;
pub mod exec;
pub mod fs;
pub mod output;
pub mod outputs;
pub mod plan;
pub mod progress;
#[allow(unsafe_code)]
pub mod sandbox;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use error::{BuildError, Loc};

use crate::copy::RemoteOptions;
use crate::dockerfile::scope::Platform;
use crate::oci::layer::Compression;

/// Where a `--secret` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `src=FILE`.
    File(PathBuf),
    /// `env=VAR`.
    Env(String),
}

/// Network mode of RUN steps (`--network`; a RUN's own `--network` wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// The host's network, like buildah's chroot isolation.
    #[default]
    Default,
    /// No network.
    None,
    /// The host's network.
    Host,
}

/// How RUN steps are isolated (`--isolation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationChoice {
    /// The best that works here.
    #[default]
    Auto,
    /// Root with namespaces.
    Namespaces,
    /// User namespaces.
    Rootless,
    /// Plain chroot.
    Chroot,
}

/// Everything a build needs besides the store.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The build context directory.
    pub context: PathBuf,
    /// The Dockerfile text.
    pub dockerfile: String,
    /// Its name for messages.
    pub dockerfile_name: String,
    /// Its path, when it is a file (for `<Dockerfile>.dockerignore`).
    pub dockerfile_path: Option<PathBuf>,
    /// `--build-arg`.
    pub build_args: BTreeMap<String, String>,
    /// `--target`.
    pub target: Option<String>,
    /// `--platform` (default: the host's).
    pub platform: Platform,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--no-cache-filter` stage names.
    pub no_cache_filter: Vec<String>,
    /// `--secret id=…`.
    pub secrets: BTreeMap<String, SecretSource>,
    /// `--ssh ID=SOCKET` (`default` → `$SSH_AUTH_SOCK`).
    pub ssh: BTreeMap<String, PathBuf>,
    /// `--network`.
    pub network: Network,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
    /// `--annotation` (on the manifest).
    pub annotations: BTreeMap<String, String>,
    /// `--compression`.
    pub compression: Compression,
    /// `--source-date-epoch`; `None` = now (not reproducible).
    pub source_date_epoch: Option<i64>,
    /// `--jobs`: stages built at once.
    pub jobs: usize,
    /// `--isolation`.
    pub isolation: IsolationChoice,
    /// Registry settings for base images.
    pub remote: RemoteOptions,
    /// `-t` names (normalised), for the store refs and `image.name`.
    pub tags: Vec<String>,
    /// Shared caches (`--cache-from` imports, keys used for `--cache-to`), if any.
    pub cache_hook: Option<cache_export::CacheHook>,
    /// `--build-context NAME=VALUE`, by normalised name ([`contexts::context_name`]).
    pub named_contexts: BTreeMap<String, contexts::NamedContext>,
    /// Step keys being run, shared by the clones of these options (the platforms of one
    /// build), so a step the same for all of them runs once.
    pub in_flight: std::sync::Arc<exec::InFlight>,
}

impl BuildOptions {
    /// Defaults for a build of `context` with `dockerfile`.
    pub fn new(context: PathBuf, dockerfile: String) -> BuildOptions {
        BuildOptions {
            context,
            dockerfile,
            dockerfile_name: "Dockerfile".to_string(),
            dockerfile_path: None,
            build_args: BTreeMap::new(),
            target: None,
            platform: Platform::host(),
            no_cache: false,
            no_cache_filter: Vec::new(),
            secrets: BTreeMap::new(),
            ssh: BTreeMap::new(),
            network: Network::Default,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            compression: Compression::Gzip { level: 6 },
            source_date_epoch: Some(0),
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            isolation: IsolationChoice::Auto,
            remote: RemoteOptions::default(),
            tags: Vec::new(),
            cache_hook: None,
            named_contexts: BTreeMap::new(),
            in_flight: std::sync::Arc::default(),
        }
    }
}

pub use exec::{build, build_platforms};
pub use output::BuildResult;
