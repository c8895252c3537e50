//! DL3000: WORKDIR with a relative path.
use super::util::{is_windows_abs, unquote};
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3000",
        name: "workdir-not-absolute",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "Use absolute WORKDIR",
        aliases: &["DS-0009"],
        opt_in: false,
    },
    check,
};

/// Absolute for a Dockerfile: `/x`, `C:\x`, `c:/x`, or starting with a variable.
pub(crate) fn is_absolute_like(path: &str) -> bool {
    let p = unquote(path);
    p.starts_with('/') || p.starts_with('$') || is_windows_abs(p)
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        if let InstructionKind::Workdir(path) = &ins.kind {
            if !path.value.trim().is_empty() && !is_absolute_like(&path.value) {
                d.report(path.span, "Use absolute WORKDIR").with_help(
                    "a relative WORKDIR depends on the base image's directory; start it with `/`",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_relative_workdir() {
        assert_eq!(positions("DL3000", "FROM a:1\nWORKDIR app\n"), vec![(2, 9)]);
        assert_eq!(
            positions("DL3000", "FROM a:1\nWORKDIR \"rel\"\n"),
            vec![(2, 9)]
        );
    }

    #[test]
    fn accepts_absolute_and_variables() {
        let src = "FROM a:1\nWORKDIR /app\nWORKDIR \"/x\"\nWORKDIR $HOME\nWORKDIR ${X}/a\nWORKDIR C:\\\\x\nWORKDIR c:/x\n";
        assert!(positions("DL3000", src).is_empty());
    }
}
