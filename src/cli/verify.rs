//! `hoist verify --key cosign.pub [-a k=v]… REF`: exit 0 only when at least one stored
//! signature over exactly the manifest the reference names verifies with the key; prints the
//! verified payloads as a JSON array. Everything else exits 1 with the reasons.

use std::path::PathBuf;

use clap::Args;

use super::image_common::parse_ref;
use super::key::{annotations, fail, load_verifying_key};
use hoist::supply::sign::verify_image;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist verify --key cosign.pub localhost:5000/app:v1\n  hoist verify --key cosign.pub -a env=prod oci:./layout:v1"
)]
pub struct VerifyArgs {
    /// Public key file (PEM)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Annotation the signed payload must carry (repeatable)
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// Reach this registry over plain HTTP (repeatable; loopback registries always are)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Image to verify: registry reference or oci:DIR[:TAG]
    pub image: String,
}

pub fn run(a: VerifyArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: &VerifyArgs) -> Result<i32, i32> {
    let image = parse_ref(&a.image, "image")?;
    let required = annotations(&a.annotations)?;
    let key = load_verifying_key(&a.key)?;
    let remote = super::network::NetworkArgs::from_env().remote(&a.insecure_registry);
    let verified = verify_image(&image, &remote, &key, &required).map_err(|e| fail(&e))?;
    let payloads: Vec<&serde_json::Value> = verified.iter().map(|v| &v.payload_json).collect();
    eprintln!(
        "verified {} signature(s) on {} ({})",
        verified.len(),
        a.image,
        verified
            .first()
            .map(|v| v.payload.critical.image.docker_manifest_digest.as_str())
            .unwrap_or_default()
    );
    println!(
        "{}",
        serde_json::to_string(&payloads).map_err(|e| fail(&e))?
    );
    Ok(super::EXIT_OK)
}
