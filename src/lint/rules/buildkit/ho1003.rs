//! HO1003 (BuildKit NoEmptyContinuation): an empty line inside a continued instruction,
//! reported (as BuildKit does) on the instruction's last line.
use crate::lint::suppress::last_line;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1003",
        name: "no-empty-continuation",
        severity: Severity::Warning,
        category: Category::Syntax,
        summary: "Empty continuation lines will become errors in a future release",
        aliases: &["NoEmptyContinuation"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for w in &cx.df.warnings {
        if w.kind == "empty-continuation" {
            let line = w.span.start.line;
            let last = cx
                .df
                .instructions
                .iter()
                .find(|i| i.span.start.line <= line && line <= last_line(&i.span))
                .map(|i| last_line(&i.span))
                .unwrap_or(line);
            let span = match cx.index.line_start(last) {
                Some(start) => {
                    let end = cx.source[start..]
                        .find('\n')
                        .map_or(cx.source.len(), |n| start + n);
                    cx.index.span(cx.source, start, end)
                }
                None => w.span,
            };
            d.report(span, format!("Empty continuation line (line {line})"))
                .with_help("remove the empty line, or end the instruction before it");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_empty_continuation_lines() {
        let p = positions("HO1003", "FROM a:1\nRUN echo a \\\n\n    b\n");
        assert_eq!(p, vec![(4, 1)]);
    }

    #[test]
    fn accepts_continuations_without_blank_lines() {
        assert!(positions("HO1003", "FROM a:1\nRUN echo a \\\n    b\n\nRUN c\n").is_empty());
        assert!(positions("HO1003", "FROM a:1\nRUN echo a \\\n# comment\n    b\n").is_empty());
    }
}
