//! Executing a plan: a small scheduler runs the needed stages on up to `--jobs` threads (a
//! stage starts once every stage it uses is done; the first error cancels the rest), and
//! each stage runs its instructions in order ([`stage`]), with bases ([`base`]), RUN
//! ([`run`]), COPY/ADD ([`copy`]) and new layers ([`layer`]) in their own modules.

mod base;
mod copy;
mod inflight;
mod layer;
mod mounts;
mod named;
mod platforms;
mod rootless;
mod run;
mod stage;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use super::config::StageState;
use super::error::BuildError;
use super::output::{self, BuildResult};
use super::plan::{plan, Plan, PlanInput};
use super::progress::{Event, Progress};
use super::sandbox::{self, Isolation};
use super::{BuildOptions, IsolationChoice};
use crate::build::fs::DockerIgnore;
use crate::oci::Store;

pub use base::BaseImage;
pub use inflight::InFlight;
pub use named::{load as load_contexts, Loaded};

/// Shared state of one build.
pub struct Ctx<'a> {
    /// The plan.
    pub plan: Plan,
    /// The options.
    pub opts: &'a BuildOptions,
    /// The content store.
    pub store: Store,
    /// Where events go.
    pub progress: &'a dyn Progress,
    /// `.dockerignore` of the context.
    pub ignore: DockerIgnore,
    /// The `SOURCE_DATE_EPOCH` used for times (the flag, or now).
    pub epoch: i64,
    /// The checked `--build-context`s, by name.
    pub named: BTreeMap<String, named::Loaded>,
    step_ids: AtomicUsize,
    results: Mutex<BTreeMap<usize, Arc<StageState>>>,
    images: Mutex<BTreeMap<String, Arc<BaseImage>>>,
    cancelled: AtomicBool,
    isolation: OnceLock<Result<Isolation, String>>,
}

impl Ctx<'_> {
    /// The next step number.
    pub fn next_id(&self) -> usize {
        self.step_ids.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// True once another stage failed.
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The finished state of stage `i`.
    pub fn stage_result(&self, i: usize) -> Option<Arc<StageState>> {
        self.results.lock().ok()?.get(&i).cloned()
    }

    /// The isolation for RUN steps, probed on first use.
    pub fn isolation(&self) -> Result<Isolation, String> {
        self.isolation
            .get_or_init(|| {
                let picked = match self.opts.isolation {
                    IsolationChoice::Namespaces => Ok(Isolation::Namespaces),
                    IsolationChoice::Rootless => Ok(Isolation::Rootless),
                    IsolationChoice::Chroot => Ok(Isolation::Chroot),
                    IsolationChoice::Auto => sandbox::detect_isolation()
                        .map_err(|e| e.to_string())
                        .inspect(|i| {
                            self.progress.event(Event::Note {
                                text: format!("isolation: {i} (picked by --isolation auto)"),
                            })
                        }),
                };
                picked
            })
            .clone()
    }

    /// Whether stage `i` must ignore the cache (`--no-cache`, `--no-cache-filter`).
    pub fn no_cache_for(&self, i: usize) -> bool {
        if self.opts.no_cache {
            return true;
        }
        let Some(s) = self.plan.stages.get(i) else {
            return false;
        };
        self.opts.no_cache_filter.iter().any(|f| {
            s.name.as_deref() == Some(f.to_lowercase().as_str()) || *f == s.index.to_string()
        })
    }
}

/// Build the image `opts` describe; events go to `progress`.
pub fn build(
    store: &Store,
    opts: &BuildOptions,
    progress: &dyn Progress,
) -> Result<BuildResult, BuildError> {
    let plan = plan(&PlanInput {
        text: opts.dockerfile.clone(),
        name: opts.dockerfile_name.clone(),
        build_args: opts.build_args.clone(),
        target: opts.target.clone(),
        target_platform: opts.platform.clone(),
        contexts: opts.named_contexts.keys().cloned().collect(),
    })?;
    for n in &plan.notes {
        progress.event(Event::Note { text: n.clone() });
    }
    let ignore =
        DockerIgnore::load(&opts.context, opts.dockerfile_path.as_deref()).map_err(|e| {
            BuildError::Copy {
                loc: super::Loc {
                    file: opts.context.display().to_string(),
                    line: 0,
                },
                message: e.to_string(),
            }
        })?;
    let epoch = opts.source_date_epoch.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    });
    let named = named::load(&opts.named_contexts)?;
    let ctx = Ctx {
        plan,
        opts,
        store: store.clone(),
        progress,
        ignore,
        epoch,
        named,
        step_ids: AtomicUsize::new(0),
        results: Mutex::new(BTreeMap::new()),
        images: Mutex::new(BTreeMap::new()),
        cancelled: AtomicBool::new(false),
        isolation: OnceLock::new(),
    };
    run_stages(&ctx)?;
    let target = ctx.plan.target;
    let state = ctx.stage_result(target).ok_or(BuildError::Cancelled)?;
    // The image must be complete in the store: fetch lazily imported cache layers it holds.
    layer::fetch_layers(&ctx, &state.layers)?;
    output::finish(&ctx, &state)
}

/// Build for each of `platforms` (in turn) and tie the images together in an OCI index; one
/// platform gives a plain image, like [`build`].
pub fn build_platforms(
    store: &Store,
    opts: &BuildOptions,
    platforms: &[crate::dockerfile::scope::Platform],
    progress: &dyn Progress,
) -> Result<BuildResult, BuildError> {
    if let [single] = platforms {
        let mut o = opts.clone();
        o.platform = single.clone();
        return build(store, &o, progress);
    }
    let images = platforms::build_each(store, opts, platforms, progress, build)?;
    output::index(store, &images, &opts.annotations)
}

struct Sched {
    done: BTreeSet<usize>,
    running: BTreeSet<usize>,
    error: Option<BuildError>,
}

/// Run the plan's stages, dependencies first, up to `jobs` at a time.
fn run_stages(ctx: &Ctx) -> Result<(), BuildError> {
    let sched = Mutex::new(Sched {
        done: BTreeSet::new(),
        running: BTreeSet::new(),
        error: None,
    });
    let cv = Condvar::new();
    let workers = ctx.opts.jobs.clamp(1, ctx.plan.order.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| worker(ctx, &sched, &cv));
        }
    });
    let mut s = sched.into_inner().map_err(|_| BuildError::Cancelled)?;
    match s.error.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn worker(ctx: &Ctx, sched: &Mutex<Sched>, cv: &Condvar) {
    loop {
        let next = {
            let Ok(mut s) = sched.lock() else { return };
            loop {
                if s.error.is_some() {
                    return;
                }
                let ready = ctx.plan.order.iter().copied().find(|i| {
                    !s.done.contains(i)
                        && !s.running.contains(i)
                        && ctx
                            .plan
                            .stages
                            .get(*i)
                            .is_some_and(|st| st.deps.iter().all(|d| s.done.contains(d)))
                });
                match ready {
                    Some(i) => {
                        s.running.insert(i);
                        break i;
                    }
                    None if s.running.is_empty() => return,
                    None => match cv.wait(s) {
                        Ok(g) => s = g,
                        Err(_) => return,
                    },
                }
            }
        };
        let result = stage::run_stage(ctx, next);
        let Ok(mut s) = sched.lock() else { return };
        s.running.remove(&next);
        match result {
            Ok(state) => {
                if let Ok(mut r) = ctx.results.lock() {
                    r.insert(next, Arc::new(state));
                }
                s.done.insert(next);
            }
            Err(e) => {
                ctx.cancelled.store(true, Ordering::SeqCst);
                if s.error.is_none() && !matches!(e, BuildError::Cancelled) {
                    s.error = Some(e);
                }
            }
        }
        cv.notify_all();
    }
}
