//! Build progress: the events a build emits ([`Event`]) and a printer in buildx's style
//! (`#N [stage k/n] INSTRUCTION`, `#N CACHED`, `#N DONE 0.4s`, RUN output). Modes: `plain`
//! prints everything, `tty` prints steps and only the last lines of each RUN's output,
//! `quiet` nothing, `rawjson` one JSON object per event.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
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
    /// Steps, and the last lines of RUN output when a step ends.
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
}

#[derive(Default)]
struct PrinterState {
    started: BTreeMap<usize, Instant>,
    tails: BTreeMap<usize, Vec<String>>,
}

impl Printer {
    /// A printer in `mode`.
    pub fn new(mode: Mode) -> Printer {
        Printer {
            mode,
            start: Instant::now(),
            state: Mutex::new(PrinterState::default()),
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
                if let Ok(s) = serde_json::to_string(&e) {
                    self.write(&s);
                }
                return;
            }
            Mode::Plain | Mode::Tty => {}
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
                if self.mode == Mode::Plain {
                    let t = st
                        .started
                        .get(&id)
                        .map(|s| s.elapsed().as_secs_f64())
                        .unwrap_or_default();
                    self.write(&format!("#{id} {t:.3} {line}"));
                } else {
                    let tail = st.tails.entry(id).or_default();
                    tail.push(line);
                    if tail.len() > TTY_TAIL {
                        tail.remove(0);
                    }
                }
            }
            Event::Done { id, seconds } => {
                for l in st.tails.remove(&id).unwrap_or_default() {
                    self.write(&format!("#{id} {l}"));
                }
                self.write(&format!("#{id} DONE {seconds:.1}s"));
            }
            Event::Error { id, message } => {
                for l in st.tails.remove(&id).unwrap_or_default() {
                    self.write(&format!("#{id} {l}"));
                }
                self.write(&format!("#{id} ERROR: {message}"));
            }
        }
    }
}
