//! DL3044: ENV referring to a variable set in the same ENV instruction.
use std::collections::BTreeSet;

use super::util::var_refs;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3044",
        name: "env-self-reference",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "Do not refer to an environment variable within the same `ENV` statement where it is defined.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    // Names set by an ENV or ARG earlier in the file (hadolint's view), besides the scope engine's.
    let mut earlier: BTreeSet<String> = BTreeSet::new();
    for (i, ins) in cx.instructions() {
        match &ins.kind {
            InstructionKind::Env(pairs) => {
                let declared = |n: &str| {
                    earlier.contains(n) || cx.vars.get(i).is_some_and(|v| v.is_declared(n))
                };
                for (j, kv) in pairs.iter().enumerate() {
                    for r in var_refs(&kv.value.value, cx.df.escape) {
                        let same_stmt = pairs
                            .iter()
                            .enumerate()
                            .any(|(k, o)| k != j && o.key.value == r.name);
                        // `ENV PATH=/a:$PATH PATH=/b:$PATH`: the second `$PATH` is the value from
                        // before this ENV, so the first assignment is lost.
                        let set_before = r.name == kv.key.value
                            && pairs[..j].iter().any(|o| o.key.value == r.name);
                        if set_before || (same_stmt && r.name != kv.key.value && !declared(&r.name))
                        {
                            let base = kv.value.span.start.offset as usize;
                            let span = cx.span(base + r.start, base + r.end);
                            d.report(
                                span,
                                "Do not refer to an environment variable within the same `ENV` statement where it is defined.",
                            )
                            .with_help(format!(
                                "`${}` is expanded before this ENV runs; set it in an earlier ENV",
                                r.name
                            ));
                        }
                    }
                }
                earlier.extend(pairs.iter().map(|kv| kv.key.value.clone()));
            }
            InstructionKind::Arg(decls) => {
                earlier.extend(decls.iter().map(|a| a.name.value.clone()));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_reference_to_a_sibling_key() {
        assert_eq!(
            positions("DL3044", "FROM a:1\nENV A=1 B=${A}\n"),
            vec![(2, 11)]
        );
        assert_eq!(
            positions("DL3044", "FROM a:1\nENV A=1 \\\n    B=$A/x\n"),
            vec![(3, 7)]
        );
        assert_eq!(
            positions("DL3044", "FROM a:1\nENV PATH=/a:${PATH} PATH=/b:${PATH}\n"),
            vec![(2, 29)]
        );
    }

    #[test]
    fn accepts_earlier_definitions_self_and_prefixes() {
        let src =
            "FROM a:1\nENV C=1\nENV D=$C C=2\nENV F=$F\nENV G=1 H=$G_X\nARG K\nENV K=1 L=$K\n";
        assert!(positions("DL3044", src).is_empty());
    }
}
