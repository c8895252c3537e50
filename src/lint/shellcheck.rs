//! Opt-in ShellCheck over RUN bodies (`hoist lint --shellcheck`).
//!
//! The shell scripts of every RUN run by a POSIX-like shell (shell-form text and heredoc
//! scripts; PowerShell and cmd SHELLs are skipped) are put into one script per ShellCheck
//! dialect, and one `shellcheck -f json1 -s DIALECT -` process checks each, so a Dockerfile
//! usually costs one process. Each RUN becomes a `( … )` group, since every RUN starts a new
//! shell: variables and `exit` do not leak from one RUN to the next. Each group starts with an
//! `export` of the ARG and ENV names in scope, so build arguments are not reported as unassigned
//! (SC2154) while a really undeclared variable still is. ShellCheck's line:column positions are
//! mapped back through the script pieces to the Dockerfile. The RUN of an `ONBUILD RUN` trigger
//! is checked too, as `sh`, with no ARG or ENV names exported: it runs in a child build whose
//! SHELL and variables this file does not know.
//!
//! When ShellCheck cannot parse the combined script (an SC1xxx error stops it at the first
//! one), each RUN is checked on its own instead, so one broken RUN does not hide the others.
//!
//! Excluded codes: SC1090 and SC2187, as hadolint does (a dynamic `source` path needs a
//! directive a Dockerfile cannot carry; ash is checked as dash), and SC1091 (sourced files are
//! never available to follow).
//!
//! If the `shellcheck` binary (or the program named by `HOIST_SHELLCHECK`) cannot be run, or it
//! fails or times out, one info finding `HO0001` at 1:1 says so and the lint goes on.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::ops::Range;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{Category, Context, Diagnostics, Finding, Severity};
use crate::dockerfile::{LineIndex, Pos, Span};

/// Code of the finding reported when ShellCheck cannot be run.
pub const UNAVAILABLE_CODE: &str = "HO0001";

/// How long one ShellCheck process may run.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Codes never reported (see the module documentation).
const EXCLUDED: &str = "SC1090,SC1091,SC2187";

/// Variables every RUN sees without declaring them (BuildKit's predefined proxy ARGs).
const PREDEFINED: &[&str] = &crate::dockerfile::scope::PROXY_ARGS;

/// Errors of one ShellCheck run.
#[derive(Debug, thiserror::Error)]
pub enum ShellcheckError {
    #[error("shellcheck not found; install it or drop --shellcheck")]
    NotFound,
    #[error("could not run shellcheck: {0}")]
    Io(#[from] std::io::Error),
    #[error("shellcheck did not finish within {} s", TIMEOUT.as_secs())]
    Timeout,
    #[error("shellcheck failed (exit status {status}): {stderr}")]
    Failed { status: String, stderr: String },
    #[error("unreadable shellcheck output: {0}")]
    Output(#[from] serde_json::Error),
}

/// Runs ShellCheck on the file's RUN bodies and adds its findings.
pub fn run(cx: &Context, diags: &mut Diagnostics) {
    let program = std::env::var_os("HOIST_SHELLCHECK")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| OsString::from("shellcheck"));
    run_with(cx, diags, &program);
}

/// [`run`] with an explicit ShellCheck program.
pub fn run_with(cx: &Context, diags: &mut Diagnostics, program: &OsString) {
    let mut groups: BTreeMap<&'static str, Vec<SegmentSpec>> = BTreeMap::new();
    for (i, _) in cx.instructions() {
        if !cx.posix_shell_at(i) {
            continue;
        }
        let Some(shell) = cx
            .shell_at(i)
            .and_then(|s| s.first())
            .and_then(|p| dialect(p))
        else {
            continue;
        };
        for (d, spec) in segments_of(cx, i, shell) {
            groups.entry(d).or_default().push(spec);
        }
    }
    for (d, spec) in onbuild_segments(cx) {
        groups.entry(d).or_default().push(spec);
    }
    for (dialect, specs) in groups {
        if specs.is_empty() {
            continue;
        }
        match check_group(cx, program, dialect, &specs) {
            Ok(findings) => findings.into_iter().for_each(|f| diags.push(f)),
            Err(e) => {
                diags.push(unavailable(cx, &e));
                return;
            }
        }
    }
}

/// The ShellCheck dialect for a shell program, `None` for shells ShellCheck cannot check.
fn dialect(program: &str) -> Option<&'static str> {
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    match base {
        "sh" => Some("sh"),
        "bash" => Some("bash"),
        "dash" | "ash" | "busybox" => Some("dash"),
        "ksh" | "mksh" => Some("ksh"),
        _ => None,
    }
}

fn unavailable(cx: &Context, e: &ShellcheckError) -> Finding {
    let pos = Pos {
        line: 1,
        column: 1,
        offset: 0,
    };
    let end = cx.index.pos(cx.source, 0);
    Finding {
        code: Cow::Borrowed(UNAVAILABLE_CODE),
        level: Severity::Info,
        category: Category::Shellcheck,
        message: e.to_string(),
        span: Span::new(pos, end),
        help: Some("ShellCheck findings are missing for this file".into()),
        fix: None,
    }
}

/// How a piece of the generated script maps back to the Dockerfile.
#[derive(Clone, Copy, Debug)]
enum PieceMap {
    /// Bytes of `cx.scripts[instr][script].text`.
    Script { instr: usize, script: usize },
    /// Bytes of `cx.onbuild_scripts[instr][script].text`.
    Onbuild { instr: usize, script: usize },
    /// Source bytes starting at this offset (heredoc data copied verbatim).
    Source { base: usize },
    /// Generated text (newlines, heredoc terminators): not mapped.
    Glue,
}

/// One RUN script to check: its text pieces and the names to export before it.
struct SegmentSpec {
    parts: Vec<(String, PieceMap)>,
    exports: Vec<String>,
}

/// A piece of the generated script.
struct Piece {
    range: Range<usize>,
    map: PieceMap,
}

/// One segment of the generated script: the whole region (wrapper included) and its pieces.
struct Segment {
    range: Range<usize>,
    pieces: Vec<Piece>,
}

/// The generated script and the map back.
struct Combined {
    text: String,
    segments: Vec<Segment>,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when `text` is nothing but heredoc markers (`<<EOF`, `<<-"EOF"`).
fn only_heredoc_markers(text: &str) -> bool {
    text.split_whitespace().all(|w| w.starts_with("<<"))
}

/// The dialect of a heredoc script: its shebang's shell, else the shell the RUN command starts
/// (`RUN bash <<EOF`), else the SHELL's. `None` when the shebang names a shell ShellCheck does
/// not check (zsh).
fn heredoc_dialect(body: &str, command: Option<&str>, shell: &'static str) -> Option<&'static str> {
    if let Some(shebang) = body.lines().next().and_then(|l| l.strip_prefix("#!")) {
        let words: Vec<&str> = shebang.split_whitespace().collect();
        let prog = match words.as_slice() {
            [env, p, ..] if env.ends_with("/env") => Some(*p),
            [p, ..] => Some(*p),
            [] => None,
        };
        if let Some(p) = prog {
            return dialect(p);
        }
    }
    Some(command.and_then(dialect).unwrap_or(shell))
}

/// The scripts of every `ONBUILD RUN` as `sh` segments exporting only the predefined names.
fn onbuild_segments(cx: &Context) -> Vec<(&'static str, SegmentSpec)> {
    let exports: Vec<String> = PREDEFINED.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    for (instr, scripts) in cx.onbuild_scripts.iter().enumerate() {
        for (script, rs) in scripts.iter().enumerate() {
            let d = if rs.from_heredoc {
                heredoc_dialect(&rs.text, None, "sh")
            } else {
                Some("sh")
            };
            let Some(d) = d.filter(|_| !rs.text.trim().is_empty()) else {
                continue;
            };
            let parts = vec![(rs.text.clone(), PieceMap::Onbuild { instr, script })];
            out.push((
                d,
                SegmentSpec {
                    parts,
                    exports: exports.clone(),
                },
            ));
        }
    }
    out
}

/// The scripts of RUN instruction `i` as segments, each with its dialect (`shell` is the
/// SHELL's).
fn segments_of(cx: &Context, i: usize, shell: &'static str) -> Vec<(&'static str, SegmentSpec)> {
    let Some(scripts) = cx.scripts.get(i) else {
        return Vec::new();
    };
    let Some(ins) = cx.df.instructions.get(i) else {
        return Vec::new();
    };
    let mut names: BTreeSet<String> = PREDEFINED.iter().map(|s| s.to_string()).collect();
    if let Some(vars) = cx.vars.get(i) {
        names.extend(vars.declared.iter().cloned());
        names.extend(vars.values.keys().cloned());
    }
    let exports: Vec<String> = names.into_iter().filter(|n| is_identifier(n)).collect();
    let bodies_are_scripts = scripts.iter().any(|s| s.from_heredoc);
    let command = scripts
        .iter()
        .find(|s| !s.from_heredoc)
        .and_then(|s| s.script.commands.first())
        .and_then(|c| c.words.first())
        .map(|w| w.value.as_str());
    let mut out = Vec::new();
    for (k, rs) in scripts.iter().enumerate() {
        let map = PieceMap::Script {
            instr: i,
            script: k,
        };
        if rs.text.trim().is_empty() {
            continue;
        }
        let mut parts = vec![(rs.text.clone(), map)];
        if !rs.from_heredoc && !ins.heredocs.is_empty() {
            if bodies_are_scripts && only_heredoc_markers(&rs.text) {
                // Only heredoc markers: the bodies are the scripts, checked on their own.
                continue;
            }
            if rs.text.contains("<<") {
                // The heredocs are data of this command: append them as the shell reads them.
                // Bodies that are checked as scripts of their own are left empty here.
                let mut glue = String::from("\n");
                for h in &ins.heredocs {
                    let raw = cx.source.get(h.body_span.range()).unwrap_or("");
                    if !bodies_are_scripts && !raw.is_empty() {
                        parts.push((std::mem::take(&mut glue), PieceMap::Glue));
                        let mut body = raw.to_string();
                        if !body.ends_with('\n') {
                            body.push('\n');
                        }
                        let base = h.body_span.start.offset as usize;
                        parts.push((body, PieceMap::Source { base }));
                    }
                    glue.push_str(&h.name);
                    glue.push('\n');
                }
                parts.push((glue, PieceMap::Glue));
            }
        }
        let d = if rs.from_heredoc {
            match heredoc_dialect(&rs.text, command, shell) {
                Some(d) => d,
                None => continue,
            }
        } else {
            shell
        };
        out.push((
            d,
            SegmentSpec {
                parts,
                exports: exports.clone(),
            },
        ));
    }
    out
}

/// Builds the script for `specs`; `isolate` wraps each segment in a subshell group.
fn combine(specs: &[&SegmentSpec], isolate: bool) -> Combined {
    let mut text = String::new();
    let mut segments = Vec::new();
    for spec in specs {
        let begin = text.len();
        if isolate {
            text.push_str("(\n");
        }
        if !spec.exports.is_empty() {
            text.push_str("export");
            for n in &spec.exports {
                text.push(' ');
                text.push_str(n);
            }
            text.push('\n');
        }
        let mut pieces = Vec::new();
        for (part, map) in &spec.parts {
            let start = text.len();
            text.push_str(part);
            if !matches!(map, PieceMap::Glue) && !part.is_empty() {
                pieces.push(Piece {
                    range: start..text.len(),
                    map: *map,
                });
            }
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
        if isolate {
            text.push_str(")\n");
        }
        segments.push(Segment {
            range: begin..text.len(),
            pieces,
        });
    }
    Combined { text, segments }
}

/// One comment of ShellCheck's `json1` output.
#[derive(Debug, Deserialize)]
struct Comment {
    line: u32,
    #[serde(rename = "endLine")]
    end_line: u32,
    column: u32,
    #[serde(rename = "endColumn")]
    end_column: u32,
    level: String,
    code: u32,
    message: String,
}

#[derive(Debug, Deserialize)]
struct Output {
    comments: Vec<Comment>,
}

fn is_parse_error(c: &Comment) -> bool {
    (1000..2000).contains(&c.code) && c.level == "error"
}

/// Checks one dialect group: the combined script, or each segment alone if it does not parse.
fn check_group(
    cx: &Context,
    program: &OsString,
    dialect: &str,
    specs: &[SegmentSpec],
) -> Result<Vec<Finding>, ShellcheckError> {
    let all: Vec<&SegmentSpec> = specs.iter().collect();
    let combined = combine(&all, true);
    let comments = shellcheck(program, dialect, &combined.text)?;
    if !comments.iter().any(is_parse_error) {
        let comments = fix_cross_segment(&combined, comments);
        return Ok(to_findings(cx, &combined, &comments));
    }
    let mut out = Vec::new();
    for spec in specs {
        let one = combine(&[spec], false);
        let comments = shellcheck(program, dialect, &one.text)?;
        out.extend(to_findings(cx, &one, &comments));
    }
    Ok(out)
}

/// Index of the segment holding line `line` of the combined script.
fn segment_of_line(combined: &Combined, index: &LineIndex, line: u32) -> Option<usize> {
    let off = index.line_start(line)?;
    combined
        .segments
        .iter()
        .position(|s| s.range.contains(&off))
}

/// Undoes what the subshell groups add: a variable set in one RUN and used in another shows up
/// as SC2030/SC2031 (modified in a subshell). Checked alone, the RUN that uses it would get
/// SC2154 (referenced but not assigned, for names with a lower-case letter), and the RUN that
/// sets it nothing. Pairs within one segment are real and kept.
fn fix_cross_segment(combined: &Combined, comments: Vec<Comment>) -> Vec<Comment> {
    let index = LineIndex::new(&combined.text);
    let var_of = |c: &Comment| -> Option<String> {
        match c.code {
            2030 => c
                .message
                .strip_prefix("Modification of ")
                .and_then(|m| m.split(" is local").next())
                .map(str::to_string),
            2031 => c.message.split(" was modified").next().map(str::to_string),
            _ => None,
        }
    };
    let mut set: HashSet<(usize, String)> = HashSet::new();
    let mut used: HashSet<(usize, String)> = HashSet::new();
    for c in &comments {
        let (Some(v), Some(seg)) = (var_of(c), segment_of_line(combined, &index, c.line)) else {
            continue;
        };
        if c.code == 2030 {
            set.insert((seg, v));
        } else {
            used.insert((seg, v));
        }
    }
    let mut out = Vec::new();
    let mut seen_2154: HashSet<(u32, u32)> = HashSet::new();
    for mut c in comments {
        let key = var_of(&c).zip(segment_of_line(combined, &index, c.line));
        match (c.code, key) {
            (2030, Some((v, seg))) if !used.contains(&(seg, v.clone())) => continue,
            (2031, Some((v, seg))) if !set.contains(&(seg, v.clone())) => {
                if !v.chars().any(|ch| ch.is_ascii_lowercase())
                    || !seen_2154.insert((c.line, c.column))
                {
                    continue;
                }
                c.code = 2154;
                c.level = "warning".into();
                c.message = format!("{v} is referenced but not assigned.");
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Byte offset in `text` of ShellCheck's 1-based `line`:`column` (characters, tab = 1).
fn offset_of(text: &str, index: &LineIndex, line: u32, column: u32) -> usize {
    let Some(start) = index.line_start(line) else {
        return text.len();
    };
    let rest = text.get(start..).unwrap_or("");
    let mut off = start;
    for (n, ch) in rest.chars().enumerate() {
        if n + 1 >= column as usize || ch == '\n' {
            break;
        }
        off += ch.len_utf8();
    }
    off
}

/// Maps ShellCheck comments on `combined` to findings in the Dockerfile.
fn to_findings(cx: &Context, combined: &Combined, comments: &[Comment]) -> Vec<Finding> {
    let index = LineIndex::new(&combined.text);
    let mut out = Vec::new();
    for c in comments {
        let s = offset_of(&combined.text, &index, c.line, c.column);
        let e = offset_of(&combined.text, &index, c.end_line, c.end_column).max(s);
        let Some(span) = map_range(cx, combined, s, e) else {
            continue;
        };
        let level = match c.level.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            _ => Severity::Style,
        };
        out.push(Finding {
            code: Cow::Owned(format!("SC{}", c.code)),
            level,
            category: Category::Shellcheck,
            message: c.message.clone(),
            span,
            help: None,
            fix: None,
        });
    }
    out
}

/// The Dockerfile span of bytes `s..e` of the combined script. A position after a piece (the
/// closing group, heredoc terminators, end of input) moves to the piece's last character; one
/// before the first piece (the generated `export` line) is about hoist's own text: `None`.
fn map_range(cx: &Context, combined: &Combined, s: usize, e: usize) -> Option<Span> {
    let seg = combined
        .segments
        .iter()
        .find(|g| g.range.contains(&s))
        .or_else(|| combined.segments.last())?;
    let piece = seg
        .pieces
        .iter()
        .find(|p| p.range.contains(&s))
        .or_else(|| seg.pieces.iter().rev().find(|p| p.range.end <= s))?;
    let len = piece.range.len();
    let (rs, re) = if piece.range.contains(&s) {
        let rs = s - piece.range.start;
        (rs, e.min(piece.range.end) - piece.range.start)
    } else {
        // After the piece (e.g. "unexpected end of file"): its last character.
        (len.saturating_sub(1), len)
    };
    let re = re.max(rs);
    match piece.map {
        PieceMap::Script { instr, script } => {
            let rs_script = cx.scripts.get(instr)?.get(script)?;
            Some(cx.script_span(rs_script, rs, re))
        }
        PieceMap::Onbuild { instr, script } => {
            let rs_script = cx.onbuild_scripts.get(instr)?.get(script)?;
            Some(cx.script_span(rs_script, rs, re))
        }
        PieceMap::Source { base } => {
            let a = base + rs;
            let b = (base + re).max(a + 1);
            Some(cx.span(a, b))
        }
        PieceMap::Glue => None,
    }
}

/// Runs ShellCheck on `script` and returns its comments.
fn shellcheck(
    program: &OsString,
    dialect: &str,
    script: &str,
) -> Result<Vec<Comment>, ShellcheckError> {
    let child = Command::new(program)
        .args(["--norc", "-f", "json1", "-s", dialect, "-e", EXCLUDED, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ShellcheckError::NotFound)
        }
        Err(e) => return Err(e.into()),
    };
    let (stdout, stderr, status) = communicate(&mut child, script.as_bytes().to_vec())?;
    // Exit status 1 means "comments were found"; anything else with no JSON is a failure.
    let code = status.code();
    if !matches!(code, Some(0) | Some(1)) {
        return Err(ShellcheckError::Failed {
            status: code.map_or_else(|| "killed".to_string(), |c| c.to_string()),
            stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
        });
    }
    let out: Output = serde_json::from_slice(&stdout)?;
    Ok(out.comments)
}

/// Feeds `input` to the child and collects its output, killing it after [`TIMEOUT`].
fn communicate(
    child: &mut Child,
    input: Vec<u8>,
) -> Result<(Vec<u8>, Vec<u8>, std::process::ExitStatus), ShellcheckError> {
    let stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A child that exits early closes the pipe; its status tells what happened.
            let _ = stdin.write_all(&input);
        }
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = writer.join();
            let _ = out.join();
            let _ = err.join();
            return Err(ShellcheckError::Timeout);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok((stdout, stderr, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects() {
        assert_eq!(dialect("/bin/sh"), Some("sh"));
        assert_eq!(dialect("/usr/bin/bash"), Some("bash"));
        assert_eq!(dialect("ash"), Some("dash"));
        assert_eq!(dialect("mksh"), Some("ksh"));
        assert_eq!(dialect("zsh"), None);
        assert_eq!(dialect("pwsh"), None);
    }

    #[test]
    fn offsets_count_characters_and_tabs_as_one() {
        let text = "(\n\techo é $1\n)\n";
        let idx = LineIndex::new(text);
        let off = offset_of(text, &idx, 2, 9);
        assert_eq!(&text[off..off + 2], "$1");
        // Past the end of a line clamps to its newline; past the last line to the end.
        assert_eq!(offset_of(text, &idx, 1, 50), 1);
        assert_eq!(offset_of(text, &idx, 9, 1), text.len());
    }

    #[test]
    fn combined_script_layout() {
        let a = SegmentSpec {
            parts: vec![(
                "echo $a".into(),
                PieceMap::Script {
                    instr: 1,
                    script: 0,
                },
            )],
            exports: vec!["A".into(), "b".into()],
        };
        let b = SegmentSpec {
            parts: vec![(
                "exit 0\n".into(),
                PieceMap::Script {
                    instr: 2,
                    script: 0,
                },
            )],
            exports: vec![],
        };
        let c = combine(&[&a, &b], true);
        assert_eq!(c.text, "(\nexport A b\necho $a\n)\n(\nexit 0\n)\n");
        assert_eq!(c.segments.len(), 2);
        assert_eq!(&c.text[c.segments[0].pieces[0].range.clone()], "echo $a");
        assert_eq!(&c.text[c.segments[1].pieces[0].range.clone()], "exit 0\n");
        assert_eq!(c.segments[1].range.end, c.text.len());
    }

    #[test]
    fn heredoc_dialects() {
        assert_eq!(
            heredoc_dialect("#!/bin/bash\necho", None, "sh"),
            Some("bash")
        );
        assert_eq!(
            heredoc_dialect("#!/usr/bin/env bash\n", None, "sh"),
            Some("bash")
        );
        assert_eq!(heredoc_dialect("echo\n", Some("bash"), "sh"), Some("bash"));
        assert_eq!(heredoc_dialect("echo\n", Some("apk"), "dash"), Some("dash"));
        assert_eq!(heredoc_dialect("#!/bin/zsh\n", None, "sh"), None);
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("_A1"));
        assert!(!is_identifier("1A"));
        assert!(!is_identifier("A-B"));
        assert!(!is_identifier(""));
    }
}

#[cfg(test)]
mod run_tests {
    use std::path::Path;

    use super::*;
    use crate::lint::config::LintOptions;

    #[test]
    fn missing_binary_is_one_info_finding() {
        let src = "FROM alpine:3.20\nRUN echo $1\nRUN echo $2\n";
        let df = crate::dockerfile::parse(src);
        let opts = LintOptions::default();
        let cx = Context::new(Path::new("Dockerfile"), src, &df, &opts);
        let mut diags = Diagnostics::new();
        run_with(
            &cx,
            &mut diags,
            &OsString::from("/nonexistent/hoist-test-shellcheck"),
        );
        assert_eq!(diags.findings.len(), 1, "{:?}", diags.findings);
        let f = &diags.findings[0];
        assert_eq!(f.code, UNAVAILABLE_CODE);
        assert_eq!(f.level, Severity::Info);
        assert_eq!((f.span.start.line, f.span.start.column), (1, 1));
        assert!(f.message.contains("shellcheck not found"));
    }

    #[test]
    fn nothing_to_check_runs_nothing() {
        let src = "FROM alpine:3.20\nRUN [\"echo\", \"$1\"]\n";
        let df = crate::dockerfile::parse(src);
        let opts = LintOptions::default();
        let cx = Context::new(Path::new("Dockerfile"), src, &df, &opts);
        let mut diags = Diagnostics::new();
        run_with(
            &cx,
            &mut diags,
            &OsString::from("/nonexistent/hoist-test-shellcheck"),
        );
        assert!(diags.findings.is_empty());
    }
}
