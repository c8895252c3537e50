//! Helpers shared by the `instr`, `labels` and `buildkit` rule groups: stage lookups over the
//! [model](crate::dockerfile::model), quote stripping, source classification for COPY/ADD, and a
//! scanner for `$VAR` references in raw Dockerfile words.

use std::ops::Range;

use crate::dockerfile::model::Stage;
use crate::dockerfile::{Instruction, InstructionKind, Word};
use crate::lint::Context;

/// The stages of the file in order, from the [model](crate::dockerfile::model).
pub(crate) fn stages(cx: &Context<'_>) -> Vec<Stage> {
    cx.stages().to_vec()
}

/// The stage (index into `stages`) that instruction `i` belongs to.
pub(crate) fn stage_index(stages: &[Stage], i: usize) -> Option<usize> {
    stages.iter().rposition(|s| s.from <= i && i < s.end)
}

/// The image word and the `AS name` word of a stage's FROM, as written.
pub(crate) fn from_words<'a>(cx: &Context<'a>, st: &Stage) -> Option<(&'a Word, Option<&'a Word>)> {
    match &cx.df.instructions.get(st.from)?.kind {
        InstructionKind::From { image, alias } => Some((image, alias.as_ref())),
        _ => None,
    }
}

/// The instructions of one stage, FROM excluded, with their indices.
pub(crate) fn stage_body<'a>(
    cx: &Context<'a>,
    st: &Stage,
) -> impl Iterator<Item = (usize, &'a Instruction)> {
    instructions_in(cx, st.body())
}

/// The instructions with indices in `range`, with their indices.
pub(crate) fn instructions_in<'a>(
    cx: &Context<'a>,
    range: Range<usize>,
) -> impl Iterator<Item = (usize, &'a Instruction)> {
    cx.df
        .instructions
        .iter()
        .enumerate()
        .skip(range.start)
        .take(range.len())
}

/// The runs of instructions that rules following state through a stage walk in order: the
/// model's [prelude](crate::dockerfile::model::Model::prelude) (the instructions before the
/// first FROM, paired with no stage), if the file has one, then each stage's body (FROM
/// excluded). BuildKit rejects a file with a prelude (DL3061), but hadolint checks those
/// instructions like a stage, and so do these rules.
pub(crate) fn bodies<'c>(
    cx: &'c Context<'_>,
) -> impl Iterator<Item = (Option<&'c Stage>, Range<usize>)> {
    cx.model
        .prelude()
        .map(|r| (None, r))
        .into_iter()
        .chain(cx.stages().iter().map(|s| (Some(s), s.body())))
}

/// `s` without one pair of surrounding double or single quotes.
pub(crate) fn unquote(s: &str) -> &str {
    let t = s.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return &t[1..t.len() - 1];
        }
    }
    t
}

pub(crate) use crate::dockerfile::is_git;

/// File name suffixes of archives that ADD may extract (hadolint's list, plus zstd). Not `.zip`:
/// ADD copies a local zip as it is, so such an ADD is a COPY.
const ARCHIVE_SUFFIXES: &[&str] = &[
    ".tar", ".gz", ".bz2", ".xz", ".tgz", ".tpz", ".tb2", ".tbz", ".tbz2", ".lz", ".lzma", ".tlz",
    ".txz", ".Z", ".tZ", ".zst", ".tzst",
];

/// The path names an archive by its extension.
pub(crate) fn is_archive(s: &str) -> bool {
    let s = unquote(s);
    ARCHIVE_SUFFIXES.iter().any(|ext| s.ends_with(ext))
}

/// `C:\x`, `c:/x`: an absolute Windows path.
pub(crate) fn is_windows_abs(s: &str) -> bool {
    let mut it = s.chars();
    matches!(
        (it.next(), it.next(), it.next()),
        (Some(d), Some(':'), Some('\\' | '/')) if d.is_ascii_alphabetic()
    )
}

/// A `$NAME` or `${NAME…}` reference in a raw word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VarRef {
    pub name: String,
    /// Byte range of the whole reference in the scanned text.
    pub start: usize,
    pub end: usize,
}

/// The variable references of a raw word, skipping escaped `$` and single-quoted text.
pub(crate) fn var_refs(text: &str, escape: char) -> Vec<VarRef> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut in_single = false;
    let mut in_double = false;
    while let Some(&(off, c)) = chars.get(i) {
        if c == escape && !in_single {
            i += 2;
            continue;
        }
        if c == '\'' && !in_double {
            in_single = !in_single;
        } else if c == '"' && !in_single {
            in_double = !in_double;
        } else if c == '$' && !in_single {
            let next = chars.get(i + 1).map(|&(_, c)| c);
            if next == Some('{') {
                let mut j = i + 2;
                let mut name = String::new();
                while let Some(&(_, ch)) = chars.get(j) {
                    if ch.is_ascii_alphanumeric() || ch == '_' {
                        name.push(ch);
                        j += 1;
                    } else {
                        break;
                    }
                }
                // Find the closing brace (nested braces counted).
                let mut depth = 1;
                let mut k = j;
                while let Some(&(_, ch)) = chars.get(k) {
                    if ch == '{' {
                        depth += 1;
                    } else if ch == '}' {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    k += 1;
                }
                let end = chars.get(k + 1).map_or(text.len(), |&(o, _)| o);
                if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                    out.push(VarRef {
                        name,
                        start: off,
                        end,
                    });
                }
                i = k + 1;
                continue;
            } else if next.is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
                let mut j = i + 1;
                let mut name = String::new();
                while let Some(&(_, ch)) = chars.get(j) {
                    if ch.is_ascii_alphanumeric() || ch == '_' {
                        name.push(ch);
                        j += 1;
                    } else {
                        break;
                    }
                }
                let end = chars.get(j).map_or(text.len(), |&(o, _)| o);
                out.push(VarRef {
                    name,
                    start: off,
                    end,
                });
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Replacement text for a keyword, keeping the casing style of the word it replaces.
pub(crate) fn keyword_like(original: &str, upper: &str) -> String {
    if !original.is_empty() && original.chars().all(|c| !c.is_ascii_uppercase()) {
        upper.to_ascii_lowercase()
    } else {
        upper.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variable_references() {
        let names = |s: &str| {
            var_refs(s, '\\')
                .into_iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names("$A ${B} ${C:-x} $1 \\$D '$E' \"$F\""),
            vec!["A", "B", "C", "F"]
        );
        assert_eq!(names("$G_X"), vec!["G_X"]);
        assert!(names("plain").is_empty());
        let r = var_refs("a${B}c", '\\');
        assert_eq!((r[0].start, r[0].end), (1, 5));
    }

    #[test]
    fn classifies_sources() {
        assert!(is_archive("a.tar.gz") && is_archive("\"x.tgz\"") && !is_archive("a.txt"));
        assert!(!is_archive("file.zip"));
        assert!(is_git("git@github.com:a/b.git") && is_git("https://github.com/a/b.git#main"));
        assert!(is_windows_abs("C:\\x") && is_windows_abs("c:/x") && !is_windows_abs("c"));
        assert_eq!(unquote("\"a b\""), "a b");
        assert_eq!(keyword_like("add", "COPY"), "copy");
        assert_eq!(keyword_like("Add", "COPY"), "COPY");
    }
}
