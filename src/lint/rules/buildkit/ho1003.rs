//! HO1003 (BuildKit NoEmptyContinuation): an empty line inside a continued instruction.
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
            d.report(w.span, "Empty continuation line")
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
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, 3);
    }

    #[test]
    fn accepts_continuations_without_blank_lines() {
        assert!(positions("HO1003", "FROM a:1\nRUN echo a \\\n    b\n\nRUN c\n").is_empty());
        assert!(positions("HO1003", "FROM a:1\nRUN echo a \\\n# comment\n    b\n").is_empty());
    }
}
