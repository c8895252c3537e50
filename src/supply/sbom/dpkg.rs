//! dpkg cataloger: `/var/lib/dpkg/status` (and distroless `/var/lib/dpkg/status.d/*`), files
//! from `info/<pkg>[:<arch>].list` (or `status.d/<pkg>.md5sums`), licenses from the DEP-5
//! `License:` fields of `/usr/share/doc/<pkg>/copyright`.
//!
//! Layer attribution: each layer that rewrote `status` holds its own full copy. A package is
//! attributed to the lowest layer of the unbroken run of copies (from the visible one down)
//! whose record for it is byte-identical to the visible record — i.e. the layer that last
//! changed that package's record, not merely the layer that last touched the file (which is
//! what attributing everything to the visible `status` would say).

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;

use super::model::{Distro, Ecosystem, Package};
use super::purl;
use super::tree::{FileTree, Kind, TreeError};
use super::Found;

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d";
const INFO: &str = "/var/lib/dpkg/info";
const MAX_DB: u64 = 256 << 20;
const MAX_SMALL: u64 = 16 << 20;

/// One stanza of a deb822 file: fields in order (continuation lines joined with `\n`), and
/// the raw text for comparison across layers.
#[derive(Debug, Clone)]
pub struct Stanza {
    /// Field name (as written) and value.
    pub fields: Vec<(String, String)>,
    /// The stanza's raw text.
    pub raw: String,
}

impl Stanza {
    /// A field's value, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits a deb822 file into stanzas (blank-line separated).
pub fn parse_stanzas(text: &str) -> Vec<Stanza> {
    let mut out = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut raw = String::new();
    let mut flush = |fields: &mut Vec<(String, String)>, raw: &mut String| {
        if !fields.is_empty() {
            out.push(Stanza {
                fields: std::mem::take(fields),
                raw: std::mem::take(raw),
            });
        }
        raw.clear();
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut fields, &mut raw);
            continue;
        }
        raw.push_str(line);
        raw.push('\n');
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = fields.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    flush(&mut fields, &mut raw);
    out
}

/// True when the `Status:` value says the package's files are on disk.
fn present(status: Option<&str>) -> bool {
    match status.and_then(|s| s.split_whitespace().nth(2)) {
        Some("not-installed") | Some("config-files") => false,
        Some(_) => true,
        // status.d entries (distroless) carry no Status field: they are installed.
        None => status.is_none(),
    }
}

/// Catalogs dpkg packages.
pub fn catalog(tree: &dyn FileTree, distro: Option<&Distro>) -> Result<Found, TreeError> {
    let mut found = Found::default();
    if let Some(bytes) = tree.read_file(STATUS, MAX_DB)? {
        let text = String::from_utf8_lossy(&bytes);
        let top = tree.layer_of(STATUS)?;
        let layer_records = if tree.layer_count() > 1 {
            layer_records(tree, top)?
        } else {
            Vec::new()
        };
        for st in parse_stanzas(&text) {
            if !present(st.get("Status")) {
                continue;
            }
            let Some(mut p) = package(&st, distro, STATUS) else {
                found.warn(format!("{STATUS}: a record without Package or Version"));
                continue;
            };
            p.layer = attribute(
                &p.name,
                st.get("Architecture"),
                &st.raw,
                top,
                &layer_records,
            );
            found.packages.push(p);
        }
        // The `.list` and copyright files of the packages are read in parallel.
        found
            .packages
            .par_iter_mut()
            .map(|p| {
                let arch = p.arch.clone();
                files_from_list(tree, p, arch.as_deref())?;
                licenses(tree, p)
            })
            .collect::<Result<(), TreeError>>()?;
    }
    for e in tree.read_dir(STATUS_D)? {
        if e.kind != Kind::File || e.name.ends_with(".md5sums") {
            continue;
        }
        let path = format!("{STATUS_D}/{}", e.name);
        let Some(bytes) = tree.read_file(&path, MAX_SMALL)? else {
            continue;
        };
        for st in parse_stanzas(&String::from_utf8_lossy(&bytes)) {
            if !present(st.get("Status")) {
                continue;
            }
            let Some(mut p) = package(&st, distro, &path) else {
                found.warn(format!("{path}: a record without Package or Version"));
                continue;
            };
            p.layer = Some(e.layer);
            let sums = format!("{STATUS_D}/{}.md5sums", e.name);
            if let Some(b) = tree.read_file(&sums, MAX_SMALL)? {
                p.files = md5sums_files(&String::from_utf8_lossy(&b));
            }
            licenses(tree, &mut p)?;
            found.packages.push(p);
        }
    }
    Ok(found)
}

/// Package → record text, for every layer that holds its own copy of `status`, topmost first.
type Records = Vec<(usize, HashMap<String, String>)>;

fn layer_records(tree: &dyn FileTree, top: Option<usize>) -> Result<Records, TreeError> {
    let Some(top) = top else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for l in (0..=top).rev() {
        if let Some(b) = tree.read_in_layer(STATUS, l, MAX_DB)? {
            let map = parse_stanzas(&String::from_utf8_lossy(&b))
                .into_iter()
                .filter_map(|s| {
                    let key = record_key(s.get("Package")?, s.get("Architecture"));
                    Some((key, s.raw))
                })
                .collect();
            out.push((l, map));
        }
    }
    Ok(out)
}

fn record_key(name: &str, arch: Option<&str>) -> String {
    format!("{name}:{}", arch.unwrap_or(""))
}

fn attribute(
    name: &str,
    arch: Option<&str>,
    raw: &str,
    top: Option<usize>,
    records: &Records,
) -> Option<usize> {
    let key = record_key(name, arch);
    let mut layer = top;
    for (l, map) in records {
        match map.get(&key) {
            Some(r) if r == raw => layer = Some(*l),
            _ => break,
        }
    }
    layer
}

fn package(st: &Stanza, distro: Option<&Distro>, found_in: &str) -> Option<Package> {
    let name = st.get("Package")?.to_string();
    let version = st.get("Version")?.to_string();
    let arch = st.get("Architecture").map(str::to_string);
    let ns = distro.map(|d| d.id.as_str()).unwrap_or("debian");
    let q = distro.map(Distro::qualifier);
    // Source: "name" or "name (version)".
    let source = st
        .get("Source")
        .map(|s| s.split_whitespace().next().unwrap_or(s).to_string())
        .filter(|s| *s != name);
    let upstream = source.as_deref();
    let purl = purl::build(
        "deb",
        Some(ns),
        &name,
        Some(&version),
        &[
            ("arch", arch.as_deref()),
            ("distro", q.as_deref()),
            ("upstream", upstream),
        ],
    );
    let mut p = Package::new(Ecosystem::Deb, name, version, purl, found_in);
    p.arch = arch;
    p.source = source;
    p.supplier = st.get("Maintainer").map(str::to_string);
    Some(p)
}

fn files_from_list(
    tree: &dyn FileTree,
    p: &mut Package,
    arch: Option<&str>,
) -> Result<(), TreeError> {
    let mut candidates = Vec::new();
    if let Some(a) = arch {
        candidates.push(format!("{INFO}/{}:{a}.list", p.name));
    }
    candidates.push(format!("{INFO}/{}.list", p.name));
    for c in candidates {
        if let Some(b) = tree.read_file(&c, MAX_SMALL)? {
            let set: BTreeSet<String> = String::from_utf8_lossy(&b)
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with('/') && *l != "/.")
                .map(str::to_string)
                .collect();
            p.files = set.into_iter().collect();
            return Ok(());
        }
    }
    Ok(())
}

fn md5sums_files(text: &str) -> Vec<String> {
    let set: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| p.trim()))
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.starts_with('/') {
                p.to_string()
            } else {
                format!("/{p}")
            }
        })
        .collect();
    set.into_iter().collect()
}

fn licenses(tree: &dyn FileTree, p: &mut Package) -> Result<(), TreeError> {
    let path = format!("/usr/share/doc/{}/copyright", p.name);
    let bytes = match tree.read_file(&path, MAX_SMALL) {
        Ok(Some(b)) => b,
        Ok(None) | Err(TreeError::TooLarge { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    p.licenses = dep5_licenses(&String::from_utf8_lossy(&bytes));
    Ok(())
}

/// The distinct `License:` short names of a DEP-5 copyright file, in first-seen order; an
/// SPDX expression where the name translates to one.
pub fn dep5_licenses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("License:") else {
            continue;
        };
        let name = rest.trim();
        if name.is_empty() {
            continue;
        }
        let value = super::license::to_spdx(name).unwrap_or_else(|| name.to_string());
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_with_continuations() {
        let s = parse_stanzas(
            "Package: a\nVersion: 1\nDescription: x\n more\n\nPackage: b\nVersion: 2\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].get("description"), Some("x\nmore"));
        assert_eq!(s[1].get("Package"), Some("b"));
    }

    #[test]
    fn status_filter() {
        assert!(present(Some("install ok installed")));
        assert!(!present(Some("deinstall ok config-files")));
        assert!(!present(Some("purge ok not-installed")));
        assert!(present(None));
    }

    #[test]
    fn dep5() {
        let t = "Format: x\nLicense: GPL-2+\n\nFiles: a\nLicense: BSD-3-clause\nLicense: GPL-2+\nLicense: public-domain\n";
        assert_eq!(
            dep5_licenses(t),
            vec!["GPL-2.0-or-later", "BSD-3-Clause", "public-domain"]
        );
    }

    #[test]
    fn attribution_finds_lowest_identical_record() {
        let mut l0 = HashMap::new();
        l0.insert("a:amd64".to_string(), "A1".to_string());
        let mut l1 = HashMap::new();
        l1.insert("a:amd64".to_string(), "A1".to_string());
        l1.insert("b:amd64".to_string(), "B1".to_string());
        let mut l2 = HashMap::new();
        l2.insert("a:amd64".to_string(), "A1".to_string());
        l2.insert("b:amd64".to_string(), "B2".to_string());
        let recs: Records = vec![(2, l2), (1, l1), (0, l0)];
        assert_eq!(attribute("a", Some("amd64"), "A1", Some(2), &recs), Some(0));
        assert_eq!(attribute("b", Some("amd64"), "B2", Some(2), &recs), Some(2));
    }
}
