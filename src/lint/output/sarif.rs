//! `--format sarif`: SARIF 2.1.0, as read by GitHub code scanning and other tools.
//!
//! The driver lists every rule of the registry, then an entry for each other code that appears
//! (ShellCheck's `SC` codes, `DL1000` parse errors). Columns are counted in Unicode code points
//! (`columnKind`), end columns are exclusive as SARIF defines them. Fixes are given as byte-range
//! replacements.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::{display_path, help_uri, repository_url};
use crate::lint::{registry, Category, FileReport, Finding, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "note",
    }
}

/// Percent-encodes a relative path into a URI reference (unreserved characters and `/` kept).
pub(crate) fn uri_of(path: &str) -> String {
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

fn rule_entry(
    id: &str,
    name: &str,
    summary: &str,
    severity: Severity,
    category: Category,
    is_rule: bool,
) -> Value {
    let mut rule = Map::new();
    rule.insert("id".into(), json!(id));
    rule.insert("name".into(), json!(name));
    rule.insert("shortDescription".into(), json!({ "text": summary }));
    rule.insert("fullDescription".into(), json!({ "text": summary }));
    if let Some(uri) = help_uri(id, is_rule) {
        rule.insert("helpUri".into(), json!(uri));
    }
    rule.insert(
        "defaultConfiguration".into(),
        json!({ "level": level(severity) }),
    );
    rule.insert(
        "properties".into(),
        json!({ "tags": [category.as_str()], "category": category.as_str() }),
    );
    Value::Object(rule)
}

/// An ad-hoc rule entry for a code that is not in the registry.
fn adhoc_rule(f: &Finding) -> Value {
    let summary = match f.category {
        Category::Shellcheck => format!("ShellCheck {}", f.code),
        Category::Syntax => "The Dockerfile does not parse".to_string(),
        _ => f.code.to_string(),
    };
    rule_entry(&f.code, &f.code, &summary, f.level, f.category, false)
}

fn result(f: &Finding, uri: &str, rule_index: usize) -> Value {
    let s = f.span;
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut res = json!({
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": level(f.level),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": {
                    "startLine": s.start.line.max(1),
                    "startColumn": s.start.column.max(1),
                    "endLine": s.end.line.max(s.start.line).max(1),
                    "endColumn": s.end.column.max(1),
                }
            }
        }],
        "properties": { "category": f.category.as_str(), "severity": f.level.as_str() },
    });
    if let Some(fix) = &f.fix {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .map(|e| {
                json!({
                    "deletedRegion": {
                        "byteOffset": e.start,
                        "byteLength": e.end.saturating_sub(e.start),
                    },
                    "insertedContent": { "text": e.replacement },
                })
            })
            .collect();
        res["fixes"] = json!([{
            "description": { "text": fix.description },
            "artifactChanges": [{
                "artifactLocation": { "uri": uri },
                "replacements": replacements,
            }],
        }]);
    }
    res
}

pub(super) fn write(reports: &[FileReport], w: &mut dyn Write) -> io::Result<()> {
    let mut rules = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in registry::all() {
        let m = &r.meta;
        index.entry(m.code.to_string()).or_insert(rules.len());
        rules.push(rule_entry(
            m.code, m.name, m.summary, m.severity, m.category, true,
        ));
    }
    let mut results = Vec::new();
    let mut artifacts: Vec<String> = Vec::new();
    for r in reports {
        let uri = uri_of(&display_path(&r.path));
        if !artifacts.contains(&uri) {
            artifacts.push(uri.clone());
        }
        for f in &r.findings {
            let i = match index.get(f.code.as_ref()) {
                Some(&i) => i,
                None => {
                    let i = rules.len();
                    rules.push(adhoc_rule(f));
                    index.insert(f.code.to_string(), i);
                    i
                }
            };
            results.push(result(f, &uri, i));
        }
    }
    let mut driver = Map::new();
    driver.insert("name".into(), json!("hoist"));
    if let Some(url) = repository_url() {
        driver.insert("informationUri".into(), json!(url));
    }
    driver.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    driver.insert("semanticVersion".into(), json!(env!("CARGO_PKG_VERSION")));
    driver.insert("rules".into(), Value::Array(rules));
    let artifacts: Vec<Value> = artifacts
        .iter()
        .map(|u| json!({ "location": { "uri": u } }))
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": Value::Object(driver) },
            "columnKind": "unicodeCodePoints",
            "artifacts": artifacts,
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::uri_of;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_of("a b/Dockerfile"), "a%20b/Dockerfile");
        assert_eq!(uri_of("é"), "%C3%A9");
    }
}
