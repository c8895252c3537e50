//! The one corpus harness, and its first snapshot.
//!
//! The real-world corpus (`testdata/corpus`: the Dockerfiles of the official python and nginx
//! images, and the templates that generate them) is parsed and linted once, with default options,
//! by [`corpus`]; each corpus test checks those results against its own reviewed snapshot:
//! - here: no parse errors, and every finding equals `testdata/corpus_findings.txt`;
//! - `instr_rules_corpus`: the `instr`, `labels` and `buildkit` groups, against
//!   `testdata/instr_rules_expected.txt`;
//! - `shell_rules_corpus`: the `shell` and `packages` groups, against hadolint's recorded
//!   output in `testdata/shell_rules_expected.txt`;
//! - `core_corpus`: the `core` group raises only reviewed findings.
//!
//! After a deliberate change, regenerate the snapshots hoist writes itself with
//! `HOIST_UPDATE_SNAPSHOTS=1 cargo test --test it corpus` and review the diff.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hoist::lint::{config::LintOptions, lint_source, FileReport};

/// One corpus file, parsed and linted.
pub struct CorpusFile {
    /// Path relative to the corpus, with `/` separators.
    pub rel: String,
    /// A `Dockerfile-*.template` (jq and `%%PLACEHOLDER%%` templates that generate the
    /// Dockerfiles), which `hoist lint DIR` would not pick up.
    pub template: bool,
    /// Parse errors, as `line:column message`.
    pub parse_errors: Vec<String>,
    /// Each instruction: first line, start and end offsets, and whether it is a FROM.
    pub instructions: Vec<Instr>,
    pub report: FileReport,
}

#[derive(Clone, Copy)]
pub struct Instr {
    pub line: u32,
    pub start: u32,
    pub end: u32,
    pub is_from: bool,
}

impl CorpusFile {
    /// The first line of the instruction holding `offset` (hadolint reports at the instruction,
    /// hoist at the offending command inside it).
    pub fn instruction_line(&self, offset: u32, fallback: u32) -> u32 {
        self.instructions
            .iter()
            .find(|i| i.start <= offset && offset < i.end.max(i.start + 1))
            .map(|i| i.line)
            .unwrap_or(fallback)
    }
}

pub fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus")
}

/// The names `hoist lint DIR` picks up.
fn is_dockerfile_name(name: &str) -> bool {
    name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile")
}

/// Every corpus file whose name starts with `Dockerfile` (templates included), sorted by path,
/// parsed and linted with default options, once for all tests.
pub fn corpus() -> &'static [CorpusFile] {
    static CORPUS: OnceLock<Vec<CorpusFile>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = corpus_root();
        let mut paths = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("corpus directory {}: {e}", dir.display()));
            for p in entries.flatten().map(|e| e.path()) {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if p.is_dir() {
                    stack.push(p);
                } else if name.starts_with("Dockerfile") {
                    paths.push(p);
                }
            }
        }
        paths.sort();
        paths.iter().map(|p| load(&root, p)).collect()
    })
}

fn load(root: &Path, path: &Path) -> CorpusFile {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let df = hoist::dockerfile::parse(&text);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    CorpusFile {
        rel: path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
            .replace('\\', "/"),
        template: !is_dockerfile_name(name),
        parse_errors: df
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{}:{} {}",
                    e.span.start.line, e.span.start.column, e.message
                )
            })
            .collect(),
        instructions: df
            .instructions
            .iter()
            .map(|i| Instr {
                line: i.span.start.line,
                start: i.span.start.offset,
                end: i.span.end.offset,
                is_from: i.keyword == hoist::dockerfile::Keyword::From,
            })
            .collect(),
        // The corpus has no build context beside it; context checks are tested elsewhere.
        report: lint_source(path, &text, &LintOptions::default()),
    }
}

/// Compares `actual` with the reviewed snapshot `testdata/{name}` line by line, or rewrites the
/// snapshot when `HOIST_UPDATE_SNAPSHOTS` is set.
pub fn assert_snapshot(name: &str, actual: &str) {
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    if std::env::var_os("HOIST_UPDATE_SNAPSHOTS").is_some() {
        fs::write(&snapshot, actual).expect("write snapshot");
        return;
    }
    let expected = fs::read_to_string(&snapshot).unwrap_or_default();
    if expected != actual {
        let exp: Vec<&str> = expected.lines().collect();
        let act: Vec<&str> = actual.lines().collect();
        let missing: Vec<_> = exp.iter().filter(|l| !act.contains(l)).take(30).collect();
        let new: Vec<_> = act.iter().filter(|l| !exp.contains(l)).take(30).collect();
        panic!("corpus results differ from testdata/{name}\nno longer found: {missing:#?}\nnew: {new:#?}");
    }
}

#[test]
fn corpus_has_no_parse_errors() {
    let files: Vec<_> = corpus().iter().filter(|f| !f.template).collect();
    assert!(
        files.len() >= 55,
        "expected the shared corpus, found {} files",
        files.len()
    );
    let errors: Vec<String> = files
        .iter()
        .flat_map(|f| f.parse_errors.iter().map(move |e| format!("{}:{e}", f.rel)))
        .collect();
    assert!(
        errors.is_empty(),
        "parse errors in the corpus:\n{}",
        errors.join("\n")
    );
}

#[test]
fn corpus_findings_match_reviewed_snapshot() {
    let mut out = String::new();
    for file in corpus().iter().filter(|f| !f.template) {
        for f in &file.report.findings {
            out.push_str(&format!(
                "{}:{}:{} {} {} {}\n",
                file.rel,
                f.span.start.line,
                f.span.start.column,
                f.code,
                f.level.as_str(),
                f.message
            ));
        }
    }
    assert_snapshot("corpus_findings.txt", &out);
}
