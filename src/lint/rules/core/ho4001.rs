//! HO4001: opt-in policy requiring every external image to be pinned by digest.
use super::images::external_images;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO4001",
        name: "base-image-no-digest",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Pin every external image by its @sha256 digest",
        aliases: &[],
        opt_in: true,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for u in external_images(cx) {
        if u.is_scratch() || u.has_digest() {
            continue;
        }
        d.report(
            u.span,
            format!("Image `{}` is not pinned by digest", u.reference),
        )
        .with_help(format!(
            "append the digest you tested with, e.g. `{}@sha256:<digest>` (`docker buildx imagetools inspect {}` prints it)",
            u.reference, u.reference
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn requires_digests() {
        assert_eq!(positions("HO4001", "FROM debian:12\n"), vec![(1, 6)]);
        assert_eq!(
            positions(
                "HO4001",
                "FROM debian@sha256:0123abcd AS b\nFROM b\nCOPY --from=alpine:3 /a /b\n"
            ),
            vec![(3, 13)]
        );
    }

    #[test]
    fn accepts_digests_scratch_and_stages() {
        assert!(positions("HO4001", "FROM debian:12@sha256:0123abcd\n").is_empty());
        assert!(positions("HO4001", "FROM scratch\n").is_empty());
        assert!(positions("HO4001", "ARG B\nFROM $B\n").is_empty());
    }

    #[test]
    fn off_by_default() {
        let report = crate::lint::lint_source(
            std::path::Path::new("Dockerfile"),
            "FROM debian:12\n",
            &crate::lint::config::LintOptions::default(),
        );
        assert!(report.findings.iter().all(|f| f.code != "HO4001"));
    }
}
