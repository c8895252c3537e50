//! DL3029: FROM with a `--platform` that pins one platform.
use super::util::{unquote, var_refs};
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3029",
        name: "from-platform-flag",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Do not use --platform flag with FROM",
        aliases: &[],
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
        if value.is_empty() {
            continue;
        }
        // `$BUILDPLATFORM` (cross-compilation) and `$TARGETPLATFORM` (DL3065) are the
        // platform-independent uses hadolint accepts.
        let refs = var_refs(value, cx.df.escape);
        if refs
            .iter()
            .any(|r| r.name == "BUILDPLATFORM" || r.name == "TARGETPLATFORM")
        {
            continue;
        }
        d.report(flag.span, "Do not use --platform flag with FROM")
            .with_help("choose the platform with `--platform` on the command line, or use `$BUILDPLATFORM` for build stages");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_pinned_platforms() {
        let src = "FROM --platform=linux/amd64 a:1\nFROM --platform=$FOO b:1\nFROM --platform=linux/$ARCH c:1\n";
        assert_eq!(positions("DL3029", src), vec![(1, 6), (2, 6), (3, 6)]);
    }

    #[test]
    fn accepts_build_and_target_platform() {
        let src = "FROM --platform=$BUILDPLATFORM a:1\nFROM --platform=${BUILDPLATFORM:-linux/amd64} b:1\nFROM c:1\n";
        assert!(positions("DL3029", src).is_empty());
    }
}
