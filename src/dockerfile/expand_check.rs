//! Substitution syntax errors in the words BuildKit expands, found without building: `${a`,
//! `${}`, `${a:x}`, a bad `${a/pat/rep}` pattern, an unclosed quote, or `${…}` nested deeper than
//! [`MAX_NESTING`](super::expand::MAX_NESTING). BuildKit fails the build on each (`failed to
//! process "…"`), so lint reports them where they are.
//!
//! Whether a variable is set does not matter here: every name is taken as set to a non-empty
//! value, so `${NAME:?message}` (an error only when NAME is unset at build time) is never
//! reported.

use super::ast::{Dockerfile, Instruction, InstructionKind, ParseError, Word};
use super::expand::Env;
use super::scope::lexer_for;
use super::span::LineIndex;

/// Every variable is set (to a non-empty value).
struct AllSet;

impl Env for AllSet {
    fn lookup(&self, _name: &str) -> Option<&str> {
        Some("x")
    }
}

/// The longest word quoted whole in a message; longer ones are cut.
const QUOTED: usize = 60;

/// The expansion syntax errors of `df` (parsed from `source`), in instruction order.
pub fn expansion_errors(df: &Dockerfile, source: &str) -> Vec<ParseError> {
    let lexer = lexer_for(df);
    let index = LineIndex::new(source);
    let mut out = Vec::new();
    for ins in &df.instructions {
        let flags = expanded_flags(ins);
        for w in expanded_words(ins).into_iter().chain(&flags) {
            let Some(e) = lexer.process(&w.value, &AllSet).error else {
                continue;
            };
            // The error's offset maps into the source when the word is written as its value
            // (no quotes decoded, no continuation inside); else the word's start is used.
            let start = w.span.start.offset as usize;
            let exact = source.get(w.span.range()) == Some(w.value.as_str());
            let at = if exact {
                start + e.offset.min(w.value.len())
            } else {
                start
            };
            let end = (at + 1).min(source.len()).max(at);
            out.push(ParseError {
                message: format!("failed to process {}: {}", quote(&w.value), e.message),
                span: index.span(source, at, end),
                instruction_level: true,
            });
        }
    }
    out
}

/// `word` in double quotes, cut after [`QUOTED`] characters.
fn quote(word: &str) -> String {
    match word.char_indices().nth(QUOTED) {
        Some((cut, _)) => format!("\"{}…\" ({} bytes)", &word[..cut], word.len()),
        None => format!("\"{word}\""),
    }
}

/// The words of `ins` BuildKit runs through its variable expansion.
fn expanded_words(ins: &Instruction) -> Vec<&Word> {
    let mut words: Vec<&Word> = Vec::new();
    match &ins.kind {
        InstructionKind::From { image, .. } => words.push(image),
        InstructionKind::Label(kvs) | InstructionKind::Env(kvs) => {
            for kv in kvs {
                words.push(&kv.key);
                words.push(&kv.value);
            }
        }
        InstructionKind::Arg(decls) => {
            for d in decls {
                words.push(&d.name);
                words.extend(d.default.as_ref());
            }
        }
        InstructionKind::Expose(ws) => words.extend(ws),
        InstructionKind::Add(c) | InstructionKind::Copy(c) => {
            words.extend(c.sources.iter().filter(|w| !w.value.starts_with("<<")));
            words.push(&c.dest);
        }
        InstructionKind::Volume { paths, .. } => words.extend(paths),
        InstructionKind::User(w) | InstructionKind::Workdir(w) | InstructionKind::Stopsignal(w) => {
            words.push(w)
        }
        _ => {}
    }
    words
}

/// The flag values of `ins` that BuildKit expands, as words.
fn expanded_flags(ins: &Instruction) -> Vec<Word> {
    let names: &[&str] = match ins.kind {
        InstructionKind::From { .. } => &["platform"],
        InstructionKind::Add(_) | InstructionKind::Copy(_) => &["from", "chown", "chmod"],
        _ => &[],
    };
    ins.flags
        .iter()
        .filter(|f| names.contains(&f.name.as_str()))
        .filter_map(|f| {
            Some(Word {
                value: f.value.clone()?,
                span: f.value_span?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    fn errors(src: &str) -> Vec<(u32, u32, String)> {
        let df = parse(src);
        expansion_errors(&df, src)
            .into_iter()
            .map(|e| (e.span.start.line, e.span.start.column, e.message))
            .collect()
    }

    #[test]
    fn syntax_errors_are_found_where_they_are() {
        let e = errors("FROM a\nENV A=${b\nWORKDIR /x/${}\nUSER ${u:x}\n");
        assert_eq!(e.len(), 3, "{e:?}");
        assert_eq!(
            (e[0].0, e[0].2.as_str()),
            (2, "failed to process \"${b\": syntax error: missing '}'")
        );
        assert_eq!((e[1].0, e[1].1), (3, 12));
        assert!(e[2].2.contains("unsupported modifier"), "{}", e[2].2);
        let e = errors("FROM --platform=${p a\nCOPY --chown=${u a /b\n");
        assert_eq!(e.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn unset_variables_are_not_errors() {
        assert!(errors("ARG V\nFROM a:${V:?unset}\nENV X=${Y?}\nLABEL a=$b\n").is_empty());
        assert!(errors("FROM a\nRUN echo ${b\nCMD ${\n").is_empty());
    }

    #[test]
    fn deep_nesting_is_one_error_at_the_limit() {
        let n = 100_000;
        let nest = format!("{}x{}", "${a:-".repeat(n), "}".repeat(n));
        for (line, src) in [
            (2, format!("FROM a\nENV A={nest}\n")),
            (2, format!("FROM a\nARG A={nest}\n")),
            (2, format!("FROM a\nLABEL a={nest}\n")),
            (2, format!("FROM a\nWORKDIR /{nest}\n")),
            (2, format!("FROM a\nUSER {nest}\n")),
            (2, format!("FROM a\nEXPOSE {nest}\n")),
            (2, format!("FROM a\nCOPY {nest} /x\n")),
            (1, format!("FROM {nest}\n")),
        ] {
            let e = errors(&src);
            assert_eq!(e.len(), 1, "{}", &src[..30]);
            assert_eq!(e[0].0, line);
            assert!(e[0].2.contains("nested more than"), "{}", e[0].2);
            assert!(e[0].2.len() < 300, "{}", e[0].2.len());
        }
    }
}
