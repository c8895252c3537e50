//! Content digests: the `algorithm:hex` strings that name every blob.
//!
//! [`Digest`] parses and validates `sha256:<64 hex>` (and `sha512:<128 hex>`, which registries
//! may send), prints in the canonical lowercase form and (de)serializes as a plain string.
//! [`Sha256Writer`] is an `io::Write` adapter that hashes and counts every byte passing through,
//! so a digest and a size come out of the same pass that writes the data. Hashing uses the `sha2`
//! crate; the hex encoding is a few lines written here.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// Why a digest string was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    /// No `:` between algorithm and hex.
    #[error("invalid digest {0:?}: expected ALGORITHM:HEX")]
    Syntax(String),
    /// An algorithm other than sha256/sha512.
    #[error("invalid digest {0:?}: unsupported algorithm")]
    Algorithm(String),
    /// Wrong length or a character that is not lowercase hex.
    #[error("invalid digest {0:?}: the hex part must be {1} lowercase hex characters")]
    Hex(String, usize),
}

/// A digest algorithm accepted in a [`Digest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, the algorithm hoist computes and stores under.
    Sha256,
    /// SHA-512, accepted when parsing descriptors from elsewhere.
    Sha512,
}

impl Algorithm {
    /// The name used in digest strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hex-encoded value.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A validated content digest such as `sha256:e3b0c442…`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// Build a sha256 digest from the raw 32-byte hash value.
    pub fn from_sha256_bytes(bytes: [u8; 32]) -> Digest {
        Digest {
            algorithm: Algorithm::Sha256,
            hex: to_hex(&bytes),
        }
    }

    /// Build from an algorithm and a hex string (validated).
    pub fn new(algorithm: Algorithm, hex: &str) -> Result<Digest, DigestError> {
        format!("{}:{}", algorithm.as_str(), hex).parse()
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The lowercase hex value (no algorithm prefix); safe to use as a file name.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Convert to the `oci-spec` digest type.
    pub fn to_oci(&self) -> Result<oci_spec::image::Digest, DigestError> {
        oci_spec::image::Digest::from_str(&self.to_string())
            .map_err(|_| DigestError::Syntax(self.to_string()))
    }

    /// Convert from the `oci-spec` digest type (validated again, e.g. case and length).
    pub fn from_oci(d: &oci_spec::image::Digest) -> Result<Digest, DigestError> {
        d.to_string().parse()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Digest, DigestError> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::Syntax(s.to_string()))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(DigestError::Algorithm(s.to_string())),
        };
        let want = algorithm.hex_len();
        if hex.len() != want || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(DigestError::Hex(s.to_string(), want));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Lowercase hex encoding.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// The sha256 digest of a byte slice.
pub fn digest_bytes(bytes: &[u8]) -> Digest {
    Digest::from_sha256_bytes(Sha256::digest(bytes).into())
}

/// An `io::Write` that hashes (sha256) and counts every byte before passing it on.
pub struct Sha256Writer<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Sha256Writer<W> {
    /// Wrap `inner`.
    pub fn new(inner: W) -> Self {
        Sha256Writer {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Bytes written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The wrapped writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The wrapped writer, mutably (bytes written directly to it are not hashed).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Finish: the inner writer, the digest and the byte count.
    pub fn finish(self) -> (W, Digest, u64) {
        let d = Digest::from_sha256_bytes(self.hasher.finalize().into());
        (self.inner, d, self.count)
    }
}

impl Sha256Writer<io::Sink> {
    /// A writer that only hashes.
    pub fn sink() -> Self {
        Sha256Writer::new(io::sink())
    }
}

impl<W: Write> Write for Sha256Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let done = buf.get(..n).unwrap_or(buf);
        self.hasher.update(done);
        self.count += done.len() as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An `io::Read` adapter that hashes and counts every byte read through it.
pub struct Sha256Reader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: io::Read> Sha256Reader<R> {
    /// Wrap `inner`.
    pub fn new(inner: R) -> Self {
        Sha256Reader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Finish: the inner reader, the digest and the byte count of what was read.
    pub fn finish(self) -> (R, Digest, u64) {
        let d = Digest::from_sha256_bytes(self.hasher.finalize().into());
        (self.inner, d, self.count)
    }
}

impl<R: io::Read> io::Read for Sha256Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let done = buf.get(..n).unwrap_or(buf);
        self.hasher.update(done);
        self.count += done.len() as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parse_and_display() {
        let d: Digest = EMPTY.parse().unwrap();
        assert_eq!(d.to_string(), EMPTY);
        assert_eq!(d.algorithm(), Algorithm::Sha256);
        assert_eq!(digest_bytes(b""), d);
        assert_eq!(Digest::from_oci(&d.to_oci().unwrap()).unwrap(), d);
    }

    #[test]
    fn rejects_bad_digests() {
        for bad in [
            "",
            "sha256",
            "md5:abcd",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
            "sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad}");
        }
    }

    #[test]
    fn writer_and_reader_hash_the_same() {
        let mut w = Sha256Writer::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (buf, d, n) = w.finish();
        assert_eq!(n, 11);
        assert_eq!(d, digest_bytes(b"hello world"));
        let mut r = Sha256Reader::new(&buf[..]);
        io::copy(&mut r, &mut io::sink()).unwrap();
        let (_, d2, n2) = r.finish();
        assert_eq!((d2, n2), (d, 11));
    }

    #[test]
    fn serde_round_trip() {
        let d: Digest = EMPTY.parse().unwrap();
        let s = serde_json::to_string(&d).unwrap();
        assert_eq!(s, format!("\"{EMPTY}\""));
        let back: Digest = serde_json::from_str(&s).unwrap();
        assert_eq!(back, d);
        assert!(serde_json::from_str::<Digest>("\"sha256:xyz\"").is_err());
    }
}
