//! Image references and transports.
//!
//! Two layers:
//! - [`Reference`]: a registry image name in the distribution grammar
//!   (`[DOMAIN/]PATH[:TAG][@DIGEST]`), normalised the way Docker does it: a first path component
//!   is a registry domain only when it contains `.` or `:`, is `localhost`, or has an uppercase
//!   letter; otherwise the domain is `docker.io`, and single-component Docker Hub names get the
//!   `library/` prefix. A reference with neither tag nor digest gets the tag `latest`.
//! - [`ImageRef`]: where an image lives, with skopeo-style transport prefixes: `oci:DIR[:TAG]`
//!   (or `oci:DIR@sha256:…`, a manifest or index the layout holds, to read),
//!   `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:NAME]`, `docker://NAME`, and hoist's own
//!   `hoist:NAME[:TAG]` (an image in the local content store, e.g. one `hoist build -t` named). Anything without a
//!   known prefix is a registry reference (`docker://` implied). As in skopeo, the path and the
//!   tag are split at the first `:`, so paths containing `:` cannot carry a tag.
//!
//! Both print back in their full, canonical form with `Display`, and parsing that form again
//! gives the same value.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::oci::digest::{Digest, DigestError};

/// The registry used for names without a domain.
pub const DOCKER_HUB_DOMAIN: &str = "docker.io";
/// Legacy spelling of the Docker Hub domain, normalised to [`DOCKER_HUB_DOMAIN`].
pub const DOCKER_HUB_LEGACY_DOMAIN: &str = "index.docker.io";
/// The host serving Docker Hub's registry API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// Tag used when a reference names neither a tag nor a digest.
pub const DEFAULT_TAG: &str = "latest";
/// Longest accepted repository name (domain and path together), as in the distribution grammar.
pub const MAX_NAME_LEN: usize = 255;
/// Longest accepted tag.
pub const MAX_TAG_LEN: usize = 128;

/// Why a reference was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    /// Empty input.
    #[error("empty image reference")]
    Empty,
    /// The repository path has uppercase letters.
    #[error("invalid reference {0:?}: repository name must be lowercase")]
    Uppercase(String),
    /// The name does not follow the grammar.
    #[error("invalid reference {reference:?}: {reason}")]
    Syntax {
        /// The input.
        reference: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The name is longer than [`MAX_NAME_LEN`].
    #[error("invalid reference {0:?}: repository name longer than 255 characters")]
    NameTooLong(String),
    /// The tag does not match `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    #[error("invalid tag {tag:?} in {reference:?}")]
    Tag {
        /// The input.
        reference: String,
        /// The tag.
        tag: String,
    },
    /// The digest is malformed.
    #[error("invalid digest in reference {reference:?}: {source}")]
    Digest {
        /// The input.
        reference: String,
        /// The digest error.
        source: DigestError,
    },
    /// A bare 64-hex string is an image ID, not a name.
    #[error("invalid reference {0:?}: a 64-character hexadecimal string is an image ID, not a repository name")]
    HexName(String),
    /// A transport was given without its path.
    #[error("invalid reference {0:?}: missing path after the transport")]
    MissingPath(String),
    /// A `TRANSPORT:` prefix hoist does not support.
    #[error("unsupported transport {transport:?} in {reference:?} (supported: oci, oci-archive, docker-archive, docker)")]
    UnknownTransport {
        /// The input.
        reference: String,
        /// The prefix.
        transport: String,
    },
}

/// A normalised registry image reference: domain, repository path, optional tag and digest.
///
/// At least one of tag and digest is always present (the tag defaults to `latest`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Build a reference from parts, validating each.
    pub fn new(
        domain: &str,
        path: &str,
        tag: Option<&str>,
        digest: Option<Digest>,
    ) -> Result<Reference, ReferenceError> {
        let whole = format!("{domain}/{path}");
        if !is_valid_domain(domain) {
            return Err(syntax(&whole, "invalid registry domain"));
        }
        check_path(&whole, path)?;
        if whole.len() > MAX_NAME_LEN {
            return Err(ReferenceError::NameTooLong(whole));
        }
        if let Some(t) = tag {
            if !is_valid_tag(t) {
                return Err(ReferenceError::Tag {
                    reference: whole,
                    tag: t.to_string(),
                });
            }
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, None) => Some(DEFAULT_TAG.to_string()),
            (None, Some(_)) => None,
        };
        let domain = if domain == DOCKER_HUB_LEGACY_DOMAIN {
            DOCKER_HUB_DOMAIN.to_string()
        } else {
            domain.to_string()
        };
        let path = if domain == DOCKER_HUB_DOMAIN && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// Registry domain as written in the name, e.g. `docker.io` or `localhost:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Host (and port) to contact for the registry API; Docker Hub's API lives on
    /// [`DOCKER_HUB_API_HOST`].
    pub fn api_host(&self) -> &str {
        if self.domain == DOCKER_HUB_DOMAIN {
            DOCKER_HUB_API_HOST
        } else {
            &self.domain
        }
    }

    /// Repository path inside the registry, e.g. `library/nginx`.
    pub fn repository(&self) -> &str {
        &self.path
    }

    /// Tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// Digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to put in `/v2/<name>/manifests/<here>`: the digest when present, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => DEFAULT_TAG.to_string(),
        }
    }

    /// `domain/path` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        Reference::new(&self.domain, &self.path, Some(tag), None)
    }

    /// The same repository pinned to a digest (and no tag).
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: None,
            digest: Some(digest),
        }
    }

    /// Short form as Docker prints it: `docker.io/library/` dropped, `:latest` kept.
    pub fn familiar(&self) -> String {
        let name = if self.domain == DOCKER_HUB_DOMAIN {
            match self.path.strip_prefix("library/") {
                Some(rest) if !rest.contains('/') => rest.to_string(),
                _ => self.path.clone(),
            }
        } else {
            self.name()
        };
        let mut out = name;
        push_suffix(&mut out, self.tag.as_deref(), self.digest.as_ref());
        out
    }
}

fn push_suffix(out: &mut String, tag: Option<&str>, digest: Option<&Digest>) {
    if let Some(t) = tag {
        out.push(':');
        out.push_str(t);
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(&d.to_string());
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = self.name();
        push_suffix(&mut out, self.tag.as_deref(), self.digest.as_ref());
        f.write_str(&out)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({self})")
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        parse_normalized(s)
    }
}

fn syntax(reference: &str, reason: &'static str) -> ReferenceError {
    ReferenceError::Syntax {
        reference: reference.to_string(),
        reason,
    }
}

/// What a registry reference's text spelled out before normalisation filled in the defaults
/// (Docker Hub domain, `latest` tag): rules about how images are written need to know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The text named a registry domain (`ghcr.io/x`, `localhost:5000/x`).
    pub domain: bool,
    /// The text named a tag (`x:1`), as opposed to the implied `latest`.
    pub tag: bool,
}

/// Parse and normalise a registry reference (`nginx`, `ghcr.io/a/b:1`, `host:5000/x@sha256:…`).
pub fn parse_normalized(input: &str) -> Result<Reference, ReferenceError> {
    parse_written(input).map(|(r, _)| r)
}

/// [`parse_normalized`], also telling what the text spelled out ([`Written`]).
pub fn parse_written(input: &str) -> Result<(Reference, Written), ReferenceError> {
    if input.is_empty() {
        return Err(ReferenceError::Empty);
    }
    if input.len() == 64
        && input
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(ReferenceError::HexName(input.to_string()));
    }
    // Split off the digest first: the digest itself contains ':'.
    let (rest, digest) = match input.split_once('@') {
        Some((rest, d)) => {
            let digest = Digest::from_str(d).map_err(|source| ReferenceError::Digest {
                reference: input.to_string(),
                source,
            })?;
            (rest, Some(digest))
        }
        None => (input, None),
    };
    // A tag is after the last ':' that comes after the last '/'.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (&rest[..at], Some(&rest[at + 1..]))
        }
        None => (rest, None),
    };
    if name.is_empty() {
        return Err(syntax(input, "missing repository name"));
    }
    if let Some(t) = tag {
        if !is_valid_tag(t) {
            return Err(ReferenceError::Tag {
                reference: input.to_string(),
                tag: t.to_string(),
            });
        }
    }
    let (domain, path) = split_domain(name);
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ReferenceError::Uppercase(input.to_string()));
    }
    if !is_valid_domain(domain) {
        return Err(syntax(input, "invalid registry domain"));
    }
    check_path(input, path)?;
    let full_len = if domain == DOCKER_HUB_DOMAIN && !path.contains('/') {
        domain.len() + 1 + "library/".len() + path.len()
    } else {
        domain.len() + 1 + path.len()
    };
    if full_len > MAX_NAME_LEN || name.len() > MAX_NAME_LEN {
        return Err(ReferenceError::NameTooLong(input.to_string()));
    }
    let written = Written {
        domain: path.len() < name.len(),
        tag: tag.is_some(),
    };
    Ok((Reference::new(domain, path, tag, digest)?, written))
}

/// Split `name` into (domain, path) with Docker's rule for what counts as a domain.
fn split_domain(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => (DOCKER_HUB_DOMAIN, name),
    }
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
pub fn is_valid_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphanumeric() || b == b'_' => {}
        _ => return false,
    }
    tag.len() <= MAX_TAG_LEN
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `host[:port]` where host is a dotted list of `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?`
/// labels or a bracketed IPv6 address.
pub fn is_valid_domain(domain: &str) -> bool {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.is_empty()
            || !v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        match after {
            "" => return true,
            a => match a.strip_prefix(':') {
                Some(p) => ("x", Some(p)),
                None => return false,
            },
        }
    } else {
        match domain.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (domain, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            let b = label.as_bytes();
            match (b.first(), b.last()) {
                (Some(f), Some(l)) => {
                    f.is_ascii_alphanumeric()
                        && l.is_ascii_alphanumeric()
                        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                }
                _ => false,
            }
        })
}

/// Path components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` joined by `/`.
fn check_path(reference: &str, path: &str) -> Result<(), ReferenceError> {
    if path.is_empty() {
        return Err(syntax(reference, "missing repository name"));
    }
    for component in path.split('/') {
        if !is_valid_path_component(component) {
            if component.chars().any(|c| c.is_ascii_uppercase()) {
                return Err(ReferenceError::Uppercase(reference.to_string()));
            }
            return Err(syntax(
                reference,
                "repository path components are lowercase letters and digits separated by '.', '_', '__' or dashes",
            ));
        }
    }
    Ok(())
}

fn is_valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if alnum(f) && alnum(l) => {}
        _ => return false,
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: '.', '_', '__' or one or more '-'.
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*`: what an OCI layout accepts as a ref name.
pub fn is_valid_layout_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => {}
        _ => return false,
    }
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let sep = &tag[start..i];
        let ok = sep == "--" || (sep.len() == 1 && "-._:@+".contains(sep));
        if !ok {
            return false;
        }
    }
    true
}

/// Where an image is read from or written to.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ImageRef {
    /// `oci:DIR[:TAG]` or `oci:DIR@DIGEST`: an OCI image layout directory.
    OciLayout {
        /// The layout directory.
        dir: PathBuf,
        /// Ref name inside the layout's index.
        tag: Option<String>,
    },
    /// `oci-archive:FILE[:TAG]`: a tar of an OCI image layout.
    OciArchive {
        /// The archive.
        file: PathBuf,
        /// Ref name inside the layout's index.
        tag: Option<String>,
    },
    /// `docker-archive:FILE[:NAME]`: a `docker save` tarball; NAME is a registry reference
    /// (normalised like any other) recorded in / looked up from its `RepoTags`.
    DockerArchive {
        /// The archive.
        file: PathBuf,
        /// The image name inside the archive.
        name: Option<Reference>,
    },
    /// `docker://NAME` or a bare `NAME`: an image in a registry.
    Registry(Reference),
    /// `hoist:NAME[:TAG]`: an image in hoist's local content store under a name (what
    /// `hoist build -t NAME` creates); NAME is normalised like a registry reference, so
    /// `hoist:app` is the store name `docker.io/library/app:latest`. A bare name never means
    /// the store: the prefix is required.
    Store(Reference),
}

impl ImageRef {
    /// Parse a transport-prefixed reference; see the module doc.
    pub fn parse(input: &str) -> Result<ImageRef, ReferenceError> {
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if let Some(rest) = input.strip_prefix("docker://") {
            return Ok(ImageRef::Registry(parse_normalized(rest)?));
        }
        let Some((prefix, rest)) = input.split_once(':') else {
            return Ok(ImageRef::Registry(parse_normalized(input)?));
        };
        match prefix {
            "oci" | "oci-archive" => {
                // `oci:DIR@sha256:…`: the manifest or index of that digest in the layout
                // (kept as the tag `@sha256:…`, which no ref name can be).
                if let Some((path, d)) = rest.rsplit_once('@') {
                    if let Ok(d) = d.parse::<Digest>() {
                        if path.is_empty() {
                            return Err(ReferenceError::MissingPath(input.to_string()));
                        }
                        let tag = Some(format!("@{d}"));
                        return Ok(if prefix == "oci" {
                            ImageRef::OciLayout {
                                dir: path.into(),
                                tag,
                            }
                        } else {
                            ImageRef::OciArchive {
                                file: path.into(),
                                tag,
                            }
                        });
                    }
                }
                let (path, tag) = split_path_tag(input, rest)?;
                if let Some(t) = tag {
                    if !is_valid_layout_tag(t) {
                        return Err(ReferenceError::Tag {
                            reference: input.to_string(),
                            tag: t.to_string(),
                        });
                    }
                }
                let tag = tag.map(str::to_string);
                Ok(if prefix == "oci" {
                    ImageRef::OciLayout { dir: path, tag }
                } else {
                    ImageRef::OciArchive { file: path, tag }
                })
            }
            "docker-archive" => {
                let (file, name) = split_path_tag(input, rest)?;
                let name = name.map(parse_normalized).transpose()?;
                if name.as_ref().is_some_and(|n| n.digest().is_some()) {
                    return Err(syntax(input, "a docker-archive name cannot carry a digest"));
                }
                Ok(ImageRef::DockerArchive { file, name })
            }
            "hoist" => {
                let r = parse_normalized(rest)?;
                if r.digest().is_some() {
                    return Err(syntax(
                        input,
                        "a hoist: store name is NAME[:TAG], without a digest",
                    ));
                }
                Ok(ImageRef::Store(r))
            }
            "docker" => Err(syntax(
                input,
                "the docker transport is written docker://NAME",
            )),
            // Other skopeo transports: refuse rather than read `dir:x` as `docker.io/library/dir:x`.
            t if OTHER_TRANSPORTS.contains(&t) => Err(ReferenceError::UnknownTransport {
                reference: input.to_string(),
                transport: t.to_string(),
            }),
            // `host:port/repo`, `nginx:1.25`: a registry reference without transport. A
            // transport-looking prefix that cannot be a name (e.g. `dir:x`, `containers-storage:`)
            // is reported as an unknown transport instead of a confusing name error.
            _ => match parse_normalized(input) {
                Ok(r) => Ok(ImageRef::Registry(r)),
                Err(e) => {
                    if is_transport_word(prefix) && !rest.starts_with(|c: char| c.is_ascii_digit())
                    {
                        Err(ReferenceError::UnknownTransport {
                            reference: input.to_string(),
                            transport: prefix.to_string(),
                        })
                    } else {
                        Err(e)
                    }
                }
            },
        }
    }

    /// The registry reference, when this is one.
    pub fn as_registry(&self) -> Option<&Reference> {
        match self {
            ImageRef::Registry(r) => Some(r),
            _ => None,
        }
    }
}

/// skopeo transports hoist does not implement.
const OTHER_TRANSPORTS: &[&str] = &[
    "containers-storage",
    "dir",
    "docker-daemon",
    "ostree",
    "sif",
    "tarball",
];

fn is_transport_word(s: &str) -> bool {
    !s.is_empty() && !s.contains('/') && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

fn split_path_tag<'a>(
    input: &str,
    rest: &'a str,
) -> Result<(PathBuf, Option<&'a str>), ReferenceError> {
    let (path, tag) = match rest.split_once(':') {
        Some((p, t)) => (p, Some(t)),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err(ReferenceError::MissingPath(input.to_string()));
    }
    if tag == Some("") {
        return Err(syntax(input, "empty tag after ':'"));
    }
    Ok((PathBuf::from(path), tag))
}

impl FromStr for ImageRef {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<ImageRef, ReferenceError> {
        ImageRef::parse(s)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, path, tag) = match self {
            ImageRef::Registry(r) => return write!(f, "docker://{r}"),
            ImageRef::Store(r) => return write!(f, "hoist:{r}"),
            ImageRef::OciLayout { dir, tag } => ("oci", dir, tag.clone()),
            ImageRef::OciArchive { file, tag } => ("oci-archive", file, tag.clone()),
            ImageRef::DockerArchive { file, name } => {
                ("docker-archive", file, name.as_ref().map(|n| n.to_string()))
            }
        };
        write!(f, "{prefix}:{}", path.display())?;
        match tag {
            Some(t) if t.starts_with('@') => write!(f, "{t}")?,
            Some(t) => write!(f, ":{t}")?,
            None => {}
        }
        Ok(())
    }
}

impl fmt::Debug for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageRef({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn r(s: &str) -> Reference {
        match parse_normalized(s) {
            Ok(r) => r,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn docker_hub_normalisation() {
        assert_eq!(r("nginx").to_string(), "docker.io/library/nginx:latest");
        assert_eq!(r("nginx:1.25").to_string(), "docker.io/library/nginx:1.25");
        assert_eq!(r("user/app").to_string(), "docker.io/user/app:latest");
        assert_eq!(
            r("docker.io/nginx").to_string(),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(
            r("index.docker.io/nginx").to_string(),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(r("nginx").api_host(), DOCKER_HUB_API_HOST);
        assert_eq!(r("nginx").familiar(), "nginx:latest");
        assert_eq!(r("user/app:v1").familiar(), "user/app:v1");
        assert_eq!(r("ghcr.io/a/b:v1").familiar(), "ghcr.io/a/b:v1");
    }

    #[test]
    fn domain_detection() {
        let x = r("localhost/foo");
        assert_eq!((x.domain(), x.repository()), ("localhost", "foo"));
        let x = r("localhost:5000/foo/bar:t");
        assert_eq!(
            (x.domain(), x.repository(), x.tag()),
            ("localhost:5000", "foo/bar", Some("t"))
        );
        let x = r("127.0.0.1:5000/a");
        assert_eq!(x.domain(), "127.0.0.1:5000");
        let x = r("ghcr.io/owner/img");
        assert_eq!((x.domain(), x.api_host()), ("ghcr.io", "ghcr.io"));
        // No '.', ':' or localhost: the first component is a Docker Hub namespace.
        let x = r("myhost/img");
        assert_eq!((x.domain(), x.repository()), ("docker.io", "myhost/img"));
        let x = r("Registry/img");
        assert_eq!(x.domain(), "Registry");
        let x = r("[::1]:5000/img");
        assert_eq!(x.domain(), "[::1]:5000");
        // A port-looking suffix without a slash is a tag.
        let x = r("localhost:5000");
        assert_eq!(
            (x.repository(), x.tag()),
            ("library/localhost", Some("5000"))
        );
    }

    #[test]
    fn tags_and_digests() {
        let d = format!("sha256:{HEX}");
        let x = r(&format!("example.com/a@{d}"));
        assert_eq!(x.tag(), None);
        assert_eq!(x.digest().map(|d| d.to_string()), Some(d.clone()));
        assert_eq!(x.manifest_reference(), d);
        assert_eq!(x.to_string(), format!("example.com/a@{d}"));
        let x = r(&format!("example.com/a:v2@{d}"));
        assert_eq!(x.tag(), Some("v2"));
        assert_eq!(x.manifest_reference(), d);
        assert_eq!(x.to_string(), format!("example.com/a:v2@{d}"));
        assert_eq!(r("a:v_1.2-x").tag(), Some("v_1.2-x"));
        assert_eq!(r("a:_x").tag(), Some("_x"));
        assert_eq!(r("a").manifest_reference(), "latest");
        let max = "t".repeat(128);
        assert_eq!(r(&format!("a:{max}")).tag(), Some(max.as_str()));
    }

    #[test]
    fn rejects_bad_references() {
        let bad = [
            "",
            "Nginx",
            "docker.io/Library/nginx",
            "a:",
            "a:-x",
            "a:.x",
            "a:x y",
            "a@sha256:abc",
            "a@md5:0123",
            "-a",
            "a-",
            "a..b",
            "a___b",
            "a/",
            "/a",
            "a//b",
            "exa_mple.com/a/b",
            "-host.com/a",
            "host.com:/a",
            "host.com:5x/a",
            "[::1/a",
            HEX,
        ];
        for b in bad {
            assert!(parse_normalized(b).is_err(), "{b:?} should be rejected");
        }
        assert_eq!(
            parse_normalized("Nginx"),
            Err(ReferenceError::Uppercase("Nginx".into()))
        );
        let long_tag = format!("a:{}", "t".repeat(129));
        assert!(matches!(
            parse_normalized(&long_tag),
            Err(ReferenceError::Tag { .. })
        ));
        let long_name = format!("example.com/{}", "a".repeat(250));
        assert!(matches!(
            parse_normalized(&long_name),
            Err(ReferenceError::NameTooLong(_))
        ));
        assert!(matches!(
            parse_normalized(&format!("a@sha256:{}", &HEX[..63])),
            Err(ReferenceError::Digest { .. })
        ));
    }

    #[test]
    fn path_separators() {
        for ok in [
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "x/a.b-c_d/e__f",
            "0/1",
        ] {
            assert!(parse_normalized(ok).is_ok(), "{ok:?} should be accepted");
        }
    }

    #[test]
    fn local_store_transport() {
        let r = ImageRef::parse("hoist:app").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.to_string(), "hoist:docker.io/library/app:latest");
        assert_eq!(ImageRef::parse(&r.to_string()).ok(), Some(r.clone()));
        assert!(matches!(r, ImageRef::Store(ref n) if n.tag() == Some("latest")));
        let r = ImageRef::parse("hoist:localhost:5000/a/b:v1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.to_string(), "hoist:localhost:5000/a/b:v1");
        let by_digest = format!("hoist:app@sha256:{}", "a".repeat(64));
        assert!(ImageRef::parse(&by_digest).is_err());
        assert!(ImageRef::parse("hoist:").is_err());
        assert!(r.as_registry().is_none());
    }

    #[test]
    fn transports() {
        let t = |s: &str| match ImageRef::parse(s) {
            Ok(x) => x,
            Err(e) => panic!("{s}: {e}"),
        };
        assert_eq!(
            t("oci:/tmp/layout:v1"),
            ImageRef::OciLayout {
                dir: "/tmp/layout".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            t("oci:dir"),
            ImageRef::OciLayout {
                dir: "dir".into(),
                tag: None
            }
        );
        assert_eq!(
            t("oci-archive:img.tar:latest"),
            ImageRef::OciArchive {
                file: "img.tar".into(),
                tag: Some("latest".into())
            }
        );
        assert_eq!(
            t("docker-archive:img.tar:app:1"),
            ImageRef::DockerArchive {
                file: "img.tar".into(),
                name: Some(r("app:1"))
            }
        );
        assert_eq!(
            t("docker-archive:img.tar"),
            ImageRef::DockerArchive {
                file: "img.tar".into(),
                name: None
            }
        );
        assert_eq!(t("docker://nginx"), ImageRef::Registry(r("nginx")));
        assert_eq!(t("nginx:1"), ImageRef::Registry(r("nginx:1")));
        assert_eq!(
            t("localhost:5000/x:y"),
            ImageRef::Registry(r("localhost:5000/x:y"))
        );
        assert_eq!(
            t("docker://nginx").to_string(),
            "docker://docker.io/library/nginx:latest"
        );
        assert_eq!(t("oci:/a/b:v1").to_string(), "oci:/a/b:v1");
        let d = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            t(&format!("oci:/a/b@{d}")),
            ImageRef::OciLayout {
                dir: "/a/b".into(),
                tag: Some(format!("@{d}"))
            }
        );
        assert_eq!(
            t(&format!("oci:/a/b@{d}")).to_string(),
            format!("oci:/a/b@{d}")
        );
        // Not a digest after the '@': an ordinary path (and tag).
        assert_eq!(
            t("oci:/a@b:v1"),
            ImageRef::OciLayout {
                dir: "/a@b".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            t("docker-archive:x.tar:app").to_string(),
            "docker-archive:x.tar:docker.io/library/app:latest"
        );
        // Round trip through Display.
        for s in [
            "oci:/l:v1",
            "oci-archive:a.tar",
            "docker-archive:x.tar:a/b:c",
            "h.io/a",
        ] {
            let once = t(s);
            assert_eq!(t(&once.to_string()), once);
        }
        let with_digest = format!("docker://h.io/a:t@sha256:{HEX}");
        assert_eq!(t(&t(&with_digest).to_string()), t(&with_digest));
    }

    #[test]
    fn transport_errors() {
        assert!(matches!(
            ImageRef::parse("oci:"),
            Err(ReferenceError::MissingPath(_))
        ));
        assert!(matches!(
            ImageRef::parse("oci-archive::x"),
            Err(ReferenceError::MissingPath(_))
        ));
        assert!(matches!(
            ImageRef::parse("oci:d:bad tag"),
            Err(ReferenceError::Tag { .. })
        ));
        assert!(ImageRef::parse("oci:d:").is_err());
        assert!(matches!(
            ImageRef::parse("containers-storage:x"),
            Err(ReferenceError::UnknownTransport { .. })
        ));
        assert!(matches!(
            ImageRef::parse("dir:/tmp/x"),
            Err(ReferenceError::UnknownTransport { .. })
        ));
        assert!(ImageRef::parse("docker:nginx").is_err());
        assert!(ImageRef::parse(&format!("docker-archive:x.tar:a@sha256:{HEX}")).is_err());
        assert!(ImageRef::parse("docker://").is_err());
    }

    #[test]
    fn odd_input_never_panics() {
        let odd = [
            "é",
            "a:é",
            "héllo/wörld:tâg",
            "a@",
            "@",
            ":",
            "/",
            "a/b@sha256:",
            "[",
            "[]:/a",
            "[::1]x/a",
            "oci:é:é",
            "docker://",
            "docker:///",
            "a:b:c",
            "a/b:c/d",
            "::::",
            "localhost:/a",
            "a\u{0}b",
            "x/ℵ.b",
            "ℵ:1",
            "a.b.c.d.e.f/g",
        ];
        for o in odd {
            let _ = parse_normalized(o);
            let _ = ImageRef::parse(o);
        }
        assert!(parse_normalized("héllo/wörld:tâg").is_err());
        assert!(parse_normalized("a/b:c/d").is_err());
    }

    #[test]
    fn layout_tags() {
        for ok in ["v1", "1.0", "a--b", "a:b", "a@b+c", "latest"] {
            assert!(is_valid_layout_tag(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a..b", "a b", "a---b"] {
            assert!(!is_valid_layout_tag(bad), "{bad}");
        }
    }

    #[test]
    fn builders() {
        let x = r("example.com/a:v1");
        assert_eq!(
            x.with_tag("v2").map(|y| y.to_string()),
            Ok("example.com/a:v2".into())
        );
        assert!(x.with_tag("bad tag").is_err());
        let d: Digest = format!("sha256:{HEX}")
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            x.with_digest(d.clone()).to_string(),
            format!("example.com/a@{d}")
        );
        assert_eq!(x.name(), "example.com/a");
        assert!(Reference::new("bad host", "a", None, None).is_err());
        assert_eq!(
            Reference::new("docker.io", "nginx", None, None).map(|y| y.to_string()),
            Ok("docker.io/library/nginx:latest".into())
        );
    }

    #[test]
    fn written_parts() {
        let (r, w) = parse_written("debian").unwrap();
        assert_eq!((r.domain(), r.tag()), ("docker.io", Some("latest")));
        assert_eq!(w, Written::default());
        let (r, w) = parse_written("localhost:5000/app:1").unwrap();
        assert_eq!(r.domain(), "localhost:5000");
        assert!(w.domain && w.tag);
        let (_, w) = parse_written(&format!("ghcr.io/a/b@sha256:{HEX}")).unwrap();
        assert!(w.domain && !w.tag);
        let (_, w) = parse_written("team/app:2").unwrap();
        assert!(!w.domain && w.tag);
    }
}
