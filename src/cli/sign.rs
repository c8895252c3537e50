//! `hoist sign --key cosign.key [-a k=v]… [--registry-referrers] REF`: sign the image a
//! reference names (a tag is resolved to its digest first) and store the signature as cosign
//! does: appended to the `sha256-<hex>.sig` manifest, or as an OCI 1.1 referrer.

use std::path::PathBuf;

use clap::Args;

use super::image_common::parse_ref;
use super::key::{annotations, fail, load_signing_key};
use hoist::supply::sign::{sign_image, SignOptions};

#[derive(Args, Debug)]
#[command(
    after_help = "The key password is read from COSIGN_PASSWORD, or prompted for on a terminal.\n\nExamples:\n  hoist sign --key cosign.key localhost:5000/app:v1\n  hoist sign --key cosign.key -a env=prod oci:./layout:v1\n  hoist sign --key cosign.key --registry-referrers localhost:5000/app@sha256:…"
)]
pub struct SignArgs {
    /// Private key file (cosign.key format)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Annotation written into the signed payload (repeatable)
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// Store the signature as an OCI 1.1 referrer instead of the sha256-<hex>.sig tag
    #[arg(long)]
    pub registry_referrers: bool,
    /// Reach this registry over plain HTTP (repeatable; loopback registries always are)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Image to sign: registry reference or oci:DIR[:TAG]
    pub image: String,
}

pub fn run(a: SignArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: &SignArgs) -> Result<i32, i32> {
    let image = parse_ref(&a.image, "image")?;
    let opts = SignOptions {
        annotations: annotations(&a.annotations)?,
        registry_referrers: a.registry_referrers,
    };
    let key = load_signing_key(&a.key)?;
    let remote = super::network::NetworkArgs::from_env().remote(&a.insecure_registry);
    let report = sign_image(&image, &remote, &key, &opts).map_err(|e| fail(&e))?;
    if report.written {
        eprintln!(
            "signed {} ({}): {} {}",
            a.image, report.image, report.location, report.manifest
        );
    } else {
        eprintln!(
            "{} ({}) already carries this signature in {}",
            a.image, report.image, report.location
        );
    }
    println!("{}", report.image);
    Ok(super::EXIT_OK)
}
