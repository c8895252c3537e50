//! Blob transfers of [`HttpRegistry`]: upload sessions (monolithic and chunked, resumed from
//! the offset the registry reports), streamed file bodies, and downloads that resume with
//! `Range` from the bytes already received.

use super::*;

impl HttpRegistry {
    pub(super) async fn upload_start(
        &self,
        repo: &Reference,
        scope: &str,
        query: &str,
    ) -> Result<Response> {
        let url = format!("{}{query}", self.repo_url(repo, "blobs/uploads/"));
        self.send(repo, scope, Method::POST, &url, &|b| {
            b.header(CONTENT_LENGTH, "0")
        })
        .await
    }

    pub(super) async fn push_monolithic(
        &self,
        repo: &Reference,
        digest: &Digest,
        size: u64,
        body: &(dyn Fn() -> reqwest::Body + Send + Sync),
    ) -> Result<()> {
        let scope = push_scope(repo.repository());
        let base = self.repo_url(repo, "blobs/uploads/");
        let resp = self.upload_start(repo, &scope, "").await?;
        let resp = expect(resp, "POST", &base, &[StatusCode::ACCEPTED]).await?;
        let location = location(&resp, &base)?;
        let put_url = with_digest_query(&location, digest)?;
        let len = size.to_string();
        let resp = self
            .send(repo, &scope, Method::PUT, &put_url, &|b| {
                b.header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_LENGTH, len.as_str())
                    .body(body())
            })
            .await?;
        expect(resp, "PUT", &put_url, &[StatusCode::CREATED])
            .await
            .map(drop)
    }

    pub(super) async fn push_chunked(
        &self,
        repo: &Reference,
        digest: &Digest,
        size: u64,
        source: &BlobSource,
        chunk: usize,
    ) -> Result<()> {
        let scope = push_scope(repo.repository());
        let base = self.repo_url(repo, "blobs/uploads/");
        let chunk = chunk.max(1);
        let resp = self
            .retrying(|| self.upload_start(repo, &scope, ""))
            .await?;
        let resp = expect(resp, "POST", &base, &[StatusCode::ACCEPTED]).await?;
        let mut loc = location(&resp, &base)?;
        let reader = open_source(source)?;
        if reader.len() != size {
            return Err(RegistryError::SizeMismatch {
                digest: digest.clone(),
                expected: size,
                actual: reader.len(),
                origin: reader.describe(),
            });
        }
        let mut offset: u64 = 0;
        let mut failures = 0u32;
        let policy = self.config.retry;
        while offset < size {
            let want = (size - offset).min(chunk as u64);
            let end = offset + want - 1;
            let range = format!("{offset}-{end}");
            let len = want.to_string();
            let sent = self
                .send(repo, &scope, Method::PATCH, &loc, &|b| {
                    b.header(CONTENT_TYPE, "application/octet-stream")
                        .header("Content-Range", range.as_str())
                        .header(CONTENT_LENGTH, len.as_str())
                        .body(reader.body(offset, want))
                })
                .await;
            let outcome = match sent {
                Ok(resp) => expect(resp, "PATCH", &loc, &[StatusCode::ACCEPTED]).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(resp) => {
                    loc = location(&resp, &loc)?;
                    offset = end + 1;
                    failures = 0;
                }
                Err(e) if is_retryable(&e) && failures + 1 < policy.max_attempts => {
                    failures += 1;
                    self.backoff(failures, &e).await?;
                    // Ask the registry how much of the session it kept and go on from there.
                    // Registries report `Range: 0-0` both for zero and for one byte held,
                    // so only the two offsets that can be true are accepted: the chunk was
                    // lost (`offset`) or stored with its answer lost (`end + 1`).
                    let status = self.upload_status(repo, &scope, &loc).await;
                    let resumable = match status {
                        Ok((next_loc, have)) if have == end + 1 => Some((next_loc, have)),
                        Ok((next_loc, have)) if have == offset || (have == 1 && offset == 0) => {
                            Some((next_loc, offset))
                        }
                        _ => None,
                    };
                    match resumable {
                        Some((next_loc, have)) => {
                            loc = next_loc;
                            offset = have;
                        }
                        None => {
                            let resp = self
                                .retrying(|| self.upload_start(repo, &scope, ""))
                                .await?;
                            let resp = expect(resp, "POST", &base, &[StatusCode::ACCEPTED]).await?;
                            loc = location(&resp, &base)?;
                            offset = 0;
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let put_url = with_digest_query(&loc, digest)?;
        let resp = self
            .retrying(|| {
                self.send(repo, &scope, Method::PUT, &put_url, &|b| {
                    b.header(CONTENT_LENGTH, "0")
                })
            })
            .await?;
        expect(resp, "PUT", &put_url, &[StatusCode::CREATED])
            .await
            .map(drop)
    }

    /// `GET` on an upload session: (location, bytes the registry holds).
    pub(super) async fn upload_status(
        &self,
        repo: &Reference,
        scope: &str,
        loc: &str,
    ) -> Result<(String, u64)> {
        let resp = self.send(repo, scope, Method::GET, loc, &|b| b).await?;
        let resp = expect(resp, "GET", loc, &[StatusCode::NO_CONTENT]).await?;
        let next = location(&resp, loc)?;
        let have = match header_str(resp.headers(), "range") {
            Some(r) => {
                let end = r
                    .trim_start_matches("bytes=")
                    .rsplit('-')
                    .next()
                    .unwrap_or("");
                end.parse::<u64>()
                    .map(|e| e + 1)
                    .map_err(|_| RegistryError::Protocol {
                        url: loc.to_string(),
                        detail: format!("bad Range header {r:?}"),
                    })?
            }
            None => 0,
        };
        Ok((next, have))
    }

    pub(super) async fn download_once(
        &self,
        repo: &Reference,
        url: &str,
        digest: &Digest,
        expected_size: Option<u64>,
        w: &mut Sha256Writer<std::fs::File>,
        path: &Path,
    ) -> Result<()> {
        let scope = pull_scope(repo.repository());
        let have = w.count();
        let range = format!("bytes={have}-");
        let resp = self
            .send(repo, &scope, Method::GET, url, &|b| {
                if have > 0 {
                    b.header(reqwest::header::RANGE, range.as_str())
                } else {
                    b
                }
            })
            .await?;
        let mut resp = expect(
            resp,
            "GET",
            url,
            &[StatusCode::OK, StatusCode::PARTIAL_CONTENT],
        )
        .await?;
        if resp.status() == StatusCode::OK && have > 0 {
            // The registry ignored Range: start over.
            let (file, _, _) = std::mem::replace(w, Sha256Writer::new(reset_file(path)?)).finish();
            drop(file);
        }
        let io = |source: std::io::Error| RegistryError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut watch = StallWatch::new();
        loop {
            let chunk = self.next_chunk(&mut resp, &mut watch, "GET", url).await?;
            let Some(bytes) = chunk else {
                break;
            };
            if let Some(size) = expected_size {
                if w.count() + bytes.len() as u64 > size {
                    return Err(RegistryError::SizeMismatch {
                        digest: digest.clone(),
                        expected: size,
                        actual: w.count() + bytes.len() as u64,
                        origin: url.to_string(),
                    });
                }
            }
            w.write_all(&bytes).map_err(io)?;
        }
        Ok(())
    }
}

/// A request body streaming bytes `start..start + len` of `file` in small pieces with positional
/// reads, so memory stays flat whatever the size and any number of bodies (one per attempt or
/// chunk) can share the open file.
pub(super) fn file_body(
    file: &std::sync::Arc<std::fs::File>,
    start: u64,
    len: u64,
) -> reqwest::Body {
    use std::os::unix::fs::FileExt;
    const PIECE: u64 = 256 * 1024;
    let file = std::sync::Arc::clone(file);
    let end = start.saturating_add(len);
    let pieces = futures_util::stream::try_unfold(start, move |offset| {
        let file = std::sync::Arc::clone(&file);
        async move {
            if offset >= end {
                return Ok(None);
            }
            let n = usize::try_from((end - offset).min(PIECE)).unwrap_or(0);
            let mut buf = vec![0u8; n];
            file.read_exact_at(&mut buf, offset)?;
            Ok::<_, std::io::Error>(Some((buf, offset + n as u64)))
        }
    });
    reqwest::Body::wrap_stream(pieces)
}

pub(super) fn reset_file(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|source| RegistryError::Io {
            path: path.to_path_buf(),
            source,
        })
}

pub(super) fn retry_after(e: &RegistryError) -> Option<Duration> {
    match e {
        RegistryError::Status { retry_after, .. } => *retry_after,
        _ => None,
    }
}

pub(super) fn truncate(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

pub(super) fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Turn a non-success answer into [`RegistryError::Status`], reading the distribution error body.
pub(super) async fn status_error(resp: Response, method: &str, url: &str) -> RegistryError {
    let status = resp.status().as_u16();
    let retry_after =
        crate::registry::retry::parse_retry_after(header_str(resp.headers(), "retry-after"));
    let body = read_error_body(resp).await;
    let (code, message) = match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(v) => {
            let first = v.get("errors").and_then(|e| e.get(0));
            let code = first
                .and_then(|e| e.get("code"))
                .and_then(|c| c.as_str())
                .map(str::to_string);
            let msg = first
                .and_then(|e| e.get("message"))
                .and_then(|c| c.as_str())
                .unwrap_or("")
                .to_string();
            (code, msg)
        }
        Err(_) => (None, truncate(body.trim(), 200)),
    };
    RegistryError::Status {
        method: method.to_string(),
        url: url.to_string(),
        status,
        code,
        message,
        retry_after,
    }
}

pub(super) async fn expect(
    resp: Response,
    method: &str,
    url: &str,
    ok: &[StatusCode],
) -> Result<Response> {
    if ok.contains(&resp.status()) {
        Ok(resp)
    } else {
        Err(status_error(resp, method, url).await)
    }
}

pub(super) fn location(resp: &Response, base: &str) -> Result<String> {
    let raw =
        header_str(resp.headers(), LOCATION.as_str()).ok_or_else(|| RegistryError::Protocol {
            url: base.to_string(),
            detail: "answer without Location header".into(),
        })?;
    let base_url = Url::parse(base).map_err(|e| RegistryError::Protocol {
        url: base.to_string(),
        detail: e.to_string(),
    })?;
    base_url
        .join(raw)
        .map(|u| u.to_string())
        .map_err(|e| RegistryError::Protocol {
            url: base.to_string(),
            detail: format!("bad Location {raw:?}: {e}"),
        })
}

pub(super) fn with_digest_query(loc: &str, digest: &Digest) -> Result<String> {
    let mut u = Url::parse(loc).map_err(|e| RegistryError::Protocol {
        url: loc.to_string(),
        detail: e.to_string(),
    })?;
    u.query_pairs_mut()
        .append_pair("digest", &digest.to_string());
    Ok(u.to_string())
}

/// Upload bytes that request bodies can be cut from at any offset, any number of times.
pub(super) enum SourceReader<'a> {
    Bytes(&'a [u8]),
    File(std::sync::Arc<std::fs::File>, &'a Path, u64),
}

impl SourceReader<'_> {
    pub(super) fn len(&self) -> u64 {
        match self {
            SourceReader::Bytes(b) => b.len() as u64,
            SourceReader::File(_, _, len) => *len,
        }
    }

    /// A body holding bytes `offset..offset + len`; files are streamed, not buffered.
    pub(super) fn body(&self, offset: u64, len: u64) -> reqwest::Body {
        match self {
            SourceReader::Bytes(b) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(b.len());
                let end = usize::try_from(len)
                    .map_or(usize::MAX, |l| start.saturating_add(l))
                    .min(b.len());
                reqwest::Body::from(b.get(start..end).unwrap_or(&[]).to_vec())
            }
            SourceReader::File(f, _, _) => file_body(f, offset, len),
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            SourceReader::Bytes(_) => "memory".into(),
            SourceReader::File(_, p, _) => p.display().to_string(),
        }
    }
}

pub(super) fn open_source(source: &BlobSource) -> Result<SourceReader<'_>> {
    Ok(match source {
        BlobSource::Bytes(b) => SourceReader::Bytes(b),
        BlobSource::File(p) => {
            let io = |source: std::io::Error| RegistryError::Io {
                path: p.clone(),
                source,
            };
            let file = std::fs::File::open(p).map_err(io)?;
            let len = file.metadata().map_err(io)?.len();
            SourceReader::File(std::sync::Arc::new(file), p, len)
        }
    })
}
