//! HO1012 (BuildKit ExposeProtoCasing): `EXPOSE 80/TCP`.
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Edit, Fix, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1012",
        name: "expose-proto-casing",
        severity: Severity::Warning,
        category: Category::Style,
        summary: "Protocol in EXPOSE instruction should be lowercase",
        aliases: &["ExposeProtoCasing"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let InstructionKind::Expose(ports) = &ins.kind else {
            continue;
        };
        for p in ports {
            let Some(slash) = p.value.rfind('/') else {
                continue;
            };
            let proto = &p.value[slash + 1..];
            if proto != proto.to_lowercase() {
                let f = d
                    .report(
                        p.span,
                        format!(
                            "Defined protocol '{}' in EXPOSE instruction should be lowercase",
                            p.value
                        ),
                    )
                    .with_help(format!("write `{}`", proto.to_lowercase()));
                let r = p.span.range();
                if cx.source.get(r.clone()) == Some(p.value.as_str()) {
                    f.with_fix(Fix {
                        description: "lowercase the protocol".into(),
                        edits: vec![Edit {
                            start: r.start + slash + 1,
                            end: r.end,
                            replacement: proto.to_lowercase(),
                        }],
                        safe: true,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_uppercase_protocols() {
        assert_eq!(
            positions("HO1012", "FROM a:1\nEXPOSE 80/TCP 53/udp 53/Udp\n"),
            vec![(2, 8), (2, 22)]
        );
        let f = findings_of("HO1012", "FROM a:1\nEXPOSE 80/TCP\n");
        let e = &f[0].fix.as_ref().expect("fix").edits[0];
        assert_eq!((e.start, e.end, e.replacement.as_str()), (19, 22, "tcp"));
    }

    #[test]
    fn accepts_lowercase_protocols() {
        assert!(positions("HO1012", "FROM a:1\nEXPOSE 80 80/tcp 53/udp\n").is_empty());
    }
}
