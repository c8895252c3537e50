//! Python cataloger: installed distributions, `*.dist-info/METADATA` (+ `RECORD` for files)
//! and `*.egg-info/PKG-INFO` (+ `installed-files.txt`) or a single-file `*.egg-info`. The
//! metadata is an RFC 822 header block (core metadata spec); the license comes from
//! `License-Expression` (PEP 639), else `License`, else the `License ::` classifiers.

use super::model::{Ecosystem, Package};
use super::purl;
use super::tree::{self, FileTree, Kind, TreeError};
use super::Found;

const MAX_META: u64 = 16 << 20;

/// Header fields of a core-metadata file (up to the first blank line).
pub fn parse_metadata(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = out.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty() && *v != "UNKNOWN")
}

fn licenses(fields: &[(String, String)]) -> Vec<String> {
    if let Some(e) = field(fields, "License-Expression") {
        return vec![super::license::to_spdx(e).unwrap_or_else(|| e.to_string())];
    }
    if let Some(l) = field(fields, "License") {
        if let Some(s) = super::license::to_spdx(l) {
            return vec![s];
        }
        // Some projects paste their whole license text here: keep only short names.
        if !l.contains('\n') && l.len() <= 80 {
            return vec![l.to_string()];
        }
    }
    let mut out = Vec::new();
    for (k, v) in fields {
        if k.eq_ignore_ascii_case("Classifier") && v.starts_with("License ::") {
            if let Some(last) = v.rsplit("::").next().map(str::trim) {
                let s = last.to_string();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// Catalogs the given `*.dist-info` / `*.egg-info` paths.
pub fn catalog(tree: &dyn FileTree, candidates: &[String]) -> Result<Found, TreeError> {
    let mut found = Found::default();
    for c in candidates {
        let Some(entry) = tree.lstat(c)? else {
            continue;
        };
        let meta_path = if entry.kind == Kind::File {
            c.clone()
        } else if c.ends_with(".dist-info") {
            format!("{c}/METADATA")
        } else {
            format!("{c}/PKG-INFO")
        };
        let bytes = match tree.read_file(&meta_path, MAX_META) {
            Ok(Some(b)) => b,
            Ok(None) => continue,
            Err(TreeError::TooLarge { .. }) => {
                found.warn(format!("{meta_path}: larger than 16 MiB, skipped"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let fields = parse_metadata(&String::from_utf8_lossy(&bytes));
        let (Some(name), Some(version)) = (field(&fields, "Name"), field(&fields, "Version"))
        else {
            found.warn(format!("{meta_path}: no Name or Version"));
            continue;
        };
        let purl = purl::build("pypi", None, &purl::pypi_name(name), Some(version), &[]);
        let mut p = Package::new(Ecosystem::Python, name, version, purl, meta_path.clone());
        p.licenses = licenses(&fields);
        p.supplier = field(&fields, "Author")
            .or_else(|| field(&fields, "Author-email"))
            .map(str::to_string);
        p.layer = tree.layer_of(&meta_path)?;
        if entry.kind == Kind::Dir {
            p.files = owned_files(tree, c)?;
        }
        found.packages.push(p);
    }
    Ok(found)
}

fn owned_files(tree: &dyn FileTree, info_dir: &str) -> Result<Vec<String>, TreeError> {
    let site = tree::parent(info_dir);
    let (list, base) = if info_dir.ends_with(".dist-info") {
        (format!("{info_dir}/RECORD"), site.to_string())
    } else {
        (
            format!("{info_dir}/installed-files.txt"),
            info_dir.to_string(),
        )
    };
    let bytes = match tree.read_file(&list, MAX_META) {
        Ok(Some(b)) => b,
        Ok(None) | Err(TreeError::TooLarge { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files: Vec<String> = String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| {
            let path = record_path(l)?;
            if path.starts_with('/') {
                Some(tree::normalize(&path))
            } else {
                Some(tree::normalize(&format!("{base}/{path}")))
            }
        })
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// The path column of a RECORD line (CSV, the path may be quoted) or an installed-files line.
fn record_path(line: &str) -> Option<String> {
    let line = line.trim_end();
    if line.is_empty() {
        return None;
    }
    if let Some(rest) = line.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    out.push('"');
                    chars.next();
                } else {
                    break;
                }
            } else {
                out.push(c);
            }
        }
        return Some(out);
    }
    Some(line.split(',').next().unwrap_or(line).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_license_sources() {
        let f = parse_metadata("Metadata-Version: 2.1\nName: Six\nVersion: 1.16.0\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\n\nbody: x\n");
        assert_eq!(field(&f, "name"), Some("Six"));
        assert_eq!(licenses(&f), vec!["MIT"]);
        let f = parse_metadata(
            "Name: a\nVersion: 1\nClassifier: License :: OSI Approved :: BSD License\n",
        );
        assert_eq!(licenses(&f), vec!["BSD License"]);
        let f = parse_metadata("Name: a\nVersion: 1\nLicense-Expression: mit OR apache-2.0\n");
        assert_eq!(licenses(&f), vec!["MIT OR Apache-2.0"]);
    }

    #[test]
    fn record_paths() {
        assert_eq!(
            record_path("six.py,sha256=abc,123").as_deref(),
            Some("six.py")
        );
        assert_eq!(
            record_path("\"a,b.py\",sha256=x,1").as_deref(),
            Some("a,b.py")
        );
        assert_eq!(record_path(""), None);
    }
}
