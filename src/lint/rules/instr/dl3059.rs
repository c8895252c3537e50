//! DL3059: consecutive single-command RUN instructions with the same flags.
use crate::dockerfile::{Command, Instruction, InstructionKind};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3059",
        name: "consecutive-run",
        severity: Severity::Info,
        category: Category::Style,
        summary: "Multiple consecutive `RUN` instructions. Consider consolidation.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// Number of commands a RUN runs; `None` when it cannot be told (a non-POSIX shell).
fn command_count(cx: &Context, i: usize, ins: &Instruction) -> Option<usize> {
    match &ins.kind {
        InstructionKind::Run(Command::Exec { .. }) => Some(1),
        InstructionKind::Run(Command::Shell(_)) => {
            let scripts = cx.scripts.get(i)?;
            if scripts.is_empty() {
                return None;
            }
            // Commands inside `sh -c '…'` strings or substitutions are part of one top-level
            // command; count top-level commands unless there are none (`RUN (a; b)`).
            let all: Vec<_> = scripts.iter().flat_map(|s| &s.script.commands).collect();
            let top = all.iter().filter(|c| !c.nested).count();
            Some(if top > 0 { top } else { all.len() })
        }
        _ => None,
    }
}

/// The flags of a RUN, order-independent.
type FlagKey = Vec<(String, Option<String>)>;

fn flag_key(ins: &Instruction) -> FlagKey {
    let mut v: Vec<_> = ins
        .flags
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    v.sort();
    v
}

fn check(cx: &Context, d: &mut Diagnostics) {
    // (flags, command count) of the previous instruction when it was a RUN.
    let mut prev: Option<(FlagKey, Option<usize>)> = None;
    for (i, ins) in cx.instructions() {
        if !matches!(ins.kind, InstructionKind::Run(_)) {
            prev = None;
            continue;
        }
        let key = flag_key(ins);
        let count = command_count(cx, i, ins);
        if let Some((pk, pc)) = &prev {
            let small = |c: &Option<usize>| c.is_some_and(|n| n <= 1);
            if *pk == key && small(pc) && small(&count) {
                d.report(
                    ins.keyword_word.span,
                    "Multiple consecutive `RUN` instructions. Consider consolidation.",
                )
                .with_help("join the commands with `&&` in one RUN to save a layer");
            }
        }
        prev = Some((key, count));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_consecutive_single_command_runs() {
        let src = "FROM a:1\nRUN a\n# c\nRUN b\nRUN c\n";
        assert_eq!(positions("DL3059", src), vec![(4, 1), (5, 1)]);
        assert_eq!(
            positions("DL3059", "FROM a:1\nRUN a\nRUN [\"b\"]\n"),
            vec![(3, 1)]
        );
        let mounts =
            "FROM a:1\nRUN --mount=type=cache,target=/x c\nRUN --mount=type=cache,target=/x d\n";
        assert_eq!(positions("DL3059", mounts), vec![(3, 1)]);
        let nested = "FROM a:1\nRUN sh -c 'a; b'\nRUN c\n";
        assert_eq!(positions("DL3059", nested), vec![(3, 1)]);
    }

    #[test]
    fn accepts_chained_commands_other_flags_and_breaks() {
        let src = "FROM a:1\nRUN a && b\nRUN c\nRUN d ; e\nWORKDIR /x\nRUN f\nRUN --network=none g\nFROM b:1\nRUN h\n";
        assert!(positions("DL3059", src).is_empty());
    }
}
