//! Reading one layer blob for the scanner: sniff the compression, decompress as a stream, walk
//! the tar entries and scan every regular file's content in bounded windows ([`scan_file`]).
//! Whiteouts are recorded (so a finding can say a later layer deletes its file), never applied:
//! a deleted file still ships in the layer that added it.

use std::io::{self, BufRead, BufReader, Read};

use super::files;
use super::Limits;
use crate::oci::media::{sniff_compression, LayerCompression};
use crate::secrets::bulk::{self, BACK, FORWARD};
use crate::secrets::redact;

/// Bytes of a file scanned at once.
pub const WINDOW: usize = 4 << 20;
/// Bytes carried from one window into the next, so a secret across the boundary is seen whole.
pub const OVERLAP: usize = BACK + FORWARD + 256;
/// Findings kept per file; more are counted as dropped.
const MAX_PER_FILE: usize = 100;

/// Zeros to compare windows against (`memcmp` is fast even in unoptimised builds).
static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

fn all_zero(buf: &[u8]) -> bool {
    buf.chunks(ZEROS.len())
        .all(|c| ZEROS.get(..c.len()).is_some_and(|z| z == c))
}

/// A secret found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub path: String,
    pub rule: String,
    pub description: String,
    /// Redacted.
    pub matched: String,
}

/// What one layer holds.
#[derive(Debug, Default)]
pub struct LayerScan {
    pub hits: Vec<Hit>,
    /// Hits beyond the per-file cap.
    pub dropped: usize,
    pub files: u64,
    pub bytes: u64,
    /// Paths deleted by whiteouts (`dir/.wh.name` deletes `dir/name`).
    whiteouts: Vec<String>,
    /// Directories made opaque (`dir/.wh..wh..opq`): lower layers' contents are hidden.
    opaque: Vec<String>,
}

impl LayerScan {
    /// Whether this layer deletes `path` of a lower layer.
    pub fn deletes(&self, path: &str) -> bool {
        let under = |d: &String| {
            path.strip_prefix(d.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        };
        self.whiteouts.iter().any(|w| w == path || under(w)) || self.opaque.iter().any(under)
    }
}

/// A path as the layer gives it, normalised: no leading `./` or `/`.
fn normalise(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut s: &str = &s;
    loop {
        if let Some(rest) = s.strip_prefix("./") {
            s = rest;
        } else if let Some(rest) = s.strip_prefix('/') {
            s = rest;
        } else {
            break;
        }
    }
    s.trim_end_matches('/').to_string()
}

/// Streams a layer blob (gzip, zstd or plain tar, sniffed) and scans every regular file.
/// Errors are messages for [`super::ScanError::Layer`].
pub fn scan_layer<R: Read>(blob: R, limits: &Limits) -> Result<LayerScan, String> {
    let mut br = BufReader::with_capacity(256 << 10, blob);
    let head = br
        .fill_buf()
        .map_err(|e| format!("cannot read the blob: {e}"))?;
    match sniff_compression(head) {
        LayerCompression::None => scan_tar(br, limits),
        LayerCompression::Gzip => scan_tar(flate2::bufread::MultiGzDecoder::new(br), limits),
        LayerCompression::Zstd => {
            let z = zstd::stream::read::Decoder::with_buffer(br)
                .map_err(|e| format!("cannot start zstd decompression: {e}"))?;
            scan_tar(z, limits)
        }
    }
}

fn read_error(e: io::Error) -> String {
    format!("cannot read the layer's tar stream: {e} (is the blob truncated or corrupt?)")
}

fn scan_tar<R: Read>(r: R, limits: &Limits) -> Result<LayerScan, String> {
    let mut archive = tar::Archive::new(r);
    let mut out = LayerScan::default();
    let mut entries_seen = 0u64;
    let mut buf = Vec::with_capacity(64 << 10);
    for entry in archive.entries().map_err(read_error)? {
        let mut entry = entry.map_err(read_error)?;
        entries_seen += 1;
        if entries_seen > limits.max_entries_per_layer {
            return Err(format!(
                "more than {} entries: refusing to scan a layer this large (a tar bomb?)",
                limits.max_entries_per_layer
            ));
        }
        let path = normalise(&entry.path_bytes());
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (Some(d), b),
            None => (None, path.as_str()),
        };
        if base == ".wh..wh..opq" {
            out.opaque.push(dir.unwrap_or_default().to_string());
            continue;
        }
        if let Some(name) = base.strip_prefix(".wh.") {
            out.whiteouts.push(match dir {
                Some(d) => format!("{d}/{name}"),
                None => name.to_string(),
            });
            continue;
        }
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind == tar::EntryType::Continuous || kind.is_gnu_sparse()) {
            continue;
        }
        let size = entry.size();
        if out.bytes.saturating_add(size) > limits.max_layer_bytes {
            return Err(format!(
                "more than {} bytes of file content (at {path}, {size} bytes): refusing to scan a \
                 layer this large",
                limits.max_layer_bytes
            ));
        }
        let mut hits = Vec::new();
        let n = scan_file_with(&path, &mut entry, &mut hits, &mut buf).map_err(read_error)?;
        out.files += 1;
        out.bytes += n;
        if hits.len() > MAX_PER_FILE {
            out.dropped += hits.len() - MAX_PER_FILE;
            hits.truncate(MAX_PER_FILE);
        }
        out.hits.extend(hits);
    }
    Ok(out)
}

/// Scans one file's content (any size, in windows of [`WINDOW`] bytes) and, on its first
/// window, the file rules. Returns the bytes read.
pub fn scan_file<R: Read>(path: &str, r: R, hits: &mut Vec<Hit>) -> io::Result<u64> {
    let mut buf = Vec::new();
    scan_file_with(path, r, hits, &mut buf)
}

fn scan_file_with<R: Read>(
    path: &str,
    mut r: R,
    hits: &mut Vec<Hit>,
    buf: &mut Vec<u8>,
) -> io::Result<u64> {
    let scanner = bulk::built_in();
    buf.clear();
    let mut total = 0u64;
    let mut carried = 0usize;
    let mut first = true;
    loop {
        let want = (WINDOW - carried) as u64;
        let n = (&mut r).take(want).read_to_end(buf)?;
        total += n as u64;
        // A full window may continue: matches in its last OVERLAP bytes are left to the next
        // window, which starts with those bytes and sees the match whole.
        let more = n as u64 == want;
        let defer_from = if more {
            buf.len().saturating_sub(OVERLAP)
        } else {
            usize::MAX
        };
        if first {
            if let Some(f) = files::check(path, buf) {
                hits.push(Hit {
                    path: path.to_string(),
                    rule: f.rule.to_string(),
                    description: f.description.to_string(),
                    matched: f.matched,
                });
            }
        }
        // Runs of zeros (sparse files, padding) hold no secret.
        if !all_zero(buf) {
            for m in scanner.scan(buf) {
                if m.start >= defer_from {
                    continue;
                }
                let text = String::from_utf8_lossy(buf.get(m.start..m.end).unwrap_or_default());
                hits.push(Hit {
                    path: path.to_string(),
                    rule: m.rule_id,
                    description: m.description,
                    matched: redact(&text),
                });
            }
        }
        first = false;
        if !more {
            break;
        }
        let keep = OVERLAP.min(buf.len());
        buf.drain(..buf.len() - keep);
        carried = keep;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_across_a_window_boundary_is_found_once() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        for offset in [
            WINDOW - 10,
            WINDOW - OVERLAP + 5,
            WINDOW - OVERLAP - 30,
            WINDOW,
            2 * WINDOW - 20,
        ] {
            let mut data = vec![b'.'; offset];
            data.push(b' ');
            data.extend_from_slice(gh.as_bytes());
            data.push(b' ');
            data.extend(vec![b'.'; WINDOW / 2]);
            let mut hits = Vec::new();
            let n = scan_file("big.txt", &data[..], &mut hits).unwrap_or_default();
            assert_eq!(n, data.len() as u64);
            let ids: Vec<_> = hits.iter().map(|h| h.rule.as_str()).collect();
            assert_eq!(ids, vec!["github-token"], "offset {offset}");
            assert!(!hits[0].matched.contains(&gh));
        }
    }

    #[test]
    fn a_secret_at_the_end_of_a_file_of_exactly_one_window_is_found() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        let mut data = vec![b'.'; WINDOW - gh.len() - 1];
        data.push(b' ');
        data.extend_from_slice(gh.as_bytes());
        assert_eq!(data.len(), WINDOW);
        let mut hits = Vec::new();
        scan_file("f", &data[..], &mut hits).unwrap_or_default();
        assert_eq!(hits.len(), 1);
    }

    #[test]
    fn whiteouts_delete_paths_and_subtrees() {
        let l = LayerScan {
            whiteouts: vec!["root/.ssh".into(), "etc/key".into()],
            opaque: vec!["opt".into()],
            ..LayerScan::default()
        };
        assert!(l.deletes("root/.ssh/id_rsa"));
        assert!(l.deletes("etc/key"));
        assert!(l.deletes("opt/app/.env"));
        assert!(!l.deletes("etc/keys"));
        assert!(!l.deletes("opt"));
    }

    #[test]
    fn normalises_paths() {
        assert_eq!(normalise(b"./etc/x"), "etc/x");
        assert_eq!(normalise(b"/root/.ssh/"), "root/.ssh");
    }
}
