//! `hoist lint --shellcheck`: ShellCheck findings inside RUN bodies land on the right
//! line:column of the Dockerfile. Skipped (with a note) when `shellcheck` is not on PATH.

use std::path::Path;
use std::process::Command;

use hoist::lint::config::LintOptions;
use hoist::lint::{lint_source, Finding, Severity};

fn have_shellcheck() -> bool {
    let ok = Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: shellcheck is not on PATH; skipping ShellCheck tests");
    }
    ok
}

/// ShellCheck findings (and HO0001) of `src`.
fn sc(src: &str) -> Vec<Finding> {
    let opts = LintOptions {
        shellcheck: true,
        ..LintOptions::default()
    };
    let report = lint_source(Path::new("Dockerfile"), src, &opts);
    assert!(
        !report.findings.iter().any(|f| f.code == "HO0001"),
        "shellcheck could not run: {:?}",
        report.findings
    );
    report
        .findings
        .into_iter()
        .filter(|f| f.code.starts_with("SC"))
        .collect()
}

/// `(code, line, column, end line, end column)` of each finding.
fn places(findings: &[Finding]) -> Vec<(String, u32, u32, u32, u32)> {
    findings
        .iter()
        .map(|f| {
            let s = f.span;
            (
                f.code.to_string(),
                s.start.line,
                s.start.column,
                s.end.line,
                s.end.column,
            )
        })
        .collect()
}

fn has(findings: &[Finding], code: &str, line: u32, column: u32) -> bool {
    findings
        .iter()
        .any(|f| f.code == code && f.span.start.line == line && f.span.start.column == column)
}

#[test]
fn positions_inside_a_continued_run() {
    if !have_shellcheck() {
        return;
    }
    let src = "FROM alpine:3.20\nRUN apk add --no-cache curl && \\\n    echo $1 && \\\n\t[ \"$1\" == y ]\n";
    let f = sc(src);
    let p = places(&f);
    assert!(p.contains(&("SC2086".into(), 3, 10, 3, 12)), "{p:?}");
    // `==` in POSIX sh, on the fourth line after a tab (one column).
    assert!(has(&f, "SC3014", 4, 9), "{p:?}");
    let sc3014 = f.iter().find(|f| f.code == "SC3014").map(|f| f.level);
    assert_eq!(sc3014, Some(Severity::Warning));
    assert!(f
        .iter()
        .all(|f| f.category == hoist::lint::Category::Shellcheck));
}

#[test]
fn heredoc_body_findings_land_on_their_line() {
    if !have_shellcheck() {
        return;
    }
    let src = "FROM alpine:3.20\nRUN <<EOF\nset -e\necho $1\nEOF\nRUN cat <<EOT > /x.conf\nliteral $HOME text\nEOT\n";
    let f = sc(src);
    assert!(has(&f, "SC2086", 4, 6), "{:?}", places(&f));
    // The `cat` heredoc is data: nothing is reported inside it, and the markers do not confuse
    // ShellCheck (no parse error).
    assert!(f.iter().all(|f| f.span.start.line != 7), "{:?}", places(&f));
    assert!(
        f.iter().all(|f| !f.code.starts_with("SC1")),
        "{:?}",
        places(&f)
    );
    // A heredoc script is checked in the dialect of its shebang.
    let src = "FROM alpine:3.20\nRUN <<EOF\n#!/bin/bash\n[[ -n \"$HOME\" ]] && echo $1\nEOF\n";
    let f = sc(src);
    assert!(has(&f, "SC2086", 4, 26), "{:?}", places(&f));
    assert!(!f.iter().any(|f| f.code == "SC3010"), "{:?}", places(&f));
    // A data heredoc with expansions: ShellCheck sees it as the shell does, on its own lines.
    let src = "FROM alpine:3.20\nRUN cat <<EOT > /x.sh && echo $1\nhome is $undefined_var\nEOT\n";
    let f = sc(src);
    assert!(has(&f, "SC2086", 2, 31), "{:?}", places(&f));
    assert!(has(&f, "SC2154", 3, 9), "{:?}", places(&f));
}

#[test]
fn build_args_are_not_unassigned() {
    if !have_shellcheck() {
        return;
    }
    let src = "FROM alpine:3.20\nARG version\nENV home_dir=/srv\nRUN echo \"$version\" \"$home_dir\" \"$undeclared\" \"$http_proxy\"\n";
    let f = sc(src);
    let p = places(&f);
    let sc2154: Vec<_> = p.iter().filter(|x| x.0 == "SC2154").collect();
    assert_eq!(sc2154.len(), 1, "{p:?}");
    assert_eq!((sc2154[0].1, sc2154[0].2), (4, 34), "{p:?}");
}

#[test]
fn runs_do_not_share_a_shell() {
    if !have_shellcheck() {
        return;
    }
    // A variable set in one RUN is not set in the next; an `exit` does not make later RUNs
    // unreachable; no subshell notes leak out of the way RUNs are combined.
    let src = "FROM alpine:3.20\nRUN myvar=1 && exit 0\nRUN echo \"$myvar\"\nRUN echo ok\n";
    let f = sc(src);
    let p = places(&f);
    assert!(has(&f, "SC2154", 3, 11), "{p:?}");
    assert!(
        f.iter()
            .all(|f| !["SC2030", "SC2031", "SC2317"].contains(&f.code.as_ref())),
        "{p:?}"
    );
    // A real subshell problem inside one RUN is still reported.
    let src = "FROM alpine:3.20\nRUN n=0; echo x | while read -r l; do n=1; done; echo \"$n $l\"\n";
    let f = sc(src);
    assert!(f.iter().any(|f| f.code == "SC2031"), "{:?}", places(&f));
}

#[test]
fn a_broken_run_does_not_hide_the_others() {
    if !have_shellcheck() {
        return;
    }
    let src = "FROM alpine:3.20\nRUN if true; then echo x\nRUN echo $1\n";
    let f = sc(src);
    let p = places(&f);
    assert!(
        f.iter()
            .any(|f| f.code.starts_with("SC1") && f.span.start.line == 2),
        "{p:?}"
    );
    assert!(has(&f, "SC2086", 3, 10), "{p:?}");
}

#[test]
fn dialect_follows_shell() {
    if !have_shellcheck() {
        return;
    }
    let sh = sc("FROM alpine:3.20\nRUN [[ -n \"$HOME\" ]] && echo y\n");
    assert!(sh.iter().any(|f| f.code == "SC3010"), "{:?}", places(&sh));
    let bash = sc("FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN [[ -n \"$HOME\" ]] && echo y\n");
    assert!(
        !bash.iter().any(|f| f.code == "SC3010"),
        "{:?}",
        places(&bash)
    );
    // A later stage starts over with /bin/sh.
    let two = sc("FROM debian:12 AS a\nSHELL [\"/bin/bash\", \"-c\"]\nRUN [[ -n \"$HOME\" ]]\nFROM debian:12\nRUN [[ -n \"$HOME\" ]]\n");
    let p = places(&two);
    assert!(
        !has(&two, "SC3010", 3, 5) && has(&two, "SC3010", 5, 5),
        "{p:?}"
    );
}

#[test]
fn powershell_is_skipped() {
    if !have_shellcheck() {
        return;
    }
    let src = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"powershell\", \"-Command\"]\nRUN echo $1; if ($x -eq 1) { Write-Host $x }\n";
    assert!(sc(src).is_empty());
    let src = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"cmd\", \"/S\", \"/C\"]\nRUN echo %PATH% $1\n";
    assert!(sc(src).is_empty());
}

#[test]
fn hadolint_ignore_pragma_suppresses() {
    if !have_shellcheck() {
        return;
    }
    let plain = sc("FROM alpine:3.20\nRUN echo $1\n");
    assert!(has(&plain, "SC2086", 2, 10), "{:?}", places(&plain));
    let ignored = sc("FROM alpine:3.20\n# hadolint ignore=SC2086\nRUN echo $1\n");
    assert!(
        !ignored.iter().any(|f| f.code == "SC2086"),
        "{:?}",
        places(&ignored)
    );
}

#[test]
fn off_by_default() {
    let report = lint_source(
        Path::new("Dockerfile"),
        "FROM alpine:3.20\nRUN echo $1\n",
        &LintOptions::default(),
    );
    assert!(!report.findings.iter().any(|f| f.code.starts_with("SC")));
}
