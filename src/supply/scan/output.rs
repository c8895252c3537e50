//! Writing scan findings: `tty` (grouped by layer, for people), `json` (an array of findings
//! with `layer`, `layer_digest`, `path`, `rule`, `match`, `history`) and `sarif` (SARIF 2.1.0
//! with the conventions of `hoist lint --format sarif`: driver `hoist` with its version, one
//! rule entry per rule id, `%`-encoded artifact URIs). Every field is already redacted.

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::{Finding, Location, ScanReport};

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Tty,
    Json,
    Sarif,
}

/// Writes `report` in `format`; `subject` names what was scanned (a reference or directory).
pub fn write(
    report: &ScanReport,
    subject: &str,
    format: Format,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Tty => tty(report, subject, w),
        Format::Json => {
            let v: Vec<Value> = report.findings.iter().map(json_of).collect();
            serde_json::to_writer_pretty(&mut *w, &v)?;
            writeln!(w)
        }
        Format::Sarif => sarif(report, subject, w),
    }
}

/// One finding as hoist's JSON object.
pub fn json_of(f: &Finding) -> Value {
    let mut v = json!({
        "layer": f.layer_index(),
        "layer_digest": f.layer_digest().map(|d| d.to_string()),
        "path": f.path,
        "rule": f.rule,
        "description": f.description,
        "match": f.matched,
        "history": f.history(),
    });
    if let Location::Layer { deleted_later, .. } = &f.location {
        v["deleted_later"] = json!(deleted_later);
    }
    v
}

fn short(d: &str) -> &str {
    d.get(..19).unwrap_or(d)
}

fn tty(report: &ScanReport, subject: &str, w: &mut dyn Write) -> io::Result<()> {
    let mut last: Option<String> = None;
    for f in &report.findings {
        let group = match (&f.location, f.layer_index(), f.layer_digest()) {
            (Location::Dir, ..) => subject.to_string(),
            (Location::Config { .. }, ..) => "config".to_string(),
            (_, Some(i), Some(d)) => format!("layer {i} ({})", short(&d.to_string())),
            _ => "layer".to_string(),
        };
        if last.as_deref() != Some(group.as_str()) {
            if last.is_some() {
                writeln!(w)?;
            }
            writeln!(w, "{group}")?;
            if let (
                Location::Layer {
                    history: Some(h), ..
                },
                _,
            ) = (&f.location, ())
            {
                writeln!(w, "  added by: {h}")?;
            }
            last = Some(group);
        }
        let mut line = format!("  {}: {} [{}] {}", f.path, f.description, f.rule, f.matched);
        if let Location::Layer {
            deleted_later: true,
            ..
        } = f.location
        {
            line.push_str(" (deleted by a later layer, still shipped)");
        }
        if let Location::Config {
            history: Some(h),
            layer,
            ..
        } = &f.location
        {
            line.push_str(&format!("\n    in: {h}"));
            if let Some((i, _)) = layer {
                line.push_str(&format!(" (layer {i})"));
            }
        }
        writeln!(w, "{line}")?;
    }
    if !report.findings.is_empty() {
        writeln!(w)?;
    }
    let mut summary = format!(
        "{} secret{} found in {subject} ({} files, {} layers, {:.1} MB read",
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" },
        report.files,
        report.layers,
        report.bytes as f64 / 1e6,
    );
    if report.allowed > 0 {
        summary.push_str(&format!("; {} allowed by the allow-list", report.allowed));
    }
    if report.dropped > 0 {
        summary.push_str(&format!("; {} more not listed", report.dropped));
    }
    summary.push(')');
    writeln!(w, "{summary}")
}

/// Percent-encodes a path into a URI reference (unreserved characters and `/` kept).
fn uri_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn sarif(report: &ScanReport, subject: &str, w: &mut dyn Write) -> io::Result<()> {
    let mut rules: Vec<Value> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    let mut results = Vec::new();
    let mut artifacts: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in &report.findings {
        let uri = uri_of(&f.path);
        if seen.insert(uri.clone()) {
            artifacts.push(uri.clone());
        }
        let index = match ids.iter().position(|r| *r == f.rule) {
            Some(i) => i,
            None => {
                ids.push(&f.rule);
                rules.push(json!({
                    "id": f.rule,
                    "name": f.rule,
                    "shortDescription": { "text": f.description },
                    "fullDescription": { "text": f.description },
                    "defaultConfiguration": { "level": "error" },
                    "properties": { "tags": ["secrets"], "category": "secrets" },
                }));
                ids.len() - 1
            }
        };
        let mut text = format!("{}: {}", f.description, f.matched);
        if let (Some(i), Some(d)) = (f.layer_index(), f.layer_digest()) {
            text.push_str(&format!(" (layer {i}, {d})"));
        }
        results.push(json!({
            "ruleId": f.rule,
            "ruleIndex": index,
            "level": "error",
            "message": { "text": text },
            "locations": [{
                "physicalLocation": { "artifactLocation": { "uri": uri } },
            }],
            "properties": {
                "category": "secrets",
                "subject": subject,
                "layer": f.layer_index(),
                "layer_digest": f.layer_digest().map(|d| d.to_string()),
                "history": f.history(),
                "match": f.matched,
            },
        }));
    }
    let mut driver = Map::new();
    driver.insert("name".into(), json!("hoist"));
    let repo = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    if !repo.is_empty() {
        driver.insert("informationUri".into(), json!(repo));
    }
    driver.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    driver.insert("semanticVersion".into(), json!(env!("CARGO_PKG_VERSION")));
    driver.insert("rules".into(), Value::Array(rules));
    let doc = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": Value::Object(driver) },
            "artifacts": artifacts
                .iter()
                .map(|u| json!({ "location": { "uri": u } }))
                .collect::<Vec<_>>(),
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
