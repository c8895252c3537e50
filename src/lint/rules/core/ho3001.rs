//! HO3001: a secret value written in the Dockerfile — a private key, a cloud or SaaS token, a
//! JWT, or a high-entropy `password=…` — in an ARG default, ENV or LABEL value, or the text of
//! RUN, CMD, ENTRYPOINT, HEALTHCHECK or a heredoc. Patterns come from `rules/secrets.toml`.
use crate::dockerfile::{Command, InstructionKind, Span};
use crate::lint::secrets::{redact, scan};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO3001",
        name: "secret-in-dockerfile",
        severity: Severity::Error,
        category: Category::Secrets,
        summary: "A secret value is written in the Dockerfile",
        aliases: &[],
        opt_in: false,
    },
    check,
};

const URL_CREDENTIALS: &str = "url-credentials";

const HELP: &str = "anything in a Dockerfile ends up in the image or its history: remove the value, rotate it, and pass it at build time with `RUN --mount=type=secret,id=<name>`";

fn report(d: &mut Diagnostics, span: Span, what: &str, kw: &str, secret: &str) {
    d.report(
        span,
        format!("Possible {what} in {kw}: `{}`", redact(secret)),
    )
    .with_help(HELP);
}

/// Scans `key=value` pairs; the value's source text starts at `value_span`.
fn scan_pair(
    cx: &Context,
    d: &mut Diagnostics,
    kw: &str,
    key: &str,
    value: &str,
    value_span: Span,
) {
    let text = format!("{key}={value}");
    let base = key.len() + 1;
    for m in scan(&text) {
        if m.start < base {
            continue;
        }
        let Some(secret) = text.get(m.start..m.end) else {
            continue;
        };
        let s = value_span.start.offset as usize + (m.start - base);
        let e = value_span.start.offset as usize + (m.end - base);
        report(d, cx.span(s, e), &m.description, kw, secret);
    }
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, ins) in cx.instructions() {
        let kw = ins.keyword.as_str();
        // HO3002 reports URL passwords in the shell scripts it parses; do not report them twice.
        let scripts = cx.scripts.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let shell_parsed = scripts.iter().any(|s| !s.from_heredoc);
        let heredoc_parsed = |body: &str| scripts.iter().any(|s| s.from_heredoc && s.text == body);
        match &ins.kind {
            InstructionKind::Arg(decls) => {
                for a in decls {
                    if let Some(v) = &a.default {
                        scan_pair(cx, d, kw, &a.name.value, &v.value, v.span);
                    }
                }
            }
            InstructionKind::Env(kvs) | InstructionKind::Label(kvs) => {
                for kv in kvs {
                    scan_pair(cx, d, kw, &kv.key.value, &kv.value.value, kv.value.span);
                }
            }
            _ => {}
        }
        match ins.command() {
            Some(Command::Shell(text)) => {
                for m in scan(&text.text) {
                    if shell_parsed && m.rule_id == URL_CREDENTIALS {
                        continue;
                    }
                    let Some(secret) = text.text.get(m.start..m.end) else {
                        continue;
                    };
                    let s = text.source_offset(m.start);
                    let e = text.source_offset(m.end.saturating_sub(1)) + 1;
                    report(d, cx.span(s, e.max(s)), &m.description, kw, secret);
                }
            }
            Some(Command::Exec { args, .. }) => {
                for w in args {
                    for m in scan(&w.value) {
                        let Some(secret) = w.value.get(m.start..m.end) else {
                            continue;
                        };
                        report(d, w.span, &m.description, kw, secret);
                    }
                }
            }
            None => {}
        }
        for h in &ins.heredocs {
            let src_body = cx.source.get(h.body_span.range()).unwrap_or("");
            // Matches come in order: each is looked for after the previous one (linear), at
            // the same place when it starts where the previous one did.
            let mut from = 0;
            let mut last_start = None;
            for m in scan(&h.body) {
                if m.rule_id == URL_CREDENTIALS && heredoc_parsed(&h.body) {
                    continue;
                }
                let Some(secret) = h.body.get(m.start..m.end) else {
                    continue;
                };
                let skip = if last_start.is_some_and(|l| m.start > l) {
                    let next = src_body.get(from..).and_then(|r| r.chars().next());
                    next.map_or(0, char::len_utf8)
                } else {
                    0
                };
                let at = from + skip;
                let found = src_body.get(at..).and_then(|rest| rest.find(secret));
                let span = match found {
                    Some(rel) => {
                        from = at + rel;
                        last_start = Some(m.start);
                        let s = h.body_span.start.offset as usize + from;
                        cx.span(s, s + secret.len())
                    }
                    None => h.body_span,
                };
                report(d, span, &m.description, kw, secret);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    const GH: &str = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";

    #[test]
    fn repeated_heredoc_secrets_each_at_their_place() {
        let src = format!("FROM a:1\nRUN <<EOF\necho {GH}\necho {GH}\nEOF\n");
        assert_eq!(positions("HO3001", &src), vec![(3, 6), (4, 6)]);
    }

    #[test]
    fn flags_values() {
        assert_eq!(
            positions("HO3001", &format!("FROM a:1\nENV GH={GH}\n")),
            vec![(2, 8)]
        );
        assert_eq!(
            positions("HO3001", &format!("FROM a:1\nARG T={GH}\n")),
            vec![(2, 7)]
        );
        assert_eq!(
            positions("HO3001", "FROM a:1\nLABEL db.password=\"S3cr3tP4ss!x\"\n"),
            vec![(2, 20)]
        );
        assert_eq!(
            positions("HO3001", &format!("FROM a:1\nRUN echo {GH} > /t\n")),
            vec![(2, 10)]
        );
        assert_eq!(
            positions(
                "HO3001",
                "FROM a:1\nRUN <<EOF\ncat > /k <<K\n-----BEGIN RSA PRIVATE KEY-----\nK\nEOF\n"
            ),
            vec![(4, 1)]
        );
    }

    #[test]
    fn url_passwords_outside_run() {
        assert_eq!(
            positions(
                "HO3001",
                "FROM a:1\nENV DATABASE_URL=postgres://app:Pw4db@db/app\n"
            ),
            vec![(2, 33)]
        );
        // In RUN, HO3002 reports it.
        assert!(positions("HO3001", "FROM a:1\nRUN git clone https://u:Pw4x@h/r\n").is_empty());
    }

    #[test]
    fn redacts_messages() {
        let f = findings_of("HO3001", &format!("FROM a:1\nENV GH={GH}\n"));
        assert_eq!(f.len(), 1);
        assert!(!f[0].message.contains(&GH[8..]), "{}", f[0].message);
        assert!(f[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("--mount=type=secret"));
    }

    #[test]
    fn ignores_references_and_placeholders() {
        assert!(positions("HO3001", "FROM a:1\nARG TOKEN\nENV TOKEN=${TOKEN}\n").is_empty());
        assert!(positions("HO3001", "FROM a:1\nENV PASSWORD=changeme\n").is_empty());
        assert!(positions(
            "HO3001",
            "FROM a:1\nENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D\n"
        )
        .is_empty());
        assert!(positions(
            "HO3001",
            "FROM a:1\nRUN --mount=type=secret,id=tok TOKEN=$(cat /run/secrets/tok) make\n"
        )
        .is_empty());
    }
}
