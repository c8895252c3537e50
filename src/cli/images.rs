//! `hoist images` and `hoist rmi`: list and remove the names of images in the local content
//! store (what `hoist build -t NAME` creates; `hoist:NAME` in the image commands). `rmi`
//! removes names only, never blobs: `hoist prune` frees what no name or cache entry reaches.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use oci_spec::image::Descriptor;
use serde::Serialize;

use super::image_common::human_bytes;
use hoist::copy::CopyError;
use hoist::oci::digest::Digest;
use hoist::oci::image::{parse_config, RawManifest};
use hoist::oci::reference::{parse_normalized, ImageRef};
use hoist::oci::store::Store;

/// `--format` of `hoist images`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImagesFormat {
    /// An aligned table
    Table,
    /// A JSON array
    Json,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  hoist images\n  hoist images --format json")]
pub struct ImagesArgs {
    /// Store directory (default: $HOIST_HOME or ~/.local/share/hoist)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: ImagesFormat,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist rmi app:dev\n  hoist rmi hoist:app:dev other:1\n  hoist prune   # then frees the blobs no name reaches"
)]
pub struct RmiArgs {
    /// Store directory (default: $HOIST_HOME or ~/.local/share/hoist)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Image names (`NAME[:TAG]`, with or without the `hoist:` prefix)
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

/// One named image of the store.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImageEntry {
    /// The store name (`docker.io/library/app:dev`).
    pub name: String,
    /// The manifest (or index) digest.
    pub digest: String,
    /// Manifest, config and layer bytes (compressed), summed over an index's images.
    pub size: u64,
    /// The config's `created`, if any (the first image's for an index).
    pub created: Option<String>,
}

fn open(dir: &Option<PathBuf>) -> Result<Store, i32> {
    match dir {
        Some(d) => Store::open(d.clone()),
        None => Store::open_default(),
    }
    .map_err(|e| {
        super::report_error(
            &format!("store: {e}"),
            Some("set HOIST_HOME or --store to the store directory"),
        );
        super::EXIT_FINDINGS
    })
}

fn blob_digest(d: &Descriptor) -> Result<Digest, CopyError> {
    Ok(Digest::from_oci(d.digest())?)
}

/// Size and `created` of the image `digest` (hint: its media type, if known).
fn summarize(
    store: &Store,
    digest: &Digest,
    hint: Option<&str>,
) -> Result<(u64, Option<String>), CopyError> {
    let m = RawManifest::new(store.read_blob(digest)?, hint)?;
    let mut size = m.size();
    if m.is_index() {
        let mut created = None;
        for child in m.parse_index()?.manifests() {
            let d = blob_digest(child)?;
            if !store.has_blob(&d) {
                // Images of other platforms need not be in the store.
                continue;
            }
            let mt = child.media_type().to_string();
            let (s, c) = summarize(store, &d, Some(&mt))?;
            size += s;
            created = created.or(c);
        }
        return Ok((size, created));
    }
    let image = m.parse_image()?;
    size += image.config().size() + image.layers().iter().map(|l| l.size()).sum::<u64>();
    let config = parse_config(&store.read_blob(&blob_digest(image.config())?)?)?;
    Ok((size, config.created().clone()))
}

/// Every named image of `store`, sorted by name.
pub fn list_images(store: &Store) -> Result<Vec<ImageEntry>, CopyError> {
    let mut out = Vec::new();
    for (name, digest) in store.list_refs()? {
        let (size, created) = summarize(store, &digest, None)?;
        out.push(ImageEntry {
            name,
            digest: digest.to_string(),
            size,
            created,
        });
    }
    Ok(out)
}

/// Run `hoist images`.
pub fn run_images(a: ImagesArgs) -> i32 {
    let store = match open(&a.store) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let images = match list_images(&store) {
        Ok(i) => i,
        Err(e) => {
            super::report_error(&format!("images: {e}"), e.hint());
            return super::EXIT_FINDINGS;
        }
    };
    match a.format {
        ImagesFormat::Json => match serde_json::to_string_pretty(&images) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                super::report_error(&format!("images: {e}"), None);
                return super::EXIT_FINDINGS;
            }
        },
        ImagesFormat::Table => {
            let rows: Vec<[String; 4]> = images
                .iter()
                .map(|i| {
                    [
                        i.name.clone(),
                        i.digest.clone(),
                        human_bytes(i.size),
                        i.created.clone().unwrap_or_else(|| "-".to_string()),
                    ]
                })
                .collect();
            let header = ["NAME", "DIGEST", "SIZE", "CREATED"].map(str::to_string);
            let mut width = [0usize; 4];
            for r in std::iter::once(&header).chain(&rows) {
                for (w, c) in width.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            for r in std::iter::once(&header).chain(&rows) {
                println!(
                    "{:<w0$}  {:<w1$}  {:>w2$}  {}",
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    w0 = width[0],
                    w1 = width[1],
                    w2 = width[2]
                );
            }
        }
    }
    super::EXIT_OK
}

/// The store name `input` means (`hoist:` prefix optional).
fn store_name(input: &str) -> Result<String, String> {
    if input.starts_with("hoist:") {
        return match ImageRef::parse(input) {
            Ok(ImageRef::Store(r)) => Ok(r.to_string()),
            Ok(_) => Err(format!("{input:?} is not a store name")),
            Err(e) => Err(e.to_string()),
        };
    }
    parse_normalized(input)
        .map_err(|e| e.to_string())
        .and_then(|r| match r.digest() {
            Some(_) => Err(format!("{input:?}: rmi takes names, not digests")),
            None => Ok(r.to_string()),
        })
}

/// Run `hoist rmi`: remove every name given; exit 1 if one did not exist (the others are
/// still removed).
pub fn run_rmi(a: RmiArgs) -> i32 {
    let store = match open(&a.store) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let mut code = super::EXIT_OK;
    for input in &a.names {
        let name = match store_name(input) {
            Ok(n) => n,
            Err(e) => {
                super::report_error(&format!("rmi {e}"), Some("names look like app:dev"));
                return super::EXIT_USAGE;
            }
        };
        match store.remove_ref(&name) {
            Ok(true) => println!("untagged {name}"),
            Ok(false) => {
                super::report_error(
                    &format!("rmi: no image named {name} in the local store"),
                    Some("`hoist images` lists the names"),
                );
                code = super::EXIT_FINDINGS;
            }
            Err(e) => {
                super::report_error(&format!("rmi {name}: {e}"), None);
                return super::EXIT_FINDINGS;
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_are_normalised() {
        assert_eq!(
            store_name("app").as_deref(),
            Ok("docker.io/library/app:latest")
        );
        assert_eq!(
            store_name("hoist:localhost:5000/a/b:v1").as_deref(),
            Ok("localhost:5000/a/b:v1")
        );
        assert!(store_name("Bad/Name").is_err());
        assert!(store_name(&format!("app@sha256:{}", "a".repeat(64))).is_err());
    }
}
