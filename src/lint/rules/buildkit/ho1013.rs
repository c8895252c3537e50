//! HO1013 (BuildKit ExposeInvalidFormat): EXPOSE with an IP address or host-port mapping.
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1013",
        name: "expose-invalid-format",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "IP address and host-port mapping should not be used in EXPOSE instruction",
        aliases: &["ExposeInvalidFormat"],
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
            if p.value.contains(':') {
                d.report(
                    p.span,
                    format!("EXPOSE instruction should not define an IP address or host-port mapping, found '{}'", p.value),
                )
                .with_help("EXPOSE only documents the container port; map host ports with `docker run -p`");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_mappings() {
        assert_eq!(
            positions("HO1013", "FROM a:1\nEXPOSE 127.0.0.1:80:80 8080:80\n"),
            vec![(2, 8), (2, 24)]
        );
    }

    #[test]
    fn accepts_ports() {
        assert!(positions("HO1013", "FROM a:1\nEXPOSE 80 443/tcp 1000-2000 $PORT\n").is_empty());
    }
}
