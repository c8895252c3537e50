//! HO5001: EXPOSE 22, inviting SSH into the container (Trivy DS-0004).
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO5001",
        name: "expose-ssh-port",
        severity: Severity::Warning,
        category: Category::Security,
        summary: "Port 22 should not be exposed",
        aliases: &["DS-0004"],
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
            let v = p.value.to_ascii_lowercase();
            if matches!(v.as_str(), "22" | "22/tcp" | "22/udp") {
                d.report(p.span, "Port 22 should not be exposed").with_help(
                    "an SSH daemon in a container is rarely needed; use `docker exec` instead",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_port_22() {
        assert_eq!(
            positions("HO5001", "FROM a:1\nEXPOSE 80 22/tcp\nEXPOSE 22\n"),
            vec![(2, 11), (3, 8)]
        );
    }

    #[test]
    fn accepts_other_ports() {
        assert!(positions("HO5001", "FROM a:1\nEXPOSE 2222 220 80/tcp\n").is_empty());
    }
}
