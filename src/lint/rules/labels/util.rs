//! Shared pieces of the label rules: iterating LABEL pairs with their processed keys and values,
//! and the value validators of hadolint's `label-schema` types.

use std::sync::OnceLock;

use regex::Regex;

use crate::dockerfile::KeyValue;
use crate::lint::rules::instr::util::{unquote, var_refs};
use crate::lint::Context;

/// One `key=value` of a LABEL instruction.
pub(crate) struct LabelPair<'a> {
    /// Index of the LABEL in `df.instructions`.
    pub instr: usize,
    pub kv: &'a KeyValue,
    /// The key with quotes removed.
    pub key: String,
    /// The value with quotes removed and variables expanded; `None` when it uses a variable
    /// whose value is unknown at lint time.
    pub value: Option<String>,
}

/// Every LABEL pair of the file (ONBUILD triggers excluded), in order.
pub(crate) fn label_pairs<'a>(cx: &Context<'a>) -> Vec<LabelPair<'a>> {
    let mut out = Vec::new();
    for (i, ins) in cx.instructions() {
        let crate::dockerfile::InstructionKind::Label(pairs) = &ins.kind else {
            continue;
        };
        for kv in pairs {
            let raw = &kv.value.value;
            let vars = cx.vars.get(i);
            let known = var_refs(raw, cx.df.escape)
                .iter()
                .all(|r| vars.is_some_and(|v| v.values.contains_key(&r.name)));
            let value = if known { cx.expand(i, raw) } else { None };
            out.push(LabelPair {
                instr: i,
                kv,
                key: unquote(&kv.key.value).to_string(),
                value,
            });
        }
    }
    out
}

/// Names of schema labels of type `ty`.
pub(crate) fn schema_labels<'a>(
    cx: &'a Context,
    ty: &'a str,
) -> impl Iterator<Item = &'a String> + 'a {
    cx.options
        .label_schema
        .iter()
        .filter(move |(_, t)| t.eq_ignore_ascii_case(ty))
        .map(|(k, _)| k)
}

fn cached(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// An absolute URI: a scheme, `:`, and no whitespace.
pub(crate) fn is_url(v: &str) -> bool {
    crate::dockerfile::is_url(v)
}

/// An RFC 3339 date-time with `T` between date and time, and valid field ranges.
pub(crate) fn is_rfc3339(v: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = cached(
        &RE,
        r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$",
    ) else {
        return false;
    };
    let Some(c) = re.captures(v) else {
        return false;
    };
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
        (num(1), num(2), num(3), num(4), num(5), num(6))
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    let offset_ok = match (num(9), num(10)) {
        (Some(oh), Some(om)) => oh <= 23 && om <= 59,
        _ => true,
    };
    (1..=days).contains(&d) && h <= 23 && mi <= 59 && s <= 60 && offset_ok
}

/// Semantic Versioning 2.0.0: `MAJOR.MINOR.PATCH[-pre][+build]`.
pub(crate) fn is_semver(v: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
    )
    .is_some_and(|re| re.is_match(v))
}

/// A git commit hash: 7 or 40 lower-case hex digits (hadolint's definition).
pub(crate) fn is_git_hash(v: &str) -> bool {
    (v.len() == 7 || v.len() == 40) && v.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// An email address: `local@domain` with an RFC 5322 dot-atom local part and a domain of
/// dot-separated labels (or an address literal).
pub(crate) fn is_email(v: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*|\[[^\[\]\\\s]*\])$",
    )
    .is_some_and(|re| re.is_match(v))
}

/// Common SPDX license identifiers (a subset of the SPDX License List, matched
/// case-insensitively as the SPDX specification allows).
const SPDX_IDS: &[&str] = &[
    "0BSD",
    "AAL",
    "AFL-1.1",
    "AFL-1.2",
    "AFL-2.0",
    "AFL-2.1",
    "AFL-3.0",
    "AGPL-1.0",
    "AGPL-1.0-only",
    "AGPL-1.0-or-later",
    "AGPL-3.0",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "APSL-2.0",
    "Artistic-1.0",
    "Artistic-2.0",
    "BlueOak-1.0.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-2-Clause-Patent",
    "BSD-3-Clause",
    "BSD-3-Clause-Clear",
    "BSD-4-Clause",
    "BSL-1.0",
    "BUSL-1.1",
    "bzip2-1.0.6",
    "CAL-1.0",
    "CC-BY-1.0",
    "CC-BY-2.0",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-ND-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "CECILL-2.1",
    "CPAL-1.0",
    "CPL-1.0",
    "ECL-2.0",
    "EFL-2.0",
    "Elastic-2.0",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.1",
    "EUPL-1.2",
    "FSFAP",
    "FTL",
    "GFDL-1.3",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "GPL-2.0-with-classpath-exception",
    "HPND",
    "ICU",
    "IJG",
    "IPL-1.0",
    "ISC",
    "LGPL-2.0",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libpng-2.0",
    "LPL-1.02",
    "LPPL-1.3c",
    "MirOS",
    "MIT",
    "MIT-0",
    "MIT-CMU",
    "MPL-1.0",
    "MPL-1.1",
    "MPL-2.0",
    "MPL-2.0-no-copyleft-exception",
    "MS-PL",
    "MS-RL",
    "MulanPSL-2.0",
    "NCSA",
    "NTP",
    "ODbL-1.0",
    "OFL-1.1",
    "OpenSSL",
    "OSL-1.0",
    "OSL-2.0",
    "OSL-2.1",
    "OSL-3.0",
    "PHP-3.0",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Qhull",
    "RPL-1.5",
    "Ruby",
    "SGI-B-2.0",
    "SISSL",
    "Sleepycat",
    "SSPL-1.0",
    "TCL",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "UPL-1.0",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "XFree86-1.1",
    "Xnet",
    "Zlib",
    "zlib-acknowledgement",
    "ZPL-2.0",
    "ZPL-2.1",
];

/// SPDX license exceptions that may follow `WITH`.
const SPDX_EXCEPTIONS: &[&str] = &[
    "Classpath-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
    "OpenJDK-assembly-exception-1.0",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Font-exception-2.0",
    "Linux-syscall-note",
    "openvpn-openssl-exception",
    "Qt-GPL-exception-1.0",
    "Qt-LGPL-exception-1.1",
    "u-boot-exception-2.0",
    "WxWindows-exception-3.1",
];

fn is_license_id(t: &str) -> bool {
    let t = t.strip_suffix('+').unwrap_or(t);
    SPDX_IDS.iter().any(|id| id.eq_ignore_ascii_case(t))
        || t.strip_prefix("LicenseRef-").is_some_and(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
}

/// A license identifier from the embedded SPDX list, or an SPDX expression of them (`AND`, `OR`,
/// `WITH <exception>`, parentheses).
pub(crate) fn is_spdx(v: &str) -> bool {
    let spaced = v.replace('(', " ( ").replace(')', " ) ");
    let toks: Vec<&str> = spaced.split_whitespace().collect();
    let mut depth = 0i32;
    let mut expect_operand = true;
    let mut after_with = false;
    for t in &toks {
        match *t {
            "(" if expect_operand => depth += 1,
            ")" if !expect_operand => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            "AND" | "OR" | "and" | "or" if !expect_operand => expect_operand = true,
            "WITH" | "with" if !expect_operand => {
                expect_operand = true;
                after_with = true;
            }
            id if expect_operand => {
                let ok = if after_with {
                    SPDX_EXCEPTIONS.iter().any(|e| e.eq_ignore_ascii_case(id))
                } else {
                    is_license_id(id)
                };
                if !ok {
                    return false;
                }
                after_with = false;
                expect_operand = false;
            }
            _ => return false,
        }
    }
    !toks.is_empty() && !expect_operand && depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(
            is_url("https://x.org/a")
                && is_url("mailto:a@b")
                && !is_url("not a url")
                && !is_url("x.org")
        );
        assert!(is_rfc3339("2020-01-02T03:04:05Z") && is_rfc3339("2020-01-02T03:04:05.123+01:00"));
        assert!(
            !is_rfc3339("2020-01-02")
                && !is_rfc3339("2020-02-30T00:00:00Z")
                && !is_rfc3339("2020-01-02 03:04:05Z")
        );
        assert!(
            is_semver("1.2.3")
                && is_semver("1.2.3-rc.1+b5")
                && !is_semver("1.2")
                && !is_semver("01.2.3")
        );
        assert!(
            is_git_hash("abcdef1")
                && is_git_hash(&"a".repeat(40))
                && !is_git_hash("xyz")
                && !is_git_hash("ABCDEF1")
        );
        assert!(is_email("a.b@c.org") && !is_email("nope") && !is_email("a@@b"));
        assert!(
            is_spdx("MIT") && is_spdx("Apache-2.0 OR MIT") && is_spdx("(MIT AND BSD-3-Clause)")
        );
        assert!(
            is_spdx("GPL-2.0-only WITH Classpath-exception-2.0")
                && is_spdx("LicenseRef-mine")
                && is_spdx("mit")
        );
        assert!(!is_spdx("FOO") && !is_spdx("MIT OR") && !is_spdx("") && !is_spdx("(MIT"));
    }
}
