//! `--build-context NAME=VALUE` (buildx): parsing the flag into a named context.
//!
//! Facts taken from buildx and BuildKit's released sources (util/buildflags/context.go,
//! build/opt.go, frontend/dockerui/namedcontext.go and config.go):
//! - NAME is an image name normalised like Docker prints it, without `:latest`
//!   (`docker.io/library/alpine:latest` → `alpine`), so `FROM alpine` finds `alpine=…`; a
//!   FROM, `COPY --from` or `RUN --mount=from=` word is looked up the same way.
//! - VALUE is `docker-image://REF`, `oci-layout://PATH[:TAG][@DIGEST]` (no tag and no digest
//!   means `:latest`), a remote URL (git, http — not supported here: hoist fetches nothing but
//!   images), `target:NAME` (only meaningful between bake targets, which hoist has not), or else
//!   a local directory.
//!
//! How named contexts replace stages and bases is in [`crate::build::plan`]; how they are read
//! is in the executor (`exec/named.rs`).

use std::path::PathBuf;

use crate::oci::digest::Digest;
use crate::oci::reference::parse_normalized;

/// Where a named context's content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedContext {
    /// A local directory (its own `.dockerignore` applies).
    Dir(PathBuf),
    /// `docker-image://REF`: any image reference hoist accepts (registry, `oci:`, `hoist:`…).
    Image(String),
    /// `oci-layout://PATH[:TAG][@DIGEST]`.
    OciLayout {
        /// The layout directory.
        dir: PathBuf,
        /// The ref name in its index (`latest` when neither tag nor digest is given).
        tag: Option<String>,
        /// The manifest (or index) digest.
        digest: Option<Digest>,
    },
}

impl std::fmt::Display for NamedContext {
    /// The flag's VALUE form.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NamedContext::Dir(d) => write!(f, "{}", d.display()),
            NamedContext::Image(r) => write!(f, "docker-image://{r}"),
            NamedContext::OciLayout { dir, tag, digest } => {
                write!(f, "oci-layout://{}", dir.display())?;
                if let Some(t) = tag {
                    write!(f, ":{t}")?;
                }
                if let Some(d) = digest {
                    write!(f, "@{d}")?;
                }
                Ok(())
            }
        }
    }
}

/// A `--build-context` flag that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--build-context {flag:?}: {reason}")]
pub struct ContextFlagError {
    /// The flag's value as given.
    pub flag: String,
    /// What is wrong and what to do.
    pub reason: String,
}

/// The name a context is known by: an image name as Docker prints it, without `:latest`.
/// Stage names and FROM words go through the same function before they are looked up.
pub fn context_name(word: &str) -> Option<String> {
    let r = parse_normalized(word).ok()?;
    let familiar = r.familiar();
    Some(
        familiar
            .strip_suffix(":latest")
            .map(str::to_string)
            .unwrap_or(familiar),
    )
}

/// Parse one `--build-context NAME=VALUE`.
pub fn parse_build_context(flag: &str) -> Result<(String, NamedContext), ContextFlagError> {
    let err = |reason: String| ContextFlagError {
        flag: flag.to_string(),
        reason,
    };
    let (name, value) = flag
        .split_once('=')
        .ok_or_else(|| err("expected NAME=VALUE".to_string()))?;
    let name = context_name(name).ok_or_else(|| {
        err(format!(
            "invalid context name {name:?}: it must be a valid image name (lowercase)"
        ))
    })?;
    if value.is_empty() {
        return Err(err(
            "empty value: give a directory, docker-image://REF or oci-layout://PATH".into(),
        ));
    }
    if let Some(r) = value.strip_prefix("docker-image://") {
        crate::oci::reference::ImageRef::parse(r)
            .map_err(|e| err(format!("invalid image reference: {e}")))?;
        return Ok((name, NamedContext::Image(r.to_string())));
    }
    if let Some(rest) = value.strip_prefix("oci-layout://") {
        return parse_oci_layout(rest).map(|c| (name, c)).map_err(err);
    }
    if value.starts_with("target:") {
        return Err(err(
            "target: contexts link docker buildx bake targets; hoist has no bake: build that \
             target first (e.g. --output type=oci,dest=DIR) and pass oci-layout://DIR"
                .into(),
        ));
    }
    let remote = ["http://", "https://", "git://", "git@", "ssh://"];
    if remote.iter().any(|p| value.starts_with(p)) {
        return Err(err(
            "remote contexts are not supported: clone or download it and pass the directory".into(),
        ));
    }
    Ok((name, NamedContext::Dir(PathBuf::from(value))))
}

/// `PATH[:TAG][@DIGEST]`, split from the right like buildx (util/ocilayout).
fn parse_oci_layout(rest: &str) -> Result<NamedContext, String> {
    let mut path = rest;
    let mut digest = None;
    if let Some((p, d)) = path.rsplit_once('@') {
        if d.contains(':') {
            digest = Some(
                d.parse::<Digest>()
                    .map_err(|e| format!("invalid digest {d:?}: {e}"))?,
            );
            path = p;
        }
    }
    let mut tag = None;
    if let Some((p, t)) = path.rsplit_once(':') {
        let tag_like = !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if tag_like {
            tag = Some(t.to_string());
            path = p;
        }
    }
    if path.is_empty() {
        return Err("oci-layout:// needs a layout directory".into());
    }
    if tag.is_none() && digest.is_none() {
        tag = Some("latest".to_string());
    }
    Ok(NamedContext::OciLayout {
        dir: PathBuf::from(path),
        tag,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_like_buildx() {
        assert_eq!(context_name("alpine").as_deref(), Some("alpine"));
        assert_eq!(
            context_name("docker.io/library/alpine:latest").as_deref(),
            Some("alpine")
        );
        assert_eq!(context_name("alpine:3.19").as_deref(), Some("alpine:3.19"));
        assert_eq!(
            context_name("localhost:5000/a/b").as_deref(),
            Some("localhost:5000/a/b")
        );
        assert_eq!(context_name("Bad"), None);
    }

    #[test]
    fn values() {
        let (n, c) = parse_build_context("docker.io/library/base=./dir").unwrap();
        assert_eq!((n.as_str(), c), ("base", NamedContext::Dir("./dir".into())));
        let (_, c) = parse_build_context("b=docker-image://oci:./x:1").unwrap();
        assert_eq!(c, NamedContext::Image("oci:./x:1".into()));
        let d = format!("sha256:{}", "a".repeat(64));
        let (_, c) = parse_build_context(&format!("b=oci-layout:///l:v1@{d}")).unwrap();
        assert_eq!(
            c,
            NamedContext::OciLayout {
                dir: "/l".into(),
                tag: Some("v1".into()),
                digest: Some(d.parse().unwrap())
            }
        );
        let (_, c) = parse_build_context("b=oci-layout://./l").unwrap();
        assert_eq!(
            c,
            NamedContext::OciLayout {
                dir: "./l".into(),
                tag: Some("latest".into()),
                digest: None
            }
        );
        for bad in [
            "nothing",
            "b=",
            "UP=./d",
            "b=target:other",
            "b=https://example.com/x.git",
            "b=docker-image://",
        ] {
            let e = parse_build_context(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }
}
