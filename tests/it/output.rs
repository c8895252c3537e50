//! Output formats of `hoist lint`, on hand-built reports: each format is parsed back (JSON with
//! serde_json, XML with quick-xml) and checked field by field.

use std::borrow::Cow;
use std::path::PathBuf;

use hoist::dockerfile::span::LineIndex;
use hoist::lint::output::{self, Format, OutputOptions};
use hoist::lint::{registry, Category, Edit, FileReport, Finding, Fix, Severity};
use quick_xml::events::Event;
use serde_json::Value;

/// A finding of `code` over `source` bytes `start..end` (found by text search).
fn finding(
    source: &str,
    code: &'static str,
    level: Severity,
    category: Category,
    start: usize,
    end: usize,
    message: &str,
) -> Finding {
    let idx = LineIndex::new(source);
    Finding {
        code: Cow::Borrowed(code),
        level,
        category,
        message: message.to_string(),
        span: idx.span(source, start, end),
        help: None,
        fix: None,
    }
}

fn at(source: &str, needle: &str) -> (usize, usize) {
    let s = source.find(needle).expect("needle in test source");
    (s, s + needle.len())
}

const SRC_A: &str = "FROM ubuntu\nRUN echo $1 && \\\n    cd /tmp\n";
const SRC_B: &str = "FROM alpine:3.20\n";

/// Two files: one with three findings (one with help and a fix, one ShellCheck, one parse
/// error code), one clean.
fn reports() -> Vec<FileReport> {
    let (s, e) = at(SRC_A, "ubuntu");
    let mut f1 = finding(
        SRC_A,
        "DL3006",
        Severity::Warning,
        Category::Pinning,
        s,
        e,
        "Always tag the version of an image explicitly",
    );
    f1.help = Some("pin a tag such as ubuntu:24.04".into());
    f1.fix = Some(Fix {
        description: "pin".into(),
        edits: vec![Edit {
            start: e,
            end: e,
            replacement: ":24.04".into(),
        }],
        safe: false,
    });
    let (s, e) = at(SRC_A, "$1");
    let f2 = finding(
        SRC_A,
        "SC2086",
        Severity::Info,
        Category::Shellcheck,
        s,
        e,
        "Double quote to prevent globbing and word splitting.",
    );
    let (s, e) = at(SRC_A, "cd /tmp");
    let f3 = finding(
        SRC_A,
        "DL1000",
        Severity::Error,
        Category::Syntax,
        s,
        e,
        "bad <thing> & \"quotes\" 'here'\nsecond line",
    );
    vec![
        FileReport {
            path: PathBuf::from("./app/Dockerfile"),
            source: SRC_A.into(),
            findings: vec![f1, f2, f3],
        },
        FileReport {
            path: PathBuf::from("b/Dockerfile"),
            source: SRC_B.into(),
            findings: vec![],
        },
    ]
}

fn render(format: Format, reports: &[FileReport], opts: &OutputOptions) -> String {
    let mut out = Vec::new();
    output::write(format, reports, opts, &mut out).expect("write to a Vec");
    String::from_utf8(out).expect("utf-8 output")
}

fn plain() -> OutputOptions {
    OutputOptions {
        color: false,
        threshold: Severity::Info,
    }
}

#[test]
fn json_has_hadolint_fields_and_extras() {
    let text = render(Format::Json, &reports(), &plain());
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    let arr = v.as_array().expect("array");
    assert_eq!(arr.len(), 3);
    let first = &arr[0];
    assert_eq!(first["code"], "DL3006");
    assert_eq!(first["level"], "warning");
    assert_eq!(first["file"], "app/Dockerfile");
    assert_eq!(first["line"], 1);
    assert_eq!(first["column"], 6);
    assert_eq!(first["end_line"], 1);
    assert_eq!(first["end_column"], 12);
    assert_eq!(first["category"], "pinning");
    assert_eq!(first["help"], "pin a tag such as ubuntu:24.04");
    assert_eq!(first["fix"]["edits"][0]["replacement"], ":24.04");
    let second = &arr[1];
    assert_eq!(
        (
            second["code"].as_str(),
            second["line"].as_u64(),
            second["column"].as_u64()
        ),
        (Some("SC2086"), Some(2), Some(10))
    );
    assert!(second.get("help").is_none() && second.get("fix").is_none());
    assert_eq!(
        arr[2]["message"],
        "bad <thing> & \"quotes\" 'here'\nsecond line"
    );
    assert_eq!(arr[2]["line"], 3);
    // Stable: the same input renders the same bytes.
    assert_eq!(text, render(Format::Json, &reports(), &plain()));
    // No findings: an empty array.
    let empty: Value = serde_json::from_str(&render(Format::Json, &[], &plain())).expect("json");
    assert_eq!(empty, Value::Array(vec![]));
}

#[test]
fn sarif_is_structurally_valid() {
    let text = render(Format::Sarif, &reports(), &plain());
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().is_some_and(|s| s.contains("sarif")));
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "hoist");
    assert!(driver["version"].is_string());
    let rules = driver["rules"].as_array().expect("rules");
    for r in rules {
        assert!(r["id"].is_string() && r["name"].is_string());
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["fullDescription"]["text"].is_string());
        let lvl = r["defaultConfiguration"]["level"].as_str().expect("level");
        assert!(["error", "warning", "note"].contains(&lvl));
        assert!(r["properties"]["tags"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));
    }
    // Every registry rule is listed, plus ad-hoc entries for the codes outside it.
    for rule in registry::all() {
        assert!(
            rules.iter().any(|r| r["id"] == rule.meta.code),
            "{} missing",
            rule.meta.code
        );
    }
    let sc = rules
        .iter()
        .find(|r| r["id"] == "SC2086")
        .expect("SC2086 entry");
    assert_eq!(sc["helpUri"], "https://www.shellcheck.net/wiki/SC2086");
    assert!(sc["properties"]["tags"]
        .as_array()
        .is_some_and(|t| t.contains(&Value::from("shellcheck"))));
    assert!(rules.iter().any(|r| r["id"] == "DL1000"));
    let mut ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "rule ids are unique");

    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let levels: Vec<&str> = results.iter().filter_map(|r| r["level"].as_str()).collect();
    assert_eq!(levels, ["warning", "note", "error"]);
    for r in results {
        let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(r["message"]["text"].is_string());
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "app/Dockerfile");
        let reg = &loc["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(reg[k].as_u64().is_some_and(|n| n >= 1), "{k}");
        }
    }
    let reg = &results[1]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (reg["startLine"].as_u64(), reg["startColumn"].as_u64()),
        (Some(2), Some(10))
    );
    assert_eq!(
        (reg["endLine"].as_u64(), reg["endColumn"].as_u64()),
        (Some(2), Some(12))
    );
    // The fix is a byte-range replacement.
    let rep = &results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(rep["deletedRegion"]["byteOffset"], 11);
    assert_eq!(rep["deletedRegion"]["byteLength"], 0);
    assert_eq!(rep["insertedContent"]["text"], ":24.04");
}

/// An XML element: name, unescaped attributes, text content.
type Element = (String, Vec<(String, String)>, String);

/// Start and empty elements of an XML document with their unescaped attributes.
fn xml_elements(text: &str) -> Vec<Element> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out: Vec<Element> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8");
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("attribute");
                        let k = String::from_utf8(a.key.as_ref().to_vec()).expect("utf-8");
                        let v = a.unescape_value().expect("escaped value").into_owned();
                        (k, v)
                    })
                    .collect();
                out.push((name, attrs, String::new()));
            }
            Event::Text(t) => {
                if let Some(last) = out.last_mut() {
                    last.2.push_str(&t.unescape().expect("text"));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], k: &str) -> &'a str {
    attrs
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

#[test]
fn checkstyle_parses_back() {
    let text = render(Format::Checkstyle, &reports(), &plain());
    let els = xml_elements(&text);
    assert_eq!(els[0].0, "checkstyle");
    assert_eq!(attr(&els[0].1, "version"), "4.3");
    let files: Vec<&str> = els
        .iter()
        .filter(|e| e.0 == "file")
        .map(|e| attr(&e.1, "name"))
        .collect();
    assert_eq!(files, ["app/Dockerfile", "b/Dockerfile"]);
    let errors: Vec<_> = els.iter().filter(|e| e.0 == "error").collect();
    assert_eq!(errors.len(), 3);
    assert_eq!(attr(&errors[0].1, "line"), "1");
    assert_eq!(attr(&errors[0].1, "column"), "6");
    assert_eq!(attr(&errors[0].1, "severity"), "warning");
    assert_eq!(attr(&errors[0].1, "source"), "DL3006");
    assert_eq!(attr(&errors[1].1, "severity"), "info");
    assert_eq!(attr(&errors[2].1, "severity"), "error");
    assert_eq!(
        attr(&errors[2].1, "message"),
        "bad <thing> & \"quotes\" 'here'\nsecond line"
    );
}

#[test]
fn junit_counts_and_threshold() {
    let text = render(Format::Junit, &reports(), &plain());
    let els = xml_elements(&text);
    let root = &els[0];
    assert_eq!(root.0, "testsuites");
    assert_eq!(attr(&root.1, "tests"), "4");
    assert_eq!(attr(&root.1, "failures"), "3");
    let suites: Vec<_> = els.iter().filter(|e| e.0 == "testsuite").collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(
        (
            attr(&suites[0].1, "name"),
            attr(&suites[0].1, "tests"),
            attr(&suites[0].1, "failures")
        ),
        ("app/Dockerfile", "3", "3")
    );
    assert_eq!(
        (attr(&suites[1].1, "tests"), attr(&suites[1].1, "failures")),
        ("1", "0")
    );
    assert_eq!(els.iter().filter(|e| e.0 == "testcase").count(), 4);
    let failures: Vec<_> = els.iter().filter(|e| e.0 == "failure").collect();
    assert_eq!(failures.len(), 3);
    assert!(failures[2].2.contains("DL1000 error: bad <thing>"));

    // With the threshold at warning, the info finding passes.
    let opts = OutputOptions {
        color: false,
        threshold: Severity::Warning,
    };
    let els = xml_elements(&render(Format::Junit, &reports(), &opts));
    assert_eq!(attr(&els[0].1, "failures"), "2");
    assert_eq!(els.iter().filter(|e| e.0 == "failure").count(), 2);
    assert!(els
        .iter()
        .any(|e| e.0 == "system-out" && e.2.contains("SC2086")));
}

#[test]
fn gitlab_code_quality() {
    let text = render(Format::Gitlab, &reports(), &plain());
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    let arr = v.as_array().expect("array");
    assert_eq!(arr.len(), 3);
    for i in arr {
        for k in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[k].is_string(), "{k}");
        }
        assert_eq!(i["location"]["path"], "app/Dockerfile");
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&i["severity"].as_str().unwrap_or("")));
        let fp = i["fingerprint"].as_str().unwrap_or("");
        assert!(fp.len() == 16 && fp.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_eq!(arr[0]["severity"], "major");
    assert_eq!(arr[2]["severity"], "blocker");
    assert_eq!(arr[1]["location"]["lines"]["begin"], 2);
    assert_eq!(arr[1]["location"]["lines"]["end"], 2);
    let fps: Vec<&str> = arr
        .iter()
        .filter_map(|i| i["fingerprint"].as_str())
        .collect();
    assert!(fps[0] != fps[1] && fps[1] != fps[2] && fps[0] != fps[2]);
    // Fingerprints are stable across runs and independent of other files.
    let again: Value =
        serde_json::from_str(&render(Format::Gitlab, &reports()[..1], &plain())).expect("json");
    assert_eq!(again[1]["fingerprint"], arr[1]["fingerprint"]);
    // Two identical findings still get distinct fingerprints.
    let mut r = reports();
    let dup = r[0].findings[0].clone();
    r[0].findings.push(dup);
    let v: Value = serde_json::from_str(&render(Format::Gitlab, &r, &plain())).expect("json");
    assert_ne!(v[0]["fingerprint"], v[3]["fingerprint"]);
}

#[test]
fn github_workflow_commands_escape() {
    let text = render(Format::Github, &reports(), &plain());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "::warning file=app/Dockerfile,line=1,endLine=1,col=6,endColumn=11,title=DL3006::Always tag the version of an image explicitly%0Ahelp: pin a tag such as ubuntu:24.04");
    assert!(lines[1].starts_with("::notice file=app/Dockerfile,line=2,"));
    assert_eq!(lines[2], "::error file=app/Dockerfile,line=3,endLine=3,col=5,endColumn=11,title=DL1000::bad <thing> & \"quotes\" 'here'%0Asecond line");

    let src = "FROM x\r\n";
    let mut f = finding(
        src,
        "HO0001",
        Severity::Style,
        Category::Style,
        0,
        4,
        "100% done: a, b\r\nc",
    );
    f.code = Cow::Borrowed("HO0001");
    let r = [FileReport {
        path: PathBuf::from("dir,a:b/Dockerfile"),
        source: src.into(),
        findings: vec![f],
    }];
    let text = render(Format::Github, &r, &plain());
    assert_eq!(text, "::notice file=dir%2Ca%3Ab/Dockerfile,line=1,endLine=1,col=1,endColumn=4,title=HO0001::100%25 done: a, b%0D%0Ac\n");
}

#[test]
fn tty_underlines_tabs_and_wide_characters() {
    let src = "FROM a\n\tRUN echo 漢字 $x\n";
    let (s, e) = at(src, "$x");
    let f = finding(
        src,
        "SC2086",
        Severity::Info,
        Category::Shellcheck,
        s,
        e,
        "quote it",
    );
    let r = [FileReport {
        path: PathBuf::from("Dockerfile"),
        source: src.into(),
        findings: vec![f],
    }];
    let text = render(Format::Tty, &r, &plain());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Dockerfile:2:14: SC2086 info: quote it");
    assert_eq!(lines[1], "2 |     RUN echo 漢字 $x");
    // Tab → 4 columns, each CJK character is 2 columns wide.
    assert_eq!(lines[2], "  |                   ^^");
    assert_eq!(lines[3], "");
    assert_eq!(
        lines[4],
        "1 problem (0 errors, 0 warnings, 1 info, 0 style) in 1 file"
    );
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn tty_multiline_spans_help_and_summary() {
    let text = render(Format::Tty, &reports(), &plain());
    assert!(!text.contains('\u{1b}'), "no escape codes without colour");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "app/Dockerfile:1:6: DL3006 warning: Always tag the version of an image explicitly"
    );
    assert_eq!(lines[1], "1 | FROM ubuntu");
    assert_eq!(lines[2], "  |      ^^^^^^");
    assert_eq!(lines[3], "  help: pin a tag such as ubuntu:24.04");
    assert_eq!(lines[4], "");
    assert_eq!(
        lines.last().copied(),
        Some("3 problems (1 error, 1 warning, 1 info, 0 style) in 2 files")
    );

    // A span over two lines shows the first line underlined to its end, then `...`.
    let (s, _) = at(SRC_A, "echo");
    let (_, e) = at(SRC_A, "cd /tmp");
    let f = finding(
        SRC_A,
        "DL3003",
        Severity::Warning,
        Category::Correctness,
        s,
        e,
        "use WORKDIR",
    );
    let r = [FileReport {
        path: PathBuf::from("Dockerfile"),
        source: SRC_A.into(),
        findings: vec![f],
    }];
    let text = render(Format::Tty, &r, &plain());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "2 | RUN echo $1 && \\");
    assert_eq!(lines[2], "  |     ^^^^^^^^^^^^");
    assert_eq!(lines[3], "  | ...");

    // Colour on: escape codes appear.
    let opts = OutputOptions {
        color: true,
        threshold: Severity::Info,
    };
    assert!(render(Format::Tty, &reports(), &opts).contains("\u{1b}["));

    // Clean files.
    let clean = [FileReport {
        path: PathBuf::from("b/Dockerfile"),
        source: SRC_B.into(),
        findings: vec![],
    }];
    assert_eq!(
        render(Format::Tty, &clean, &plain()),
        "No problems in 1 file.\n"
    );
}

#[test]
fn format_names_and_aliases() {
    use clap::ValueEnum;
    for (name, f) in [
        ("tty", Format::Tty),
        ("json", Format::Json),
        ("sarif", Format::Sarif),
        ("checkstyle", Format::Checkstyle),
        ("gitlab", Format::Gitlab),
        ("codeclimate", Format::Gitlab),
        ("gitlab_codeclimate", Format::Gitlab),
        ("github", Format::Github),
        ("junit", Format::Junit),
    ] {
        assert_eq!(Format::from_str(name, false), Ok(f), "{name}");
    }
}
