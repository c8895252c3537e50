//! DL3022: `COPY --from` naming neither an earlier stage nor an image reference.
use super::util::{stage_index, stages, unquote};
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3022",
        name: "copy-from-unknown-stage",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "`COPY --from` should reference a previously defined `FROM` alias",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// `nginx:1`, `docker.io/x/y`, `img@sha256:…`: an image, not a stage name.
pub(crate) fn looks_like_image_ref(s: &str) -> bool {
    s.contains(':') || s.contains('@') || s.contains('/')
}

fn check(cx: &Context, d: &mut Diagnostics) {
    let st = stages(cx);
    for (i, ins) in cx.instructions() {
        if !matches!(ins.kind, InstructionKind::Copy(_)) {
            continue;
        }
        let Some(flag) = ins.flag("from") else {
            continue;
        };
        let Some(value) = flag.value.as_deref() else {
            continue;
        };
        let v = unquote(value).to_ascii_lowercase();
        if v.is_empty() || v.contains('$') || looks_like_image_ref(&v) {
            continue;
        }
        let current = stage_index(&st, i);
        let known = if let Ok(n) = v.parse::<usize>() {
            // A stage index: earlier stages are fine, the current one is DL3023.
            current.is_some_and(|c| n <= c)
        } else {
            st.iter().enumerate().any(|(k, s)| {
                current.is_some_and(|c| k <= c) && s.name.as_deref() == Some(v.as_str())
            })
        };
        if !known {
            d.report(
                flag.span,
                "`COPY --from` should reference a previously defined `FROM` alias",
            )
            .with_help("name a stage defined above (`FROM … AS name`) or a full image reference such as `nginx:1.27`");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unknown_stage_names() {
        let src = "FROM a:1 AS build\nFROM b:1\nCOPY --from=nope /a /b\nCOPY --from=5 /a /b\nCOPY --from=later /a /b\nFROM c:1 AS later\n";
        assert_eq!(positions("DL3022", src), vec![(3, 6), (4, 6), (5, 6)]);
    }

    #[test]
    fn accepts_stages_indices_and_image_references() {
        let src = "FROM a:1 AS build\nFROM b:1\nCOPY --from=build /a /b\nCOPY --from=Build /a /b\n\
                   COPY --from=0 /a /b\nCOPY --from=nginx:latest /a /b\nCOPY --from=docker.io/x/y /a /b\n\
                   COPY --from=img@sha256:abc /a /b\nCOPY --from=$X /a /b\n";
        assert!(positions("DL3022", src).is_empty());
    }
}
