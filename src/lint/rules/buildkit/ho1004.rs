//! HO1004 (BuildKit ConsistentInstructionCasing): keywords not cased like the file's majority.
use crate::dockerfile::Keyword;
use crate::lint::{Category, Context, Diagnostics, Edit, Fix, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1004",
        name: "consistent-instruction-casing",
        severity: Severity::Warning,
        category: Category::Style,
        summary:
            "All commands within the Dockerfile should use the same casing (either upper or lower)",
        aliases: &["ConsistentInstructionCasing"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    // BuildKit counts the instructions of stages: those before the first FROM are left out.
    let Some(first) = cx
        .df
        .instructions
        .iter()
        .position(|i| i.keyword == Keyword::From)
    else {
        return;
    };
    // Unknown words (template placeholders) are not instructions and do not vote.
    let words = || {
        cx.df.instructions[first..]
            .iter()
            .filter(|i| i.keyword != Keyword::Unknown)
            .map(|i| &i.keyword_word)
    };
    let (mut lower, mut upper) = (0usize, 0usize);
    for w in words() {
        let v = &w.value;
        if *v == v.to_lowercase() {
            lower += 1;
        } else if *v == v.to_uppercase() {
            upper += 1;
        }
    }
    let majority_lower = lower > upper;
    for w in words() {
        let v = &w.value;
        let want = if majority_lower {
            v.to_lowercase()
        } else {
            v.to_uppercase()
        };
        if *v != want {
            let casing = if majority_lower {
                "lowercase"
            } else {
                "uppercase"
            };
            let r = w.span.range();
            d.report(
                w.span,
                format!("Command '{v}' should match the case of the command majority ({casing})"),
            )
            .with_help(format!("write `{want}`"))
            .with_fix(Fix {
                description: format!("write `{want}`"),
                edits: vec![Edit {
                    start: r.start,
                    end: r.end,
                    replacement: want.clone(),
                }],
                safe: true,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_minority_and_mixed_casing() {
        let src = "FROM a:1\nrun x\nRUN y\nEntryPoint [\"z\"]\n";
        assert_eq!(positions("HO1004", src), vec![(2, 1), (4, 1)]);
        let f = findings_of("HO1004", src);
        assert_eq!(
            f[0].fix.as_ref().map(|x| x.edits[0].replacement.as_str()),
            Some("RUN")
        );
        // Majority lower case.
        assert_eq!(
            positions("HO1004", "from a:1\nrun x\nRUN y\n"),
            vec![(3, 1)]
        );
    }

    #[test]
    fn accepts_consistent_files() {
        assert!(positions("HO1004", "FROM a:1\nRUN x\n").is_empty());
        assert!(positions("HO1004", "from a:1\nrun x\n").is_empty());
        assert!(positions("HO1004", "FROM a:1\n{{ x }}\n{{ y }}\nRUN z\n").is_empty());
    }
}
