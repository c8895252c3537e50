//! Package URLs per the purl spec: `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`, each segment
//! percent-encoded (everything except ASCII letters, digits and `.-_~`), qualifiers sorted by
//! key and left out when empty, and the per-type name normalisation the spec asks for (PyPI:
//! lower case, `_` → `-`).

/// Percent-encodes one purl component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds a purl. `namespace` may hold several `/`-separated segments (Go module paths).
pub fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, Option<&str>)],
) -> String {
    let mut s = format!("pkg:{ty}/");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        for seg in ns.split('/').filter(|s| !s.is_empty()) {
            s.push_str(&encode(seg));
            s.push('/');
        }
    }
    s.push_str(&encode(name));
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        s.push('@');
        s.push_str(&encode(v));
    }
    let mut qs: Vec<(&str, &str)> = qualifiers
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    qs.sort();
    for (i, (k, v)) in qs.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(&encode(v));
    }
    s
}

/// PyPI names: lower case, runs of `-`, `_`, `.` become one `-` (PEP 503), as purl asks.
pub fn pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// npm: `@scope/name` → (Some("@scope"), "name").
pub fn npm_parts(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
        _ => (None, name),
    }
}

/// Go module path `github.com/a/b` → (Some("github.com/a"), "b").
pub fn go_parts(path: &str) -> (Option<&str>, &str) {
    match path.rsplit_once('/') {
        Some((ns, n)) => (Some(ns), n),
        None => (None, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb_purl_with_epoch_and_qualifiers() {
        let p = build(
            "deb",
            Some("debian"),
            "libc6",
            Some("1:2.36-9+deb12u4"),
            &[("distro", Some("debian-12")), ("arch", Some("amd64"))],
        );
        assert_eq!(
            p,
            "pkg:deb/debian/libc6@1%3A2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
    }

    #[test]
    fn npm_scope_is_encoded() {
        let (ns, n) = npm_parts("@babel/core");
        assert_eq!(
            build("npm", ns, n, Some("7.0.0"), &[]),
            "pkg:npm/%40babel/core@7.0.0"
        );
    }

    #[test]
    fn go_namespace_keeps_slashes() {
        let (ns, n) = go_parts("github.com/sirupsen/logrus");
        assert_eq!(
            build("golang", ns, n, Some("v1.9.0"), &[]),
            "pkg:golang/github.com/sirupsen/logrus@v1.9.0"
        );
    }

    #[test]
    fn pypi_normalisation() {
        assert_eq!(pypi_name("Typing_Extensions"), "typing-extensions");
        assert_eq!(pypi_name("zope.interface"), "zope-interface");
        assert_eq!(pypi_name("a__b"), "a-b");
    }

    #[test]
    fn empty_qualifiers_dropped() {
        assert_eq!(
            build(
                "apk",
                Some("alpine"),
                "musl",
                Some("1.2"),
                &[("arch", None)]
            ),
            "pkg:apk/alpine/musl@1.2"
        );
    }
}
