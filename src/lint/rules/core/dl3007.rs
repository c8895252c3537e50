//! DL3007: an external image pinned to the moving `latest` tag.
use super::images::{external_images, Site};
use crate::dockerfile::InstructionKind;
use crate::lint::rules::instr::util::var_refs;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3007",
        name: "base-image-latest",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Using latest is prone to errors if the image will ever update",
        aliases: &["DS-0001"],
        opt_in: false,
    },
    check,
};

/// Where `latest` came from when the reference was written with variables: the `--build-arg`
/// or the ARG default (and its line) that a variable of the written word takes its value from.
fn tag_origin(cx: &Context, instr: usize, written: &str) -> Option<String> {
    for r in var_refs(written, cx.df.escape) {
        if let Some(v) = cx.options.build_args.as_ref().and_then(|a| a.get(&r.name)) {
            if v.contains("latest") {
                return Some(format!("`--build-arg {}={v}`", r.name));
            }
            continue;
        }
        let default = cx.df.instructions[..instr.min(cx.df.instructions.len())]
            .iter()
            .rev()
            .find_map(|ins| match &ins.kind {
                InstructionKind::Arg(decls) => decls
                    .iter()
                    .rev()
                    .find(|a| a.name.value == r.name)
                    .map(|a| (ins, a.default.as_ref())),
                _ => None,
            });
        if let Some((ins, Some(def))) = default {
            if def.value.contains("latest") {
                return Some(format!(
                    "`${}` is `{}`, the default of the ARG on line {}",
                    r.name, def.value, ins.span.start.line
                ));
            }
        }
    }
    None
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for u in external_images(cx) {
        // `image:latest@sha256:…` is pinned by its digest.
        if u.tag() != Some("latest") || u.has_digest() {
            continue;
        }
        let base = "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag";
        let written = cx
            .source
            .get(u.span.start.offset as usize..u.span.end.offset as usize)
            .unwrap_or("");
        let origin = if written.contains('$') {
            tag_origin(cx, u.instr, written)
        } else {
            None
        };
        let mut msg = match u.site {
            Site::From => base.to_string(),
            s => format!("{base} (`{}` in {})", u.reference, s.describe()),
        };
        if let Some(o) = &origin {
            msg.push_str(&format!(": `{written}` is `{}` ({o})", u.reference));
        }
        let help = match &origin {
            Some(_) => "change the ARG default (or the build argument) to a release tag, or add an `@sha256:` digest",
            None => "replace `latest` with a release tag, or add an `@sha256:` digest",
        };
        d.report(u.span, msg).with_help(help);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_latest() {
        assert_eq!(positions("DL3007", "FROM debian:latest\n"), vec![(1, 6)]);
        assert_eq!(
            positions("DL3007", "ARG TAG=latest\nFROM debian:${TAG}\n"),
            vec![(2, 6)]
        );
        assert_eq!(
            positions("DL3007", "FROM debian:12\nCOPY --from=tool:latest /a /b\n"),
            vec![(2, 13)]
        );
        assert_eq!(
            positions("DL3007", "FROM localhost:5000/app:latest\n"),
            vec![(1, 6)]
        );
    }

    #[test]
    fn names_the_arg_default_the_tag_came_from() {
        let f = findings_of("DL3007", "ARG TAG=latest\nFROM debian:${TAG}\n");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("`debian:${TAG}` is `debian:latest`")
                && f[0].message.contains("the default of the ARG on line 1"),
            "{}",
            f[0].message
        );
        let plain = findings_of("DL3007", "FROM debian:latest\n");
        assert!(!plain[0].message.contains("ARG"), "{}", plain[0].message);
    }

    #[test]
    fn ignores_other_tags() {
        assert!(positions("DL3007", "FROM debian\n").is_empty());
        assert!(positions("DL3007", "FROM debian:12\n").is_empty());
        assert!(positions("DL3007", "FROM debian:latest@sha256:0123abcd\n").is_empty());
        assert!(positions("DL3007", "FROM debian:latest-slim\n").is_empty());
        assert!(positions("DL3007", "ARG TAG\nFROM debian:${TAG}\n").is_empty());
        assert!(positions(
            "DL3007",
            "FROM debian:12 AS latest\nFROM debian:12\nCOPY --from=latest /a /b\n"
        )
        .is_empty());
    }
}
