//! Layer entries: what one tar member is (path, kind, metadata), the tar name it is written
//! under (whiteouts spelled the OCI way), and the sort order entries must come in.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use super::LayerError;

/// Metadata common to every entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryMeta {
    /// Permission bits including setuid/setgid/sticky (`& 0o7777` is applied).
    pub mode: u32,
    /// Numeric owner.
    pub uid: u64,
    /// Numeric group.
    pub gid: u64,
    /// Seconds since the epoch.
    pub mtime: i64,
    /// Extended attributes, written as `SCHILY.xattr.NAME` PAX records.
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

/// The kind of a layer entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file of this many bytes (content passed to [`LayerWriter::append`]).
    File {
        /// Content length.
        size: u64,
    },
    /// A directory.
    Dir,
    /// A symbolic link (target stored as-is).
    Symlink {
        /// Link target bytes.
        target: PathBuf,
    },
    /// A hard link to an earlier entry of the same layer.
    Hardlink {
        /// The earlier entry's path.
        target: PathBuf,
    },
    /// A character device.
    CharDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A block device.
    BlockDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A named pipe.
    Fifo,
    /// Delete `path` from lower layers (written as `parent/.wh.name`).
    Whiteout,
    /// Hide everything below directory `path` in lower layers (`path/.wh..wh..opq`).
    OpaqueWhiteout,
}

/// One entry to write: a relative path, a kind and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerEntry {
    /// Path relative to the layer root (no `..`, not absolute).
    pub path: PathBuf,
    /// What it is.
    pub kind: EntryKind,
    /// Mode, owner, mtime, xattrs.
    pub meta: EntryMeta,
}

impl LayerEntry {
    /// The tar name this entry is written under (without the trailing `/` of directories).
    pub fn tar_name(&self) -> Result<Vec<u8>, LayerError> {
        let rel = relative_bytes(&self.path)?;
        match self.kind {
            EntryKind::Whiteout => {
                let (parent, base) = match rel.iter().rposition(|&b| b == b'/') {
                    Some(i) => (
                        rel.get(..=i).unwrap_or_default(),
                        rel.get(i + 1..).unwrap_or_default(),
                    ),
                    None => (&b""[..], &rel[..]),
                };
                if base.is_empty() {
                    return Err(LayerError::InvalidPath(self.path.clone()));
                }
                let mut n = parent.to_vec();
                n.extend_from_slice(b".wh.");
                n.extend_from_slice(base);
                Ok(n)
            }
            EntryKind::OpaqueWhiteout => {
                let mut n = rel;
                if !n.is_empty() {
                    n.push(b'/');
                }
                n.extend_from_slice(b".wh..wh..opq");
                Ok(n)
            }
            _ => {
                if rel.is_empty() {
                    return Err(LayerError::InvalidPath(self.path.clone()));
                }
                let base = rel.rsplit(|&b| b == b'/').next().unwrap_or_default();
                if base.starts_with(b".wh.") {
                    return Err(LayerError::ReservedName(self.path.clone()));
                }
                Ok(rel)
            }
        }
    }
}

/// Validate a relative path and return it as `/`-joined bytes ("" for the root).
pub(super) fn relative_bytes(p: &Path) -> Result<Vec<u8>, LayerError> {
    let mut out = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(s.as_bytes());
            }
            Component::CurDir if out.is_empty() => {}
            _ => return Err(LayerError::InvalidPath(p.to_path_buf())),
        }
    }
    Ok(out)
}

/// Sort key for tar names: path components compared bytewise (a parent sorts before its
/// children, and a directory's whole subtree comes before its next sibling).
pub fn sort_key(name: &[u8]) -> Vec<&[u8]> {
    name.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> LayerEntry {
        LayerEntry {
            path: path.into(),
            kind: EntryKind::File { size },
            meta: EntryMeta {
                mode: 0o644,
                ..Default::default()
            },
        }
    }

    #[test]
    fn tar_names() {
        let mut e = file("a/b", 0);
        assert_eq!(e.tar_name().unwrap(), b"a/b");
        e.kind = EntryKind::Whiteout;
        assert_eq!(e.tar_name().unwrap(), b"a/.wh.b");
        e.kind = EntryKind::OpaqueWhiteout;
        assert_eq!(e.tar_name().unwrap(), b"a/b/.wh..wh..opq");
        e.path = "".into();
        assert_eq!(e.tar_name().unwrap(), b".wh..wh..opq");
        assert!(matches!(
            file("../x", 0).tar_name(),
            Err(LayerError::InvalidPath(_))
        ));
        assert!(matches!(
            file("/x", 0).tar_name(),
            Err(LayerError::InvalidPath(_))
        ));
        assert!(matches!(
            file("a/.wh.x", 0).tar_name(),
            Err(LayerError::ReservedName(_))
        ));
    }

    #[test]
    fn sort_key_orders_subtree_first() {
        let mut names: Vec<&[u8]> = vec![b"a.txt", b"a/b", b"a", b"a/.wh.c"];
        names.sort_by(|x, y| sort_key(x).cmp(&sort_key(y)));
        assert_eq!(names, vec![&b"a"[..], b"a/.wh.c", b"a/b", b"a.txt"]);
    }
}
