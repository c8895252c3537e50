//! BuildKit's build-check configuration, read the way BuildKit's Dockerfile frontend reads it:
//! the `BUILDKIT_DOCKERFILE_CHECK` build argument (which replaces the directive whole), else the
//! first `# check=` parser directive, then per instruction the first `check=` comment among the
//! comments right above it (which adds skipped and experimental checks, never `error`).
//!
//! Written by hand because the grammar is BuildKit's own (`skip=`, `error=`, `experimental=`
//! separated by `;`, at most three parts, keys case-sensitive, Go's `strconv.ParseBool` for
//! `error`); there is no crate for it.

use std::collections::BTreeSet;

use thiserror::Error;

use super::Context;
use crate::dockerfile::Instruction;

/// The build argument that replaces the `# check=` directive.
pub const CHECK_BUILD_ARG: &str = "BUILDKIT_DOCKERFILE_CHECK";

/// BuildKit's checks that run only when `experimental=` names them (or `experimental=all`).
pub const EXPERIMENTAL_CHECKS: &[&str] = &["InvalidDefinitionDescription"];

/// Which checks are skipped, which experimental checks run, and whether findings fail the build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckConfig {
    pub skip_all: bool,
    pub skip: BTreeSet<String>,
    pub experimental_all: bool,
    pub experimental: BTreeSet<String>,
    /// `error=true`: any check that fires fails the build.
    pub error: bool,
}

/// A check configuration BuildKit refuses (and so fails the build).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CheckOptionError {
    #[error("invalid check option {part:?}: expected KEY=VALUE")]
    NoEquals { part: String },
    #[error("invalid check option {key:?}: the keys are skip, error and experimental")]
    UnknownKey { key: String },
    #[error("failed to parse check option {part:?}: error= takes true or false")]
    BadBool { part: String },
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn name_list(v: &str) -> BTreeSet<String> {
    v.split(',').map(|n| n.trim().to_string()).collect()
}

/// Parses a check configuration (`skip=A,B;error=true;experimental=all`) as BuildKit's
/// `ParseLintOptions` does: empty is the default; at most three `;`-separated parts (a fourth
/// stays inside the third's value); unknown check names are kept and match nothing.
pub fn parse(value: &str) -> Result<CheckConfig, CheckOptionError> {
    let value = value.trim();
    let mut c = CheckConfig::default();
    if value.is_empty() {
        return Ok(c);
    }
    for part in value.splitn(3, ';') {
        let Some((k, v)) = part.split_once('=') else {
            return Err(CheckOptionError::NoEquals {
                part: part.to_string(),
            });
        };
        let v = v.trim();
        match k.trim() {
            "skip" if v == "all" => c.skip_all = true,
            "skip" => c.skip = name_list(v),
            "experimental" if v == "all" => c.experimental_all = true,
            "experimental" => c.experimental = name_list(v),
            "error" => {
                c.error = parse_go_bool(v).ok_or_else(|| CheckOptionError::BadBool {
                    part: part.to_string(),
                })?
            }
            other => {
                return Err(CheckOptionError::UnknownKey {
                    key: other.to_string(),
                })
            }
        }
    }
    Ok(c)
}

impl CheckConfig {
    /// This configuration with an instruction's comment configuration added (BuildKit's
    /// `WithMergedConfig`: skips and experimental checks accumulate; `error` stays).
    pub fn merged(&self, other: &CheckConfig) -> CheckConfig {
        let mut c = self.clone();
        c.skip_all |= other.skip_all;
        c.experimental_all |= other.experimental_all;
        c.skip.extend(other.skip.iter().cloned());
        c.experimental.extend(other.experimental.iter().cloned());
        c
    }

    /// Whether the BuildKit check `name` runs (names are case-sensitive, as in BuildKit):
    /// experimental checks only when enabled, whatever `skip` says; the others unless skipped.
    pub fn runs(&self, name: &str) -> bool {
        if EXPERIMENTAL_CHECKS.contains(&name) {
            self.experimental_all || self.experimental.contains(name)
        } else {
            !(self.skip_all || self.skip.contains(name))
        }
    }
}

/// Where the file-wide configuration came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    BuildArg,
    /// The `# check=` directive on this line.
    Directive(u32),
    Default,
}

/// The file-wide configuration: `--build-arg BUILDKIT_DOCKERFILE_CHECK=…` when given, else the
/// first `# check=` directive (its value up to the first space), else the default.
pub fn file_config(cx: &Context) -> (Origin, Result<CheckConfig, CheckOptionError>) {
    if let Some(v) = cx
        .options
        .build_args
        .as_ref()
        .and_then(|a| a.get(CHECK_BUILD_ARG))
    {
        return (Origin::BuildArg, parse(v));
    }
    match cx
        .df
        .directives
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case("check"))
    {
        Some(d) => {
            let v = d.value.split(' ').next().unwrap_or("");
            (Origin::Directive(d.span.start.line), parse(v))
        }
        None => (Origin::Default, Ok(CheckConfig::default())),
    }
}

/// `check=…` read from one comment's text (without `#`), as BuildKit's directive regex reads
/// it: a name of letters and digits, `=`, a value; the value up to its first space.
fn comment_check(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let name_len = t.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let name = t.get(..name_len)?;
    if !name.eq_ignore_ascii_case("check") {
        return None;
    }
    let value = t[name_len..].trim_start().strip_prefix('=')?.trim();
    (!value.is_empty()).then(|| value.split(' ').next().unwrap_or(value))
}

/// The comments BuildKit attaches to each instruction (indexed like `df.instructions`): the
/// comment lines since the previous instruction, not counting parser directives; an empty `#`
/// line starts the list afresh, blank lines do not.
pub fn instruction_comments(cx: &Context) -> Vec<Vec<String>> {
    let directive_lines: BTreeSet<u32> =
        cx.df.directives.iter().map(|d| d.span.start.line).collect();
    let comments = super::suppress::comment_lines(cx);
    let mut out = Vec::with_capacity(cx.df.instructions.len());
    let mut from = 1u32;
    for ins in &cx.df.instructions {
        let mut list: Vec<String> = Vec::new();
        for l in from..ins.span.start.line {
            let Some(c) = comments.get(l as usize).and_then(|c| c.as_ref()) else {
                continue;
            };
            if directive_lines.contains(&l) {
                continue;
            }
            let text = c.text(cx.source);
            let text = text.strip_prefix('#').unwrap_or(text).trim();
            if text.is_empty() {
                list.clear();
            } else {
                list.push(text.to_string());
            }
        }
        out.push(list);
        from = next_line_after(ins).max(from);
    }
    out
}

/// The first line after an instruction (and its heredoc bodies).
fn next_line_after(ins: &Instruction) -> u32 {
    let heredocs = ins
        .heredocs
        .iter()
        .filter_map(|h| h.terminator_span.as_ref().map(|t| t.end.line + 1))
        .max()
        .unwrap_or(0);
    (super::suppress::last_line(&ins.span) + 1).max(heredocs)
}

/// The configuration that applies to each instruction: the file's, merged with the first
/// `check=` comment above the instruction that parses (one that does not parse is ignored,
/// as BuildKit does).
pub fn per_instruction(cx: &Context, base: &CheckConfig) -> Vec<CheckConfig> {
    instruction_comments(cx)
        .iter()
        .map(
            |list| match list.iter().find_map(|t| comment_check(t)).map(parse) {
                Some(Ok(c)) => base.merged(&c),
                _ => base.clone(),
            },
        )
        .collect()
}

/// The experimental checks a `check=` (the file's or an instruction's) enables somewhere.
pub fn experimental_anywhere(cx: &Context) -> Vec<&'static str> {
    let base = file_config(cx).1.unwrap_or_default();
    let per = per_instruction(cx, &base);
    EXPERIMENTAL_CHECKS
        .iter()
        .copied()
        .filter(|n| base.runs(n) || per.iter().any(|c| c.runs(n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_buildkit() {
        let c = parse(" skip = A, B ;error=TRUE").unwrap();
        assert_eq!(c.skip, ["A", "B"].iter().map(|s| s.to_string()).collect());
        assert!(c.error && !c.skip_all);
        assert!(parse("skip=all").unwrap().skip_all);
        assert!(parse("experimental=all").unwrap().experimental_all);
        assert_eq!(parse("").unwrap(), CheckConfig::default());
        assert!(matches!(
            parse("Skip=A"),
            Err(CheckOptionError::UnknownKey { .. })
        ));
        assert!(matches!(
            parse("skip"),
            Err(CheckOptionError::NoEquals { .. })
        ));
        assert!(matches!(
            parse("error=yes"),
            Err(CheckOptionError::BadBool { .. })
        ));
        // A fourth part stays inside the third's value.
        let c = parse("skip=A;error=1;experimental=B;skip=C").unwrap();
        assert!(c.experimental.contains("B;skip=C") && c.skip.contains("A") && c.error);
    }

    #[test]
    fn experimental_checks_ignore_skip() {
        let c = parse("skip=all;experimental=InvalidDefinitionDescription").unwrap();
        assert!(c.runs("InvalidDefinitionDescription"));
        assert!(!c.runs("FromAsCasing"));
        assert!(!CheckConfig::default().runs("InvalidDefinitionDescription"));
        assert!(CheckConfig::default().runs("FromAsCasing"));
        // Names are case-sensitive.
        assert!(parse("skip=fromascasing").unwrap().runs("FromAsCasing"));
    }

    #[test]
    fn comment_values() {
        assert_eq!(comment_check("check=skip=all // local"), Some("skip=all"));
        assert_eq!(comment_check("CHECK = skip=A"), Some("skip=A"));
        assert_eq!(comment_check("checked=skip=A"), None);
        assert_eq!(comment_check("just words"), None);
    }

    use crate::lint::config::LintOptions;
    use crate::lint::lint_source;
    use std::collections::BTreeMap;
    use std::path::Path;

    /// `(code, line, level)` of `hoist lint --buildkit` (or not) on `src`.
    fn run(src: &str, buildkit: bool, args: &[(&str, &str)]) -> Vec<(String, u32, &'static str)> {
        let options = LintOptions {
            buildkit,
            build_args: Some(
                args.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            ..LintOptions::default()
        };
        lint_source(Path::new("Dockerfile"), src, &options)
            .findings
            .iter()
            .map(|f| (f.code.to_string(), f.span.start.line, f.level.as_str()))
            .collect()
    }

    #[test]
    fn buildkit_mode_runs_buildkit_checks_under_their_names() {
        let src = "FROM debian as base\nMAINTAINER me\nRUN apt-get install curl\n";
        let got = run(src, true, &[]);
        assert_eq!(
            got,
            vec![
                ("FromAsCasing".to_string(), 1, "warning"),
                ("MaintainerDeprecated".to_string(), 2, "warning"),
            ]
        );
        // Outside BuildKit mode the hadolint rules run too.
        assert!(run(src, false, &[]).iter().any(|f| f.0 == "DL3008"));
    }

    #[test]
    fn the_build_argument_replaces_the_directive() {
        let src = "# check=skip=all\nFROM scratch as base\n";
        assert!(run(src, true, &[]).is_empty());
        let arg = [(CHECK_BUILD_ARG, "error=true")];
        assert_eq!(
            run(src, true, &arg),
            vec![("FromAsCasing".to_string(), 2, "error")]
        );
    }

    #[test]
    fn an_invalid_configuration_is_a_build_error() {
        let got = run(
            "# check=skip=all;bogus=1\nFROM scratch as base\n",
            true,
            &[],
        );
        assert_eq!(got[0].0, "DL1000");
        assert_eq!(got[0].1, 1);
        let got = run("FROM scratch\n", true, &[(CHECK_BUILD_ARG, "error=maybe")]);
        assert_eq!(got, vec![("DL1000".to_string(), 1, "error")]);
    }

    #[test]
    fn instruction_comments_skip_for_that_instruction_only() {
        // Blank lines keep the comment attached; an empty `#` line drops it; the comment's
        // text after the value is ignored.
        let src = "FROM scratch\n# check=skip=all // local\n\nENV a b\nENV c d\n# check=skip=LegacyKeyValueFormat\n#\nENV e f\n";
        let lines: Vec<u32> = run(src, true, &[]).iter().map(|f| f.1).collect();
        assert_eq!(lines, vec![5, 8]);
        // A later `# check=` line is not the file's directive.
        let src = "FROM scratch\n# check=error=true\nENV a b\nENV c d\n";
        let levels: Vec<&str> = run(src, true, &[]).iter().map(|f| f.2).collect();
        assert_eq!(levels, vec!["warning", "warning"]);
    }

    #[test]
    fn experimental_checks_are_enabled_by_the_directive() {
        let src = "# not a description\nARG VERSION=1\nFROM scratch\n";
        assert!(run(src, false, &[]).iter().all(|f| f.0 != "HO1014"));
        let on = format!("# check=experimental=InvalidDefinitionDescription\n{src}");
        assert!(run(&on, false, &[])
            .iter()
            .any(|f| f.0 == "HO1014" && f.1 == 3));
        let on = format!("# check=skip=all;experimental=all\n{src}");
        assert_eq!(
            run(&on, true, &[]),
            vec![("InvalidDefinitionDescription".to_string(), 3, "warning")]
        );
    }
}
