//! Recognising a hoist store: the `hoist-store` marker written at creation, stores made by
//! earlier versions recognised by their layout, everything else (an OCI layout above all)
//! refused by [`Store::open_existing`], the opening `prune` uses.

use super::*;

impl Store {
    /// Open the store that exists at `root`, never creating one: `root` must carry the
    /// [`MARKER`], or be laid out like a store made by an earlier hoist (it is then marked).
    /// An OCI layout, an empty or any other directory is refused with
    /// [`StoreError::NotAStore`], a missing one with [`StoreError::NoStore`].
    pub fn open_existing(root: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let root = root.into();
        match classify(&root)? {
            Kind::Marked | Kind::Legacy => Store::init(root),
            Kind::Missing => Err(StoreError::NoStore(root)),
            Kind::Empty => Err(StoreError::NotAStore {
                path: root,
                reason: "it is an empty directory".to_string(),
            }),
            Kind::Foreign(reason) => Err(StoreError::NotAStore { path: root, reason }),
        }
    }

    pub(super) fn init(root: PathBuf) -> Result<Store, StoreError> {
        // Absolute, so that paths handed to the sandbox (overlay lower/upper dirs, mounted
        // after it changes directory) and to other processes mean the same place.
        let root = std::path::absolute(&root).map_err(io_err(&root))?;
        for sub in SUBDIRS {
            let p = root.join(sub);
            fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        let marker = root.join(MARKER);
        if !marker.is_file() {
            let mut tmp = tempfile::Builder::new()
                .prefix("marker-")
                .tempfile_in(root.join("tmp"))
                .map_err(io_err(root.join("tmp")))?;
            tmp.write_all(MARKER_CONTENT).map_err(io_err(tmp.path()))?;
            tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
            tmp.persist(&marker).map_err(|e| io_err(&marker)(e.error))?;
        }
        let store = Store { root };
        store.clean_tmp(STALE_AFTER)?;
        Ok(store)
    }
}

/// What a directory is, as far as the store is concerned.
pub(super) enum Kind {
    Marked,
    Legacy,
    Missing,
    Empty,
    Foreign(String),
}

pub(super) fn classify(root: &Path) -> Result<Kind, StoreError> {
    let md = match fs::symlink_metadata(root.join(MARKER)) {
        Ok(md) => md,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return classify_unmarked(root);
        }
        Err(e) => return Err(io_err(root.join(MARKER))(e)),
    };
    if md.is_file() {
        Ok(Kind::Marked)
    } else {
        Ok(Kind::Foreign(format!("{MARKER} is not a regular file")))
    }
}

fn classify_unmarked(root: &Path) -> Result<Kind, StoreError> {
    let mut entries = match fs::read_dir(root) {
        Ok(it) => it,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Kind::Missing),
        Err(e) => return Err(io_err(root)(e)),
    };
    if entries.next().is_none() {
        return Ok(Kind::Empty);
    }
    let exists = |name: &str| fs::symlink_metadata(root.join(name)).is_ok();
    if exists("oci-layout") || exists("index.json") {
        return Ok(Kind::Foreign("it is an OCI image layout".to_string()));
    }
    let is_dir =
        |sub: &str| fs::symlink_metadata(root.join(sub)).is_ok_and(|m| m.file_type().is_dir());
    if SUBDIRS.iter().all(|s| is_dir(s)) {
        return Ok(Kind::Legacy);
    }
    Ok(Kind::Foreign(format!(
        "it has no {MARKER} marker and is not laid out like a store"
    )))
}
