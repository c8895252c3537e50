//! Shared by the pinning rules (DL3006, DL3007, DL3026, HO4001): every external image a
//! Dockerfile pulls — `FROM`, `COPY --from=<image>` and `RUN --mount=…,from=<image>` — with
//! variables resolved, stage names and indices left out, and the reference split into parts.
//!
//! A reference that cannot be resolved (an ARG without a value) or that is not a valid image
//! reference after expansion (template placeholders such as `{{ .version }}`) is skipped: the
//! pinning rules never guess.

use crate::dockerfile::expand::Lexer;
use crate::dockerfile::flags::parse_mount;
use crate::dockerfile::{InstructionKind, Span};
use crate::lint::Context;

/// Where an external image is referenced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    From,
    CopyFrom,
    MountFrom,
}

impl Site {
    /// How the site is named in messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Site::From => "FROM",
            Site::CopyFrom => "COPY --from",
            Site::MountFrom => "RUN --mount from",
        }
    }
}

/// One reference to an external image.
#[derive(Clone, Debug)]
pub struct ImageUse {
    /// Index of the instruction.
    pub instr: usize,
    pub site: Site,
    /// The reference after variable expansion.
    pub reference: String,
    pub parsed: ImageRef,
    /// Where to report: the image word, or the flag holding it.
    pub span: Span,
}

/// An image reference split into its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host (with port) when the first path component names one.
    pub registry: Option<String>,
    /// Repository path without registry, tag or digest.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// The registry after Docker Hub normalisation: `debian` and `index.docker.io/x` are
    /// `docker.io`.
    pub fn registry_normalized(&self) -> String {
        normalize_registry(self.registry.as_deref().unwrap_or("docker.io"))
    }

    pub fn is_scratch(&self) -> bool {
        self.registry.is_none() && self.path.eq_ignore_ascii_case("scratch")
    }
}

/// Docker Hub's aliases fold to `docker.io`; other hosts are lowercased.
pub fn normalize_registry(host: &str) -> String {
    let h = host.trim().trim_end_matches('/').to_ascii_lowercase();
    match h.as_str() {
        "index.docker.io"
        | "registry-1.docker.io"
        | "hub.docker.com"
        | "registry.hub.docker.com" => "docker.io".to_string(),
        _ => h,
    }
}

/// Splits a reference: `[registry/]path[:tag][@digest]`. Returns `None` when the text is not a
/// valid reference (empty, upper-case repository, characters a reference cannot hold).
pub fn parse_reference(s: &str) -> Option<ImageRef> {
    if s.is_empty() || s.len() > 512 {
        return None;
    }
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let (algo, hex) = d.split_once(':')?;
        if algo.is_empty()
            || hex.is_empty()
            || !algo
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+._-".contains(c))
            || !hex.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return None;
        }
    }
    // A tag is after the last ':' that follows the last '/' (a ':' before it is a port).
    let last_slash = name_tag.rfind('/');
    let (name, tag) = match name_tag.rfind(':') {
        Some(c) if last_slash.is_none_or(|sl| c > sl) => (&name_tag[..c], Some(&name_tag[c + 1..])),
        _ => (name_tag, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && !t.starts_with(['.', '-']);
        if !ok {
            return None;
        }
    }
    let (registry, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            (Some(first), rest)
        }
        _ => (None, name),
    };
    if let Some(r) = registry {
        if !r
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        {
            return None;
        }
    }
    if path.is_empty()
        || path.split('/').any(|c| {
            c.is_empty()
                || !c
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
        })
    {
        return None;
    }
    Some(ImageRef {
        registry: registry.map(str::to_string),
        path: path.to_string(),
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    })
}

/// Expands `word` with the variables in scope at instruction `instr`; `None` when a referenced
/// variable has no value (and no default in the word) or expansion fails.
pub fn resolve(cx: &Context, instr: usize, word: &str) -> Option<String> {
    if !word.contains('$') {
        return Some(word.to_string());
    }
    let vars = cx.vars.get(instr)?;
    let e = Lexer::new(cx.df.escape).process_word(word, vars).ok()?;
    // An unset variable is fine only where the word supplies its value (`${X:-default}`).
    let defaulted = |name: &String| {
        ["-", ":-", "+", ":+"]
            .iter()
            .any(|op| word.contains(&format!("${{{name}{op}")))
    };
    if !e.unmatched.iter().all(defaulted) || e.value.contains('$') {
        return None;
    }
    Some(e.value)
}

/// Names of all stages of the file, lowercased.
fn stage_names(cx: &Context) -> Vec<String> {
    let mut names: Vec<String> = cx.stages().iter().filter_map(|s| s.name.clone()).collect();
    for (_, ins) in cx.instructions() {
        if let InstructionKind::From { alias: Some(a), .. } = &ins.kind {
            names.push(a.value.to_ascii_lowercase());
        }
    }
    names
}

/// Whether `from` (an expanded `--from` value) names a stage (by name or index) rather than an
/// image.
fn is_stage_ref(from: &str, names: &[String]) -> bool {
    from.chars().all(|c| c.is_ascii_digit()) || names.iter().any(|n| n.eq_ignore_ascii_case(from))
}

/// The `from=` value of a `--mount` flag value (`type=bind,from=img,source=/x`), with its byte
/// range inside the value.
pub fn mount_from(value: &str) -> Option<(usize, usize)> {
    let mut start = 0;
    for field in value.split(',') {
        let (k, v) = field.split_once('=').unwrap_or((field, ""));
        if k.trim().eq_ignore_ascii_case("from") {
            let off = start + field.len() - v.len();
            let v_trim = v.trim_matches(|c| c == '"' || c == '\'');
            let lead = v.len() - v.trim_start_matches(['"', '\'']).len();
            return Some((off + lead, off + lead + v_trim.len()));
        }
        start += field.len() + 1;
    }
    None
}

/// Every external image referenced by the file.
pub fn external_images(cx: &Context) -> Vec<ImageUse> {
    let names = stage_names(cx);
    let mut out = Vec::new();
    let mut seen_names: Vec<String> = Vec::new();
    for (i, ins) in cx.instructions() {
        match &ins.kind {
            InstructionKind::From { image, alias } => {
                // Extra words (templates like `{{ x }}`) make the reference meaningless.
                let arity_ok = ins.args.len() == 1
                    || (ins.args.len() == 3
                        && ins
                            .args
                            .get(1)
                            .is_some_and(|a| a.eq_ignore_ascii_case("as")));
                let from_stage = cx
                    .stage_of(i)
                    .and_then(|s| cx.stages().get(s))
                    .is_some_and(|s| s.base.is_some());
                if arity_ok && !from_stage {
                    if let Some(r) = resolve(cx, i, &image.value) {
                        let earlier_stage = seen_names.iter().any(|n| n.eq_ignore_ascii_case(&r));
                        if !earlier_stage {
                            if let Some(parsed) = parse_reference(&r) {
                                out.push(ImageUse {
                                    instr: i,
                                    site: Site::From,
                                    reference: r,
                                    parsed,
                                    span: image.span,
                                });
                            }
                        }
                    }
                }
                if let Some(a) = alias {
                    seen_names.push(a.value.to_ascii_lowercase());
                }
            }
            InstructionKind::Copy(_) | InstructionKind::Add(_) => {
                let Some(flag) = ins.flag("from") else {
                    continue;
                };
                let Some(v) = &flag.value else { continue };
                let Some(r) = resolve(cx, i, v) else { continue };
                if is_stage_ref(&r, &names) {
                    continue;
                }
                if let Some(parsed) = parse_reference(&r) {
                    out.push(ImageUse {
                        instr: i,
                        site: Site::CopyFrom,
                        reference: r,
                        parsed,
                        span: flag.value_span.unwrap_or(flag.span),
                    });
                }
            }
            InstructionKind::Run(_) => {
                for flag in ins.flags_named("mount") {
                    let Some(v) = &flag.value else { continue };
                    // The flags module parses the CSV (quoting included); `mount_from` only
                    // locates the value for the finding's position.
                    let Ok(mount) = parse_mount(v) else { continue };
                    let Some(raw) = mount.from else { continue };
                    let Some(r) = resolve(cx, i, &raw) else {
                        continue;
                    };
                    if r.is_empty() || is_stage_ref(&r, &names) {
                        continue;
                    }
                    let Some(parsed) = parse_reference(&r) else {
                        continue;
                    };
                    // Point at the `from=` value when the flag value is written plainly.
                    let located = mount_from(v).filter(|&(s, e)| v.get(s..e) == Some(raw.as_str()));
                    let span = match (flag.value_span, located) {
                        (Some(vs), Some((s, e)))
                            if (vs.end.offset - vs.start.offset) as usize == v.len() =>
                        {
                            let base = vs.start.offset as usize;
                            cx.span(base + s, base + e)
                        }
                        _ => flag.span,
                    };
                    out.push(ImageUse {
                        instr: i,
                        site: Site::MountFrom,
                        reference: r,
                        parsed,
                        span,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImageRef {
        parse_reference(s).unwrap_or_default()
    }

    #[test]
    fn splits_references() {
        let r = p("localhost:5000/app");
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.path, "app");
        assert_eq!(r.tag, None);
        let r = p("registry.example.com:5000/team/app:1.2@sha256:abcd");
        assert_eq!(r.registry.as_deref(), Some("registry.example.com:5000"));
        assert_eq!(r.path, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abcd"));
        let r = p("debian:12");
        assert_eq!(r.registry, None);
        assert_eq!(r.registry_normalized(), "docker.io");
        assert_eq!(
            p("index.docker.io/library/debian").registry_normalized(),
            "docker.io"
        );
        assert!(p("scratch").is_scratch());
    }

    #[test]
    fn rejects_non_references() {
        assert!(parse_reference("alpine:{{").is_none());
        assert!(parse_reference("mcr.microsoft.com/windows/{{").is_none());
        assert!(parse_reference("Debian").is_none());
        assert!(parse_reference("debian:").is_none());
        assert!(parse_reference("").is_none());
        assert!(parse_reference("nginx:%%NGINX_VERSION%%").is_none());
    }

    #[test]
    fn finds_mount_from() {
        let v = "type=bind,target=/x,from=builder";
        let (s, e) = mount_from(v).unwrap_or_default();
        assert_eq!(&v[s..e], "builder");
        assert!(mount_from("type=cache,target=/x").is_none());
    }
}
