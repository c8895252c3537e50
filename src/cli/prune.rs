//! `hoist prune`: remove blobs and unpacked layers of the local content store
//! (`$HOIST_HOME`, default `~/.local/share/hoist`) that no ref or cache entry reaches, plus
//! leftovers of interrupted writers.

use std::path::PathBuf;

use clap::Args;

use super::image_common::human_bytes;
use hoist::oci::store::Store;

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Store directory (default: $HOIST_HOME or ~/.local/share/hoist)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Print nothing
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(a: PruneArgs) -> i32 {
    let store = match &a.store {
        Some(dir) => Store::open(dir.clone()),
        None => Store::open_default(),
    };
    let report = store.and_then(|s| s.prune());
    match report {
        Ok(r) => {
            if !a.quiet {
                println!(
                    "removed {} blobs ({}), {} unpacked layers, {} leftover temporary files",
                    r.blobs_removed.len(),
                    human_bytes(r.bytes_freed),
                    r.layers_removed.len(),
                    r.temp_removed
                );
            }
            super::EXIT_OK
        }
        Err(e) => {
            super::report_error(
                &format!("prune: {e}"),
                Some("set HOIST_HOME or --store to the store directory"),
            );
            super::EXIT_FINDINGS
        }
    }
}
