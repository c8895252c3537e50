//! The live TTY view of `--progress tty`, like buildx's: finished steps collapse to one line
//! each (printed once, above), and a block below them is redrawn in place with each running
//! step, its elapsed time and the last lines of its RUN output. Every line is cut to the
//! terminal width so nothing wraps (a wrapped line would break the cursor arithmetic of the
//! redraw). [`Screen`] is the state and the renderer; it writes to any `Write` and takes the
//! time as an argument, so a test can render it on a fake terminal.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::time::Instant;

use super::{Event, TTY_TAIL};

struct Running {
    title: String,
    started: Instant,
    tail: VecDeque<String>,
}

/// What the terminal shows and how to redraw it.
pub struct Screen {
    width: usize,
    running: BTreeMap<usize, Running>,
    /// Lines of the block drawn last time (to move up over and clear).
    drawn: usize,
    /// Lines to print once above the block before the next draw: text (cut to fit) and a
    /// suffix that is always shown (` DONE 1.2s`).
    pending: Vec<(String, String)>,
}

/// `s` without control characters (an escape sequence or `\r` in RUN output would move the
/// cursor), cut to `width` characters with `…` when longer.
fn fit(s: &str, width: usize) -> String {
    let clean: Vec<char> = s
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    if clean.len() <= width {
        return clean.into_iter().collect();
    }
    let mut out: String = clean.into_iter().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

impl Screen {
    /// A screen `width` columns wide (at least 20).
    pub fn new(width: usize) -> Screen {
        Screen {
            width: width.max(20),
            running: BTreeMap::new(),
            drawn: 0,
            pending: Vec::new(),
        }
    }

    /// Take one event into the state.
    pub fn event(&mut self, e: Event, now: Instant) {
        match e {
            Event::Note { text } => self.pending.push((text, String::new())),
            Event::Warning { text } => self
                .pending
                .push((format!("WARNING: {text}"), String::new())),
            Event::Start {
                id,
                stage,
                index,
                total,
                text,
            } => {
                self.running.insert(
                    id,
                    Running {
                        title: format!("#{id} [{stage} {index}/{total}] {text}"),
                        started: now,
                        tail: VecDeque::new(),
                    },
                );
            }
            Event::Output { id, line } => {
                if let Some(r) = self.running.get_mut(&id) {
                    r.tail.push_back(line);
                    if r.tail.len() > TTY_TAIL {
                        r.tail.pop_front();
                    }
                }
            }
            Event::Cached { id } => {
                if let Some(r) = self.running.remove(&id) {
                    self.pending.push((r.title, " CACHED".into()));
                }
            }
            Event::Done { id, seconds } => {
                if let Some(r) = self.running.remove(&id) {
                    self.pending.push((r.title, format!(" DONE {seconds:.1}s")));
                }
            }
            Event::Error { id, message } => {
                if let Some(r) = self.running.remove(&id) {
                    self.pending.push((r.title, " ERROR".into()));
                    self.pending.extend(
                        r.tail
                            .into_iter()
                            .map(|l| (format!("#{id} {l}"), String::new())),
                    );
                }
                self.pending
                    .push((format!("#{id} ERROR: {message}"), String::new()));
            }
        }
    }

    /// Redraw: move up over the old block, clear it, print what finished, then the block of
    /// running steps (elapsed time as of `now`).
    pub fn draw(&mut self, out: &mut dyn Write, now: Instant) -> std::io::Result<()> {
        let mut buf = String::new();
        if self.drawn > 0 {
            buf.push_str(&format!("\x1b[{}A", self.drawn));
        }
        buf.push_str("\r\x1b[J");
        for (text, suffix) in self.pending.drain(..) {
            let room = self.width.saturating_sub(suffix.chars().count());
            buf.push_str(&fit(&text, room));
            buf.push_str(&suffix);
            buf.push('\n');
        }
        let mut lines = 0;
        for (id, r) in &self.running {
            let secs = now.saturating_duration_since(r.started).as_secs_f64();
            let time = format!(" {secs:.1}s");
            let room = self.width.saturating_sub(time.chars().count());
            buf.push_str(&fit(&r.title, room));
            buf.push_str(&time);
            buf.push('\n');
            lines += 1;
            for l in &r.tail {
                buf.push_str(&fit(&format!("#{id} {l}"), self.width));
                buf.push('\n');
                lines += 1;
            }
        }
        self.drawn = lines;
        out.write_all(buf.as_bytes())?;
        out.flush()
    }

    /// Whether steps are still running (the ticker redraws only then).
    pub fn busy(&self) -> bool {
        !self.running.is_empty()
    }
}

/// The width of the terminal on stderr (`COLUMNS`, else 80, when it cannot be asked).
pub fn stderr_width() -> usize {
    let fd = std::io::stderr();
    match rustix::termios::tcgetwinsize(&fd) {
        Ok(ws) if ws.ws_col > 0 => usize::from(ws.ws_col),
        _ => std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(80),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A fake terminal: interprets the renderer's output (cursor up, carriage return, clear
    /// to the end of the screen, newlines) into the rows it would show, and fails on a row
    /// wider than the terminal.
    struct Term {
        width: usize,
        rows: Vec<String>,
        cursor: usize,
    }

    impl Term {
        fn feed(&mut self, bytes: &[u8]) {
            let s = std::str::from_utf8(bytes).unwrap();
            let mut chars = s.chars().peekable();
            let mut col = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\x1b' => {
                        assert_eq!(chars.next(), Some('['));
                        let mut n = String::new();
                        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                            n.push(d);
                            chars.next();
                        }
                        match chars.next() {
                            Some('A') => {
                                self.cursor -= n.parse::<usize>().unwrap();
                            }
                            Some('J') => self.rows.truncate(self.cursor),
                            other => panic!("unexpected escape {other:?}"),
                        }
                    }
                    '\r' => col.clear(),
                    '\n' => {
                        assert!(
                            col.chars().count() <= self.width,
                            "row wider than {}: {col:?}",
                            self.width
                        );
                        if self.cursor < self.rows.len() {
                            self.rows[self.cursor] = std::mem::take(&mut col);
                        } else {
                            self.rows.push(std::mem::take(&mut col));
                        }
                        self.cursor += 1;
                    }
                    c => col.push(c),
                }
            }
        }
    }

    fn start(id: usize, text: &str) -> Event {
        Event::Start {
            id,
            stage: "build".into(),
            index: id,
            total: 3,
            text: text.into(),
        }
    }

    #[test]
    fn running_steps_redraw_in_place_and_collapse_when_done() {
        let t0 = Instant::now();
        let mut screen = Screen::new(40);
        let mut term = Term {
            width: 40,
            rows: Vec::new(),
            cursor: 0,
        };
        let mut step = |screen: &mut Screen, e: Option<Event>, secs: u64| {
            let now = t0 + Duration::from_secs(secs);
            if let Some(e) = e {
                screen.event(e, now);
            }
            let mut out = Vec::new();
            screen.draw(&mut out, now).unwrap();
            term.feed(&out);
            term.rows.clone()
        };
        step(
            &mut screen,
            Some(Event::Note {
                text: "isolation: namespaces".into(),
            }),
            0,
        );
        step(&mut screen, Some(start(1, "FROM busybox")), 0);
        let rows = step(
            &mut screen,
            Some(start(
                2,
                "RUN make -j4 all install && echo a very long line",
            )),
            0,
        );
        assert_eq!(
            rows,
            vec![
                "isolation: namespaces",
                "#1 [build 1/3] FROM busybox 0.0s",
                "#2 [build 2/3] RUN make -j4 all in… 0.0s",
            ]
        );
        for i in 0..8 {
            step(
                &mut screen,
                Some(Event::Output {
                    id: 2,
                    line: format!("line {i}\twith\x1b[31m colour"),
                }),
                1,
            );
        }
        let rows = step(&mut screen, Some(Event::Cached { id: 1 }), 2);
        assert_eq!(rows[1], "#1 [build 1/3] FROM busybox CACHED");
        assert_eq!(rows[2], "#2 [build 2/3] RUN make -j4 all in… 2.0s");
        // The last TTY_TAIL lines of output, control characters removed.
        assert_eq!(rows.len(), 3 + TTY_TAIL);
        assert_eq!(rows[3], "#2 line 2 with[31m colour");
        assert_eq!(rows.last().unwrap(), "#2 line 7 with[31m colour");
        // A tick only updates the time.
        let rows = step(&mut screen, None, 5);
        assert_eq!(rows[2], "#2 [build 2/3] RUN make -j4 all in… 5.0s");
        // Done: one summary line, the output block is gone.
        let rows = step(
            &mut screen,
            Some(Event::Done {
                id: 2,
                seconds: 5.0,
            }),
            5,
        );
        assert_eq!(
            rows,
            vec![
                "isolation: namespaces",
                "#1 [build 1/3] FROM busybox CACHED",
                "#2 [build 2/3] RUN make -j4 a… DONE 5.0s",
            ]
        );
        assert!(!screen.busy());
        // A failure keeps its output.
        step(&mut screen, Some(start(3, "RUN false")), 5);
        step(
            &mut screen,
            Some(Event::Output {
                id: 3,
                line: "boom".into(),
            }),
            5,
        );
        let rows = step(
            &mut screen,
            Some(Event::Error {
                id: 3,
                message: "exit code 1".into(),
            }),
            6,
        );
        assert_eq!(
            rows[3..],
            [
                "#3 [build 3/3] RUN false ERROR",
                "#3 boom",
                "#3 ERROR: exit code 1"
            ]
        );
    }

    #[test]
    fn fit_cuts_to_the_width() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit("a\rb\x07c", 10), "abc");
        assert_eq!(fit("ééééé", 3), "éé…");
    }
}
