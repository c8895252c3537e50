//! DL3006: an external image without a tag or digest (`FROM debian`, `COPY --from=alpine`).
use super::images::{external_images, Site};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3006",
        name: "base-image-untagged",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Always tag the version of an image explicitly",
        aliases: &["DS-0001"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for u in external_images(cx) {
        if u.is_scratch() || u.tag().is_some() || u.has_digest() {
            continue;
        }
        let msg = match u.site {
            Site::From => "Always tag the version of an image explicitly".to_string(),
            s => format!(
                "Always tag the version of an image explicitly (`{}` in {})",
                u.reference,
                s.describe()
            ),
        };
        d.report(u.span, msg).with_help(format!(
            "`{}` means `{}:latest`, which changes under you; pin a release tag such as `{}:<version>` or a digest",
            u.reference, u.reference, u.reference
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_untagged_images() {
        assert_eq!(positions("DL3006", "FROM debian\n"), vec![(1, 6)]);
        assert_eq!(
            positions("DL3006", "FROM localhost:5000/app\n"),
            vec![(1, 6)]
        );
        assert_eq!(
            positions("DL3006", "FROM debian:12\nCOPY --from=alpine /a /b\n"),
            vec![(2, 13)]
        );
        assert_eq!(
            positions(
                "DL3006",
                "FROM debian:12\nRUN --mount=type=bind,from=busybox,target=/b ls\n"
            ),
            vec![(2, 28)]
        );
    }

    #[test]
    fn resolves_args() {
        assert_eq!(
            positions("DL3006", "ARG BASE=debian\nFROM ${BASE}\n"),
            vec![(2, 6)]
        );
        assert!(positions("DL3006", "ARG BASE=debian\nARG V=12\nFROM ${BASE}:${V}\n").is_empty());
        assert!(positions("DL3006", "ARG IMAGE=nginx:mainline\nFROM ${IMAGE}\n").is_empty());
        assert_eq!(
            positions("DL3006", "ARG B\nFROM ${B:-debian}\n"),
            vec![(2, 6)]
        );
        assert!(positions("DL3006", "ARG B\nFROM ${B:-debian}:12\n").is_empty());
        // `debian${SUFFIX}` with SUFFIX unset is not resolvable: no guess.
        assert!(positions("DL3006", "ARG SUFFIX\nFROM debian${SUFFIX}\n").is_empty());
    }

    #[test]
    fn ignores_pinned_stages_and_unknowns() {
        assert!(positions("DL3006", "FROM debian:12\n").is_empty());
        assert!(positions("DL3006", "FROM debian@sha256:0123abcd\n").is_empty());
        assert!(positions("DL3006", "FROM localhost:5000/app:1.0\n").is_empty());
        assert!(positions("DL3006", "FROM scratch\n").is_empty());
        assert!(positions("DL3006", "FROM debian:12 AS builder\nFROM builder\n").is_empty());
        // An ARG without a value cannot be resolved: no guess.
        assert!(positions("DL3006", "ARG BASE\nFROM ${BASE}\n").is_empty());
        assert!(positions("DL3006", "FROM alpine:%%VERSION%%\n").is_empty());
        assert!(positions(
            "DL3006",
            "FROM mcr.microsoft.com/windows/{{ env.variant }}:{{ env.release }}\n"
        )
        .is_empty());
        assert!(positions(
            "DL3006",
            "FROM debian:12 AS build\nFROM debian:12\nCOPY --from=build /a /b\nCOPY --from=0 /a /c\n"
        )
        .is_empty());
        assert!(positions(
            "DL3006",
            "FROM debian:12 AS build\nFROM debian:12\nRUN --mount=type=bind,from=build,target=/b ls\n"
        )
        .is_empty());
    }
}
