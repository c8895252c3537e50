//! `hoist push SRC DST`: upload a local image (OCI layout directory, oci-archive or
//! docker-archive file, or any explicit transport) to a registry. A multi-platform image is
//! pushed whole unless `--platform` picks one. Prints `HOST/REPO@sha256:…`.

use clap::Args;

use super::image_common::{
    fail, has_transport, is_local_arg, open_source, parse_ref, CliProgress, CommonArgs, FormatArg,
};
use hoist::copy::RegistryDest;
use hoist::copy::{copy_image, CopyOptions};
use hoist::oci::reference::ImageRef;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist push ./layout localhost:5000/app:v1\n  hoist push app.tar ghcr.io/me/app:v1\n  hoist push --platform linux/arm64 oci:./layout:v1 registry.example.com/app:arm64"
)]
pub struct PushArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Convert manifests to OCI or Docker schema 2 media types (new manifest digests, same
    /// blobs; default: keep manifests byte-identical)
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Local image: a path (OCI layout directory, oci-archive or docker-archive) or a reference
    pub src: String,
    /// Registry reference to push to
    pub dst: String,
}

pub fn run(a: PushArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: &PushArgs) -> Result<i32, i32> {
    let platform = a.common.platform()?;
    // The one rule for bare arguments: a bare source that is not a local path is a registry
    // reference, which push (local to registry) does not take.
    if !has_transport(&a.src) && !is_local_arg(&a.src) {
        super::report_error(
            &format!(
                "source {:?} is not a local image (no such file or directory, and a bare name is a registry reference)",
                a.src
            ),
            Some("push uploads a local layout or archive (./DIR, oci:DIR[:TAG], FILE.tar); to copy from one registry to another use `hoist copy SRC DST`"),
        );
        return Err(super::EXIT_USAGE);
    }
    let src = parse_ref(&a.src, "source")?;
    let dst = parse_ref(&a.dst, "destination")?;
    let ImageRef::Registry(reference) = &dst else {
        super::report_error(
            &format!("destination {:?} is not a registry reference", a.dst),
            Some("push uploads to a registry; use `hoist copy` for other destinations"),
        );
        return Err(super::EXIT_USAGE);
    };
    let opts = CopyOptions {
        format: a.format.map(FormatArg::flavor),
        all: platform.is_none(),
        platform,
    };
    let mut s = open_source(&src, &a.common).map_err(|e| fail(&e))?;
    let mut d = RegistryDest::open(reference, &a.common.remote()).map_err(|e| fail(&e))?;
    let progress = CliProgress::new(a.common.quiet);
    let report = copy_image(s.as_mut(), &mut d, &opts, &progress).map_err(|e| fail(&e))?;
    match d.pushed_reference() {
        Some(r) => println!("{r}"),
        None => println!("{}@{}", reference.name(), report.digest),
    }
    Ok(super::EXIT_OK)
}
