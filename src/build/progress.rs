//! Build progress: the events a build emits ([`Event`]) and a printer in buildx's style
//! (`#N [stage k/n] INSTRUCTION`, `#N CACHED`, `#N DONE 0.4s`, RUN output). Modes: `plain`
//! prints everything, `tty` redraws a live block of the running steps ([`tty`]), `quiet`
//! nothing, `rawjson` one JSON object per event in BuildKit's `SolveStatus` shape ([`rawjson`]).

pub mod rawjson;
pub mod tty;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// One thing that happened during a build.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Informational line (e.g. the isolation picked).
    Note {
        /// Text.
        text: String,
    },
    /// A warning (lint findings summary, ignored directives).
    Warning {
        /// Text.
        text: String,
    },
    /// A step starts.
    Start {
        /// Step number (`#N`).
        id: usize,
        /// Stage name.
        stage: String,
        /// Position in the stage (1-based) …
        index: usize,
        /// … of this many steps.
        total: usize,
        /// The instruction.
        text: String,
    },
    /// The step's result came from the cache.
    Cached {
        /// Step number.
        id: usize,
    },
    /// One line of a RUN's output.
    Output {
        /// Step number.
        id: usize,
        /// The line (lossy UTF-8, no newline).
        line: String,
    },
    /// The step finished.
    Done {
        /// Step number.
        id: usize,
        /// Wall time in seconds.
        seconds: f64,
    },
    /// The step failed.
    Error {
        /// Step number.
        id: usize,
        /// What happened.
        message: String,
    },
}

/// Receives events; shared by the stage threads.
pub trait Progress: Send + Sync {
    /// Handle one event.
    fn event(&self, e: Event);
}

/// Keeps every event (tests, callers that render themselves).
#[derive(Default)]
pub struct Recorder {
    /// Events in arrival order.
    pub events: Mutex<Vec<Event>>,
}

impl Progress for Recorder {
    fn event(&self, e: Event) {
        if let Ok(mut v) = self.events.lock() {
            v.push(e);
        }
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything, line by line.
    Plain,
    /// A live block of the running steps (elapsed time, last lines of RUN output) redrawn in
    /// place; one line per finished step.
    Tty,
    /// Nothing.
    Quiet,
    /// JSON lines.
    RawJson,
}

/// Lines of RUN output a TTY shows per step.
pub const TTY_TAIL: usize = 6;

/// Writes events to stderr in the chosen mode.
pub struct Printer {
    mode: Mode,
    start: Instant,
    state: Mutex<PrinterState>,
    live: Option<Live>,
}

/// The TTY view and the thread that redraws it while steps run (for the elapsed times).
struct Live {
    screen: Arc<Mutex<tty::Screen>>,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

/// How often the TTY view is redrawn while nothing happens.
const TICK: Duration = Duration::from_millis(200);

impl Live {
    fn start() -> Live {
        let screen = Arc::new(Mutex::new(tty::Screen::new(tty::stderr_width())));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (screen.clone(), stop.clone());
        let ticker = std::thread::Builder::new()
            .name("hoist-progress".into())
            .spawn(move || {
                while !st.load(Ordering::SeqCst) {
                    std::thread::park_timeout(TICK);
                    if let Ok(mut screen) = s.lock() {
                        if screen.busy() {
                            let _ = screen.draw(&mut std::io::stderr().lock(), Instant::now());
                        }
                    }
                }
            })
            .ok();
        Live {
            screen,
            stop,
            ticker,
        }
    }

    fn event(&self, e: Event) {
        if let Ok(mut screen) = self.screen.lock() {
            let now = Instant::now();
            screen.event(e, now);
            let _ = screen.draw(&mut std::io::stderr().lock(), now);
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.ticker.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[derive(Default)]
struct PrinterState {
    started: BTreeMap<usize, Instant>,
    raw: rawjson::State,
}

impl Printer {
    /// A printer in `mode`.
    pub fn new(mode: Mode) -> Printer {
        Printer {
            mode,
            start: Instant::now(),
            state: Mutex::new(PrinterState::default()),
            live: (mode == Mode::Tty).then(Live::start),
        }
    }

    /// Time since the build started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn write(&self, s: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{s}");
    }
}

impl Progress for Printer {
    fn event(&self, e: Event) {
        match self.mode {
            Mode::Quiet => return,
            Mode::RawJson => {
                let Ok(mut st) = self.state.lock() else {
                    return;
                };
                if let Ok(s) = serde_json::to_string(&st.raw.status(e)) {
                    self.write(&s);
                }
                return;
            }
            Mode::Tty => {
                if let Some(live) = &self.live {
                    live.event(e);
                    return;
                }
            }
            Mode::Plain => {}
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        match e {
            Event::Note { text } => self.write(&text),
            Event::Warning { text } => self.write(&format!("WARNING: {text}")),
            Event::Start {
                id,
                stage,
                index,
                total,
                text,
            } => {
                st.started.insert(id, Instant::now());
                self.write(&format!("#{id} [{stage} {index}/{total}] {text}"));
            }
            Event::Cached { id } => self.write(&format!("#{id} CACHED")),
            Event::Output { id, line } => {
                let t = st
                    .started
                    .get(&id)
                    .map(|s| s.elapsed().as_secs_f64())
                    .unwrap_or_default();
                self.write(&format!("#{id} {t:.3} {line}"));
            }
            Event::Done { id, seconds } => self.write(&format!("#{id} DONE {seconds:.1}s")),
            Event::Error { id, message } => self.write(&format!("#{id} ERROR: {message}")),
        }
    }
}
