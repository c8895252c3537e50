//! `hoist copy SRC DST`: copy an image between any two transports (OCI layout, oci-archive,
//! docker-archive, registry), verifying every blob and keeping manifests byte-identical.
//! Prints the digest of the manifest written.

use clap::Args;

use super::image_common::{
    fail, open_dest, open_source, parse_ref, CliProgress, CommonArgs, DestState, FormatArg,
};
use hoist::copy::{copy_image, CopyOptions};

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist copy docker://alpine:3.20 oci:./alpine:3.20\n  hoist copy --all oci:./layout:v1 docker://localhost:5000/app:v1\n  hoist copy oci:./layout:v1 docker-archive:app.tar:app:v1"
)]
pub struct CopyArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Copy every platform of a multi-platform image (default: only --platform / the host's)
    #[arg(long)]
    pub all: bool,
    /// Convert manifests to OCI or Docker schema 2 media types (new manifest digests, same
    /// blobs; default: keep manifests byte-identical)
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Source reference
    pub src: String,
    /// Destination reference
    pub dst: String,
}

pub fn run(a: CopyArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: &CopyArgs) -> Result<i32, i32> {
    let platform = a.common.platform()?;
    let src = parse_ref(&a.src, "source")?;
    let dst = parse_ref(&a.dst, "destination")?;
    let opts = CopyOptions {
        format: a.format.map(FormatArg::flavor),
        platform,
        all: a.all,
    };
    let mut s = open_source(&src, &a.common).map_err(|e| fail(&e))?;
    let state = DestState::before(&dst);
    let mut d = open_dest(&dst, &a.common).map_err(|e| fail(&e))?;
    let progress = CliProgress::new(a.common.quiet);
    let report =
        copy_image(s.as_mut(), d.as_mut(), &opts, &progress).map_err(|e| state.fail(&e))?;
    println!("{}", report.digest);
    Ok(super::EXIT_OK)
}
