//! License strings → SPDX license expressions. Metadata gives licenses in many spellings
//! (Debian DEP-5 short names such as `GPL-2+`, `Expat`; PyPI and npm free text; apk and rpm
//! expressions); this turns the ones that are expressions over known SPDX license IDs into their
//! canonical spelling and says `None` for the rest, which the writers keep as named licenses.
//!
//! The ID lists (`spdx_license_ids.txt`, `spdx_exception_ids.txt`, one ID per line) are the SPDX
//! license list identifiers known both to the ScanCode license index that `spdx-tools`
//! validates against and to the CycloneDX `spdx.schema.json` enum, so an ID written by either
//! writer validates in both.

use std::collections::HashMap;
use std::sync::OnceLock;

const LICENSE_IDS: &str = include_str!("spdx_license_ids.txt");
const EXCEPTION_IDS: &str = include_str!("spdx_exception_ids.txt");

fn table(text: &'static str) -> HashMap<String, &'static str> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| (l.to_ascii_lowercase(), l))
        .collect()
}

fn licenses() -> &'static HashMap<String, &'static str> {
    static T: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    T.get_or_init(|| table(LICENSE_IDS))
}

fn exceptions() -> &'static HashMap<String, &'static str> {
    static T: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    T.get_or_init(|| table(EXCEPTION_IDS))
}

/// Debian DEP-5 short names that differ from SPDX IDs (the DEP-5 spec's own table).
fn dep5_alias(token: &str) -> Option<String> {
    let lower = token.to_ascii_lowercase();
    let fixed = match lower.as_str() {
        "expat" => Some("MIT"),
        "artistic" | "artistic-1" => Some("Artistic-1.0"),
        "artistic-2" => Some("Artistic-2.0"),
        "apache-2" => Some("Apache-2.0"),
        "mpl-1.1" => Some("MPL-1.1"),
        "mpl-2" => Some("MPL-2.0"),
        "zlib" => Some("Zlib"),
        "psf-2" => Some("PSF-2.0"),
        "bsd-2" => Some("BSD-2-Clause"),
        "bsd-3" => Some("BSD-3-Clause"),
        "bsd-4" => Some("BSD-4-Clause"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(f.to_string());
    }
    // GPL-2, GPL-2+, LGPL-2.1+, AGPL-3, GFDL-1.3+ …
    for family in ["agpl", "lgpl", "gpl", "gfdl"] {
        let Some(rest) = lower.strip_prefix(family).and_then(|r| r.strip_prefix('-')) else {
            continue;
        };
        let (ver, later) = match rest.strip_suffix('+') {
            Some(v) => (v, true),
            None => (rest, false),
        };
        if ver.is_empty() || !ver.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        let ver = if ver.contains('.') {
            ver.to_string()
        } else {
            format!("{ver}.0")
        };
        let name = family.to_ascii_uppercase();
        let id = format!("{name}-{ver}-{}", if later { "or-later" } else { "only" });
        return licenses()
            .get(&id.to_ascii_lowercase())
            .map(|s| s.to_string());
    }
    None
}

fn canonical_id(token: &str) -> Option<String> {
    // DEP-5 names first: they also turn deprecated IDs (`GPL-2.0`, `LGPL-2.1+`) into current ones.
    if let Some(id) = dep5_alias(token) {
        return Some(id);
    }
    let (base, plus) = match token.strip_suffix('+') {
        Some(b) if !b.is_empty() => (b, true),
        _ => (token, false),
    };
    if let Some(id) = licenses().get(&token.to_ascii_lowercase()) {
        return Some(id.to_string());
    }
    if let Some(id) = licenses().get(&base.to_ascii_lowercase()) {
        return Some(if plus {
            format!("{id}+")
        } else {
            id.to_string()
        });
    }
    if token.starts_with("LicenseRef-")
        && token.len() > 11
        && token[11..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Some(token.to_string());
    }
    None
}

/// The canonical SPDX expression for `text`, or `None` when it is not an expression over known
/// license IDs (free text, unknown names).
pub fn to_spdx(text: &str) -> Option<String> {
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.is_empty() {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    let mut expect_operand = true;
    let mut after_with = false;
    let mut depth = 0i32;
    for t in tokens {
        let upper = t.to_ascii_uppercase();
        match (upper.as_str(), expect_operand) {
            ("(", true) => {
                depth += 1;
                out.push("(".into());
            }
            (")", false) => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
                out.push(")".into());
            }
            ("AND" | "OR", false) => {
                out.push(upper);
                expect_operand = true;
            }
            ("WITH", false) => {
                out.push(upper);
                expect_operand = true;
                after_with = true;
            }
            (_, true) if after_with => {
                out.push(exceptions().get(&t.to_ascii_lowercase())?.to_string());
                after_with = false;
                expect_operand = false;
            }
            (_, true) => {
                out.push(canonical_id(t)?);
                expect_operand = false;
            }
            _ => return None,
        }
    }
    if expect_operand || depth != 0 {
        return None;
    }
    let mut s = out.join(" ");
    s = s.replace("( ", "(").replace(" )", ")");
    Some(s)
}

/// True when `id` is one known SPDX license ID (no expression).
pub fn is_license_id(id: &str) -> bool {
    licenses().get(&id.to_ascii_lowercase()) == Some(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_and_case() {
        assert_eq!(to_spdx("mit").as_deref(), Some("MIT"));
        assert_eq!(to_spdx("Apache-2.0").as_deref(), Some("Apache-2.0"));
        assert!(is_license_id("MIT"));
        assert!(!is_license_id("mit"));
    }

    #[test]
    fn dep5_names() {
        assert_eq!(to_spdx("GPL-2+").as_deref(), Some("GPL-2.0-or-later"));
        assert_eq!(to_spdx("LGPL-2.1").as_deref(), Some("LGPL-2.1-only"));
        assert_eq!(to_spdx("Expat").as_deref(), Some("MIT"));
        assert_eq!(
            to_spdx("GPL-2+ or Artistic").as_deref(),
            Some("GPL-2.0-or-later OR Artistic-1.0")
        );
    }

    #[test]
    fn expressions() {
        assert_eq!(
            to_spdx("(MIT OR Apache-2.0) AND BSD-3-Clause").as_deref(),
            Some("(MIT OR Apache-2.0) AND BSD-3-Clause")
        );
        assert_eq!(
            to_spdx("GPL-2.0-only WITH Classpath-exception-2.0").as_deref(),
            Some("GPL-2.0-only WITH Classpath-exception-2.0")
        );
    }

    #[test]
    fn free_text_is_not_an_expression() {
        assert_eq!(to_spdx("public-domain"), None);
        assert_eq!(to_spdx("MIT OR"), None);
        assert_eq!(to_spdx("(MIT"), None);
        assert_eq!(to_spdx("BSD License"), None);
        assert_eq!(to_spdx(""), None);
    }
}
