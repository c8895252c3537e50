//! apk cataloger: `/lib/apk/db/installed` (Alpine, Wolfi): one record per package, lines
//! `K:value` (`P` name, `V` version, `A` arch, `L` license, `o` origin, `m` maintainer, `C`
//! checksum, `F` directory and `R` file within it). Attributed like dpkg: to the lowest layer
//! of the unbroken run of database copies holding an identical record.

use std::collections::HashMap;

use super::model::{Distro, Ecosystem, Package};
use super::purl;
use super::tree::{FileTree, TreeError};
use super::Found;

const DB: &str = "/lib/apk/db/installed";
const MAX_DB: u64 = 256 << 20;

struct Record {
    raw: String,
    fields: Vec<(char, String)>,
}

impl Record {
    fn get(&self, k: char) -> Option<&str> {
        self.fields
            .iter()
            .find(|(c, _)| *c == k)
            .map(|(_, v)| v.as_str())
    }
}

fn parse(text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    let mut cur = Record {
        raw: String::new(),
        fields: Vec::new(),
    };
    for line in text.lines() {
        if line.is_empty() {
            if !cur.fields.is_empty() {
                out.push(std::mem::replace(
                    &mut cur,
                    Record {
                        raw: String::new(),
                        fields: Vec::new(),
                    },
                ));
            }
            continue;
        }
        cur.raw.push_str(line);
        cur.raw.push('\n');
        let mut chars = line.chars();
        if let (Some(k), Some(':')) = (chars.next(), chars.next()) {
            cur.fields.push((k, chars.as_str().to_string()));
        }
    }
    if !cur.fields.is_empty() {
        out.push(cur);
    }
    out
}

/// Catalogs apk packages.
pub fn catalog(tree: &dyn FileTree, distro: Option<&Distro>) -> Result<Found, TreeError> {
    let mut found = Found::default();
    let Some(bytes) = tree.read_file(DB, MAX_DB)? else {
        return Ok(found);
    };
    let top = tree.layer_of(DB)?;
    let mut per_layer: Vec<(usize, HashMap<String, String>)> = Vec::new();
    if let (Some(top), true) = (top, tree.layer_count() > 1) {
        for l in (0..=top).rev() {
            if let Some(b) = tree.read_in_layer(DB, l, MAX_DB)? {
                let map = parse(&String::from_utf8_lossy(&b))
                    .into_iter()
                    .filter_map(|r| Some((r.get('P')?.to_string(), r.raw)))
                    .collect();
                per_layer.push((l, map));
            }
        }
    }
    let ns = distro.map(|d| d.id.as_str()).unwrap_or("alpine");
    let q = distro.map(Distro::qualifier);
    for r in parse(&String::from_utf8_lossy(&bytes)) {
        let (Some(name), Some(version)) = (r.get('P'), r.get('V')) else {
            found.warn(format!("{DB}: a record without P: or V:"));
            continue;
        };
        let arch = r.get('A');
        let origin = r.get('o').filter(|o| *o != name);
        let purl = purl::build(
            "apk",
            Some(ns),
            &name.to_ascii_lowercase(),
            Some(version),
            &[
                ("arch", arch),
                ("distro", q.as_deref()),
                ("upstream", origin),
            ],
        );
        let mut p = Package::new(Ecosystem::Apk, name, version, purl, DB);
        p.arch = arch.map(str::to_string);
        p.source = origin.map(str::to_string);
        p.supplier = r.get('m').map(str::to_string);
        p.checksum = r.get('C').map(str::to_string);
        if let Some(l) = r.get('L').filter(|l| !l.is_empty()) {
            p.licenses = vec![super::license::to_spdx(l).unwrap_or_else(|| l.to_string())];
        }
        let mut dir = String::new();
        for (k, v) in &r.fields {
            match k {
                'F' => dir = v.clone(),
                'R' => p.files.push(if dir.is_empty() {
                    format!("/{v}")
                } else {
                    format!("/{dir}/{v}")
                }),
                _ => {}
            }
        }
        p.files.sort();
        p.files.dedup();
        let mut layer = top;
        for (l, map) in &per_layer {
            match map.get(name) {
                Some(raw) if *raw == r.raw => layer = Some(*l),
                _ => break,
            }
        }
        p.layer = layer;
        found.packages.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_and_files() {
        let db = "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36\nL:GPL-2.0-only\n";
        let recs = parse(db);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].get('P'), Some("musl"));
        assert_eq!(recs[1].get('L'), Some("GPL-2.0-only"));
    }
}
