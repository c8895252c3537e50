//! Retry policy for registry requests.
//!
//! Retried: HTTP 408, 429, 500, 502, 503 and 504, transport failures (connection refused or
//! reset, timeouts, bodies cut short) and stalled transfers. Not retried: other 4xx answers, digest or size mismatches,
//! local I/O errors, TLS failures, and connections not accepted within the connect timeout. Delays grow exponentially from `base_delay` up to `max_delay`, with up to
//! 50% random jitter taken from the clock; a `Retry-After` in seconds from the registry is
//! honoured when it is within `max_delay`.

use std::time::Duration;

use super::RegistryError;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the second attempt.
    pub base_delay: Duration,
    /// Ceiling for any single delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Delay before attempt number `attempt + 1` (`attempt` counts from 1), before jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(20);
        let d = self.base_delay.saturating_mul(1u32 << shift);
        d.min(self.max_delay)
    }

    /// [`RetryPolicy::backoff`] with jitter, or the server's `Retry-After` when it is sane.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            if ra <= self.max_delay {
                return ra;
            }
        }
        let d = self.backoff(attempt);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|t| t.subsec_nanos())
            .unwrap_or(0);
        // 0..=50% extra.
        let extra = d.mul_f64(f64::from(nanos % 1000) / 2000.0);
        (d + extra).min(self.max_delay)
    }
}

/// Whether an HTTP status is worth retrying.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether an error is transient.
pub fn is_retryable(err: &RegistryError) -> bool {
    match err {
        RegistryError::Status { status, .. } => is_retryable_status(*status),
        RegistryError::Transport { source, .. } => is_retryable_transport(source),
        RegistryError::Stalled { .. } | RegistryError::NoAnswer { .. } => true,
        _ => false,
    }
}

/// Transport errors that a new attempt may fix. TLS failures (bad or unknown certificate,
/// handshake refused) show up as `InvalidData` I/O errors and are final.
pub fn is_retryable_transport(e: &reqwest::Error) -> bool {
    // A connection not accepted within the connect timeout is final: the timeout is the
    // user's bound on that wait, and another attempt would only multiply it.
    if e.is_builder() || e.is_redirect() || e.is_status() || (e.is_connect() && e.is_timeout()) {
        return false;
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut steps = 0;
    while let Some(s) = src {
        steps += 1;
        if steps > 32 {
            break;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            match io.kind() {
                InvalidData | InvalidInput | PermissionDenied => return false,
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | TimedOut
                | Interrupted | ConnectionRefused => return true,
                _ => {}
            }
            // `io::Error::source` skips the wrapped error itself: look at it directly.
            if let Some(inner) = io.get_ref() {
                src = Some(inner as &(dyn std::error::Error + 'static));
                continue;
            }
        }
        src = s.source();
    }
    // Timeouts, connect failures, resets and truncated bodies.
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() || e.is_decode()
}

/// Parse `Retry-After` given in seconds (HTTP dates are ignored).
pub fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(4), Duration::from_millis(800));
        assert_eq!(p.backoff(5), Duration::from_secs(1));
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(1));
        for attempt in 1..8 {
            let d = p.delay(attempt, None);
            assert!(d >= p.backoff(attempt) && d <= p.max_delay, "{d:?}");
        }
        assert_eq!(
            p.delay(3, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        // An absurd Retry-After falls back to our own backoff.
        assert!(p.delay(1, Some(Duration::from_secs(3600))) <= p.max_delay);
    }

    #[test]
    fn classifies_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 405, 416, 501] {
            assert!(!is_retryable_status(s), "{s}");
        }
        let e = RegistryError::Status {
            method: "GET".into(),
            url: "u".into(),
            status: 503,
            code: None,
            message: String::new(),
            retry_after: None,
        };
        assert!(is_retryable(&e));
        let e = RegistryError::Protocol {
            url: "u".into(),
            detail: "x".into(),
        };
        assert!(!is_retryable(&e));
        assert_eq!(parse_retry_after(Some(" 3 ")), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }
}
