//! HO5002: WORKDIR inside a system directory such as /proc or /dev (Trivy DS-0030).
use super::util::unquote;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO5002",
        name: "workdir-system-dir",
        severity: Severity::Warning,
        category: Category::Security,
        summary: "WORKDIR should not be a system directory",
        aliases: &["DS-0030"],
        opt_in: false,
    },
    check,
};

const SYSTEM_DIRS: &[&str] = &["/proc", "/boot", "/dev", "/initrd", "/lost+found"];

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let InstructionKind::Workdir(path) = &ins.kind else {
            continue;
        };
        let p = unquote(&path.value);
        let hit = SYSTEM_DIRS.iter().find(|dir| {
            p.strip_prefix(**dir)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        if let Some(dir) = hit {
            d.report(
                path.span,
                format!("WORKDIR path '{p}' should not be in the system directory {dir}"),
            )
            .with_help("use an application directory such as /app");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_system_directories() {
        assert_eq!(
            positions("HO5002", "FROM a:1\nWORKDIR /proc/x\nWORKDIR \"/dev\"\n"),
            vec![(2, 9), (3, 9)]
        );
    }

    #[test]
    fn accepts_application_directories() {
        assert!(positions(
            "HO5002",
            "FROM a:1\nWORKDIR /app\nWORKDIR /process\nWORKDIR /devices\n"
        )
        .is_empty());
    }
}
