//! Temporary data next to the destination, and the cleaning of what killed runs left there.
//!
//! Every temporary entry hoist creates beside an output (a layout being staged, a blob being
//! written, an archive being assembled, a download) has a name starting with one of
//! [`PREFIXES`] and is `flock`ed by the process writing it for as long as it lives. A later run
//! calls [`clean_stale`] on the directory: entries with those names that nobody holds a lock on
//! and that are older than [`MIN_AGE`] (the moment between creating and locking a file) are
//! left by killed processes and removed; those of live processes are never touched.
//! [`ScratchDir`] is a locked private directory for downloads, removed when dropped.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fs::FlockOperation;

/// Name prefixes of hoist's temporary entries (current and earlier versions).
pub const PREFIXES: &[&str] = &[
    ".hoist-layout-",
    ".hoist-tmp-",
    ".hoist-archive-",
    ".hoist-spool-",
    ".hoist-out-",
    ".hoist-pull-",
    ".hoist-unpack-",
    ".tmp-blob-",
    ".tmp-index.json-",
    ".tmp-oci-layout-",
];

/// Entries younger than this are never removed (a writer creates a file, then locks it).
pub const MIN_AGE: Duration = Duration::from_secs(10);

/// Take an exclusive `flock` on `f`, waiting for it.
pub fn lock(f: &File) -> io::Result<()> {
    loop {
        match rustix::fs::flock(f, FlockOperation::LockExclusive) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Remove the stale temporary entries of killed hoist runs directly in `dir` (see the module
/// doc); returns how many were removed. Best effort: entries that cannot be examined or
/// removed are left alone.
pub fn clean_stale(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !PREFIXES.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let path = e.path();
        let Ok(md) = fs::symlink_metadata(&path) else {
            continue;
        };
        let age = md
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if age < MIN_AGE || md.file_type().is_symlink() {
            continue;
        }
        if md.is_dir() || md.is_file() {
            let Ok(f) = File::open(&path) else { continue };
            if rustix::fs::flock(&f, FlockOperation::NonBlockingLockExclusive).is_err() {
                continue; // a live process holds it
            }
            let res = if md.is_dir() {
                super::unpack::remove_tree(&path)
            } else {
                fs::remove_file(&path)
            };
            if res.is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// A private, locked temporary directory (`.hoist-tmp-*`) inside a destination, removed with
/// its contents when dropped.
#[derive(Debug)]
pub struct ScratchDir {
    dir: Option<tempfile::TempDir>,
    _lock: File,
}

impl ScratchDir {
    /// Create one in `parent` (which must exist), after cleaning stale leftovers there.
    pub fn new_in(parent: &Path) -> io::Result<ScratchDir> {
        clean_stale(parent);
        let dir = tempfile::Builder::new()
            .prefix(".hoist-tmp-")
            .tempdir_in(parent)?;
        let lock_file = File::open(dir.path())?;
        lock(&lock_file)?;
        Ok(ScratchDir {
            dir: Some(dir),
            _lock: lock_file,
        })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map(|d| d.path()).unwrap_or(Path::new(""))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let p: PathBuf = d.keep();
            let _ = super::unpack::remove_tree(&p);
        }
    }
}

/// A directory output (an unpacked root) being written: under a temporary name next to its
/// destination (`.hoist-unpack-*`, locked), renamed into place by [`StagedDir::publish`];
/// dropped unpublished, it is removed, so a failed write leaves nothing. When the destination
/// is an existing empty directory on another file system than its parent (a mount point,
/// which cannot be replaced by a rename), it is written in place and emptied again on failure.
#[derive(Debug)]
pub struct StagedDir {
    work: PathBuf,
    dest: PathBuf,
    in_place: bool,
    armed: bool,
    _lock: Option<File>,
}

impl StagedDir {
    /// Prepare to write `dest`, which must be missing or an empty directory.
    pub fn new(dest: &Path) -> io::Result<StagedDir> {
        use std::os::unix::fs::MetadataExt;
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let mount_point = match (fs::metadata(dest), fs::metadata(&parent)) {
            (Ok(d), Ok(p)) => d.dev() != p.dev(),
            _ => false,
        };
        if mount_point {
            return Ok(StagedDir {
                work: dest.to_path_buf(),
                dest: dest.to_path_buf(),
                in_place: true,
                armed: true,
                _lock: None,
            });
        }
        clean_stale(&parent);
        let tmp = super::fsafe::temp_dir_in(&parent, ".hoist-unpack-")?;
        let lock_file = File::open(tmp.path())?;
        lock(&lock_file)?;
        Ok(StagedDir {
            work: tmp.keep(),
            dest: dest.to_path_buf(),
            in_place: false,
            armed: true,
            _lock: Some(lock_file),
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// Move the finished directory into place.
    pub fn publish(mut self) -> io::Result<()> {
        if !self.in_place {
            fs::rename(&self.work, &self.dest)?;
        }
        self.armed = false;
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if self.in_place {
            if let Ok(entries) = fs::read_dir(&self.work) {
                for e in entries.flatten() {
                    let p = e.path();
                    let _ = if e.file_type().is_ok_and(|t| t.is_dir()) {
                        super::unpack::remove_tree(&p)
                    } else {
                        fs::remove_file(&p)
                    };
                }
            }
        } else {
            let _ = super::unpack::remove_tree(&self.work);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(p: &Path) {
        let old = SystemTime::now() - Duration::from_secs(3600);
        File::open(p).unwrap().set_modified(old).unwrap();
    }

    #[test]
    fn removes_only_unlocked_old_hoist_entries() {
        let t = tempfile::tempdir().unwrap();
        let dead = t.path().join(".hoist-pull-dead");
        let held = t.path().join(".tmp-blob-held");
        let young = t.path().join(".hoist-spool-young");
        let other = t.path().join("mine.tmp");
        let dead_dir = t.path().join(".hoist-layout-dead");
        for f in [&dead, &held, &young, &other] {
            fs::write(f, b"x").unwrap();
        }
        fs::create_dir(&dead_dir).unwrap();
        fs::write(dead_dir.join("index.json"), b"{}").unwrap();
        for p in [&dead, &held, &other, &dead_dir] {
            age(p);
        }
        let holder = File::open(&held).unwrap();
        lock(&holder).unwrap();
        let live = ScratchDir::new_in(t.path()).unwrap();
        age(live.path());
        assert_eq!(
            clean_stale(t.path()),
            0,
            "ScratchDir::new_in cleaned already"
        );
        assert!(!dead.exists() && !dead_dir.exists());
        assert!(held.exists() && young.exists() && other.exists());
        assert!(live.path().exists());
        let p = live.path().to_path_buf();
        drop(live);
        assert!(!p.exists());
        drop(holder);
        assert_eq!(clean_stale(t.path()), 1);
        assert!(!held.exists());
    }
}
