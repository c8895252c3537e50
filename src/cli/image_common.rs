//! Shared pieces of the image commands (`copy`, `push`, `pull`, `inspect`, `digest`, `tag`,
//! `unpack`, `sbom`, `scan`, `sign`, `verify`, `attest`): common flags, the one rule for image
//! arguments ([`parse_ref`]) with usage errors, opening sources and
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
    /// Reach this registry over plain HTTP (repeatable; loopback registries are, unless --cert-dir
    /// or a certs.d directory configures TLS for them)
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

/// Parse an image argument by the one rule every image command follows (README, "Image
/// references"): an explicit transport (`oci:`, `oci-archive:`, `docker-archive:`, `hoist:`,
/// `docker://`) wins; a bare argument that is local by [`is_local_arg`] is a layout directory
/// or an archive ([`local_ref_from_path`]); everything else is a registry reference. A bad one
/// is a usage error (exit 2).
pub fn parse_ref(input: &str, role: &str) -> Result<ImageRef, i32> {
    if !has_transport(input) && is_local_arg(input) {
        return Ok(local_arg(input));
    }
    ImageRef::parse(input).map_err(|e| {
        super::report_error(
            &format!("{role} {input:?}: {e}"),
            Some("references look like oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME], hoist:NAME[:TAG] (the local store) or [docker://]HOST/REPO[:TAG|@DIGEST]; a bare argument is a local path only when it starts with /, ./ or ../ or exists"),
        );
        super::EXIT_USAGE
    })
}

/// True when a bare argument (no transport) means a local path: it starts with `/`, `./` or
/// `../` (or is `.` or `..`), it exists, it is `PATH:TAG` for an existing `PATH`, or it is a
/// new path in an existing directory other than the current one (`out/new` when `out/` exists).
pub fn is_local_arg(input: &str) -> bool {
    if input.is_empty() {
        return false;
    }
    if input == "." || input == ".." || ["/", "./", "../"].iter().any(|p| input.starts_with(p)) {
        return true;
    }
    let path = Path::new(input);
    if path.symlink_metadata().is_ok() {
        return true;
    }
    if split_local_tag(input).is_some() {
        return true;
    }
    !input.contains('@')
        && path
            .parent()
            .is_some_and(|p| !p.as_os_str().is_empty() && p.is_dir())
}

/// `PATH:TAG` where `PATH` exists and `TAG` is a valid layout tag.
fn split_local_tag(input: &str) -> Option<(&str, &str)> {
    let (path, tag) = input.rsplit_once(':')?;
    let exists = !path.is_empty() && Path::new(path).symlink_metadata().is_ok();
    (exists && hoist::oci::reference::is_valid_layout_tag(tag)).then_some((path, tag))
}

/// The local reference a bare argument that [`is_local_arg`] accepted names.
fn local_arg(input: &str) -> ImageRef {
    if Path::new(input).symlink_metadata().is_err() {
        if let Some((path, tag)) = split_local_tag(input) {
            return local_ref_from_path(path, Some(tag.to_string()), None, false);
        }
    }
    local_ref_from_path(input, None, None, false)
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

/// What a local destination holds before a copy, to say after a failure what was left.
pub struct DestState {
    path: Option<std::path::PathBuf>,
    existed: bool,
    layout: bool,
}

impl DestState {
    /// Look at `dst` before writing to it.
    pub fn before(dst: &ImageRef) -> DestState {
        let (path, layout) = match dst {
            ImageRef::OciLayout { dir, .. } => (Some(dir.clone()), true),
            ImageRef::OciArchive { file, .. } | ImageRef::DockerArchive { file, .. } => {
                (Some(file.clone()), false)
            }
            ImageRef::Registry(_) | ImageRef::Store(_) => (None, false),
        };
        let existed = path.as_ref().is_some_and(|p| p.symlink_metadata().is_ok());
        DestState {
            path,
            existed,
            layout,
        }
    }

    /// Report a failed copy (exit 1) and what it left at the destination.
    pub fn fail(&self, e: &CopyError) -> i32 {
        let code = fail(e);
        if let Some(p) = &self.path {
            let note = match (self.existed, self.layout) {
                (false, _) => format!("nothing was written: {} was not created", p.display()),
                (true, true) => format!(
                    "{}: index.json is unchanged (verified blobs copied before the failure were kept)",
                    p.display()
                ),
                (true, false) => format!("{} is unchanged", p.display()),
            };
            eprintln!("{note}");
        }
        code
    }
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
