//! `--format tty`: findings for people. Each finding is a `path:line:col: CODE level: message`
//! header, the source line with the span underlined (tabs and wide characters accounted for;
//! a span over several lines shows its first line and `...`), an optional help line, and a blank
//! line. A summary line ends the output. Colours only when asked.
//!
//! A line longer than [`WINDOW`] characters is shown clipped around the span (`…` marks the
//! cut), so one finding costs a bounded amount of output and time whatever the line length;
//! secrets in the shown text are masked with `*` after the characters a redacted form keeps.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthChar;

use super::redact::{is_hidden, within, Masks};
use super::{display_path, last_line, Counts, OutputOptions};
use crate::dockerfile::LineIndex;
use crate::lint::{FileReport, Finding, Severity};

/// Tab stops used when showing source lines.
const TAB_WIDTH: usize = 4;
/// Lines up to this many characters are shown whole; longer ones are clipped to this many.
const WINDOW: usize = 200;
/// Characters shown before the span start in a clipped line.
const BEFORE: usize = 60;

struct Styles {
    path: Style,
    code: Style,
    gutter: Style,
    help: Style,
    error: Style,
    warning: Style,
    info: Style,
    style: Style,
}

impl Styles {
    fn new(color: bool) -> Styles {
        if !color {
            let p = Style::new();
            return Styles {
                path: p,
                code: p,
                gutter: p,
                help: p,
                error: p,
                warning: p,
                info: p,
                style: p,
            };
        }
        let fg = |c: AnsiColor| Style::new().fg_color(Some(c.into()));
        Styles {
            path: Style::new().bold(),
            code: Style::new().bold(),
            gutter: fg(AnsiColor::Blue),
            help: fg(AnsiColor::Cyan).bold(),
            error: fg(AnsiColor::Red).bold(),
            warning: fg(AnsiColor::Yellow).bold(),
            info: fg(AnsiColor::Blue).bold(),
            style: fg(AnsiColor::Magenta).bold(),
        }
    }

    fn level(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
            Severity::Style => self.style,
        }
    }
}

/// A source line prepared for display: the text with tabs expanded and control characters
/// replaced, and the display column where each character starts (plus one entry for the end).
struct DisplayLine {
    text: String,
    starts: Vec<usize>,
}

impl DisplayLine {
    /// Prepares `line`; characters whose byte index `hidden` accepts are shown as `*`.
    fn new(line: &str, hidden: impl Fn(usize) -> bool) -> DisplayLine {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut text = String::with_capacity(line.len());
        let mut starts = Vec::with_capacity(line.len() + 1);
        let mut col = 0usize;
        for (i, c) in line.char_indices() {
            starts.push(col);
            if hidden(i) && !c.is_whitespace() {
                text.push('*');
                col += 1;
            } else if c == '\t' {
                let n = TAB_WIDTH - col % TAB_WIDTH;
                text.extend(std::iter::repeat_n(' ', n));
                col += n;
            } else if c.is_control() {
                text.push('\u{FFFD}');
                col += 1;
            } else {
                text.push(c);
                col += c.width().unwrap_or(0);
            }
        }
        starts.push(col);
        DisplayLine { text, starts }
    }

    /// Display column of 1-based character column `column` (clamped to the end of the line).
    fn column(&self, column: u32) -> usize {
        let i = (column.max(1) - 1) as usize;
        let last = self.starts.len().saturating_sub(1);
        self.starts.get(i.min(last)).copied().unwrap_or(0)
    }

    fn width(&self) -> usize {
        self.starts.last().copied().unwrap_or(0)
    }
}

/// The byte range of the 1-based line `n` of `source` (without its newline), if it exists.
fn line_range(source: &str, lines: &LineIndex, n: u32) -> Option<(usize, usize)> {
    let start = lines.line_start(n)?;
    let end = lines
        .line_start(n + 1)
        .map_or(source.len(), |next| next.saturating_sub(1));
    // A final empty "line" after the last newline is not a line of the file.
    if start == source.len() && source.ends_with('\n') {
        return None;
    }
    Some((start, end.max(start)))
}

/// The byte offset of `pos` on the line `start..end`: its offset when that lies on the line,
/// else found from its column.
fn offset_on_line(
    source: &str,
    (start, end): (usize, usize),
    pos: crate::dockerfile::Pos,
) -> usize {
    let off = pos.offset as usize;
    if (start..=end).contains(&off) && source.is_char_boundary(off) {
        return off;
    }
    let text = source.get(start..end).unwrap_or("");
    text.char_indices()
        .nth(pos.column.max(1) as usize - 1)
        .map_or(end, |(i, _)| start + i)
}

/// `n` characters back from `at`, not before `floor`.
fn back_chars(source: &str, at: usize, floor: usize, n: usize) -> usize {
    let head = source.get(floor..at).unwrap_or("");
    head.char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(at, |(i, _)| floor + i)
}

/// `n` characters forward from `at`, not past `ceil`.
fn forward_chars(source: &str, at: usize, ceil: usize, n: usize) -> usize {
    let tail = source.get(at..ceil).unwrap_or("");
    tail.char_indices().nth(n).map_or(ceil, |(i, _)| at + i)
}

/// Writes the excerpt of one finding: gutter, source line (clipped around the span when long,
/// secrets masked), underline, `...` for more lines.
fn excerpt(
    w: &mut dyn Write,
    source: &str,
    lines: &LineIndex,
    masks: &mut Masks,
    f: &Finding,
    st: &Styles,
) -> io::Result<()> {
    let start = f.span.start;
    // An empty source (an empty or undecodable file) has nothing to show.
    if source.is_empty() {
        return Ok(());
    }
    let Some((ls, le)) = line_range(source, lines, start.line) else {
        return Ok(());
    };
    let hidden = masks.line(ls, le);
    let end_line = last_line(&f.span);
    let more_lines = end_line > start.line || f.span.end.line > start.line;
    let long = source
        .get(ls..le)
        .is_some_and(|l| l.chars().nth(WINDOW).is_some());
    let (text, from, to) = if !long {
        let hidden = within(hidden, ls, le);
        let shown = DisplayLine::new(&source[ls..le], |i| is_hidden(hidden, ls + i));
        let from = shown.column(start.column);
        let to = if more_lines {
            shown.width()
        } else {
            shown.column(f.span.end.column)
        };
        (shown.text, from, to)
    } else {
        let a = offset_on_line(source, (ls, le), start);
        let b = if more_lines {
            le
        } else {
            offset_on_line(source, (ls, le), f.span.end).max(a)
        };
        let w0 = back_chars(source, a, ls, BEFORE);
        let w1 = forward_chars(source, w0, le, WINDOW);
        let hidden = within(hidden, w0, w1);
        let shown = DisplayLine::new(&source[w0..w1], |i| is_hidden(hidden, w0 + i));
        let lead = usize::from(w0 > ls);
        let chars_to = |o: usize| source.get(w0..o.min(w1)).map_or(0, |t| t.chars().count());
        let from = lead + shown.starts.get(chars_to(a)).copied().unwrap_or(0);
        let to = lead
            + shown
                .starts
                .get(chars_to(b))
                .copied()
                .unwrap_or(shown.width());
        let mut text = String::with_capacity(shown.text.len() + 8);
        if lead == 1 {
            text.push('…');
        }
        text.push_str(&shown.text);
        if w1 < le {
            text.push('…');
        }
        (text, from, to)
    };
    let carets = to.saturating_sub(from).max(1);
    let num = start.line.to_string();
    let pad = " ".repeat(num.len());
    let g = st.gutter;
    let lv = st.level(f.level);
    writeln!(w, "{g}{num} |{g:#} {text}")?;
    writeln!(
        w,
        "{g}{pad} |{g:#} {}{lv}{}{lv:#}",
        " ".repeat(from),
        "^".repeat(carets)
    )?;
    if end_line > start.line {
        writeln!(w, "{g}{pad} |{g:#} ...")?;
    }
    Ok(())
}

fn finding(
    w: &mut dyn Write,
    path: &str,
    (source, lines, masks): (&str, &LineIndex, &mut Masks),
    f: &Finding,
    st: &Styles,
) -> io::Result<()> {
    let (p, c, lv) = (st.path, st.code, st.level(f.level));
    writeln!(
        w,
        "{p}{path}:{}:{}:{p:#} {c}{}{c:#} {lv}{}{lv:#}: {}",
        f.span.start.line,
        f.span.start.column,
        f.code,
        f.level.as_str(),
        f.message
    )?;
    excerpt(w, source, lines, masks, f, st)?;
    if let Some(help) = &f.help {
        let h = st.help;
        writeln!(w, "  {h}help:{h:#} {help}")?;
    }
    writeln!(w)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn write(
    reports: &[FileReport],
    opts: &OutputOptions,
    w: &mut dyn Write,
) -> io::Result<()> {
    // Nothing was linted (every input failed, or none was found): the errors on stderr say
    // why, and "No problems in 0 files." next to them would read as a success.
    if reports.is_empty() {
        return Ok(());
    }
    let st = Styles::new(opts.color);
    for r in reports {
        let path = display_path(&r.path);
        let lines = LineIndex::new(&r.source);
        let mut masks = Masks::new(r);
        for f in &r.findings {
            finding(w, &path, (&r.source, &lines, &mut masks), f, &st)?;
        }
    }
    let counts = Counts::of(reports);
    let files = plural(reports.len(), "file", "files");
    if counts.total() == 0 {
        writeln!(w, "No problems in {files}.")
    } else {
        let b = Style::new().bold();
        let b = if opts.color { b } else { Style::new() };
        writeln!(
            w,
            "{b}{}{b:#} ({}, {}, {} info, {} style) in {files}",
            plural(counts.total(), "problem", "problems"),
            plural(counts.error, "error", "errors"),
            plural(counts.warning, "warning", "warnings"),
            counts.info,
            counts.style,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_and_wide_characters_shift_columns() {
        let l = DisplayLine::new("\tRUN 漢x", |_| false);
        assert_eq!(l.text, "    RUN 漢x");
        assert_eq!(l.column(1), 0);
        assert_eq!(l.column(2), 4);
        assert_eq!(l.column(6), 8);
        assert_eq!(l.column(7), 10);
        assert_eq!(l.column(99), 11);
    }

    #[test]
    fn lines_are_found() {
        let range = |s: &str, n| line_range(s, &LineIndex::new(s), n);
        assert_eq!(range("a\nb\n", 2), Some((2, 3)));
        assert_eq!(range("a\nb\n", 3), None);
        assert_eq!(range("a\nb\n\n", 3), Some((4, 4)));
        assert_eq!(range("a", 0), None);
        assert_eq!(range("a\nbc", 2), Some((2, 4)));
    }
}
