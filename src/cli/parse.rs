//! `hoist parse`: parse one Dockerfile and print its syntax tree, either as BuildKit's AST dump
//! or as JSON with every span. Parse errors go to stderr as `FILE:LINE:COL: error: MESSAGE`.
//! The BuildKit format mirrors BuildKit's parser: a line it accepts (e.g. `HEALTHCHECK` with no
//! arguments) is dumped, and only errors of the parser itself fail the command; errors of the
//! later instruction-level checks are `hoist lint`'s job.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use hoist::dockerfile::{dump, parse};

/// Output format of `hoist parse`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ParseFormat {
    /// The whole syntax tree, with spans, as JSON
    #[default]
    Json,
    /// BuildKit's AST dump (one s-expression per instruction)
    Buildkit,
}

#[derive(Args, Debug)]
pub struct ParseArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = ParseFormat::Json)]
    pub format: ParseFormat,
    /// The Dockerfile to parse (`-` for stdin)
    pub file: PathBuf,
}

fn read_input(file: &Path) -> Result<(String, Vec<u8>), String> {
    let is_stdin = file.as_os_str() == "-";
    let name = if is_stdin {
        "<stdin>".to_string()
    } else {
        file.display().to_string()
    };
    let mut bytes = Vec::new();
    let res = if is_stdin {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    res.map_err(|e| format!("cannot read {name}: {e}"))?;
    Ok((name, bytes))
}

pub fn run(args: ParseArgs) -> i32 {
    let (name, bytes) = match read_input(&args.file) {
        Ok(v) => v,
        Err(msg) => {
            super::report_error(&msg, None);
            return super::EXIT_USAGE;
        }
    };
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            super::report_error(
                &format!(
                    "{name} is not valid UTF-8 (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
                Some("convert the file to UTF-8"),
            );
            return super::EXIT_USAGE;
        }
    };
    let df = parse(&source);
    let mut err = anstream::stderr();
    let buildkit = args.format == ParseFormat::Buildkit;
    let errors: Vec<_> = df
        .errors
        .iter()
        .filter(|e| !(buildkit && e.instruction_level))
        .collect();
    for e in &errors {
        let _ = writeln!(
            err,
            "{name}:{}:{}: error: {}",
            e.span.start.line, e.span.start.column, e.message
        );
    }
    for w in &df.warnings {
        let _ = writeln!(
            err,
            "{name}:{}:{}: warning: {}",
            w.span.start.line, w.span.start.column, w.message
        );
    }
    let has_errors = !errors.is_empty();
    let out = match args.format {
        ParseFormat::Json => {
            let mut s = dump::json(&df);
            s.push('\n');
            s
        }
        ParseFormat::Buildkit if has_errors => String::new(),
        ParseFormat::Buildkit => dump::buildkit(&df),
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return super::EXIT_FINDINGS;
    }
    if has_errors {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
