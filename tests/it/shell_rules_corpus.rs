//! The shell-aware rules (groups `shell` and `packages`) agree with hadolint 2.15.1 on the
//! real-world corpus (`testdata/corpus`: the official python and nginx images).
//!
//! `testdata/shell_rules_expected.txt` is hadolint's output for these codes on every corpus file
//! (`file code line`, recorded with `hadolint -f json` and reviewed; hadolint is not run here).
//! hoist reports at the offending command, hadolint at the RUN, so each hoist finding is mapped
//! to the first line of the instruction that contains it before comparing. The only allowed
//! differences are listed, with their reason, in [`DIFFERENCES`].
//!
//! Set `HOIST_PRINT_SHELL_RULES=1` to print hoist's mapped findings. The harness is
//! [`crate::corpus`].

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::corpus::{corpus, CorpusFile};

/// The codes compared (every rule of the two groups that hadolint also has).
const CODES: &[&str] = &[
    "DL3001", "DL3003", "DL3004", "DL3008", "DL3009", "DL3013", "DL3014", "DL3015", "DL3016",
    "DL3018", "DL3019", "DL3027", "DL3028", "DL3030", "DL3032", "DL3033", "DL3034", "DL3035",
    "DL3036", "DL3037", "DL3038", "DL3040", "DL3041", "DL3042", "DL3046", "DL3047", "DL3060",
    "DL3062", "DL4001", "DL4005", "DL4006",
];

/// Intentional differences: `(file, code, line, hoist reports it)`. `false` rows are hadolint
/// findings hoist does not report; `true` rows are hoist findings hadolint does not report.
const DIFFERENCES: &[(&str, &str, u32, bool)] = &[
    // `apt-get dist-clean` (apt >= 2.7.8, Debian trixie) deletes /var/lib/apt/lists; hadolint only
    // accepts `rm -rf` as cleanup.
    ("python/3.10/trixie/Dockerfile", "DL3009", 18, false),
    ("python/3.10/slim-trixie/Dockerfile", "DL3009", 18, false),
    ("python/3.11/trixie/Dockerfile", "DL3009", 18, false),
    ("python/3.11/slim-trixie/Dockerfile", "DL3009", 18, false),
    ("python/3.12/trixie/Dockerfile", "DL3009", 18, false),
    ("python/3.12/slim-trixie/Dockerfile", "DL3009", 18, false),
    ("python/3.13/trixie/Dockerfile", "DL3009", 13, false),
    ("python/3.13/slim-trixie/Dockerfile", "DL3009", 13, false),
    ("python/3.14/trixie/Dockerfile", "DL3009", 13, false),
    ("python/3.14/slim-trixie/Dockerfile", "DL3009", 13, false),
    ("python/3.15-rc/trixie/Dockerfile", "DL3009", 13, false),
    ("python/3.15-rc/slim-trixie/Dockerfile", "DL3009", 13, false),
    // hoist also reads the script of `su nobody -s /bin/sh -c "…"`, where this RUN calls curl
    // (the stage calls wget elsewhere); hadolint does not look inside strings.
    (
        "docker-nginx/mainline/alpine-slim/Dockerfile",
        "DL4001",
        14,
        true,
    ),
    (
        "docker-nginx/stable/alpine-slim/Dockerfile",
        "DL4001",
        14,
        true,
    ),
    // hadolint cannot parse the docker-library templates (`{{ … }}` lines, DL1000) and reports
    // nothing on them; hoist parses them and reports what the generated files also have
    // (unpinned packages, a pipe in `$(echo … | tr …)` without pipefail). Rules that look for a
    // missing cleanup stay silent on RUNs with `{{ … }}` placeholders.
    (
        "docker-nginx/Dockerfile-debian.template",
        "DL3008",
        11,
        true,
    ),
    ("python/Dockerfile-linux.template", "DL3008", 44, true),
    ("python/Dockerfile-linux.template", "DL3018", 38, true),
    ("python/Dockerfile-linux.template", "DL4006", 333, true),
];

type Row = (String, String, u32);

/// hoist's findings of [`CODES`] on one file, each at the first line of its instruction.
fn hoist_rows(file: &CorpusFile) -> BTreeSet<Row> {
    file.report
        .findings
        .iter()
        .filter(|f| CODES.contains(&f.code.as_ref()))
        .map(|f| {
            let line = file.instruction_line(f.span.start.offset, f.span.start.line);
            (file.rel.clone(), f.code.to_string(), line)
        })
        .collect()
}

fn expected_rows() -> BTreeSet<Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/shell_rules_expected.txt");
    let text = fs::read_to_string(&path).expect("testdata/shell_rules_expected.txt readable");
    let mut rows = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [file, code, n] = parts.as_slice() else {
            panic!("bad expected line: {line}");
        };
        let n: u32 = n.parse().expect("line number");
        rows.insert((file.to_string(), code.to_string(), n));
    }
    rows
}

#[test]
fn shell_rules_match_hadolint_on_corpus() {
    let files = corpus();
    assert!(!files.is_empty(), "corpus not found");
    let actual: BTreeSet<Row> = files.iter().flat_map(hoist_rows).collect();
    if std::env::var_os("HOIST_PRINT_SHELL_RULES").is_some() {
        for (f, c, l) in &actual {
            println!("{f} {c} {l}");
        }
    }
    let mut expected = expected_rows();
    for (file, code, line, hoist_has) in DIFFERENCES {
        let row = (file.to_string(), code.to_string(), *line);
        if *hoist_has {
            assert!(
                expected.insert(row.clone()),
                "difference {row:?} is already expected"
            );
        } else {
            assert!(
                expected.remove(&row),
                "difference {row:?} is not in the hadolint snapshot"
            );
        }
    }
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "hoist differs from the reviewed hadolint snapshot\nmissing: {missing:#?}\nextra: {extra:#?}"
    );
}
