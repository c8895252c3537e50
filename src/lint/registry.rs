//! The single registry of rules, and lookup by code, name or alias.

use super::{rules, Rule};

/// Every rule, in code order within each group.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    rules::core::RULES
        .iter()
        .chain(rules::packages::RULES)
        .chain(rules::shell::RULES)
        .chain(rules::instr::RULES)
        .chain(rules::labels::RULES)
        .chain(rules::buildkit::RULES)
        .chain(rules::meta::RULES)
        .copied()
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
    fn trivy_spellings_fold() {
        assert_eq!(normalize_code("ds002"), "DS-0002");
        assert_eq!(normalize_code("AVD-DS-0002"), "DS-0002");
        assert_eq!(normalize_code("DS-0002"), "DS-0002");
    }
}
