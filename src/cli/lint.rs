//! `hoist lint`: find the Dockerfiles named on the command line (directories are searched,
//! honouring `.gitignore`), resolve each one's configuration, lint them in parallel, optionally
//! apply safe fixes, and print one report ordered by path.
//!
//! Exit codes: 0 when nothing is at or above the failure threshold, 1 when something is (parse
//! errors and undecodable files included), 2 for bad usage, unreadable files and configuration
//! errors.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rayon::prelude::*;

use hoist::dockerfile::{LineIndex, Span};
use hoist::lint::config::{
    self, ConfigError, ConfigLayer, Level, LintOptions, Resolver, Threshold,
};
use hoist::lint::output::{self, Format, OutputOptions};
use hoist::lint::{fix, lint_source, Category, FileReport, Finding, Severity};

const AFTER_HELP: &str = "\
Examples:
  hoist lint                              lint ./Dockerfile
  hoist lint . --format sarif > out.sarif every Dockerfile under . (honours .gitignore)
  hoist lint - < Dockerfile               read stdin
  hoist lint --ignore DL3008,DL3015 -t warning build/Dockerfile
  hoist lint --fix Dockerfile             apply safe fixes in place
  hoist lint --require-label maintainer:text --strict-labels Dockerfile

Configuration: the nearest .hoist.toml or .hadolint.yaml at or above each file's directory
(or --config FILE), then HADOLINT_* environment variables, then these flags.
Exit status: 0 no findings at or above the threshold, 1 findings, 2 usage or I/O error.";

/// `--color` choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct LintArgs {
    /// Files or directories to lint (`-` for stdin); default: ./Dockerfile
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = Format::Tty)]
    pub format: Format,
    /// Use this config file only (.toml: hoist format; .yaml/.yml: hadolint format)
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not report this rule (code, name or alias; repeatable, comma lists accepted)
    #[arg(long, value_name = "CODE")]
    pub ignore: Vec<String>,
    /// Turn on an opt-in rule (repeatable, comma lists accepted)
    #[arg(long, value_name = "CODE")]
    pub enable: Vec<String>,
    /// Report this rule at level error
    #[arg(long, value_name = "CODE")]
    pub error: Vec<String>,
    /// Report this rule at level warning
    #[arg(long, value_name = "CODE")]
    pub warning: Vec<String>,
    /// Report this rule at level info
    #[arg(long, value_name = "CODE")]
    pub info: Vec<String>,
    /// Report this rule at level style
    #[arg(long, value_name = "CODE")]
    pub style: Vec<String>,
    /// Exit 1 only for findings at or above LEVEL: error, warning, info, style, none
    #[arg(short = 't', long, value_name = "LEVEL", value_parser = parse_threshold)]
    pub failure_threshold: Option<Threshold>,
    /// A registry base images may come from (repeatable)
    #[arg(long, value_name = "REGISTRY")]
    pub trusted_registry: Vec<String>,
    /// Require a label of a type: text, url, email, rfc3339, semver, spdx, hash (repeatable)
    #[arg(long, value_name = "NAME:TYPE", value_parser = parse_require_label)]
    pub require_label: Vec<(String, String)>,
    /// Report labels that are not in the label schema
    #[arg(long)]
    pub strict_labels: bool,
    /// Do not honour `# hadolint ignore=` / `# hoist ignore=` / `# trivy:ignore:` comments
    #[arg(long)]
    pub disable_ignore_pragma: bool,
    /// Always exit 0 when linting succeeded, whatever was found
    #[arg(long)]
    pub no_fail: bool,
    /// Also run ShellCheck on RUN commands
    #[arg(long)]
    pub shellcheck: bool,
    /// Run BuildKit's build checks only, as BuildKit runs them (its names, its default set, the
    /// `# check=` directive and BUILDKIT_DOCKERFILE_CHECK; hadolint's rules off)
    #[arg(long)]
    pub buildkit: bool,
    /// A build argument value, as for `docker build` (repeatable)
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    pub build_arg: Vec<(String, String)>,
    /// Build context directory (default: each Dockerfile's directory)
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// Apply safe fixes in place (with `-`, print the fixed text to stdout)
    #[arg(long)]
    pub fix: bool,
    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Same as --color never
    #[arg(long)]
    pub no_color: bool,
    /// File name to show (and to discover config from) for stdin
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    /// Show this path instead of each linted file's in the report (every format; for running
    /// in a container where the file's path differs)
    #[arg(long, value_name = "PATH")]
    pub file_path_in_report: Option<PathBuf>,
    /// Print the configuration used for each file to stderr
    #[arg(short = 'V', long)]
    pub verbose: bool,
    /// Print the version and exit
    #[arg(short = 'v', long)]
    pub version: bool,
}

fn parse_threshold(s: &str) -> Result<Threshold, String> {
    Threshold::parse(s).ok_or_else(|| "expected one of error, warning, info, style, none".into())
}

fn parse_require_label(s: &str) -> Result<(String, String), String> {
    config::parse_label_requirement(s)
}

fn parse_build_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, _)) if k.trim().is_empty() => Err(format!("`{s}` has an empty name")),
        Some((k, v)) => Ok((k.trim().to_string(), v.to_string())),
        // As `docker build --build-arg NAME`: the value comes from the environment.
        None => std::env::var(s)
            .map(|v| (s.to_string(), v))
            .map_err(|_| format!("`{s}` has no `=VALUE` and no environment variable {s} is set")),
    }
}

/// The settings given as flags, as the top configuration layer.
fn cli_layer(a: &LintArgs) -> ConfigLayer {
    let list = |v: &[String]| {
        v.iter()
            .flat_map(|s| config::split_list(s))
            .collect::<Vec<_>>()
    };
    let mut levels = Vec::new();
    for (codes, sev) in [
        (&a.error, Severity::Error),
        (&a.warning, Severity::Warning),
        (&a.info, Severity::Info),
        (&a.style, Severity::Style),
    ] {
        levels.extend(list(codes).into_iter().map(|c| (c, Level::Set(sev))));
    }
    let flag = |b: bool| b.then_some(true);
    ConfigLayer {
        ignore: list(&a.ignore),
        enable: list(&a.enable),
        failure_threshold: a.failure_threshold,
        trusted_registries: list(&a.trusted_registry),
        strict_labels: flag(a.strict_labels),
        disable_ignore_pragma: flag(a.disable_ignore_pragma),
        no_fail: flag(a.no_fail),
        shellcheck: flag(a.shellcheck),
        levels,
        label_schema: a.require_label.iter().cloned().collect(),
        build_args: a.build_arg.iter().cloned().collect(),
        context_dir: a.context.clone(),
        warnings: Vec::new(),
    }
}

/// True for file names that are Dockerfiles: `Dockerfile`, `Containerfile`, `*.Dockerfile`,
/// `*.containerfile`, `Dockerfile.*`, `Containerfile.*` (any case), but not BuildKit's per-file
/// `*.dockerignore`.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") {
        return false;
    }
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || (lower.starts_with("dockerfile.") && lower.len() > "dockerfile.".len())
        || (lower.starts_with("containerfile.") && lower.len() > "containerfile.".len())
}

/// One thing to lint.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Input {
    Stdin,
    File(PathBuf),
}

/// Expands the path arguments into inputs. Problems (missing paths, unreadable directories)
/// are returned as messages.
fn collect_inputs(paths: &[PathBuf]) -> (Vec<Input>, Vec<(String, Option<String>)>) {
    let mut inputs = BTreeSet::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.insert(Input::Stdin);
            continue;
        }
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                errors.push((format!("cannot read {}: {e}", p.display()), None));
                continue;
            }
        };
        if !meta.is_dir() {
            inputs.insert(Input::File(p.clone()));
            continue;
        }
        let mut found = false;
        let walker = ignore::WalkBuilder::new(p)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    let is_file = e.file_type().is_some_and(|t| t.is_file() || t.is_symlink())
                        && e.path().is_file();
                    if is_file && e.file_name().to_str().is_some_and(is_dockerfile_name) {
                        found = true;
                        inputs.insert(Input::File(e.into_path()));
                    }
                }
                Err(e) => errors.push((format!("cannot search {}: {e}", p.display()), None)),
            }
        }
        if !found {
            eprintln!("hoist: warning: no Dockerfiles found under {}", p.display());
        }
    }
    (inputs.into_iter().collect(), errors)
}

/// The result of linting one input.
struct Linted {
    report: FileReport,
    options: LintOptions,
    /// Fixes applied, and for stdin the fixed text.
    fixed: usize,
}

enum Failure {
    Io(String),
    Config(std::sync::Arc<ConfigError>),
}

/// The one DL1000 finding for bytes that are not UTF-8 text, at the first bad byte. The bytes
/// themselves are never shown: the report's source is left empty.
fn undecodable(bytes: &[u8], nul: bool) -> Finding {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.iter().position(|&b| b == 0).unwrap_or(0),
        Err(e) => e.valid_up_to(),
    };
    let valid = if nul {
        valid.min(bytes.iter().position(|&b| b == 0).unwrap_or(valid))
    } else {
        valid
    };
    // The valid prefix is text (up to the first NUL or invalid byte): positions count in it.
    let prefix = std::str::from_utf8(bytes.get(..valid).unwrap_or(&[])).unwrap_or("");
    let index = LineIndex::new(prefix);
    let mut pos = index.pos(prefix, prefix.len());
    pos.offset = valid as u32;
    let message = if nul {
        "not a text file: it contains a NUL byte"
    } else {
        "not a text file: it is not valid UTF-8"
    };
    Finding {
        code: Cow::Borrowed("DL1000"),
        level: Severity::Error,
        category: Category::Syntax,
        message: message.to_string(),
        span: Span::new(pos, pos),
        help: Some(
            "hoist lints Dockerfiles, which are UTF-8 text; check the path, or re-encode the file"
                .into(),
        ),
        fix: None,
    }
}

fn lint_one(
    input: &Input,
    stdin: &[u8],
    args: &LintArgs,
    resolver: &Resolver,
    cwd: &Path,
) -> Result<Linted, Failure> {
    let (shown, bytes): (PathBuf, Cow<[u8]>) = match input {
        Input::Stdin => (
            args.stdin_filename
                .clone()
                .unwrap_or_else(|| PathBuf::from("-")),
            Cow::Borrowed(stdin),
        ),
        Input::File(p) => match std::fs::read(p) {
            Ok(b) => (p.clone(), Cow::Owned(b)),
            Err(e) => return Err(Failure::Io(format!("cannot read {}: {e}", p.display()))),
        },
    };
    let config_path = match input {
        Input::Stdin => args.stdin_filename.as_deref(),
        Input::File(p) => Some(p.as_path()),
    };
    let mut options = resolver
        .options_for(config_path, cwd)
        .map_err(Failure::Config)?;
    options.buildkit = args.buildkit;
    let has_nul = bytes.contains(&0);
    let source = match std::str::from_utf8(&bytes) {
        Ok(s) if !has_nul => s,
        _ => {
            let report = FileReport {
                path: shown,
                source: String::new(),
                findings: vec![undecodable(&bytes, has_nul)],
            };
            return Ok(Linted {
                report,
                options,
                fixed: 0,
            });
        }
    };
    if !args.fix {
        let report = lint_source(&shown, source, &options);
        return Ok(Linted {
            report,
            options,
            fixed: 0,
        });
    }
    let outcome = fix::fix_source(&shown, source, &options);
    if outcome.applied > 0 {
        if let Input::File(p) = input {
            fix::write_atomic(p, &outcome.report.source)
                .map_err(|e| Failure::Io(format!("cannot write fixes to {}: {e}", p.display())))?;
        }
    }
    Ok(Linted {
        report: outcome.report,
        options,
        fixed: outcome.applied,
    })
}

/// The stack of each linting thread: what the main thread gets on Linux.
const STACK_SIZE: usize = 8 << 20;

/// Runs `lint` for `input`; should it panic (a bug in hoist, never expected), the file gets one
/// DL1000 error finding that says so, and the other files are still linted and reported.
fn guarded(
    input: &Input,
    lint: impl FnOnce() -> Result<Linted, Failure>,
) -> Result<Linted, Failure> {
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(lint));
    caught.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let path = match input {
            Input::Stdin => PathBuf::from("-"),
            Input::File(p) => p.clone(),
        };
        let start = hoist::dockerfile::Pos {
            line: 1,
            column: 1,
            offset: 0,
        };
        let finding = Finding {
            code: Cow::Borrowed("DL1000"),
            level: Severity::Error,
            category: Category::Syntax,
            message: format!("hoist failed while linting this file (internal error: {what})"),
            span: Span::new(start, start),
            help: Some(
                "the other files were linted; please report this file to the hoist issue tracker"
                    .into(),
            ),
            fix: None,
        };
        Ok(Linted {
            report: FileReport {
                path,
                source: String::new(),
                findings: vec![finding],
            },
            options: LintOptions::default(),
            fixed: 0,
        })
    })
}

fn use_color(args: &LintArgs) -> bool {
    if args.no_color {
        return false;
    }
    match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The config files that apply to `file` (`None`: stdin, searched from `cwd`): the `--config`
/// file, or those of the nearest directory at or above the file's that has any.
fn config_sources(args: &LintArgs, file: Option<&Path>, cwd: &Path) -> Vec<PathBuf> {
    if let Some(c) = &args.config {
        return vec![c.clone()];
    }
    let start = file
        .and_then(|f| std::path::absolute(f).ok())
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| cwd.to_path_buf());
    for dir in start.ancestors() {
        let found: Vec<PathBuf> = config::HADOLINT_FILES
            .iter()
            .chain([&config::HOIST_FILE])
            .map(|n| dir.join(n))
            .filter(|p| p.is_file())
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// `--verbose`: what configuration each file was linted with, on stderr.
fn print_verbose(args: &LintArgs, input: &Input, l: &Linted, cwd: &Path) {
    let file = match input {
        Input::Stdin => args.stdin_filename.as_deref(),
        Input::File(p) => Some(p.as_path()),
    };
    let sources = config_sources(args, file, cwd);
    let sources = if sources.is_empty() {
        "none (defaults)".to_string()
    } else {
        sources
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let o = &l.options;
    eprintln!(
        "hoist: {}: config files: {sources}",
        l.report.path.display()
    );
    eprintln!(
        "hoist: {}: failure-threshold={} ignored=[{}] enabled=[{}] overrides={} trusted-registries=[{}] label-schema=[{}] strict-labels={} shellcheck={} no-fail={} disable-ignore-pragma={}",
        l.report.path.display(),
        o.failure_threshold.as_str(),
        o.ignored.join(","),
        o.enabled.join(","),
        o.levels.len(),
        o.trusted_registries.join(","),
        o.label_schema
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(","),
        o.strict_labels,
        o.shellcheck,
        o.no_fail,
        o.disable_ignore_pragma,
    );
}

pub fn run(args: LintArgs) -> i32 {
    if args.version {
        println!(
            "hoist lint {} (hadolint-compatible)",
            env!("CARGO_PKG_VERSION")
        );
        return super::EXIT_OK;
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        match ["Dockerfile", "Containerfile"]
            .iter()
            .find(|n| Path::new(n).is_file())
        {
            Some(n) => paths.push(PathBuf::from(n)),
            None => {
                super::report_error(
                    "no Dockerfile in the current directory",
                    Some("pass files or directories to lint, or `-` to read stdin"),
                );
                return super::EXIT_USAGE;
            }
        }
    }
    let env = match config::env_layer(&|k| std::env::var(k).ok()) {
        Ok(l) => l,
        Err(e) => return config_failure(&e),
    };
    let resolver = match Resolver::new(args.config.as_deref(), env, cli_layer(&args)) {
        Ok(r) => r,
        Err(e) => return config_failure(&e),
    };
    let (inputs, mut errors) = collect_inputs(&paths);
    let mut stdin = Vec::new();
    if inputs.contains(&Input::Stdin) {
        if let Err(e) = std::io::stdin().read_to_end(&mut stdin) {
            errors.push((format!("cannot read stdin: {e}"), None));
        }
    }
    let lint = |i: &Input| {
        let r = guarded(i, || lint_one(i, &stdin, &args, &resolver, &cwd));
        (i.clone(), r)
    };
    // One file (the pre-commit case) is linted on this thread: starting a thread pool would cost
    // more than the lint itself. Pool threads get the main thread's stack size.
    let pool = (inputs.len() > 1)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .stack_size(STACK_SIZE)
                .build()
                .ok()
        })
        .flatten();
    let results: Vec<(Input, Result<Linted, Failure>)> = match pool {
        Some(pool) => pool.install(|| inputs.par_iter().map(lint).collect()),
        None => inputs.iter().map(lint).collect(),
    };

    for w in resolver.take_warnings() {
        eprintln!("hoist: warning: {w}");
    }
    let mut linted = Vec::new();
    let mut config_errors: Vec<String> = Vec::new();
    for (input, r) in results {
        match r {
            Ok(mut l) => {
                if args.verbose {
                    print_verbose(&args, &input, &l, &cwd);
                }
                if let Some(p) = &args.file_path_in_report {
                    l.report.path.clone_from(p);
                }
                linted.push((input, l));
            }
            Err(Failure::Io(m)) => errors.push((m, None)),
            Err(Failure::Config(e)) => {
                let msg = e.to_string();
                if !config_errors.contains(&msg) {
                    config_errors.push(msg.clone());
                    errors.push((msg, e.hint()));
                }
            }
        }
    }
    for (_, l) in &linted {
        if l.fixed > 0 {
            let s = if l.fixed == 1 { "" } else { "es" };
            eprintln!(
                "hoist: applied {} fix{s} to {}",
                l.fixed,
                l.report.path.display()
            );
        }
    }
    let threshold = linted
        .first()
        .map(|(_, l)| l.options.failure_threshold)
        .unwrap_or(LintOptions::default().failure_threshold);
    let opts = OutputOptions {
        color: use_color(&args),
        threshold,
    };
    let stdin_fixed = args.fix && linted.iter().any(|(i, _)| *i == Input::Stdin);
    let reports: Vec<FileReport> = linted.iter().map(|(_, l)| l.report.clone()).collect();
    let written = if stdin_fixed {
        // The fixed text goes to stdout; the remaining findings to stderr.
        let fixed_text = linted
            .iter()
            .find(|(i, _)| *i == Input::Stdin)
            .map(|(_, l)| l.report.source.clone())
            .unwrap_or_default();
        let mut out = std::io::stdout().lock();
        let r = out
            .write_all(fixed_text.as_bytes())
            .and_then(|_| out.flush());
        let err_opts = OutputOptions {
            color: false,
            threshold,
        };
        r.and_then(|_| {
            output::write(
                args.format,
                &reports,
                &err_opts,
                &mut std::io::stderr().lock(),
            )
        })
    } else {
        let mut out = std::io::stdout().lock();
        output::write(args.format, &reports, &opts, &mut out).and_then(|_| out.flush())
    };
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            errors.push((format!("cannot write the report: {e}"), None));
        }
    }
    for (msg, hint) in &errors {
        super::report_error(msg, hint.as_deref());
    }
    if !errors.is_empty() {
        return super::EXIT_USAGE;
    }
    let failed = linted
        .iter()
        .any(|(_, l)| !l.options.no_fail && l.report.fails(l.options.failure_threshold));
    if failed {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}

fn config_failure(e: &ConfigError) -> i32 {
    super::report_error(&e.to_string(), e.hint().as_deref());
    super::EXIT_USAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for n in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "app.Dockerfile",
            "app.dockerfile",
            "x.containerfile",
            "Dockerfile.prod",
            "Containerfile.dev",
        ] {
            assert!(is_dockerfile_name(n), "{n}");
        }
        for n in [
            "Dockerfile.dockerignore",
            "app.Dockerfile.dockerignore",
            ".dockerignore",
            "Dockerfile.",
            "README.md",
            "Dockerfiles",
        ] {
            assert!(!is_dockerfile_name(n), "{n}");
        }
    }

    #[test]
    fn undecodable_position() {
        let f = undecodable(b"FROM a\nRUN \xff\n", false);
        assert_eq!((f.span.start.line, f.span.start.column), (2, 5));
        assert_eq!(f.code, "DL1000");
        let f = undecodable(b"FROM a\0", true);
        assert_eq!((f.span.start.line, f.span.start.column), (1, 7));
        // A NUL after an invalid byte: the first of the two.
        let f = undecodable(b"FROM a\0\xff", true);
        assert_eq!((f.span.start.line, f.span.start.column), (1, 7));
        let f = undecodable(b"\xffFROM a\0", true);
        assert_eq!((f.span.start.line, f.span.start.column), (1, 1));
    }

    #[test]
    fn a_panic_in_one_file_becomes_a_finding() {
        let input = Input::File(PathBuf::from("bad/Dockerfile"));
        let r = guarded(&input, || panic!("boom at line 3"));
        let Ok(l) = r else {
            panic!("a panic must become a report")
        };
        assert_eq!(l.report.path, PathBuf::from("bad/Dockerfile"));
        assert_eq!(l.report.findings.len(), 1);
        let f = &l.report.findings[0];
        assert_eq!((f.code.as_ref(), f.level), ("DL1000", Severity::Error));
        assert!(f.message.contains("boom at line 3"), "{}", f.message);
        assert!(l.report.fails(Severity::Error));
        let ok = guarded(&input, || Err(Failure::Io("x".into())));
        assert!(matches!(ok, Err(Failure::Io(m)) if m == "x"));
    }

    #[test]
    fn build_args() {
        assert_eq!(
            parse_build_arg("A=b=c").unwrap(),
            ("A".to_string(), "b=c".to_string())
        );
        assert!(parse_build_arg("=x").is_err());
    }
}
