//! One request/answer exchange of [`HttpRegistry`] under the stall rule: the request body (an
//! upload, handed to the HTTP stack in slices of [`SLICE`] bytes) must move
//! [`MIN_PROGRESS_BYTES`] per idle window, and the answer's headers must come within one idle
//! window once the request is sent. Bytes handed over may still sit in socket buffers, so after
//! an upload the answer may take one more idle window per [`DRAIN_PER_WINDOW`] bytes sent.
//! `reqwest`'s own read timeout is not used: it counts from the start of the request, so a long
//! upload that is moving would hit it.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use super::*;

/// Largest piece of a request body handed over at once (progress granularity).
const SLICE: usize = 16 * 1024;

/// Bytes of an upload assumed to drain from buffers per idle window while the answer is awaited.
const DRAIN_PER_WINDOW: u64 = 64 * 1024;

/// Progress of one exchange: (window start, bytes in the window, bytes in all, body sent).
struct Tracker(Mutex<(Instant, u64, u64, bool)>);

impl Tracker {
    fn new(body_done: bool) -> Arc<Tracker> {
        Arc::new(Tracker(Mutex::new((Instant::now(), 0, 0, body_done))))
    }

    fn add(&self, n: usize) {
        if let Ok(mut s) = self.0.lock() {
            s.1 += n as u64;
            s.2 += n as u64;
            if s.1 >= MIN_PROGRESS_BYTES {
                s.0 = Instant::now();
                s.1 = 0;
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut s) = self.0.lock() {
            if !s.3 {
                s.3 = true;
                s.0 = Instant::now();
                s.1 = 0;
            }
        }
    }

    fn state(&self) -> (Instant, u64, bool) {
        self.0
            .lock()
            .map(|s| (s.0, s.2, s.3))
            .unwrap_or((Instant::now(), 0, true))
    }
}

/// A request body that reports its progress to a [`Tracker`].
struct Tracked {
    inner: reqwest::Body,
    tracker: Arc<Tracker>,
    /// The rest of the last frame, handed over [`SLICE`] bytes at a time (zero-copy).
    pending: bytes::Bytes,
}

impl http_body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<http_body::Frame<bytes::Bytes>, reqwest::Error>>> {
        if self.pending.is_empty() {
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(f))) => match f.into_data() {
                    Ok(d) => self.pending = d,
                    Err(other) => return Poll::Ready(Some(Ok(other))),
                },
                Poll::Ready(None) => {
                    self.tracker.finish();
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(e))) => {
                    self.tracker.finish();
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = self.pending.len().min(SLICE);
        let slice = self.pending.split_to(n);
        self.tracker.add(n);
        if self.pending.is_empty() && http_body::Body::is_end_stream(&self.inner) {
            self.tracker.finish();
        }
        Poll::Ready(Some(Ok(http_body::Frame::data(slice))))
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let mut h = http_body::Body::size_hint(&self.inner);
        let extra = self.pending.len() as u64;
        let lower = h.lower().saturating_add(extra);
        // Raise the upper bound first: `set_lower` above the upper bound would panic.
        if let Some(u) = h.upper() {
            h.set_upper(u.saturating_add(extra));
        }
        h.set_lower(lower);
        h
    }
}

impl HttpRegistry {
    /// Send `rb` and wait for the answer's headers under the stall rule.
    pub(super) async fn exchange(
        &self,
        rb: RequestBuilder,
        method: &Method,
        url: &Url,
    ) -> Result<Response> {
        let transport = |source| RegistryError::Transport {
            method: method.to_string(),
            url: url.to_string(),
            source,
        };
        let mut req = rb.build().map_err(transport)?;
        let tracker = match req.body_mut().take() {
            Some(body) => {
                let t = Tracker::new(http_body::Body::is_end_stream(&body));
                *req.body_mut() = Some(reqwest::Body::wrap(Tracked {
                    inner: body,
                    tracker: Arc::clone(&t),
                    pending: bytes::Bytes::new(),
                }));
                t
            }
            None => Tracker::new(true),
        };
        let idle = self.config.read_timeout;
        let tick = (idle / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
        let fut = self.http.execute(req);
        tokio::pin!(fut);
        loop {
            tokio::select! {
                r = &mut fut => return r.map_err(transport),
                _ = tokio::time::sleep(tick) => {
                    let (since, sent, body_done) = tracker.state();
                    let windows = if body_done {
                        1 + u32::try_from(sent / DRAIN_PER_WINDOW).unwrap_or(u32::MAX)
                    } else {
                        1
                    };
                    if since.elapsed() < idle.saturating_mul(windows) {
                        continue;
                    }
                    return Err(if body_done {
                        RegistryError::NoAnswer {
                            method: method.to_string(),
                            url: url.to_string(),
                            waited: idle,
                        }
                    } else {
                        RegistryError::Stalled {
                            method: method.to_string(),
                            url: url.to_string(),
                            idle,
                            received: sent,
                        }
                    });
                }
            }
        }
    }
}
