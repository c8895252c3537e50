//! The single registry of rules, and lookup by code, name, alias or group. The rule modules
//! themselves are private: this registry is how the rest of the program reaches them.

use super::{rules, Rule};

/// The rule groups in order, each with its rules in code order:
/// - `core`: base-image pinning, root user, shell-form CMD/ENTRYPOINT, secrets;
/// - `packages`: package-manager rules over RUN commands (pins, caches, prompts);
/// - `shell`: other rules over the shell commands of RUN;
/// - `instr`: other instruction rules from hadolint and Trivy;
/// - `labels`: LABEL keys and the label schema;
/// - `buildkit`: BuildKit's build checks not covered above;
/// - `meta`: rules about the lint pragmas themselves.
static GROUPS: &[(&str, &[&Rule])] = &[
    ("core", rules::core::RULES),
    ("packages", rules::packages::RULES),
    ("shell", rules::shell::RULES),
    ("instr", rules::instr::RULES),
    ("labels", rules::labels::RULES),
    ("buildkit", rules::buildkit::RULES),
    ("meta", rules::meta::RULES),
];

/// Every rule, group by group ([`groups`]), in code order within each group.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    GROUPS.iter().flat_map(|(_, rules)| rules.iter().copied())
}

/// The names of the rule groups, in order.
pub fn groups() -> impl Iterator<Item = &'static str> {
    GROUPS.iter().map(|(name, _)| *name)
}

/// The rules of the group `name` (case-insensitive), or `None` for an unknown group.
pub fn group(name: &str) -> Option<&'static [&'static Rule]> {
    GROUPS
        .iter()
        .find(|(g, _)| g.eq_ignore_ascii_case(name.trim()))
        .map(|(_, rules)| *rules)
}

/// Normalises a code for comparison: upper-case, and Trivy's `DS002`/`DS-0002`/`AVD-DS-0002`
/// spellings folded to `DS-0002`.
pub fn normalize_code(code: &str) -> String {
    let up = code.trim().to_ascii_uppercase();
    let up = up.strip_prefix("AVD-").unwrap_or(&up).to_string();
    if let Some(num) = up.strip_prefix("DS-").or_else(|| up.strip_prefix("DS")) {
        if !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(n) = num.parse::<u32>() {
                return format!("DS-{n:04}");
            }
        }
    }
    up
}

/// True when `name` (a code, rule name or alias, any case) designates `rule`.
pub fn matches(rule: &Rule, name: &str) -> bool {
    let n = normalize_code(name);
    normalize_code(rule.meta.code) == n
        || rule.meta.name.eq_ignore_ascii_case(name.trim())
        || rule.meta.aliases.iter().any(|a| normalize_code(a) == n)
}

/// The first rule designated by `name`, if any.
pub fn find(name: &str) -> Option<&'static Rule> {
    all().find(|r| matches(r, name))
}

/// True when `name` designates the finding code `code` (a rule's code, or a code such as `SC2086`
/// or `DL1000` that has no rule entry).
pub fn code_matches(code: &str, name: &str) -> bool {
    match find(code) {
        Some(rule) => matches(rule, name),
        None => normalize_code(code) == normalize_code(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Codes and names are unique. An alias may name several rules (BuildKit's
    /// `MultipleInstructionsDisallowed` covers hadolint's DL4003, DL4004 and DL3012), but never
    /// another rule's code or name.
    #[test]
    fn codes_and_names_are_unique() {
        let mut seen = HashSet::new();
        for r in all() {
            assert!(
                seen.insert(normalize_code(r.meta.code)),
                "duplicate {}",
                r.meta.code
            );
            assert!(
                seen.insert(r.meta.name.to_ascii_uppercase()),
                "duplicate name {}",
                r.meta.name
            );
        }
        for r in all() {
            for a in r.meta.aliases {
                let n = normalize_code(a);
                assert!(
                    !all()
                        .any(|o| normalize_code(o.meta.code) == n
                            || o.meta.name.eq_ignore_ascii_case(a)),
                    "alias {a} of {} is another rule's code or name",
                    r.meta.code
                );
            }
        }
    }

    #[test]
    fn groups_partition_the_rules() {
        let total: usize = groups().filter_map(group).map(<[_]>::len).sum();
        assert_eq!(total, all().count());
        assert!(group("LABELS").is_some_and(|r| r.iter().any(|r| r.meta.code == "DL3049")));
        assert!(group("nope").is_none());
    }

    #[test]
    fn trivy_spellings_fold() {
        assert_eq!(normalize_code("ds002"), "DS-0002");
        assert_eq!(normalize_code("AVD-DS-0002"), "DS-0002");
        assert_eq!(normalize_code("DS-0002"), "DS-0002");
    }
}
