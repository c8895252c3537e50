//! SLSA v1 build provenance for `hoist build --provenance`: the predicate
//! (`https://slsa.dev/provenance/v1`) naming the builder, the build type, the external
//! parameters (Dockerfile path and digest, target, platforms, build args — values only in
//! `mode=max`, and never a secret's value: secrets and SSH sockets are listed by id only),
//! the resolved dependencies (base images by digest, the build context by digest) and the run's
//! metadata.
//!
//! Reproducibility: when the build has a fixed `SOURCE_DATE_EPOCH` (hoist's default is 0),
//! `startedOn` and `finishedOn` are that time (the image's `created`) and `invocationId` is a
//! digest of the build definition, so the same inputs give the same statement bytes and the
//! image index stays reproducible. With `--source-date-epoch now` they are the wall clock and
//! a random id, as BuildKit writes them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::dockerfile::dockerignore::DockerIgnore;
use crate::oci::assemble::rfc3339;
use crate::oci::digest::{digest_bytes, Digest};

/// The provenance predicate type.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// hoist's build type: what `externalParameters` and `internalParameters` mean.
pub const BUILD_TYPE: &str = "urn:hoist:build-type:dockerfile:v1";

/// `--provenance mode=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Build arg names only (their values may be sensitive), no secret or SSH ids.
    #[default]
    Min,
    /// Build arg values, secret and SSH ids (never secret values).
    Max,
}

/// Parse buildx's `--provenance` value: empty or `true` (mode=min), `false` (off),
/// `mode=min|max`, `max`/`min`. `None` means off.
pub fn parse_flag(v: &str) -> Result<Option<Mode>, String> {
    let mut mode = Some(Mode::Min);
    for field in v.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        match field {
            "true" | "1" => {}
            "false" | "0" => mode = None,
            "min" | "mode=min" => mode = mode.map(|_| Mode::Min),
            "max" | "mode=max" | "mode=full" => mode = mode.map(|_| Mode::Max),
            _ => {
                return Err(format!(
                "--provenance {v:?}: unknown value {field:?} (true, false, mode=min or mode=max)"
            ))
            }
        }
    }
    Ok(mode)
}

/// Computing a provenance input failed.
#[derive(Debug, Error)]
pub enum ProvenanceError {
    /// The build context could not be read.
    #[error("build context {path}: {source}")]
    Context {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The ignore file is malformed.
    #[error("build context: {0}")]
    Ignore(String),
}

/// A base image the build resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The reference as the Dockerfile (after ARG expansion) names it.
    pub reference: String,
    /// Its platform (`linux/amd64`).
    pub platform: String,
    /// The manifest digest it resolved to.
    pub digest: Digest,
}

/// Everything the predicate says.
#[derive(Debug, Clone)]
pub struct BuildFacts {
    /// The Dockerfile's path (relative to the context when inside it) and its digest.
    pub dockerfile: (String, Digest),
    /// `--target`.
    pub target: Option<String>,
    /// Every platform of the build.
    pub platforms: Vec<String>,
    /// `--build-arg` values.
    pub build_args: BTreeMap<String, String>,
    /// `--secret` ids.
    pub secret_ids: Vec<String>,
    /// `--ssh` ids.
    pub ssh_ids: Vec<String>,
    /// Base images.
    pub dependencies: Vec<Dependency>,
    /// Digest of the build context (see [`context_digest`]).
    pub context: Digest,
    /// `SOURCE_DATE_EPOCH` of the build; `None` for the wall clock.
    pub epoch: Option<i64>,
    /// Wall-clock start and finish (seconds since 1970), used without an epoch.
    pub started: i64,
    /// Wall-clock finish.
    pub finished: i64,
    /// The platform hoist ran on.
    pub builder_platform: String,
}

/// The docker purl of a base image (`pkg:docker/NS/NAME@TAG?platform=…`, as BuildKit writes
/// `resolvedDependencies[].uri`).
pub fn image_purl(reference: &str, platform: &str) -> String {
    use crate::supply::sbom::purl;
    let (name, version, digest) = match crate::oci::reference::parse_normalized(reference) {
        Ok(r) => {
            let full = r.familiar();
            let suffix = r.tag().map_or(0, |t| t.len() + 1)
                + r.digest().map_or(0, |d| d.to_string().len() + 1);
            let name = full[..full.len().saturating_sub(suffix)].to_string();
            (
                name,
                r.tag().map(str::to_string),
                r.digest().map(|d| d.to_string()),
            )
        }
        Err(_) => (reference.to_string(), None, None),
    };
    let (ns, last) = match name.rsplit_once('/') {
        Some((ns, n)) => (Some(ns), n),
        None => (None, name.as_str()),
    };
    let version = version.or_else(|| digest.is_none().then(|| "latest".to_string()));
    purl::build(
        "docker",
        ns,
        last,
        version.as_deref(),
        &[("digest", digest.as_deref()), ("platform", Some(platform))],
    )
}

fn digest_map(d: &Digest) -> Value {
    json!({ d.algorithm().as_str(): d.hex() })
}

/// The SLSA v1 provenance predicate.
pub fn predicate(f: &BuildFacts, mode: Mode) -> Value {
    let args: BTreeMap<String, Value> = f
        .build_args
        .iter()
        .map(|(k, v)| {
            let v = match mode {
                Mode::Max => json!(v),
                Mode::Min => Value::Null,
            };
            (k.clone(), v)
        })
        .collect();
    let mut request = json!({
        "frontend": "dockerfile",
        "args": args,
        "platforms": f.platforms,
    });
    if let Some(t) = &f.target {
        request["target"] = json!(t);
    }
    if mode == Mode::Max {
        request["secrets"] = json!(f
            .secret_ids
            .iter()
            .map(|id| json!({ "id": id }))
            .collect::<Vec<_>>());
        request["ssh"] = json!(f
            .ssh_ids
            .iter()
            .map(|id| json!({ "id": id }))
            .collect::<Vec<_>>());
    }
    let mut deps: Vec<Value> = f
        .dependencies
        .iter()
        .map(|d| {
            json!({
                "uri": image_purl(&d.reference, &d.platform),
                "digest": digest_map(&d.digest),
            })
        })
        .collect();
    deps.push(json!({ "uri": "context", "digest": digest_map(&f.context) }));
    let build_definition = json!({
        "buildType": BUILD_TYPE,
        "externalParameters": {
            "configSource": {
                "path": f.dockerfile.0,
                "digest": digest_map(&f.dockerfile.1),
            },
            "request": request,
        },
        "internalParameters": { "builderPlatform": f.builder_platform },
        "resolvedDependencies": deps,
    });
    let (invocation, started, finished) = match f.epoch {
        Some(e) => {
            let id = digest_bytes(build_definition.to_string().as_bytes());
            (id.hex().to_string(), rfc3339(e), rfc3339(e))
        }
        None => (random_id(), rfc3339(f.started), rfc3339(f.finished)),
    };
    json!({
        "buildDefinition": build_definition,
        "runDetails": {
            "builder": {
                "id": format!("urn:hoist:builder:{}", env!("CARGO_PKG_VERSION")),
                "version": { "hoist": env!("CARGO_PKG_VERSION") },
            },
            "metadata": {
                "invocationId": invocation,
                "startedOn": started,
                "finishedOn": finished,
            },
        },
    })
}

fn random_id() -> String {
    use rand_core::RngCore;
    let mut b = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The digest of a build context: SHA-256 over every file, directory and symlink the
/// `.dockerignore` (or `<Dockerfile>.dockerignore`) keeps, in path order, each as
/// `path NUL mode NUL content-sha256|link-target LF`. Independent of timestamps and owners,
/// so the same sources give the same digest on any checkout.
pub fn context_digest(
    context: &Path,
    dockerfile: Option<&Path>,
) -> Result<Digest, ProvenanceError> {
    let ignore = DockerIgnore::load(context, dockerfile)
        .map_err(|e| ProvenanceError::Ignore(e.to_string()))?;
    let mut entries = Vec::new();
    walk(context, "", &ignore, &mut entries)?;
    entries.sort();
    let mut h = Sha256::new();
    for e in &entries {
        h.update(e.as_bytes());
    }
    Ok(Digest::from_sha256_bytes(h.finalize().into()))
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ProvenanceError + '_ {
    move |source| ProvenanceError::Context {
        path: path.to_path_buf(),
        source,
    }
}

fn walk(
    dir: &Path,
    rel: &str,
    ignore: &DockerIgnore,
    out: &mut Vec<String>,
) -> Result<(), ProvenanceError> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel_path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let meta = std::fs::symlink_metadata(&path).map_err(io_err(&path))?;
        let excluded = ignore.is_excluded(&rel_path);
        if meta.is_dir() {
            if !excluded || ignore.has_exceptions() {
                if !excluded {
                    out.push(format!(
                        "{rel_path}\0{:o}\0dir\n",
                        meta.permissions().mode()
                    ));
                }
                walk(&path, &rel_path, ignore, out)?;
            }
            continue;
        }
        if excluded {
            continue;
        }
        let mode = meta.permissions().mode();
        let what = if meta.file_type().is_symlink() {
            std::fs::read_link(&path)
                .map_err(io_err(&path))?
                .to_string_lossy()
                .into_owned()
        } else if meta.is_file() {
            let mut f = std::fs::File::open(&path).map_err(io_err(&path))?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = f.read(&mut buf).map_err(io_err(&path))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            Digest::from_sha256_bytes(h.finalize().into()).to_string()
        } else {
            "special".to_string()
        };
        out.push(format!("{rel_path}\0{mode:o}\0{what}\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(epoch: Option<i64>) -> BuildFacts {
        let mut build_args = BTreeMap::new();
        build_args.insert("VERSION".to_string(), "1.2".to_string());
        BuildFacts {
            dockerfile: ("Dockerfile".into(), digest_bytes(b"FROM x\n")),
            target: Some("final".into()),
            platforms: vec!["linux/amd64".into()],
            build_args,
            secret_ids: vec!["npm".into()],
            ssh_ids: vec![],
            dependencies: vec![Dependency {
                reference: "localhost:5000/base:1".into(),
                platform: "linux/amd64".into(),
                digest: digest_bytes(b"m"),
            }],
            context: digest_bytes(b"c"),
            epoch,
            started: 1_700_000_000,
            finished: 1_700_000_005,
            builder_platform: "linux/amd64".into(),
        }
    }

    #[test]
    fn flag_forms_like_buildx() {
        assert_eq!(parse_flag(""), Ok(Some(Mode::Min)));
        assert_eq!(parse_flag("true"), Ok(Some(Mode::Min)));
        assert_eq!(parse_flag("false"), Ok(None));
        assert_eq!(parse_flag("mode=max"), Ok(Some(Mode::Max)));
        assert_eq!(parse_flag("mode=min"), Ok(Some(Mode::Min)));
        assert!(parse_flag("mode=huge").is_err());
    }

    #[test]
    fn min_hides_arg_values_and_secret_ids() {
        let p = predicate(&facts(Some(0)), Mode::Min);
        let req = &p["buildDefinition"]["externalParameters"]["request"];
        assert_eq!(req["args"]["VERSION"], Value::Null);
        assert!(req.get("secrets").is_none());
        let p = predicate(&facts(Some(0)), Mode::Max);
        let req = &p["buildDefinition"]["externalParameters"]["request"];
        assert_eq!(req["args"]["VERSION"], "1.2");
        assert_eq!(req["secrets"][0]["id"], "npm");
        assert_eq!(
            p["buildDefinition"]["resolvedDependencies"][0]["uri"],
            "pkg:docker/localhost%3A5000/base@1?platform=linux%2Famd64"
        );
    }

    #[test]
    fn fixed_epoch_is_reproducible() {
        let a = predicate(&facts(Some(5)), Mode::Max);
        let b = predicate(&facts(Some(5)), Mode::Max);
        assert_eq!(a, b);
        assert_eq!(
            a["runDetails"]["metadata"]["startedOn"],
            "1970-01-01T00:00:05Z"
        );
        let c = predicate(&facts(None), Mode::Max);
        let d = predicate(&facts(None), Mode::Max);
        assert_ne!(
            c["runDetails"]["metadata"]["invocationId"],
            d["runDetails"]["metadata"]["invocationId"]
        );
        assert_eq!(
            c["runDetails"]["metadata"]["startedOn"],
            "2023-11-14T22:13:20Z"
        );
    }

    #[test]
    fn context_digest_follows_dockerignore() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "1").unwrap();
        std::fs::create_dir(dir.path().join("logs")).unwrap();
        std::fs::write(dir.path().join("logs/x.log"), "x").unwrap();
        let d1 = context_digest(dir.path(), None).unwrap();
        std::fs::write(dir.path().join("logs/x.log"), "y").unwrap();
        let d2 = context_digest(dir.path(), None).unwrap();
        assert_ne!(d1, d2);
        std::fs::write(dir.path().join(".dockerignore"), "logs\n").unwrap();
        let d3 = context_digest(dir.path(), None).unwrap();
        std::fs::write(dir.path().join("logs/x.log"), "z").unwrap();
        assert_eq!(d3, context_digest(dir.path(), None).unwrap());
        std::fs::write(dir.path().join("a"), "2").unwrap();
        assert_ne!(d3, context_digest(dir.path(), None).unwrap());
    }
}
