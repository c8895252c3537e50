//! The image model: manifests, indexes, platforms and configs as hoist reads them.
//!
//! A manifest that came from somewhere else is kept as its raw bytes ([`RawManifest`]); its
//! digest is the sha256 of exactly those bytes and it is never re-serialized, so copying it
//! keeps its digest. Parsing (OCI image manifests and indexes, Docker schema 2 manifests and
//! manifest lists, which share the same JSON shape) uses the `oci-spec` types. Platforms are
//! `os/arch[/variant]` with Go's names; [`Platform::host`] maps the running machine's
//! architecture to them. [`VerifyingReader`] checks a blob's digest and size as it streams.

use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;

use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use serde::Deserialize;

use sha2::{Digest as _, Sha256};

use super::digest::{digest_bytes, Algorithm, Digest, DigestError};
use super::media;

/// Errors of the image model.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A manifest, index or config is not valid JSON of the expected shape.
    #[error("invalid {what} {digest}: {source}")]
    Json {
        /// "manifest", "index", "config"…
        what: &'static str,
        /// The document's digest.
        digest: Digest,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// A media type hoist cannot handle as a manifest.
    #[error("{digest}: unsupported manifest media type {media_type:?}")]
    UnsupportedMediaType {
        /// The document's digest.
        digest: Digest,
        /// Its media type.
        media_type: String,
    },
    /// Docker schema 1 manifests are not supported.
    #[error("{0}: Docker schema 1 manifests are not supported")]
    Schema1(Digest),
    /// A digest inside a document is invalid.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// A `--platform` value could not be parsed.
    #[error("invalid platform {0:?}: expected OS/ARCH[/VARIANT], e.g. linux/arm64")]
    BadPlatform(String),
    /// No manifest of the index matches the wanted platform.
    #[error("no manifest for platform {wanted} in index {index}; available: {available}")]
    NoPlatform {
        /// The platform asked for.
        wanted: String,
        /// The index digest.
        index: Digest,
        /// The platforms the index offers.
        available: String,
    },
}

/// A manifest or index exactly as it was received or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawManifest {
    /// The bytes (hashed as they are).
    pub bytes: Vec<u8>,
    /// The media type (from the document, else the hint, else guessed from its shape).
    pub media_type: String,
    /// sha256 of `bytes`.
    pub digest: Digest,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    config: Option<serde::de::IgnoredAny>,
}

/// A parsed manifest: an image or an index.
#[derive(Debug, Clone)]
pub enum Manifest {
    /// An image manifest (OCI or Docker schema 2).
    Image(Box<ImageManifest>),
    /// An index or Docker manifest list.
    Index(Box<ImageIndex>),
}

impl RawManifest {
    /// Wrap `bytes`; `hint` is the media type the transport announced (a descriptor's or a
    /// registry's `Content-Type`), used when the document does not name its own.
    pub fn new(bytes: Vec<u8>, hint: Option<&str>) -> Result<RawManifest, ImageError> {
        let digest = digest_bytes(&bytes);
        let probe: Probe = serde_json::from_slice(&bytes).map_err(|source| ImageError::Json {
            what: "manifest",
            digest: digest.clone(),
            source,
        })?;
        if probe.schema_version == Some(1) {
            return Err(ImageError::Schema1(digest));
        }
        let hint = hint.filter(|h| media::is_manifest(h) || media::is_index(h));
        let media_type = match (probe.media_type, hint) {
            (Some(m), _) => m,
            (None, Some(h)) => h.to_string(),
            (None, None) if probe.manifests.is_some() => media::OCI_INDEX.to_string(),
            (None, None) if probe.config.is_some() => media::OCI_MANIFEST.to_string(),
            (None, None) => {
                return Err(ImageError::UnsupportedMediaType {
                    digest,
                    media_type: String::new(),
                })
            }
        };
        if !media::is_manifest(&media_type) && !media::is_index(&media_type) {
            return Err(ImageError::UnsupportedMediaType { digest, media_type });
        }
        Ok(RawManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// True for an index or manifest list.
    pub fn is_index(&self) -> bool {
        media::is_index(&self.media_type)
    }

    /// True for a Docker schema 2 manifest or manifest list.
    pub fn is_docker(&self) -> bool {
        self.media_type == media::DOCKER_MANIFEST || self.media_type == media::DOCKER_MANIFEST_LIST
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// A descriptor pointing at this document.
    pub fn descriptor(&self) -> Result<Descriptor, ImageError> {
        Ok(media::descriptor(
            &self.media_type,
            &self.digest,
            self.size(),
        )?)
    }

    /// Parse into the typed form.
    pub fn parse(&self) -> Result<Manifest, ImageError> {
        if self.is_index() {
            serde_json::from_slice(&self.bytes)
                .map(|i| Manifest::Index(Box::new(i)))
                .map_err(|source| ImageError::Json {
                    what: "index",
                    digest: self.digest.clone(),
                    source,
                })
        } else {
            self.parse_image().map(|m| Manifest::Image(Box::new(m)))
        }
    }

    /// Parse as an image manifest.
    pub fn parse_image(&self) -> Result<ImageManifest, ImageError> {
        serde_json::from_slice(&self.bytes).map_err(|source| ImageError::Json {
            what: "manifest",
            digest: self.digest.clone(),
            source,
        })
    }

    /// Parse as an index.
    pub fn parse_index(&self) -> Result<ImageIndex, ImageError> {
        serde_json::from_slice(&self.bytes).map_err(|source| ImageError::Json {
            what: "index",
            digest: self.digest.clone(),
            source,
        })
    }
}

/// Parse an image config (OCI or Docker; unknown fields are ignored).
pub fn parse_config(bytes: &[u8]) -> Result<ImageConfiguration, ImageError> {
    serde_json::from_slice(bytes).map_err(|source| ImageError::Json {
        what: "config",
        digest: digest_bytes(bytes),
        source,
    })
}

/// The validated diffIDs of a config's `rootfs.diff_ids`.
pub fn diff_ids(config: &ImageConfiguration) -> Result<Vec<Digest>, ImageError> {
    config
        .rootfs()
        .diff_ids()
        .iter()
        .map(|s| s.parse::<Digest>().map_err(ImageError::from))
        .collect()
}

/// The media type of a descriptor as a string.
pub fn media_type_str(d: &Descriptor) -> String {
    match d.media_type() {
        MediaType::Other(s) => s.clone(),
        m => m.to_string(),
    }
}

/// An `os/arch[/variant]` platform with Go's names (`linux/amd64`, `linux/arm/v7`): the one
/// platform type of hoist (image selection, `--platform` flags, the Dockerfile's automatic
/// `BUILDPLATFORM`/`TARGETPLATFORM` ARGs).
///
/// The variant follows the OCI image spec (`image-index.md`, "platform variants"): it names the
/// CPU variant, and the spec's table lists `arm` only with a variant (`v6`, `v7`, `v8`) while
/// `arm64` is `v8` and `amd64` needs none. So 32-bit `arm` always carries one (`v7` unless
/// said otherwise, as containerd and BuildKit normalise it), and the default variants
/// `arm64/v8` and `amd64/v1` are dropped; see [`Platform::normalized`]. This is also what
/// BuildKit puts in `TARGETVARIANT`/`BUILDVARIANT`: `v7` on 32-bit ARM, empty on arm64/amd64.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    /// Operating system (`linux`, `windows`…).
    pub os: String,
    /// CPU architecture (`amd64`, `arm64`, `arm`, `386`, `ppc64le`, `s390x`, `riscv64`…).
    pub architecture: String,
    /// CPU variant (`v7`, `v8`…), if any.
    pub variant: Option<String>,
}

impl Platform {
    /// The platform of the running machine (Linux images unless running on Windows).
    pub fn host() -> Platform {
        let os = if std::env::consts::OS == "windows" {
            "windows"
        } else {
            "linux"
        };
        let architecture = go_arch(std::env::consts::ARCH).to_string();
        Platform {
            os: os.to_string(),
            variant: normalize_variant(&architecture, None),
            architecture,
        }
    }

    /// The same platform with the architecture's canonical name and the spec's variant:
    /// `arm` gets `v7` when it has none, `arm64/v8` and `amd64/v1` lose theirs.
    pub fn normalized(&self) -> Platform {
        let architecture = normalize_arch(&self.architecture.to_ascii_lowercase());
        Platform {
            os: self.os.to_ascii_lowercase(),
            variant: normalize_variant(&architecture, self.variant.as_deref()),
            architecture,
        }
    }

    /// Does an index entry's platform match this one? A missing variant on our side accepts
    /// any variant; default variants (`arm64` = `v8`, `arm` = `v7`, `amd64` = `v1`) compare
    /// equal to no variant.
    pub fn matches(&self, p: &oci_spec::image::Platform) -> bool {
        let arch = normalize_arch(&p.architecture().to_string());
        if p.os().to_string() != self.os || arch != normalize_arch(&self.architecture) {
            return false;
        }
        match &self.variant {
            None => true,
            Some(want) => {
                normalize_variant(&arch, Some(want))
                    == normalize_variant(&arch, p.variant().as_deref())
            }
        }
    }

    /// Format an index entry's platform.
    pub fn describe(p: &oci_spec::image::Platform) -> String {
        let mut s = format!("{}/{}", p.os(), p.architecture());
        if let Some(v) = p.variant() {
            s.push('/');
            s.push_str(v);
        }
        s
    }
}

impl FromStr for Platform {
    type Err = ImageError;

    fn from_str(s: &str) -> Result<Platform, ImageError> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(ok) {
            return Err(ImageError::BadPlatform(s.to_string()));
        }
        let mut it = parts.into_iter();
        let os = it.next().unwrap_or_default().to_ascii_lowercase();
        let architecture = normalize_arch(&it.next().unwrap_or_default().to_ascii_lowercase());
        let variant = it.next().map(|v| v.to_ascii_lowercase());
        Ok(Platform {
            os,
            architecture,
            variant,
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Map a Rust `std::env::consts::ARCH` value to the OCI (Go) name.
pub fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "powerpc" => "ppc",
        "mips64" if cfg!(target_endian = "little") => "mips64le",
        "mips" if cfg!(target_endian = "little") => "mipsle",
        "loongarch64" => "loong64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// Common aliases of architecture names.
pub fn normalize_arch(arch: &str) -> String {
    match arch {
        "x86_64" | "x86-64" => "amd64".to_string(),
        "aarch64" => "arm64".to_string(),
        "i386" | "i686" => "386".to_string(),
        "armhf" | "armel" => "arm".to_string(),
        other => other.to_string(),
    }
}

fn normalize_variant(arch: &str, variant: Option<&str>) -> Option<String> {
    match (arch, variant) {
        ("arm64", Some("v8") | Some("8")) | ("amd64", Some("v1")) => None,
        ("arm", None) => Some("v7".to_string()),
        ("arm", Some(v)) if !v.starts_with('v') => Some(format!("v{v}")),
        (_, v) => v.map(str::to_string),
    }
}

/// Pick the manifest for `want` from an index (`index_digest` is for the error message).
/// Entries without a platform are skipped unless the index has exactly one entry.
pub fn select_platform(
    index: &ImageIndex,
    index_digest: &Digest,
    want: &Platform,
) -> Result<Descriptor, ImageError> {
    let entries = index.manifests();
    if let [only] = entries.as_slice() {
        if only.platform().is_none() {
            return Ok(only.clone());
        }
    }
    let mut best: Option<&Descriptor> = None;
    for d in entries {
        let Some(p) = d.platform() else { continue };
        if !want.matches(p) {
            continue;
        }
        // Without a wanted variant, prefer the architecture's default variant.
        let arch = normalize_arch(&p.architecture().to_string());
        let is_default =
            normalize_variant(&arch, p.variant().as_deref()) == normalize_variant(&arch, None);
        match best {
            None => best = Some(d),
            Some(b) if is_default => {
                let barch = b
                    .platform()
                    .as_ref()
                    .map(|bp| {
                        normalize_variant(&arch, bp.variant().as_deref())
                            == normalize_variant(&arch, None)
                    })
                    .unwrap_or(false);
                if !barch {
                    best = Some(d);
                }
            }
            Some(_) => {}
        }
    }
    best.cloned().ok_or_else(|| ImageError::NoPlatform {
        wanted: want.to_string(),
        index: index_digest.clone(),
        available: available_platforms(index).join(", "),
    })
}

/// The platforms an index lists (skipping `unknown/unknown` attestation entries).
pub fn available_platforms(index: &ImageIndex) -> Vec<String> {
    let mut out: Vec<String> = index
        .manifests()
        .iter()
        .filter_map(|d| d.platform().as_ref())
        .map(Platform::describe)
        .filter(|s| s != "unknown/unknown")
        .collect();
    if out.is_empty() {
        out.push("(none)".to_string());
    }
    out
}

/// A reader that hashes what passes through and fails at the end of the stream (or as soon as
/// too many bytes arrive) when the digest or the size differs from what was expected.
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    count: u64,
    expected: Digest,
    size: u64,
}

impl<R: Read> VerifyingReader<R> {
    /// Verify `inner` against `expected` and `size`. Only sha256 can be verified.
    pub fn new(inner: R, expected: &Digest, size: u64) -> io::Result<Self> {
        if expected.algorithm() != Algorithm::Sha256 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("cannot verify {expected}: only sha256 digests are supported"),
            ));
        }
        Ok(VerifyingReader {
            inner,
            hasher: Some(Sha256::new()),
            count: 0,
            expected: expected.clone(),
            size,
        })
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(hasher) = self.hasher.as_mut() else {
            return Ok(0);
        };
        let n = self.inner.read(buf)?;
        let done = buf.get(..n).unwrap_or(buf);
        hasher.update(done);
        self.count += n as u64;
        if self.count > self.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "blob {} is larger than the expected {} bytes",
                    self.expected, self.size
                ),
            ));
        }
        if n == 0 && !buf.is_empty() {
            let got = match self.hasher.take() {
                Some(h) => Digest::from_sha256_bytes(h.finalize().into()),
                None => return Ok(0),
            };
            if self.count != self.size {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "blob {}: got {} bytes, expected {}",
                        self.expected, self.count, self.size
                    ),
                ));
            }
            if got != self.expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "blob digest mismatch: expected {}, got {got}",
                        self.expected
                    ),
                ));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index_with(platforms: &[(&str, &str, Option<&str>)]) -> ImageIndex {
        let manifests: Vec<_> = platforms
            .iter()
            .enumerate()
            .map(|(i, (os, arch, variant))| {
                let mut p = json!({"os": os, "architecture": arch});
                if let Some(v) = variant {
                    p["variant"] = json!(v);
                }
                json!({
                    "mediaType": media::OCI_MANIFEST,
                    "digest": digest_bytes(format!("m{i}").as_bytes()).to_string(),
                    "size": 10 + i,
                    "platform": p,
                })
            })
            .collect();
        serde_json::from_value(json!({"schemaVersion": 2, "manifests": manifests})).unwrap()
    }

    #[test]
    fn platform_parse_and_display() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(p.to_string(), "linux/arm64/v8");
        let p: Platform = "linux/x86_64".parse().unwrap();
        assert_eq!(p.architecture, "amd64");
        for bad in ["", "linux", "linux/", "/amd64", "a/b/c/d", "linux/am d64"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
        let host = Platform::host();
        assert_eq!(host.architecture, go_arch(std::env::consts::ARCH));
        assert_eq!(host, host.normalized());
        let arm: Platform = "linux/arm".parse().unwrap();
        assert_eq!(arm.normalized().to_string(), "linux/arm/v7");
        let arm64: Platform = "linux/aarch64/v8".parse().unwrap();
        assert_eq!(arm64.normalized().to_string(), "linux/arm64");
        assert!(!host.architecture.is_empty());
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
    }

    #[test]
    fn select_platform_rules() {
        let idx = index_with(&[
            ("linux", "amd64", None),
            ("linux", "arm", Some("v6")),
            ("linux", "arm", Some("v7")),
            ("linux", "arm64", Some("v8")),
            ("unknown", "unknown", None),
        ]);
        let d = digest_bytes(b"index");
        let pick = |s: &str| select_platform(&idx, &d, &s.parse().unwrap()).map(|x| x.size());
        assert_eq!(pick("linux/amd64").unwrap(), 10);
        assert_eq!(pick("linux/arm/v6").unwrap(), 11);
        assert_eq!(pick("linux/arm/v7").unwrap(), 12);
        // No variant asked: the default variant (v7) wins over the first listed.
        assert_eq!(pick("linux/arm").unwrap(), 12);
        assert_eq!(pick("linux/arm64").unwrap(), 13);
        assert_eq!(pick("linux/aarch64").unwrap(), 13);
        match pick("linux/s390x") {
            Err(ImageError::NoPlatform { available, .. }) => {
                assert!(available.contains("linux/arm64/v8"));
                assert!(!available.contains("unknown"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn raw_manifest_media_types() {
        let oci = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let m = RawManifest::new(oci.to_vec(), None).unwrap();
        assert_eq!(m.media_type, media::OCI_MANIFEST);
        assert_eq!(m.digest, digest_bytes(oci));
        assert!(matches!(m.parse().unwrap(), Manifest::Image(_)));
        let m = RawManifest::new(oci.to_vec(), Some(media::DOCKER_MANIFEST)).unwrap();
        assert_eq!(m.media_type, media::DOCKER_MANIFEST);
        let idx = br#"{"schemaVersion":2,"manifests":[]}"#;
        let m = RawManifest::new(idx.to_vec(), None).unwrap();
        assert!(m.is_index());
        assert!(matches!(
            RawManifest::new(br#"{"schemaVersion":1,"fsLayers":[]}"#.to_vec(), None),
            Err(ImageError::Schema1(_))
        ));
        assert!(RawManifest::new(b"not json".to_vec(), None).is_err());
        assert!(RawManifest::new(br#"{"mediaType":"text/plain"}"#.to_vec(), None).is_err());
    }

    #[test]
    fn verifying_reader() {
        let data = b"some blob".to_vec();
        let d = digest_bytes(&data);
        let mut ok = Vec::new();
        VerifyingReader::new(&data[..], &d, 9)
            .unwrap()
            .read_to_end(&mut ok)
            .unwrap();
        assert_eq!(ok, data);
        let mut sink = Vec::new();
        assert!(VerifyingReader::new(&b"some blub"[..], &d, 9)
            .unwrap()
            .read_to_end(&mut sink)
            .is_err());
        assert!(VerifyingReader::new(&data[..], &d, 8)
            .unwrap()
            .read_to_end(&mut sink)
            .is_err());
        assert!(VerifyingReader::new(&data[..], &d, 10)
            .unwrap()
            .read_to_end(&mut sink)
            .is_err());
    }
}
