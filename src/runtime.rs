//! The library's one async runtime, behind a blocking facade.
//!
//! The registry client is asynchronous; everything above it (the copy engine, the CLI, the
//! builder) is blocking. Instead of each caller building its own runtime, hoist keeps one
//! multi-thread tokio runtime, created lazily on first use and shared by every thread, and
//! [`block_on`] runs a future on it from ordinary (non-runtime) threads. Several threads may
//! block on it at once (the builder pulls bases, exports caches and pushes concurrently); each
//! future is driven on the calling thread while the runtime's workers run the I/O and timers.
//!
//! Calling [`block_on`] from inside an async context (a runtime worker, or any thread that has
//! entered a tokio runtime) would deadlock or panic in tokio; it returns
//! [`RuntimeError::Nested`] instead. Async code calls the registry client directly.
//!
//! The runtime's worker threads exist from first use on; code that must not run in a
//! multi-threaded process (the RUN sandbox) re-executes `/proc/self/exe` rather than forking.

use std::future::Future;
use std::sync::OnceLock;

/// Why a future could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// `block_on` was called from inside an async runtime.
    #[error(
        "hoist's blocking API was called from inside an async runtime (also inside \
         spawn_blocking); call it from a plain std::thread, or use the async registry client"
    )]
    Nested,
    /// The runtime could not be created (threads or the I/O driver could not start).
    #[error("cannot start the async runtime: {0}")]
    Start(String),
}

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// Worker threads of the shared runtime: registry I/O is not CPU bound, so two suffice.
const WORKERS: usize = 2;

fn runtime() -> Result<&'static tokio::runtime::Runtime, RuntimeError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .thread_name("hoist-io")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| RuntimeError::Start(e.clone()))
}

/// Run `fut` to completion on the shared runtime, blocking the calling thread.
///
/// Safe to call from any thread that is not itself inside a tokio runtime, from several
/// threads at once. Returns [`RuntimeError::Nested`] (never panics) when called from an async
/// context.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output, RuntimeError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(RuntimeError::Nested);
    }
    Ok(runtime()?.block_on(fut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_futures_from_several_threads_on_one_runtime() {
        let ids: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    block_on(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        // Spawned tasks run on the shared workers.
                        let h = tokio::spawn(async move { i * 2 });
                        h.await.ok()
                    })
                })
            })
            .collect();
        let mut got: Vec<Option<i32>> = ids
            .into_iter()
            .map(|h| h.join().ok().and_then(|r| r.ok()).flatten())
            .collect();
        got.sort();
        assert_eq!(got, vec![Some(0), Some(2), Some(4), Some(6)]);
        // One runtime: its address does not change.
        let a = runtime().map(|r| r as *const _).ok();
        let b = runtime().map(|r| r as *const _).ok();
        assert!(a.is_some() && a == b);
    }

    #[test]
    fn nested_call_is_an_error_not_a_panic() {
        let inner = block_on(async { block_on(async { 1 }) });
        assert!(matches!(inner, Ok(Err(RuntimeError::Nested))), "{inner:?}");
        let other = tokio::runtime::Builder::new_current_thread().build();
        if let Ok(rt) = other {
            let r = rt.block_on(async { block_on(async { 1 }) });
            assert!(matches!(r, Err(RuntimeError::Nested)));
        }
    }
}
