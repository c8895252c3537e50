//! CycloneDX JSON, spec 1.6 (default) or 1.5: the subject is `metadata.component` (a
//! `container` for images, a `file` for directories), every package a `library` component
//! with its purl, licenses (SPDX IDs, one expression, or names) and `hoist:*` properties for
//! where it was found; the distro an `operating-system` component; `dependencies` says the
//! subject holds them all.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::document::DocMeta;
use super::license;
use super::model::{Package, Sbom};

/// CycloneDX spec versions hoist writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecVersion {
    /// 1.5
    V1_5,
    /// 1.6
    V1_6,
}

impl SpecVersion {
    fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_5 => "1.5",
            SpecVersion::V1_6 => "1.6",
        }
    }
}

fn licenses(p: &Package) -> Option<Value> {
    if p.licenses.is_empty() {
        return None;
    }
    let mapped: Vec<(Option<String>, &String)> = p
        .licenses
        .iter()
        .map(|l| (license::to_spdx(l), l))
        .collect();
    let all_ids = mapped
        .iter()
        .all(|(m, _)| m.as_deref().is_some_and(license::is_license_id));
    if !all_ids && mapped.len() == 1 {
        if let (Some(e), _) = &mapped[0] {
            return Some(json!([{ "expression": e }]));
        }
    }
    let list: Vec<Value> = mapped
        .iter()
        .map(|(m, raw)| match m {
            Some(id) if license::is_license_id(id) => json!({"license": {"id": id}}),
            _ => json!({"license": {"name": raw}}),
        })
        .collect();
    Some(Value::Array(list))
}

fn component(p: &Package, bom_ref: &str) -> Value {
    let mut c = json!({
        "bom-ref": bom_ref,
        "type": "library",
        "name": p.name,
        "version": p.version,
        "purl": p.purl,
    });
    if let Some(l) = licenses(p) {
        c["licenses"] = l;
    }
    if let Some(s) = p.supplier.as_deref().filter(|s| !s.trim().is_empty()) {
        c["publisher"] = json!(s);
    }
    let mut props = vec![
        json!({"name": "hoist:package:type", "value": p.ecosystem.as_str()}),
        json!({"name": "hoist:location", "value": p.found_in}),
    ];
    if let Some(l) = p.layer {
        props.push(json!({"name": "hoist:layer:index", "value": l.to_string()}));
    }
    if let Some(d) = &p.layer_digest {
        props.push(json!({"name": "hoist:layer:digest", "value": d}));
    }
    if let Some(a) = &p.arch {
        props.push(json!({"name": "hoist:arch", "value": a}));
    }
    if let Some(s) = &p.source {
        props.push(json!({"name": "hoist:source", "value": s}));
    }
    c["properties"] = Value::Array(props);
    c
}

/// Renders `sbom` as a CycloneDX JSON document of the given spec version.
pub fn render(sbom: &Sbom, meta: &DocMeta, version: SpecVersion) -> Value {
    let mut purl_count: HashMap<&str, usize> = HashMap::new();
    for p in &sbom.packages {
        *purl_count.entry(p.purl.as_str()).or_default() += 1;
    }
    let mut components = Vec::new();
    let mut refs = Vec::new();
    for (i, p) in sbom.packages.iter().enumerate() {
        let r = if purl_count.get(p.purl.as_str()) == Some(&1) {
            p.purl.clone()
        } else {
            format!("{}#{i}", p.purl)
        };
        components.push(component(p, &r));
        refs.push(r);
    }
    if let Some(d) = &sbom.distro {
        let mut os = json!({
            "bom-ref": format!("os:{}", d.qualifier()),
            "type": "operating-system",
            "name": d.id,
        });
        if let Some(v) = &d.version_id {
            os["version"] = json!(v);
        }
        if let Some(pn) = &d.pretty_name {
            os["description"] = json!(pn);
        }
        refs.push(format!("os:{}", d.qualifier()));
        components.push(os);
    }
    let root_ref = "subject";
    let mut root = json!({
        "bom-ref": root_ref,
        "type": if sbom.subject.digest.is_some() { "container" } else { "file" },
        "name": sbom.subject.name,
    });
    if let Some(d) = &sbom.subject.digest {
        root["version"] = json!(d);
        if let Some(hex) = d.strip_prefix("sha256:") {
            root["hashes"] = json!([{"alg": "SHA-256", "content": hex}]);
        }
    }
    // 1.5 and 1.6 both take tools as an object of components.
    let tools = json!({
        "components": [{
            "type": "application",
            "name": "hoist",
            "version": env!("CARGO_PKG_VERSION"),
        }]
    });
    let schema = format!(
        "http://cyclonedx.org/schema/bom-{}.schema.json",
        version.as_str()
    );
    json!({
        "$schema": schema,
        "bomFormat": "CycloneDX",
        "specVersion": version.as_str(),
        "serialNumber": format!("urn:uuid:{}", meta.uuid),
        "version": 1,
        "metadata": {
            "timestamp": meta.created,
            "tools": tools,
            "component": root,
        },
        "components": components,
        "dependencies": [{"ref": root_ref, "dependsOn": refs}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supply::sbom::model::Ecosystem;

    fn pkg(lic: &[&str]) -> Package {
        let mut p = Package::new(Ecosystem::Npm, "a", "1", "pkg:npm/a@1".into(), "/x");
        p.licenses = lic.iter().map(|s| s.to_string()).collect();
        p
    }

    #[test]
    fn license_shapes() {
        assert_eq!(
            licenses(&pkg(&["MIT"])),
            Some(json!([{"license": {"id": "MIT"}}]))
        );
        assert_eq!(
            licenses(&pkg(&["MIT OR Apache-2.0"])),
            Some(json!([{"expression": "MIT OR Apache-2.0"}]))
        );
        assert_eq!(
            licenses(&pkg(&["MIT", "Foo"])),
            Some(json!([{"license": {"id": "MIT"}}, {"license": {"name": "Foo"}}]))
        );
        assert_eq!(licenses(&pkg(&[])), None);
    }
}
