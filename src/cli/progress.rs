//! Progress of the image commands on stderr: one line per blob on a terminal (a bar that fits
//! the terminal width, then "done" or "exists" once the blob is finished), plain lines when
//! stderr is not a terminal, nothing with `--quiet`.
//!
//! Drawn by hand rather than with indicatif's templates so that the line is composed for an
//! exact width (COLUMNS, else the terminal's size; never wrapping, dropping the rate and then
//! the bar on narrow terminals), every line ends with a newline before anything else is printed
//! (the result line, or an error via [`end_line`]), and the renderer is a pure function that
//! unit tests check at fixed widths.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oci_spec::image::Descriptor;

use hoist::copy::Progress;
use hoist::oci::image::RawManifest;

use super::image_common::human_bytes;

/// A bar is drawn on stderr and not yet ended with a newline.
static STDERR_LINE_OPEN: AtomicBool = AtomicBool::new(false);

/// End a bar still open on stderr with a newline, so that what follows (an error) starts on
/// its own line.
pub fn end_line() {
    if STDERR_LINE_OPEN.swap(false, Ordering::SeqCst) {
        let _ = writeln!(std::io::stderr());
    }
}

/// Columns available on stderr: `COLUMNS`, else the terminal's width, else 80.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| {
            console::Term::stderr()
                .size_checked()
                .map(|(_, w)| usize::from(w))
        })
        .filter(|&c| c > 0)
        .unwrap_or(80)
}

/// What a blob line shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LineState {
    /// Transferring, at this many bytes per second when known.
    Running(Option<f64>),
    /// Read and verified; the destination takes it with the rest of the batch.
    Waiting,
    /// Copied.
    Done,
    /// The destination had it already.
    Exists,
}

/// One blob line for a terminal `width` columns wide: never longer than `width - 1`
/// characters, so the terminal never wraps it.
pub fn render(width: usize, label: &str, done: u64, total: u64, state: LineState) -> String {
    let room = width.saturating_sub(1).max(1);
    let line = match state {
        LineState::Done => format!("{label}  done  {}", human_bytes(total)),
        LineState::Exists => format!("{label}  exists"),
        LineState::Waiting => format!("{label}  verified  {}", human_bytes(total)),
        LineState::Running(rate) => {
            let amounts = format!("{}/{}", human_bytes(done), human_bytes(total));
            let rate = rate
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(|r| format!("{}/s", human_bytes(r as u64)));
            let label_w = label.chars().count();
            let try_with = |rate: Option<&String>, with_bar: bool| -> Option<String> {
                let tail = match rate {
                    Some(r) => format!(" {amounts} {r}"),
                    None => format!(" {amounts}"),
                };
                let fixed = label_w + tail.chars().count();
                if !with_bar {
                    return (fixed <= room).then(|| format!("{label}{tail}"));
                }
                // " [" + bar + "]"
                let bar_w = room.checked_sub(fixed + 3)?.min(30);
                (bar_w >= 8).then(|| format!("{label} [{}]{tail}", bar(done, total, bar_w)))
            };
            try_with(rate.as_ref(), true)
                .or_else(|| try_with(None, true))
                .or_else(|| try_with(None, false))
                .unwrap_or_else(|| format!("{label} {amounts}"))
        }
    };
    clip(&line, room)
}

fn bar(done: u64, total: u64, w: usize) -> String {
    let filled = if total == 0 {
        w
    } else {
        ((done.min(total) as f64 / total as f64) * w as f64) as usize
    };
    let mut s = "=".repeat(filled.min(w));
    if filled < w {
        s.push('>');
        s.push_str(&" ".repeat(w - filled - 1));
    }
    s
}

fn clip(s: &str, room: usize) -> String {
    if s.chars().count() <= room {
        return s.to_string();
    }
    let mut out: String = s.chars().take(room.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn label(desc: &Descriptor, what: &str) -> String {
    let d = desc.digest().to_string();
    format!("{what} {}", d.get(..19).unwrap_or(&d))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Quiet,
    Lines,
    Bars,
}

/// The line being drawn.
struct Open {
    digest: String,
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    drawn: Option<Instant>,
}

/// Progress shown on stderr (or any writer, for tests).
pub struct CliProgress {
    mode: Mode,
    width: usize,
    out: RefCell<Box<dyn Write>>,
    to_stderr: bool,
    open: RefCell<Option<Open>>,
    line_open: Cell<bool>,
    labels: RefCell<HashMap<String, String>>,
}

impl CliProgress {
    /// Bars on a terminal, lines otherwise, nothing when `quiet`.
    pub fn new(quiet: bool) -> CliProgress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        };
        let mut p = CliProgress::with_writer(Box::new(std::io::stderr()), terminal_width());
        p.mode = mode;
        p.to_stderr = true;
        p
    }

    /// Bars drawn into `out` for a terminal `width` columns wide.
    pub fn with_writer(out: Box<dyn Write>, width: usize) -> CliProgress {
        CliProgress {
            mode: Mode::Bars,
            width,
            out: RefCell::new(out),
            to_stderr: false,
            open: RefCell::new(None),
            line_open: Cell::new(false),
            labels: RefCell::new(HashMap::new()),
        }
    }

    fn set_open(&self, v: bool) {
        self.line_open.set(v);
        if self.to_stderr {
            STDERR_LINE_OPEN.store(v, Ordering::SeqCst);
        }
    }

    /// Redraw the current line in place.
    fn draw(&self, line: &str) {
        let mut out = self.out.borrow_mut();
        let _ = write!(out, "\r\x1b[2K{line}");
        let _ = out.flush();
        self.set_open(true);
    }

    /// Replace the current line with `line` and end it.
    fn finish(&self, line: &str) {
        let mut out = self.out.borrow_mut();
        let _ = writeln!(out, "\r\x1b[2K{line}");
        let _ = out.flush();
        self.set_open(false);
    }

    /// End an open line with a newline (before other output).
    pub fn end_line(&self) {
        if self.line_open.get() {
            let mut out = self.out.borrow_mut();
            let _ = writeln!(out);
            let _ = out.flush();
            self.set_open(false);
        }
    }

    fn running(&self, o: &Open) -> String {
        let secs = o.started.elapsed().as_secs_f64();
        let rate = (secs > 0.2).then(|| o.done as f64 / secs);
        render(
            self.width,
            &o.label,
            o.done,
            o.total,
            LineState::Running(rate),
        )
    }
}

impl Drop for CliProgress {
    fn drop(&mut self) {
        self.end_line();
    }
}

impl Progress for CliProgress {
    fn blob_start(&self, desc: &Descriptor, what: &str) {
        if self.mode != Mode::Bars {
            return;
        }
        // A blob still open here was verified and waits for its batch.
        if let Some(prev) = self.open.borrow_mut().take() {
            self.finish(&render(
                self.width,
                &prev.label,
                prev.done,
                prev.total,
                LineState::Waiting,
            ));
        }
        let o = Open {
            digest: desc.digest().to_string(),
            label: label(desc, what),
            total: desc.size(),
            done: 0,
            started: Instant::now(),
            drawn: None,
        };
        self.labels
            .borrow_mut()
            .insert(o.digest.clone(), o.label.clone());
        self.draw(&self.running(&o));
        *self.open.borrow_mut() = Some(o);
    }

    fn blob_bytes(&self, n: u64) {
        let mut open = self.open.borrow_mut();
        let Some(o) = open.as_mut() else {
            return;
        };
        o.done += n;
        if o.drawn
            .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        o.drawn = Some(Instant::now());
        self.draw(&self.running(o));
    }

    fn blob_done(&self, desc: &Descriptor, skipped: bool) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Lines => {
                let verb = if skipped { "exists " } else { "copied " };
                eprintln!("{verb} {} ({})", desc.digest(), human_bytes(desc.size()));
            }
            Mode::Bars => {
                let digest = desc.digest().to_string();
                let state = if skipped {
                    LineState::Exists
                } else {
                    LineState::Done
                };
                let mut open = self.open.borrow_mut();
                let label = match open.take() {
                    Some(o) if o.digest == digest => o.label,
                    other => {
                        // Another blob is open: end it first (it waits for its batch).
                        if let Some(prev) = other {
                            self.finish(&render(
                                self.width,
                                &prev.label,
                                prev.done,
                                prev.total,
                                LineState::Waiting,
                            ));
                        }
                        self.labels
                            .borrow()
                            .get(&digest)
                            .cloned()
                            .unwrap_or_else(|| label(desc, "blob"))
                    }
                };
                self.finish(&render(self.width, &label, desc.size(), desc.size(), state));
            }
        }
    }

    fn manifest_done(&self, m: &RawManifest) {
        if self.mode == Mode::Quiet {
            return;
        }
        if let Some(prev) = self.open.borrow_mut().take() {
            let line = render(
                self.width,
                &prev.label,
                prev.done,
                prev.total,
                LineState::Waiting,
            );
            self.finish(&line);
        }
        self.end_line();
        let line = format!("manifest {} ({})", m.digest, m.media_type);
        if self.mode == Mode::Bars {
            let mut out = self.out.borrow_mut();
            let _ = writeln!(out, "{}", clip(&line, self.width.saturating_sub(1).max(1)));
        } else {
            eprintln!("{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    const LABEL: &str = "layer sha256:0123456789ab";

    #[test]
    fn lines_fit_every_width() {
        let states = [
            LineState::Running(Some(3.5 * 1024.0 * 1024.0)),
            LineState::Running(None),
            LineState::Waiting,
            LineState::Done,
            LineState::Exists,
        ];
        for width in [200, 120, 80, 60, 40, 30, 20, 10, 2, 1] {
            for state in states {
                for (done, total) in [(0, 0), (512, 1 << 20), (123 << 30, 456 << 30)] {
                    let l = render(width, LABEL, done, total, state);
                    assert!(
                        l.chars().count() < width.max(2),
                        "{width} {state:?}: {l:?} ({} chars)",
                        l.chars().count()
                    );
                    assert!(!l.contains('\n'), "{l:?}");
                }
            }
        }
    }

    #[test]
    fn what_each_state_says() {
        let l = render(
            80,
            LABEL,
            512 << 10,
            1 << 20,
            LineState::Running(Some(2048.0)),
        );
        assert!(
            l.starts_with(LABEL) && l.contains(" [") && l.contains("2.0 KiB/s"),
            "{l}"
        );
        assert!(l.contains("512.0 KiB/1.0 MiB"), "{l}");
        // Narrow: the rate goes first, then the bar; the amounts stay.
        let l = render(
            60,
            LABEL,
            512 << 10,
            1 << 20,
            LineState::Running(Some(2048.0)),
        );
        assert!(l.contains("512.0 KiB/1.0 MiB"), "{l}");
        let l = render(
            40,
            LABEL,
            512 << 10,
            1 << 20,
            LineState::Running(Some(2048.0)),
        );
        assert!(!l.contains("/s") && !l.contains('['), "{l}");
        let l = render(80, LABEL, 0, 1 << 20, LineState::Exists);
        assert_eq!(l, format!("{LABEL}  exists"));
        let l = render(80, LABEL, 1 << 20, 1 << 20, LineState::Done);
        assert_eq!(l, format!("{LABEL}  done  1.0 MiB"));
    }

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut v) = self.0.lock() {
                v.extend_from_slice(b);
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        /// What a terminal shows: each line as last redrawn.
        fn screen(&self) -> Vec<String> {
            let raw = self.0.lock().map(|v| v.clone()).unwrap_or_default();
            let text = String::from_utf8_lossy(&raw).into_owned();
            text.split('\n')
                .map(|l| l.rsplit("\r\x1b[2K").next().unwrap_or("").to_string())
                .collect()
        }
    }

    fn desc(seed: &str, size: u64) -> Descriptor {
        let d = hoist::oci::digest::digest_bytes(seed.as_bytes());
        let mut desc = Descriptor::new(
            oci_spec::image::MediaType::ImageLayerGzip,
            size,
            d.to_oci().unwrap_or_else(|e| panic!("{e}")),
        );
        desc.set_size(size);
        desc
    }

    #[test]
    fn finished_lines_end_before_the_result_and_before_errors() {
        let sink = Sink::default();
        let p = CliProgress::with_writer(Box::new(sink.clone()), 60);
        let (a, b, c) = (desc("a", 4096), desc("b", 100), desc("c", 1 << 20));
        p.blob_start(&a, "layer");
        p.blob_bytes(4096);
        p.blob_done(&a, false);
        p.blob_start(&b, "config");
        p.blob_done(&b, true);
        let m = RawManifest::new(
            br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.to_vec(),
            Some("application/vnd.oci.image.manifest.v1+json"),
        )
            .unwrap_or_else(|e| panic!("{e}"));
        p.manifest_done(&m);
        p.blob_start(&c, "layer");
        p.blob_bytes(1000);
        // An error comes now: the bar's line is ended first.
        p.end_line();
        let screen = sink.screen();
        assert!(
            screen[0].contains("done") && screen[0].starts_with("layer"),
            "{screen:?}"
        );
        assert!(
            screen[1].contains("exists") && !screen[1].contains("/s"),
            "{screen:?}"
        );
        assert!(screen[2].starts_with("manifest sha256:"), "{screen:?}");
        assert!(
            screen[3].starts_with("layer") && screen[3].contains('['),
            "{screen:?}"
        );
        assert_eq!(screen.len(), 5, "every line ended: {screen:?}");
        assert_eq!(screen[4], "");
        for l in &screen {
            assert!(l.chars().count() < 60, "{l:?}");
        }
    }
}
