//! Files of layouts, archives and the store treated as data, not pointers, and new files
//! created with the user's umask.
//!
//! Reading: [`open_regular`] opens a content file without following a symlink in its last
//! component (`O_NOFOLLOW`) and without blocking on a FIFO (`O_NONBLOCK`), then checks on the
//! open handle that it is a regular file and, when a size is declared, of that size. A blob
//! that is a symlink (say to `/etc/passwd`), a FIFO or a device is refused with an error
//! naming the path. [`regular_size`] is the same check without opening; [`no_symlink_dir`]
//! refuses a directory of a layout (`blobs/sha256`) that is a symlink.
//!
//! Writing: `tempfile` creates files `0600` and directories `0700`; files that become outputs
//! (layouts, archives, unpacked trees, digest files) are created through [`temp_file_in`] and
//! [`temp_dir_in`] with modes `0666`/`0777`, which the kernel narrows by the umask, so they end
//! up `0644`/`0755` under umask 022 as skopeo's do. Secrets (keys, auth files) do not use them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A content file that may not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Nothing at the path.
    #[error("{} does not exist", path.display())]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// The path is a symbolic link.
    #[error("{} is a symbolic link; refusing to follow it (content files must be regular files, not pointers)", path.display())]
    Symlink {
        /// The path.
        path: PathBuf,
    },
    /// The path is a FIFO, device, socket or directory.
    #[error("{} is a {kind}, not a regular file; refusing to read it", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// The file is not of the declared size.
    #[error("{} is {actual} bytes, but {expected} bytes were declared", path.display())]
    Size {
        /// The path.
        path: PathBuf,
        /// The declared size.
        expected: u64,
        /// The file's size.
        actual: u64,
    },
    /// Another OS error.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl OpenError {
    /// True when nothing is at the path.
    pub fn is_not_found(&self) -> bool {
        matches!(self, OpenError::NotFound { .. })
    }
}

impl From<OpenError> for io::Error {
    fn from(e: OpenError) -> io::Error {
        let kind = match &e {
            OpenError::NotFound { .. } => io::ErrorKind::NotFound,
            OpenError::Io { source, .. } => source.kind(),
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

fn kind_name(ft: fs::FileType) -> &'static str {
    if ft.is_dir() {
        "directory"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_char_device() {
        "character device"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_symlink() {
        "symbolic link"
    } else {
        "special file"
    }
}

fn check(path: &Path, md: &fs::Metadata, expected: Option<u64>) -> Result<u64, OpenError> {
    let ft = md.file_type();
    if ft.is_symlink() {
        return Err(OpenError::Symlink {
            path: path.to_path_buf(),
        });
    }
    if !ft.is_file() {
        return Err(OpenError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_name(ft),
        });
    }
    match expected {
        Some(want) if want != md.len() => Err(OpenError::Size {
            path: path.to_path_buf(),
            expected: want,
            actual: md.len(),
        }),
        _ => Ok(md.len()),
    }
}

/// Open `path` for reading as a regular file (of `expected` bytes when given), never following
/// a symlink in its last component and never blocking on a FIFO.
pub fn open_regular(path: &Path, expected: Option<u64>) -> Result<File, OpenError> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(flags.bits()).unwrap_or(0))
        .open(path);
    let f = match f {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(OpenError::NotFound {
                path: path.to_path_buf(),
            })
        }
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(OpenError::Symlink {
                path: path.to_path_buf(),
            })
        }
        Err(source) => {
            // A device that cannot be opened is still refused for what it is.
            if let Ok(md) = fs::symlink_metadata(path) {
                check(path, &md, None)?;
            }
            return Err(OpenError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let md = f.metadata().map_err(|source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check(path, &md, expected)?;
    // O_NONBLOCK means nothing for a regular file; clear it anyway so the handle is ordinary.
    let _ = rustix::fs::fcntl_setfl(&f, rustix::fs::OFlags::empty());
    Ok(f)
}

/// The size of the regular file at `path`; `None` when nothing is there. A symlink or special
/// file is an error.
pub fn regular_size(path: &Path) -> Result<Option<u64>, OpenError> {
    match fs::symlink_metadata(path) {
        Ok(md) => check(path, &md, None).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(OpenError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Read a whole small regular file (`index.json`, `oci-layout`), refusing symlinks, special
/// files and files above `max` bytes.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, OpenError> {
    use std::io::Read;
    let f = open_regular(path, None)?;
    let io_err = |source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = f.metadata().map_err(io_err)?.len();
    if len > max {
        return Err(OpenError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{len} bytes, more than the {max}-byte limit"),
            ),
        });
    }
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.take(max + 1).read_to_end(&mut out).map_err(io_err)?;
    Ok(out)
}

/// Refuse `dir` when it is a symlink (it may also not exist).
pub fn no_symlink_dir(dir: &Path) -> Result<(), OpenError> {
    match fs::symlink_metadata(dir) {
        Ok(md) if md.file_type().is_symlink() => Err(OpenError::Symlink {
            path: dir.to_path_buf(),
        }),
        Ok(md) if !md.is_dir() => Err(OpenError::NotRegular {
            path: dir.to_path_buf(),
            kind: kind_name(md.file_type()),
        }),
        _ => Ok(()),
    }
}

/// A named temporary file in `dir` whose mode is `0666` less the umask (`tempfile`'s default
/// is `0600`), for files that become outputs.
pub fn temp_file_in(dir: &Path, prefix: &str) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(prefix)
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

/// A temporary directory in `dir` whose mode is `0777` less the umask, for directories that
/// are renamed into place as outputs.
pub fn temp_dir_in(dir: &Path, prefix: &str) -> io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .permissions(fs::Permissions::from_mode(0o777))
        .tempdir_in(dir)
}

/// The process umask, read from `/proc/self/status` (`umask(2)` can only read it by changing
/// it, for every thread); `0o022` when that is unavailable.
pub fn umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Umask:"))?;
            u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

/// Give an existing file the mode a new output file gets: `0666` less the umask (for files
/// created elsewhere as private temporaries, such as downloads, that become outputs).
pub fn set_output_mode(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o666 & !umask()))
}

/// Write `bytes` to `dest` atomically (temporary file next to it, fsync, rename) with mode
/// `0666` less the umask. For output files such as digest or metadata files.
pub fn write_output_atomic(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = temp_file_in(&parent, ".hoist-out-")?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_symlinks_fifos_devices_and_wrong_sizes() {
        let t = tempfile::tempdir().unwrap();
        let good = t.path().join("good");
        fs::write(&good, b"abc").unwrap();
        assert!(open_regular(&good, Some(3)).is_ok());
        assert!(matches!(
            open_regular(&good, Some(4)),
            Err(OpenError::Size { actual: 3, .. })
        ));
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        assert!(matches!(
            open_regular(&link, None),
            Err(OpenError::Symlink { .. })
        ));
        assert!(matches!(
            regular_size(&link),
            Err(OpenError::Symlink { .. })
        ));
        let fifo = t.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        // Must not hang: no writer ever opens the FIFO.
        assert!(matches!(
            open_regular(&fifo, None),
            Err(OpenError::NotRegular { kind: "FIFO", .. })
        ));
        assert!(matches!(
            open_regular(Path::new("/dev/null"), None),
            Err(OpenError::NotRegular {
                kind: "character device",
                ..
            })
        ));
        assert!(open_regular(&t.path().join("none"), None)
            .unwrap_err()
            .is_not_found());
        assert_eq!(regular_size(&t.path().join("none")).unwrap(), None);
        assert!(no_symlink_dir(t.path()).is_ok());
        let dl = t.path().join("dl");
        std::os::unix::fs::symlink(t.path(), &dl).unwrap();
        assert!(no_symlink_dir(&dl).is_err());
    }

    #[test]
    fn outputs_follow_the_umask() {
        let t = tempfile::tempdir().unwrap();
        let f = temp_file_in(t.path(), "x").unwrap();
        let mode = f.as_file().metadata().unwrap().permissions().mode() & 0o777;
        let umask = umask();
        assert_eq!(mode, 0o666 & !umask);
        let d = temp_dir_in(t.path(), "d").unwrap();
        let mode = fs::metadata(d.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o777 & !umask);
        // Digest, iid and metadata files of a build.
        let out = t.path().join("digest.txt");
        write_output_atomic(&out, b"sha256:x").unwrap();
        let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask);
        assert_eq!(fs::read(&out).unwrap(), b"sha256:x");
    }
}
