//! Secrets in the image config: ENV entries, labels, CMD/ENTRYPOINT and the history's
//! `created_by` lines, where BuildKit and the classic builder record a RUN step's build
//! arguments (`|1 TOKEN=… /bin/sh -c make`) — a `--build-arg` secret leaks there even when no
//! file holds it. Also [`redact_created_by`], the form in which history lines are shown.

use oci_spec::image::ImageConfiguration;

use super::{Finding, Location};
use crate::oci::digest::Digest;
use crate::secrets::names::is_secret_name;
use crate::secrets::{is_placeholder, redact, redact_text, scan};

/// Values shorter than this under a secret name are not reported (`AUTH=1`, `KEY=abc`).
const MIN_NAMED_VALUE: usize = 6;

/// Whitespace-separated tokens of `text` with their byte ranges.
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// The byte range of the value of a `NAME=value` token whose name says it is a secret and whose
/// value is real.
fn named_secret(text: &str, (s, e): (usize, usize)) -> Option<(usize, usize)> {
    let tok = text.get(s..e)?;
    let eq = tok.find('=')?;
    let name = tok
        .get(..eq)?
        .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '_');
    let raw = tok.get(eq + 1..)?;
    let value = raw.trim_matches(|c| c == '"' || c == '\'');
    let lead = raw.len() - raw.trim_start_matches(['"', '\'']).len();
    (!name.is_empty()
        && is_secret_name(name)
        && value.chars().count() >= MIN_NAMED_VALUE
        && !is_placeholder(value))
    .then(|| (s + eq + 1 + lead, s + eq + 1 + lead + value.len()))
}

/// The build arguments BuildKit records before a RUN command (`|N K=V … cmd`): the token ranges.
fn build_arg_tokens(text: &str) -> Vec<(usize, usize)> {
    let toks = tokens(text);
    let mut it = toks.iter().copied().peekable();
    // BuildKit: `RUN |1 K=V /bin/sh -c …`; the classic builder: `|1 K=V /bin/sh -c …`.
    if it.peek().and_then(|&(s, e)| text.get(s..e)) == Some("RUN") {
        it.next();
    }
    let Some(n) = it
        .next()
        .and_then(|(s, e)| text.get(s..e))
        .and_then(|t| t.strip_prefix('|'))
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return Vec::new();
    };
    it.take(n).collect()
}

/// A history `created_by` with every secret replaced by its redacted form: pattern matches and
/// the values of secret-named `NAME=value` words (build args, ENV, inline variables).
pub fn redact_created_by(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in tokens(text)
        .into_iter()
        .filter_map(|t| named_secret(text, t))
    {
        out.push_str(text.get(at..s).unwrap_or_default());
        out.push_str(&format!("[{}]", redact(text.get(s..e).unwrap_or_default())));
        at = e;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    redact_text(&out)
}

fn finding(
    path: String,
    rule: &str,
    description: &str,
    secret: &str,
    location: Location,
) -> Finding {
    Finding {
        location,
        path,
        rule: rule.to_string(),
        description: description.to_string(),
        matched: redact(secret),
    }
}

/// Pattern findings in `text`.
fn patterns(text: &str, path: &str, location: &Location, out: &mut Vec<Finding>) -> bool {
    let found = scan(text);
    for m in &found {
        out.push(finding(
            path.to_string(),
            &m.rule_id,
            &m.description,
            text.get(m.start..m.end).unwrap_or_default(),
            location.clone(),
        ));
    }
    !found.is_empty()
}

/// Scans the config; `layers` are the image's layer digests (bottom first), for tying history
/// steps to the layers they made.
pub fn scan_config(config: &ImageConfiguration, layers: &[Digest]) -> Vec<Finding> {
    let mut out = Vec::new();
    let plain = Location::Config {
        layer: None,
        history: None,
    };
    if let Some(c) = config.config() {
        for entry in c.env().iter().flatten() {
            let name = entry.split_once('=').map_or(entry.as_str(), |(k, _)| k);
            let path = format!("config.Env[{name}]");
            if !patterns(entry, &path, &plain, &mut out) {
                if let Some((s, e)) = named_secret(entry, (0, entry.len())) {
                    out.push(finding(
                        path,
                        "secret-env",
                        "secret-named environment variable with a value",
                        entry.get(s..e).unwrap_or_default(),
                        plain.clone(),
                    ));
                }
            }
        }
        for (k, v) in c.labels().iter().flatten() {
            patterns(
                &format!("{k}={v}"),
                &format!("config.Labels[{k}]"),
                &plain,
                &mut out,
            );
        }
        for (field, words) in [("Entrypoint", c.entrypoint()), ("Cmd", c.cmd())] {
            if let Some(w) = words {
                patterns(&w.join(" "), &format!("config.{field}"), &plain, &mut out);
            }
        }
    }
    let mut layer = 0usize;
    for (i, h) in config.history().iter().flatten().enumerate() {
        let empty = h.empty_layer().unwrap_or(false);
        let made = (!empty)
            .then(|| layers.get(layer).map(|d| (layer, d.clone())))
            .flatten();
        if !empty {
            layer += 1;
        }
        let Some(text) = h.created_by() else { continue };
        let location = Location::Config {
            layer: made,
            history: Some(redact_created_by(text)),
        };
        let path = format!("config.history[{i}].created_by");
        let before = out.len();
        patterns(text, &path, &location, &mut out);
        for t in build_arg_tokens(text) {
            let Some((s, e)) = named_secret(text, t) else {
                continue;
            };
            let covered = out
                .get(before..)
                .unwrap_or_default()
                .iter()
                .any(|f| f.matched == redact(text.get(s..e).unwrap_or_default()));
            if !covered {
                out.push(finding(
                    path.clone(),
                    "build-arg-secret",
                    "secret build argument recorded in the image history",
                    text.get(s..e).unwrap_or_default(),
                    location.clone(),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_args_in_history_are_found_and_redacted() {
        let text = "RUN |2 NPM_TOKEN=Zq9xT4wP2mKabc VERSION=1.2.3 /bin/sh -c npm ci";
        let toks = build_arg_tokens(text);
        assert_eq!(toks.len(), 2);
        let secret: Vec<_> = toks.iter().filter_map(|&t| named_secret(text, t)).collect();
        assert_eq!(secret.len(), 1);
        let r = redact_created_by(text);
        assert!(!r.contains("Zq9xT4wP2mKabc"), "{r}");
        assert!(r.contains("VERSION=1.2.3 /bin/sh -c npm ci"), "{r}");
        assert!(build_arg_tokens("/bin/sh -c make").is_empty());
    }

    #[test]
    fn placeholders_and_benign_names_are_not_secrets() {
        for t in [
            "TOKEN=${TOKEN}",
            "GPG_KEY=A035C8C19219BA821ECEA86B",
            "AUTH=1",
            "PATH=/usr/bin",
        ] {
            assert_eq!(named_secret(t, (0, t.len())), None, "{t}");
        }
        assert!(named_secret("API_TOKEN='Zq9xT4wP2mK'", (0, 22)).is_some());
    }
}
