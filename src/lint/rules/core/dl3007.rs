//! DL3007: an external image pinned to the moving `latest` tag.
use super::images::{external_images, Site};
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

fn check(cx: &Context, d: &mut Diagnostics) {
    for u in external_images(cx) {
        // `image:latest@sha256:…` is pinned by its digest.
        if u.tag() != Some("latest") || u.has_digest() {
            continue;
        }
        let base = "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag";
        let msg = match u.site {
            Site::From => base.to_string(),
            s => format!("{base} (`{}` in {})", u.reference, s.describe()),
        };
        d.report(u.span, msg)
            .with_help("replace `latest` with a release tag, or add an `@sha256:` digest");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

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
