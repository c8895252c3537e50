//! The cosign "simple signing" payload: the JSON document a cosign image signature signs.
//!
//! ```json
//! {"critical":{"identity":{"docker-reference":"REPO"},
//!              "image":{"docker-manifest-digest":"sha256:…"},
//!              "type":"cosign container image signature"},
//!  "optional":{"k":"v"}}
//! ```
//! `optional` is `null` without annotations, as cosign writes it. Verification parses the
//! payload strictly (bounded size, required fields, exact type string) and compares the digest
//! with the manifest digest being verified.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::oci::digest::Digest;
use crate::oci::reference::{Reference, DOCKER_HUB_DOMAIN};

/// `critical.type` of a cosign image signature.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";
/// Largest payload accepted for verification.
pub const MAX_PAYLOAD: u64 = 1024 * 1024;

/// Why a payload is not a valid signature payload for the image.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON or missing required fields.
    #[error("payload is not a cosign simple-signing document: {0}")]
    Malformed(String),
    /// `critical.type` is something else.
    #[error("payload type is `{0}`, not `cosign container image signature`")]
    WrongType(String),
    /// The signed digest is another image's.
    #[error("payload signs {signed}, not {expected} (the signature belongs to another image)")]
    OtherDigest {
        /// What the payload names.
        signed: String,
        /// The image being verified.
        expected: String,
    },
    /// A required annotation is missing or different.
    #[error("annotation {key}={want} required, payload has {found}")]
    Annotation {
        /// Key.
        key: String,
        /// Required value.
        want: String,
        /// What the payload has.
        found: String,
    },
}

/// The simple-signing document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimpleSigning {
    /// The signed claims.
    pub critical: Critical,
    /// Free-form annotations (`-a k=v`).
    pub optional: Option<BTreeMap<String, Value>>,
}

/// `critical`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Critical {
    /// The repository the signer named.
    pub identity: Identity,
    /// The manifest digest signed.
    pub image: ImageClaim,
    /// Always [`SIMPLE_SIGNING_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
}

/// `critical.identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// Repository, e.g. `registry.example/app`.
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

/// `critical.image`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageClaim {
    /// `sha256:…` of the manifest.
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl SimpleSigning {
    /// The payload for `digest` in repository `reference` with string annotations.
    pub fn new(
        reference: &str,
        digest: &Digest,
        annotations: &BTreeMap<String, String>,
    ) -> SimpleSigning {
        SimpleSigning {
            critical: Critical {
                identity: Identity {
                    docker_reference: reference.to_string(),
                },
                image: ImageClaim {
                    docker_manifest_digest: digest.to_string(),
                },
                kind: SIMPLE_SIGNING_TYPE.to_string(),
            },
            optional: if annotations.is_empty() {
                None
            } else {
                Some(
                    annotations
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                )
            },
        }
    }

    /// The bytes that are signed (compact JSON, field order as cosign writes it).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain strings and maps of strings/values cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses a payload strictly.
    pub fn parse(bytes: &[u8]) -> Result<SimpleSigning, PayloadError> {
        if bytes.len() as u64 > MAX_PAYLOAD {
            return Err(PayloadError::Malformed(format!(
                "{} bytes, more than the {MAX_PAYLOAD} allowed",
                bytes.len()
            )));
        }
        let p: SimpleSigning =
            serde_json::from_slice(bytes).map_err(|e| PayloadError::Malformed(e.to_string()))?;
        if p.critical.kind != SIMPLE_SIGNING_TYPE {
            return Err(PayloadError::WrongType(p.critical.kind));
        }
        Ok(p)
    }

    /// Checks that the payload signs exactly `digest` and carries every required annotation.
    pub fn check(
        &self,
        digest: &Digest,
        required: &BTreeMap<String, String>,
    ) -> Result<(), PayloadError> {
        if self.critical.image.docker_manifest_digest != digest.to_string() {
            return Err(PayloadError::OtherDigest {
                signed: self.critical.image.docker_manifest_digest.clone(),
                expected: digest.to_string(),
            });
        }
        check_annotations(self.optional.as_ref(), required)
    }
}

/// The repository name cosign writes as `docker-reference`: `registry/repository`, with Docker
/// Hub spelled `index.docker.io` as go-containerregistry names it.
pub fn docker_reference(r: &Reference) -> String {
    let domain = if r.domain() == DOCKER_HUB_DOMAIN {
        "index.docker.io"
    } else {
        r.domain()
    };
    format!("{domain}/{}", r.repository())
}

/// Every `required` k=v must be present in `have` (string values compare as strings, others by
/// their JSON text).
pub fn check_annotations(
    have: Option<&BTreeMap<String, Value>>,
    required: &BTreeMap<String, String>,
) -> Result<(), PayloadError> {
    for (k, want) in required {
        let found = have.and_then(|m| m.get(k));
        let ok = match found {
            Some(Value::String(s)) => s == want,
            Some(v) => want.as_str() == v.to_string().as_str(),
            None => false,
        };
        if !ok {
            return Err(PayloadError::Annotation {
                key: k.clone(),
                want: want.clone(),
                found: match found {
                    Some(Value::String(s)) => format!("{k}={s}"),
                    Some(v) => format!("{k}={v}"),
                    None => "none".into(),
                },
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::digest::digest_bytes;

    #[test]
    fn bytes_match_cosign_layout() {
        let d = digest_bytes(b"m");
        let p = SimpleSigning::new("reg.example/app", &d, &BTreeMap::new());
        let s = String::from_utf8(p.to_bytes()).unwrap();
        assert_eq!(
            s,
            format!(
                "{{\"critical\":{{\"identity\":{{\"docker-reference\":\"reg.example/app\"}},\"image\":{{\"docker-manifest-digest\":\"{d}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}"
            )
        );
        let mut a = BTreeMap::new();
        a.insert("env".to_string(), "prod".to_string());
        let p = SimpleSigning::new("reg.example/app", &d, &a);
        let back = SimpleSigning::parse(&p.to_bytes()).unwrap();
        back.check(&d, &a).unwrap();
        back.check(&d, &BTreeMap::new()).unwrap();
        let mut b = a.clone();
        b.insert("env".into(), "dev".into());
        assert!(matches!(
            back.check(&d, &b),
            Err(PayloadError::Annotation { .. })
        ));
        assert!(matches!(
            back.check(&digest_bytes(b"other"), &a),
            Err(PayloadError::OtherDigest { .. })
        ));
    }

    #[test]
    fn docker_reference_names_the_repository() {
        let r = crate::oci::reference::parse_normalized("alpine:3.20").unwrap();
        assert_eq!(docker_reference(&r), "index.docker.io/library/alpine");
        let r = crate::oci::reference::parse_normalized("localhost:5000/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000").unwrap();
        assert_eq!(docker_reference(&r), "localhost:5000/a/b");
    }

    #[test]
    fn hostile_payloads() {
        assert!(matches!(
            SimpleSigning::parse(b"not json"),
            Err(PayloadError::Malformed(_))
        ));
        assert!(matches!(
            SimpleSigning::parse(b"{\"critical\":{}}"),
            Err(PayloadError::Malformed(_))
        ));
        let wrong = br#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"sha256:00"},"type":"x"},"optional":null}"#;
        assert!(matches!(
            SimpleSigning::parse(wrong),
            Err(PayloadError::WrongType(_))
        ));
        let big = vec![b' '; MAX_PAYLOAD as usize + 1];
        assert!(SimpleSigning::parse(&big).is_err());
    }
}
