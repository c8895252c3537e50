//! DL3048: a label key that breaks Docker's key format recommendations.
use super::util::label_pairs;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3048",
        name: "invalid-label-key",
        severity: Severity::Style,
        category: Category::Labels,
        summary: "Invalid label key.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// Lower-case alphanumerics, `.` and `-`; starts with a letter, ends with a letter or digit; no
/// repeated separators; not in a namespace Docker reserves.
pub(crate) fn key_problem(key: &str) -> Option<&'static str> {
    let first = key.chars().next()?;
    let last = key.chars().last()?;
    if !first.is_ascii_lowercase() {
        return Some("must start with a lower-case letter");
    }
    if !(last.is_ascii_lowercase() || last.is_ascii_digit()) {
        return Some("must end with a lower-case letter or a digit");
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Some("may only use lower-case letters, digits, `.` and `-`");
    }
    if key.contains("..") || key.contains("--") {
        return Some("must not repeat `.` or `-`");
    }
    if ["com.docker.", "io.docker.", "org.dockerproject."]
        .iter()
        .any(|p| key.starts_with(p))
    {
        return Some("uses a namespace reserved by Docker");
    }
    None
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for p in label_pairs(cx) {
        if p.key.contains('$') {
            continue;
        }
        if let Some(why) = key_problem(&p.key) {
            d.report(p.kv.key.span, "Invalid label key.")
                .with_help(format!(
                    "label key `{}` {why}; use reverse-DNS keys such as `org.example.version`",
                    p.key
                ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_bad_keys() {
        let src =
            "FROM a:1\nLABEL Foo=1\nLABEL a..b=1 a.-b=1\nLABEL com.docker.x=1 \"-a\"=2 a_b=3\n";
        assert_eq!(
            positions("DL3048", src),
            vec![(2, 7), (3, 7), (4, 7), (4, 22), (4, 29)]
        );
    }

    #[test]
    fn accepts_good_keys() {
        let src = "FROM a:1\nLABEL a.b-c=1 org.opencontainers.image.created=x com.example.x1=1 \"maintainer\"=me\n";
        assert!(positions("DL3048", src).is_empty());
    }
}
