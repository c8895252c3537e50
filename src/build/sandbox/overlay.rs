//! The overlay side of namespaces and rootless mode: the scratch layout under `work`, the stub
//! layer (mount points the image lacks, kept out of upper), the overlayfs mount (short
//! relative lower paths through a dir of symlinks so 100+ lowers fit the one-page option
//! limit) and the clean-up of stub traces in upper.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MsFlags;

use super::merged::{self, Merged};
use super::{tree, RunSpec, SetupError};

/// Scratch dirs of one run, all inside `spec.work`.
pub(super) struct Layout {
    /// The overlay mount point (the container's root before pivot_root).
    pub merged: PathBuf,
    /// The overlayfs workdir.
    pub ovl_work: PathBuf,
    /// The stub layer: topmost lower holding missing mount points.
    pub stubs: PathBuf,
    /// Symlinks `s`, `0`…`N-1`, `u`, `w` for short mount options.
    pub links: PathBuf,
    /// Generated /etc/hosts, /etc/resolv.conf, /etc/hostname.
    pub etc: PathBuf,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> SetupError {
    move |e| SetupError::io(what, &e)
}

impl Layout {
    pub fn create(spec: &RunSpec) -> Result<Layout, SetupError> {
        let w = &spec.work;
        let l = Layout {
            merged: w.join("merged"),
            ovl_work: w.join("ovl"),
            stubs: w.join("stubs"),
            links: w.join("l"),
            etc: w.join("etc"),
        };
        for d in [&l.merged, &l.ovl_work, &l.stubs, &l.links, &l.etc] {
            std::fs::create_dir(d).map_err(io(format!("creating {}", d.display())))?;
        }
        std::fs::set_permissions(&l.stubs, std::fs::Permissions::from_mode(0o755))
            .map_err(io(format!("chmod {}", l.stubs.display())))?;
        let link = |target: &Path, name: &str| {
            let p = l.links.join(name);
            std::os::unix::fs::symlink(target, &p).map_err(io(format!(
                "symlink {} -> {}",
                p.display(),
                target.display()
            )))
        };
        link(&l.stubs, "s")?;
        link(&spec.upper, "u")?;
        link(&l.ovl_work, "w")?;
        for (i, lower) in spec.lowers.iter().enumerate() {
            if !lower.is_dir() {
                return Err(SetupError::Invalid(format!(
                    "lower layer dir {} does not exist",
                    lower.display()
                )));
            }
            link(lower, &i.to_string())?;
        }
        let hosts = format!(
            "127.0.0.1\tlocalhost {h}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            h = spec.hostname
        );
        let resolv = std::fs::read("/etc/resolv.conf").unwrap_or_default();
        for (name, body) in [
            ("hosts", hosts.into_bytes()),
            ("resolv.conf", resolv),
            ("hostname", format!("{}\n", spec.hostname).into_bytes()),
        ] {
            let p = l.etc.join(name);
            std::fs::write(&p, body).map_err(io(format!("writing {}", p.display())))?;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644))
                .map_err(io(format!("chmod {}", p.display())))?;
        }
        Ok(l)
    }
}

/// What a mount point must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Dir,
    File,
}

/// A mount point inside the container: its path relative to the root (symlinks resolved in
/// the image) and the paths the stub layer had to create for it (absent from the image).
pub(super) struct Target {
    pub rel: PathBuf,
    pub created: Vec<PathBuf>,
}

/// Resolve `path` in the image and make sure it exists in the merged view, creating what is
/// missing in the stub layer (parents get the image's metadata, so copy-up is unaffected).
pub(super) fn stub(
    view: &Merged,
    stubs: &Path,
    path: &str,
    kind: Kind,
) -> Result<Target, SetupError> {
    let rel = merged::resolve(path, &mut merged::merged_probe(view))
        .map_err(io(format!("resolving mount target {path} in the image")))?;
    let mut created = Vec::new();
    if rel.as_os_str().is_empty() {
        return Err(SetupError::Invalid(format!(
            "mount target {path} is the container's root"
        )));
    }
    if view
        .lookup(&rel)
        .map_err(io(format!("looking up {path} in the image")))?
        .is_some()
    {
        return Ok(Target { rel, created });
    }
    let mut prefix = PathBuf::new();
    let mut dirs_to_time = Vec::new();
    let parent = rel.parent().unwrap_or(Path::new(""));
    for c in parent.components() {
        prefix.push(c);
        let host = stubs.join(&prefix);
        let found = view
            .lookup(&prefix)
            .map_err(io(format!("looking up /{} in the image", prefix.display())))?;
        if let Some(f) = &found {
            if !f.meta.is_dir() {
                return Err(SetupError::Invalid(format!(
                    "mount target {path}: /{} is not a directory in the image",
                    prefix.display()
                )));
            }
        }
        match std::fs::create_dir(&host) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(SetupError::io(format!("creating {}", host.display()), &e)),
        }
        match found {
            Some(f) => {
                tree::copy_xattrs(&f.host, &host)
                    .map_err(io(format!("copying xattrs to {}", host.display())))?;
                dirs_to_time.push((host, Some(f.meta)));
            }
            None => {
                created.push(prefix.clone());
                dirs_to_time.push((host, None));
            }
        }
    }
    let leaf = stubs.join(&rel);
    let made = match kind {
        Kind::Dir => std::fs::create_dir(&leaf),
        Kind::File => std::fs::File::create(&leaf).map(drop),
    };
    match made {
        Ok(()) => created.push(rel.clone()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(SetupError::io(format!("creating {}", leaf.display()), &e)),
    }
    for (host, meta) in dirs_to_time.into_iter().rev() {
        match meta {
            Some(md) => tree::apply_meta(&host, &md),
            None => std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o755)),
        }
        .map_err(io(format!("setting metadata of {}", host.display())))?;
    }
    Ok(Target { rel, created })
}

/// Mount the overlay (run with the cwd anywhere: options are relative to `layout.links`).
pub(super) fn mount(spec: &RunSpec, layout: &Layout, rootless: bool) -> Result<(), SetupError> {
    nix::unistd::chdir(&layout.links)
        .map_err(|e| SetupError::sys(format!("chdir {}", layout.links.display()), e))?;
    let mut lower = String::from("s");
    for (i, dir) in spec.lowers.iter().enumerate() {
        // overlayfs refuses a dir twice (ELOOP), as when a `COPY --link` layer is re-used over
        // a base that already has it; the lower copy adds nothing: every entry, whiteout and
        // opaque dir it has, the copy above has too.
        if spec
            .lowers
            .get(..i)
            .is_some_and(|above| above.contains(dir))
        {
            continue;
        }
        lower.push_str(&format!(":{i}"));
    }
    let base = format!("lowerdir={lower},upperdir=u,workdir=w");
    let user = if rootless { ",userxattr" } else { "" };
    let full = format!("{base},redirect_dir=off,metacopy=off,index=off{user}");
    let plain = format!("{base}{user}");
    let mut result = Err(Errno::EINVAL);
    for opts in [&full, &plain] {
        result = nix::mount::mount(
            Some("overlay"),
            &layout.merged,
            Some("overlay"),
            MsFlags::empty(),
            Some(opts.as_str()),
        );
        if result != Err(Errno::EINVAL) {
            break;
        }
    }
    result.map_err(|e| {
        SetupError::sys_hint(
            format!(
                "mounting overlayfs ({} lowers, upper {}) on {}",
                spec.lowers.len(),
                spec.upper.display(),
                layout.merged.display()
            ),
            e,
            if rootless {
                "overlayfs in a user namespace needs Linux >= 5.11; use --isolation chroot"
            } else {
                "upper and work must be on one filesystem that supports overlayfs upper dirs (not overlayfs itself); or use --isolation chroot"
            },
        )
    })?;
    nix::unistd::chdir("/").map_err(|e| SetupError::sys("chdir /", e))
}

/// After the run: stub paths must leave no trace in upper (a whiteout or an opaque marker
/// for something the image never had). Deepest first.
pub(super) fn clean_stub_traces(upper: &Path, created: &[PathBuf]) -> Result<(), SetupError> {
    let mut paths: Vec<&PathBuf> = created.iter().collect();
    paths.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for rel in paths {
        let p = upper.join(rel);
        let Ok(md) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if merged::is_whiteout(&md) {
            std::fs::remove_file(&p).map_err(io(format!("removing {}", p.display())))?;
        } else if md.is_dir() && merged::is_opaque(&p) {
            for key in ["trusted.overlay.opaque", "user.overlay.opaque"] {
                let _ = rustix::fs::lremovexattr(&p, key);
            }
        }
    }
    Ok(())
}
