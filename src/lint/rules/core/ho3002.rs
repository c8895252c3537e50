//! HO3002: credentials on a RUN command line — `curl -u user:pass`, `--password`, URLs with
//! `user:password@`, `Authorization:` headers, `aws configure set` with a literal key. The
//! command line is stored in the image history.
//!
//! A credential that is only a variable reference (`-u "$USER:$TOKEN"`,
//! `Authorization: Bearer $TOKEN`) is not reported: the value is not in the Dockerfile, and an
//! ARG holding it is reported by DL3064 by name.
use crate::dockerfile::Span;
use crate::lint::context::RunScript;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};
use crate::shell::Word;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO3002",
        name: "credentials-in-run",
        severity: Severity::Error,
        category: Category::Secrets,
        summary: "Credentials are passed on a RUN command line",
        aliases: &["DS-0031"],
        opt_in: false,
    },
    check,
};

const HELP: &str = "RUN command lines are kept in the image history: mount the credential with `RUN --mount=type=secret,id=<name>` and read it from the file (e.g. `curl --netrc-file /run/secrets/netrc`, `-H @/run/secrets/auth`)";

/// Whether `s` is only variable references and separators (no literal secret).
fn only_references(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() {
        return true;
    }
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("${") {
            match r.find('}') {
                Some(end) => rest = &r[end + 1..],
                None => return false,
            }
        } else if let Some(r) = rest.strip_prefix("$(") {
            match r.find(')') {
                Some(end) => rest = &r[end + 1..],
                None => return false,
            }
        } else if let Some(r) = rest.strip_prefix('$') {
            let n = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            if n == 0 {
                return false;
            }
            rest = &r[n..];
        } else if let Some(r) = rest.strip_prefix(['"', '\'', ' ', ':']) {
            rest = r;
        } else {
            return false;
        }
    }
    true
}

/// The password part of `user:password` when it is a literal.
fn literal_password(userpass: &str) -> Option<&str> {
    let (_, pass) = userpass.split_once(':')?;
    (!pass.is_empty() && !only_references(pass) && !crate::lint::secrets::is_placeholder(pass))
        .then_some(pass)
}

/// `scheme://user:password@host` with a literal password, anywhere in `word`.
fn url_credentials(word: &str) -> Option<&str> {
    let mut search = word;
    while let Some(at) = search.find("://") {
        let after = &search[at + 3..];
        let authority_end = after.find(['/', '?', '#', ' ']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some(cred_end) = authority.rfind('@') {
            if let Some(p) = literal_password(&authority[..cred_end]) {
                return Some(p);
            }
        }
        search = after;
    }
    None
}

/// An `Authorization:` header value with a literal credential.
fn literal_auth_header(h: &str) -> bool {
    let Some((name, value)) = h.split_once(':') else {
        return false;
    };
    let name = name.trim().to_ascii_lowercase();
    if name != "authorization"
        && name != "proxy-authorization"
        && name != "private-token"
        && name != "x-api-key"
    {
        return false;
    }
    let value = value.trim();
    let cred = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.chars().all(|c| c.is_ascii_alphabetic()) => rest.trim(),
        _ => value,
    };
    !cred.is_empty() && !only_references(cred) && !crate::lint::secrets::is_placeholder(cred)
}

struct Hit {
    span: Span,
    message: String,
}

fn basename(w: &Word) -> &str {
    w.value.rsplit('/').next().unwrap_or(&w.value)
}

/// The value of option `w` at `i`: `--opt=value` / `-oVALUE` inline, else the next word.
fn option_value<'w>(
    words: &'w [Word],
    i: usize,
    long: &[&str],
    short: &[&str],
) -> Option<&'w Word> {
    let w = words.get(i)?;
    let v = w.value.as_str();
    if long.contains(&v) || short.contains(&v) {
        return words.get(i + 1);
    }
    None
}

fn inline_value<'a>(v: &'a str, long: &[&str], short: &[&str]) -> Option<&'a str> {
    for l in long {
        if let Some(rest) = v.strip_prefix(l).and_then(|r| r.strip_prefix('=')) {
            return Some(rest);
        }
    }
    for s in short {
        if let Some(rest) = v.strip_prefix(s) {
            if !rest.is_empty() && !v.starts_with("--") {
                return Some(rest);
            }
        }
    }
    None
}

fn scan_script(cx: &Context, rs: &RunScript, hits: &mut Vec<Hit>) {
    let span = |w: &Word| cx.script_span(rs, w.start, w.end);
    for cmd in &rs.script.commands {
        let words = &cmd.words;
        let Some(first) = words.first() else { continue };
        let prog = basename(first);
        for (i, w) in words.iter().enumerate() {
            if url_credentials(&w.value).is_some() {
                hits.push(Hit {
                    span: span(w),
                    message: "URL with an embedded password in RUN".to_string(),
                });
                continue;
            }
            if i == 0 {
                continue;
            }
            match prog {
                "curl" => {
                    let user = option_value(words, i, &["--user", "--proxy-user"], &["-u", "-U"])
                        .map(|n| (n, n.value.as_str()))
                        .or_else(|| {
                            inline_value(&w.value, &["--user", "--proxy-user"], &["-u", "-U"])
                                .map(|v| (w, v))
                        });
                    if let Some((at, v)) = user {
                        if literal_password(v).is_some() {
                            hits.push(Hit {
                                span: span(at),
                                message: "curl user:password in RUN".to_string(),
                            });
                        }
                    }
                    let header = option_value(words, i, &["--header", "--proxy-header"], &["-H"])
                        .map(|n| (n, n.value.as_str()))
                        .or_else(|| {
                            inline_value(&w.value, &["--header", "--proxy-header"], &["-H"])
                                .map(|v| (w, v))
                        });
                    if let Some((at, v)) = header {
                        if literal_auth_header(v) {
                            hits.push(Hit {
                                span: span(at),
                                message: "Authorization header with a literal credential in RUN"
                                    .to_string(),
                            });
                        }
                    }
                    let bearer = option_value(words, i, &["--oauth2-bearer"], &[])
                        .map(|n| (n, n.value.as_str()))
                        .or_else(|| {
                            inline_value(&w.value, &["--oauth2-bearer"], &[]).map(|v| (w, v))
                        });
                    if let Some((at, v)) = bearer {
                        if !only_references(v) && !crate::lint::secrets::is_placeholder(v) {
                            hits.push(Hit {
                                span: span(at),
                                message: "curl bearer token in RUN".to_string(),
                            });
                        }
                    }
                }
                "wget" => {
                    const PW: &[&str] = &[
                        "--password",
                        "--http-password",
                        "--ftp-password",
                        "--proxy-password",
                    ];
                    let pw = option_value(words, i, PW, &[])
                        .map(|n| (n, n.value.as_str()))
                        .or_else(|| inline_value(&w.value, PW, &[]).map(|v| (w, v)));
                    if let Some((at, v)) = pw {
                        if !only_references(v) && !crate::lint::secrets::is_placeholder(v) {
                            hits.push(Hit {
                                span: span(at),
                                message: "wget password in RUN".to_string(),
                            });
                        }
                    }
                    let header = option_value(words, i, &["--header"], &[])
                        .map(|n| (n, n.value.as_str()))
                        .or_else(|| inline_value(&w.value, &["--header"], &[]).map(|v| (w, v)));
                    if let Some((at, v)) = header {
                        if literal_auth_header(v) {
                            hits.push(Hit {
                                span: span(at),
                                message: "Authorization header with a literal credential in RUN"
                                    .to_string(),
                            });
                        }
                    }
                }
                "aws" => {
                    // aws configure set aws_secret_access_key <value>
                    let is_set = words.get(1).is_some_and(|x| x.value == "configure")
                        && words.get(2).is_some_and(|x| x.value == "set");
                    let key = w.value.to_ascii_lowercase();
                    let is_key = key.ends_with("aws_secret_access_key")
                        || key.ends_with("aws_session_token");
                    if is_set && is_key {
                        if let Some(v) = words.get(i + 1) {
                            if !only_references(&v.value)
                                && !crate::lint::secrets::is_placeholder(&v.value)
                            {
                                hits.push(Hit {
                                    span: span(v),
                                    message: "AWS secret set with `aws configure` in RUN"
                                        .to_string(),
                                });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, _) in cx.instructions() {
        let Some(scripts) = cx.scripts.get(i) else {
            continue;
        };
        let mut hits = Vec::new();
        for rs in scripts {
            scan_script(cx, rs, &mut hits);
        }
        hits.sort_by_key(|h| h.span.start);
        hits.dedup_by_key(|h| h.span);
        for h in hits {
            d.report(h.span, format!("Possible credentials: {}", h.message))
                .with_help(HELP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{literal_auth_header, only_references, url_credentials};
    use crate::lint::testing::positions;

    #[test]
    fn flags_credentials() {
        assert_eq!(
            positions(
                "HO3002",
                "FROM a:1\nRUN curl -u admin:S3cret -O https://x/f\n"
            ),
            vec![(2, 13)]
        );
        assert_eq!(
            positions(
                "HO3002",
                "FROM a:1\nRUN curl --user=admin:S3cret https://x/f\n"
            ),
            vec![(2, 10)]
        );
        assert_eq!(
            positions(
                "HO3002",
                "FROM a:1\nRUN git clone https://bot:glp4ss@git.example.com/r.git\n"
            ),
            vec![(2, 15)]
        );
        assert_eq!(
            positions(
                "HO3002",
                "FROM a:1\nRUN curl -H \"Authorization: Bearer abc123def\" https://x\n"
            ),
            vec![(2, 13)]
        );
        assert_eq!(
            positions(
                "HO3002",
                "FROM a:1\nRUN wget --http-password=hunter2 https://x/f\n"
            ),
            vec![(2, 10)]
        );
        assert_eq!(
            positions(
                "HO3002",
                "FROM a:1\nRUN apt-get update && wget --password hunter2 https://x/f\n"
            ),
            vec![(2, 39)]
        );
    }

    #[test]
    fn ignores_references() {
        for ok in [
            "FROM a:1\nRUN curl -u \"$USER:$TOKEN\" https://x/f\n",
            "FROM a:1\nRUN curl -u admin https://x/f\n",
            "FROM a:1\nRUN curl -H \"Authorization: Bearer $TOKEN\" https://x/f\n",
            "FROM a:1\nRUN curl -H \"Accept: application/json\" https://x/f\n",
            "FROM a:1\nRUN git clone https://x-access-token:${GH_TOKEN}@github.com/o/r\n",
            "FROM a:1\nRUN wget --password=$(cat /run/secrets/pw) https://x/f\n",
            "FROM a:1\nRUN curl -fsSL https://example.com:8443/a\n",
        ] {
            assert!(positions("HO3002", ok).is_empty(), "{ok}");
        }
    }

    #[test]
    fn helpers() {
        assert!(only_references("$A:${B}"));
        assert!(!only_references("$A:x"));
        assert_eq!(url_credentials("https://u:p4ss@h/x"), Some("p4ss"));
        assert_eq!(url_credentials("https://u@h/x"), None);
        assert!(literal_auth_header("Authorization: Basic dXNlcjpwYXNz"));
        assert!(!literal_auth_header("authorization: token ${T}"));
    }
}
