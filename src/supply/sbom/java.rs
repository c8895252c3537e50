//! Java archives (`.jar`, `.war`, `.ear`, `.jpi`, `.hpi`): Maven coordinates from
//! `META-INF/maven/<group>/<artifact>/pom.properties` (one package per file: shaded jars
//! carry several), else from `META-INF/MANIFEST.MF` (`Implementation-*`, `Bundle-*`) and the
//! file name; archives nested inside are examined too, bounded in depth, count and size.

use std::io::{Cursor, Read, Seek};

use super::model::{Ecosystem, Package};
use super::purl;
use super::tree::{FileTree, TreeError};
use super::Found;

const EXTENSIONS: [&str; 5] = [".jar", ".war", ".ear", ".jpi", ".hpi"];
/// Nesting depth below the archive on disk.
const MAX_DEPTH: usize = 2;
/// Largest nested archive read into memory.
const MAX_NESTED: u64 = 64 << 20;
/// Largest metadata entry.
const MAX_META: u64 = 1 << 20;
/// Nested archives examined per top-level archive.
const MAX_NESTED_COUNT: usize = 512;

/// True for file names the Java cataloger reads.
pub fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

/// Catalogs the archive at `path` (visible in layer `layer`, as the walk found it) and the
/// archives nested in it.
pub fn catalog_file(tree: &dyn FileTree, path: &str, layer: usize) -> Result<Found, TreeError> {
    let mut found = Found::default();
    let Some((file, _)) = tree.open_walked(path, layer)? else {
        return Ok(found);
    };
    let mut budget = MAX_NESTED_COUNT;
    archive(file, path, 0, &mut budget, &mut found);
    for p in &mut found.packages {
        p.layer = Some(layer);
    }
    Ok(found)
}

fn read_entry<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    max: u64,
) -> Option<Vec<u8>> {
    let f = zip.by_name(name).ok()?;
    if f.size() > max {
        return None;
    }
    let mut buf = Vec::new();
    f.take(max).read_to_end(&mut buf).ok()?;
    Some(buf)
}

fn archive<R: Read + Seek>(
    reader: R,
    location: &str,
    depth: usize,
    budget: &mut usize,
    found: &mut Found,
) {
    let mut zip = match zip::ZipArchive::new(reader) {
        Ok(z) => z,
        Err(e) => {
            found.warn(format!("{location}: not a readable zip archive ({e})"));
            return;
        }
    };
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let manifest = read_entry(&mut zip, "META-INF/MANIFEST.MF", MAX_META)
        .map(|b| parse_manifest(&String::from_utf8_lossy(&b)))
        .unwrap_or_default();
    let license = manifest_get(&manifest, "Bundle-License").map(|l| {
        let first = l.split(',').next().unwrap_or(l).trim();
        super::license::to_spdx(first).unwrap_or_else(|| first.to_string())
    });
    let mut poms: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("META-INF/maven/") && n.ends_with("/pom.properties"))
        .collect();
    poms.sort();
    let mut any = false;
    for pom in poms {
        let Some(b) = read_entry(&mut zip, pom, MAX_META) else {
            continue;
        };
        let props = parse_properties(&String::from_utf8_lossy(&b));
        let get = |k: &str| {
            props
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let (Some(g), Some(a), Some(v)) = (get("groupId"), get("artifactId"), get("version"))
        else {
            continue;
        };
        let purl = purl::build("maven", Some(&g), &a, Some(&v), &[]);
        let mut p = Package::new(Ecosystem::Java, a, v, purl, format!("{location}:{pom}"));
        p.source = Some(g);
        p.licenses = license.clone().into_iter().collect();
        found.packages.push(p);
        any = true;
    }
    if !any {
        if let Some(p) = from_manifest(&manifest, location, license) {
            found.packages.push(p);
        }
    }
    if depth >= MAX_DEPTH {
        return;
    }
    for n in names.iter().filter(|n| is_archive_name(n)) {
        if *budget == 0 {
            found.warn(format!(
                "{location}: more than {MAX_NESTED_COUNT} nested archives, the rest skipped"
            ));
            return;
        }
        *budget -= 1;
        let Some(bytes) = read_entry(&mut zip, n, MAX_NESTED) else {
            found.warn(format!(
                "{location}:{n}: unreadable or larger than 64 MiB, skipped"
            ));
            continue;
        };
        archive(
            Cursor::new(bytes),
            &format!("{location}:{n}"),
            depth + 1,
            budget,
            found,
        );
    }
}

fn manifest_get<'a>(m: &'a [(String, String)], key: &str) -> Option<&'a str> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn from_manifest(
    m: &[(String, String)],
    location: &str,
    license: Option<String>,
) -> Option<Package> {
    let file = location.rsplit([':', '/']).next().unwrap_or(location);
    let stem = file
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file)
        .to_string();
    // name-1.2.3 → ("name", "1.2.3")
    let (file_name, file_version) = match stem.char_indices().find(|(i, c)| {
        *c == '-'
            && stem[i + 1..]
                .chars()
                .next()
                .is_some_and(|d| d.is_ascii_digit())
    }) {
        Some((i, _)) => (stem[..i].to_string(), Some(stem[i + 1..].to_string())),
        None => (stem.clone(), None),
    };
    let symbolic = manifest_get(m, "Bundle-SymbolicName")
        .map(|s| s.split(';').next().unwrap_or(s).trim().to_string());
    let version = manifest_get(m, "Implementation-Version")
        .or_else(|| manifest_get(m, "Bundle-Version"))
        .or_else(|| manifest_get(m, "Specification-Version"))
        .map(str::to_string)
        .or(file_version)?;
    let name = file_name;
    let group = manifest_get(m, "Implementation-Vendor-Id")
        .map(str::to_string)
        .or_else(|| {
            symbolic
                .as_ref()
                .and_then(|s| s.rsplit_once('.').map(|(g, _)| g.to_string()))
        })
        .unwrap_or_else(|| name.clone());
    let purl = purl::build("maven", Some(&group), &name, Some(&version), &[]);
    let mut p = Package::new(Ecosystem::Java, name, version, purl, location);
    p.source = Some(group);
    p.licenses = license.into_iter().collect();
    p.supplier = manifest_get(m, "Implementation-Vendor").map(str::to_string);
    Some(p)
}

/// MANIFEST.MF main section: `Key: value`, continuation lines start with one space.
pub fn parse_manifest(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// Java `.properties` (`key=value` or `key: value`, `#`/`!` comments).
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let i = l.find(['=', ':'])?;
            Some((l[..i].trim().to_string(), l[i + 1..].trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (n, b) in entries {
            w.start_file(*n, zip::write::SimpleFileOptions::default())
                .expect("start");
            w.write_all(b).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    #[test]
    fn pom_properties_and_nested() {
        let inner = jar(&[(
            "META-INF/maven/org.x/inner/pom.properties",
            b"groupId=org.x\nartifactId=inner\nversion=2.0\n",
        )]);
        let outer = jar(&[
            (
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\r\nBundle-License: Apache-2.0\r\n\r\n",
            ),
            (
                "META-INF/maven/org.y/outer/pom.properties",
                b"#c\ngroupId=org.y\nartifactId=outer\nversion=1.0\n",
            ),
            ("BOOT-INF/lib/inner-2.0.jar", &inner),
        ]);
        let mut found = Found::default();
        let mut budget = 10;
        archive(Cursor::new(outer), "/app.jar", 0, &mut budget, &mut found);
        let purls: Vec<&str> = found.packages.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            vec!["pkg:maven/org.y/outer@1.0", "pkg:maven/org.x/inner@2.0"]
        );
        assert_eq!(found.packages[0].licenses, vec!["Apache-2.0"]);
    }

    #[test]
    fn manifest_only() {
        let j = jar(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nBundle-SymbolicName: org.apache.commons.lang\n 3\nBundle-Version: 3.12.0\n",
        )]);
        let mut found = Found::default();
        let mut budget = 10;
        archive(
            Cursor::new(j),
            "/usr/share/java/commons-lang3-3.12.0.jar",
            0,
            &mut budget,
            &mut found,
        );
        assert_eq!(found.packages.len(), 1);
        assert_eq!(found.packages[0].name, "commons-lang3");
        assert_eq!(found.packages[0].version, "3.12.0");
        assert_eq!(
            found.packages[0].purl,
            "pkg:maven/org.apache.commons/commons-lang3@3.12.0"
        );
    }

    #[test]
    fn garbage_is_a_warning() {
        let mut found = Found::default();
        let mut budget = 10;
        archive(
            Cursor::new(b"not a zip".to_vec()),
            "/x.jar",
            0,
            &mut budget,
            &mut found,
        );
        assert!(found.packages.is_empty());
        assert_eq!(found.warnings.len(), 1);
    }
}
