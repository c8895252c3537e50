//! `hoist attest --key K --predicate F --type T REF`: sign an in-toto statement about the image
//! (DSSE envelope) and store it in the `sha256-<hex>.att` manifest, as cosign does;
//! `hoist verify-attestation --key K [--type T] REF` prints the statements that verify.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use super::image_common::parse_ref;
use super::key::{fail, load_signing_key, load_verifying_key};
use hoist::supply::sign::dsse::{predicate_type_uri, MAX_ENVELOPE};
use hoist::supply::sign::{attest_image, verify_attestations, AttestOptions};

const TYPES_HELP: &str = "spdx, spdxjson, cyclonedx, slsaprovenance, slsaprovenance02, slsaprovenance1, link, vuln, openvex, custom, or a predicate type URI";

#[derive(Args, Debug)]
#[command(
    after_help = "The key password is read from COSIGN_PASSWORD, or prompted for on a terminal.\n\nExamples:\n  hoist attest --key cosign.key --predicate sbom.spdx.json --type spdxjson localhost:5000/app:v1\n  hoist attest --key cosign.key --predicate prov.json --type https://slsa.dev/provenance/v1 oci:./layout:v1"
)]
pub struct AttestArgs {
    /// Private key file (cosign.key format)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The predicate document (JSON)
    #[arg(long, value_name = "FILE")]
    pub predicate: PathBuf,
    /// Predicate type: spdx, spdxjson, cyclonedx, slsaprovenance, slsaprovenance1, link, vuln,
    /// openvex, custom, or a URI
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub predicate_type: String,
    /// Store the attestation as an OCI 1.1 referrer of the image (on registries without the
    /// referrers API: under the fallback tag `sha256-<hex>`) instead of the `.att` tag
    #[arg(long = "registry-referrers")]
    pub registry_referrers: bool,
    /// Reach this registry over plain HTTP (repeatable; loopback registries always are)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Image to attest: registry reference or oci:DIR[:TAG]
    pub image: String,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist verify-attestation --key cosign.pub --type spdxjson localhost:5000/app:v1"
)]
pub struct VerifyAttestationArgs {
    /// Public key file (PEM)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Only attestations of this predicate type (same names as `hoist attest --type`; default:
    /// any)
    #[arg(long = "type", value_name = "TYPE")]
    pub predicate_type: Option<String>,
    /// Reach this registry over plain HTTP (repeatable; loopback registries always are)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Image whose attestations to verify: registry reference or oci:DIR[:TAG]
    pub image: String,
}

fn type_uri(name: &str) -> Result<String, i32> {
    predicate_type_uri(name).map_err(|e| {
        super::report_error(&e.to_string(), Some(TYPES_HELP));
        super::EXIT_USAGE
    })
}

pub fn run(a: AttestArgs) -> i32 {
    match attest(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn attest(a: &AttestArgs) -> Result<i32, i32> {
    let image = parse_ref(&a.image, "image")?;
    let predicate_type = type_uri(&a.predicate_type)?;
    let mut bytes = Vec::new();
    std::fs::File::open(&a.predicate)
        .and_then(|f| f.take(MAX_ENVELOPE + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            super::report_error(
                &format!("cannot read predicate {}: {e}", a.predicate.display()),
                None,
            );
            super::EXIT_USAGE
        })?;
    if bytes.len() as u64 > MAX_ENVELOPE {
        return Err(fail(&format!(
            "{}: larger than {MAX_ENVELOPE} bytes",
            a.predicate.display()
        )));
    }
    let predicate: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        fail(&format!(
            "{}: the predicate is not JSON: {e}",
            a.predicate.display()
        ))
    })?;
    let key = load_signing_key(&a.key)?;
    let remote = super::network::NetworkArgs::from_env().remote(&a.insecure_registry);
    let opts = AttestOptions {
        predicate_type,
        predicate,
        registry_referrers: a.registry_referrers,
    };
    let report = attest_image(&image, &remote, &key, &opts).map_err(|e| fail(&e))?;
    eprintln!(
        "attested {} ({}): {} {}",
        a.image, report.image, report.location, report.manifest
    );
    println!("{}", report.image);
    Ok(super::EXIT_OK)
}

pub fn run_verify(a: VerifyAttestationArgs) -> i32 {
    match verify(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn verify(a: &VerifyAttestationArgs) -> Result<i32, i32> {
    let image = parse_ref(&a.image, "image")?;
    let predicate_type = a.predicate_type.as_deref().map(type_uri).transpose()?;
    let key = load_verifying_key(&a.key)?;
    let remote = super::network::NetworkArgs::from_env().remote(&a.insecure_registry);
    let verified = verify_attestations(&image, &remote, &key, predicate_type.as_deref())
        .map_err(|e| fail(&e))?;
    let statements: Vec<_> = verified.iter().map(|v| &v.statement).collect();
    eprintln!("verified {} attestation(s) on {}", verified.len(), a.image);
    println!(
        "{}",
        serde_json::to_string(&statements).map_err(|e| fail(&e))?
    );
    Ok(super::EXIT_OK)
}
