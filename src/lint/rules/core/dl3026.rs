//! DL3026: an external image from a registry that is not in `trusted-registries`.
use super::images::{external_images, normalize_registry};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3026",
        name: "untrusted-registry",
        severity: Severity::Error,
        category: Category::Pinning,
        summary: "Use only an allowed registry in the FROM image",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// Whether `registry` (normalised) is allowed by one trusted entry. An entry `*.example.com`
/// allows every subdomain of `example.com`; `*` allows every registry (as in hadolint).
fn allowed_by(entry: &str, registry: &str) -> bool {
    if entry.trim() == "*" {
        return true;
    }
    let e = normalize_registry(entry);
    match e.strip_prefix("*.") {
        Some(suffix) => registry
            .strip_suffix(suffix)
            .is_some_and(|head| head.ends_with('.')),
        None => e == registry,
    }
}

fn check(cx: &Context, d: &mut Diagnostics) {
    let trusted = &cx.options.trusted_registries;
    if trusted.is_empty() {
        return;
    }
    for u in external_images(cx) {
        if u.is_scratch() {
            continue;
        }
        let reg = u.registry_normalized();
        if trusted.iter().any(|t| allowed_by(t, &reg)) {
            continue;
        }
        d.report(
            u.span,
            format!("Use only an allowed registry in the FROM image (`{}` is from `{reg}`)", u.reference),
        )
        .with_help(format!(
            "pull it through one of the trusted registries ({}) or add `{reg}` to `trusted-registries`",
            trusted.join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::config::LintOptions;
    use crate::lint::testing::findings_with;

    fn pos(src: &str, trusted: &[&str]) -> Vec<(u32, u32)> {
        let opts = LintOptions {
            trusted_registries: trusted.iter().map(|s| s.to_string()).collect(),
            ..LintOptions::default()
        };
        findings_with("DL3026", src, &opts)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_untrusted() {
        assert_eq!(pos("FROM debian:12\n", &["my.registry"]), vec![(1, 6)]);
        assert_eq!(
            pos(
                "FROM my.registry/a:1\nCOPY --from=ghcr.io/x/y:1 /a /b\n",
                &["my.registry"]
            ),
            vec![(2, 13)]
        );
        assert_eq!(
            pos("FROM localhost:5000/app:1\n", &["localhost"]),
            vec![(1, 6)]
        );
    }

    #[test]
    fn accepts_trusted() {
        assert!(pos("FROM debian:12\n", &[]).is_empty());
        assert!(pos("FROM debian:12\n", &["docker.io"]).is_empty());
        assert!(pos("FROM library/debian:12\n", &["hub.docker.com"]).is_empty());
        assert!(pos("FROM index.docker.io/library/debian:12\n", &["docker.io"]).is_empty());
        assert!(pos("FROM scratch\n", &["my.registry"]).is_empty());
        assert!(pos("FROM eu.gcr.io/p/a:1\n", &["*.gcr.io"]).is_empty());
        assert!(pos("FROM ghcr.io/a/b:1\nFROM debian:12\n", &["*"]).is_empty());
        assert!(pos("FROM my.registry/a:1 AS b\nFROM b\n", &["my.registry"]).is_empty());
    }
}
