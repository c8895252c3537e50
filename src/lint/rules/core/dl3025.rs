//! DL3025: CMD or ENTRYPOINT in shell form, where the program runs under `/bin/sh -c` and does
//! not receive stop signals. Not reported in a stage that chose its shell with SHELL (as BuildKit
//! does). Offers the exec form as a fix when the command is plain words.
use crate::dockerfile::{Command, InstructionKind, Keyword};
use crate::lint::{Category, Context, Diagnostics, Edit, Fix, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3025",
        name: "json-args-recommended",
        severity: Severity::Warning,
        category: Category::ShellForm,
        summary: "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
        aliases: &["JSONArgsRecommended"],
        opt_in: false,
    },
    check,
};

/// Whether a SHELL instruction is in force at `instr`: in its stage before it, or in a stage of
/// this file the stage is built from.
fn shell_set(cx: &Context, instr: usize) -> bool {
    let mut stage = cx.stage_of(instr);
    let mut upto = instr;
    let mut hops = 0;
    while let Some(s) = stage {
        let Some(st) = cx.stages().get(s) else {
            return false;
        };
        let found = (st.from..upto.min(cx.df.instructions.len())).any(|i| {
            cx.df
                .instructions
                .get(i)
                .is_some_and(|x| x.keyword == Keyword::Shell)
        });
        if found {
            return true;
        }
        hops += 1;
        stage = st.base.filter(|&b| b < s && hops < 64);
        upto = stage.and_then(|b| cx.stages().get(b)).map_or(0, |b| b.end);
    }
    false
}

/// Whether an instruction of `kind` is in force before `instr` in its stage chain.
fn earlier_in_chain(cx: &Context, instr: usize, kind: Keyword) -> bool {
    let mut stage = cx.stage_of(instr);
    let mut upto = instr;
    let mut hops = 0;
    while let Some(s) = stage {
        let Some(st) = cx.stages().get(s) else {
            return false;
        };
        if (st.from..upto.min(cx.df.instructions.len()))
            .any(|i| cx.df.instructions.get(i).is_some_and(|x| x.keyword == kind))
        {
            return true;
        }
        hops += 1;
        stage = st.base.filter(|&b| b < s && hops < 64);
        upto = stage.and_then(|b| cx.stages().get(b)).map_or(0, |b| b.end);
    }
    false
}

/// Whether an instruction of `kind` follows `instr` in its stage.
fn later_in_stage(cx: &Context, instr: usize, kind: Keyword) -> bool {
    let Some(st) = cx.stage_of(instr).and_then(|s| cx.stages().get(s)) else {
        return false;
    };
    (instr + 1..st.end.min(cx.df.instructions.len()))
        .any(|i| cx.df.instructions.get(i).is_some_and(|x| x.keyword == kind))
}

/// Shell builtins and keywords that have no meaning outside a shell.
const SHELL_ONLY: &[&str] = &[
    "exec", "cd", "export", "source", ".", "set", "unset", "eval", "if", "for", "while", "until",
    "case", "trap", "ulimit", "umask", "alias", "read", "wait", "{", "!", "[[", "function",
];

/// Splits shell text into words when it has no shell semantics beyond word splitting and simple
/// quotes: no expansions, operators, redirections, globs, `~`, escapes or comments. `None`
/// otherwise.
pub fn plain_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return None,
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('$' | '`' | '\\' | '!') | None => return None,
                        Some(ch) => cur.push(ch),
                    }
                }
            }
            '$' | '`' | '\\' | '|' | '&' | ';' | '<' | '>' | '(' | ')' | '*' | '?' | '[' | ']'
            | '{' | '}' | '!' | '\n' | '\r' => return None,
            '~' if !in_word => return None,
            '#' if !in_word => return None,
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    let first = words.first()?;
    if first.contains('=') || SHELL_ONLY.contains(&first.as_str()) {
        return None;
    }
    Some(words)
}

/// `["a", "b"]` with JSON string escapes.
fn exec_form(words: &[String]) -> String {
    let parts: Vec<String> = words
        .iter()
        .map(|w| serde_json::to_string(w).unwrap_or_else(|_| format!("\"{w}\"")))
        .collect();
    format!("[{}]", parts.join(", "))
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, ins) in cx.instructions() {
        let (name, cmd) = match &ins.kind {
            InstructionKind::Cmd(c) => ("CMD", c),
            InstructionKind::Entrypoint(c) => ("ENTRYPOINT", c),
            _ => continue,
        };
        let Command::Shell(text) = cmd else { continue };
        if text.text.trim().is_empty() || shell_set(cx, i) {
            continue;
        }
        let f = d.report(
            text.span,
            "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
        );
        f.with_help(format!(
            "in shell form the program runs under `/bin/sh -c` and does not receive SIGTERM; use the exec form `{name} [\"program\", \"arg\"]`, or set SHELL if a shell is intended"
        ));
        let Some(words) = plain_words(&text.text) else {
            continue;
        };
        let range = text.span.range();
        let Some(src) = cx.source.get(range.clone()) else {
            continue;
        };
        // Rewriting is only certainly equivalent when the arguments are written on one line and
        // no ENTRYPOINT/CMD interplay changes meaning: an exec-form CMD is appended to an
        // ENTRYPOINT, and an exec-form ENTRYPOINT receives a later CMD.
        let one_line = src == text.text.as_str() || src.trim_end() == text.text.trim_end();
        let interplay = match ins.keyword {
            Keyword::Cmd => earlier_in_chain(cx, i, Keyword::Entrypoint),
            _ => later_in_stage(cx, i, Keyword::Cmd),
        };
        let src_trimmed_len = src.trim_end().len();
        f.with_fix(Fix {
            description: format!("rewrite {name} in exec form"),
            edits: vec![Edit {
                start: range.start,
                end: range.start + src_trimmed_len,
                replacement: exec_form(&words),
            }],
            safe: one_line && !interplay,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::plain_words;
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_shell_form() {
        assert_eq!(positions("DL3025", "FROM a:1\nCMD echo hi\n"), vec![(2, 5)]);
        assert_eq!(
            positions("DL3025", "FROM a:1\nENTRYPOINT  my-program start\n"),
            vec![(2, 13)]
        );
    }

    #[test]
    fn ignores_exec_form_healthcheck_and_shell() {
        assert!(positions("DL3025", "FROM a:1\nCMD [\"echo\", \"hi\"]\n").is_empty());
        assert!(positions("DL3025", "FROM a:1\nHEALTHCHECK CMD curl -f http://x/\n").is_empty());
        assert!(positions(
            "DL3025",
            "FROM a:1\nSHELL [\"/bin/bash\", \"-c\"]\nENTRYPOINT echo hello\n"
        )
        .is_empty());
        assert!(positions(
            "DL3025",
            "FROM a:1 AS b\nSHELL [\"/bin/bash\", \"-c\"]\nFROM b\nCMD echo hello\n"
        )
        .is_empty());
        // SHELL in another, unrelated stage does not count.
        assert_eq!(
            positions(
                "DL3025",
                "FROM a:1 AS b\nSHELL [\"/bin/bash\", \"-c\"]\nFROM a:1\nCMD echo hello\n"
            ),
            vec![(4, 5)]
        );
    }

    #[test]
    fn fixes_plain_words() {
        let f = findings_of("DL3025", "FROM a:1\nCMD nginx -g 'daemon off;'\n");
        let fix = f
            .first()
            .and_then(|f| f.fix.clone())
            .unwrap_or_else(|| panic!("no fix"));
        assert!(fix.safe);
        assert_eq!(
            fix.edits[0].replacement,
            r#"["nginx", "-g", "daemon off;"]"#
        );
        assert_eq!((fix.edits[0].start, fix.edits[0].end), (13, 35));
        // An ENTRYPOINT before a CMD changes what the exec form means: not safe.
        let f = findings_of("DL3025", "FROM a:1\nENTRYPOINT [\"/e\"]\nCMD run it\n");
        assert!(f
            .first()
            .and_then(|f| f.fix.as_ref())
            .is_some_and(|x| !x.safe));
        let f = findings_of("DL3025", "FROM a:1\nCMD echo $HOME\n");
        assert!(f.first().is_some_and(|f| f.fix.is_none()));
    }

    #[test]
    fn plain_word_splitting() {
        assert_eq!(
            plain_words("a  \"b c\" 'd$'"),
            Some(vec!["a".into(), "b c".into(), "d$".into()])
        );
        assert_eq!(
            plain_words("a --x=1"),
            Some(vec!["a".into(), "--x=1".into()])
        );
        for bad in [
            "a $B", "a && b", "a > f", "a *", "~/x", "a \\ b", "exec a", "A=1 a", "a 'b",
            "a \"$x\"", "a # c", "a | b", "a;b",
        ] {
            assert_eq!(plain_words(bad), None, "{bad}");
        }
    }
}
