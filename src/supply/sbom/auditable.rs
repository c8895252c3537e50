//! Rust binaries built with `cargo auditable`: the `.dep-v0` section holds zlib-compressed
//! JSON `{"packages":[{"name","version","source","kind","dependencies","root"}]}` listing
//! every crate compiled in (decompressed size capped at 8 MiB).

use std::io::Read;

use serde::Deserialize;

use super::elf::Elf;
use super::model::{Ecosystem, Package};
use super::purl;
use super::Found;

const MAX_COMPRESSED: u64 = 8 << 20;
const MAX_JSON: u64 = 8 << 20;

#[derive(Deserialize)]
struct Info {
    packages: Vec<Crate>,
}

#[derive(Deserialize)]
struct Crate {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
}

/// Packages recorded by `cargo auditable` in `elf`.
pub fn from_elf(elf: &Elf, path: &str) -> Found {
    let mut found = Found::default();
    let Some(sec) = elf.section(".dep-v0") else {
        return found;
    };
    let Some(data) = elf.section_data(sec, MAX_COMPRESSED) else {
        found.warn(format!(
            "{path}: .dep-v0 section larger than 8 MiB, skipped"
        ));
        return found;
    };
    let mut json = Vec::new();
    let mut dec = flate2::read::ZlibDecoder::new(&data[..]).take(MAX_JSON + 1);
    if let Err(e) = dec.read_to_end(&mut json) {
        found.warn(format!("{path}: .dep-v0 is not zlib data ({e})"));
        return found;
    }
    if json.len() as u64 > MAX_JSON {
        found.warn(format!(
            "{path}: .dep-v0 decompresses to more than 8 MiB, skipped"
        ));
        return found;
    }
    match serde_json::from_slice::<Info>(&json) {
        Ok(info) => {
            for c in info.packages {
                let purl = purl::build("cargo", None, &c.name, Some(&c.version), &[]);
                let mut p = Package::new(Ecosystem::Cargo, c.name, c.version, purl, path);
                p.source = c.source;
                found.packages.push(p);
            }
        }
        Err(e) => found.warn(format!("{path}: .dep-v0 is not cargo-auditable JSON ({e})")),
    }
    found
}
