//! Classifies the text of a source as ADD understands it: whether it is a URL (and which
//! scheme) or a git repository, rather than a path in the build context.

/// The scheme of `s` when it is an absolute URI (RFC 3986: `scheme ":" rest`, the scheme a
/// letter followed by letters, digits, `+`, `-` or `.`, the rest non-empty and without
/// whitespace), lowercased. A one-letter scheme is refused so that Windows drive paths
/// (`C:\dir`, `c:/dir`) are never taken for URLs.
pub fn url_scheme(s: &str) -> Option<String> {
    let (scheme, rest) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic()
        || scheme.len() < 2
        || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        || rest.is_empty()
        || rest.chars().any(char::is_whitespace)
    {
        return None;
    }
    Some(scheme.to_ascii_lowercase())
}

/// Whether `s` is an absolute URI (`https://x`, `git://x`, `mailto:a@b`); see [`url_scheme`].
pub fn is_url(s: &str) -> bool {
    url_scheme(s).is_some()
}

/// Whether `s` is an `http://` or `https://` URL, the remote files ADD downloads.
pub fn is_http_url(s: &str) -> bool {
    matches!(url_scheme(s).as_deref(), Some("http" | "https")) && s.contains("://")
}

/// A git source as ADD understands it (`git@host:repo`, `git://`, `ssh://`, `*.git` URLs).
pub fn is_git(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("git@")
        || l.starts_with("git://")
        || l.starts_with("ssh://")
        || ((l.starts_with("http://") || l.starts_with("https://"))
            && (l.ends_with(".git") || l.contains(".git#")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        assert_eq!(url_scheme("HTTPS://x").as_deref(), Some("https"));
        assert!(is_url("mailto:a@b") && is_url("git+ssh://h/r") && is_url("s3://b/k"));
        assert!(!is_url("C:\\x") && !is_url("c:/x") && !is_url("./a") && !is_url("x.org"));
        assert!(!is_url("not a url") && !is_url("a:") && !is_url("1a:b") && !is_url("a b:c"));
        assert!(is_http_url("http://x/a") && is_http_url("HTTPS://x"));
        assert!(is_git("git@github.com:a/b.git") && is_git("https://github.com/a/b.git#main"));
        assert!(!is_git("https://example.com/a.tar.gz"));
        assert!(!is_http_url("ftp://x") && !is_http_url("http:x") && !is_http_url("./http"));
    }
}
