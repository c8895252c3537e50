//! Shared by the pinning rules (DL3006, DL3007, DL3026, HO4001): every external image a
//! Dockerfile pulls — `FROM`, `COPY --from=<image>` and `RUN --mount=…,from=<image>` — with
//! variables resolved, stage names and indices left out, and the reference split into parts.
//!
//! A reference that cannot be resolved (an ARG without a value) or that is not a valid image
//! reference after expansion (template placeholders such as `{{ .version }}`) is skipped: the
//! pinning rules never guess.

use crate::dockerfile::expand::Lexer;
use crate::dockerfile::flags::parse_mount;
use crate::dockerfile::model::Source;
use crate::dockerfile::{InstructionKind, Span};
use crate::lint::Context;
use crate::oci::reference::{parse_written, Reference, Written};

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
    /// The reference parsed and normalised.
    pub parsed: Reference,
    /// What the text spelled out (registry, tag).
    pub written: Written,
    /// Where to report: the image word, or the flag holding it.
    pub span: Span,
}

impl ImageUse {
    /// The registry after Docker Hub normalisation: `debian` and `index.docker.io/x` are
    /// `docker.io`.
    pub fn registry_normalized(&self) -> String {
        normalize_registry(self.parsed.domain())
    }

    /// `scratch` (any tag or digest), written without registry or `library/`.
    pub fn is_scratch(&self) -> bool {
        !self.written.domain
            && self.parsed.repository() == "library/scratch"
            && !self.reference.starts_with("library/")
    }

    /// The tag, when the reference spells one out (not the implied `latest`).
    pub fn tag(&self) -> Option<&str> {
        self.parsed.tag().filter(|_| self.written.tag)
    }

    /// Whether the reference is pinned to a digest.
    pub fn has_digest(&self) -> bool {
        self.parsed.digest().is_some()
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

/// Parses a reference with [`crate::oci::reference`]'s grammar; `None` when the text is not a
/// valid reference (empty, upper-case repository, template placeholders).
pub fn parse_reference(s: &str) -> Option<(Reference, Written)> {
    parse_written(s).ok()
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

/// Whether `from` (an expanded `--from` value) names a stage rather than an image, as the model
/// resolves it.
fn is_stage_ref(cx: &Context, from: &str) -> bool {
    !matches!(cx.model.resolve_from(from), Source::Image(_))
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
    let mut out = Vec::new();
    for (i, ins) in cx.instructions() {
        match &ins.kind {
            InstructionKind::From { image, .. } => {
                // Extra words (templates like `{{ x }}`) make the reference meaningless.
                let arity_ok = ins.args.len() == 1
                    || (ins.args.len() == 3
                        && ins
                            .args
                            .get(1)
                            .is_some_and(|a| a.eq_ignore_ascii_case("as")));
                let stage = cx.model.stage_at(i);
                let from_stage = stage.is_some_and(|s| s.base.is_some());
                if arity_ok && !from_stage {
                    if let Some(r) = resolve(cx, i, &image.value) {
                        let before = stage.map_or(0, |s| s.index);
                        let earlier_stage = cx.stages().get(..before).is_some_and(|e| {
                            e.iter()
                                .any(|s| s.name.as_deref() == Some(r.to_lowercase().as_str()))
                        });
                        if !earlier_stage {
                            if let Some((parsed, written)) = parse_reference(&r) {
                                out.push(ImageUse {
                                    instr: i,
                                    site: Site::From,
                                    reference: r,
                                    parsed,
                                    written,
                                    span: image.span,
                                });
                            }
                        }
                    }
                }
            }
            InstructionKind::Copy(_) | InstructionKind::Add(_) => {
                let Some(flag) = ins.flag("from") else {
                    continue;
                };
                let Some(v) = &flag.value else { continue };
                let Some(r) = resolve(cx, i, v) else { continue };
                if is_stage_ref(cx, &r) {
                    continue;
                }
                if let Some((parsed, written)) = parse_reference(&r) {
                    out.push(ImageUse {
                        instr: i,
                        site: Site::CopyFrom,
                        reference: r,
                        parsed,
                        written,
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
                    if r.is_empty() || is_stage_ref(cx, &r) {
                        continue;
                    }
                    let Some((parsed, written)) = parse_reference(&r) else {
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
                        written,
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

    fn p(s: &str) -> ImageUse {
        let (parsed, written) = parse_reference(s).expect("a valid reference");
        ImageUse {
            instr: 0,
            site: Site::From,
            reference: s.to_string(),
            parsed,
            written,
            span: Span::default(),
        }
    }

    #[test]
    fn reads_references() {
        let r = p("localhost:5000/app");
        assert_eq!(r.registry_normalized(), "localhost:5000");
        assert_eq!(r.tag(), None, "the implied latest is not written");
        let r = p("registry.example.com:5000/team/app:1.2@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(r.registry_normalized(), "registry.example.com:5000");
        assert_eq!(r.parsed.repository(), "team/app");
        assert_eq!(r.tag(), Some("1.2"));
        assert!(r.has_digest());
        let r = p("debian:12");
        assert_eq!(r.registry_normalized(), "docker.io");
        assert_eq!(p("debian:latest").tag(), Some("latest"));
        assert_eq!(
            p("index.docker.io/library/debian").registry_normalized(),
            "docker.io"
        );
        assert_eq!(
            p("registry-1.docker.io/x").registry_normalized(),
            "docker.io"
        );
        assert!(p("scratch").is_scratch());
        assert!(!p("docker.io/library/scratch").is_scratch());
        assert!(p("scratch:1").is_scratch());
        assert!(!p("library/scratch").is_scratch());
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
