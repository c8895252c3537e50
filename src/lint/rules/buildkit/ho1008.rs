//! HO1008 (BuildKit UndefinedVar): an instruction BuildKit expands uses a variable that no ARG or
//! ENV declared.
//!
//! The environment of an external base image is unknown at lint time, so in stages built on one
//! only likely typos (a declared name is close) and uses before the stage's own ARG or ENV
//! declares the name are reported; in stages built FROM scratch every undefined name is.
use std::collections::HashMap;

use super::util::{global_args, suggest};
use crate::dockerfile::expand::Lexer;
use crate::dockerfile::{InstructionKind, Word};
use crate::lint::rules::instr::util::{from_words, stage_index, stages, unquote, var_refs};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1008",
        name: "undefined-var",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Variables should be defined before their use",
        aliases: &["UndefinedVar"],
        opt_in: false,
    },
    check,
};

/// Variables every build has.
const ALWAYS_SET: &[&str] = &["PATH"];

/// The words of an instruction that BuildKit expands.
fn expanded_words(kind: &InstructionKind) -> Vec<&Word> {
    match kind {
        InstructionKind::Env(p) => p.iter().map(|kv| &kv.value).collect(),
        InstructionKind::Label(p) => p.iter().flat_map(|kv| [&kv.key, &kv.value]).collect(),
        InstructionKind::Arg(d) => d.iter().filter_map(|a| a.default.as_ref()).collect(),
        InstructionKind::Add(a) | InstructionKind::Copy(a) => {
            a.sources.iter().chain([&a.dest]).collect()
        }
        InstructionKind::Expose(w) => w.iter().collect(),
        InstructionKind::Volume { paths, .. } => paths.iter().collect(),
        InstructionKind::User(w) | InstructionKind::Workdir(w) | InstructionKind::Stopsignal(w) => {
            vec![w]
        }
        _ => Vec::new(),
    }
}

/// Where each stage's own ARG and ENV instructions declare each name: (stage, name) → the
/// instruction indices and lines, in file order.
fn declarations(
    cx: &Context,
    st: &[crate::dockerfile::model::Stage],
) -> HashMap<(usize, String), Vec<(usize, u32)>> {
    let mut out: HashMap<(usize, String), Vec<(usize, u32)>> = HashMap::new();
    for (j, ins) in cx.instructions() {
        let Some(k) = stage_index(st, j) else {
            continue;
        };
        let names: Vec<&str> = match &ins.kind {
            InstructionKind::Arg(decls) => decls.iter().map(|a| a.name.value.as_str()).collect(),
            InstructionKind::Env(pairs) => pairs.iter().map(|kv| kv.key.value.as_str()).collect(),
            _ => continue,
        };
        for n in names {
            out.entry((k, n.to_string()))
                .or_default()
                .push((j, ins.span.start.line));
        }
    }
    out
}

fn check(cx: &Context, d: &mut Diagnostics) {
    let st = stages(cx);
    let lexer = Lexer::new(cx.df.escape);
    // BuildKit also suggests the global ARGs (declared before the first FROM).
    let globals = global_args(cx);
    let declared = declarations(cx, &st);
    for (i, ins) in cx.instructions() {
        let Some(k) = stage_index(&st, i) else {
            continue;
        };
        if i == st[k].from {
            continue;
        }
        let Some(vars) = cx.vars.get(i) else {
            continue;
        };
        // Follow FROM <stage> links to the image the stage chain starts from.
        let mut root = k;
        let mut hops = 0;
        while let Some(b) = st[root].base.filter(|b| *b < root) {
            root = b;
            hops += 1;
            if hops > st.len() {
                break;
            }
        }
        let from_scratch = from_words(cx, &st[root])
            .is_some_and(|(image, _)| unquote(&image.value).eq_ignore_ascii_case("scratch"));
        for w in expanded_words(&ins.kind) {
            if w.value.starts_with("<<") {
                continue;
            }
            let unmatched = lexer.process(&w.value, vars).unmatched;
            let base = w.span.start.offset as usize;
            let mut reported: Vec<String> = Vec::new();
            for r in var_refs(&w.value, cx.df.escape) {
                let text = w.value.get(r.start..r.end).unwrap_or("");
                let plain = text == format!("${}", r.name) || text == format!("${{{}}}", r.name);
                if !plain
                    || !unmatched.contains(&r.name)
                    || vars.is_declared(&r.name)
                    || ALWAYS_SET.contains(&r.name.as_str())
                    || reported.contains(&r.name)
                {
                    continue;
                }
                let candidates = vars
                    .declared
                    .iter()
                    .chain(vars.values.keys())
                    .chain(globals.iter())
                    .map(String::as_str)
                    .chain(ALWAYS_SET.iter().copied());
                let hint = suggest(&r.name, candidates);
                // Declared later in the stage: used before its ARG/ENV.
                let later = declared
                    .get(&(k, r.name.clone()))
                    .and_then(|v| v.iter().find(|(j, _)| *j > i))
                    .map(|(_, line)| *line);
                // A global ARG used in a stage without redeclaring it is the classic mistake.
                let global_only = globals.contains(&r.name);
                if hint.is_none() && !from_scratch && !global_only && later.is_none() {
                    continue;
                }
                let mut msg = format!("Usage of undefined variable '${}'", r.name);
                if let Some(h) = hint {
                    msg.push_str(&format!(" (did you mean ${h}?)"));
                }
                reported.push(r.name.clone());
                let help = if let Some(line) = later {
                    format!(
                        "`{}` is declared later, on line {line}: move that declaration above this line",
                        r.name
                    )
                } else if global_only {
                    format!(
                        "`{}` is a global ARG: redeclare it with `ARG {}` inside the stage",
                        r.name, r.name
                    )
                } else {
                    format!(
                        "declare it first with `ARG {}` or `ENV {}=…`",
                        r.name, r.name
                    )
                };
                d.report(cx.span(base + r.start, base + r.end), msg)
                    .with_help(help);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_typos_and_undefined_in_scratch() {
        let f = findings_of("HO1008", "FROM alpine\nENV PATH=$PAHT:/app/bin\n");
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "Usage of undefined variable '$PAHT' (did you mean $PATH?)"
        );
        assert_eq!((f[0].span.start.line, f[0].span.start.column), (2, 10));
        assert_eq!(
            positions("HO1008", "FROM scratch AS base\nCOPY $foo .\n"),
            vec![(2, 6)]
        );
    }

    #[test]
    fn accepts_declared_and_unknown_base_env() {
        assert!(positions(
            "HO1008",
            "FROM scratch\nARG foo\nCOPY $foo .\nENV A=1\nENV B=$A\n"
        )
        .is_empty());
        // GOPATH may come from the base image: not reported.
        assert!(positions("HO1008", "FROM golang:1\nENV X=$GOPATH/bin\n").is_empty());
        assert!(positions(
            "HO1008",
            "FROM scratch\nENV X=${NOPE:-default}\nRUN echo $NOPE\n"
        )
        .is_empty());
    }

    #[test]
    fn flags_global_arg_not_redeclared_in_stage() {
        let src = "ARG VERSION=1\nFROM alpine\nLABEL v=$VERSION\n";
        assert_eq!(positions("HO1008", src), vec![(3, 9)]);
        let ok = "ARG VERSION=1\nFROM alpine\nARG VERSION\nLABEL v=$VERSION\n";
        assert!(positions("HO1008", ok).is_empty());
    }
}
