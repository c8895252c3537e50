//! Building several `--platform`s at once: up to `--jobs` platform builds run concurrently over
//! the shared store and cache, their results kept in the order the platforms were given, and
//! their progress relabelled so each step names its platform (`[linux/arm64 stage 2/4]`) and
//! keeps a step number unique across the platforms.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::super::error::BuildError;
use super::super::output::BuildResult;
use super::super::progress::{Event, Progress};
use super::super::BuildOptions;
use crate::dockerfile::scope::Platform;
use crate::oci::Store;

/// Step numbers shared by the platforms' relabelled progress.
struct Steps {
    next: AtomicUsize,
    /// (platform position, its own step number) → the shared one.
    ids: Mutex<HashMap<(usize, usize), usize>>,
}

/// One platform's view of the shared progress.
struct Labelled<'a> {
    inner: &'a dyn Progress,
    steps: &'a Steps,
    pos: usize,
    label: String,
}

impl Labelled<'_> {
    fn id(&self, own: usize, start: bool) -> usize {
        let Ok(mut ids) = self.steps.ids.lock() else {
            return own;
        };
        if start {
            let id = self.steps.next.fetch_add(1, Ordering::Relaxed);
            ids.insert((self.pos, own), id);
            id
        } else {
            ids.get(&(self.pos, own)).copied().unwrap_or(own)
        }
    }
}

impl Progress for Labelled<'_> {
    fn event(&self, e: Event) {
        let e = match e {
            Event::Start {
                id,
                stage,
                index,
                total,
                text,
            } => Event::Start {
                id: self.id(id, true),
                stage: format!("{} {stage}", self.label).trim_end().to_string(),
                index,
                total,
                text,
            },
            Event::Cached { id } => Event::Cached {
                id: self.id(id, false),
            },
            Event::Output { id, line } => Event::Output {
                id: self.id(id, false),
                line,
            },
            Event::Done { id, seconds } => Event::Done {
                id: self.id(id, false),
                seconds,
            },
            Event::Error { id, message } => Event::Error {
                id: self.id(id, false),
                message,
            },
            Event::Note { text } => Event::Note {
                text: format!("[{}] {text}", self.label),
            },
            Event::Warning { text } => Event::Warning {
                text: format!("[{}] {text}", self.label),
            },
        };
        self.inner.event(e);
    }
}

/// Build every platform (at most `opts.jobs` at once); results in `platforms` order, or the
/// first platform's error (in that order).
pub(super) fn build_each(
    store: &Store,
    opts: &BuildOptions,
    platforms: &[Platform],
    progress: &dyn Progress,
    build: fn(&Store, &BuildOptions, &dyn Progress) -> Result<BuildResult, BuildError>,
) -> Result<Vec<(Platform, BuildResult)>, BuildError> {
    let steps = Steps {
        next: AtomicUsize::new(1),
        ids: Mutex::new(HashMap::new()),
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<BuildResult, BuildError>>>> =
        Mutex::new(platforms.iter().map(|_| None).collect());
    let workers = opts.jobs.clamp(1, platforms.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let pos = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = platforms.get(pos) else { return };
                let view = Labelled {
                    inner: progress,
                    steps: &steps,
                    pos,
                    label: p.to_string(),
                };
                let mut o = opts.clone();
                o.platform = p.clone();
                let r = build(store, &o, &view);
                let failed = r.is_err();
                if let Ok(mut rs) = results.lock() {
                    rs[pos] = Some(r);
                }
                if failed {
                    // Start no further platforms; the running ones finish.
                    next.store(platforms.len(), Ordering::Relaxed);
                }
            });
        }
    });
    let results = results.into_inner().map_err(|_| BuildError::Cancelled)?;
    let mut images = Vec::new();
    for (p, r) in platforms.iter().zip(results) {
        match r {
            Some(r) => images.push((p.clone(), r?)),
            None => return Err(BuildError::Cancelled),
        }
    }
    Ok(images)
}
