//! `hoist inspect REF`: show an image's manifest (or index) and config as JSON. `--raw` prints
//! the manifest bytes exactly as stored (their sha256 is the digest), `--config` the config
//! bytes. `--platform` picks one image of a multi-platform index.

use std::io::Write;

use clap::Args;
use serde_json::{json, Value};

use super::image_common::{fail, open_source, parse_ref, CommonArgs};
use hoist::copy::{read_verified, resolve_platform, CopyError};
use hoist::oci::image::{available_platforms, media_type_str, parse_config, ImageError};
use hoist::oci::layout::MAX_CONFIG_SIZE;
use hoist::oci::media;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist inspect oci:./layout:v1\n  hoist inspect --raw docker://alpine:3.20 | sha256sum\n  hoist inspect --config --platform linux/arm64 ghcr.io/me/app:v1"
)]
pub struct InspectArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print the raw manifest bytes
    #[arg(long)]
    pub raw: bool,
    /// Print the raw config bytes (of the --platform / host image for an index)
    #[arg(long, conflicts_with = "raw")]
    pub config: bool,
    /// Image reference
    pub image: String,
}

pub fn run(a: InspectArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn write_out(bytes: &[u8]) -> Result<i32, i32> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| {
            super::report_error(&format!("cannot write output: {e}"), None);
            super::EXIT_FINDINGS
        })?;
    Ok(super::EXIT_OK)
}

fn as_value(
    bytes: &[u8],
    digest: &hoist::oci::Digest,
    what: &'static str,
) -> Result<Value, CopyError> {
    serde_json::from_slice(bytes).map_err(|source| {
        CopyError::Image(ImageError::Json {
            what,
            digest: digest.clone(),
            source,
        })
    })
}

fn inner(a: &InspectArgs) -> Result<i32, i32> {
    let platform = a.common.platform()?;
    let r = parse_ref(&a.image, "image")?;
    let mut s = open_source(&r, &a.common).map_err(|e| fail(&e))?;
    let mut m = s.root().map_err(|e| fail(&e))?;
    if platform.is_some() || (a.config && m.is_index()) {
        m = resolve_platform(s.as_mut(), m, platform.as_ref()).map_err(|e| fail(&e))?;
    }
    if a.raw {
        return write_out(&m.bytes);
    }
    let manifest = as_value(&m.bytes, &m.digest, "manifest").map_err(|e| fail(&e))?;
    let mut out = json!({
        "reference": r.to_string(),
        "digest": m.digest.to_string(),
        "mediaType": m.media_type,
        "size": m.size(),
    });
    if m.is_index() {
        let index = m.parse_index().map_err(|e| fail(&e.into()))?;
        out["platforms"] = json!(available_platforms(&index));
        out["manifest"] = manifest;
    } else {
        let image = m.parse_image().map_err(|e| fail(&e.into()))?;
        let config = image.config();
        let is_image = media::is_config(&media_type_str(config));
        if a.config || is_image {
            if config.size() > MAX_CONFIG_SIZE {
                super::report_error(
                    &format!("config {} is too large to show", config.digest()),
                    None,
                );
                return Err(super::EXIT_FINDINGS);
            }
            let bytes = read_verified(s.as_mut(), config).map_err(|e| fail(&e))?;
            if a.config {
                return write_out(&bytes);
            }
            let parsed = parse_config(&bytes).map_err(|e| fail(&e.into()))?;
            let mut p = format!("{}/{}", parsed.os(), parsed.architecture());
            if let Some(v) = parsed.variant() {
                p.push('/');
                p.push_str(v);
            }
            out["platform"] = json!(p);
            out["manifest"] = manifest;
            out["config"] = as_value(&bytes, &m.digest, "config").map_err(|e| fail(&e))?;
        } else {
            out["manifest"] = manifest;
        }
    }
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    write_out(text.as_bytes())
}
