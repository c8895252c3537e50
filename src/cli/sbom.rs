//! `hoist sbom REF`: the software bill of materials of an image (any reference the image
//! commands accept) or of a root filesystem directory (`dir:PATH`), as SPDX 2.3 JSON,
//! CycloneDX 1.6/1.5 JSON, hoist's own JSON or a table.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::image_common::{open_source, parse_ref, CommonArgs};
use hoist::oci::store::Store;
use hoist::supply::sbom::cyclonedx::SpecVersion;
use hoist::supply::sbom::document::DocMeta;
use hoist::supply::sbom::{self, image, DirTree, Sbom, Subject};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormat {
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// CycloneDX JSON of a spec version.
    CycloneDx(SpecVersion),
    /// Aligned columns for humans.
    Table,
    /// hoist's own JSON model.
    Json,
}

fn parse_format(s: &str) -> Result<SbomFormat, String> {
    match s {
        "spdx-json" | "spdx-json@2.3" => Ok(SbomFormat::SpdxJson),
        "cyclonedx-json" | "cyclonedx-json@1.6" => Ok(SbomFormat::CycloneDx(SpecVersion::V1_6)),
        "cyclonedx-json@1.5" => Ok(SbomFormat::CycloneDx(SpecVersion::V1_5)),
        "table" => Ok(SbomFormat::Table),
        "json" => Ok(SbomFormat::Json),
        _ => Err(format!(
            "unknown format {s:?}: use spdx-json, cyclonedx-json, cyclonedx-json@1.5, table or json"
        )),
    }
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist sbom docker://debian:12\n  hoist sbom --format spdx-json -o sbom.spdx.json oci:./layout:v1\n  hoist sbom --format cyclonedx-json@1.5 dir:./rootfs\n\nSOURCE_DATE_EPOCH, when set, is the document creation time (reproducible output)."
)]
pub struct SbomArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format: spdx-json, cyclonedx-json (1.6), cyclonedx-json@1.5, table, json
    /// [default: table on a terminal, json otherwise]
    #[arg(long, short = 'f', value_parser = parse_format, value_name = "FORMAT")]
    pub format: Option<SbomFormat>,
    /// Write the document to FILE instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Image reference, or dir:PATH for a root filesystem directory
    pub reference: String,
}

pub fn run(a: SbomArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn failed(msg: &str, hint: Option<&str>) -> i32 {
    super::report_error(msg, hint);
    super::EXIT_FINDINGS
}

fn inner(a: &SbomArgs) -> Result<i32, i32> {
    let platform = a.common.platform()?;
    let (sbom, warnings) = if let Some(dir) = a.reference.strip_prefix("dir:") {
        let path = PathBuf::from(dir);
        if !path.is_dir() {
            super::report_error(
                &format!("{dir}: not a directory"),
                Some("dir: takes the path of a root filesystem directory"),
            );
            return Err(super::EXIT_USAGE);
        }
        let tree = DirTree::new(&path);
        let subject = Subject {
            name: a.reference.clone(),
            digest: None,
            layers: Vec::new(),
        };
        sbom::generate(&tree, subject).map_err(|e| failed(&e.to_string(), None))?
    } else {
        let r = parse_ref(&a.reference, "image")?;
        let store = Store::open_default().map_err(|e| {
            failed(
                &format!("cannot open the content store: {e}"),
                Some("set HOIST_HOME to a writable directory"),
            )
        })?;
        let mut src = open_source(&r, &a.common).map_err(|e| failed(&e.to_string(), e.hint()))?;
        let loaded = image::load(src.as_mut(), platform.as_ref(), &store)
            .map_err(|e| failed(&e.to_string(), None))?;
        let subject = Subject {
            name: a.reference.clone(),
            digest: Some(loaded.manifest_digest.to_string()),
            layers: loaded.diff_ids.iter().map(|d| d.to_string()).collect(),
        };
        let tree = loaded.tree();
        sbom::generate(&tree, subject).map_err(|e| failed(&e.to_string(), None))?
    };
    if !a.common.quiet {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    let format = a.format.unwrap_or_else(|| {
        if a.output.is_none() && std::io::stdout().is_terminal() {
            SbomFormat::Table
        } else {
            SbomFormat::Json
        }
    });
    let text = render(&sbom, format)?;
    match &a.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| failed(&format!("cannot write {}: {e}", path.display()), None))?,
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(failed(&format!("cannot write to stdout: {e}"), None));
                }
            }
        }
    }
    Ok(super::EXIT_OK)
}

fn render(sbom: &Sbom, format: SbomFormat) -> Result<String, i32> {
    let meta = || {
        DocMeta::new(sbom).map_err(|e| {
            super::report_error(&e.to_string(), None);
            super::EXIT_USAGE
        })
    };
    let json = |v: serde_json::Value| {
        serde_json::to_string_pretty(&v)
            .map(|s| s + "\n")
            .map_err(|e| failed(&format!("cannot encode the document: {e}"), None))
    };
    match format {
        SbomFormat::Table => Ok(sbom::table::render(sbom)),
        SbomFormat::Json => serde_json::to_value(sbom)
            .map_err(|e| failed(&format!("cannot encode the document: {e}"), None))
            .and_then(json),
        SbomFormat::SpdxJson => json(sbom::spdx::render(sbom, &meta()?)),
        SbomFormat::CycloneDx(v) => json(sbom::cyclonedx::render(sbom, &meta()?, v)),
    }
}
