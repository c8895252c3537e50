//! Where a built image goes besides the local store: `--output`/`-o` (buildx's syntax) and
//! `--push`. One parser ([`parse_output`]) and one writer ([`write_output`]) per kind:
//!
//! - `type=image` (the default; `push=true` also pushes) and `type=registry` (= push): the
//!   store refs for the `-t` names, and with push every `-t` name uploaded through the copy
//!   engine (blobs the registry has are skipped by HEAD; manifest by digest, then the tags).
//! - `type=oci,dest=DIR` (an OCI layout directory), `type=oci,dest=F.tar` or `tar=true` and
//!   `type=oci-archive,dest=F` (its tar), `type=docker,dest=F` (a `docker load` archive named
//!   by the `-t` names or `name=`), `type=local,dest=DIR` (the final root filesystem,
//!   flattened with whiteouts applied, like buildx's local exporter).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::compat::store_source;
use super::error::BuildError;
use super::output::BuildResult;
use crate::copy::{
    copy_image, CopyError, CopyOptions, DockerArchiveDest, ImageDest, LayoutDest, NoProgress,
    OciArchiveDest, RegistryDest, RemoteOptions,
};
use crate::oci::digest::Digest;
use crate::oci::image::{diff_ids, parse_config, RawManifest, VerifyingReader};
use crate::oci::reference::{parse_normalized, Reference};
use crate::oci::unpack::{unpack_layer, UnpackOptions};
use crate::oci::Store;

/// One `--output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// `type=image`: the store refs; `push` also uploads every name.
    Image {
        /// `name=` names (besides `-t`).
        names: Vec<String>,
        /// `push=true` (or `type=registry`).
        push: bool,
    },
    /// `type=oci,dest=DIR`.
    OciLayout(PathBuf),
    /// `type=oci,dest=F.tar`, `type=oci,tar=true`, `type=oci-archive`.
    OciArchive(PathBuf),
    /// `type=docker,dest=F`.
    DockerArchive {
        /// The file.
        file: PathBuf,
        /// `name=` names (default: the `-t` names).
        names: Vec<String>,
    },
    /// `type=local,dest=DIR`.
    Local(PathBuf),
}

fn parse_bool(o: &str, k: &str, v: &str) -> Result<bool, String> {
    match v {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("--output {o:?}: {k}={v:?} is not true or false")),
    }
}

/// Parse one `--output` value (`type=…,dest=…,…`); a bare path is `type=local,dest=PATH`
/// and `-` is refused (no tar on stdout), as in buildx.
pub fn parse_output(o: &str) -> Result<Output, String> {
    if !o.contains('=') {
        if o == "-" {
            return Err("--output -: writing to stdout is not supported; use dest=FILE".into());
        }
        return Ok(Output::Local(PathBuf::from(o)));
    }
    let mut kind = None;
    let mut dest = None;
    let mut names = Vec::new();
    let mut push = false;
    let mut tar = None;
    for field in o.split(',') {
        match field.split_once('=') {
            Some(("type", v)) => kind = Some(v.to_string()),
            Some(("dest", v)) if !v.is_empty() => dest = Some(PathBuf::from(v)),
            Some(("name", v)) if !v.is_empty() => names.extend(v.split(';').map(str::to_string)),
            Some(("push", v)) => push = parse_bool(o, "push", v)?,
            Some(("tar", v)) => tar = Some(parse_bool(o, "tar", v)?),
            _ => return Err(format!("--output {o:?}: unknown or empty field {field:?}")),
        }
    }
    let need_dest = |what: &str| {
        dest.clone()
            .ok_or_else(|| format!("--output {o:?}: type={what} needs dest="))
    };
    let only_names = |t: &str| {
        if push {
            Err(format!(
                "--output {o:?}: push= applies to type=image only, not type={t}"
            ))
        } else {
            Ok(())
        }
    };
    match kind.as_deref() {
        Some("image") | Some("registry") => {
            if dest.is_some() || tar.is_some() {
                return Err(format!(
                    "--output {o:?}: type=image takes name= and push=, not dest= or tar="
                ));
            }
            Ok(Output::Image {
                names,
                push: push || kind.as_deref() == Some("registry"),
            })
        }
        Some("oci") => {
            only_names("oci")?;
            let d = need_dest("oci")?;
            let is_tar =
                tar.unwrap_or_else(|| d.extension().is_some_and(|e| e == "tar") || d.is_file());
            Ok(if is_tar {
                Output::OciArchive(d)
            } else {
                Output::OciLayout(d)
            })
        }
        Some("oci-archive") => {
            only_names("oci-archive")?;
            Ok(Output::OciArchive(need_dest("oci-archive")?))
        }
        Some("docker") => {
            only_names("docker")?;
            Ok(Output::DockerArchive {
                file: need_dest("docker")?,
                names,
            })
        }
        Some("local") => {
            only_names("local")?;
            Ok(Output::Local(need_dest("local")?))
        }
        Some(t) => Err(format!(
            "--output {o:?}: unknown type {t:?} (image, registry, oci, oci-archive, docker, local)"
        )),
        None => Err(format!("--output {o:?}: missing type=")),
    }
}

/// What one output did, for the CLI to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Pushed: `HOST/REPO@sha256:…` per repository.
    Pushed(Vec<String>),
    /// A file or directory written.
    Path(PathBuf),
    /// Only store refs (nothing to print).
    Store,
}

fn out_err(dest: impl ToString) -> impl FnOnce(CopyError) -> BuildError {
    move |e| BuildError::Output {
        dest: dest.to_string(),
        source: Box::new(e),
    }
}

/// Copy the store image to `dst`: every platform of an index, unless `dst` holds one image
/// (a docker archive: the host's platform).
fn copy_to(store: &Store, result: &BuildResult, dst: &mut dyn ImageDest) -> Result<(), CopyError> {
    let mut src = store_source(store, &result.digest)?;
    let opts = CopyOptions {
        all: dst.caps().index,
        ..CopyOptions::default()
    };
    copy_image(&mut src, dst, &opts, &NoProgress)?;
    Ok(())
}

/// Push the image to every name (grouped by repository: blobs once per repository, then the
/// manifest by digest, then its tags); returns `HOST/REPO@sha256:…` per repository.
pub fn push(
    store: &Store,
    result: &BuildResult,
    names: &[Reference],
    remote: &RemoteOptions,
) -> Result<Vec<String>, BuildError> {
    let mut repos: Vec<(Reference, Vec<String>)> = Vec::new();
    for n in names {
        let tag = n.tag().map(str::to_string);
        match repos.iter_mut().find(|(r, _)| r.name() == n.name()) {
            Some((_, tags)) => tags.extend(tag),
            None => repos.push((n.clone(), Vec::new())),
        }
    }
    let mut pushed = Vec::new();
    for (reference, extra) in repos {
        let mut dst = RegistryDest::open(&reference, remote)
            .map_err(out_err(&reference))?
            .with_tags(extra);
        copy_to(store, result, &mut dst).map_err(out_err(&reference))?;
        pushed.push(
            dst.pushed_reference()
                .unwrap_or_else(|| format!("{}@{}", reference.name(), result.digest)),
        );
    }
    Ok(pushed)
}

/// Write the flattened root filesystem of the store image into `dir` (created; must be empty
/// if it exists): every layer bottom first, verified, whiteouts applied.
pub fn write_rootfs(store: &Store, result: &BuildResult, dir: &Path) -> Result<(), BuildError> {
    let fail = |reason: String| BuildError::Output {
        dest: dir.display().to_string(),
        source: Box::new(CopyError::Unsupported {
            reference: format!("store:{}", result.digest),
            reason,
        }),
    };
    if let Ok(mut it) = std::fs::read_dir(dir) {
        if it.next().is_some() {
            return Err(fail(format!(
                "type=local: {} is not empty; give a new or empty directory",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(BuildError::io(dir))?;
    let m = RawManifest::new(store.read_blob(&result.digest)?, Some(&result.media_type))
        .map_err(|e| out_err(dir.display())(e.into()))?;
    let image = m
        .parse_image()
        .map_err(|e| out_err(dir.display())(e.into()))?;
    let config_digest =
        Digest::from_oci(image.config().digest()).map_err(|e| out_err(dir.display())(e.into()))?;
    let ids = parse_config(&store.read_blob(&config_digest)?)
        .and_then(|c| diff_ids(&c))
        .map_err(|e| out_err(dir.display())(e.into()))?;
    for (layer, diff_id) in image.layers().iter().zip(ids) {
        let digest =
            Digest::from_oci(layer.digest()).map_err(|e| out_err(dir.display())(e.into()))?;
        let blob = store.open_blob(&digest)?;
        let verifying: Box<dyn Read> = Box::new(
            VerifyingReader::new(blob, &digest, layer.size())
                .map_err(|e| fail(format!("layer {digest}: {e}")))?,
        );
        let opts = UnpackOptions {
            expected_diff_id: Some(diff_id),
            ..UnpackOptions::default()
        };
        unpack_layer(verifying, dir, &opts).map_err(|e| fail(format!("layer {digest}: {e}")))?;
    }
    Ok(())
}

/// The names an output uses: its own `name=` values, else the build's `-t` names.
fn names_for(own: &[String], tags: &[String]) -> Result<Vec<Reference>, BuildError> {
    let list = if own.is_empty() { tags } else { own };
    list.iter()
        .map(|n| {
            parse_normalized(n).map_err(|e| BuildError::Output {
                dest: n.clone(),
                source: Box::new(CopyError::Unsupported {
                    reference: n.clone(),
                    reason: e.to_string(),
                }),
            })
        })
        .collect()
}

/// Write one output of the built image. `tags` are the build's `-t` names (normalised);
/// the store refs for them are set by the caller for every build.
pub fn write_output(
    store: &Store,
    result: &BuildResult,
    output: &Output,
    tags: &[String],
    remote: &RemoteOptions,
) -> Result<Written, BuildError> {
    match output {
        Output::Image { names, push: false } => {
            for n in names_for(names, &[])? {
                store.set_ref(&n.to_string(), &result.digest)?;
            }
            Ok(Written::Store)
        }
        Output::Image { names, push: true } => {
            let refs = names_for(names, tags)?;
            if refs.is_empty() {
                return Err(BuildError::Output {
                    dest: "--push".to_string(),
                    source: Box::new(CopyError::Unsupported {
                        reference: result.digest.to_string(),
                        reason: "nothing to push to: give -t HOST/REPO:TAG (or name= in --output)"
                            .to_string(),
                    }),
                });
            }
            Ok(Written::Pushed(push(store, result, &refs, remote)?))
        }
        Output::OciLayout(dir) => {
            let tag = tags
                .first()
                .and_then(|t| parse_normalized(t).ok())
                .and_then(|r| r.tag().map(str::to_string));
            let mut dst =
                LayoutDest::create(dir, tag.as_deref()).map_err(out_err(dir.display()))?;
            copy_to(store, result, &mut dst).map_err(out_err(dir.display()))?;
            Ok(Written::Path(dir.clone()))
        }
        Output::OciArchive(file) => {
            let tag = tags
                .first()
                .and_then(|t| parse_normalized(t).ok())
                .and_then(|r| r.tag().map(str::to_string));
            let mut dst =
                OciArchiveDest::create(file, tag.as_deref()).map_err(out_err(file.display()))?;
            copy_to(store, result, &mut dst).map_err(out_err(file.display()))?;
            Ok(Written::Path(file.clone()))
        }
        Output::DockerArchive { file, names } => {
            let repo_tags = names_for(names, tags)?
                .iter()
                .map(Reference::familiar)
                .collect();
            let mut dst =
                DockerArchiveDest::create(file, repo_tags).map_err(out_err(file.display()))?;
            copy_to(store, result, &mut dst).map_err(out_err(file.display()))?;
            Ok(Written::Path(file.clone()))
        }
        Output::Local(dir) => {
            write_rootfs(store, result, dir)?;
            Ok(Written::Path(dir.clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_parse_like_buildx() {
        let p = |s: &str| parse_output(s);
        assert_eq!(p("type=oci,dest=out"), Ok(Output::OciLayout("out".into())));
        assert_eq!(
            p("type=oci,dest=o.tar"),
            Ok(Output::OciArchive("o.tar".into()))
        );
        assert_eq!(
            p("type=oci,dest=o,tar=true"),
            Ok(Output::OciArchive("o".into()))
        );
        assert_eq!(
            p("type=oci-archive,dest=x"),
            Ok(Output::OciArchive("x".into()))
        );
        assert_eq!(
            p("type=docker,dest=a.tar,name=app:1"),
            Ok(Output::DockerArchive {
                file: "a.tar".into(),
                names: vec!["app:1".into()]
            })
        );
        assert_eq!(p("type=local,dest=root"), Ok(Output::Local("root".into())));
        assert_eq!(p("rootdir"), Ok(Output::Local("rootdir".into())));
        assert_eq!(
            p("type=image,push=true"),
            Ok(Output::Image {
                names: vec![],
                push: true
            })
        );
        assert_eq!(
            p("type=registry,name=h/r:1"),
            Ok(Output::Image {
                names: vec!["h/r:1".into()],
                push: true
            })
        );
        for bad in [
            "type=oci",
            "type=tarball,dest=x",
            "dest=x",
            "type=local,dest=x,push=true",
            "type=image,dest=x",
            "type=oci,dest=x,tar=maybe",
            "type=oci,dest=x,bogus=1",
            "-",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }
}
