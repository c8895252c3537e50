//! DL3010: an archive is COPYed and then extracted by a later RUN; ADD extracts it in one step.
use super::util::{bodies, instructions_in, is_archive, unquote};
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};
use crate::shell;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3010",
        name: "copy-then-extract-archive",
        severity: Severity::Info,
        category: Category::Style,
        summary: "Use `ADD` for extracting archives into an image.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn basename(s: &str) -> &str {
    let s = unquote(s);
    s.rsplit(['/', '\\']).next().unwrap_or(s)
}

const DECOMPRESSORS: &[&str] = &[
    "unzip",
    "gunzip",
    "bunzip2",
    "unlzma",
    "unxz",
    "zgz",
    "uncompress",
    "zcat",
    "gzcat",
];

/// Whether `cmd` extracts a file named `archive` (a base name).
fn extracts(cmd: &shell::Command, archive: &str) -> bool {
    let Some(name) = cmd.words.first().map(|w| basename(&w.value)) else {
        return false;
    };
    let args = cmd.words.get(1..).unwrap_or(&[]);
    let is_tar_extract = name == "tar"
        && args.iter().enumerate().any(|(k, w)| {
            let v = w.value.as_str();
            v == "--extract"
                || v == "--get"
                || (v.starts_with('-') && !v.starts_with("--") && v.contains('x'))
                // Old-style bundled options as the first argument: `tar xzf a.tgz`.
                || (k == 0 && !v.is_empty() && v.contains('x') && v.chars().all(|c| c.is_ascii_alphabetic()))
        });
    if !is_tar_extract && !DECOMPRESSORS.contains(&name) {
        return false;
    }
    args.iter()
        .filter(|w| !w.value.starts_with('-'))
        .any(|w| basename(&w.value) == archive)
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, range) in bodies(cx) {
        let body: Vec<_> = instructions_in(cx, range).collect();
        for (pos, (_, ins)) in body.iter().enumerate() {
            let InstructionKind::Copy(args) = &ins.kind else {
                continue;
            };
            if ins.flag("from").is_some() {
                continue;
            }
            let mut names: Vec<&str> = Vec::new();
            if is_archive(&args.dest.value) {
                names.push(basename(&args.dest.value));
            } else {
                names.extend(
                    args.sources
                        .iter()
                        .filter(|s| is_archive(&s.value))
                        .map(|s| basename(&s.value)),
                );
            }
            if names.is_empty() {
                continue;
            }
            let extracted = body[pos + 1..].iter().any(|(j, _)| {
                cx.scripts.get(*j).is_some_and(|scripts| {
                    scripts.iter().any(|s| {
                        s.script
                            .commands
                            .iter()
                            .any(|c| names.iter().any(|n| extracts(c, n)))
                    })
                })
            });
            if extracted {
                d.report(
                    ins.keyword_word.span,
                    "Use `ADD` for extracting archives into an image.",
                )
                .with_help("`ADD archive.tar.gz /dest/` copies and extracts in one layer");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_copy_then_extract() {
        let src = "FROM a:1\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt\n";
        assert_eq!(positions("DL3010", src), vec![(2, 1)]);
        // ADD does not extract zip files: nothing to suggest.
        let src = "FROM a:1\nCOPY x.zip /tmp/\nRUN cd /tmp && unzip x.zip\n";
        assert!(positions("DL3010", src).is_empty());
    }

    #[test]
    fn accepts_archives_not_extracted() {
        let src = "FROM a:1\nCOPY app.tar.gz /tmp/\nRUN tar -czf other.tar.gz /opt\nFROM b:1\nRUN tar -xf app.tar.gz\n";
        assert!(positions("DL3010", src).is_empty());
        assert!(positions(
            "DL3010",
            "FROM a:1\nCOPY app.txt /tmp/\nRUN tar -xf x.tar\n"
        )
        .is_empty());
    }

    #[test]
    fn checks_instructions_before_the_first_from_as_a_stage() {
        let src =
            "COPY app.tar /opt/\nRUN tar -xf /opt/app.tar\nFROM a:1\nRUN tar -xf /opt/app.tar\n";
        assert_eq!(positions("DL3010", src), vec![(1, 1)]);
        // The first stage does not continue what came before its FROM.
        let src = "COPY app.tar /opt/\nFROM a:1\nRUN tar -xf /opt/app.tar\n";
        assert!(positions("DL3010", src).is_empty());
    }
}
