//! Chroot mode (no mount, no unshare): materialise the merged lowers into `work/root` (a real
//! copy: hard links into the shared layer store would let an in-place write of the command
//! corrupt the store), put the mount points in place by copying (binds, /etc files, /dev
//! nodes via mknod when allowed), `chroot` and run, collect stray processes (the helper is a
//! child subreaper), sync rw binds back to their sources, undo the mount points, and write the
//! differences into upper ([`super::diff`]).

use std::ffi::OsString;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::{ForkResult, Pid};

use super::diff::{self, Snap, Snapshot};
use super::merged::{self, Merged};
use super::{container, devices, tree, MountSpec, NetworkMode, RunSpec, SetupError};

fn io_err(what: String) -> impl FnOnce(io::Error) -> SetupError {
    move |e| SetupError::io(what, &e)
}

pub(super) fn run(spec: &RunSpec) -> Result<i32, SetupError> {
    let root = spec.work.join("root");
    let aside = spec.work.join("aside");
    let etc = spec.work.join("etc");
    for d in [&root, &aside, &etc] {
        std::fs::create_dir(d).map_err(io_err(format!("creating {}", d.display())))?;
    }
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))
        .map_err(io_err(format!("chmod {}", root.display())))?;
    let view = Merged::new(&spec.lowers);
    let mut snap = Snapshot::new();
    let mut links = std::collections::HashMap::new();
    materialise(
        &view,
        &view.root_stack(),
        &root,
        Path::new(""),
        &mut snap,
        &mut links,
    )
    .map_err(io_err(format!(
        "copying the image's {} layers into {}",
        spec.lowers.len(),
        root.display()
    )))?;
    let mut masks = Masks::new(&root, &aside);
    let result = masks.setup(spec, &etc).and_then(|()| execute(spec, &root));
    let undone = masks.undo();
    let code = result?;
    undone?;
    diff::diff(&root, &snap, &spec.upper).map_err(io_err(format!(
        "writing the changes into {}",
        spec.upper.display()
    )))?;
    Ok(code)
}

fn materialise(
    view: &Merged,
    stack: &[PathBuf],
    root: &Path,
    rel: &Path,
    snap: &mut Snapshot,
    links: &mut std::collections::HashMap<(u64, u64), PathBuf>,
) -> io::Result<()> {
    let mut names = Vec::new();
    for (name, found) in view.children(stack)? {
        let child = rel.join(&name);
        let dst = root.join(&child);
        let md = &found.meta;
        let key = (md.dev(), md.ino());
        if !md.is_dir() && md.nlink() > 1 {
            if let Some(first) = links.get(&key) {
                std::fs::hard_link(root.join(first), &dst)?;
                snap.insert(child, Snap::of(&std::fs::symlink_metadata(&dst)?, None));
                names.push(name);
                continue;
            }
            links.insert(key, child.clone());
        }
        tree::copy_entry(&found.host, md, &dst)?;
        if md.is_dir() {
            materialise(view, &found.stack, root, &child, snap, links)?;
            tree::set_times(&dst, md)?;
        }
        names.push(name);
    }
    // Snapshots after the tree is complete: hard links and set times move ctimes.
    for name in &names {
        let child = rel.join(name);
        let md = std::fs::symlink_metadata(root.join(&child))?;
        let children = if md.is_dir() {
            Some(
                snap.get(&child)
                    .and_then(|s| s.children.clone())
                    .unwrap_or_default(),
            )
        } else {
            None
        };
        snap.insert(child, Snap::of(&md, children));
    }
    let md = std::fs::symlink_metadata(root.join(rel))?;
    snap.insert(rel.to_path_buf(), Snap::of(&md, Some(names)));
    Ok(())
}

/// Mount points emulated by copying, and how to undo them.
struct Masks<'a> {
    root: &'a Path,
    aside: &'a Path,
    /// (target rel, aside name) for targets that existed in the image.
    moved: Vec<(PathBuf, PathBuf)>,
    /// Mount point content we put in place (removed after the run).
    placed: Vec<PathBuf>,
    /// Parent dirs we created (removed after the run when still empty).
    stubs: Vec<PathBuf>,
    /// Parent dirs whose times we disturbed, with their metadata before.
    times: Vec<(PathBuf, std::fs::Metadata)>,
    /// Their mtimes once the mount points were in place (to tell whether the command wrote
    /// to them: then its times stay, as with overlayfs).
    sealed: Vec<Option<(i64, i64)>>,
    /// rw binds to sync back: (target rel, source).
    sync_back: Vec<(PathBuf, PathBuf)>,
}

impl<'a> Masks<'a> {
    fn new(root: &'a Path, aside: &'a Path) -> Masks<'a> {
        Masks {
            root,
            aside,
            moved: Vec::new(),
            placed: Vec::new(),
            stubs: Vec::new(),
            times: Vec::new(),
            sealed: Vec::new(),
            sync_back: Vec::new(),
        }
    }

    fn setup(&mut self, spec: &RunSpec, etc: &Path) -> Result<(), SetupError> {
        let hosts = format!(
            "127.0.0.1\tlocalhost {h}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            h = spec.hostname
        );
        let files = [
            ("hosts", hosts.into_bytes()),
            (
                "resolv.conf",
                std::fs::read("/etc/resolv.conf").unwrap_or_default(),
            ),
            ("hostname", format!("{}\n", spec.hostname).into_bytes()),
        ];
        for (name, body) in files {
            let src = etc.join(name);
            std::fs::write(&src, body).map_err(io_err(format!("writing {}", src.display())))?;
            std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o644))
                .map_err(io_err(format!("chmod {}", src.display())))?;
            let t = self.target(&format!("/etc/{name}"))?;
            self.copy_in(&src, &t)?;
        }
        for name in ["proc", "sys"] {
            let t = self.target(&format!("/{name}"))?;
            self.make_dir(&t, 0o555)?;
        }
        let dev = self.target("/dev")?;
        self.make_dir(&dev, 0o755)?;
        devices::populate_dev(&self.root.join(&dev))?;
        for m in &spec.mounts {
            match m {
                MountSpec::Bind {
                    source,
                    target,
                    readonly,
                } => {
                    let t = self.target(target)?;
                    self.copy_in(source, &t)?;
                    if !readonly {
                        self.sync_back.push((t, source.clone()));
                    }
                }
                MountSpec::Tmpfs { target, .. } => {
                    let t = self.target(target)?;
                    self.make_dir(&t, 0o1777)?;
                }
            }
        }
        self.sealed = self.current_mtimes();
        Ok(())
    }

    fn current_mtimes(&self) -> Vec<Option<(i64, i64)>> {
        self.times
            .iter()
            .map(|(rel, _)| {
                std::fs::symlink_metadata(self.root.join(rel))
                    .ok()
                    .map(|m| (m.mtime(), m.mtime_nsec()))
            })
            .collect()
    }

    /// Resolve a mount target in the root, move an existing entry aside, create missing
    /// parents; returns the relative path (now free).
    fn target(&mut self, path: &str) -> Result<PathBuf, SetupError> {
        let rel = merged::resolve(path, &mut merged::dir_probe(self.root))
            .map_err(io_err(format!("resolving mount target {path}")))?;
        if rel.as_os_str().is_empty() {
            return Err(SetupError::Invalid(format!(
                "mount target {path} is the container's root"
            )));
        }
        let mut prefix = PathBuf::new();
        for c in rel.parent().unwrap_or(Path::new("")).components() {
            let parent = self.root.join(&prefix);
            prefix.push(c);
            let p = self.root.join(&prefix);
            match std::fs::symlink_metadata(&p) {
                Ok(md) if md.is_dir() => continue,
                Ok(_) => {
                    return Err(SetupError::Invalid(format!(
                        "mount target {path}: /{} is not a directory in the image",
                        prefix.display()
                    )))
                }
                Err(_) => {
                    self.remember_times(&parent)?;
                    std::fs::create_dir(&p).map_err(io_err(format!("creating {}", p.display())))?;
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                        .map_err(io_err(format!("chmod {}", p.display())))?;
                    self.stubs.push(prefix.clone());
                }
            }
        }
        let p = self.root.join(&rel);
        self.remember_times(p.parent().unwrap_or(self.root))?;
        if std::fs::symlink_metadata(&p).is_ok() {
            let name = PathBuf::from(self.moved.len().to_string());
            std::fs::rename(&p, self.aside.join(&name))
                .map_err(io_err(format!("moving {} aside", p.display())))?;
            self.moved.push((rel.clone(), name));
        }
        self.placed.push(rel.clone());
        Ok(rel)
    }

    fn remember_times(&mut self, dir: &Path) -> Result<(), SetupError> {
        let rel = dir
            .strip_prefix(self.root)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        if self.times.iter().any(|(p, _)| *p == rel) {
            return Ok(());
        }
        let md =
            std::fs::symlink_metadata(dir).map_err(io_err(format!("stat {}", dir.display())))?;
        self.times.push((rel, md));
        Ok(())
    }

    fn make_dir(&self, rel: &Path, mode: u32) -> Result<(), SetupError> {
        let p = self.root.join(rel);
        std::fs::create_dir(&p).map_err(io_err(format!("creating {}", p.display())))?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .map_err(io_err(format!("chmod {}", p.display())))
    }

    fn copy_in(&self, src: &Path, rel: &Path) -> Result<(), SetupError> {
        let dst = self.root.join(rel);
        copy_tree(src, &dst).map_err(io_err(format!(
            "copying mount source {} to {}",
            src.display(),
            dst.display()
        )))
    }

    /// Undo everything (also after a failure), in reverse order.
    fn undo(&mut self) -> Result<(), SetupError> {
        let touched: Vec<Option<std::fs::Metadata>> = self
            .times
            .iter()
            .zip(self.current_mtimes())
            .enumerate()
            .map(|(i, ((rel, _), now))| {
                let untouched = self.sealed.get(i).is_some_and(|s| *s == now);
                if untouched {
                    None
                } else {
                    std::fs::symlink_metadata(self.root.join(rel)).ok()
                }
            })
            .collect();
        for (rel, source) in &self.sync_back {
            sync_tree(&self.root.join(rel), source).map_err(io_err(format!(
                "writing the mount at /{} back to {}",
                rel.display(),
                source.display()
            )))?;
        }
        for rel in self.placed.iter().rev() {
            let p = self.root.join(rel);
            tree::remove_all(&p).map_err(io_err(format!("removing {}", p.display())))?;
        }
        for (rel, name) in self.moved.iter().rev() {
            let p = self.root.join(rel);
            std::fs::rename(self.aside.join(name), &p)
                .map_err(io_err(format!("moving {} back", p.display())))?;
        }
        for rel in self.stubs.iter().rev() {
            let p = self.root.join(rel);
            let empty = std::fs::read_dir(&p)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if empty {
                std::fs::remove_dir(&p).map_err(io_err(format!("removing {}", p.display())))?;
            }
        }
        for ((rel, before), touched) in self.times.iter().zip(&touched).rev() {
            let p = self.root.join(rel);
            // Written by the command: keep its times; else the image's.
            let md = touched.as_ref().unwrap_or(before);
            if p.exists() {
                tree::set_times(&p, md)
                    .map_err(io_err(format!("restoring times of {}", p.display())))?;
            }
        }
        Ok(())
    }
}

/// Copy a file or tree with metadata.
fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    let md = std::fs::symlink_metadata(src)?;
    tree::copy_entry(src, &md, dst)?;
    if md.is_dir() {
        for e in std::fs::read_dir(src)? {
            let e = e?;
            copy_tree(&e.path(), &dst.join(e.file_name()))?;
        }
        tree::set_times(dst, &md)?;
    }
    Ok(())
}

/// Make `to` match `from` (rw bind emulation): changed or new entries are copied, entries
/// missing in `from` removed. Unchanged files (size and mtime) are left alone.
fn sync_tree(from: &Path, to: &Path) -> io::Result<()> {
    let fm = std::fs::symlink_metadata(from)?;
    let tm = std::fs::symlink_metadata(to).ok();
    let same_kind = tm.as_ref().is_some_and(|t| t.file_type() == fm.file_type());
    if fm.is_dir() {
        if !same_kind {
            if tm.is_some() {
                tree::remove_all(to)?;
            }
            tree::copy_entry(from, &fm, to)?;
        }
        let mut keep: Vec<OsString> = Vec::new();
        for e in std::fs::read_dir(from)? {
            let e = e?;
            sync_tree(&e.path(), &to.join(e.file_name()))?;
            keep.push(e.file_name());
        }
        for e in std::fs::read_dir(to)? {
            let e = e?;
            if !keep.contains(&e.file_name()) {
                tree::remove_all(&e.path())?;
            }
        }
        return tree::apply_meta(to, &fm);
    }
    let unchanged = same_kind
        && tm.as_ref().is_some_and(|t| {
            t.len() == fm.len() && t.mtime() == fm.mtime() && t.mtime_nsec() == fm.mtime_nsec()
        });
    if !unchanged {
        if tm.is_some() {
            tree::remove_all(to)?;
        }
        tree::copy_entry(from, &fm, to)?;
    }
    Ok(())
}

/// Fork, chroot, exec; wait; reap and kill whatever the command left running.
fn execute(spec: &RunSpec, root: &Path) -> Result<i32, SetupError> {
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| SetupError::sys("prctl(PR_SET_CHILD_SUBREAPER)", e))?;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SetupError::sys("pipe2", e))?;
    // SAFETY: the helper is single-threaded, so the child may run arbitrary code after fork.
    match unsafe { nix::unistd::fork() }.map_err(|e| SetupError::sys("fork", e))? {
        ForkResult::Child => {
            drop(err_r);
            let e = enter(spec, root);
            container::fail(&err_w, &e)
        }
        ForkResult::Parent { child } => {
            drop(err_w);
            // Either side may win the race; the loser gets EACCES/ESRCH, which is fine.
            let _ = nix::unistd::setpgid(child, child);
            let watchdog = spawn_watchdog(child);
            let failure = container::read_failure(err_r);
            let code = super::ns::wait_code(child);
            if let Some(w) = watchdog {
                let _ = kill(w, Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(w, None);
            }
            reap_all();
            if let Some(e) = failure {
                return Err(e);
            }
            code
        }
    }
}

/// Without a pid namespace, nothing kills the command's background processes if the helper is
/// SIGKILLed (they are reparented to init). A watchdog child gets a catchable parent-death
/// signal and then kills the command's process group.
fn spawn_watchdog(pgid: Pid) -> Option<Pid> {
    use nix::sys::signal::SigSet;
    let helper = nix::unistd::getpid();
    let mut set = SigSet::empty();
    set.add(Signal::SIGUSR1);
    // Blocked before fork so the signal cannot arrive before the child waits for it.
    set.thread_block().ok()?;
    // SAFETY: the helper is single-threaded, so the child may run arbitrary code after fork.
    let forked = unsafe { nix::unistd::fork() };
    let _ = set.thread_unblock();
    match forked {
        Ok(ForkResult::Child) => {
            let _ = set.thread_block();
            let armed = nix::sys::prctl::set_pdeathsig(Signal::SIGUSR1).is_ok();
            if armed && nix::unistd::getppid() == helper {
                let _ = set.wait();
            }
            let _ = kill(Pid::from_raw(-pgid.as_raw()), Signal::SIGKILL);
            std::process::exit(0)
        }
        Ok(ForkResult::Parent { child }) => Some(child),
        Err(_) => None,
    }
}

fn enter(spec: &RunSpec, root: &Path) -> SetupError {
    if let Err(e) = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL) {
        return SetupError::sys("prctl(PR_SET_PDEATHSIG)", e);
    }
    if let Err(e) = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0)) {
        return SetupError::sys("setpgid", e);
    }
    if spec.network == NetworkMode::None {
        if let Err(e) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET) {
            return SetupError::sys_hint(
                "unshare(network namespace) for --network none",
                e,
                "chroot mode cannot isolate the network without CAP_SYS_ADMIN; use --network default or another isolation",
            );
        }
        if let Err(e) = super::ns::loopback_up() {
            return e;
        }
    }
    if let Err(e) = nix::unistd::chroot(root) {
        return SetupError::sys_hint(
            format!("chroot {}", root.display()),
            e,
            "chroot mode needs CAP_SYS_CHROOT (root in the container)",
        );
    }
    if let Err(e) = nix::unistd::chdir("/") {
        return SetupError::sys("chdir / in the chroot", e);
    }
    container::exec(spec)
}

/// Kill and reap every remaining descendant (they were reparented to us, the subreaper).
fn reap_all() {
    loop {
        let kids = children();
        if kids.is_empty() {
            // Reap zombies already gone from the children list.
            while let Ok(status) = nix::sys::wait::waitpid(
                Pid::from_raw(-1),
                Some(nix::sys::wait::WaitPidFlag::WNOHANG),
            ) {
                if status == nix::sys::wait::WaitStatus::StillAlive {
                    break;
                }
            }
            return;
        }
        for pid in &kids {
            let _ = kill(*pid, Signal::SIGKILL);
        }
        for pid in kids {
            while let Err(Errno::EINTR) = nix::sys::wait::waitpid(pid, None) {}
        }
    }
}

fn children() -> Vec<Pid> {
    let me = std::process::id();
    let path = format!("/proc/{me}/task/{me}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse::<i32>().ok())
        .map(Pid::from_raw)
        .collect()
}
