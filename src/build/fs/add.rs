//! ADD's extra sources: local archives recognised by content (tar, optionally compressed with
//! gzip, bzip2, xz or zstd — a readable first tar header decides, like BuildKit's
//! `isArchivePath`) and remote URLs fetched to a temporary file in the store (streamed, hashed
//! while written, checked against `--checksum`, bounded in size and by the idle window, with no
//! credentials on any hop; see [`FetchLimits`]). Git sources are refused with a clear error.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::Digest as _;

use super::{io_err, FsError};
use crate::registry::client::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, MIN_PROGRESS_BYTES};
use crate::registry::duration::env_duration;

/// `http://` or `https://` (and not a git repository).
pub(crate) fn is_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && !is_git_source(s)
}

/// Git sources as BuildKit recognises them (`git@…`, `git://`, `ssh://`, `….git` URLs).
pub(crate) fn is_git_source(s: &str) -> bool {
    if s.starts_with("git@") || s.starts_with("git://") || s.starts_with("ssh://") {
        return true;
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        let path = s.split(['#', '?']).next().unwrap_or(s);
        return path.trim_end_matches('/').ends_with(".git");
    }
    false
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const BZIP2: &[u8] = b"BZh";
const XZ: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// The file's content, decompressed according to its magic bytes.
pub(crate) fn open_decompressed(path: &Path) -> Result<Box<dyn Read + Send>, FsError> {
    let f = File::open(path).map_err(io_err(path))?;
    let mut br = BufReader::with_capacity(1 << 20, f);
    let head = br.fill_buf().map_err(io_err(path))?.to_vec();
    let r: Box<dyn Read + Send> = if head.starts_with(GZIP) {
        Box::new(flate2::bufread::MultiGzDecoder::new(br))
    } else if head.starts_with(BZIP2) {
        Box::new(bzip2::bufread::MultiBzDecoder::new(br))
    } else if head.starts_with(XZ) {
        Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(br))
    } else if head.starts_with(ZSTD) {
        Box::new(zstd::stream::read::Decoder::with_buffer(br).map_err(io_err(path))?)
    } else {
        Box::new(br)
    };
    Ok(r)
}

/// True when the (decompressed) file starts with a valid tar header.
pub(crate) fn is_archive(path: &Path) -> Result<bool, FsError> {
    let mut r = match open_decompressed(path) {
        Ok(r) => r,
        Err(_) => return Ok(false),
    };
    let mut block = [0u8; 512];
    let mut n = 0;
    while n < 512 {
        match r.read(&mut block[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return Ok(false),
        }
    }
    Ok(n == 512 && valid_tar_header(&block))
}

/// A tar header whose checksum field matches its bytes (Go's `tar.Reader` accepts the
/// unsigned and the signed sum).
fn valid_tar_header(b: &[u8; 512]) -> bool {
    if b.iter().all(|&x| x == 0) {
        return false;
    }
    let field = &b[148..156];
    let text: String = field
        .iter()
        .map(|&c| c as char)
        .filter(|c| c.is_digit(8))
        .collect();
    let Ok(want) = i64::from_str_radix(&text, 8) else {
        return false;
    };
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &c) in b.iter().enumerate() {
        let c = if (148..156).contains(&i) { b' ' } else { c };
        unsigned += c as i64;
        signed += c as i8 as i64;
    }
    want == unsigned || want == signed
}

/// The file name ADD gives a URL: the last path segment (percent-decoded), else
/// `__unnamed__` (BuildKit's rule).
pub(crate) fn url_file_name(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.split(['#', '?']).next().unwrap_or(rest);
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
    let base = path.split('/').rev().find(|s| !s.is_empty()).unwrap_or("");
    let decoded = percent_decode(base);
    if decoded.is_empty() || decoded == "." || decoded == ".." || decoded.contains('/') {
        "__unnamed__".to_string()
    } else {
        decoded
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(b),
            Hasher::Sha384(h) => h.update(b),
            Hasher::Sha512(h) => h.update(b),
        }
    }
    fn finish(self) -> String {
        let bytes: Vec<u8> = match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        };
        crate::oci::digest::to_hex(&bytes)
    }
}

/// Parse `--checksum` (`sha256:…`, `sha384:…`, `sha512:…`).
fn checksum_hasher(url: &str, c: &str) -> Result<(Hasher, String, String), FsError> {
    let bad = |reason: &str| FsError::Fetch {
        url: url.to_string(),
        reason: format!("invalid --checksum {c:?}: {reason}"),
    };
    let (alg, hex) = c
        .split_once(':')
        .ok_or_else(|| bad("expected ALGORITHM:HEX"))?;
    let (h, len) = match alg {
        "sha256" => (Hasher::Sha256(sha2::Sha256::new()), 64),
        "sha384" => (Hasher::Sha384(sha2::Sha384::new()), 96),
        "sha512" => (Hasher::Sha512(sha2::Sha512::new()), 128),
        _ => return Err(bad("supported algorithms are sha256, sha384 and sha512")),
    };
    if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("wrong length or not hex"));
    }
    Ok((h, alg.to_string(), hex.to_ascii_lowercase()))
}

/// Default cap on one ADD download ([`FetchLimits::max_bytes`]): far above any release
/// tarball, far below a disk filled by an endless body.
pub const DEFAULT_ADD_MAX_BYTES: u64 = 16 << 30;

/// Most redirects followed for one ADD download.
const MAX_REDIRECTS: usize = 10;

/// Bounds of one ADD download, from the environment (`hoist build` reads its network settings
/// there): `HOIST_ADD_MAX_SIZE` (bytes, or with a `K`/`M`/`G`/`T` binary suffix; default
/// [`DEFAULT_ADD_MAX_BYTES`]), `HOIST_IDLE_TIMEOUT` (the idle window, default 30s: less than
/// [`MIN_PROGRESS_BYTES`] in a window, or no answer within one, fails the download) and
/// `HOIST_CONNECT_TIMEOUT` (default 30s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FetchLimits {
    /// Largest body accepted.
    pub max_bytes: u64,
    /// The idle window.
    pub idle: Duration,
    /// TCP connect timeout.
    pub connect: Duration,
}

impl FetchLimits {
    /// The limits from the environment; a malformed `HOIST_ADD_MAX_SIZE` is an error.
    pub(crate) fn from_env(url: &str) -> Result<FetchLimits, FsError> {
        let max_bytes = match std::env::var("HOIST_ADD_MAX_SIZE") {
            Ok(v) if !v.trim().is_empty() => parse_size(&v).ok_or_else(|| FsError::Fetch {
                url: url.to_string(),
                reason: format!(
                    "HOIST_ADD_MAX_SIZE={v:?} is not a size (bytes, or e.g. 512M, 16G)"
                ),
            })?,
            _ => DEFAULT_ADD_MAX_BYTES,
        };
        Ok(FetchLimits {
            max_bytes,
            idle: env_duration("HOIST_IDLE_TIMEOUT").unwrap_or(DEFAULT_IDLE_TIMEOUT),
            connect: env_duration("HOIST_CONNECT_TIMEOUT").unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        })
    }
}

/// `1048576`, `512K`, `100M`, `16G`, `1T` (binary units; `KiB`, `MB`… spellings too) → bytes.
fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift).filter(|&b| b > 0)
}

/// `n` bytes for messages: `16 GiB`, `1 MiB`, `1000 bytes`.
fn fmt_size(n: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// A fresh directory for ADD downloads: under the store's `tmp/` (never in memory, and not on
/// a small `$TMPDIR`), or the system temp directory when there is no store yet (a build has
/// opened its store by then; no store is created here).
pub(crate) fn fetch_dir() -> Result<tempfile::TempDir, FsError> {
    let existing = crate::oci::store::Store::default_root()
        .ok()
        .filter(|r| r.join("tmp").is_dir());
    if let Some(store) = existing.and_then(|r| crate::oci::store::Store::open(r).ok()) {
        if let Ok(d) = store.temp_dir("add-url-") {
            return Ok(d);
        }
    }
    tempfile::tempdir().map_err(io_err(std::env::temp_dir()))
}

/// The redirect rule of ADD downloads: at most [`MAX_REDIRECTS`] hops, never from HTTPS down
/// to plain HTTP. ADD sends no credentials at all (no `Authorization`, no cookies), so no hop,
/// on the first host or another, ever gets registry credentials.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.url().scheme() == "http"
            && attempt
                .previous()
                .last()
                .is_some_and(|u| u.scheme() == "https");
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if downgrade {
            let to = attempt.url().to_string();
            attempt.error(format!(
                "refusing a redirect from HTTPS to plain HTTP ({to})"
            ))
        } else {
            attempt.follow()
        }
    })
}

/// What went wrong with a request, in the words of the registry client's classification.
fn describe(e: &reqwest::Error) -> String {
    if e.is_redirect() {
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = src {
            if s.source().is_none() {
                return s.to_string();
            }
            src = s.source();
        }
    }
    crate::registry::neterr::classify(e).to_string()
}

/// Download `url` into `dir` (created), verifying `checksum`; returns the file and its name.
/// The body streams to the file under [`FetchLimits`]. Runs its own small runtime on a
/// separate thread, so it works from sync and async callers.
pub(crate) fn fetch_url(
    url: &str,
    checksum: Option<&str>,
    dir: &Path,
) -> Result<(PathBuf, String), FsError> {
    let limits = FetchLimits::from_env(url)?;
    fetch_url_with(url, checksum, dir, limits)
}

/// [`fetch_url`] with explicit limits.
pub(crate) fn fetch_url_with(
    url: &str,
    checksum: Option<&str>,
    dir: &Path,
    limits: FetchLimits,
) -> Result<(PathBuf, String), FsError> {
    let name = url_file_name(url);
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    // Held while downloading, so the store's clean-up of stale temp entries leaves it alone.
    let lock = File::open(dir).map_err(io_err(dir))?;
    let _ = rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive);
    let path = dir.join("content");
    let expected = checksum.map(|c| checksum_hasher(url, c)).transpose()?;
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| FsError::Fetch {
                    url: url.to_string(),
                    reason: format!("cannot start a runtime: {e}"),
                })?;
            rt.block_on(download(url, &path, expected, limits))
        })
        .join()
        .unwrap_or_else(|_| {
            Err(FsError::Fetch {
                url: url.to_string(),
                reason: "the download thread panicked".to_string(),
            })
        })
    });
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
    };
    if let Some((actual, alg, want)) = result {
        if actual != want {
            let _ = std::fs::remove_file(&path);
            return Err(FsError::ChecksumMismatch {
                url: url.to_string(),
                expected: format!("{alg}:{want}"),
                actual: format!("{alg}:{actual}"),
            });
        }
    }
    Ok((path, name))
}

/// Stream `url` into `path` under `limits`, hashing when a checksum is expected.
async fn download(
    url: &str,
    path: &Path,
    expected: Option<(Hasher, String, String)>,
    limits: FetchLimits,
) -> Result<Option<(String, String, String)>, FsError> {
    let fetch_err = |reason: String| FsError::Fetch {
        url: url.to_string(),
        reason,
    };
    let idle_secs = limits.idle.as_secs_f64();
    let client = reqwest::Client::builder()
        .user_agent(concat!("hoist/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(limits.connect)
        .redirect(redirect_policy())
        .build()
        .map_err(|e| fetch_err(e.to_string()))?;
    let mut resp = match tokio::time::timeout(limits.idle, client.get(url).send()).await {
        Ok(r) => r.map_err(|e| fetch_err(describe(&e)))?,
        Err(_) => {
            return Err(fetch_err(format!(
                "timed out: no answer within {idle_secs}s (HOIST_IDLE_TIMEOUT)"
            )))
        }
    };
    if !resp.status().is_success() {
        return Err(fetch_err(format!("the server answered {}", resp.status())));
    }
    let too_large = || {
        fetch_err(format!(
            "the file is larger than the ADD download limit of {}; raise HOIST_ADD_MAX_SIZE              (e.g. 64G) if it really is that large",
            fmt_size(limits.max_bytes)
        ))
    };
    if resp.content_length().is_some_and(|n| n > limits.max_bytes) {
        return Err(too_large());
    }
    let last_modified = resp
        .headers()
        .get(reqwest::header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    let mut f = File::create(path).map_err(io_err(path))?;
    let mut h = expected;
    let mut total: u64 = 0;
    let mut window_start = Instant::now();
    let mut window_bytes: u64 = 0;
    loop {
        let until = window_start + limits.idle;
        let chunk = match tokio::time::timeout_at(until.into(), resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Err(fetch_err(describe(&e))),
            Err(_) => {
                return Err(fetch_err(format!(
                    "stalled: less than {MIN_PROGRESS_BYTES} bytes arrived in {idle_secs}s                      ({total} bytes in all); allow slower links more time with                      HOIST_IDLE_TIMEOUT"
                )))
            }
        };
        total += chunk.len() as u64;
        if total > limits.max_bytes {
            return Err(too_large());
        }
        window_bytes += chunk.len() as u64;
        if window_bytes >= MIN_PROGRESS_BYTES {
            window_start = Instant::now();
            window_bytes = 0;
        }
        f.write_all(&chunk).map_err(io_err(path))?;
        if let Some((hh, _, _)) = h.as_mut() {
            hh.update(&chunk);
        }
    }
    f.flush().map_err(io_err(path))?;
    drop(f);
    // BuildKit gives the file the server's Last-Modified time.
    if let Some(secs) = last_modified {
        let t = rustix::fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        };
        let _ = rustix::fs::utimensat(
            rustix::fs::CWD,
            path,
            &rustix::fs::Timestamps {
                last_access: t,
                last_modification: t,
            },
            rustix::fs::AtFlags::empty(),
        );
    }
    Ok(h.map(|(hh, a, x)| (hh.finish(), a, x)))
}

/// An HTTP date in the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`) → Unix seconds.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, mon, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: i64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == mon)? as i64
        + 1;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("512K"), Some(512 << 10));
        assert_eq!(parse_size("100M"), Some(100 << 20));
        assert_eq!(parse_size("16G"), Some(16 << 30));
        assert_eq!(parse_size("2 GiB"), Some(2 << 30));
        assert_eq!(parse_size("1t"), Some(1 << 40));
        for bad in ["", "0", "-1", "lots", "5X", "1.5G", "99999999999T"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert_eq!(fmt_size(DEFAULT_ADD_MAX_BYTES), "16 GiB");
        assert_eq!(fmt_size(1 << 20), "1 MiB");
        assert_eq!(fmt_size(1000), "1000 bytes");
    }

    #[test]
    fn names_and_kinds() {
        assert_eq!(
            url_file_name("https://x.org/a/b/file.tgz?x=1#f"),
            "file.tgz"
        );
        assert_eq!(url_file_name("https://x.org/a/dir/"), "dir");
        assert_eq!(url_file_name("https://x.org"), "__unnamed__");
        assert_eq!(url_file_name("http://x.org/my%20file"), "my file");
        assert!(is_git_source("https://github.com/moby/buildkit.git#v0.12"));
        assert!(is_git_source("git@github.com:moby/buildkit.git"));
        assert!(!is_git_source("https://example.com/a.tar.gz"));
        assert!(is_url("https://example.com/a.tar.gz"));
        assert!(!is_url("https://github.com/moby/buildkit.git"));
    }

    #[test]
    fn archive_detection_by_content() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(1);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "a", &b"x"[..])
            .unwrap_or_else(|e| panic!("{e}"));
        let raw = b.into_inner().unwrap_or_else(|e| panic!("{e}"));
        let plain = t.path().join("no-extension");
        std::fs::write(&plain, &raw).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_archive(&plain).unwrap_or(false));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap_or_else(|e| panic!("{e}"));
        let gzp = t.path().join("x.txt");
        std::fs::write(&gzp, gz.finish().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_archive(&gzp).unwrap_or(false));
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&raw).unwrap_or_else(|e| panic!("{e}"));
        let bzp = t.path().join("b");
        std::fs::write(&bzp, bz.finish().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_archive(&bzp).unwrap_or(false));
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&raw).unwrap_or_else(|e| panic!("{e}"));
        let xzp = t.path().join("c");
        std::fs::write(&xzp, xz.finish().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_archive(&xzp).unwrap_or(false));
        let zsp = t.path().join("d");
        std::fs::write(&zsp, zstd::encode_all(&raw[..], 1).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(is_archive(&zsp).unwrap_or(false));
        let txt = t.path().join("e.tar");
        std::fs::write(&txt, vec![b'a'; 2000]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!is_archive(&txt).unwrap_or(true), "a name is not enough");
        let gz_text = t.path().join("f.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&[b'z'; 1000])
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&gz_text, gz.finish().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !is_archive(&gz_text).unwrap_or(true),
            "compressed non-tar is copied as is"
        );
    }
}
