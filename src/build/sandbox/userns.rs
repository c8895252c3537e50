//! Rootless mode: a child enters a new user namespace, the helper maps its ids (container 0 →
//! the calling user, 1..N → the user's subordinate range through `newuidmap`/`newgidmap` when
//! both exist and /etc/subuid and /etc/subgid have a range; otherwise the single mapping
//! 0 → user), then the child continues as namespaces mode (overlayfs with `userxattr`).
//!
//! The same mapping ([`IdMap`]) serves the builder of a non-root user: its store holds
//! shifted ids (container uid N is host id start+N-1), so layers are written with the ids
//! mapped back, and what the builder itself cannot do to those trees (set owners, read what a
//! RUN step made private) a helper does in a user namespace with this mapping (`as_root`).

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::unistd::{ForkResult, Gid, Pid, Uid};

use super::{container, RunSpec, SetupError};

/// A subordinate id range: first host id and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first host id.
    pub start: u32,
    /// How many ids.
    pub count: u32,
}

/// The range of `user` (name or numeric id) in an /etc/subuid-style file.
pub(super) fn sub_range(text: &str, name: &str, id: u32) -> Option<Range> {
    text.lines().find_map(|l| {
        let mut f = l.trim().split(':');
        let (owner, start, count) = (f.next()?, f.next()?, f.next()?);
        if owner != name && owner != id.to_string() {
            return None;
        }
        let r = Range {
            start: start.parse().ok()?,
            count: count.parse().ok()?,
        };
        (r.count > 0).then_some(r)
    })
}

/// How a rootless sandbox of the calling user maps ids: container 0 is the user's own id,
/// container 1..=count the subordinate range (when `newuidmap`/`newgidmap` exist and
/// /etc/subuid and /etc/subgid give the user a range); no other id exists inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMap {
    /// The user's uid and subordinate uid range.
    pub uid: (u32, Option<Range>),
    /// The user's gid and subordinate gid range.
    pub gid: (u32, Option<Range>),
}

impl IdMap {
    /// The mapping the sandbox gives `uid`/`gid`.
    pub(super) fn for_user(uid: Uid, gid: Gid) -> IdMap {
        let name = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_default();
        let tools =
            Path::new("/usr/bin/newuidmap").exists() && Path::new("/usr/bin/newgidmap").exists();
        let ranges = (
            std::fs::read_to_string("/etc/subuid")
                .ok()
                .and_then(|t| sub_range(&t, &name, uid.as_raw())),
            std::fs::read_to_string("/etc/subgid")
                .ok()
                .and_then(|t| sub_range(&t, &name, gid.as_raw())),
        );
        match ranges {
            (Some(u), Some(g)) if tools && !uid.is_root() => IdMap {
                uid: (uid.as_raw(), Some(u)),
                gid: (gid.as_raw(), Some(g)),
            },
            _ => IdMap {
                uid: (uid.as_raw(), None),
                gid: (gid.as_raw(), None),
            },
        }
    }

    /// Whether subordinate ids are mapped (else only container root exists).
    pub fn has_range(&self) -> bool {
        self.uid.1.is_some() && self.gid.1.is_some()
    }

    /// The container ids of a host owner (the kernel's overflow id 65534 for an id outside
    /// the mapping, as the container itself sees it).
    pub fn to_container(&self, uid: u32, gid: u32) -> (u32, u32) {
        (back(self.uid, uid), back(self.gid, gid))
    }
}

fn back((own, range): (u32, Option<Range>), host: u32) -> u32 {
    if host == own {
        return 0;
    }
    match range {
        Some(r) if host >= r.start && host - r.start < r.count => host - r.start + 1,
        _ => 65534,
    }
}

/// The mapping of this process's user, or `None` when it is root (ids are the container's).
pub fn current_map() -> Option<&'static IdMap> {
    static MAP: std::sync::OnceLock<Option<IdMap>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let uid = nix::unistd::getuid();
        (!uid.is_root()).then(|| IdMap::for_user(uid, nix::unistd::getgid()))
    })
    .as_ref()
}

/// Run `spec` in a new user namespace (then as namespaces mode).
pub(super) fn run(spec: &RunSpec) -> Result<i32, SetupError> {
    in_userns(|| super::ns::run(spec, true))
}

/// Fork a child into a new user namespace, map its ids, make it root there and run `f` in it;
/// the child's exit code (or the error it reported).
pub(super) fn in_userns(f: impl FnOnce() -> Result<i32, SetupError>) -> Result<i32, SetupError> {
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    let (ready_r, ready_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SetupError::sys("pipe2", e))?;
    let (go_r, go_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SetupError::sys("pipe2", e))?;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SetupError::sys("pipe2", e))?;
    // SAFETY: the helper is single-threaded, so the child may run arbitrary code after fork.
    match unsafe { nix::unistd::fork() }.map_err(|e| SetupError::sys("fork", e))? {
        ForkResult::Child => {
            drop((ready_r, go_w, err_r));
            let e = child(f, ready_w, go_r);
            container::fail(&err_w, &e)
        }
        ForkResult::Parent { child } => {
            drop((ready_w, go_r, err_w));
            let mut byte = [0u8; 1];
            let ready = std::fs::File::from(ready_r).read(&mut byte).unwrap_or(0) == 1;
            let mapped = if ready {
                map_ids(child, uid, gid)
            } else {
                Ok(())
            };
            if mapped.is_ok() && ready {
                let _ = std::fs::File::from(go_w).write_all(b"g");
            } else {
                drop(go_w);
            }
            let failure = container::read_failure(err_r);
            let code = super::ns::wait_code(child)?;
            mapped?;
            match failure {
                Some(e) => Err(e),
                None => Ok(code),
            }
        }
    }
}

fn child(
    f: impl FnOnce() -> Result<i32, SetupError>,
    ready_w: std::os::fd::OwnedFd,
    go_r: std::os::fd::OwnedFd,
) -> SetupError {
    if let Err(e) = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL) {
        return SetupError::sys("prctl(PR_SET_PDEATHSIG)", e);
    }
    if let Err(e) = nix::sched::unshare(CloneFlags::CLONE_NEWUSER) {
        return SetupError::sys_hint(
            "unshare(user namespace)",
            e,
            "user namespaces are disabled: sysctl kernel.unprivileged_userns_clone=1 (and user.max_user_namespaces > 0) or use --isolation chroot",
        );
    }
    if std::fs::File::from(ready_w).write_all(b"r").is_err() {
        return SetupError::Invalid("the helper went away while mapping ids".into());
    }
    let mut byte = [0u8; 1];
    if std::fs::File::from(go_r).read(&mut byte).unwrap_or(0) != 1 {
        // The helper reports why mapping failed.
        std::process::exit(125);
    }
    let root_g = Gid::from_raw(0);
    let root_u = Uid::from_raw(0);
    if let Err(e) = nix::unistd::setresgid(root_g, root_g, root_g) {
        return SetupError::sys("setgid(0) in the user namespace", e);
    }
    if let Err(e) = nix::unistd::setresuid(root_u, root_u, root_u) {
        return SetupError::sys("setuid(0) in the user namespace", e);
    }
    match f() {
        Ok(code) => std::process::exit(code),
        Err(e) => e,
    }
}

/// Write the uid/gid maps of `pid` (in its new user namespace).
fn map_ids(pid: Pid, uid: Uid, gid: Gid) -> Result<(), SetupError> {
    let map = IdMap::for_user(uid, gid);
    if let (Some(u), Some(g)) = (map.uid.1, map.gid.1) {
        let name = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_default();
        for (tool, host, r) in [
            ("/usr/bin/newuidmap", uid.as_raw(), u),
            ("/usr/bin/newgidmap", gid.as_raw(), g),
        ] {
            let out = Command::new(tool)
                .args([
                    pid.to_string(),
                    "0".into(),
                    host.to_string(),
                    "1".into(),
                    "1".into(),
                    r.start.to_string(),
                    r.count.to_string(),
                ])
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| SetupError::io(format!("running {tool}"), &e))?;
            if !out.status.success() {
                return Err(SetupError::Invalid(format!(
                    "{tool} {pid} 0 {host} 1 1 {} {} failed: {}; check /etc/subuid and /etc/subgid for {name}",
                    r.start,
                    r.count,
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
        return Ok(());
    }
    let write = |file: &str, body: String| {
        let p = format!("/proc/{pid}/{file}");
        std::fs::write(&p, body).map_err(|e| SetupError::io(format!("writing {p}"), &e))
    };
    write("setgroups", "deny".into())?;
    write("uid_map", format!("0 {} 1\n", uid.as_raw()))?;
    write("gid_map", format!("0 {} 1\n", gid.as_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subordinate_ranges() {
        let t = "alice:100000:65536\n1001:165536:65536\nbob:0:0\n";
        assert_eq!(
            sub_range(t, "alice", 1000),
            Some(Range {
                start: 100000,
                count: 65536
            })
        );
        assert_eq!(sub_range(t, "carol", 1001).map(|r| r.start), Some(165536));
        assert_eq!(sub_range(t, "bob", 1002), None);
    }

    #[test]
    fn host_ids_map_back_to_container_ids() {
        let r = Range {
            start: 100000,
            count: 65536,
        };
        let m = IdMap {
            uid: (1000, Some(r)),
            gid: (1001, Some(r)),
        };
        assert_eq!(m.to_container(1000, 1001), (0, 0));
        assert_eq!(m.to_container(100000, 100049), (1, 50));
        assert_eq!(m.to_container(165535, 0), (65536, 65534));
        assert_eq!(m.to_container(165536, 1000), (65534, 65534));
        let single = IdMap {
            uid: (1000, None),
            gid: (1000, None),
        };
        assert!(!single.has_range());
        assert_eq!(single.to_container(1000, 1000), (0, 0));
        assert_eq!(single.to_container(100000, 5), (65534, 65534));
    }
}
