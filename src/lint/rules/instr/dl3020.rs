//! DL3020: ADD used for plain files and directories, where COPY is clearer and safer.
use super::util::{is_archive, is_git, keyword_like, unquote};
use crate::dockerfile::is_http_url;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Edit, Fix, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3020",
        name: "add-instead-of-copy",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "Use COPY instead of ADD for files and folders",
        aliases: &["DS-0005"],
        opt_in: false,
    },
    check,
};

/// Flags only ADD understands; with one of them the instruction cannot become a COPY.
const ADD_ONLY_FLAGS: &[&str] = &["checksum", "keep-git-dir", "unpack"];

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, ins) in cx.instructions() {
        let InstructionKind::Add(args) = &ins.kind else {
            continue;
        };
        let mut has_var = false;
        let mut plain = 0usize;
        for src in &args.sources {
            let raw = unquote(&src.value);
            let value = if raw.contains('$') {
                has_var = true;
                match cx.expand(i, raw) {
                    Some(v) if !v.contains('$') && !v.is_empty() => v,
                    // Unknown at lint time: it may well be a URL or an archive.
                    _ => continue,
                }
            } else {
                raw.to_string()
            };
            if !(is_http_url(&value) || is_git(&value) || is_archive(&value)) {
                plain += 1;
            }
        }
        if plain == 0 {
            continue;
        }
        let all_plain = plain == args.sources.len();
        let f = d.report(
            ins.keyword_word.span,
            "Use COPY instead of ADD for files and folders",
        );
        if !all_plain {
            f.with_help("split it: ADD for the URL or archive, COPY for the plain files");
            continue;
        }
        f.with_help(
            "ADD also fetches URLs and unpacks archives; COPY only copies, which is what this does",
        );
        let add_only = ins
            .flags
            .iter()
            .any(|fl| ADD_ONLY_FLAGS.contains(&fl.name.as_str()));
        if !add_only && !has_var {
            let r = ins.keyword_word.span.range();
            f.with_fix(Fix {
                description: "replace ADD with COPY".into(),
                edits: vec![Edit {
                    start: r.start,
                    end: r.end,
                    replacement: keyword_like(&ins.keyword_word.value, "COPY"),
                }],
                safe: true,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_add_of_plain_files() {
        let src = "FROM a:1\nADD foo.txt /x/\nADD a b /dir/\n";
        assert_eq!(positions("DL3020", src), vec![(2, 1), (3, 1)]);
    }

    #[test]
    fn offers_safe_fix_for_local_files() {
        let f = findings_of("DL3020", "FROM a:1\nadd foo.txt /x/\n");
        let fix = f[0].fix.as_ref().expect("fix");
        assert!(fix.safe);
        assert_eq!(fix.edits[0].replacement, "copy");
        assert_eq!((fix.edits[0].start, fix.edits[0].end), (9, 12));
        let f = findings_of("DL3020", "FROM a:1\nADD --checksum=sha256:00 foo /x/\n");
        assert!(f[0].fix.is_none());
    }

    #[test]
    fn leaves_urls_archives_git_and_variables() {
        let src = "FROM a:1\nADD https://example.com/a /y/\nADD foo.tar.gz /x/\n\
                   ADD git@github.com:a/b.git /src\nADD https://github.com/a/b.git#v1 /src\nADD $URL /z/\n";
        assert!(positions("DL3020", src).is_empty());
    }

    #[test]
    fn flags_mixed_sources_without_fix() {
        let f = findings_of("DL3020", "FROM a:1\nADD a.tar.gz b.txt /mixed/\n");
        assert_eq!(f.len(), 1);
        assert!(f[0].fix.is_none());
        assert!(positions("DL3020", "FROM a:1\nADD $URL https://x/y /z/\n").is_empty());
    }
}
