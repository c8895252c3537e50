//! HO1002 (BuildKit FromAsCasing): `FROM x as y` where AS is not cased like FROM.
use crate::dockerfile::{InstructionKind, Span};
use crate::lint::{Category, Context, Diagnostics, Edit, Fix, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1002",
        name: "from-as-casing",
        severity: Severity::Warning,
        category: Category::Style,
        summary: "The 'as' keyword should match the case of the 'from' keyword",
        aliases: &["FromAsCasing"],
        opt_in: false,
    },
    check,
};

/// The span of the `AS` keyword between the image and the stage name.
pub(crate) fn as_keyword_span(cx: &Context, image_end: usize, alias_start: usize) -> Option<Span> {
    let between = cx.source.get(image_end..alias_start)?;
    let lower = between.to_ascii_lowercase();
    let mut search = 0;
    while let Some(p) = lower[search..].find("as") {
        let at = search + p;
        let before_ok = at == 0 || lower[..at].ends_with(char::is_whitespace);
        let after_ok = lower[at + 2..].starts_with(char::is_whitespace);
        if before_ok && after_ok {
            return Some(cx.span(image_end + at, image_end + at + 2));
        }
        search = at + 2;
    }
    None
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let InstructionKind::From {
            image,
            alias: Some(alias),
        } = &ins.kind
        else {
            continue;
        };
        let from = ins.keyword_word.value.as_str();
        let from_lower = from == from.to_lowercase();
        let from_upper = from == from.to_uppercase();
        if from_lower == from_upper {
            // Mixed-case FROM is ConsistentInstructionCasing's business.
            continue;
        }
        let Some(span) = as_keyword_span(
            cx,
            image.span.end.offset as usize,
            alias.span.start.offset as usize,
        ) else {
            continue;
        };
        let Some(as_word) = cx.source.get(span.range()) else {
            continue;
        };
        let want = if from_upper { "AS" } else { "as" };
        if as_word != want {
            d.report(
                span,
                format!("'{as_word}' and '{from}' keywords' casing do not match"),
            )
            .with_help(format!("write `{want}` to match `{from}`"))
            .with_fix(Fix {
                description: format!("write `{want}`"),
                edits: vec![Edit {
                    start: span.start.offset as usize,
                    end: span.end.offset as usize,
                    replacement: want.into(),
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
    fn flags_mismatched_as() {
        assert_eq!(positions("HO1002", "FROM a:1 as b\n"), vec![(1, 10)]);
        assert_eq!(positions("HO1002", "from a:1 AS b\n"), vec![(1, 10)]);
        let f = findings_of("HO1002", "FROM a:1 as b\n");
        assert_eq!(
            f[0].fix.as_ref().map(|x| x.edits[0].replacement.as_str()),
            Some("AS")
        );
    }

    #[test]
    fn accepts_matching_case() {
        assert!(positions(
            "HO1002",
            "FROM a:1 AS b\nfrom c:1 as d\nFrom e:1 as f\nFROM alias\n"
        )
        .is_empty());
    }
}
