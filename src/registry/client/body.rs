//! Reading answer bodies for [`HttpRegistry`] with bounds on size and time: every body read from
//! the network has a byte cap (manifests, referrer lists, tag pages, token answers, error
//! bodies), every read is subject to the stall rule, and every wait to the overall deadline.
//!
//! Stall rule: a transfer must deliver at least [`MIN_PROGRESS_BYTES`] within each idle window
//! ([`RegistryConfig::read_timeout`], `--idle-timeout`); a server that goes silent, or drips a
//! byte now and then, fails the attempt with [`RegistryError::Stalled`] (retried like a reset).

use std::time::Instant;

use super::*;

/// Bytes a transfer must deliver within each idle window to count as moving.
pub const MIN_PROGRESS_BYTES: u64 = 1024;

/// Largest token endpoint answer accepted.
pub const MAX_TOKEN_BYTES: usize = 1024 * 1024;

/// Largest page of a tag list accepted.
pub const MAX_TAG_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Largest tag list accepted over all pages.
pub const MAX_TAG_LIST_BYTES: usize = 64 * 1024 * 1024;

/// Most of an error body read (for the message only).
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Longest time spent reading an error body (for the message only).
const ERROR_BODY_TIME: Duration = Duration::from_secs(5);

/// Progress of one transfer against the stall rule.
pub(super) struct StallWatch {
    window_start: Instant,
    window_bytes: u64,
    total: u64,
}

impl StallWatch {
    pub(super) fn new() -> StallWatch {
        StallWatch {
            window_start: Instant::now(),
            window_bytes: 0,
            total: 0,
        }
    }

    fn add(&mut self, n: usize) {
        self.window_bytes += n as u64;
        self.total += n as u64;
        if self.window_bytes >= MIN_PROGRESS_BYTES {
            self.window_start = Instant::now();
            self.window_bytes = 0;
        }
    }
}

impl HttpRegistry {
    /// Await `fut`, failing with [`RegistryError::Deadline`] when the overall deadline passes.
    pub(super) async fn before_deadline<T>(
        &self,
        method: &str,
        url: &str,
        fut: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match self.config.deadline {
            None => fut.await,
            Some(d) => match tokio::time::timeout_at(d.at.into(), fut).await {
                Ok(r) => r,
                Err(_) => Err(RegistryError::Deadline {
                    limit: d.limit,
                    during: format!("{method} {url}"),
                }),
            },
        }
    }

    /// Sleep before retry number `attempt` after `e`, unless that would pass the deadline (then
    /// the deadline error, naming `e`, is returned).
    pub(super) async fn backoff(&self, attempt: u32, e: &RegistryError) -> Result<()> {
        let delay = self.config.retry.delay(attempt, retry_after(e));
        if let Some(d) = self.config.deadline {
            if Instant::now() + delay >= d.at {
                return Err(RegistryError::Deadline {
                    limit: d.limit,
                    during: format!("retrying after: {e}"),
                });
            }
        }
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// The next piece of `resp`'s body under the stall rule and the deadline.
    pub(super) async fn next_chunk(
        &self,
        resp: &mut Response,
        watch: &mut StallWatch,
        method: &str,
        url: &str,
    ) -> Result<Option<bytes::Bytes>> {
        let idle = self.config.read_timeout;
        let idle_end = watch.window_start + idle;
        let (until, by_deadline) = match self.config.deadline {
            Some(d) if d.at < idle_end => (d.at, true),
            _ => (idle_end, false),
        };
        match tokio::time::timeout_at(until.into(), resp.chunk()).await {
            Ok(Ok(Some(b))) => {
                watch.add(b.len());
                Ok(Some(b))
            }
            Ok(Ok(None)) => Ok(None),
            // The client's own per-read timeout (the same idle window) is a stall too.
            Ok(Err(source)) if source.is_timeout() => Err(RegistryError::Stalled {
                method: method.to_string(),
                url: url.to_string(),
                idle,
                received: watch.total,
            }),
            Ok(Err(source)) => Err(RegistryError::Transport {
                method: method.to_string(),
                url: url.to_string(),
                source,
            }),
            Err(_) => match (by_deadline, self.config.deadline) {
                (true, Some(d)) => Err(RegistryError::Deadline {
                    limit: d.limit,
                    during: format!("{method} {url}"),
                }),
                _ => Err(RegistryError::Stalled {
                    method: method.to_string(),
                    url: url.to_string(),
                    idle,
                    received: watch.total,
                }),
            },
        }
    }

    /// Read a whole body of at most `cap` bytes; `what` names it in the error.
    pub(super) async fn read_capped(
        &self,
        mut resp: Response,
        cap: usize,
        what: &str,
        url: &str,
    ) -> Result<Vec<u8>> {
        let too_large = || RegistryError::TooLarge {
            url: url.to_string(),
            what: what.to_string(),
            limit: cap,
        };
        if resp
            .content_length()
            .is_some_and(|n| n > u64::try_from(cap).unwrap_or(u64::MAX))
        {
            return Err(too_large());
        }
        let mut out = Vec::new();
        let mut watch = StallWatch::new();
        while let Some(chunk) = self.next_chunk(&mut resp, &mut watch, "GET", url).await? {
            if out.len() + chunk.len() > cap {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// The start of an error answer's body, for a message: at most [`MAX_ERROR_BODY_BYTES`], read
/// for at most [`ERROR_BODY_TIME`]; whatever arrived by then is used.
pub(super) async fn read_error_body(mut resp: Response) -> String {
    let mut out = Vec::new();
    let read = async {
        while let Ok(Some(chunk)) = resp.chunk().await {
            let room = MAX_ERROR_BODY_BYTES.saturating_sub(out.len());
            out.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or(&[]));
            if out.len() >= MAX_ERROR_BODY_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(ERROR_BODY_TIME, read).await;
    String::from_utf8_lossy(&out).into_owned()
}
