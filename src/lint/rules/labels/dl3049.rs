//! DL3049: a label required by the label schema is missing from a stage that produces an image.
use super::util::label_pairs;
use crate::dockerfile::InstructionKind;
use crate::lint::rules::instr::util::{stage_index, stages, unquote};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3049",
        name: "label-missing",
        severity: Severity::Info,
        category: Category::Labels,
        summary: "Label is missing.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    if cx.options.label_schema.is_empty() {
        return;
    }
    let st = stages(cx);
    let pairs = label_pairs(cx);
    // Stages used only to build others (a base of another stage, or copied from) are not
    // images anyone runs; only the others must carry the labels.
    let mut used = vec![false; st.len()];
    for s in &st {
        if let Some(b) = s.base {
            if let Some(u) = used.get_mut(b) {
                *u = true;
            }
        }
    }
    for (i, ins) in cx.instructions() {
        // `COPY --from=stage` and `RUN --mount=…,from=stage`.
        let from = ins.flag("from").and_then(|f| f.value.as_deref());
        let mounts = ins
            .flags_named("mount")
            .filter_map(|f| f.value.as_deref())
            .filter_map(|v| v.split(',').find_map(|kv| kv.strip_prefix("from=")));
        if !matches!(
            ins.kind,
            InstructionKind::Copy(_) | InstructionKind::Add(_) | InstructionKind::Run(_)
        ) {
            continue;
        }
        for name in from.into_iter().chain(mounts) {
            let name = unquote(name).to_ascii_lowercase();
            let hit = match name.parse::<usize>() {
                Ok(n) => Some(n),
                Err(_) => st
                    .iter()
                    .position(|s| s.name.as_deref() == Some(name.as_str())),
            };
            if let Some(u) = hit
                .filter(|h| Some(*h) != stage_index(&st, i))
                .and_then(|h| used.get_mut(h))
            {
                *u = true;
            }
        }
    }
    for label in cx.options.label_schema.keys() {
        for (k, s) in st.iter().enumerate() {
            if used.get(k).copied().unwrap_or(false) {
                continue;
            }
            // The stage or one of the stages of this file it is built from sets the label.
            let mut cur = Some(k);
            let mut found = false;
            let mut hops = 0;
            while let Some(c) = cur {
                if pairs
                    .iter()
                    .any(|p| stage_index(&st, p.instr) == Some(c) && p.key == *label)
                {
                    found = true;
                    break;
                }
                cur = st.get(c).and_then(|x| x.base).filter(|b| *b < c);
                hops += 1;
                if hops > st.len() {
                    break;
                }
            }
            if !found {
                if let Some(from) = cx.df.instructions.get(s.from) {
                    d.report(
                        from.keyword_word.span,
                        format!("Label `{label}` is missing."),
                    )
                    .with_help(format!("add `LABEL {label}=…` to this stage"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::{findings_with, positions};

    fn run(src: &str) -> Vec<(u32, u32)> {
        let options = LintOptions {
            label_schema: BTreeMap::from([("maintainer".to_string(), "text".to_string())]),
            ..LintOptions::default()
        };
        findings_with("DL3049", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_image_stages_without_the_label() {
        assert_eq!(run("FROM a:1\nRUN x\n"), vec![(1, 1)]);
        assert_eq!(
            run("FROM a:1 AS b\nLABEL maintainer=me\nFROM c:1\n"),
            vec![(3, 1)]
        );
    }

    #[test]
    fn accepts_labels_inherited_or_builder_stages() {
        assert!(run("FROM a:1\nLABEL maintainer=me\n").is_empty());
        assert!(run("FROM a:1 AS b\nLABEL maintainer=me\nFROM b\n").is_empty());
        assert!(run(
            "FROM a:1 AS build\nRUN make\nFROM c:1\nCOPY --from=build /x /x\nLABEL maintainer=me\n"
        )
        .is_empty());
        assert!(
            positions("DL3049", "FROM a:1\n").is_empty(),
            "no schema, no finding"
        );
    }
}
