//! DL3062: `go install`/`go get`/`go run` of a module without a pinned version.
use crate::lint::rules::shell::cmd::{is_unknown, run_commands};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};
use crate::shell::Word;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3062",
        name: "go-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Pin versions in go install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// Go build flags (single or double dash) that take a separate value.
const GO_VALUE_FLAGS: &[&str] = &[
    "o",
    "C",
    "p",
    "tags",
    "ldflags",
    "gcflags",
    "asmflags",
    "gccgoflags",
    "mod",
    "modfile",
    "pkgdir",
    "toolexec",
    "exec",
    "buildmode",
    "compiler",
    "overlay",
    "pgo",
    "covermode",
    "coverpkg",
    "installsuffix",
    "buildvcs",
];

/// The non-flag arguments of a go command (go flags are `-name[=value]`, never combined).
fn go_positional(args: &[Word]) -> Vec<&Word> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        i += 1;
        let v = w.value.as_str();
        if v == "--" {
            out.extend(args.get(i..).unwrap_or(&[]));
            break;
        }
        if let Some(flag) = v.strip_prefix('-') {
            let flag = flag.trim_start_matches('-');
            if !flag.contains('=') && GO_VALUE_FLAGS.contains(&flag) {
                i += 1;
            }
            continue;
        }
        out.push(w);
    }
    out
}

fn is_local(p: &str) -> bool {
    p.starts_with('.') || p.starts_with('/') || p.ends_with(".go")
}

fn pinned(p: &str) -> bool {
    is_local(p)
        || (p.contains('@')
            && !p.ends_with("@latest")
            && !p.ends_with("@none")
            && !p.ends_with("@upgrade")
            && !p.ends_with("@patch"))
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !c.is_named(&["go"]) {
            continue;
        }
        let pos = go_positional(c.args());
        let Some(sub) = pos.first() else { continue };
        if !["install", "get", "run"].contains(&sub.value.as_str()) {
            continue;
        }
        // Only the package: what follows it in `go run pkg args…` is the program's arguments.
        let Some(pkg) = pos.get(1) else { continue };
        if is_unknown(pkg) || pinned(&pkg.value) {
            continue;
        }
        d.report(
            c.word_span(cx, pkg),
            "Pin versions in go. Instead of `go install <package>` use `go install <package>@<version>`",
        )
        .with_help("use an exact version such as `@v1.2.3`; `@latest` is not a pin");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unpinned_modules() {
        assert_eq!(
            positions(
                "DL3062",
                "FROM golang:1.22\nRUN go install golang.org/x/tools/gopls@latest\n"
            ),
            vec![(2, 16)]
        );
        assert_eq!(
            positions(
                "DL3062",
                "FROM golang:1.22\nRUN go install -ldflags '-s -w' example.com/cmd/x\n"
            ),
            vec![(2, 33)]
        );
        assert_eq!(
            positions("DL3062", "FROM golang:1.22\nRUN go get example.com/lib\n"),
            vec![(2, 12)]
        );
    }

    #[test]
    fn accepts_pins_and_local_packages() {
        for src in [
            "FROM golang:1.22\nRUN go install golang.org/x/tools/gopls@v0.15.3\n",
            "FROM golang:1.22\nRUN go install ./cmd/...\n",
            "FROM golang:1.22\nRUN go run . --flag\n",
            "FROM golang:1.22\nRUN go run main.go serve\n",
            "FROM golang:1.22\nRUN go run example.com/tool@v1.0.0 unpinned/arg\n",
            "FROM golang:1.22\nRUN go build -o /app ./...\n",
            "FROM golang:1.22\nRUN go install\n",
        ] {
            assert!(positions("DL3062", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3062",
                "FROM golang:1.22\nRUN <<EOF\nset -e\ngo install example.com/x@latest\nEOF\n"
            ),
            vec![(4, 12)]
        );
        assert_eq!(
            positions(
                "DL3062",
                "FROM golang:1.22\nRUN sh -c 'go install example.com/x@latest'\n"
            ),
            vec![(2, 23)]
        );
        assert_eq!(
            positions(
                "DL3062",
                "FROM golang:1.22\nRUN true \\\n  || (go install example.com/x@latest)\n"
            ),
            vec![(3, 18)]
        );
        assert_eq!(
            positions(
                "DL3062",
                "FROM golang:1.22\nRUN echo start; go install example.com/x@latest; echo done\n"
            ),
            vec![(2, 28)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3062",
            "FROM golang:1.22\nRUN echo \"go install example.com/x@latest\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3062",
            "FROM golang:1.22\nRUN <<EOF\necho 'go install example.com/x@latest'\nEOF\n"
        )
        .is_empty());
        assert!(positions(
            "DL3062",
            "FROM golang:1.22\nRUN # go install example.com/x@latest\n"
        )
        .is_empty());
    }
}
