//! HO1009 (BuildKit LegacyKeyValueFormat): `ENV key value` / `LABEL key value` without `=`.
use crate::dockerfile::{InstructionKind, KeyValue};
use crate::lint::{Category, Context, Diagnostics, Edit, Fix, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1009",
        name: "legacy-key-value-format",
        severity: Severity::Warning,
        category: Category::Deprecated,
        summary: "Legacy key/value format with whitespace separator should not be used",
        aliases: &["LegacyKeyValueFormat"],
        opt_in: false,
    },
    check,
};

/// `key=value` with the same meaning as the legacy pair, when we can be sure of it: the legacy
/// value is taken verbatim up to the end of the instruction, so it is only rewritten when it has
/// no quotes or escapes. Line continuations inside the value are kept as written (BuildKit joins
/// lines before it splits words, so they mean the same inside the quotes), which keeps the
/// instruction's line structure; a value whose text is not just its lines joined (a comment
/// line inside, say) is left alone.
fn rewrite(kv: &KeyValue, escape: char, source: &str) -> Option<String> {
    let v = &kv.value.value;
    if v.is_empty() || v.contains(['"', '\'', '\n', '\r', escape]) {
        return None;
    }
    let raw = source.get(kv.value.span.start.offset as usize..kv.value.span.end.offset as usize)?;
    let continuation = format!("{escape}\n");
    let joined = raw
        .replace(&format!("{escape}\r\n"), "")
        .replace(&continuation, "");
    if joined != *v {
        return None;
    }
    if v.contains(char::is_whitespace) {
        Some(format!("{}=\"{}\"", kv.key.value, raw))
    } else {
        Some(format!("{}={}", kv.key.value, raw))
    }
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let (name, pairs) = match &ins.kind {
            InstructionKind::Env(p) => ("ENV", p),
            InstructionKind::Label(p) => ("LABEL", p),
            _ => continue,
        };
        for kv in pairs.iter().filter(|kv| kv.legacy) {
            let f = d
                .report(
                    kv.key.span.cover(&kv.value.span),
                    format!("\"{name} key=value\" should be used instead of legacy \"{name} key value\" format"),
                )
                .with_help(format!("write `{name} {}=…`", kv.key.value));
            let (start, end) = (
                kv.key.span.start.offset as usize,
                kv.value.span.end.offset as usize,
            );
            if let Some(replacement) = rewrite(kv, cx.df.escape, cx.source).filter(|_| start < end)
            {
                f.with_fix(Fix {
                    description: "use key=value".into(),
                    edits: vec![Edit {
                        start,
                        end,
                        replacement,
                    }],
                    safe: true,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    fn fixed(src: &str) -> Option<String> {
        let f = findings_of("HO1009", src);
        let e = f.first()?.fix.as_ref()?.edits.first()?.clone();
        Some(format!(
            "{}{}{}",
            &src[..e.start],
            e.replacement,
            &src[e.end..]
        ))
    }

    #[test]
    fn flags_legacy_form() {
        assert_eq!(
            positions("HO1009", "FROM a:1\nENV A 1\nLABEL b c\n"),
            vec![(2, 5), (3, 7)]
        );
        assert_eq!(
            fixed("FROM a:1\nENV A 1\n").as_deref(),
            Some("FROM a:1\nENV A=1\n")
        );
        assert_eq!(
            fixed("FROM a:1\nENV PATH /x:$PATH y\n").as_deref(),
            Some("FROM a:1\nENV PATH=\"/x:$PATH y\"\n")
        );
        assert_eq!(fixed("FROM a:1\nENV A \"q\" x\n"), None);
        // A value continued over lines keeps its lines.
        assert_eq!(
            fixed("FROM a:1\nENV PATH /usr/local/bin:$PATH \\\n    LANG=C\n").as_deref(),
            Some("FROM a:1\nENV PATH=\"/usr/local/bin:$PATH \\\n    LANG=C\"\n")
        );
        assert_eq!(fixed("FROM a:1\nENV V 3.13 \\\n# note\n  x\n"), None);
    }

    #[test]
    fn accepts_key_value_form() {
        assert!(positions("HO1009", "FROM a:1\nENV A=1 B=\"2 3\"\nLABEL a=b\n").is_empty());
    }
}
