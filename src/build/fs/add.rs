//! ADD's extra sources: local archives recognised by content (tar, optionally compressed with
//! gzip, bzip2, xz or zstd — a readable first tar header decides, like BuildKit's
//! `isArchivePath`) and remote URLs fetched to a temporary file (streamed, hashed while
//! written, checked against `--checksum`). Git sources are refused with a clear error.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use super::{io_err, FsError};

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

/// Download `url` into `dir` (created), verifying `checksum`; returns the file and its name.
/// Runs its own small runtime on a separate thread, so it works from sync and async callers.
pub(crate) fn fetch_url(
    url: &str,
    checksum: Option<&str>,
    dir: &Path,
) -> Result<(PathBuf, String), FsError> {
    let name = url_file_name(url);
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let path = dir.join("content");
    let expected = checksum.map(|c| checksum_hasher(url, c)).transpose()?;
    let fetch_err = |reason: String| FsError::Fetch {
        url: url.to_string(),
        reason,
    };
    let result: Result<Option<(String, String, String)>, FsError> = std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| fetch_err(format!("cannot start a runtime: {e}")))?;
            rt.block_on(async {
                let client = reqwest::Client::builder()
                    .user_agent(concat!("hoist/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| fetch_err(e.to_string()))?;
                let mut resp = client
                    .get(url)
                    .send()
                    .await
                    .map_err(|e| fetch_err(e.to_string()))?;
                if !resp.status().is_success() {
                    return Err(fetch_err(format!("the server answered {}", resp.status())));
                }
                let last_modified = resp
                    .headers()
                    .get(reqwest::header::LAST_MODIFIED)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_http_date);
                let mut f = File::create(&path).map_err(io_err(&path))?;
                let mut h = expected;
                while let Some(chunk) = resp.chunk().await.map_err(|e| fetch_err(e.to_string()))? {
                    f.write_all(&chunk).map_err(io_err(&path))?;
                    if let Some((hh, _, _)) = h.as_mut() {
                        hh.update(&chunk);
                    }
                }
                f.flush().map_err(io_err(&path))?;
                drop(f);
                // BuildKit gives the file the server's Last-Modified time.
                if let Some(secs) = last_modified {
                    let t = rustix::fs::Timespec {
                        tv_sec: secs,
                        tv_nsec: 0,
                    };
                    let _ = rustix::fs::utimensat(
                        rustix::fs::CWD,
                        &path,
                        &rustix::fs::Timestamps {
                            last_access: t,
                            last_modification: t,
                        },
                        rustix::fs::AtFlags::empty(),
                    );
                }
                Ok(h.map(|(hh, a, x)| (hh.finish(), a, x)))
            })
        })
        .join()
        .unwrap_or_else(|_| Err(fetch_err("the download thread panicked".to_string())))
    });
    if let Some((actual, alg, want)) = result? {
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
