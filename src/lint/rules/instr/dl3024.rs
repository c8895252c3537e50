//! DL3024: two stages with the same name.
use super::util::{from_words, stages};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3024",
        name: "duplicate-stage-name",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "FROM aliases (stage names) must be unique",
        aliases: &["DuplicateStageName", "DS-0012"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let st = stages(cx);
    for (k, s) in st.iter().enumerate() {
        let (Some(name), Some((_, Some(word)))) = (&s.name, from_words(cx, s)) else {
            continue;
        };
        if st[..k].iter().any(|p| p.name.as_ref() == Some(name)) {
            d.report(word.span, "FROM aliases (stage names) must be unique")
                .with_help(format!(
                    "another stage is already named `{name}`; stage names are case-insensitive"
                ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_repeated_names_case_insensitively() {
        let src = "FROM a:1 AS x\nFROM b:1 AS X\nFROM c:1 AS x\n";
        assert_eq!(positions("DL3024", src), vec![(2, 13), (3, 13)]);
    }

    #[test]
    fn accepts_distinct_names() {
        assert!(positions("DL3024", "FROM a:1 AS x\nFROM x AS y\nFROM b:1\nFROM c:1\n").is_empty());
    }
}
