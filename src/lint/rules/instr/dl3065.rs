//! DL3065: `FROM --platform=$TARGETPLATFORM`, which is what FROM does anyway.
use super::util::unquote;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Edit, Fix, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3065",
        name: "redundant-target-platform",
        severity: Severity::Warning,
        category: Category::Style,
        summary: "Setting `FROM --platform` to predefined `$TARGETPLATFORM` is redundant",
        aliases: &["RedundantTargetPlatform"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        if !matches!(ins.kind, InstructionKind::From { .. }) {
            continue;
        }
        let Some(flag) = ins.flag("platform") else {
            continue;
        };
        let value = unquote(flag.value.as_deref().unwrap_or(""));
        if value != "$TARGETPLATFORM" && value != "${TARGETPLATFORM}" {
            continue;
        }
        let f = d
            .report(
                flag.span,
                format!("Setting `FROM --platform` to predefined `{value}` is redundant as this is the default behavior"),
            )
            .with_help("remove the flag: FROM already uses the target platform");
        // Remove the flag and the blanks after it.
        let start = flag.span.start.offset as usize;
        let mut end = flag.span.end.offset as usize;
        let rest = cx.source.get(end..).unwrap_or("");
        end += rest.len() - rest.trim_start_matches([' ', '\t']).len();
        if rest.starts_with([' ', '\t']) {
            f.with_fix(Fix {
                description: "remove `--platform`".into(),
                edits: vec![Edit {
                    start,
                    end,
                    replacement: String::new(),
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
    fn flags_target_platform() {
        let src = "FROM --platform=$TARGETPLATFORM a:1\nFROM --platform=${TARGETPLATFORM} b:1\n";
        assert_eq!(positions("DL3065", src), vec![(1, 6), (2, 6)]);
        let f = findings_of("DL3065", "FROM --platform=$TARGETPLATFORM a:1\n");
        let e = &f[0].fix.as_ref().expect("fix").edits[0];
        assert_eq!((e.start, e.end), (5, 32));
    }

    #[test]
    fn accepts_other_platforms() {
        let src = "FROM --platform=$BUILDPLATFORM a:1\nFROM --platform=linux/amd64 b:1\nFROM c:1\n";
        assert!(positions("DL3065", src).is_empty());
    }
}
