//! `hoist pull SRC DST`: download an image to a local path. DST without a transport is an OCI
//! layout directory, or a `docker load`-able archive when it ends in `.tar`; the image is
//! tagged with the source's tag. One platform (`--platform`, default the host's) unless
//! `--all`. Prints the digest of the manifest written.

use clap::Args;

use super::image_common::{
    fail, has_transport, local_ref_from_path, open_dest, open_source, parse_ref, CliProgress,
    CommonArgs, DestState, FormatArg,
};
use hoist::copy::{copy_image, CopyOptions};
use hoist::oci::reference::ImageRef;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist pull alpine:3.20 ./alpine            (OCI layout, tag 3.20)\n  hoist pull alpine:3.20 alpine.tar          (docker load < alpine.tar)\n  hoist pull --all ghcr.io/me/app:v1 oci:./app:v1"
)]
pub struct PullArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Copy every platform of a multi-platform image
    #[arg(long)]
    pub all: bool,
    /// Convert manifests to OCI or Docker schema 2 media types (new manifest digests, same
    /// blobs; default: keep manifests byte-identical)
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Image to download (a registry reference, or any transport)
    pub src: String,
    /// Where to write it: a directory (OCI layout), a `.tar` file (docker archive) or a reference
    pub dst: String,
}

pub fn run(a: PullArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: &PullArgs) -> Result<i32, i32> {
    let platform = a.common.platform()?;
    let src = parse_ref(&a.src, "source")?;
    let dst = if has_transport(&a.dst) {
        parse_ref(&a.dst, "destination")?
    } else {
        let (tag, name) = match &src {
            // A reference by digest only gives the local copy no tag.
            ImageRef::Registry(r) | ImageRef::Store(r) => match r.tag() {
                Some(tag) => (Some(tag.to_string()), r.with_tag(tag).ok()),
                None => (None, None),
            },
            ImageRef::OciLayout { tag, .. } | ImageRef::OciArchive { tag, .. } => {
                (tag.clone(), None)
            }
            ImageRef::DockerArchive { name, .. } => (
                name.as_ref().and_then(|n| n.tag().map(str::to_string)),
                name.clone(),
            ),
        };
        local_ref_from_path(&a.dst, tag, name, true)
    };
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
    if !a.common.quiet {
        eprintln!("wrote {dst}");
    }
    println!("{}", report.digest);
    Ok(super::EXIT_OK)
}
