//! DL4000: the deprecated MAINTAINER instruction.
use super::util::keyword_like;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Edit, Fix, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL4000",
        name: "maintainer-deprecated",
        severity: Severity::Error,
        category: Category::Deprecated,
        summary: "MAINTAINER is deprecated",
        aliases: &["MaintainerDeprecated", "DS-0022"],
        opt_in: false,
    },
    check,
};

/// `value` as a double-quoted LABEL value: LABEL expands variables and quotes, MAINTAINER does
/// not, so quotes, `$` and the escape character are escaped.
fn quote_label_value(value: &str, escape: char) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        if c == '"' || c == '$' || c == escape {
            out.push(escape);
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let InstructionKind::Maintainer(who) = &ins.kind else {
            continue;
        };
        let f = d
            .report(ins.keyword_word.span, "MAINTAINER is deprecated")
            .with_help("use `LABEL maintainer=\"…\"` (or `org.opencontainers.image.authors`)");
        let value = who.value.trim();
        // One line only: a value continued over lines has escapes we do not rewrite.
        if ins.span.start.line == ins.args_span.end.line
            && !value.is_empty()
            && !value.contains('\n')
        {
            let start = ins.keyword_word.span.start.offset as usize;
            let end = ins.args_span.end.offset as usize;
            if start < end && cx.source.get(start..end).is_some() {
                f.with_fix(Fix {
                    description: "replace MAINTAINER with a maintainer LABEL".into(),
                    edits: vec![Edit {
                        start,
                        end,
                        replacement: format!(
                            "{} maintainer={}",
                            keyword_like(&ins.keyword_word.value, "LABEL"),
                            quote_label_value(value, cx.df.escape)
                        ),
                    }],
                    safe: true,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::quote_label_value;
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_maintainer() {
        assert_eq!(
            positions("DL4000", "FROM a:1\nMAINTAINER a <b@c>\n"),
            vec![(2, 1)]
        );
        assert!(positions("DL4000", "FROM a:1\nLABEL maintainer=x\n").is_empty());
    }

    #[test]
    fn fix_rewrites_to_label() {
        let src = "FROM a:1\nMAINTAINER Jane \"J\" <j@x.org>\n";
        let f = findings_of("DL4000", src);
        let fix = f[0].fix.as_ref().expect("fix");
        assert!(fix.safe);
        let e = &fix.edits[0];
        let fixed = format!("{}{}{}", &src[..e.start], e.replacement, &src[e.end..]);
        assert_eq!(
            fixed,
            "FROM a:1\nLABEL maintainer=\"Jane \\\"J\\\" <j@x.org>\"\n"
        );
    }

    #[test]
    fn quoting_escapes_dollar_and_escape_char() {
        assert_eq!(quote_label_value("a$b\\c", '\\'), "\"a\\$b\\\\c\"");
        assert_eq!(quote_label_value("a$b", '`'), "\"a`$b\"");
    }
}
