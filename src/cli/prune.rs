//! `hoist prune`: remove blobs and unpacked layers of the local content store
//! (`$HOIST_HOME`, default `~/.local/share/hoist`) that no ref or cache entry reaches, plus
//! leftovers of interrupted writers. Only a directory that is a hoist store (its `hoist-store`
//! marker, or the layout of a store made by an earlier hoist) is pruned; anything else, an OCI
//! layout above all, is refused with exit 2, and a missing store is never created.

use std::path::PathBuf;

use clap::Args;

use super::image_common::human_bytes;
use hoist::oci::store::{Store, StoreError};

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
    // Never create a store to prune it, and never prune a directory hoist did not make.
    let store = match &a.store {
        Some(dir) => Store::open_existing(dir.clone()),
        None => Store::default_root().and_then(Store::open_existing),
    };
    let store = match store {
        Ok(s) => s,
        Err(StoreError::NoStore(p)) if a.store.is_none() => {
            if !a.quiet {
                println!("nothing to prune: no store at {}", p.display());
            }
            return super::EXIT_OK;
        }
        Err(e @ (StoreError::NoStore(_) | StoreError::NotAStore { .. })) => {
            super::report_error(
                &format!("prune: {e}"),
                Some("--store takes the directory of a hoist content store ($HOIST_HOME, default ~/.local/share/hoist); it never deletes from OCI layouts or other directories"),
            );
            return super::EXIT_USAGE;
        }
        Err(e) => {
            super::report_error(&format!("prune: {e}"), None);
            return super::EXIT_FINDINGS;
        }
    };
    let report = store.prune();
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
