//! Helpers for the BuildKit checks: global ARGs, BuildKit's predefined platform ARGs, "did you
//! mean" suggestions and image reference validation.

use crate::lint::Context;

/// ARGs BuildKit defines for every build (usable in FROM without declaring them).
pub(crate) const PREDEFINED_PLATFORM_ARGS: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDOSVERSION",
    "TARGETOSVERSION",
    "TARGETSTAGE",
];

/// Names of the ARGs declared before the first FROM.
pub(crate) fn global_args(cx: &Context) -> Vec<String> {
    cx.model.global_arg_names().to_vec()
}

/// Edit distance counting a swap of two adjacent characters as one edit (optimal string
/// alignment), so `PAHT` is one edit from `PATH`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut m = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        m[i * w] = i;
    }
    for (j, cell) in m.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (m[(i - 1) * w + j - 1] + cost)
                .min(m[(i - 1) * w + j] + 1)
                .min(m[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(m[(i - 2) * w + j - 2] + 1);
            }
            m[i * w + j] = v;
        }
    }
    m[a.len() * w + b.len()]
}

/// The candidate closest to `name` when it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        // One edit (or a case difference) away: close enough to be a typo, strict enough not to
        // "correct" unrelated names such as GOPATH to PATH.
        let dist = if c.eq_ignore_ascii_case(name) {
            0
        } else {
            edit_distance(name, c)
        };
        // Short names are all one edit apart (`$X`/`$Y`): only case differences count there.
        let long = name.chars().count() >= 4 && c.chars().count() >= 4;
        if (dist == 0 || long) && dist <= 1 && !matches!(best, Some((d, _)) if d <= dist) {
            best = Some((dist, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Whether `s` parses as an image reference (`[domain/]path[:tag][@digest]`, lowercase path):
/// the distribution grammar, shared with the registry client.
pub(crate) fn is_valid_reference(s: &str) -> bool {
    crate::oci::reference::parse_normalized(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(suggest("PAHT", ["PATH", "HOME"]), Some("PATH"));
        assert_eq!(suggest("version", ["VERSION"]), Some("VERSION"));
        assert_eq!(suggest("FOO", ["PATH"]), None);
        assert_eq!(suggest("GOPATH", ["PATH"]), None);
        assert_eq!(suggest("Z", ["X", "Y"]), None);
        assert_eq!(suggest("x", ["X"]), Some("X"));
    }

    #[test]
    fn validates_references() {
        for ok in [
            "alpine",
            "alpine:3.20",
            "docker.io/library/alpine:3",
            "localhost:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_valid_reference(ok), "{ok}");
        }
        for bad in [
            "",
            "python:",
            "Alpine",
            ":3",
            "a//b",
            "a:b:c",
            // sha256 digests have 64 hex digits
            "a@sha256:0123456789abcdef0123456789abcdef",
        ] {
            assert!(!is_valid_reference(bad), "{bad}");
        }
    }
}
