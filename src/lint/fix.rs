//! Applying safe fixes (`hoist lint --fix`).
//!
//! [`apply_fixes`] applies the safe fixes of a set of findings to the source, skipping any fix
//! whose edits overlap an edit already taken (the next pass picks it up). [`fix_source`] lints,
//! fixes and re-lints until nothing more applies (at most [`MAX_PASSES`] passes).
//! [`write_atomic`] replaces a file through a temporary file in the same directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::config::LintOptions;
use super::engine::{lint_source, FileReport};
use super::{Edit, Finding};

/// Most lint-and-fix passes [`fix_source`] makes.
pub const MAX_PASSES: usize = 5;

/// True when two edits touch the same text, or insert at the same point (order would be
/// ambiguous).
fn overlaps(a: &Edit, b: &Edit) -> bool {
    (a.start < b.end && b.start < a.end) || a.start == b.start
}

/// Applies the safe fixes of `findings` to `source`. Returns the new text and how many fixes were
/// applied. Fixes with edits out of bounds, not on character boundaries, overlapping each other,
/// or overlapping an earlier fix are skipped.
pub fn apply_fixes(source: &str, findings: &[Finding]) -> (String, usize) {
    let mut fixes: Vec<&Vec<Edit>> = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .filter(|fix| fix.safe && !fix.edits.is_empty())
        .map(|fix| &fix.edits)
        .collect();
    fixes.sort_by_key(|edits| edits.iter().map(|e| e.start).min().unwrap_or(0));
    let mut taken: Vec<&Edit> = Vec::new();
    let mut count = 0;
    for edits in fixes {
        let valid = edits.iter().all(|e| {
            e.start <= e.end
                && e.end <= source.len()
                && source.is_char_boundary(e.start)
                && source.is_char_boundary(e.end)
        });
        let self_overlap = edits
            .iter()
            .enumerate()
            .any(|(i, a)| edits.iter().skip(i + 1).any(|b| overlaps(a, b)));
        let clash = edits.iter().any(|e| taken.iter().any(|t| overlaps(e, t)));
        if !valid || self_overlap || clash {
            continue;
        }
        taken.extend(edits.iter());
        count += 1;
    }
    taken.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for e in taken {
        out.push_str(&source[at..e.start]);
        out.push_str(&e.replacement);
        at = e.end;
    }
    out.push_str(&source[at..]);
    (out, count)
}

/// The outcome of fixing one file.
#[derive(Clone, Debug)]
pub struct FixOutcome {
    /// How many fixes were applied over all passes.
    pub applied: usize,
    /// The report of the final text (its `source` is the fixed text).
    pub report: FileReport,
}

/// Lints `source`, applies safe fixes, and repeats on the result until no fix applies or
/// [`MAX_PASSES`] passes are done. A pass that would not change the text ends the loop.
pub fn fix_source(path: &Path, source: &str, options: &LintOptions) -> FixOutcome {
    let mut report = lint_source(path, source, options);
    let mut applied = 0;
    for _ in 0..MAX_PASSES {
        let (text, n) = apply_fixes(&report.source, &report.findings);
        if n == 0 || text == report.source {
            break;
        }
        applied += n;
        report = lint_source(path, &text, options);
    }
    FixOutcome { applied, report }
}

/// Replaces `path` with `contents` atomically: writes a temporary file next to it, gives it the
/// original's permissions, syncs it and renames it over the original (the target of a symlink
/// is replaced, not the link).
pub fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    // Write through a symlink to its target rather than replacing the link.
    let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let path = resolved.as_path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Dockerfile".into());
    let permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let candidate = dir.join(format!(
            ".{name}.hoist-fix.{}.{attempt}",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => break (candidate, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(contents.as_bytes())?;
        if let Some(p) = permissions {
            file.set_permissions(p)?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::Span;
    use crate::lint::{Category, Fix, Severity};
    use std::borrow::Cow;

    fn finding(edits: &[(usize, usize, &str)], safe: bool) -> Finding {
        Finding {
            code: Cow::Borrowed("DL0000"),
            level: Severity::Warning,
            category: Category::Style,
            message: String::new(),
            span: Span::default(),
            help: None,
            fix: Some(Fix {
                description: "test".into(),
                edits: edits
                    .iter()
                    .map(|&(start, end, r)| Edit {
                        start,
                        end,
                        replacement: r.into(),
                    })
                    .collect(),
                safe,
            }),
        }
    }

    #[test]
    fn applies_non_overlapping_safe_fixes() {
        let src = "MAINTAINER me\nADD a b\n";
        let fs = vec![
            finding(&[(14, 17, "COPY")], true),
            finding(&[(0, 13, "LABEL maintainer=\"me\"")], true),
            finding(&[(18, 19, "z")], false),
        ];
        let (out, n) = apply_fixes(src, &fs);
        assert_eq!(n, 2);
        assert_eq!(out, "LABEL maintainer=\"me\"\nCOPY a b\n");
    }

    #[test]
    fn skips_overlapping_and_invalid_fixes() {
        let src = "RUN echo hi\n";
        let fs = vec![
            finding(&[(4, 8, "printf")], true),
            finding(&[(6, 11, "x")], true),    // overlaps the first
            finding(&[(0, 0, "# a\n")], true), // insertion at 0
            finding(&[(0, 0, "# b\n")], true), // second insertion at 0: ambiguous order
            finding(&[(10, 99, "x")], true),   // out of bounds
            finding(&[(9, 9, "A"), (9, 10, "B")], true), // overlaps itself
        ];
        let (out, n) = apply_fixes(src, &fs);
        assert_eq!(n, 2);
        assert_eq!(out, "# a\nRUN printf hi\n");
    }

    #[test]
    fn multi_edit_fix_counts_once_and_rejects_non_char_boundaries() {
        let src = "é\"x\"";
        let fs = vec![
            finding(&[(2, 3, "'"), (4, 5, "'")], true),
            finding(&[(1, 1, "z")], true),
        ];
        let (out, n) = apply_fixes(src, &fs);
        assert_eq!(n, 1);
        assert_eq!(out, "é'x'");
    }

    #[test]
    fn no_fixes_is_identity() {
        let (out, n) = apply_fixes("FROM a\n", &[]);
        assert_eq!((out.as_str(), n), ("FROM a\n", 0));
    }

    #[test]
    fn atomic_write_replaces_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Dockerfile");
        std::fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomic(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_through_a_symlink_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.Dockerfile");
        let link = dir.path().join("Dockerfile");
        std::fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }
}
