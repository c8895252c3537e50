//! DL3011: EXPOSE of a port outside 0–65535.
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3011",
        name: "expose-port-out-of-range",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "Valid UNIX ports range from 0 to 65535",
        aliases: &["DS-0008"],
        opt_in: false,
    },
    check,
};

/// True when a plain number (or range of numbers) goes past 65535. Words with variables or
/// other syntax are left alone.
fn out_of_range(port: &str) -> bool {
    let port = port.split('/').next().unwrap_or(port);
    if port.contains('$') {
        return false;
    }
    port.split('-').any(|p| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_digit())
            && p.parse::<u64>().map_or(true, |n| n > 65535)
    })
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        if let InstructionKind::Expose(ports) = &ins.kind {
            for p in ports {
                if out_of_range(&p.value) {
                    d.report(p.span, "Valid UNIX ports range from 0 to 65535");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_ports_past_65535() {
        let src = "FROM a:1\nEXPOSE 80 65536/udp\nEXPOSE 1-70000\nEXPOSE 99999999999999999999\n";
        assert_eq!(positions("DL3011", src), vec![(2, 11), (3, 8), (4, 8)]);
    }

    #[test]
    fn accepts_valid_ports_and_variables() {
        let src = "FROM a:1\nEXPOSE 0 80 65535 80-90 8080/tcp $PORT ${P}\n";
        assert!(positions("DL3011", src).is_empty());
    }
}
