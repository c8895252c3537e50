//! HO1011 (BuildKit FromPlatformFlagConstDisallowed): `FROM --platform=<constant>`.
use crate::dockerfile::InstructionKind;
use crate::lint::rules::instr::util::unquote;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1011",
        name: "from-platform-flag-const-disallowed",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "FROM --platform flag should not use a constant value",
        aliases: &["FromPlatformFlagConstDisallowed"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let InstructionKind::From { alias, .. } = &ins.kind else {
            continue;
        };
        let Some(flag) = ins.flag("platform") else {
            continue;
        };
        let value = unquote(flag.value.as_deref().unwrap_or(""));
        if value.is_empty() || value.contains('$') {
            continue;
        }
        // A stage named after its platform (`build_amd64`) is platform-specific on purpose.
        let name = alias
            .as_ref()
            .map(|a| a.value.to_ascii_lowercase())
            .unwrap_or_default();
        let named_for_it = value
            .split([',', '/'])
            .filter(|p| !p.is_empty())
            .any(|p| name.contains(&p.to_ascii_lowercase()));
        if named_for_it {
            continue;
        }
        d.report(
            flag.span,
            format!("FROM --platform flag should not use constant value \"{value}\""),
        )
        .with_help("drop the flag and pass `--platform` to the build, or use `$BUILDPLATFORM`");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_constant_platforms() {
        assert_eq!(
            positions("HO1011", "FROM --platform=linux/amd64 alpine AS base\n"),
            vec![(1, 6)]
        );
    }

    #[test]
    fn accepts_variables_and_platform_named_stages() {
        let src = "FROM --platform=${BUILDPLATFORM} alpine AS a\nFROM --platform=linux/arm64 alpine AS build_arm64\nFROM alpine\n";
        assert!(positions("HO1011", src).is_empty());
    }
}
