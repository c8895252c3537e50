//! `--format tty`: findings for people. Each finding is a `path:line:col: CODE level: message`
//! header, the source line with the span underlined (tabs and wide characters accounted for;
//! a span over several lines shows its first line and `...`), an optional help line, and a blank
//! line. A summary line ends the output. Colours only when asked.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthChar;

use super::{display_path, last_line, Counts, OutputOptions};
use crate::lint::{FileReport, Finding, Severity};

/// Tab stops used when showing source lines.
const TAB_WIDTH: usize = 4;

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
    fn new(line: &str) -> DisplayLine {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut text = String::with_capacity(line.len());
        let mut starts = Vec::with_capacity(line.len() + 1);
        let mut col = 0usize;
        for c in line.chars() {
            starts.push(col);
            if c == '\t' {
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

/// The 1-based line `n` of `source`, if it exists.
fn source_line(source: &str, n: u32) -> Option<&str> {
    if n == 0 {
        return None;
    }
    let line = source.split('\n').nth((n - 1) as usize)?;
    // A final empty "line" after the last newline is not a line of the file.
    if line.is_empty() && source.ends_with('\n') && source.split('\n').count() == n as usize {
        return None;
    }
    Some(line)
}

/// Writes the excerpt of one finding: gutter, source line, underline, `...` for more lines.
fn excerpt(w: &mut dyn Write, source: &str, f: &Finding, st: &Styles) -> io::Result<()> {
    let start = f.span.start;
    let Some(line) = source_line(source, start.line) else {
        return Ok(());
    };
    let shown = DisplayLine::new(line);
    let end_line = last_line(&f.span);
    let from = shown.column(start.column);
    let to = if end_line > start.line || f.span.end.line > start.line {
        shown.width()
    } else {
        shown.column(f.span.end.column)
    };
    let carets = to.saturating_sub(from).max(1);
    let num = start.line.to_string();
    let pad = " ".repeat(num.len());
    let g = st.gutter;
    let lv = st.level(f.level);
    writeln!(w, "{g}{num} |{g:#} {}", shown.text)?;
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
    source: &str,
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
    excerpt(w, source, f, st)?;
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
        for f in &r.findings {
            finding(w, &path, &r.source, f, &st)?;
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
        let l = DisplayLine::new("\tRUN 漢x");
        assert_eq!(l.text, "    RUN 漢x");
        assert_eq!(l.column(1), 0);
        assert_eq!(l.column(2), 4);
        assert_eq!(l.column(6), 8);
        assert_eq!(l.column(7), 10);
        assert_eq!(l.column(99), 11);
    }

    #[test]
    fn lines_are_found() {
        assert_eq!(source_line("a\nb\n", 2), Some("b"));
        assert_eq!(source_line("a\nb\n", 3), None);
        assert_eq!(source_line("a\nb\n\n", 3), Some(""));
        assert_eq!(source_line("a", 0), None);
    }
}
