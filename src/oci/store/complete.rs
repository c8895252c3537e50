//! The `complete` marker of an unpacked layer, and what makes a tree trustworthy. Unpacked
//! trees are not synced to disk: while the machine stays up the page cache is authoritative
//! (a killed process loses nothing written), so the marker names the boot it was written in,
//! and after a reboot, which may have been a crash that lost part of a tree, the layer counts
//! as not unpacked and is extracted again from its blob (blobs are fsynced). This replaces a
//! `syncfs` per unpacked layer, which on a busy machine flushed every other program's dirty
//! data too. Without a boot id (no `/proc`), the tree is synced first, as before.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use super::{fsync_dir, io_err, StoreError};
use crate::oci::digest::Digest;

const NAME: &str = "complete";
/// Appended to the origin of a tree unpacked by an unprivileged user without its owners
/// (see [`super::OwnerFix`]).
pub(super) const OWNERS_UNSET: &str = " owners-unset";

/// This boot's id (`/proc/sys/kernel/random/boot_id`), if the kernel tells it.
fn boot_id() -> Option<&'static str> {
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(|| {
        fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    })
    .as_deref()
}

/// Whether the layer directory `dir` holds a complete tree: a marker without a boot line
/// (written after a sync), or one written during this boot.
pub(super) fn is_complete(dir: &Path) -> bool {
    let Ok(text) = fs::read_to_string(dir.join(NAME)) else {
        return false;
    };
    match text.lines().find_map(|l| l.strip_prefix("boot ")) {
        None => true,
        Some(id) => boot_id() == Some(id),
    }
}

/// Whether the marker of `dir` says its entries lack the owners the layer gives them.
pub(super) fn owners_unset(dir: &Path) -> bool {
    fs::read_to_string(dir.join(NAME))
        .is_ok_and(|t| t.lines().nth(1).is_some_and(|l| l.ends_with(OWNERS_UNSET)))
}

/// Mark the tree under `work` (a directory whose handle is `handle`) complete for `diff_id`,
/// extracted from `origin` (a blob digest or `adopted`), before it is renamed into place.
/// Returns whether the marker is durable (then the caller fsyncs the parent after the rename).
pub(super) fn write(
    work: &Path,
    handle: &File,
    diff_id: &Digest,
    origin: &str,
) -> Result<bool, StoreError> {
    let marker = work.join(NAME);
    let boot = boot_id();
    if boot.is_none() {
        rustix::fs::syncfs(handle).map_err(|e| io_err(work)(e.into()))?;
    }
    let mut m = File::create(&marker).map_err(io_err(&marker))?;
    writeln!(m, "{diff_id}\n{origin}").map_err(io_err(&marker))?;
    if let Some(id) = boot {
        writeln!(m, "boot {id}").map_err(io_err(&marker))?;
        return Ok(false);
    }
    m.sync_all().map_err(io_err(&marker))?;
    fsync_dir(work)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_of_another_boot_do_not_count() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(!is_complete(d));
        let handle = File::open(d).unwrap();
        let diff_id = crate::oci::digest::digest_bytes(b"layer");
        let durable = write(d, &handle, &diff_id, "adopted").unwrap();
        assert!(is_complete(d));
        assert_eq!(durable, boot_id().is_none());
        // Written during another boot: the tree may be torn, extract it again.
        fs::write(
            d.join(NAME),
            format!("{diff_id}\nadopted\nboot other-boot\n"),
        )
        .unwrap();
        assert!(!is_complete(d));
        // Markers from before boot ids were synced trees.
        fs::write(d.join(NAME), format!("{diff_id}\nadopted\n")).unwrap();
        assert!(is_complete(d));
    }
}
