//! Parser unit tests: spans, continuations, heredocs, directives, errors and recovery.

use super::parse;
use crate::dockerfile::ast::*;
use crate::dockerfile::dump;
use crate::dockerfile::span::{LineIndex, Span};

fn text<'a>(src: &'a str, span: &Span) -> &'a str {
    &src[span.range()]
}

fn lc(span: &Span) -> (u32, u32, u32, u32) {
    (
        span.start.line,
        span.start.column,
        span.end.line,
        span.end.column,
    )
}

fn shell(ins: &Instruction) -> &ShellText {
    match ins.command() {
        Some(Command::Shell(s)) => s,
        other => panic!("not a shell command: {other:?}"),
    }
}

/// Every text byte of `st` maps to a source byte holding the same character.
fn assert_mapping(src: &str, st: &ShellText) {
    for (i, c) in st.text.char_indices() {
        let o = st.source_offset(i);
        assert_eq!(
            src[o..].chars().next(),
            Some(c),
            "text offset {i} -> source {o}"
        );
    }
}

#[test]
fn keyword_flags_and_args_spans() {
    let src = "FROM alpine AS build\ncopy --from=build --chmod=0755 a b /dst/\n";
    let df = parse(src);
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let from = &df.instructions[0];
    match &from.kind {
        InstructionKind::From { image, alias } => {
            assert_eq!(image.value, "alpine");
            assert_eq!(lc(&image.span), (1, 6, 1, 12));
            assert_eq!(alias.as_ref().map(|a| a.value.as_str()), Some("build"));
        }
        k => panic!("{k:?}"),
    }
    let copy = &df.instructions[1];
    assert_eq!(copy.keyword, Keyword::Copy);
    assert_eq!(copy.keyword_word.value, "copy");
    assert_eq!(lc(&copy.keyword_word.span), (2, 1, 2, 5));
    assert_eq!(copy.flags.len(), 2);
    let f = &copy.flags[0];
    assert_eq!(
        (f.name.as_str(), f.value.as_deref()),
        ("from", Some("build"))
    );
    assert_eq!(text(src, &f.span), "--from=build");
    assert_eq!(f.value_span.map(|s| text(src, &s)), Some("build"));
    assert_eq!(lc(&f.span), (2, 6, 2, 18));
    assert_eq!(text(src, &copy.args_span), "a b /dst/");
    assert_eq!(copy.args, vec!["a", "b", "/dst/"]);
    match &copy.kind {
        InstructionKind::Copy(c) => {
            assert_eq!(c.sources.len(), 2);
            assert_eq!(text(src, &c.dest.span), "/dst/");
            assert!(!c.json);
        }
        k => panic!("{k:?}"),
    }
    assert_eq!(lc(&copy.span), (2, 1, 2, 41));
}

#[test]
fn shell_text_maps_across_continuations_and_comments() {
    let src = "FROM a\nRUN apt-get update \\\n    # a comment\n\t&& apt-get install -y \\\n\n      curl\n";
    let df = parse(src);
    let run = &df.instructions[1];
    let st = shell(run);
    assert_eq!(st.text, "apt-get update \t&& apt-get install -y       curl");
    assert_eq!(run.args, vec![st.text.clone()]);
    assert_mapping(src, st);
    let at = st.text.find("curl").unwrap();
    let idx = LineIndex::new(src);
    let pos = idx.pos(src, st.source_offset(at));
    assert_eq!((pos.line, pos.column), (6, 7));
    let amp = st.text.find("&&").unwrap();
    let pos = idx.pos(src, st.source_offset(amp));
    assert_eq!((pos.line, pos.column), (4, 2));
    assert_eq!(lc(&st.span), (2, 5, 6, 11));
    assert_eq!(lc(&run.span), (2, 1, 6, 11));
    // The comment inside the continuation is recorded; the empty line gives a warning.
    assert_eq!(df.comments.len(), 1);
    assert_eq!(df.comments[0].text, "a comment");
    assert_eq!(lc(&df.comments[0].span), (3, 5, 3, 16));
    assert_eq!(df.warnings.len(), 1);
    assert_eq!(df.warnings[0].kind, "empty-continuation");
    assert_eq!(df.warnings[0].span.start.line, 5);
}

#[test]
fn crlf_and_bom() {
    let src = "\u{feff}FROM a\r\nRUN echo \\\r\n  hi\r\nCMD [\"x\"]\r\n";
    let df = parse(src);
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert_eq!(df.instructions.len(), 3);
    let from = &df.instructions[0];
    assert_eq!(from.keyword_word.span.start.offset, 3);
    assert_eq!(text(src, &from.keyword_word.span), "FROM");
    assert_eq!(text(src, &from.span), "FROM a");
    let st = shell(&df.instructions[1]);
    assert_eq!(st.text, "echo   hi");
    assert_mapping(src, st);
    assert_eq!(text(src, &df.instructions[1].span), "RUN echo \\\r\n  hi");
    assert_eq!(df.instructions[2].args, vec!["x"]);
    assert_eq!(
        dump::buildkit(&df),
        "(from \"a\")\n(run \"echo   hi\")\n(cmd \"x\")\n"
    );
}

#[test]
fn backtick_escape() {
    let src = "# escape=`\nFROM windows\nRUN dir C:\\ `\n  /s\nCOPY a\\b `\n c:\\dst\\\n";
    let df = parse(src);
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert_eq!(df.escape, '`');
    assert_eq!(df.directives.len(), 1);
    assert_eq!(
        (
            df.directives[0].name.as_str(),
            df.directives[0].value.as_str()
        ),
        ("escape", "`")
    );
    let st = shell(&df.instructions[1]);
    assert_eq!(st.text, "dir C:\\   /s");
    assert_mapping(src, st);
    assert_eq!(df.instructions[2].args, vec!["a\\b", "c:\\dst\\"]);
    // A trailing backslash is not a continuation with the backtick escape.
    assert_eq!(df.instructions.len(), 3);
}

#[test]
fn directives_only_at_the_top() {
    let df =
        parse("# syntax=docker/dockerfile:1\n#check=skip=all\n# escape=`\n\n# escape=\\\nFROM a\n");
    let names: Vec<_> = df
        .directives
        .iter()
        .map(|d| (d.name.as_str(), d.value.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("syntax", "docker/dockerfile:1"),
            ("check", "skip=all"),
            ("escape", "`")
        ]
    );
    assert_eq!(df.escape, '`');
    // An unknown directive ends the scan.
    let df = parse("# foo=bar\n# escape=`\nFROM a\n");
    assert!(df.directives.is_empty());
    assert_eq!(df.escape, '\\');
    // Errors: duplicate, invalid token.
    let df = parse("# escape=`\n# escape=`\nFROM a\n");
    assert_eq!(
        df.errors[0].message,
        "only one escape parser directive can be used"
    );
    assert_eq!(df.errors[0].span.start.line, 2);
    let df = parse("# escape=x\nFROM a\n");
    assert_eq!(
        df.errors[0].message,
        "invalid escape token 'x' does not match ` or \\"
    );
}

#[test]
fn heredocs() {
    let src = "FROM a\nRUN <<EOF bash\necho hi\nFROM inside body\nEOF\nRUN python3 <<'PY' && cat <<-\"T\" > file\nprint(1)\nPY\n\tindented\n\tT\nCOPY <<EOF /x\nline\nEOF\nUSER me\n";
    let df = parse(src);
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let kws: Vec<_> = df.instructions.iter().map(|i| i.keyword).collect();
    assert_eq!(
        kws,
        vec![
            Keyword::From,
            Keyword::Run,
            Keyword::Run,
            Keyword::Copy,
            Keyword::User
        ]
    );
    let r1 = &df.instructions[1];
    assert_eq!(r1.args, vec!["<<EOF bash"]);
    let h = &r1.heredocs[0];
    assert_eq!((h.name.as_str(), h.expand, h.chomp), ("EOF", true, false));
    assert_eq!(h.body, "echo hi\nFROM inside body\n");
    assert_eq!(text(src, &h.marker_span), "<<EOF");
    assert_eq!(text(src, &h.body_span), "echo hi\nFROM inside body\n");
    assert_eq!(lc(&h.body_span), (3, 1, 5, 1));
    assert_eq!(h.terminator_span.map(|s| lc(&s)), Some((5, 1, 5, 4)));
    assert_eq!(lc(&r1.span), (2, 1, 5, 4));

    let r2 = &df.instructions[2];
    assert_eq!(r2.heredocs.len(), 2);
    assert_eq!(
        (r2.heredocs[0].name.as_str(), r2.heredocs[0].expand),
        ("PY", false)
    );
    assert_eq!(r2.heredocs[0].body, "print(1)\n");
    let t = &r2.heredocs[1];
    assert_eq!((t.name.as_str(), t.expand, t.chomp), ("T", false, true));
    assert_eq!(t.body, "indented\n");
    assert_eq!(lc(&r2.span), (6, 1, 10, 3));

    let c = &df.instructions[3];
    assert_eq!(c.heredocs[0].body, "line\n");
    match &c.kind {
        InstructionKind::Copy(ca) => assert_eq!(ca.sources[0].value, "<<EOF"),
        k => panic!("{k:?}"),
    }
    assert_eq!(df.instructions[4].span.start.line, 14);
}

#[test]
fn heredoc_edge_cases() {
    // Exec form: no heredoc. CRLF bodies lose the CR. Quoted marker inside quotes is not one.
    let df = parse("FROM a\nRUN [\"cat\", \"<<EOF\"]\nRUN echo '<<EOF'\nRUN cat <<E\r\nx\r\nE\r\n");
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert!(df.instructions[1].heredocs.is_empty());
    assert!(df.instructions[2].heredocs.is_empty());
    assert_eq!(df.instructions[3].heredocs[0].body, "x\n");
    // ONBUILD RUN heredoc.
    let df = parse("FROM a\nONBUILD RUN <<EOF\necho\nEOF\nUSER x\n");
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert_eq!(df.instructions[1].heredocs.len(), 1);
    match &df.instructions[1].kind {
        InstructionKind::Onbuild(inner) => assert_eq!(inner.heredocs[0].body, "echo\n"),
        k => panic!("{k:?}"),
    }
    assert_eq!(df.instructions.len(), 3);
    // Unterminated.
    let src = "FROM a\nRUN <<EOF\necho\nUSER x\n";
    let df = parse(src);
    assert_eq!(df.errors.len(), 1);
    assert_eq!(df.errors[0].message, "unterminated heredoc");
    assert_eq!(lc(&df.errors[0].span), (2, 5, 2, 10));
    assert_eq!(df.instructions[1].heredocs[0].terminator_span, None);
    assert_eq!(df.instructions[1].heredocs[0].body, "echo\nUSER x\n");
}

#[test]
fn exec_form_and_fallback() {
    let src = "FROM a\nCMD [\"a\", \"b c\"]\nENTRYPOINT ['x']\nSHELL [\"/bin/sh\", \"-c\"]\n";
    let df = parse(src);
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let cmd = &df.instructions[1];
    assert!(cmd.json);
    match cmd.command() {
        Some(Command::Exec { args, span }) => {
            assert_eq!(args[1].value, "b c");
            assert_eq!(text(src, &args[1].span), "\"b c\"");
            assert_eq!(text(src, span), "[\"a\", \"b c\"]");
        }
        c => panic!("{c:?}"),
    }
    let ep = &df.instructions[2];
    assert!(!ep.json);
    assert_eq!(shell(ep).text, "['x']");
    match &df.instructions[3].kind {
        InstructionKind::Shell(w) => assert_eq!(w.len(), 2),
        k => panic!("{k:?}"),
    }
}

#[test]
fn env_label_arg_and_healthcheck() {
    let src = "FROM a\nENV A=1 B=\"x y\"\nENV C legacy value\nLABEL k=v\nARG X Y=2\nHEALTHCHECK --interval=5s CMD curl -f x\nHEALTHCHECK NONE\nSTOPSIGNAL SIGTERM\nONBUILD COPY --from=a b c\n";
    let df = parse(src);
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    match &df.instructions[1].kind {
        InstructionKind::Env(kv) => {
            assert_eq!(kv[1].key.value, "B");
            assert_eq!(kv[1].value.value, "\"x y\"");
            assert_eq!(text(src, &kv[1].value.span), "\"x y\"");
            assert_eq!(text(src, &kv[1].key.span), "B");
        }
        k => panic!("{k:?}"),
    }
    match &df.instructions[2].kind {
        InstructionKind::Env(kv) => {
            assert!(kv[0].legacy);
            assert_eq!(kv[0].value.value, "legacy value");
        }
        k => panic!("{k:?}"),
    }
    match &df.instructions[4].kind {
        InstructionKind::Arg(a) => {
            assert_eq!(a[0].name.value, "X");
            assert!(a[0].default.is_none());
            assert_eq!(a[1].default.as_ref().map(|d| d.value.as_str()), Some("2"));
        }
        k => panic!("{k:?}"),
    }
    match &df.instructions[5].kind {
        InstructionKind::Healthcheck(Healthcheck::Cmd(Command::Shell(s))) => {
            assert_eq!(s.text, "curl -f x")
        }
        k => panic!("{k:?}"),
    }
    assert!(matches!(
        df.instructions[6].kind,
        InstructionKind::Healthcheck(Healthcheck::None)
    ));
    assert_eq!(
        dump::buildkit(&df),
        concat!(
            "(from \"a\")\n",
            "(env \"A\" \"1\" \"=\" \"B\" \"\\\"x y\\\"\" \"=\")\n",
            "(env \"C\" \"legacy value\" \"\")\n",
            "(label \"k\" \"v\" \"=\")\n",
            "(arg \"X\" \"Y=2\")\n",
            "(healthcheck [\"--interval=5s\"] \"CMD\" \"curl -f x\")\n",
            "(healthcheck \"NONE\")\n",
            "(stopsignal \"SIGTERM\")\n",
            "(onbuild (copy [\"--from=a\"] \"b\" \"c\"))\n",
        )
    );
}

#[test]
fn errors_are_all_reported_and_parsing_continues() {
    let src = "FROM a AS\nFOO bar\nCOPY x\nENV PATH\nRUN []\nONBUILD ONBUILD RUN x\nONBUILD FROM y\nFROM a b\nCMD [\"a\", 1]\nUSER me\n";
    let df = parse(src);
    let got: Vec<_> = df
        .errors
        .iter()
        .map(|e| (e.span.start.line, e.span.start.column, e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 6, "FROM requires either one or three arguments"),
            (2, 1, "unknown instruction: FOO (did you mean FROM?)"),
            (3, 6, "COPY requires at least two arguments, but only one was provided. Destination could not be determined"),
            (4, 5, "ENV must have two arguments"),
            (5, 5, "RUN requires at least one argument"),
            (6, 9, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
            (7, 9, "FROM isn't allowed as an ONBUILD trigger"),
            (8, 6, "FROM requires either one or three arguments"),
            (9, 5, "when using JSON array syntax, arrays must be comprised of strings only"),
        ]
    );
    assert_eq!(df.instructions.len(), 10);
    assert_eq!(df.instructions[1].keyword, Keyword::Unknown);
    assert_eq!(df.instructions[9].keyword, Keyword::User);
    assert!(dump::buildkit(&df).contains("(foo \"\")\n"));
}

#[test]
fn empty_and_comment_only_files() {
    for src in ["", "\n\n", "# just a comment\n", "\u{feff}", "\\\n"] {
        let df = parse(src);
        assert_eq!(df.errors.len(), 1, "{src:?}");
        assert_eq!(df.errors[0].message, "file with no instructions");
    }
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "\0\0\0FROM\0a",
        "RUN [\"\\ud800\"]\nCMD [\"\u{0}\"]",
        "FROM a\nRUN <<",
        "FROM a\nRUN <<\"EOF\nx\n",
        "FROM a\nCOPY --x=\"unterminated a b",
        "FROM a\nRUN \\",
        "FROM é\u{85}x\nRUN ünï \\\n\u{a0}cödé\n",
        "`\n\\\n#\n",
        "ONBUILD",
        "HEALTHCHECK CMD [",
        "FROM a\nENV =x\nARG =y\nLABEL \"\"",
    ];
    for src in inputs {
        let df = parse(src);
        let _ = dump::buildkit(&df);
        let _ = dump::json(&df);
        for i in &df.instructions {
            assert!(i.span.end.offset as usize <= src.len());
            if let Some(Command::Shell(st)) = i.command() {
                assert_mapping(src, st);
            }
        }
    }
}

#[test]
fn unknown_instruction_suggestions() {
    let df = parse("FRON a\nfrom b\nrun x\nRUNN y\nCopi a b\nXYZZY q\n");
    let msgs: Vec<_> = df.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        msgs,
        vec![
            "unknown instruction: FRON (did you mean FROM?)",
            "unknown instruction: RUNN (did you mean RUN?)",
            "unknown instruction: Copi (did you mean copy?)",
            "unknown instruction: XYZZY",
        ]
    );
}

#[test]
fn line_length_limit() {
    let ok = format!("FROM a\nRUN {}\n", "x".repeat(65536 - 5));
    assert!(parse(&ok).errors.is_empty());
    let long = format!("FROM a\nRUN {}\n", "x".repeat(65536 - 4));
    assert_eq!(parse(&long).errors.len(), 1);
}

#[test]
fn columns_count_characters() {
    let src = "FROM a\nRUN échο \\\n  ünï\n";
    let df = parse(src);
    let st = shell(&df.instructions[1]);
    assert_mapping(src, st);
    let idx = LineIndex::new(src);
    let o = st.source_offset(st.text.find('ü').unwrap());
    let p = idx.pos(src, o);
    assert_eq!((p.line, p.column), (3, 3));
    // Spans agree with LineIndex everywhere.
    let w = &df.instructions[1].keyword_word;
    assert_eq!(w.span.end, idx.pos(src, w.span.end.offset as usize));
    assert_eq!(st.span.end, idx.pos(src, st.span.end.offset as usize));
}

#[test]
fn large_input_is_linear() {
    let mut src = String::from("FROM a\nRUN ");
    for _ in 0..100_000 {
        src.push_str("échο && ");
    }
    src.push_str("true\n");
    for _ in 0..20_000 {
        src.push_str("RUN a \\\n  b\n");
    }
    src.push_str(&format!("CMD [{}\"x\"]\n", "\"y\", ".repeat(50_000)));
    src.push_str(&format!("ENV {}\n", "k=v ".repeat(50_000)));
    let t = std::time::Instant::now();
    let df = parse(&src);
    // BuildKit refuses lines over 64 KiB; everything is still parsed.
    let msgs: Vec<_> = df
        .errors
        .iter()
        .map(|e| (e.span.start.line, e.message.as_str()))
        .collect();
    assert_eq!(
        msgs,
        vec![(2, "dockerfile line greater than max allowed size of 65535")]
    );
    assert_eq!(df.instructions.len(), 20_004);
    // Generous bound (debug build, shared CI machine); quadratic behaviour would take minutes.
    assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
}

/// Checks span invariants of one parsed document.
fn check_invariants(src: &str, df: &Dockerfile) {
    let ok = |s: &Span| {
        let (a, b) = (s.start.offset as usize, s.end.offset as usize);
        assert!(
            a <= b && b <= src.len(),
            "span {s:?} out of bounds in {src:?}"
        );
        assert!(
            src.is_char_boundary(a) && src.is_char_boundary(b),
            "{s:?} in {src:?}"
        );
        let idx = LineIndex::new(src);
        assert_eq!(s.start, idx.pos(src, a), "{src:?}");
        assert_eq!(s.end, idx.pos(src, b), "{src:?}");
    };
    fn all(ins: &Instruction, f: &dyn Fn(&Span), src: &str) {
        f(&ins.span);
        f(&ins.keyword_word.span);
        f(&ins.args_span);
        for fl in &ins.flags {
            f(&fl.span);
            if let Some(v) = &fl.value_span {
                f(v);
            }
        }
        for h in &ins.heredocs {
            f(&h.marker_span);
            f(&h.body_span);
        }
        if let Some(Command::Shell(st)) = ins.command() {
            f(&st.span);
            assert_mapping(src, st);
        }
        if let InstructionKind::Onbuild(inner) = &ins.kind {
            all(inner, f, src);
        }
    }
    for ins in &df.instructions {
        all(ins, &ok, src);
    }
    for e in &df.errors {
        ok(&e.span);
    }
    for c in &df.comments {
        ok(&c.span);
    }
}

#[test]
fn random_documents_keep_span_invariants() {
    const PIECES: &[&str] = &[
        "FROM",
        "RUN",
        "run",
        "COPY",
        "ADD",
        "ENV",
        "LABEL",
        "ARG",
        "ONBUILD",
        "HEALTHCHECK",
        "CMD",
        "SHELL",
        "EXPOSE",
        "USER",
        "VOLUME",
        "FOO",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\\",
        "`",
        "\\\n",
        "`\n",
        "#",
        "# escape=`\n",
        "<<EOF",
        "<<-EOF",
        "<<'X'",
        "EOF",
        "\tEOF",
        "X",
        "[",
        "]",
        "\"",
        "'",
        ",",
        "=",
        "a",
        "b=c",
        "--mount=type=cache",
        "--",
        "-",
        "é",
        "ü",
        "\u{a0}",
        "\u{feff}",
        "\0",
        "{",
        "}",
        "$",
        "${a b}",
        "1",
        "NONE",
        "AS",
        "\"x\"",
        "[\"a\"]",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5000 {
        let n = (next() % 40) as usize;
        let mut src = String::new();
        for _ in 0..n {
            src.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        let df = parse(&src);
        check_invariants(&src, &df);
        let _ = dump::buildkit(&df);
    }
}

#[test]
fn heredoc_cases_from_buildkit() {
    // The cases of BuildKit's heredoc parser test, with our body convention (tabs stripped for
    // `<<-`).
    let src = "FROM alpine:3.6\nUSER <<INVALID\nINVALID\nRUN <<EMPTY\nEMPTY\nRUN 3<<EMPTY2\nEMPTY2\nRUN \"<<NOHEREDOC\"\nRUN <<INDENT\n\tfoo\n\tbar\nINDENT\nRUN <<-UNINDENT\n\tbaz\n\tquux\nUNINDENT\nRUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\nRUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\nRUN <<COMMENT\n# internal comment\necho hello world # trailing\nCOMMENT\nRUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\nCOPY <<X <<Y /dest\nY\nX\nX\nY\nRUN <<COMPLEX python3\nprint('hello world')\nCOMPLEX\nRUN <<eo'f'\necho foo\neof\nRUN <<eo\\'f\necho foo\neo'f\nRUN <<'e'o\\'f\necho foo\neo'f\nRUN <<'one two'\necho bar\none two\nRUN <<$EOF\n$EOF\nRUN <<  EOF\nEOF\nRUN <<  EOF  > foo\nEOF\n";
    let df = parse(src);
    let got: Vec<Vec<(String, String, bool, bool)>> = df
        .instructions
        .iter()
        .map(|i| {
            i.heredocs
                .iter()
                .map(|h| (h.name.clone(), h.body.clone(), h.expand, h.chomp))
                .collect()
        })
        .collect();
    let h = |n: &str, b: &str, e: bool, c: bool| (n.to_string(), b.to_string(), e, c);
    let expected = vec![
        vec![],
        vec![],
        vec![],
        vec![h("EMPTY", "", true, false)],
        vec![h("EMPTY2", "", true, false)],
        vec![],
        vec![h("INDENT", "\tfoo\n\tbar\n", true, false)],
        vec![h("UNINDENT", "baz\nquux\n", true, true)],
        vec![h("UNINDENT2", "baz\nquux\n", true, true)],
        vec![h("NOEXPAND", "don't expand $NAME\n", false, true)],
        vec![h(
            "COMMENT",
            "# internal comment\necho hello world # trailing\n",
            true,
            false,
        )],
        vec![h("MOUNT", "echo hello\n", true, false)],
        vec![h("X", "Y\n", true, false), h("Y", "X\n", true, false)],
        vec![h("COMPLEX", "print('hello world')\n", true, false)],
        vec![h("eof", "echo foo\n", false, false)],
        vec![h("eo'f", "echo foo\n", true, false)],
        vec![h("eo'f", "echo foo\n", false, false)],
        vec![h("one two", "echo bar\n", false, false)],
        vec![h("$EOF", "", true, false)],
        vec![h("EOF", "", true, false)],
        vec![h("EOF", "", true, false)],
    ];
    assert_eq!(got, expected);
    // Only the unknown `INVALID` line is an error (USER takes no heredoc).
    assert_eq!(df.errors.len(), 1, "{:?}", df.errors);
    assert_eq!(df.errors[0].message, "unknown instruction: INVALID");
}
