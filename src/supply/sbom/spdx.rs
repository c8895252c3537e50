//! SPDX 2.3 JSON: one root package for the subject (the image or directory) that the document
//! DESCRIBES and that CONTAINS every package found; purls as `PACKAGE-MANAGER` external
//! references; declared licenses as SPDX expressions, with names that are not SPDX IDs
//! declared as `LicenseRef-…` in `hasExtractedLicensingInfos`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::document::DocMeta;
use super::license;
use super::model::{Package, Sbom};

fn spdx_id_part(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        "x".into()
    } else {
        out
    }
}

/// License refs made for non-SPDX names: raw text → LicenseRef id.
#[derive(Default)]
struct Refs {
    by_text: BTreeMap<String, String>,
    used: BTreeMap<String, String>,
}

impl Refs {
    fn id_for(&mut self, text: &str) -> String {
        if let Some(id) = self.by_text.get(text) {
            return id.clone();
        }
        let base = format!("LicenseRef-{}", spdx_id_part(text));
        let mut id = base.clone();
        let mut n = 2;
        while self.used.contains_key(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.used.insert(id.clone(), text.to_string());
        self.by_text.insert(text.to_string(), id.clone());
        id
    }

    fn declared(&mut self, licenses: &[String]) -> String {
        let parts: Vec<String> = licenses
            .iter()
            .map(|l| match license::to_spdx(l) {
                Some(e) if licenses.len() > 1 && (e.contains(" OR ") || e.contains(" AND ")) => {
                    format!("({e})")
                }
                Some(e) => e,
                None => self.id_for(l),
            })
            .collect();
        if parts.is_empty() {
            "NOASSERTION".into()
        } else {
            parts.join(" AND ")
        }
    }
}

/// `Name <mail>` → `Person: Name (mail)`, as SPDX wants actors.
fn supplier(s: &str) -> String {
    let clean = |t: &str| t.replace(['(', ')'], "").trim().to_string();
    match s.split_once('<') {
        Some((name, rest)) => {
            let mail = rest.split('>').next().unwrap_or("").trim();
            let name = clean(name);
            if mail.is_empty() {
                format!("Person: {name}")
            } else {
                format!("Person: {name} ({})", clean(mail))
            }
        }
        None => format!("Person: {}", clean(s)),
    }
}

fn package_json(p: &Package, id: &str, refs: &mut Refs) -> Value {
    let mut v = json!({
        "SPDXID": id,
        "name": p.name,
        "versionInfo": p.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": refs.declared(&p.licenses),
        "copyrightText": "NOASSERTION",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": p.purl,
        }],
    });
    let mut info = format!("{} package found in {}", p.ecosystem.as_str(), p.found_in);
    if let Some(d) = &p.layer_digest {
        info.push_str(&format!(" (layer {d})"));
    }
    v["sourceInfo"] = json!(info);
    if let Some(s) = p.supplier.as_deref().filter(|s| !s.trim().is_empty()) {
        v["supplier"] = json!(supplier(s));
    }
    if p.ecosystem.is_os() {
        v["primaryPackagePurpose"] = json!("INSTALL");
    } else {
        v["primaryPackagePurpose"] = json!("LIBRARY");
    }
    v
}

/// Renders `sbom` as an SPDX 2.3 JSON document.
pub fn render(sbom: &Sbom, meta: &DocMeta) -> Value {
    let mut refs = Refs::default();
    let root_id = "SPDXRef-DocumentRoot";
    let mut root = json!({
        "SPDXID": root_id,
        "name": sbom.subject.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    });
    if let Some(d) = &sbom.subject.digest {
        root["versionInfo"] = json!(d);
        root["primaryPackagePurpose"] = json!("CONTAINER");
        if let Some(hex) = d.strip_prefix("sha256:") {
            root["checksums"] = json!([{"algorithm": "SHA256", "checksumValue": hex}]);
        }
    } else {
        root["primaryPackagePurpose"] = json!("FILE");
    }
    let mut packages = vec![root];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": root_id,
    })];
    for (i, p) in sbom.packages.iter().enumerate() {
        let id = format!(
            "SPDXRef-Package-{}-{}-{i}",
            p.ecosystem.as_str(),
            spdx_id_part(&p.name)
        );
        packages.push(package_json(p, &id, &mut refs));
        relationships.push(json!({
            "spdxElementId": root_id,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let name_part: String = spdx_id_part(&sbom.subject.name);
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": sbom.subject.name,
        "documentNamespace": format!("https://hoist.invalid/spdx/{name_part}-{}", meta.uuid),
        "creationInfo": {
            "created": meta.created,
            "creators": [format!("Tool: {}", meta.tool)],
        },
        "packages": packages,
        "relationships": relationships,
    });
    if !refs.used.is_empty() {
        let infos: Vec<Value> = refs
            .used
            .iter()
            .map(|(id, text)| {
                json!({
                    "licenseId": id,
                    "name": text,
                    "extractedText": text,
                })
            })
            .collect();
        doc["hasExtractedLicensingInfos"] = json!(infos);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_licenses() {
        let mut r = Refs::default();
        assert_eq!(
            r.declared(&["GPL-2+".into(), "MIT OR Apache-2.0".into()]),
            "GPL-2.0-or-later AND (MIT OR Apache-2.0)"
        );
        assert_eq!(
            r.declared(&["public domain".into()]),
            "LicenseRef-public-domain"
        );
        assert_eq!(
            r.declared(&["public_domain".into()]),
            "LicenseRef-public-domain-2"
        );
        assert_eq!(r.declared(&[]), "NOASSERTION");
    }

    #[test]
    fn suppliers() {
        assert_eq!(
            supplier("GNU Libc Maintainers <debian-glibc@lists.debian.org>"),
            "Person: GNU Libc Maintainers (debian-glibc@lists.debian.org)"
        );
        assert_eq!(supplier("Jane (x)"), "Person: Jane x");
    }
}
