//! `hoist unpack REF DIR`: write the flattened filesystem of an image into DIR (like
//! `crane export` followed by extraction): every layer, bottom first, is streamed, verified
//! against its digest and its config diffID, and applied with whiteouts through the safe
//! unpacker, so no entry can write outside DIR.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use super::image_common::{fail, human_bytes, open_source, parse_ref, CommonArgs};
use hoist::copy::{read_verified, resolve_platform, CopyError};
use hoist::oci::digest::Digest;
use hoist::oci::image::{diff_ids, media_type_str, parse_config, VerifyingReader};
use hoist::oci::media;
use hoist::oci::scratch::StagedDir;
use hoist::oci::unpack::{unpack_layer, UnpackOptions};

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist unpack oci:./layout:v1 ./rootfs\n  hoist unpack --platform linux/arm64 docker://alpine:3.20 ./alpine-arm64"
)]
pub struct UnpackArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Image reference
    pub image: String,
    /// Target directory (created; must be empty if it exists)
    pub dir: PathBuf,
}

pub fn run(a: UnpackArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: &UnpackArgs) -> Result<i32, i32> {
    let platform = a.common.platform()?;
    let r = parse_ref(&a.image, "image")?;
    match std::fs::read_dir(&a.dir) {
        Ok(mut it) => {
            if it.next().is_some() {
                super::report_error(
                    &format!("{} is not empty", a.dir.display()),
                    Some("unpack into a new or empty directory"),
                );
                return Err(super::EXIT_USAGE);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            super::report_error(&format!("{}: {e}", a.dir.display()), None);
            return Err(super::EXIT_FINDINGS);
        }
    }
    // Written under a temporary name and renamed on success: a failure leaves nothing.
    let stage = StagedDir::new(&a.dir).map_err(|e| {
        super::report_error(&format!("cannot create {}: {e}", a.dir.display()), None);
        super::EXIT_FINDINGS
    })?;
    let result = unpack_into(a, &r, platform.as_ref(), stage.path());
    if result.is_err() {
        eprintln!(
            "{} was left as it was (the partial tree was removed)",
            a.dir.display()
        );
    }
    let (digest, total) = result?;
    stage.publish().map_err(|e| {
        super::report_error(
            &format!("cannot move the unpacked tree to {}: {e}", a.dir.display()),
            None,
        );
        super::EXIT_FINDINGS
    })?;
    if !a.common.quiet {
        eprintln!("{digest} → {} ({})", a.dir.display(), human_bytes(total));
    }
    Ok(super::EXIT_OK)
}

/// Unpack every layer of the image into `dir`; returns the manifest digest and the bytes
/// written. Errors are reported already.
fn unpack_into(
    a: &UnpackArgs,
    r: &hoist::oci::reference::ImageRef,
    platform: Option<&hoist::oci::image::Platform>,
    dir: &Path,
) -> Result<(Digest, u64), i32> {
    let mut s = open_source(r, &a.common).map_err(|e| fail(&e))?;
    let root = s.root().map_err(|e| fail(&e))?;
    let m = resolve_platform(s.as_mut(), root, platform).map_err(|e| fail(&e))?;
    let image = m.parse_image().map_err(|e| fail(&e.into()))?;
    let config = image.config();
    let config_mt = media_type_str(config);
    if !media::is_config(&config_mt) {
        fail(&CopyError::Unsupported {
            reference: r.to_string(),
            reason: format!("{} is not a container image (config {config_mt})", m.digest),
        });
        return Err(super::EXIT_FINDINGS);
    }
    let config_bytes = read_verified(s.as_mut(), config).map_err(|e| fail(&e))?;
    let ids = parse_config(&config_bytes)
        .and_then(|c| diff_ids(&c))
        .map_err(|e| fail(&e.into()))?;
    if ids.len() != image.layers().len() {
        fail(&CopyError::Unsupported {
            reference: r.to_string(),
            reason: format!(
                "the config lists {} diffIDs for {} layers",
                ids.len(),
                image.layers().len()
            ),
        });
        return Err(super::EXIT_FINDINGS);
    }
    let mut total = 0u64;
    for (layer, diff_id) in image.layers().iter().zip(ids) {
        let digest = Digest::from_oci(layer.digest()).map_err(|e| fail(&e.into()))?;
        let reference = r.to_string();
        let raw = s.blob(layer).map_err(|e| fail(&e))?;
        let verifying: Box<dyn Read> = Box::new(
            VerifyingReader::new(raw, &digest, layer.size()).map_err(|source| {
                fail(&CopyError::Blob {
                    reference: reference.clone(),
                    digest: digest.clone(),
                    source,
                })
            })?,
        );
        let opts = UnpackOptions {
            expected_diff_id: Some(diff_id),
            ..UnpackOptions::default()
        };
        let stats = unpack_layer(verifying, dir, &opts).map_err(|e| {
            super::report_error(
                &format!("{reference}: layer {digest}: {e}"),
                Some("the layer is corrupt or unsafe; nothing outside the target was written"),
            );
            super::EXIT_FINDINGS
        })?;
        total += stats.uncompressed_size;
        if !a.common.quiet {
            eprintln!(
                "unpacked {digest} ({} entries, {})",
                stats.entries,
                human_bytes(stats.uncompressed_size)
            );
            for skipped in &stats.skipped {
                eprintln!("  skipped: {skipped}");
            }
        }
    }
    Ok((m.digest, total))
}
