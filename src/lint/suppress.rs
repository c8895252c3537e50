//! Suppression pragmas: comments that silence findings.
//!
//! - `# hadolint ignore=DL3006,DL3008` or `# hoist ignore=…` in the block of comment lines
//!   directly above an instruction (no blank line between) silences those codes on every line of
//!   that instruction, heredoc bodies included. Text after the code list (`# reason`) is allowed.
//! - `# trivy:ignore:DS002` (also `DS-0002`, `AVD-DS-0002`) works the same way, one id per line.
//! - `# hadolint global ignore=…` / `# hoist global ignore=…` anywhere: the whole file.
//! - `# hadolint stage ignore=…` / `# hoist stage ignore=…`: from the pragma to the end of the
//!   current stage. A stage pragma with no instruction between it and the next `FROM` (placed
//!   above that `FROM`, or before the first one) covers the stage that `FROM` starts.
//! - BuildKit's check configuration, read by [`check_config`]: the `# check=skip=A,B;error=true;
//!   experimental=C` directive (or `--build-arg BUILDKIT_DOCKERFILE_CHECK=…`, which replaces it),
//!   and `# check=` comments above one instruction: `skip` silences the named checks
//!   (`skip=all`: every finding of a rule that is also a BuildKit check), `experimental` turns on
//!   experimental checks, `error=true` raises the findings of BuildKit-equivalent rules to
//!   `error`. A configuration BuildKit refuses is a DL1000 finding.
//!
//! Codes match through aliases ([`registry::code_matches`]), so `ignore=JSONArgsRecommended` and
//! `ignore=DL3025` are the same. With `disable-ignore-pragma`, the hadolint, hoist and Trivy
//! comments are not honoured; the `# check=` directive still is, because it is build
//! configuration that BuildKit itself obeys, not a lint pragma.

use super::check_config::{self, CheckConfig, CheckOptionError, Origin};
use super::{registry, Context, Finding, Severity};
use crate::dockerfile::{Instruction, Keyword, Span};

/// BuildKit's build-check names (the names `# check=skip=` accepts).
pub const BUILDKIT_CHECKS: &[&str] = &[
    "StageNameCasing",
    "FromAsCasing",
    "NoEmptyContinuation",
    "ConsistentInstructionCasing",
    "FileConsistentCommandCasing",
    "SelfConsistentCommandCasing",
    "DuplicateStageName",
    "ReservedStageName",
    "JSONArgsRecommended",
    "MaintainerDeprecated",
    "UndefinedArgInFrom",
    "WorkdirRelativePath",
    "UndefinedVar",
    "MultipleInstructionsDisallowed",
    "LegacyKeyValueFormat",
    "RedundantTargetPlatform",
    "SecretsUsedInArgOrEnv",
    "InvalidDefaultArgInFrom",
    "FromPlatformFlagConstDisallowed",
    "CopyIgnoredFile",
    "InvalidDefinitionDescription",
    "ExposeProtoCasing",
    "ExposeInvalidFormat",
    "InvalidBaseImagePlatform",
];

/// Which tool's spelling a pragma uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Hadolint,
    Hoist,
    Trivy,
}

/// What a pragma covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The next instruction.
    Inline,
    /// The rest of the current stage.
    Stage,
    /// The whole file.
    Global,
}

/// A parsed ignore pragma.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pragma {
    pub tool: Tool,
    pub scope: Scope,
    pub codes: Vec<String>,
}

/// Parses one comment (with or without its leading `#`) as an ignore pragma.
pub fn parse_pragma(comment: &str) -> Option<Pragma> {
    let text = comment.trim_start();
    let text = text.strip_prefix('#').unwrap_or(text).trim_start();
    if let Some(rest) = strip_prefix_ci(text, "trivy:ignore:") {
        let id: String = rest.chars().take_while(|c| is_code_char(*c)).collect();
        return (!id.is_empty()).then(|| Pragma {
            tool: Tool::Trivy,
            scope: Scope::Inline,
            codes: vec![id],
        });
    }
    let (tool, rest) = if let Some(r) = strip_word(text, "hadolint") {
        (Tool::Hadolint, r)
    } else if let Some(r) = strip_word(text, "hoist") {
        (Tool::Hoist, r)
    } else {
        return None;
    };
    let (scope, rest) = if let Some(r) = strip_word(rest, "global") {
        (Scope::Global, r)
    } else if let Some(r) = strip_word(rest, "stage") {
        (Scope::Stage, r)
    } else {
        (Scope::Inline, rest)
    };
    let rest = strip_prefix_ci(rest, "ignore")?.trim_start();
    let rest = rest.strip_prefix('=')?;
    let codes = parse_code_list(rest);
    (!codes.is_empty()).then_some(Pragma { tool, scope, codes })
}

fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Strips `word` followed by at least one space or tab; returns the rest, left-trimmed.
fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let rest = strip_prefix_ci(s, word)?;
    rest.starts_with([' ', '\t']).then(|| rest.trim_start())
}

/// `A, B,C trailing words` → `[A, B, C]`: codes separated by commas (spaces around them allowed);
/// the list ends at the first code not followed by a comma.
fn parse_code_list(s: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut rest = s.trim_start();
    loop {
        let len = rest.find(|c: char| !is_code_char(c)).unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        codes.push(rest[..len].to_string());
        let after = rest[len..].trim_start();
        match after.strip_prefix(',') {
            Some(r) => rest = r.trim_start(),
            None => break,
        }
    }
    codes
}

/// A comment line of the file (not a line of a heredoc body).
#[derive(Clone, Debug)]
pub struct CommentLine {
    /// 1-based line number.
    pub line: u32,
    /// Byte range of the comment, from `#` to the end of the line (no newline).
    pub start: usize,
    pub end: usize,
}

impl CommentLine {
    pub fn text<'s>(&self, source: &'s str) -> &'s str {
        source.get(self.start..self.end).unwrap_or("")
    }
}

/// Last line an instruction occupies (its span's end is exclusive).
pub(crate) fn last_line(span: &Span) -> u32 {
    if span.end.column == 1 && span.end.line > span.start.line {
        span.end.line - 1
    } else {
        span.end.line.max(span.start.line)
    }
}

/// Every line whose first non-blank character is `#`, outside heredoc bodies, as a table indexed
/// by line number (index 0 unused).
pub fn comment_lines(cx: &Context) -> Vec<Option<CommentLine>> {
    let src = cx.source;
    let mut in_heredoc = vec![false; cx.index.line_count() + 2];
    for ins in &cx.df.instructions {
        for h in &ins.heredocs {
            let first = h.body_span.start.line;
            let last = match &h.terminator_span {
                Some(t) => t.start.line.saturating_sub(1),
                None => cx.index.line_count() as u32,
            };
            for l in first..=last {
                if let Some(slot) = in_heredoc.get_mut(l as usize) {
                    *slot = true;
                }
            }
        }
    }
    let mut out = vec![None];
    let mut offset = 0usize;
    for (i, raw) in src.split('\n').enumerate() {
        let line = i as u32 + 1;
        let content = raw.strip_suffix('\r').unwrap_or(raw);
        let bom = if i == 0 && content.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        let lead = content.len() - content[bom..].trim_start().len();
        let is_comment = content[lead..].starts_with('#')
            && !in_heredoc.get(line as usize).copied().unwrap_or(false);
        out.push(is_comment.then(|| CommentLine {
            line,
            start: offset + lead,
            end: offset + content.len(),
        }));
        offset += raw.len() + 1;
    }
    out
}

/// The comment lines directly above line `line` (nearest first), stopping at the first line
/// that is not a comment.
fn block_above(comments: &[Option<CommentLine>], line: u32) -> impl Iterator<Item = &CommentLine> {
    (1..line)
        .rev()
        .map_while(move |l| comments.get(l as usize).and_then(|c| c.as_ref()))
}

/// A line range with the codes silenced in it.
struct Region {
    first: u32,
    last: u32,
    codes: Vec<String>,
}

/// True when the finding's rule is also one of BuildKit's checks.
pub fn is_buildkit_check(code: &str) -> bool {
    buildkit_name(code).is_some()
}

/// The BuildKit check name of a finding's rule (`None` for rules that are not BuildKit checks).
pub fn buildkit_name(code: &str) -> Option<&'static str> {
    let known = |n: &str| {
        BUILDKIT_CHECKS
            .iter()
            .find(|b| b.eq_ignore_ascii_case(n))
            .copied()
    };
    match registry::find(code) {
        Some(rule) => rule.meta.aliases.iter().find_map(|a| known(a)),
        None => known(code),
    }
}

/// The finding BuildKit's refusal of a check configuration becomes (it fails the build).
fn invalid_check_finding(cx: &Context, origin: Origin, e: &CheckOptionError) -> Finding {
    let (span, what) = match origin {
        Origin::Directive(line) => (
            cx.df
                .directives
                .iter()
                .find(|d| d.span.start.line == line)
                .map(|d| d.span)
                .unwrap_or_default(),
            "the `# check=` directive".to_string(),
        ),
        _ => (
            {
                let first = crate::dockerfile::Pos {
                    line: 1,
                    column: 1,
                    offset: 0,
                };
                Span::new(first, first)
            },
            format!("--build-arg {}", check_config::CHECK_BUILD_ARG),
        ),
    };
    Finding {
        code: std::borrow::Cow::Borrowed("DL1000"),
        level: Severity::Error,
        category: super::Category::Syntax,
        message: format!("{what}: {e}"),
        span,
        help: Some(
            "use skip=NAME,…|all; error=true|false; experimental=NAME,…|all (BuildKit refuses \
             to build with anything else)"
                .into(),
        ),
        fix: None,
    }
}

/// Removes findings suppressed by pragmas in the file (unless pragmas are disabled), and applies
/// BuildKit's check configuration ([`check_config`]): skipped checks are dropped, experimental
/// checks are kept only where enabled (or enabled with `--enable`), `error=true` raises the
/// remaining BuildKit checks to `error`. A `skip=` naming a non-BuildKit rule (`skip=DL3006`)
/// silences it too, outside BuildKit mode.
pub fn apply(cx: &Context, findings: Vec<Finding>) -> Vec<Finding> {
    let mut regions: Vec<Region> = Vec::new();
    let mut global: Vec<String> = Vec::new();
    if !cx.options.disable_ignore_pragma {
        collect_pragmas(cx, &mut regions, &mut global);
    }
    let (origin, base) = check_config::file_config(cx);
    let mut extra = Vec::new();
    let base = base.unwrap_or_else(|e| {
        extra.push(invalid_check_finding(cx, origin, &e));
        CheckConfig::default()
    });
    let per = check_config::per_instruction(cx, &base);
    let instrs = &cx.df.instructions;
    // Instructions are in line order: the candidate is the last one starting at or before.
    let config_at = |line: u32| -> &CheckConfig {
        let n = instrs.partition_point(|i| i.span.start.line <= line);
        n.checked_sub(1)
            .filter(|&i| line <= last_line(&instrs[i].span))
            .and_then(|i| per.get(i))
            .unwrap_or(&base)
    };
    let matches_any =
        |code: &str, list: &[String]| list.iter().any(|c| registry::code_matches(code, c));
    let enabled = |code: &str| {
        registry::find(code)
            .is_some_and(|r| cx.options.enabled.iter().any(|c| registry::matches(r, c)))
    };
    findings
        .into_iter()
        .filter(|f| {
            let line = f.span.start.line;
            if matches_any(&f.code, &global)
                || regions
                    .iter()
                    .any(|r| r.first <= line && line <= r.last && matches_any(&f.code, &r.codes))
            {
                return false;
            }
            let cfg = config_at(line);
            let named = |c: &String| !cx.options.buildkit && registry::code_matches(&f.code, c);
            match buildkit_name(&f.code) {
                Some(name) if check_config::EXPERIMENTAL_CHECKS.contains(&name) => {
                    cfg.runs(name) || enabled(&f.code)
                }
                Some(name) => cfg.runs(name) && !cfg.skip.iter().any(named),
                None => !cfg.skip.iter().any(named),
            }
        })
        .map(|mut f| {
            if buildkit_name(&f.code).is_some() {
                if base.error {
                    f.level = Severity::Error;
                } else if cx.options.buildkit {
                    // BuildKit reports every check at one level.
                    f.level = Severity::Warning;
                }
            }
            f
        })
        .chain(extra)
        .collect()
}

/// Whether `code` names something a pragma can silence: a rule (code, name or alias), a
/// ShellCheck code, DL1000 or a BuildKit check name.
pub(crate) fn known_code(code: &str) -> bool {
    registry::find(code).is_some()
        || code.eq_ignore_ascii_case("DL1000")
        || code
            .strip_prefix("SC")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || BUILDKIT_CHECKS.iter().any(|b| b.eq_ignore_ascii_case(code))
}

/// A pragma as it takes effect: one naming an unknown code is ignored whole (hadolint's parser
/// rejects such a comment), so a typo cannot silently widen or narrow what is ignored.
fn effective_pragma(text: &str) -> Option<Pragma> {
    parse_pragma(text).filter(|p| p.tool == Tool::Trivy || p.codes.iter().all(|c| known_code(c)))
}

fn collect_pragmas(cx: &Context, regions: &mut Vec<Region>, global: &mut Vec<String>) {
    let comments = comment_lines(cx);
    let instrs: &[Instruction] = &cx.df.instructions;
    let eof = cx.index.line_count() as u32;
    // Inline pragmas: the comment block directly above each instruction.
    for ins in instrs {
        let codes: Vec<String> = block_above(&comments, ins.span.start.line)
            .filter_map(|c| effective_pragma(c.text(cx.source)))
            .filter(|p| p.scope == Scope::Inline)
            .flat_map(|p| p.codes)
            .collect();
        if !codes.is_empty() {
            regions.push(Region {
                first: ins.span.start.line,
                last: last_line(&ins.span),
                codes,
            });
        }
    }
    let from_lines: Vec<u32> = instrs
        .iter()
        .filter(|i| i.keyword == Keyword::From)
        .map(|i| i.span.start.line)
        .collect();
    for c in comments.iter().flatten() {
        let Some(p) = effective_pragma(c.text(cx.source)) else {
            continue;
        };
        match p.scope {
            Scope::Inline => {}
            Scope::Global => global.extend(p.codes),
            Scope::Stage => {
                // A pragma after the last instruction of a stage (or before the first FROM)
                // would cover nothing; it is meant for the stage the next FROM starts.
                let next = instrs.iter().find(|i| i.span.start.line > c.line);
                let leads_into_from = next.is_some_and(|n| n.keyword == Keyword::From);
                let after = match (leads_into_from, next) {
                    (true, Some(n)) => n.span.start.line,
                    _ => c.line,
                };
                let last = from_lines
                    .iter()
                    .find(|&&l| l > after)
                    .map(|l| l - 1)
                    .unwrap_or(eof);
                regions.push(Region {
                    first: c.line,
                    last,
                    codes: p.codes,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::{self, Pos};
    use crate::lint::config::LintOptions;
    use crate::lint::Category;
    use std::borrow::Cow;
    use std::path::Path;

    fn finding(code: &'static str, line: u32) -> Finding {
        let pos = Pos {
            line,
            column: 1,
            offset: 0,
        };
        Finding {
            code: Cow::Borrowed(code),
            level: Severity::Warning,
            category: Category::Style,
            message: String::new(),
            span: Span::new(pos, pos),
            help: None,
            fix: None,
        }
    }

    /// `(code, line)` of the findings left after suppression, for fake findings at `at`.
    fn kept(src: &str, options: &LintOptions, at: &[(&'static str, u32)]) -> Vec<(String, u32)> {
        let df = dockerfile::parse(src);
        let cx = Context::new(Path::new("Dockerfile"), src, &df, options);
        let fs = at.iter().map(|(c, l)| finding(c, *l)).collect();
        apply(&cx, fs)
            .into_iter()
            .map(|f| (f.code.to_string(), f.span.start.line))
            .collect()
    }

    fn kept_default(src: &str, at: &[(&'static str, u32)]) -> Vec<(String, u32)> {
        kept(src, &LintOptions::default(), at)
    }

    fn owned(v: &[(&str, u32)]) -> Vec<(String, u32)> {
        v.iter().map(|(c, l)| (c.to_string(), *l)).collect()
    }

    #[test]
    fn parses_pragmas() {
        assert_eq!(
            parse_pragma("# hadolint ignore=DL3006, DL3008 because reasons"),
            Some(Pragma {
                tool: Tool::Hadolint,
                scope: Scope::Inline,
                codes: vec!["DL3006".into(), "DL3008".into()]
            })
        );
        assert_eq!(
            parse_pragma("hoist global ignore = DL3006").map(|p| p.scope),
            Some(Scope::Global)
        );
        assert_eq!(
            parse_pragma("# hoist stage ignore=DL3006").map(|p| p.scope),
            Some(Scope::Stage)
        );
        assert_eq!(
            parse_pragma("#trivy:ignore:AVD-DS-0002").map(|p| p.codes),
            Some(vec!["AVD-DS-0002".to_string()])
        );
        assert_eq!(parse_pragma("# hadolint ignore="), None);
        assert_eq!(parse_pragma("# hadolintignore=DL3006"), None);
        assert_eq!(parse_pragma("# just a comment"), None);
        assert_eq!(parse_pragma("# hadolint shell=bash"), None);
    }

    #[test]
    fn a_pragma_naming_an_unknown_code_is_ignored_whole() {
        let src = "FROM scratch\n# hadolint ignore=crazy,DL3002\nUSER root\n";
        assert_eq!(
            kept_default(src, &[("DL3002", 3)]),
            vec![("DL3002".to_string(), 3)]
        );
        let src = "FROM scratch\n# hadolint ignore=SC2086,DL3002,no-user\nUSER root\n";
        assert!(kept_default(src, &[("DL3002", 3)]).is_empty());
    }

    #[test]
    fn inline_pragma_covers_the_next_instruction_only() {
        let src = "FROM debian:12\n# hadolint ignore=DL3008,DL3015 # reason\n# another comment\nRUN apt-get update && \\\n    apt-get install foo\nRUN apt-get install bar\n";
        assert_eq!(
            kept_default(
                src,
                &[
                    ("DL3008", 4),
                    ("DL3008", 5),
                    ("DL3015", 5),
                    ("DL3014", 5),
                    ("DL3008", 6)
                ]
            ),
            owned(&[("DL3014", 5), ("DL3008", 6)])
        );
    }

    #[test]
    fn hoist_spelling_and_blank_line_breaks_the_block() {
        let src = "FROM debian:12\n# hoist ignore=DL3008\nRUN apt-get install foo\n# hoist ignore=DL3008\n\nRUN apt-get install bar\n";
        assert_eq!(
            kept_default(src, &[("DL3008", 3), ("DL3008", 6)]),
            owned(&[("DL3008", 6)])
        );
    }

    #[test]
    fn inline_pragma_covers_heredoc_lines() {
        let src = "FROM debian:12\n# hadolint ignore=DL3008\nRUN <<EOF\napt-get install foo\nEOF\nRUN true\n";
        assert_eq!(
            kept_default(src, &[("DL3008", 4), ("DL3008", 6)]),
            owned(&[("DL3008", 6)])
        );
    }

    #[test]
    fn pragma_after_a_byte_order_mark() {
        let src = "\u{feff}# hadolint ignore=DL3006\nFROM debian\n";
        assert!(kept_default(src, &[("DL3006", 2)]).is_empty());
    }

    #[test]
    fn global_pragma_covers_the_file() {
        let src = "FROM debian\nRUN true\n# hadolint global ignore=DL3006\nFROM alpine\n";
        assert_eq!(
            kept_default(src, &[("DL3006", 1), ("DL3006", 4), ("DL3007", 4)]),
            owned(&[("DL3007", 4)])
        );
    }

    #[test]
    fn stage_pragma_covers_the_rest_of_the_stage() {
        let src = "FROM debian:12 AS a\nRUN one\n# hoist stage ignore=DL3008\nRUN two\nRUN three\n# hadolint stage ignore=DL3003\n\nFROM alpine:3 AS b\nRUN four\nFROM alpine:3\nRUN five\n";
        assert_eq!(
            kept_default(
                src,
                &[
                    ("DL3008", 2),
                    ("DL3008", 4),
                    ("DL3008", 5),
                    ("DL3008", 9),
                    ("DL3003", 9),
                    ("DL3003", 11)
                ]
            ),
            owned(&[("DL3008", 2), ("DL3008", 9), ("DL3003", 11)])
        );
    }

    #[test]
    fn aliases_and_trivy_spellings_match() {
        let src = "FROM debian:12\n# trivy:ignore:DS002\nUSER root\n# trivy:ignore:AVD-DS-0002\nUSER root\nUSER root\n";
        let rule_code = registry::all()
            .find(|r| {
                r.meta
                    .aliases
                    .iter()
                    .any(|a| registry::normalize_code(a) == "DS-0002")
            })
            .map(|r| r.meta.code);
        if let Some(code) = rule_code {
            let got = kept_default(src, &[(code, 3), (code, 5), (code, 6)]);
            assert_eq!(got, owned(&[(code, 6)]));
        }
        // Codes without a rule entry still match by normalised spelling.
        assert_eq!(
            kept_default(src, &[("DS-0002", 3), ("DS-0002", 6)]),
            owned(&[("DS-0002", 6)])
        );
    }

    #[test]
    fn disable_ignore_pragma_keeps_everything_but_check_directives() {
        let options = LintOptions {
            disable_ignore_pragma: true,
            ..LintOptions::default()
        };
        let src = "# check=skip=DL3007\n# hadolint global ignore=DL3006\nFROM debian:latest\n# hadolint ignore=DL3008\nRUN apt-get install x\n";
        assert_eq!(
            kept(
                src,
                &options,
                &[("DL3006", 3), ("DL3007", 3), ("DL3008", 5)]
            ),
            owned(&[("DL3006", 3), ("DL3008", 5)])
        );
    }

    #[test]
    fn check_directive_skip_and_error() {
        let src = "# check=skip=DL3006;error=true\nFROM debian\n";
        let df = dockerfile::parse(src);
        let options = LintOptions::default();
        let cx = Context::new(Path::new("Dockerfile"), src, &df, &options);
        let out = apply(&cx, vec![finding("DL3006", 2), finding("DL3007", 2)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, "DL3007");
        // error=true only raises rules that are BuildKit checks.
        let expected = if is_buildkit_check("DL3007") {
            Severity::Error
        } else {
            Severity::Warning
        };
        assert_eq!(out[0].level, expected);
        let bk = finding("UndefinedVar", 2);
        let out = apply(&cx, vec![bk]);
        assert_eq!(out[0].level, Severity::Error);
        let src = "# check=skip=all\nFROM debian\n";
        let df = dockerfile::parse(src);
        let cx = Context::new(Path::new("Dockerfile"), src, &df, &options);
        let out = apply(&cx, vec![finding("UndefinedVar", 2), finding("SC2086", 2)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, "SC2086");
    }
}
