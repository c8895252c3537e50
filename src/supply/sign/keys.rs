//! Cosign-compatible key files: ECDSA P-256 key pairs, the password-encrypted private key
//! (`cosign.key`) and the PKIX public key (`cosign.pub`), plus signing and verifying bytes.
//!
//! `cosign.key` is a PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY` (older cosign wrote
//! `ENCRYPTED COSIGN PRIVATE KEY`; both are read). Its body is a JSON document:
//! `{"kdf":{"name":"scrypt","params":{"N":…,"r":8,"p":1},"salt":B64},
//!   "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}` where the ciphertext is
//! NaCl secretbox (XSalsa20-Poly1305, tag first) of the PKCS#8 DER private key under the 32-byte
//! scrypt key of the password. Only the two scrypt costs cosign has written (N = 2^15 and 2^16,
//! r = 8, p = 1) are accepted, so a hostile file cannot make us burn gigabytes of memory.
//! `cosign.pub` is a `PUBLIC KEY` PEM (SubjectPublicKeyInfo). Signatures are ECDSA over SHA-256
//! of the message, ASN.1 DER encoded, as cosign writes and checks them.
//!
//! The RustCrypto crates do the cryptography; this module only speaks the file format.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// PEM label cosign (≥ 2.0) and sigstore-rs write for the encrypted private key.
pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM label older cosign releases wrote; still read.
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
/// PEM label of the public key.
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

/// scrypt N written by `hoist key generate` (the cost cosign's key files carry by default).
pub const SCRYPT_N_DEFAULT: u64 = 1 << 15;
/// The higher scrypt N some cosign releases wrote; read, never written.
pub const SCRYPT_N_HIGH: u64 = 1 << 16;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// Largest key file read (a real one is under 1 KiB).
pub const MAX_KEY_FILE: u64 = 64 * 1024;

/// Why a key could not be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file is not PEM, or not the PEM block expected.
    #[error("{source_name}: not a {expected} PEM file ({reason}); expected a file made by `hoist key generate` or `cosign generate-key-pair`")]
    Pem {
        /// The file.
        source_name: String,
        /// What kind of block was expected.
        expected: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The encrypted key's JSON body is malformed or uses unsupported parameters.
    #[error("{source_name}: malformed encrypted private key: {reason}")]
    Envelope {
        /// The file.
        source_name: String,
        /// What was wrong.
        reason: String,
    },
    /// Decryption failed: the password is wrong (or the file was altered).
    #[error("{source_name}: cannot decrypt the private key: wrong password (or the key file was altered)")]
    WrongPassword {
        /// The file.
        source_name: String,
    },
    /// The key material is not an ECDSA P-256 key.
    #[error("{source_name}: unsupported key: {reason}; hoist signs with ECDSA P-256 keys")]
    Unsupported {
        /// The file.
        source_name: String,
        /// What was found.
        reason: String,
    },
    /// A signature is not ASN.1 DER / does not verify.
    #[error("signature does not verify with the given public key")]
    BadSignature,
    /// A signature's bytes are not an ECDSA DER signature.
    #[error("signature is not an ASN.1 DER ECDSA signature: {0}")]
    MalformedSignature(String),
    /// Encoding failed (should not happen with a valid key).
    #[error("cannot encode key: {0}")]
    Encode(String),
}

/// An ECDSA P-256 private key.
#[derive(Clone)]
pub struct SigningKey(p256::ecdsa::SigningKey);

/// An ECDSA P-256 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey(p256::ecdsa::VerifyingKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(P-256, redacted)")
    }
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

#[derive(Serialize, Deserialize)]
struct Encrypted {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

fn scrypt_key(
    password: &[u8],
    salt: &[u8],
    n: u64,
    source_name: &str,
) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let log_n = n.trailing_zeros() as u8;
    let params =
        scrypt::Params::new(log_n, SCRYPT_R, SCRYPT_P, 32).map_err(|e| KeyError::Envelope {
            source_name: source_name.to_string(),
            reason: format!("scrypt parameters: {e}"),
        })?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, key.as_mut()).map_err(|e| KeyError::Envelope {
        source_name: source_name.to_string(),
        reason: format!("scrypt: {e}"),
    })?;
    Ok(key)
}

impl SigningKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> SigningKey {
        SigningKey(p256::ecdsa::SigningKey::random(&mut OsRng))
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(*self.0.verifying_key())
    }

    /// ECDSA P-256 / SHA-256 signature over `msg`, ASN.1 DER encoded.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: DerSignature = self.0.sign(msg);
        sig.as_bytes().to_vec()
    }

    /// The PKCS#8 DER encoding of the private key.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let doc = self
            .0
            .to_pkcs8_der()
            .map_err(|e| KeyError::Encode(e.to_string()))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// Reads a PKCS#8 DER private key (must be ECDSA P-256).
    pub fn from_pkcs8_der(der: &[u8], source_name: &str) -> Result<SigningKey, KeyError> {
        p256::ecdsa::SigningKey::from_pkcs8_der(der)
            .map(SigningKey)
            .map_err(|e| KeyError::Unsupported {
                source_name: source_name.to_string(),
                reason: format!("PKCS#8 key is not ECDSA P-256 ({e})"),
            })
    }

    /// The key encrypted under `password` as a cosign key file (`ENCRYPTED SIGSTORE PRIVATE
    /// KEY` PEM), with fresh salt and nonce.
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String, KeyError> {
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let key = scrypt_key(password, &salt, SCRYPT_N_DEFAULT, "new key")?;
        let cipher = XSalsa20Poly1305::new(crypto_secretbox::Key::from_slice(key.as_ref()));
        let der = self.to_pkcs8_der()?;
        let sealed = cipher
            .encrypt(crypto_secretbox::Nonce::from_slice(&nonce), der.as_slice())
            .map_err(|_| KeyError::Encode("secretbox encryption failed".into()))?;
        let body = Encrypted {
            kdf: Kdf {
                name: "scrypt".into(),
                params: ScryptParams {
                    n: SCRYPT_N_DEFAULT,
                    r: SCRYPT_R,
                    p: SCRYPT_P,
                },
                salt: B64.encode(salt),
            },
            cipher: Cipher {
                name: "nacl/secretbox".into(),
                nonce: B64.encode(nonce),
            },
            ciphertext: B64.encode(&sealed),
        };
        let json = serde_json::to_vec(&body).map_err(|e| KeyError::Encode(e.to_string()))?;
        pem_rfc7468::encode_string(
            SIGSTORE_PRIVATE_KEY_LABEL,
            pem_rfc7468::LineEnding::LF,
            &json,
        )
        .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// Decrypts a cosign key file (either label) with `password`. `source_name` names the file
    /// in errors.
    pub fn from_encrypted_pem(
        pem: &[u8],
        password: &[u8],
        source_name: &str,
    ) -> Result<SigningKey, KeyError> {
        let pem_err = |reason: String| KeyError::Pem {
            source_name: source_name.to_string(),
            expected: "encrypted cosign private key",
            reason,
        };
        let (label, body) = decode_pem(pem).map_err(pem_err)?;
        if label != SIGSTORE_PRIVATE_KEY_LABEL && label != COSIGN_PRIVATE_KEY_LABEL {
            return Err(pem_err(format!(
                "PEM block is `{label}`, not `{SIGSTORE_PRIVATE_KEY_LABEL}` or `{COSIGN_PRIVATE_KEY_LABEL}`"
            )));
        }
        let env_err = |reason: String| KeyError::Envelope {
            source_name: source_name.to_string(),
            reason,
        };
        let enc: Encrypted =
            serde_json::from_slice(&body).map_err(|e| env_err(format!("JSON body: {e}")))?;
        if enc.kdf.name != "scrypt" {
            return Err(env_err(format!(
                "key derivation `{}` (only scrypt is used by cosign)",
                enc.kdf.name
            )));
        }
        let p = &enc.kdf.params;
        if !(p.n == SCRYPT_N_DEFAULT || p.n == SCRYPT_N_HIGH) || p.r != SCRYPT_R || p.p != SCRYPT_P
        {
            return Err(env_err(format!(
                "scrypt parameters N={} r={} p={} (cosign uses N=32768 or 65536, r=8, p=1)",
                p.n, p.r, p.p
            )));
        }
        if enc.cipher.name != "nacl/secretbox" {
            return Err(env_err(format!(
                "cipher `{}` (only nacl/secretbox is used by cosign)",
                enc.cipher.name
            )));
        }
        let salt = B64
            .decode(&enc.kdf.salt)
            .map_err(|e| env_err(format!("salt is not base64: {e}")))?;
        let nonce = B64
            .decode(&enc.cipher.nonce)
            .map_err(|e| env_err(format!("nonce is not base64: {e}")))?;
        if nonce.len() != NONCE_LEN {
            return Err(env_err(format!(
                "nonce is {} bytes, secretbox needs {NONCE_LEN}",
                nonce.len()
            )));
        }
        let sealed = B64
            .decode(&enc.ciphertext)
            .map_err(|e| env_err(format!("ciphertext is not base64: {e}")))?;
        let key = scrypt_key(password, &salt, p.n, source_name)?;
        let cipher = XSalsa20Poly1305::new(crypto_secretbox::Key::from_slice(key.as_ref()));
        let der = cipher
            .decrypt(
                crypto_secretbox::Nonce::from_slice(&nonce),
                sealed.as_slice(),
            )
            .map(Zeroizing::new)
            .map_err(|_| KeyError::WrongPassword {
                source_name: source_name.to_string(),
            })?;
        SigningKey::from_pkcs8_der(&der, source_name)
    }
}

impl VerifyingKey {
    /// Reads a `PUBLIC KEY` PEM (SubjectPublicKeyInfo of an ECDSA P-256 key).
    pub fn from_pem(pem: &[u8], source_name: &str) -> Result<VerifyingKey, KeyError> {
        let pem_err = |reason: String| KeyError::Pem {
            source_name: source_name.to_string(),
            expected: "public key",
            reason,
        };
        let (label, der) = decode_pem(pem).map_err(pem_err)?;
        if label != PUBLIC_KEY_LABEL {
            return Err(pem_err(format!(
                "PEM block is `{label}`, not `{PUBLIC_KEY_LABEL}`"
            )));
        }
        p256::ecdsa::VerifyingKey::from_public_key_der(&der)
            .map(VerifyingKey)
            .map_err(|e| KeyError::Unsupported {
                source_name: source_name.to_string(),
                reason: format!("public key is not ECDSA P-256 ({e})"),
            })
    }

    /// The key as a `PUBLIC KEY` PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.0
            .to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn to_der(&self) -> Result<Vec<u8>, KeyError> {
        self.0
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// Checks an ASN.1 DER ECDSA signature over SHA-256 of `msg`.
    pub fn verify(&self, msg: &[u8], der_sig: &[u8]) -> Result<(), KeyError> {
        let sig = Signature::from_der(der_sig)
            .map_err(|e| KeyError::MalformedSignature(e.to_string()))?;
        self.0.verify(msg, &sig).map_err(|_| KeyError::BadSignature)
    }
}

/// One PEM block: its label and decoded body. Tolerates surrounding whitespace and CRLF line
/// ends, which hand-edited key files have.
fn decode_pem(input: &[u8]) -> Result<(String, Vec<u8>), String> {
    let text = std::str::from_utf8(input).map_err(|_| "file is not UTF-8 text".to_string())?;
    let normalized: String = text.replace("\r\n", "\n");
    let trimmed = normalized.trim();
    if !trimmed.starts_with("-----BEGIN ") {
        return Err("no `-----BEGIN …-----` line".into());
    }
    let (label, body) =
        pem_rfc7468::decode_vec(trimmed.as_bytes()).map_err(|e| format!("PEM: {e}"))?;
    Ok((label.to_string(), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_pem_round_trip_and_wrong_password() {
        let key = SigningKey::generate();
        let pem = key.to_encrypted_pem(b"pw").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let back = SigningKey::from_encrypted_pem(pem.as_bytes(), b"pw", "k").unwrap();
        assert_eq!(back.verifying_key(), key.verifying_key());
        let err = SigningKey::from_encrypted_pem(pem.as_bytes(), b"nope", "k").unwrap_err();
        assert!(matches!(err, KeyError::WrongPassword { .. }), "{err}");
        // Old label is read too.
        let old = pem.replace("SIGSTORE", "COSIGN");
        SigningKey::from_encrypted_pem(old.as_bytes(), b"pw", "k").unwrap();
    }

    #[test]
    fn body_has_cosign_fields() {
        let pem = SigningKey::generate().to_encrypted_pem(b"").unwrap();
        let (_, body) = decode_pem(pem.as_bytes()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["kdf"]["name"], "scrypt");
        assert_eq!(v["kdf"]["params"]["N"], 32768);
        assert_eq!(v["kdf"]["params"]["r"], 8);
        assert_eq!(v["kdf"]["params"]["p"], 1);
        assert_eq!(
            B64.decode(v["kdf"]["salt"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert_eq!(v["cipher"]["name"], "nacl/secretbox");
        assert_eq!(
            B64.decode(v["cipher"]["nonce"].as_str().unwrap())
                .unwrap()
                .len(),
            24
        );
        // PKCS#8 of P-256 (~138 bytes) plus the 16-byte Poly1305 tag.
        let ct = B64.decode(v["ciphertext"].as_str().unwrap()).unwrap();
        assert!(ct.len() > 100, "{}", ct.len());
    }

    #[test]
    fn hostile_key_files_are_errors() {
        let cases: Vec<(&[u8], &str)> = vec![
            (b"garbage", "BEGIN"),
            (b"\xff\xfe", "UTF-8"),
            (
                b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nnot base64!!\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
                "PEM",
            ),
            (
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "not `ENCRYPTED",
            ),
        ];
        for (input, want) in cases {
            let err = SigningKey::from_encrypted_pem(input, b"", "f.key").unwrap_err();
            assert!(err.to_string().contains(want), "{err}");
            assert!(err.to_string().contains("f.key"), "{err}");
        }
        let huge_n = r#"{"kdf":{"name":"scrypt","params":{"N":1073741824,"r":8,"p":1},"salt":"AA=="},"cipher":{"name":"nacl/secretbox","nonce":"AA=="},"ciphertext":"AA=="}"#;
        let pem = pem_rfc7468::encode_string(
            SIGSTORE_PRIVATE_KEY_LABEL,
            pem_rfc7468::LineEnding::LF,
            huge_n.as_bytes(),
        )
        .unwrap();
        let err = SigningKey::from_encrypted_pem(pem.as_bytes(), b"", "f.key").unwrap_err();
        assert!(err.to_string().contains("N=1073741824"), "{err}");
    }

    #[test]
    fn sign_verify_and_public_pem() {
        let key = SigningKey::generate();
        let pub_pem = key.verifying_key().to_pem().unwrap();
        assert!(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let pk = VerifyingKey::from_pem(pub_pem.as_bytes(), "cosign.pub").unwrap();
        let sig = key.sign(b"hello");
        pk.verify(b"hello", &sig).unwrap();
        assert!(matches!(
            pk.verify(b"hellO", &sig),
            Err(KeyError::BadSignature)
        ));
        let other = SigningKey::generate().verifying_key();
        assert!(other.verify(b"hello", &sig).is_err());
        assert!(matches!(
            pk.verify(b"hello", b"\x30\x02"),
            Err(KeyError::MalformedSignature(_))
        ));
    }
}
