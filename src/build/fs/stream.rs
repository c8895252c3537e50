//! A [`CopyPlan`] as layer entries, written straight from the source files into the layer
//! tar without materializing a directory first (one read of each file instead of a copy, a
//! directory walk and a second read, and no inodes created).
//!
//! The entries are exactly the ones [`crate::oci::layer::write_dir`] would scan from the
//! directory [`CopyPlan::materialize`] writes as root, so the layer's bytes (and digests) are
//! the same either way: planned mode, owner and mtime (the creation time, clamped like any
//! mtime, for entries without one), symlinks as `0o777`, and a hardlink group written with
//! the bytes on its first path in layer order and the group's first planned entry's metadata
//! (they share one inode on disk). Plans whose on-disk form could differ from the plan are
//! not streamed ([`CopyPlan::stream_entries`] returns `None`): archives to unpack, extended
//! attributes (setting them is best effort), special files, entries whose parent is not a
//! planned directory, and builders that are not root or run in a user namespace (owners and
//! modes then depend on what the kernel let them set).

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::planned::PEntry;
use super::{CopyPlan, FileKind};
use crate::oci::layer::{EntryKind, EntryMeta, LayerEntry, LayerError, LayerWriter};

/// One entry of a streamed layer: what to write, and the host file holding a regular file's
/// bytes.
pub struct StreamEntry {
    entry: LayerEntry,
    source: Option<PathBuf>,
    name: Vec<u8>,
}

/// A plan's layer as entries in layer order, ready for [`write_entries`].
pub struct StreamedLayer {
    entries: Vec<StreamEntry>,
}

fn meta(e: &PEntry, now: i64) -> EntryMeta {
    EntryMeta {
        mode: if e.kind == FileKind::Symlink {
            0o777
        } else {
            e.mode & 0o7777
        },
        uid: u64::from(e.uid),
        gid: u64::from(e.gid),
        mtime: e.mtime.map_or(now, |(s, _)| s),
        xattrs: Default::default(),
    }
}

fn parent_of(k: &str) -> Option<&str> {
    k.rfind('/').map(|i| &k[..i])
}

impl CopyPlan {
    /// The layer this plan makes, as entries to stream from the sources (see the module
    /// doc); `None` when it must be materialized to get the same bytes. `now` stands for the
    /// creation time of entries without a planned mtime (the layer writer clamps it to
    /// `SOURCE_DATE_EPOCH`). `root_builder` says the builder runs as root outside a user
    /// namespace.
    pub fn stream_entries(&self, now: i64, root_builder: bool) -> Option<StreamedLayer> {
        if !root_builder || !self.archives.is_empty() || self.entries.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(self.entries.len());
        // Hardlink groups, keyed by their first planned path.
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        for (k, e) in &self.entries {
            if !e.xattrs.is_empty() {
                return None;
            }
            if let Some(p) = parent_of(k) {
                if self.entries.get(p).map(|d| d.kind) != Some(FileKind::Dir) {
                    return None;
                }
            }
            let kind = match e.kind {
                FileKind::Dir => EntryKind::Dir,
                FileKind::File => match &e.hardlink_to {
                    Some(primary) => {
                        let p = self.entries.get(primary.as_str())?;
                        if p.kind != FileKind::File || p.src.is_none() || p.hardlink_to.is_some() {
                            return None;
                        }
                        EntryKind::File { size: p.size }
                    }
                    // Materializing writes nothing for a file without a source.
                    None if e.src.is_none() => continue,
                    None => EntryKind::File { size: e.size },
                },
                FileKind::Symlink => EntryKind::Symlink {
                    target: PathBuf::from(e.link_target.as_deref().unwrap_or("")),
                },
                _ => return None,
            };
            let (m, source) = match &e.hardlink_to {
                Some(primary) => {
                    let p = self.entries.get(primary.as_str())?;
                    (meta(p, now), p.src.clone())
                }
                None => (meta(e, now), e.src.clone()),
            };
            let entry = LayerEntry {
                path: PathBuf::from(k),
                kind,
                meta: m,
            };
            let name = entry.tar_name().ok()?;
            if let (FileKind::File, Some(_)) = (e.kind, &source) {
                let group = e.hardlink_to.as_deref().unwrap_or(k);
                groups.entry(group).or_default().push(out.len());
            }
            out.push(StreamEntry {
                entry,
                source,
                name,
            });
        }
        // A group only matters when something links to its first path.
        let linked: Vec<&str> = self
            .entries
            .values()
            .filter_map(|e| e.hardlink_to.as_deref())
            .collect();
        let mut sorted: Vec<usize> = (0..out.len()).collect();
        sorted.sort_by(|&a, &b| {
            crate::oci::layer::sort_key(&out[a].name)
                .cmp(&crate::oci::layer::sort_key(&out[b].name))
        });
        let mut rank = vec![0usize; out.len()];
        for (r, &i) in sorted.iter().enumerate() {
            rank[i] = r;
        }
        for g in linked {
            let Some(members) = groups.get(g) else {
                continue;
            };
            let Some(&first) = members.iter().min_by_key(|&&i| rank[i]) else {
                continue;
            };
            let target = out[first].entry.path.clone();
            for &i in members {
                if i != first {
                    out[i].entry.kind = EntryKind::Hardlink {
                        target: target.clone(),
                    };
                    out[i].source = None;
                }
            }
        }
        let mut ordered: Vec<Option<StreamEntry>> = out.into_iter().map(Some).collect();
        let entries = sorted
            .into_iter()
            .filter_map(|i| ordered.get_mut(i).and_then(Option::take))
            .collect();
        Some(StreamedLayer { entries })
    }
}

impl StreamedLayer {
    /// Append every entry to `w`, reading regular files from their sources (never following
    /// a symlink swapped in after planning).
    pub fn write_entries<W: std::io::Write>(
        &self,
        w: &mut LayerWriter<W>,
    ) -> Result<(), LayerError> {
        for s in &self.entries {
            match (&s.source, &s.entry.kind) {
                (Some(src), EntryKind::File { .. }) => {
                    let mut f = open_nofollow(src)?;
                    w.append(&s.entry, Some(&mut f))?;
                }
                _ => w.append(&s.entry, None)?,
            }
        }
        Ok(())
    }

    /// How many entries the layer has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the layer has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn open_nofollow(src: &Path) -> Result<File, LayerError> {
    File::options()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(src)
        .map_err(|source| LayerError::Io {
            path: src.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::super::{plan_copy_with, CopyRequest, DockerIgnore, PlanOptions, SourceRoot};
    use super::*;

    fn plan(dir: &Path) -> CopyPlan {
        let ignore = DockerIgnore::parse("");
        let root = SourceRoot::Context {
            dir,
            ignore: &ignore,
        };
        let sources = vec!["src/".to_string()];
        let req = CopyRequest {
            sources: &sources,
            dest: "/d/",
            workdir: "/",
            chown: None,
            chmod: None,
            parents: false,
            excludes: &[],
            link: false,
            add: None,
        };
        let opts = PlanOptions::default();
        plan_copy_with(&root, None, &req, &opts).unwrap()
    }

    #[test]
    fn entries_come_in_layer_order_with_the_first_linked_path_holding_the_bytes() {
        let t = tempfile::tempdir().unwrap();
        let s = t.path().join("src");
        std::fs::create_dir_all(s.join("a-c")).unwrap();
        std::fs::create_dir_all(s.join("a/b")).unwrap();
        std::fs::write(s.join("a-c/g"), "g").unwrap();
        // Planned (string order) first: a-c/g; in layer order a/b/link comes first.
        std::fs::hard_link(s.join("a-c/g"), s.join("a/b/link")).unwrap();
        let p = plan(t.path());
        let layer = p.stream_entries(0, true).unwrap();
        let names: Vec<String> = layer
            .entries
            .iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect();
        assert_eq!(
            names,
            ["d", "d/a", "d/a/b", "d/a/b/link", "d/a-c", "d/a-c/g"]
        );
        let kinds: Vec<&EntryKind> = layer.entries.iter().map(|e| &e.entry.kind).collect();
        assert_eq!(kinds[3], &EntryKind::File { size: 1 });
        assert_eq!(
            kinds[5],
            &EntryKind::Hardlink {
                target: PathBuf::from("d/a/b/link")
            }
        );
        // Without root the on-disk owners could differ from the plan: materialize instead.
        assert!(p.stream_entries(0, false).is_none());
    }
}
