//! `hoist scan REF`: find secrets in an image's layers and config (or in a directory with
//! `dir:PATH`). The image is copied into the content store (blobs already there are not fetched
//! again) and its layers read from there. Exit 1 when a secret is found, 0 when clean, 2 on
//! bad usage or an image that cannot be read — so it gates CI like `hoist lint`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::image_common::{parse_ref, CliProgress, CommonArgs};
use hoist::copy::pull_image;
use hoist::oci::store::Store;
use hoist::supply::scan::output::{self, Format};
use hoist::supply::scan::{scan_dir, scan_image, AllowList, ScanOptions};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Findings grouped by layer, for people
    Tty,
    /// An array of findings (layer, layer_digest, path, rule, match, history)
    Json,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Findings never show a secret, only its first characters and length.\n\
Allow-list findings in .hoist.toml (nearest from the current directory upwards):\n  [scan]\n  allow-paths = [\"usr/share/doc/**\"]\n  allow-rules = [\"jwt\"]\n\n\
Exit status: 0 clean, 1 secrets found, 2 bad usage or unreadable image.\n\n\
Examples:\n  hoist scan alpine:3.20\n  hoist scan --format sarif oci:./layout:v1 > scan.sarif\n  hoist scan dir:./rootfs"
)]
pub struct ScanArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "tty")]
    pub format: FormatArg,
    /// Read the allow-list from this file instead of discovering `.hoist.toml`
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Content store directory (default: $HOIST_HOME or ~/.local/share/hoist)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Image reference (registry, oci:, oci-archive:, docker-archive:) or dir:PATH
    pub image: String,
}

pub fn run(a: ScanArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn unreadable(msg: &str, hint: Option<&str>) -> i32 {
    super::report_error(msg, hint);
    super::EXIT_USAGE
}

fn allow_list(a: &ScanArgs, start: &Path) -> Result<AllowList, i32> {
    let r = match &a.config {
        Some(f) => AllowList::load(f),
        None => AllowList::discover(start),
    };
    r.map_err(|e| unreadable(&e.to_string(), None))
}

fn inner(a: &ScanArgs) -> Result<i32, i32> {
    let platform = a.common.platform()?;
    let format = match a.format {
        FormatArg::Tty => Format::Tty,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let (report, subject) = if let Some(dir) = a.image.strip_prefix("dir:") {
        let dir = Path::new(dir);
        if !dir.is_dir() {
            return Err(unreadable(
                &format!("dir:{}: not a directory", dir.display()),
                None,
            ));
        }
        let abs = cwd.join(dir);
        let opts = ScanOptions {
            allow: allow_list(a, &abs)?,
            ..ScanOptions::default()
        };
        let report = scan_dir(dir, &opts).map_err(|e| unreadable(&e.to_string(), None))?;
        (report, a.image.clone())
    } else {
        let r = parse_ref(&a.image, "image")?;
        let opts = ScanOptions {
            allow: allow_list(a, &cwd)?,
            ..ScanOptions::default()
        };
        let store = match &a.store {
            Some(d) => Store::open(d.clone()),
            None => Store::open_default(),
        }
        .map_err(|e| {
            unreadable(
                &e.to_string(),
                Some("set HOIST_HOME or --store to a writable directory"),
            )
        })?;
        let progress = CliProgress::new(a.common.quiet);
        let pulled = pull_image(
            &r,
            &a.common.remote(),
            &store,
            platform.as_ref(),
            None,
            &progress,
        )
        .map_err(|e| unreadable(&e.to_string(), e.hint()))?;
        let report = scan_image(&store, &pulled, &opts).map_err(|e| {
            unreadable(
                &format!("{r}: {e}"),
                Some("the image cannot be scanned completely, so it is not reported clean"),
            )
        })?;
        (report, r.to_string())
    };
    let mut out = std::io::stdout().lock();
    output::write(&report, &subject, format, &mut out)
        .and_then(|()| out.flush())
        .map_err(|e| unreadable(&format!("cannot write output: {e}"), None))?;
    Ok(if report.findings.is_empty() && report.dropped == 0 {
        super::EXIT_OK
    } else {
        super::EXIT_FINDINGS
    })
}
