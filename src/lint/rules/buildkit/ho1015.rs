//! HO1015 (BuildKit CopyIgnoredFile): COPY/ADD of a context path that `.dockerignore` excludes.
use crate::dockerfile::{Instruction, InstructionKind};
use crate::lint::rules::core::dockerignore;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1015",
        name: "copy-ignored-file",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "COPY or ADD of a file that .dockerignore excludes from the build context",
        aliases: &["CopyIgnoredFile"],
        // On in BuildKit (and in `--buildkit` mode); opt-in for `hoist lint`, as it reads the
        // build context from disk.
        opt_in: true,
    },
    check,
};

/// True for sources that do not come from the build context.
fn remote(ins: &Instruction, src: &str) -> bool {
    src.starts_with("<<")
        || src.contains("://")
        || src.starts_with("git@")
        || ins.flag("from").is_some()
}

/// Whether `.dockerignore` excludes every entry of the context root (`*`, `**` or `**/*`, and
/// no `!` exception), so `COPY . …` copies nothing.
fn root_excluded(ignore: &dockerignore::DockerIgnore) -> bool {
    !ignore.has_exceptions()
        && ignore
            .patterns()
            .iter()
            .any(|p| matches!(p.as_str(), "*" | "**" | "**/*"))
}

fn check(cx: &Context, d: &mut Diagnostics) {
    let Some(context) = cx.options.context_dir.as_deref() else {
        return;
    };
    let ignore = dockerignore::load(context, cx.path);
    for (i, ins) in cx.instructions() {
        let (InstructionKind::Copy(args) | InstructionKind::Add(args)) = &ins.kind else {
            continue;
        };
        for src in &args.sources {
            if remote(ins, &src.value) {
                continue;
            }
            let Some(path) = cx.expand(i, &src.value) else {
                continue;
            };
            // Wildcards match whatever is left after exclusion; only literal paths can be named.
            if path.contains(['*', '?', '[']) {
                continue;
            }
            let rel = crate::dockerfile::dockerignore::clean(path.trim_start_matches('/'));
            let rel = rel.trim_start_matches('/');
            let excluded = if rel.is_empty() || rel == "." {
                // The context root: only a pattern excluding every entry excludes it.
                root_excluded(&ignore)
            } else if ignore.has_exceptions() && cx.options.buildkit {
                // BuildKit does not judge files when `!` exceptions exist.
                false
            } else {
                ignore.is_excluded(rel)
            };
            if excluded {
                d.report(
                    src.span,
                    format!("Attempting to {} file \"{path}\" that is excluded by .dockerignore", ins.keyword.as_str()),
                )
                .with_help("remove the pattern from .dockerignore (or add a `!` exception), or stop copying the file");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::findings_with;

    fn lint(ignore: &str, src: &str) -> Vec<(u32, u32)> {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(".dockerignore"), ignore).expect("write");
        let options = LintOptions {
            context_dir: Some(dir.path().to_path_buf()),
            ..LintOptions::default()
        };
        findings_with("HO1015", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_excluded_sources() {
        let src = "FROM a:1\nCOPY keep.txt secret.env /app/\nADD build/out.bin /\n";
        assert_eq!(lint("*.env\nbuild\n", src), vec![(2, 15), (3, 5)]);
    }

    #[test]
    fn accepts_included_remote_and_stage_sources() {
        let src = "FROM a:1 AS b\nFROM a:1\nCOPY --from=b x.env /\nADD https://e.com/x.env /\nCOPY keep.env *.env /\n";
        assert!(lint("*.env\n!keep.env\n", src).is_empty());
        // The context root is excluded only by a pattern matching every entry.
        let root = "FROM a:1\nCOPY . /app\n";
        assert_eq!(lint("*\n", root), vec![(2, 6)]);
        assert!(lint(".*\n", root).is_empty());
        assert!(lint("**\n!Dockerfile\n", root).is_empty());
        // Without a build context nothing can be said.
        assert!(findings_with(
            "HO1015",
            "FROM a:1\nCOPY x.env /\n",
            &LintOptions::default()
        )
        .is_empty());
    }
}
