//! HO3003: COPY or ADD puts a secret file into the image — named explicitly (`id_rsa`, `.env`,
//! `.npmrc`, `*.key`, `.aws/credentials`…), or picked up by a broad `COPY . .` from a build
//! context (when `context_dir` is known) that `.dockerignore` does not exclude it from.
use std::path::Path;

use super::dockerignore::{self, walk, DockerIgnore};
use super::images::resolve;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};
use crate::secrets::files::secret_kind;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO3003",
        name: "secret-file-copied",
        severity: Severity::Warning,
        category: Category::Secrets,
        summary: "COPY or ADD puts a secret file into the image",
        aliases: &["DS-0031"],
        opt_in: false,
    },
    check,
};

/// How many file names a context finding lists.
const LIST: usize = 3;

/// A remote source (a URL or a git address), not a file of the context.
fn is_remote(s: &str) -> bool {
    crate::dockerfile::is_url(s) || crate::lint::rules::instr::util::is_git(s)
}

/// A source that copies a directory tree of the context: `.`, `./`, `*`, `/`, or a directory.
fn context_dir_for(ctx: &Path, src: &str) -> Option<std::path::PathBuf> {
    let s = src.trim_start_matches('/');
    let s = s.strip_prefix("./").unwrap_or(s);
    let s = match s {
        "" | "." | "*" | "./*" => "",
        s if s.contains(['*', '?', '[']) => return None,
        s => s.trim_end_matches('/'),
    };
    let p = if s.is_empty() {
        ctx.to_path_buf()
    } else {
        ctx.join(s)
    };
    // Stay inside the context.
    if s.split('/').any(|c| c == "..") {
        return None;
    }
    std::fs::symlink_metadata(&p)
        .ok()
        .filter(|m| m.is_dir())
        .map(|_| p)
}

fn check(cx: &Context, d: &mut Diagnostics) {
    let mut ignore: Option<DockerIgnore> = None;
    for (i, ins) in cx.instructions() {
        let (kw, args) = match &ins.kind {
            InstructionKind::Copy(a) => ("COPY", a),
            InstructionKind::Add(a) => ("ADD", a),
            _ => continue,
        };
        let from_stage = ins.flag("from").is_some();
        for src in &args.sources {
            if src.value.starts_with("<<") || is_remote(&src.value) {
                continue;
            }
            let value = resolve(cx, i, &src.value).unwrap_or_else(|| src.value.clone());
            if let Some(kind) = secret_kind(&value) {
                d.report(
                    src.span,
                    format!("{kw} puts `{value}` ({kind}) into the image"),
                )
                .with_help("files copied into a layer stay in the image even if deleted later: use `RUN --mount=type=secret,id=<name>` (or `--mount=type=ssh` for SSH keys) during the build, and mount secrets at run time");
                continue;
            }
            if from_stage {
                continue;
            }
            let Some(ctx) = cx.options.context_dir.as_deref() else {
                continue;
            };
            let Some(dir) = context_dir_for(ctx, &value) else {
                continue;
            };
            let ig = ignore.get_or_insert_with(|| dockerignore::load(ctx, cx.path));
            let (files, _cut) = walk(ctx, &dir, ig);
            let secrets: Vec<(String, &str)> = files
                .into_iter()
                .filter(|f| !ig.is_excluded(f))
                .filter_map(|f| secret_kind(&f).map(|k| (f, k)))
                // Report a secret directory once, not every file inside it.
                .fold(Vec::new(), |mut acc: Vec<(String, &str)>, (f, k)| {
                    if !acc
                        .iter()
                        .any(|(p, _)| p.ends_with('/') && f.starts_with(p.as_str()))
                    {
                        acc.push((f, k));
                    }
                    acc
                });
            if secrets.is_empty() {
                continue;
            }
            let names: Vec<&str> = secrets.iter().take(LIST).map(|(f, _)| f.as_str()).collect();
            let more = secrets.len().saturating_sub(LIST);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            d.report(
                src.span,
                format!(
                    "{kw} {} copies secret files from the build context: {}{more}",
                    src.value,
                    names.join(", ")
                ),
            )
            .with_help("add them to `.dockerignore` (e.g. `**/.env`, `**/*.key`, `.ssh`), and pass build-time secrets with `RUN --mount=type=secret,id=<name>`");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::config::LintOptions;
    use crate::lint::testing::{findings_with, positions};

    #[test]
    fn flags_named_secret_files() {
        assert_eq!(
            positions("HO3003", "FROM a:1\nCOPY id_rsa /root/.ssh/\n"),
            vec![(2, 6)]
        );
        assert_eq!(
            positions("HO3003", "FROM a:1\nADD --chown=1 .env /app/\n"),
            vec![(2, 15)]
        );
        assert_eq!(
            positions(
                "HO3003",
                "FROM a:1\nCOPY [\"a.txt\", \".npmrc\", \"/app/\"]\n"
            ),
            vec![(2, 16)]
        );
        assert_eq!(
            positions(
                "HO3003",
                "FROM a:1 AS b\nFROM a:1\nCOPY --from=b /root/.aws/credentials /x\n"
            ),
            vec![(3, 15)]
        );
    }

    #[test]
    fn ignores_ordinary_files() {
        for ok in [
            "FROM a:1\nCOPY . /app\n",
            "FROM a:1\nCOPY id_rsa.pub /k\n",
            "FROM a:1\nCOPY ca.pem /usr/local/share/ca-certificates/\n",
            "FROM a:1\nCOPY .env.example /app/\n",
            "FROM a:1\nADD https://example.com/server.key /x\n",
            "FROM a:1\nCOPY <<EOF /app/.env\nA=1\nEOF\n",
        ] {
            assert!(positions("HO3003", ok).is_empty(), "{ok}");
        }
    }

    #[test]
    fn context_walk_respects_dockerignore() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        let _ = std::fs::create_dir_all(root.join("cfg"));
        let _ = std::fs::write(root.join(".env"), "A=1");
        let _ = std::fs::write(root.join("cfg/server.key"), "k");
        let _ = std::fs::write(root.join("main.py"), "");
        let opts = LintOptions {
            context_dir: Some(root.to_path_buf()),
            ..LintOptions::default()
        };
        let f = findings_with("HO3003", "FROM a:1\nCOPY . /app\n", &opts);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.start.line, f[0].span.start.column), (2, 6));
        assert!(f[0].message.contains(".env") && f[0].message.contains("cfg/server.key"));
        let f = findings_with("HO3003", "FROM a:1\nCOPY cfg/ /app\n", &opts);
        assert_eq!(f.len(), 1);
        let _ = std::fs::write(root.join(".dockerignore"), ".env\n**/*.key\n");
        assert!(findings_with("HO3003", "FROM a:1\nCOPY . /app\n", &opts).is_empty());
        let _ = std::fs::write(root.join(".dockerignore"), "*\n!main.py\n");
        assert!(findings_with("HO3003", "FROM a:1\nCOPY . /app\n", &opts).is_empty());
    }
}
