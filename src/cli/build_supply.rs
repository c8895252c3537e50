//! The supply-chain flags of `hoist build` (`--scan`, `--sbom`, `--provenance`, `--sign
//! --key`): parsed and checked before the build, run after it through
//! `hoist::supply::pipeline` in the order scan → attest → (outputs) → sign.

use std::path::{Path, PathBuf};

use clap::Args;

use hoist::build::output::BuildResult;
use hoist::build::outputs::{Output, Written};
use hoist::build::BuildOptions;
use hoist::dockerfile::scope::Platform;
use hoist::oci::Store;
use hoist::supply::pipeline::{self, AttestRequest, BuildRun, PlatformStatements, SignTarget};
use hoist::supply::provenance::{self, Mode};
use hoist::supply::scan::output::{self as scan_output, Format};
use hoist::supply::scan::{AllowList, ScanOptions};
use hoist::supply::sign::{SignOptions, SigningKey};

use super::key::load_signing_key;
use super::{report_error, EXIT_FINDINGS, EXIT_USAGE};

/// The supply-chain flags (flattened into `hoist build`).
#[derive(Args, Debug, Default)]
pub struct SupplyArgs {
    /// Attach SLSA v1 provenance (buildx's forms: `--provenance`, `--provenance=true|false`,
    /// `--provenance=mode=min|max`; min: build-arg names only, max: their values and the
    /// secret/SSH ids — never secret values)
    #[arg(long, value_name = "true|false|mode=min|max", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub provenance: Option<String>,
    /// Attach an SPDX 2.3 SBOM of each platform image (`--sbom`, `--sbom=true|false`)
    #[arg(long, value_name = "true|false", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub sbom: Option<String>,
    /// Scan the built image for secrets before anything is tagged, written or pushed; a
    /// finding fails the build (allow-list: `[scan]` in .hoist.toml, found from the context
    /// directory upwards)
    #[arg(long)]
    pub scan: bool,
    /// Sign what was pushed (or written to an OCI layout): the index and each platform
    /// manifest, plus the SBOM/provenance as cosign attestations; needs --key
    #[arg(long, requires = "key")]
    pub sign: bool,
    /// Private key for --sign (cosign.key format; password from COSIGN_PASSWORD)
    #[arg(long, value_name = "FILE", requires = "sign")]
    pub key: Option<PathBuf>,
}

/// What the flags asked for, checked.
pub struct Supply {
    sbom: bool,
    provenance: Option<Mode>,
    scan: Option<ScanOptions>,
    key: Option<SigningKey>,
}

fn usage(msg: &str, hint: Option<&str>) -> i32 {
    report_error(msg, hint);
    EXIT_USAGE
}

fn failed(e: &dyn std::fmt::Display) -> i32 {
    report_error(&e.to_string(), None);
    EXIT_FINDINGS
}

fn bool_flag(name: &str, v: Option<&str>) -> Result<bool, i32> {
    match v {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(usage(
            &format!("--{name}={other}: expected true or false"),
            None,
        )),
    }
}

impl Supply {
    /// Check the flags (and load the key, so a wrong password fails before building).
    pub fn from_args(a: &SupplyArgs, context: &Path, outputs: &[Output]) -> Result<Supply, i32> {
        let provenance = match a.provenance.as_deref() {
            Some(v) => provenance::parse_flag(v).map_err(|e| usage(&e, None))?,
            None => None,
        };
        if let Some(v) = a.sbom.as_deref().filter(|v| v.starts_with("generator=")) {
            return Err(usage(
                &format!(
                    "--sbom={v}: hoist makes the SBOM with its own catalogers and runs no scanner \
                     image; use --sbom (or --sbom=true)"
                ),
                None,
            ));
        }
        let sbom = bool_flag("sbom", a.sbom.as_deref())?;
        let scan = if a.scan {
            let start = std::fs::canonicalize(context).unwrap_or_else(|_| context.to_path_buf());
            let allow = AllowList::discover(&start).map_err(|e| usage(&e.to_string(), None))?;
            Some(ScanOptions {
                allow,
                ..ScanOptions::default()
            })
        } else {
            None
        };
        let key = match (&a.key, a.sign) {
            (Some(k), true) => {
                let signable = outputs
                    .iter()
                    .any(|o| matches!(o, Output::Image { push: true, .. } | Output::OciLayout(_)));
                if !signable {
                    return Err(usage(
                        "--sign signs where the image is written: give --push or -o type=oci,dest=DIR",
                        Some("the local store and archives keep no signatures"),
                    ));
                }
                Some(load_signing_key(k)?)
            }
            _ => None,
        };
        Ok(Supply {
            sbom,
            provenance,
            scan,
            key,
        })
    }

    /// Whether statements are attached (the result becomes an index).
    pub fn attests(&self) -> bool {
        self.sbom || self.provenance.is_some()
    }

    /// `--scan`: exit 1 with the findings (redacted) on stderr when the image has a secret.
    pub fn scan(&self, store: &Store, result: &BuildResult) -> Result<(), i32> {
        let Some(opts) = &self.scan else {
            return Ok(());
        };
        let dirty = pipeline::scan_built(store, &result.digest, opts).map_err(|e| failed(&e))?;
        if dirty.is_empty() {
            return Ok(());
        }
        let mut err = std::io::stderr().lock();
        for (img, report) in &dirty {
            let subject = format!("{} ({})", img.digest, img.platform);
            // A failed write to stderr leaves nothing better to do than the exit status.
            let _ = scan_output::write(report, &subject, Format::Tty, &mut err);
        }
        drop(err);
        report_error(
            "the built image contains secrets: nothing was tagged, written or pushed",
            Some("remove the secret from the build (use --secret), or allow-list it in .hoist.toml [scan]"),
        );
        Err(EXIT_FINDINGS)
    }

    /// `--sbom` / `--provenance`: attach the statements; returns the index and, per
    /// platform, what was attached.
    pub fn attest(
        &self,
        store: &Store,
        result: &BuildResult,
        opts: &BuildOptions,
        platforms: &[Platform],
        started: i64,
        quiet: bool,
    ) -> Result<(BuildResult, Vec<PlatformStatements>), i32> {
        if !self.attests() {
            let imgs = hoist::supply::attach::platform_images(store, &result.digest)
                .map_err(|e| failed(&e))?;
            let platforms = imgs
                .into_iter()
                .map(|image| PlatformStatements {
                    image,
                    statements: Vec::new(),
                })
                .collect();
            return Ok((result.clone(), platforms));
        }
        let run = BuildRun {
            opts: opts.clone(),
            platforms: platforms.to_vec(),
            started,
        };
        let req = AttestRequest {
            sbom: self.sbom,
            provenance: self.provenance,
            names: opts.tags.clone(),
        };
        let att = pipeline::attest_built(store, result, &run, &req).map_err(|e| failed(&e))?;
        if !quiet {
            for w in &att.warnings {
                eprintln!("warning: sbom: {w}");
            }
        }
        Ok((att.result, att.platforms))
    }

    /// `--sign`: sign and attest at every place the image was written.
    pub fn sign(
        &self,
        written: &[(Output, Written)],
        result: &BuildResult,
        platforms: &[PlatformStatements],
        remote: &hoist::copy::RemoteOptions,
        quiet: bool,
    ) -> Result<(), i32> {
        let Some(key) = &self.key else {
            return Ok(());
        };
        let mut targets = Vec::new();
        for (o, w) in written {
            match (o, w) {
                (_, Written::Pushed(refs)) => targets.extend(pipeline::registry_targets(refs)),
                (Output::OciLayout(dir), _) => targets.push(SignTarget::Layout(dir.clone())),
                _ => {}
            }
        }
        for t in &targets {
            let done =
                pipeline::sign_written(t, remote, key, result, platforms, &SignOptions::default())
                    .map_err(|e| failed(&e))?;
            if !quiet {
                for s in done {
                    eprintln!("signed {} {}: {}", s.target, s.digest, s.what);
                }
            }
        }
        Ok(())
    }
}
