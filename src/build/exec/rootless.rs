//! Builds by a non-root user: the store holds shifted ids (container uid N is host id
//! start+N-1 of the user's subordinate range, container root the user; see
//! [`crate::build::sandbox::IdMap`]), which is what RUN steps see through the rootless sandbox.
//! What the user cannot do to those trees without privileges, the sandbox helper does as
//! container root inside a user namespace with the sandbox's mapping (as rootless buildah and
//! podman run their storage code in that namespace):
//! - base layers: the unpacker reports the entries whose owner is not 0:0 and the helper
//!   chowns them (setuid/setgid bits kept) before the tree counts as unpacked
//!   ([`owner_fix`]); a tree another command unpacked without them is extracted again;
//! - RUN layers: the helper reads the step's upper dir (files private to `USER 1000` too) and
//!   streams the uncompressed tar, which the builder compresses and hashes ([`write_layer`]),
//!   so the blob is byte for byte the one a root build writes;
//! - entries the builder writes itself (COPY, ADD, WORKDIR): their intended owners go into the
//!   layer from [`Owners`] and onto the disk by the helper ([`apply`]) before the directory
//!   becomes a lower.
//!
//! Without a subordinate range (single mapping) no id but container root exists in the
//! sandbox: base-layer entries belong to container root and a COPY/ADD owner other than
//! 0:0 is refused. Limits: COPY --from and RUN --mount=type=bind,from= read a stage's files as
//! the builder, so a file a RUN step made private to another container user stops the build
//! with that reason ([`explain_denied`]); so do other readers of the store's trees as the
//! user (`hoist sbom` of a built image with such files); an ADD of a local archive keeps the
//! archive's owners only with `--chown`; file capabilities (`security.capability`) of base
//! layers are not restored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::build::error::{BuildError, Loc};
use crate::build::fs::{CopyPlan, FsError};
use crate::build::sandbox::{self, IdMap, Owner, RunOptions, TarDir};
use crate::oci::layer::{LayerError, LayerInfo, LayerOptions, LayerWriter, WalkOptions};
use crate::oci::store::OwnerFix;
use crate::oci::{Expected, Store, StoreError};

/// Owners (container ids) the builder meant for entries it wrote, by path relative to the
/// layer directory.
#[derive(Debug, Default)]
pub struct Owners {
    exact: BTreeMap<PathBuf, (u32, u32)>,
    /// Everything below these directories (not the directory itself).
    trees: Vec<(PathBuf, (u32, u32))>,
}

impl Owners {
    /// No owners: every entry keeps its (mapped) owner on disk.
    pub fn none() -> Owners {
        Owners::default()
    }

    /// The owners of a COPY/ADD plan's entries.
    pub fn of_plan(plan: &CopyPlan) -> Owners {
        let mut o = Owners::none();
        for (path, uid, gid) in plan.entry_owners() {
            o.set(Path::new(path), uid, gid);
        }
        for (dest, chown) in plan.archive_owners() {
            if let Some(ids) = chown {
                o.trees.push((PathBuf::from(dest), ids));
            }
        }
        o
    }

    /// `rel` belongs to `uid`:`gid`.
    pub fn set(&mut self, rel: &Path, uid: u32, gid: u32) {
        self.exact.insert(rel.to_path_buf(), (uid, gid));
    }

    /// The owner meant for `rel`, if any.
    pub fn get(&self, rel: &Path) -> Option<(u32, u32)> {
        if let Some(ids) = self.exact.get(rel) {
            return Some(*ids);
        }
        self.trees
            .iter()
            .filter(|(d, _)| rel != d && rel.starts_with(d))
            .max_by_key(|(d, _)| d.components().count())
            .map(|(_, ids)| *ids)
    }

    /// Entries under `dir` whose owner is not container root (the owner of whatever the
    /// user writes), with their paths relative to `dir`.
    fn to_set(&self, dir: &Path) -> Result<Vec<Owner>, BuildError> {
        let mut out = Vec::new();
        let mut push = |rel: &Path, (uid, gid): (u32, u32)| {
            if (uid, gid) != (0, 0) {
                out.push(Owner {
                    path: rel.to_path_buf(),
                    uid,
                    gid,
                });
            }
        };
        for (rel, ids) in &self.exact {
            push(rel, *ids);
        }
        for (tree, _) in &self.trees {
            let mut stack = vec![tree.clone()];
            while let Some(d) = stack.pop() {
                let host = dir.join(&d);
                let Ok(rd) = std::fs::read_dir(&host) else {
                    continue;
                };
                for e in rd {
                    let e = e.map_err(BuildError::io(&host))?;
                    let rel = d.join(e.file_name());
                    if e.file_type().map_err(BuildError::io(&host))?.is_dir() {
                        stack.push(rel.clone());
                    }
                    if !self.exact.contains_key(&rel) {
                        if let Some(ids) = self.get(&rel) {
                            push(&rel, ids);
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The owner an entry of a new layer gets: the one the builder meant, else its owner on disk
/// mapped back through `map` (none: the builder runs as root and the ids are the image's).
pub fn layer_owner(
    map: Option<&IdMap>,
    owners: &Owners,
    rel: &Path,
    uid: u32,
    gid: u32,
) -> (u32, u32) {
    match (owners.get(rel), map) {
        (Some(ids), Some(_)) => ids,
        (_, Some(m)) => m.to_container(uid, gid),
        (_, None) => (uid, gid),
    }
}

/// Put `owners` on the entries of `dir` (about to become a lower) when the builder runs
/// without privileges; as root the builder set them itself. `loc` is the step's.
pub fn apply(dir: &Path, owners: &Owners, loc: &Loc) -> Result<(), BuildError> {
    let Some(map) = sandbox::current_map() else {
        return Ok(());
    };
    let list = owners.to_set(dir)?;
    let Some(first) = list.first() else {
        return Ok(());
    };
    let err = |message: String| BuildError::Copy {
        loc: loc.clone(),
        message,
    };
    if !map.has_range() {
        return Err(err(format!(
            "owner {}:{} of {} cannot exist in a rootless build of a user without subordinate ids: add a range to /etc/subuid and /etc/subgid (usermod --add-subuids/--add-subgids) and install uidmap",
            first.uid,
            first.gid,
            first.path.display(),
        )));
    }
    let mut output = Vec::new();
    sandbox::set_owners(dir, list, &RunOptions::default(), &mut |_, b| {
        output.extend_from_slice(b)
    })
    .map_err(|e| {
        err(format!(
            "setting owners in a user namespace: {e} {}",
            String::from_utf8_lossy(&output).trim()
        ))
    })
}

/// Whether this builder needs the helper to work on its store as container root: it runs
/// without privileges and its sandbox maps subordinate ids (with the single mapping every
/// entry belongs to the user, who can do all of it alone, and no other owner can exist).
pub fn needs_helper() -> bool {
    sandbox::current_map().is_some_and(IdMap::has_range)
}

/// Gives the entries of a layer this builder unpacked without privileges the owners the
/// layer gives them (an [`OwnerFix`] for [`crate::oci::Store::unpack_layer_with`]): the
/// helper chowns them in the user namespace. `None` when not [`needs_helper`] (then every
/// base-image entry belongs to container root, as no other id exists in the sandbox).
pub fn owner_fix() -> Option<OwnerFix<'static>> {
    fn fix(rootfs: &Path, owners: &[(PathBuf, u32, u32)]) -> Result<(), String> {
        let list = owners
            .iter()
            .map(|(path, uid, gid)| Owner {
                path: path.clone(),
                uid: *uid,
                gid: *gid,
            })
            .collect();
        let mut output = Vec::new();
        sandbox::set_owners(rootfs, list, &RunOptions::default(), &mut |_, b| {
            output.extend_from_slice(b)
        })
        .map_err(|e| {
            format!(
                "in a user namespace: {e} {}",
                String::from_utf8_lossy(&output).trim()
            )
        })
    }
    needs_helper().then_some(&fix as OwnerFix<'static>)
}

/// Why a builder without privileges could not read a file of its store (a COPY --from or
/// RUN --mount=type=bind,from= of a stage whose RUN step made it private to a container user
/// other than root): the builder reads such sources itself, not through the helper. `None`
/// for other errors.
pub fn explain_denied(store: &Store, e: &FsError) -> Option<String> {
    let FsError::Io { path, source } = e else {
        return None;
    };
    if source.kind() != std::io::ErrorKind::PermissionDenied
        || !needs_helper()
        || !path.starts_with(store.root().join("layers"))
    {
        return None;
    }
    Some(format!(
        "{}: {source}: a RUN step made this private to a container user other than root, and a rootless build cannot copy such files from a stage yet; make them readable in that stage (chmod) or build as root",
        path.display()
    ))
}

/// Write `dir` (a RUN step's upper dir, whose files may belong to subordinate ids and be
/// private to them) as a layer blob in `store`: the helper reads it as container root in the
/// user namespace and streams the uncompressed tar, which is compressed and hashed here
/// exactly as [`crate::oci::Store::write_dir_layer`] would, so the blob is the root build's.
pub fn write_layer(
    store: &Store,
    dir: &Path,
    opts: &LayerOptions,
    walk: &WalkOptions,
) -> Result<LayerInfo, BuildError> {
    let mut lw = LayerWriter::new(store.blob_writer()?, opts).map_err(StoreError::from)?;
    let mut failed: Option<LayerError> = None;
    let job = TarDir {
        dir: dir.to_path_buf(),
        xattrs: walk.xattrs,
        overlay_whiteouts: walk.overlay_whiteouts,
        source_date_epoch: opts.source_date_epoch,
    };
    sandbox::tar_dir(job, &RunOptions::default(), &mut |bytes| {
        if failed.is_none() {
            failed = lw.write_raw(bytes).err();
        }
    })
    .map_err(|e| BuildError::Rootless {
        path: dir.to_path_buf(),
        message: format!("reading the step's files as container root in a user namespace: {e}"),
    })?;
    if let Some(e) = failed {
        return Err(StoreError::from(e).into());
    }
    let (w, info) = lw.finish_raw().map_err(StoreError::from)?;
    w.commit(Some(&Expected {
        digest: info.digest.clone(),
        size: Some(info.size),
    }))?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::sandbox::Range;

    #[test]
    fn meant_owners_win_then_the_mapping() {
        let mut o = Owners::none();
        o.set(Path::new("app"), 1000, 50);
        o.trees.push((PathBuf::from("app"), (7, 8)));
        assert_eq!(o.get(Path::new("app")), Some((1000, 50)));
        assert_eq!(o.get(Path::new("app/x/y")), Some((7, 8)));
        assert_eq!(o.get(Path::new("other")), None);
        let r = Range {
            start: 200000,
            count: 65536,
        };
        let map = IdMap {
            uid: (1000, Some(r)),
            gid: (1000, Some(r)),
        };
        assert_eq!(
            layer_owner(Some(&map), &o, Path::new("other"), 200999, 1000),
            (1000, 0)
        );
        assert_eq!(
            layer_owner(Some(&map), &o, Path::new("app"), 1000, 1000),
            (1000, 50)
        );
        // As root the disk already holds the image's ids.
        assert_eq!(layer_owner(None, &o, Path::new("other"), 5, 6), (5, 6));
    }
}
