//! Shared pieces of the image commands (`copy`, `push`, `pull`, `inspect`, `digest`, `tag`,
//! `unpack`): common flags, reference parsing with usage errors, opening sources and
//! destinations for every transport, progress display and error reporting.
//!
//! Progress goes to stderr (see `progress`); results (digests, JSON) go to stdout.

use std::path::Path;

use clap::Args;

use hoist::copy::{self, CopyError, ImageDest, ImageSource, RemoteOptions};
use hoist::oci::image::Platform;
use hoist::oci::reference::ImageRef;

/// Flags shared by every image command.
#[derive(Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// Platform to pick from a multi-platform image (OS/ARCH[/VARIANT]; default: the host's)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Reach this registry over plain HTTP (repeatable; loopback registries always are)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// No progress output
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub net: super::network::NetworkArgs,
}

impl CommonArgs {
    /// The parsed `--platform`, or a usage error already reported.
    pub fn platform(&self) -> Result<Option<Platform>, i32> {
        match &self.platform {
            None => Ok(None),
            Some(p) => p.parse().map(Some).map_err(|e| {
                super::report_error(
                    &format!("{e}"),
                    Some("examples: linux/amd64, linux/arm64, linux/arm/v7"),
                );
                super::EXIT_USAGE
            }),
        }
    }

    /// Registry settings from the flags.
    pub fn remote(&self) -> RemoteOptions {
        self.net.remote(&self.insecure_registry)
    }
}

/// `--format`: the manifest format to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// OCI image spec media types
    Oci,
    /// Docker schema 2 media types
    Docker,
}

impl FormatArg {
    /// The media-type family.
    pub fn flavor(self) -> hoist::oci::media::MediaFlavor {
        match self {
            FormatArg::Oci => hoist::oci::media::MediaFlavor::Oci,
            FormatArg::Docker => hoist::oci::media::MediaFlavor::Docker,
        }
    }
}

/// Parse a reference given on the command line; a bad one is a usage error (exit 2).
pub fn parse_ref(input: &str, role: &str) -> Result<ImageRef, i32> {
    ImageRef::parse(input).map_err(|e| {
        super::report_error(
            &format!("{role} {input:?}: {e}"),
            Some("references look like oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME], hoist:NAME[:TAG] (the local store) or [docker://]HOST/REPO[:TAG|@DIGEST]"),
        );
        super::EXIT_USAGE
    })
}

/// Interpret a local path given without a transport: a directory (existing, or not ending in
/// `.tar`) is an OCI layout; a file is a docker archive when it has a `manifest.json` and an
/// OCI archive otherwise; a new `*.tar` path is `default_tar`.
pub fn local_ref_from_path(
    input: &str,
    tag: Option<String>,
    docker_name: Option<hoist::oci::reference::Reference>,
    default_tar_is_docker: bool,
) -> ImageRef {
    let path = Path::new(input).to_path_buf();
    let is_tar_name =
        input.ends_with(".tar") || input.ends_with(".tar.gz") || input.ends_with(".tgz");
    if path.is_dir() || (!path.exists() && !is_tar_name) {
        return ImageRef::OciLayout { dir: path, tag };
    }
    let docker = if path.is_file() {
        hoist::oci::archive::TarIndex::open(&path)
            .map(|t| t.contains("manifest.json"))
            .unwrap_or(default_tar_is_docker)
    } else {
        default_tar_is_docker
    };
    if docker {
        ImageRef::DockerArchive {
            file: path,
            name: docker_name,
        }
    } else {
        ImageRef::OciArchive { file: path, tag }
    }
}

/// True when `input` names a transport explicitly.
pub fn has_transport(input: &str) -> bool {
    [
        "oci:",
        "oci-archive:",
        "docker-archive:",
        "docker://",
        "hoist:",
    ]
    .iter()
    .any(|p| input.starts_with(p))
}

/// Open any reference as a source.
pub fn open_source(r: &ImageRef, common: &CommonArgs) -> Result<Box<dyn ImageSource>, CopyError> {
    copy::open_source(r, &common.remote())
}

/// Open any reference as a destination.
pub fn open_dest(r: &ImageRef, common: &CommonArgs) -> Result<Box<dyn ImageDest>, CopyError> {
    copy::open_dest(r, &common.remote())
}

pub use super::progress::CliProgress;

/// Report a failed operation (exit 1).
pub fn fail(e: &CopyError) -> i32 {
    super::report_error(&e.to_string(), e.hint());
    super::EXIT_FINDINGS
}

/// Human-readable byte count.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS.get(u).unwrap_or(&"B"))
    }
}
