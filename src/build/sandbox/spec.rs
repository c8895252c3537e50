//! The wire format between `run` (parent) and the helper: the request on the helper's stdin,
//! the status on fd 3, and the error record a container child sends its helper.

use serde::{Deserialize, Serialize};

use super::{RunSpec, SetupError};

/// The file descriptor the helper reports its status on.
pub(crate) const STATUS_FD: i32 = 3;

/// A path and the owner to give it (container ids). The path is relative to the tree the
/// request names and resolved inside it as in a chroot (symlinks never lead out); on the wire
/// it is its bytes (an image's file names need not be UTF-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    #[serde(with = "path_bytes")]
    pub path: std::path::PathBuf,
    pub uid: u32,
    pub gid: u32,
}

/// A directory to write as an uncompressed layer on the helper's stdout (the same entries,
/// order and metadata as `oci::layer::write_dir`), read as container root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TarDir {
    /// The directory (not itself an entry).
    pub dir: std::path::PathBuf,
    /// Record extended attributes.
    pub xattrs: bool,
    /// The directory is an overlayfs upper dir (whiteouts, opaque directories).
    pub overlay_whiteouts: bool,
    /// Clamp mtimes to this (`SOURCE_DATE_EPOCH`).
    pub source_date_epoch: Option<i64>,
}

/// A path as the array of its bytes.
mod path_bytes {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(p.as_os_str().as_bytes())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        let bytes = Vec::<u8>::deserialize(d)?;
        Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
}

/// What the helper is asked to do (a field of the request: `"spec"`, `"chown"`, `"tar"` or
/// `"remove"`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Job {
    /// Run one RUN step.
    #[serde(rename = "spec")]
    Run(Box<RunSpec>),
    /// Set owners of entries of a tree from inside a rootless user namespace.
    #[serde(rename = "chown")]
    Chown {
        /// The tree the paths are relative to.
        root: std::path::PathBuf,
        owners: Vec<Owner>,
    },
    /// Write a directory as a layer from inside a rootless user namespace.
    #[serde(rename = "tar")]
    Tar(TarDir),
    /// Remove a tree from inside a rootless user namespace.
    #[serde(rename = "remove")]
    Remove(std::path::PathBuf),
}

/// What the parent sends (JSON, then EOF).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Request {
    #[serde(flatten)]
    pub job: Job,
    /// The pid of the `run` caller: the helper exits at once if its parent is already gone.
    pub parent_pid: u32,
}

/// What the helper reports (JSON, once, on [`STATUS_FD`]).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Status {
    /// The command ran; exit status or 128+signal.
    Exited(i32),
    /// The command could not be started or its changes not collected.
    Failed(SetupError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_name_their_job() {
        let r = Request {
            job: Job::Chown {
                root: "/t".into(),
                owners: vec![Owner {
                    path: "x".into(),
                    uid: 1,
                    gid: 2,
                }],
            },
            parent_pid: 7,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"chown":{"root":"/t","owners":[{"path":[120],"uid":1,"gid":2}]},"parent_pid":7}"#
        );
        let back: Request = serde_json::from_str(&text).unwrap();
        assert!(matches!(back.job, Job::Chown { owners, .. } if owners.len() == 1));
        // File names that are not UTF-8 make the trip.
        use std::os::unix::ffi::OsStrExt;
        let odd = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(b"d/\xff\xfe"));
        let o = Owner {
            path: odd.clone(),
            uid: 1,
            gid: 1,
        };
        let back: Owner = serde_json::from_slice(&serde_json::to_vec(&o).unwrap()).unwrap();
        assert_eq!(back.path, odd);
    }
}
