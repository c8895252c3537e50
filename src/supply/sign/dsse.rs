//! DSSE envelopes over in-toto Statements: what a cosign attestation stores.
//!
//! The signature covers the DSSE pre-authentication encoding
//! `"DSSEv1" SP len(type) SP type SP len(body) SP body` (lengths in ASCII decimal), never the
//! raw payload, so a signature cannot be replayed under another payload type. The envelope is
//! `{"payloadType":…,"payload":B64,"signatures":[{"keyid":"","sig":B64}]}`. The payload is an
//! in-toto Statement v1 whose subject names the image repository and its manifest sha256.
//! Predicate type names follow cosign's `--type` shorthands; anything else must be a URI.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keys::{KeyError, SigningKey, VerifyingKey};
use crate::oci::digest::Digest;

/// DSSE payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of the older Statement v0.1 (read, never written).
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// Largest envelope accepted for verification.
pub const MAX_ENVELOPE: u64 = 16 * 1024 * 1024;

/// Why an attestation is invalid.
#[derive(Debug, thiserror::Error)]
pub enum DsseError {
    /// Not a DSSE envelope.
    #[error("not a DSSE envelope: {0}")]
    Malformed(String),
    /// The envelope carries something other than an in-toto statement.
    #[error("DSSE payloadType is `{0}`, expected `application/vnd.in-toto+json`")]
    PayloadType(String),
    /// The statement is malformed.
    #[error("in-toto statement: {0}")]
    Statement(String),
    /// No signature verified.
    #[error("no DSSE signature verifies with the given key ({0})")]
    Signature(String),
    /// The statement names other subjects.
    #[error("statement subjects {found} do not include {expected}")]
    Subject {
        /// What the statement names.
        found: String,
        /// The image being verified.
        expected: String,
    },
    /// The predicate type differs from the one asked for.
    #[error("predicateType is `{found}`, expected `{expected}`")]
    PredicateType {
        /// What the statement has.
        found: String,
        /// What was asked.
        expected: String,
    },
    /// `--type` is neither a known name nor a URI.
    #[error("unknown predicate type `{0}`: use spdx, spdxjson, cyclonedx, slsaprovenance, slsaprovenance02, slsaprovenance1, link, vuln, openvex, custom, or a URI")]
    UnknownType(String),
    /// The predicate file is not JSON.
    #[error("predicate is not JSON: {0}")]
    Predicate(String),
}

/// Maps cosign's `--type` names to predicate type URIs; a URI is taken as is.
pub fn predicate_type_uri(name: &str) -> Result<String, DsseError> {
    let uri = match name {
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "link" => "https://in-toto.io/Link/v1",
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        other => {
            let is_uri = other.split_once(':').is_some_and(|(scheme, rest)| {
                !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                    && !rest.is_empty()
                    && !rest.chars().any(char::is_whitespace)
            });
            if is_uri {
                return Ok(other.to_string());
            }
            return Err(DsseError::UnknownType(other.to_string()));
        }
    };
    Ok(uri.to_string())
}

/// Pre-authentication encoding of DSSE v1.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// What the payload is.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Base64 of the payload.
    pub payload: String,
    /// Signatures over the PAE.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Key hint (cosign writes an empty string).
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the DER signature.
    pub sig: String,
}

/// The subject of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// Repository name.
    pub name: String,
    /// Algorithm → hex.
    pub digest: BTreeMap<String, String>,
}

/// An in-toto statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Statement version URI.
    #[serde(rename = "_type")]
    pub type_: String,
    /// What it is about.
    pub subject: Vec<Subject>,
    /// Predicate type URI.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate document.
    #[serde(default)]
    pub predicate: Value,
}

impl Statement {
    /// A Statement v1 about `digest` in repository `name`.
    pub fn new(name: &str, digest: &Digest, predicate_type: &str, predicate: Value) -> Statement {
        let mut d = BTreeMap::new();
        d.insert(
            digest.algorithm().as_str().to_string(),
            digest.hex().to_string(),
        );
        Statement {
            type_: STATEMENT_V1.to_string(),
            subject: vec![Subject {
                name: name.to_string(),
                digest: d,
            }],
            predicate_type: predicate_type.to_string(),
            predicate,
        }
    }

    /// True when one subject has exactly `digest`.
    pub fn names(&self, digest: &Digest) -> bool {
        self.subject.iter().any(|s| {
            s.digest
                .get(digest.algorithm().as_str())
                .map(String::as_str)
                == Some(digest.hex())
        })
    }
}

/// Signs a statement: the envelope JSON bytes.
pub fn sign_statement(key: &SigningKey, statement: &Statement) -> Result<Vec<u8>, DsseError> {
    let body = serde_json::to_vec(statement).map_err(|e| DsseError::Statement(e.to_string()))?;
    let sig = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, &body));
    let env = Envelope {
        payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
        payload: B64.encode(&body),
        signatures: vec![EnvelopeSignature {
            keyid: String::new(),
            sig: B64.encode(sig),
        }],
    };
    serde_json::to_vec(&env).map_err(|e| DsseError::Malformed(e.to_string()))
}

/// Verifies an envelope with `key` and returns its statement, checked to name `digest` and
/// (when given) to have `predicate_type`.
pub fn verify_envelope(
    bytes: &[u8],
    key: &VerifyingKey,
    digest: &Digest,
    predicate_type: Option<&str>,
) -> Result<Statement, DsseError> {
    if bytes.len() as u64 > MAX_ENVELOPE {
        return Err(DsseError::Malformed(format!(
            "{} bytes, more than the {MAX_ENVELOPE} allowed",
            bytes.len()
        )));
    }
    let env: Envelope =
        serde_json::from_slice(bytes).map_err(|e| DsseError::Malformed(e.to_string()))?;
    if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(DsseError::PayloadType(env.payload_type));
    }
    let body = B64
        .decode(env.payload.as_bytes())
        .map_err(|e| DsseError::Malformed(format!("payload is not base64: {e}")))?;
    if env.signatures.is_empty() {
        return Err(DsseError::Signature(
            "the envelope has no signatures".into(),
        ));
    }
    let msg = pae(&env.payload_type, &body);
    let mut last = String::new();
    let mut ok = false;
    for s in &env.signatures {
        let sig = match B64.decode(s.sig.as_bytes()) {
            Ok(sig) => sig,
            Err(e) => {
                last = format!("signature is not base64: {e}");
                continue;
            }
        };
        match key.verify(&msg, &sig) {
            Ok(()) => {
                ok = true;
                break;
            }
            Err(e @ (KeyError::BadSignature | KeyError::MalformedSignature(_))) => {
                last = e.to_string()
            }
            Err(e) => last = e.to_string(),
        }
    }
    if !ok {
        return Err(DsseError::Signature(last));
    }
    let st: Statement =
        serde_json::from_slice(&body).map_err(|e| DsseError::Statement(e.to_string()))?;
    if st.type_ != STATEMENT_V1 && st.type_ != STATEMENT_V01 {
        return Err(DsseError::Statement(format!(
            "_type `{}` is not an in-toto Statement",
            st.type_
        )));
    }
    if !st.names(digest) {
        let found: Vec<String> = st
            .subject
            .iter()
            .flat_map(|s| s.digest.iter().map(|(a, h)| format!("{a}:{h}")))
            .collect();
        return Err(DsseError::Subject {
            found: format!("[{}]", found.join(", ")),
            expected: digest.to_string(),
        });
    }
    if let Some(want) = predicate_type {
        if st.predicate_type != want {
            return Err(DsseError::PredicateType {
                found: st.predicate_type,
                expected: want.to_string(),
            });
        }
    }
    Ok(st)
}

/// The statement inside an envelope, unverified (for listing).
pub fn peek_statement(bytes: &[u8]) -> Option<Statement> {
    let env: Envelope = serde_json::from_slice(bytes).ok()?;
    let body = B64.decode(env.payload.as_bytes()).ok()?;
    serde_json::from_slice(&body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::digest::digest_bytes;
    use serde_json::json;

    #[test]
    fn pae_matches_spec_example() {
        // The DSSE spec's test vector.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn predicate_types() {
        assert_eq!(
            predicate_type_uri("spdxjson").unwrap(),
            "https://spdx.dev/Document"
        );
        assert_eq!(
            predicate_type_uri("cyclonedx").unwrap(),
            "https://cyclonedx.org/bom"
        );
        assert_eq!(
            predicate_type_uri("slsaprovenance").unwrap(),
            "https://slsa.dev/provenance/v0.2"
        );
        assert_eq!(
            predicate_type_uri("https://example.com/p/v1").unwrap(),
            "https://example.com/p/v1"
        );
        assert!(predicate_type_uri("nonsense").is_err());
    }

    #[test]
    fn sign_verify_and_hostile_envelopes() {
        let key = SigningKey::generate();
        let pk = key.verifying_key();
        let d = digest_bytes(b"img");
        let st = Statement::new("reg/app", &d, "https://cyclonedx.org/bom", json!({"a": 1}));
        let env = sign_statement(&key, &st).unwrap();
        let back = verify_envelope(&env, &pk, &d, Some("https://cyclonedx.org/bom")).unwrap();
        assert_eq!(back, st);
        // Wrong predicate type asked.
        assert!(matches!(
            verify_envelope(&env, &pk, &d, Some("https://spdx.dev/Document")),
            Err(DsseError::PredicateType { .. })
        ));
        // Another image.
        assert!(matches!(
            verify_envelope(&env, &pk, &digest_bytes(b"x"), None),
            Err(DsseError::Subject { .. })
        ));
        // Another key.
        let other = SigningKey::generate().verifying_key();
        assert!(matches!(
            verify_envelope(&env, &other, &d, None),
            Err(DsseError::Signature(_))
        ));
        // Wrong payloadType: rejected before any signature check.
        let mut v: Envelope = serde_json::from_slice(&env).unwrap();
        v.payload_type = "text/plain".into();
        let bad = serde_json::to_vec(&v).unwrap();
        assert!(matches!(
            verify_envelope(&bad, &pk, &d, None),
            Err(DsseError::PayloadType(_))
        ));
        // Tampered payload.
        let mut v: Envelope = serde_json::from_slice(&env).unwrap();
        let mut body = B64.decode(&v.payload).unwrap();
        let last = body.len() - 2;
        body[last] ^= 1;
        v.payload = B64.encode(body);
        let bad = serde_json::to_vec(&v).unwrap();
        assert!(matches!(
            verify_envelope(&bad, &pk, &d, None),
            Err(DsseError::Signature(_))
        ));
        assert!(matches!(
            verify_envelope(b"[1,2", &pk, &d, None),
            Err(DsseError::Malformed(_))
        ));
    }
}
