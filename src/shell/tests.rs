//! Unit tests of the shell parser: commands, words, offsets, nesting, tolerance and speed.

use super::*;

/// Each command as its word values joined by spaces.
fn cmds(text: &str) -> Vec<String> {
    parse(text)
        .commands
        .iter()
        .map(|c| {
            c.words
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Checks that every word's offsets cover its raw text, and returns the script.
fn checked(text: &str) -> Script {
    let s = parse(text);
    for c in &s.commands {
        assert!(c.start <= c.end && c.end <= text.len(), "{c:?}");
        for w in c.words.iter().chain(&c.assignments).chain(&c.prefix) {
            let slice = text.get(w.start..w.end);
            if c.in_subshell && slice != Some(w.raw.as_str()) {
                // A nested script that is not a verbatim slice: mapped to the whole string.
                assert!(slice.is_some_and(|s| s.len() > w.raw.len()), "{w:?}");
            } else {
                assert_eq!(slice, Some(w.raw.as_str()), "{w:?}");
            }
        }
    }
    s
}

fn at<'a>(text: &'a str, w: &Word) -> &'a str {
    &text[w.start..w.end]
}

#[test]
fn apt_chain() {
    let t = "apt-get update && apt-get install -y curl=7.* && rm -rf /var/lib/apt/lists/*";
    let s = checked(t);
    assert_eq!(
        cmds(t),
        [
            "apt-get update",
            "apt-get install -y curl=7.*",
            "rm -rf /var/lib/apt/lists/*"
        ]
    );
    let c = &s.commands[1];
    assert_eq!(c.name(), Some("apt-get"));
    assert_eq!(c.start, 18);
    assert_eq!(c.end, 45);
    assert_eq!(at(t, &c.words[3]), "curl=7.*");
    assert_eq!(c.words[3].start, 37);
    assert!(c.has_flag("-y"));
    assert_eq!(c.subcommand(), Some("install"));
    assert!(!c.piped && !c.nested);
    assert_ne!(s.commands[0].pipeline, s.commands[1].pipeline);
    assert!(!s.has_pipe());
    assert_eq!(s.commands[2].args().len(), 2);
}

#[test]
fn pipes() {
    let t = "curl -fsSL https://x.sh | sh";
    let s = checked(t);
    assert_eq!(cmds(t), ["curl -fsSL https://x.sh", "sh"]);
    assert!(s.commands.iter().all(|c| c.piped));
    assert_eq!(s.commands[0].pipeline, s.commands[1].pipeline);
    assert!(s.has_pipe());
    let p = s.first_pipe().unwrap();
    assert_eq!((p.start, p.end, p.elements), (0, t.len(), 2));
    assert!(s.commands[0].has_flag("-s") && s.commands[0].has_flag("-L"));
    // `|&` and a pipe continued on the next line
    assert_eq!(cmds("a |& b |\n c"), ["a", "b", "c"]);
    assert!(parse("a |& b").has_pipe());
    // `||` is not a pipe
    assert!(!parse("a || b").has_pipe());
}

#[test]
fn set_pipefail() {
    let t = "set -o pipefail && wget -O - https://x | tar xz";
    let s = checked(t);
    assert_eq!(
        cmds(t),
        ["set -o pipefail", "wget -O - https://x", "tar xz"]
    );
    let opts = s.set_options();
    assert_eq!(opts.len(), 1);
    assert_eq!(opts[0].name, "pipefail");
    assert!(opts[0].enabled && opts[0].before_first_pipe);
    assert_eq!(at(t, &s.commands[0].words[2]), "pipefail");
    assert_eq!((opts[0].start, opts[0].end), (7, 15));
    assert!(s.option_enabled_before("pipefail", s.first_pipe().unwrap().start));
    assert_eq!(s.commands[1].flag_value("-O"), Some("-"));

    let s = parse("set -euxo pipefail; a | b");
    let names: Vec<_> = s.set_options().iter().map(|o| o.name.clone()).collect();
    assert_eq!(names, ["errexit", "nounset", "xtrace", "pipefail"]);
    let s = parse("set -eo pipefail");
    let names: Vec<_> = s.set_options().iter().map(|o| o.name.clone()).collect();
    assert_eq!(names, ["errexit", "pipefail"]);

    let s = parse("a | b; set -o pipefail; set +o pipefail");
    let o = s.set_options();
    assert!(!o[0].before_first_pipe);
    assert!(!o[1].enabled);
    assert!(!s.option_enabled_before("pipefail", 0));
    assert!(!s.option_enabled_before("pipefail", 1000));
}

#[test]
fn if_then_fi() {
    let t = "if [ -f x ]; then cd /a; elif true; then :; else echo no; fi; make";
    let s = checked(t);
    assert_eq!(
        cmds(t),
        ["[ -f x ]", "cd /a", "true", ":", "echo no", "make"]
    );
    assert!(s.commands[0].nested && s.commands[1].nested);
    assert!(!s.commands[5].nested);
    let cd = s.commands_named(&["cd"]).next().unwrap();
    assert_eq!(at(t, &cd.words[1]), "/a");
    assert_eq!(cd.start, 18);
    assert!(!cd.in_subshell);
}

#[test]
fn subshell_and_group() {
    let t = "(cd /x && make) && { echo a; echo b; } > log";
    let s = checked(t);
    assert_eq!(cmds(t), ["cd /x", "make", "echo a", "echo b"]);
    assert!(s.commands[0].in_subshell && s.commands[0].nested);
    assert_eq!(s.commands[0].start, 1);
    assert!(!s.commands[2].in_subshell && s.commands[2].nested);
    // `((` arithmetic is not a command
    assert_eq!(cmds("(( i = 1 + 2 )) && echo $((i*2))"), ["echo $((i*2))"]);
}

#[test]
fn command_substitution() {
    let t = "PY=$(which python) && \"$(dirname \"$PY\")\"/x --v `id -u`";
    let s = checked(t);
    assert_eq!(
        cmds(t),
        [
            "",
            "which python",
            "$(dirname \"$PY\")/x --v `id -u`",
            "dirname $PY",
            "id -u"
        ]
    );
    assert_eq!(s.commands[0].assignments[0].value, "PY=$(which python)");
    assert!(s.commands[0].assignments[0].dynamic);
    let which = &s.commands[1];
    assert!(which.nested && which.in_subshell && !which.in_string);
    assert_eq!(which.start, 5);
    assert_eq!(at(t, &which.words[1]), "python");
    let id = &s.commands[4];
    assert_eq!(at(t, &id.words[0]), "id");
    // escaped backticks: mapped to the whole substitution
    let t = "echo `echo \\`date\\``";
    let s = checked(t);
    assert_eq!(cmds(t), ["echo `echo \\`date\\``", "echo `date`", "date"]);
    assert_eq!((s.commands[1].start, s.commands[1].end), (5, t.len()));
    // process substitution
    assert_eq!(
        cmds("diff <(ls a) >(cat)"),
        ["diff <(ls a) >(cat)", "ls a", "cat"]
    );
}

#[test]
fn arithmetic_is_not_a_command() {
    assert_eq!(
        cmds("echo $((1 + (2 * 3))) done"),
        ["echo $((1 + (2 * 3))) done"]
    );
}

#[test]
fn sh_c() {
    let t = "sh -c \"apk add foo && rm -rf /tmp/*\"";
    let s = checked(t);
    assert_eq!(
        cmds(t),
        [
            "sh -c apk add foo && rm -rf /tmp/*",
            "apk add foo",
            "rm -rf /tmp/*"
        ]
    );
    let apk = &s.commands[1];
    assert!(apk.nested && apk.in_subshell && apk.in_string);
    assert!(!s.commands[0].in_string);
    assert_eq!(at(t, &apk.words[2]), "foo");
    assert_eq!(apk.start, 7);
    // bash with options, single quotes
    let t = "bash -eo pipefail -c 'pip install x'";
    let s = checked(t);
    assert_eq!(cmds(t)[1], "pip install x");
    assert_eq!(at(t, &s.commands[1].words[0]), "pip");
    // escapes: offsets map to the whole string
    let t = "su -c \"echo \\\"a\\\" && apt-get install y\" root";
    let s = parse(t);
    assert_eq!(cmds(t)[1..], ["echo a", "apt-get install y"]);
    let w = &s.commands[2].words[2];
    assert_eq!((w.start, w.end), (6, t.len() - 5));
    // substitution in a double-quoted script string is found once
    let t = "sh -c \"echo $(id -u)\"";
    assert_eq!(cmds(t), ["sh -c echo $(id -u)", "echo $(id -u)", "id -u"]);
    // `sh script.sh` is not inline
    assert_eq!(cmds("sh -x script.sh"), ["sh -x script.sh"]);
    // busybox, eval, sudo sh -c
    assert_eq!(cmds("busybox sh -c 'ls /'")[1], "ls /");
    assert_eq!(cmds("eval 'a; b'")[1..], ["a", "b"]);
    let s = parse("sudo -u app sh -c 'npm ci'");
    assert_eq!(s.commands[1].name(), Some("npm"));
}

#[test]
fn wrappers() {
    let t = "sudo -E apt-get install x";
    let s = checked(t);
    let c = &s.commands[0];
    assert_eq!(c.name(), Some("apt-get"));
    assert_eq!(c.prefix.len(), 2);
    assert_eq!(c.prefix[0].value, "sudo");
    assert!(c.wrapped_by(&["sudo"]));
    assert_eq!(c.words[0].start, 8);
    assert_eq!(c.start, 0);

    let one = |t: &str| {
        let c = parse(t).commands.into_iter().next().unwrap();
        (
            c.prefix
                .iter()
                .map(|w| w.value.clone())
                .collect::<Vec<_>>()
                .join(" "),
            c.words
                .iter()
                .map(|w| w.value.clone())
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    assert_eq!(one("sudo -u app -E pip install x").0, "sudo -u app -E");
    assert_eq!(one("sudo --user=app VAR=1 make").0, "sudo --user=app VAR=1");
    assert_eq!(
        one("env -i PATH=/bin A=b cmd x"),
        ("env -i PATH=/bin A=b".into(), "cmd x".into())
    );
    assert_eq!(one("nice -n 10 nohup time make -j4").1, "make -j4");
    assert_eq!(one("nice -10 make").1, "make");
    assert_eq!(one("exec gosu app su-exec root node s.js").1, "node s.js");
    assert_eq!(one("timeout -s KILL 30s curl x").1, "curl x");
    assert_eq!(one("command apt-get update").1, "apt-get update");
    assert_eq!(one("command -v apt-get").1, "command -v apt-get");
    assert_eq!(
        one("xargs -r -n1 -I {} apt-mark manual").1,
        "apt-mark manual"
    );
    assert_eq!(one("eatmydata builtin echo").1, "echo");
    assert_eq!(one("doas -u app stdbuf -oL ionice -c 3 tar x").1, "tar x");
    // a wrapper alone stays the command
    assert_eq!(one("sudo -i"), ("".into(), "sudo -i".into()));
    assert_eq!(one("env"), ("".into(), "env".into()));
    // piped xargs
    let s = parse("find . | xargs -r rm -f");
    assert_eq!(s.commands[1].name(), Some("rm"));
    assert!(s.commands[1].piped);
}

#[test]
fn flags() {
    let c = &parse("apt-get -qqy -o Dpkg::Options::=--force-confnew --no-install-recommends install a b=1 -- -c")
        .commands[0];
    assert!(c.has_flag("-y") && c.has_flag("-q") && c.has_flag("--no-install-recommends"));
    assert!(!c.has_flag("-c"), "after --");
    assert!(!c.has_flag("--yes"));
    assert!(c.has_any_flag(&["--yes", "-y"]));
    assert_eq!(c.flag_value("-o"), Some("Dpkg::Options::=--force-confnew"));
    assert_eq!(c.subcommand(), Some("install"));
    let pos: Vec<_> = c
        .positional(&["-o"])
        .iter()
        .map(|w| w.value.as_str())
        .collect();
    assert_eq!(pos, ["install", "a", "b=1", "-c"]);
    let ops: Vec<_> = c
        .operands(&["-o"])
        .iter()
        .map(|w| w.value.as_str())
        .collect();
    assert_eq!(ops, ["a", "b=1", "-c"]);
    assert_eq!(c.flag_word("-y").map(|w| w.value.as_str()), Some("-qqy"));

    let c =
        &parse("pip install --no-cache-dir=1 --index-url https://x -r req.txt -oval").commands[0];
    assert!(c.has_flag("--no-cache-dir"));
    assert_eq!(c.flag_value("--index-url"), Some("https://x"));
    assert_eq!(c.flag_value("-r"), Some("req.txt"));
    assert_eq!(c.flag_value("-o"), Some("val"));
    assert_eq!(c.flag_value("--no-cache-dir"), Some("1"));
    assert_eq!(c.flag_value("--missing"), None);
    let c = &parse("tar -xzf file.tgz -C /opt").commands[0];
    assert_eq!(c.flag_value("-f"), Some("file.tgz"));
    assert!(c.positional(&["-f", "-C"]).is_empty());
    let c = &parse("go build -ldflags=-s -o out .").commands[0];
    assert!(c.has_flag("-ldflags"));
    assert_eq!(c.flag_value("-ldflags"), Some("-s"));
    assert!(!c.has_flag("-l"));
    assert!(parse("/usr/bin/apt-get update").commands[0].is_named(&["apt-get"]));
    assert!(!parse("apt update").commands[0].is_named(&["apt-get"]));
    let s = parse("apk add a; /sbin/apk del b; echo apk");
    assert_eq!(s.commands_named(&["apk"]).count(), 2);
}

#[test]
fn assignments() {
    let t = "FOO=1 BAR='a b' cmd X=2";
    let s = checked(t);
    let c = &s.commands[0];
    assert_eq!(c.assignments.len(), 2);
    assert_eq!(c.assignments[1].value, "BAR=a b");
    assert_eq!(c.name(), Some("cmd"));
    assert_eq!(c.args()[0].value, "X=2");
    let s = parse("A=b; export A");
    assert!(s.commands[0].words.is_empty());
    assert_eq!(s.commands[0].assignments[0].value, "A=b");
    assert_eq!(s.commands[1].name(), Some("export"));
    assert_eq!(cmds("arr=(a b 'c d') x; n+=1"), ["x", ""]);
}

#[test]
fn heredoc_in_script() {
    let t = "cat <<EOF > /etc/x\napt-get install foo\n$(rm -rf /)\nEOF\necho done\ncat <<-'END'\n\tnot a command\n\tEND\nls";
    let s = checked(t);
    assert_eq!(cmds(t), ["cat", "echo done", "cat", "ls"]);
    let r = &s.commands[0].redirects;
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].op, RedirOp::Heredoc);
    assert_eq!(r[0].target.as_ref().unwrap().value, "EOF");
    assert_eq!(r[1].op, RedirOp::Out);
    assert_eq!(s.commands[1].start, t.find("echo").unwrap());
    // unterminated: the rest is body
    assert_eq!(cmds("cat <<X\na\nb"), ["cat"]);
    // no body in the text (a Dockerfile heredoc): nothing skipped
    assert_eq!(cmds("cat <<EOF > f && ls"), ["cat", "ls"]);
}

#[test]
fn redirections() {
    let t = "make 2>&1 >/dev/null &>log >|f 3<in <<<word cmd2 >> out";
    let s = checked(t);
    let c = &s.commands[0];
    assert_eq!(cmds(t), ["make cmd2"]);
    let ops: Vec<_> = c.redirects.iter().map(|r| (r.fd, r.op.as_str())).collect();
    assert_eq!(
        ops,
        [
            (Some(2), ">&"),
            (None, ">"),
            (None, "&>"),
            (None, ">|"),
            (Some(3), "<"),
            (None, "<<<"),
            (None, ">>")
        ]
    );
    assert_eq!(c.redirects[0].target.as_ref().unwrap().value, "1");
    assert_eq!((c.redirects[0].start, c.redirects[0].end), (5, 9));
    assert_eq!(c.end, t.len());
    // fd digits not followed by a redirection are a word
    assert_eq!(cmds("sleep 10"), ["sleep 10"]);
    assert_eq!(cmds("echo a>b"), ["echo a"]);
}

#[test]
fn comments_and_continuations() {
    let t = "echo a # comment && rm x\necho b#c \\\n  c\\\nd";
    let s = checked(t);
    assert_eq!(cmds(t), ["echo a", "echo b#c cd"]);
    let w = &s.commands[1].words[2];
    assert_eq!(w.raw, "c\\\nd");
    assert_eq!(w.value, "cd");
    assert_eq!(cmds("# only\n   # comments"), Vec::<String>::new());
    assert_eq!(cmds("a \\\r\n b"), ["a b"]);
}

#[test]
fn quotes() {
    let t = r#"echo 'a b' "c $d \" \x" e\ f "" $'t\tx' $"loc""#;
    let s = checked(t);
    let v: Vec<_> = s.commands[0]
        .words
        .iter()
        .map(|w| w.value.as_str())
        .collect();
    assert_eq!(v, ["echo", "a b", "c $d \" \\x", "e f", "", "t\tx", "loc"]);
    let w = &s.commands[0].words;
    assert!(w[1].quoted && !w[1].dynamic);
    assert!(w[2].quoted && w[2].dynamic);
    assert!(!w[0].quoted);
    assert_eq!(at(t, &w[2]), r#""c $d \" \x""#);
    assert_eq!(w[0].raw, w[0].value);
    // keywords only when unquoted and in command position
    assert_eq!(cmds("'if' x; echo fi then"), ["if x", "echo fi then"]);
}

#[test]
fn parameters() {
    let t = "echo ${A:-${B}} ${#x} $1 $@ $? ${x//\\}/y} $ a";
    let s = checked(t);
    let v: Vec<_> = s.commands[0]
        .words
        .iter()
        .map(|w| w.value.as_str())
        .collect();
    assert_eq!(
        v,
        [
            "echo",
            "${A:-${B}}",
            "${#x}",
            "$1",
            "$@",
            "$?",
            "${x//\\}/y}",
            "$",
            "a"
        ]
    );
    assert!(!s.commands[0].words[7].dynamic);
    assert_eq!(cmds("echo ${x:-$(id)}"), ["echo ${x:-$(id)}", "id"]);
}

#[test]
fn for_loop() {
    let t = "for i in 1 $(seq 2); do echo $i; done; for ((i=0;i<2;i++)); do x; done";
    let s = checked(t);
    assert_eq!(cmds(t), ["seq 2", "echo $i", "x"]);
    assert!(s.commands[1].nested);
    assert_eq!(cmds("for f\ndo g; done"), ["g"]);
    assert_eq!(
        cmds("while read l; do echo $l; done < f; until false; do :; done"),
        ["read l", "echo $l", "false", ":"]
    );
    assert_eq!(
        cmds("cat f | while read -r l; do x; done | sort"),
        ["cat f", "read -r l", "x", "sort"]
    );
    let s = parse("cat f | while read -r l; do x; done | sort");
    assert!(s.commands[0].piped && s.commands[3].piped && !s.commands[2].piped);
    assert_eq!(s.pipelines[s.commands[0].pipeline].elements, 3);
}

#[test]
fn case_statement() {
    let t = "case $x in a) foo ;; b|c) bar; baz;; (*) qux ;; esac; after";
    let s = checked(t);
    assert_eq!(cmds(t), ["foo", "bar", "baz", "qux", "after"]);
    assert!(s.commands[0].nested && !s.commands[4].nested);
    assert_eq!(cmds("x=$(case a in a) echo y;; esac) z"), ["z", "echo y"]);
    // no esac
    assert_eq!(cmds("case a in a) b"), ["b"]);
}

#[test]
fn functions() {
    assert_eq!(
        cmds("f() { echo a; }; f; function g { b; }"),
        ["echo a", "f", "b"]
    );
    let s = parse("f() { echo a; }");
    assert!(s.commands[0].nested);
}

#[test]
fn negation_and_background() {
    let s = parse("! grep x f & wait");
    assert_eq!(cmds("! grep x f & wait"), ["grep x f", "wait"]);
    assert!(s.pipelines[s.commands[0].pipeline].negated);
}

#[test]
fn double_bracket() {
    let t = "[[ -f x && $a < b ]] || echo no";
    assert_eq!(cmds(t), ["[[ -f x && $a < b ]]", "echo no"]);
    let s = checked(t);
    assert!(s.commands[0].redirects.is_empty());
    let t = "[[ $x =~ ^(a|b)$ ]] && y";
    assert_eq!(cmds(t), ["[[ $x =~ ^ ( a | b ) $ ]]", "y"]);
    assert!(!checked(t).has_pipe());
}

#[test]
fn tolerant() {
    assert_eq!(cmds(""), Vec::<String>::new());
    assert_eq!(cmds("   \n\n ;; ) fi done } esac"), Vec::<String>::new());
    // a lone unterminated quote swallows the rest
    let t = "echo 'abc && rm x";
    let s = checked(t);
    assert_eq!(cmds(t), ["echo abc && rm x"]);
    assert_eq!(s.commands[0].end, t.len());
    assert_eq!(cmds("echo \"abc && rm x"), ["echo abc && rm x"]);
    assert_eq!(
        cmds("echo $(unclosed && x"),
        ["echo $(unclosed && x", "unclosed", "x"]
    );
    assert_eq!(cmds("echo ${unclosed"), ["echo ${unclosed"]);
    assert_eq!(cmds("echo `unclosed"), ["echo `unclosed", "unclosed"]);
    assert_eq!(cmds("if a; then b"), ["a", "b"]);
    assert_eq!(cmds("if a; then b; done; c"), ["a", "b", "c"]);
    assert_eq!(cmds("{ a; ) b"), ["a", "b"]);
    assert_eq!(cmds("a && || b | | c &"), ["a", "b", "c"]);
    assert_eq!(cmds("echo \\"), ["echo \\"]);
    // a non-ASCII name is not an assignment
    assert_eq!(cmds("ü=1 é ñ\\ü"), ["ü=1 é ñü"]);
    // template placeholders
    let t = "%%PLACEHOLDER%% && apk add --no-cache %%PACKAGES%%";
    let s = checked(t);
    assert_eq!(
        cmds(t),
        ["%%PLACEHOLDER%%", "apk add --no-cache %%PACKAGES%%"]
    );
    assert_eq!(s.commands[1].args()[2].start, 38);
    // stray bytes of all kinds never panic
    for t in [
        "$", "`", "\\", "'", "\"", "$(", "${", "$((", "<(", "(", ")", "<<", "2>", "&>", ";;&",
        "[[", "f(", "for", "case", "a=(", "$'\\",
    ] {
        let _ = checked(t);
    }
}

#[test]
fn large_input_is_fast() {
    let t = "a".repeat(1 << 20);
    let start = std::time::Instant::now();
    let s = parse(&t);
    assert_eq!(s.commands.len(), 1);
    assert_eq!(s.commands[0].words[0].end, t.len());
    let t = "a b && ".repeat(50_000);
    assert_eq!(parse(&t).commands.len(), 50_000);
    let t =
        "'".repeat(1 << 16) + &"\"".repeat(1 << 16) + &"(".repeat(1 << 16) + &"`".repeat(1 << 16);
    let _ = parse(&t);
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
}

#[test]
fn deep_nesting_is_bounded() {
    let n = 5000;
    let mut t = String::new();
    for _ in 0..n {
        t.push_str("$(echo ");
    }
    t.push('x');
    for _ in 0..n {
        t.push(')');
    }
    let s = parse(&t);
    assert!(!s.commands.is_empty() && s.commands.len() <= parser::MAX_DEPTH + 2);
    assert_eq!(s.commands[0].end, t.len());
    for open in [
        "(",
        "{ ",
        "if a; then ",
        "${x:-",
        "\"$(",
        "`",
        "sh -c '",
        "f() { ",
        "case a in a) ",
        "while a; do ",
    ] {
        let t = open.repeat(n);
        let _ = parse(&t);
    }
    let t = format!("{}x{}", "(".repeat(n), ")".repeat(n));
    let _ = parse(&t);
}

/// A RUN body from the python image (continuations kept, as the shell sees them).
const PYTHON_RUN: &str = r#"set -eux; \
	\
	savedAptMark="$(apt-mark showmanual)"; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		dpkg-dev \
		gcc \
		wget \
	; \
	wget -O python.tar.xz "https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz"; \
	echo "$PYTHON_SHA256 *python.tar.xz" | sha256sum -c -; \
	cd /usr/src/python; \
	gnuArch="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"; \
	./configure \
		--build="$gnuArch" \
		$(test "${gnuArch%%-*}" != 'riscv64' && echo '--with-lto') \
	; \
	arch="$(dpkg --print-architecture)"; arch="${arch##*-}"; \
	case "$arch" in \
		amd64|arm64) \
			EXTRA_CFLAGS="${EXTRA_CFLAGS:-} -fno-omit-frame-pointer"; \
			;; \
		i386) \
			;; \
		*) \
			EXTRA_CFLAGS="${EXTRA_CFLAGS:-} -fno-omit-frame-pointer"; \
			;; \
	esac; \
	make -j "$nproc" \
		"LDFLAGS=${LDFLAGS:-} -Wl,-rpath='\$\$ORIGIN/../lib'" \
		python \
	; \
	find /usr/local -depth \
		\( \
			\( -type d -a \( -name test -o -name tests \) \) \
		\) -exec rm -rf '{}' + \
	; \
	find /usr/local -type f -executable -not \( -name '*tkinter*' \) -exec ldd '{}' ';' \
		| awk '/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) { next }; gsub("^/(usr/)?", "", so); printf "*%s\n", so }' \
		| sort -u \
		| xargs -rt dpkg-query --search \
		| awk 'sub(":$", "", $1) { print $1 }' \
		| sort -u \
		| xargs -r apt-mark manual \
	; \
	apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
	rm -rf /var/lib/apt/lists/*; \
	for src in idle3 pip3 pydoc3 python3 python3-config; do \
		dst="$(echo "$src" | tr -d 3)"; \
		[ -s "/usr/local/bin/$src" ]; \
		ln -svT "$src" "/usr/local/bin/$dst"; \
	done"#;

/// A RUN body from the nginx image template.
const NGINX_RUN: &str = r#"set -x \
    && groupadd --system --gid 101 nginx \
    && useradd --system --gid nginx --no-create-home --home /nonexistent --comment "nginx user" --shell /bin/false --uid 101 nginx \
    && apt-get update \
    && apt-get install --no-install-recommends --no-install-suggests -y gnupg1 ca-certificates \
    && \
    NGINX_GPGKEYS="573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62 8540A6F18833A80E9C1653A42FD21B5A2A5A6FF9"; \
    NGINX_GPGKEY_PATH=/etc/apt/keyrings/nginx-archive-keyring.gpg; \
    export GNUPGHOME="$(mktemp -d)"; \
    found=''; \
    for NGINX_GPGKEY in $NGINX_GPGKEYS; do \
    for server in \
        hkp://keyserver.ubuntu.com:80 \
        pgp.mit.edu \
    ; do \
        echo "Fetching GPG key $NGINX_GPGKEY from $server"; \
        gpg1 --batch --keyserver "$server" --keyserver-options timeout=10 --recv-keys "$NGINX_GPGKEY" && found=yes && break; \
    done; \
    test -z "$found" && echo >&2 "error: failed to fetch GPG key $NGINX_GPGKEY" && exit 1; \
    done; \
    gpg1 --batch --export $NGINX_GPGKEYS > "$NGINX_GPGKEY_PATH" ; \
    rm -rf "$GNUPGHOME"; \
    apt-get remove --purge --auto-remove -y gnupg1 && rm -rf /var/lib/apt/lists/* \
    && dpkgArch="$(dpkg --print-architecture)" \
    && nginxPackages="%%PACKAGES%%" \
    && case "$dpkgArch" in \
        amd64|arm64) \
            echo "deb [signed-by=$NGINX_GPGKEY_PATH] %%PACKAGEREPO%% %%DEBIAN_VERSION%% nginx" >> /etc/apt/sources.list.d/nginx.list \
            && apt-get update \
            ;; \
        *) \
            echo "deb-src [signed-by=$NGINX_GPGKEY_PATH] %%PACKAGEREPO%% %%DEBIAN_VERSION%% nginx" >> /etc/apt/sources.list.d/nginx.list \
            && tempDir="$(mktemp -d)" \
            && chmod 777 "$tempDir" \
            && savedAptMark="$(apt-mark showmanual)" \
            && apt-get build-dep -y %%BUILDTARGET%% \
            && ( \
                cd "$tempDir" \
                && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
                    apt-get source --compile %%BUILDTARGET%% \
            ) \
            && apt-mark showmanual | xargs apt-mark auto > /dev/null \
            && { [ -z "$savedAptMark" ] || apt-mark manual $savedAptMark; } \
            && ls -lAFh "$tempDir" \
            && ( cd "$tempDir" && dpkg-scanpackages . > Packages ) \
            && grep '^Package: ' "$tempDir/Packages" \
            && echo "deb [ trusted=yes ] file://$tempDir ./" > /etc/apt/sources.list.d/temp.list \
            && apt-get -o Acquire::GzipIndexes=false update \
            ;; \
    esac \
    && apt-get install --no-install-recommends --no-install-suggests -y $nginxPackages gettext-base curl \
    && apt-get remove --purge --auto-remove -y && rm -rf /var/lib/apt/lists/* /etc/apt/sources.list.d/nginx.list"#;

#[test]
fn corpus_python() {
    let s = checked(PYTHON_RUN);
    let names: Vec<_> = s.commands.iter().filter_map(|c| c.name()).collect();
    for n in [
        "set",
        "apt-mark",
        "apt-get",
        "wget",
        "sha256sum",
        "cd",
        "dpkg-architecture",
        "./configure",
        "test",
        "echo",
        "dpkg",
        "make",
        "find",
        "awk",
        "sort",
        "dpkg-query",
        "rm",
        "tr",
        "[",
        "ln",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let installs: Vec<_> = s
        .commands_named(&["apt-get"])
        .filter(|c| c.subcommand() == Some("install"))
        .collect();
    assert_eq!(installs.len(), 1);
    let pkgs: Vec<_> = installs[0]
        .operands(&[])
        .iter()
        .map(|w| w.value.as_str())
        .collect();
    assert_eq!(pkgs, ["dpkg-dev", "gcc", "wget"]);
    let gcc = installs[0].words.iter().find(|w| w.value == "gcc").unwrap();
    assert_eq!(at(PYTHON_RUN, gcc), "gcc");
    // the case bodies are assignments, not commands
    assert!(!names.contains(&"amd64|arm64"));
    // the find | awk | … pipeline
    let dq = s.commands_named(&["dpkg-query"]).next().unwrap();
    assert!(dq.piped && dq.wrapped_by(&["xargs"]));
    assert_eq!(s.pipelines[dq.pipeline].elements, 7);
    assert!(s
        .set_options()
        .iter()
        .any(|o| o.name == "errexit" && o.before_first_pipe));
    assert_eq!(
        s.commands_named(&["apt-mark"]).filter(|c| c.piped).count(),
        1
    );
    let purge = s
        .commands_named(&["apt-get"])
        .find(|c| c.subcommand() == Some("purge"))
        .unwrap();
    assert_eq!(
        purge.flag_value("-o"),
        Some("APT::AutoRemove::RecommendsImportant=false")
    );
}

#[test]
fn corpus_nginx() {
    let s = checked(NGINX_RUN);
    let names: Vec<_> = s.commands.iter().filter_map(|c| c.name()).collect();
    for n in [
        "set",
        "groupadd",
        "useradd",
        "apt-get",
        "mktemp",
        "gpg1",
        "test",
        "exit",
        "rm",
        "dpkg",
        "chmod",
        "apt-mark",
        "cd",
        "ls",
        "dpkg-scanpackages",
        "grep",
        "nproc",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    assert_eq!(s.commands_named(&["apt-get"]).count(), 9);
    let src = s
        .commands_named(&["apt-get"])
        .find(|c| c.subcommand() == Some("source"))
        .unwrap();
    assert!(src.in_subshell);
    assert_eq!(src.assignments.len(), 1);
    let last = s.commands.last().unwrap();
    assert_eq!(last.name(), Some("rm"));
    assert_eq!(last.end, NGINX_RUN.len());
    let upd = s
        .commands_named(&["apt-get"])
        .find(|c| c.flag_value("-o").is_some())
        .unwrap();
    assert_eq!(upd.subcommand(), Some("update"));
    let manual = s
        .commands_named(&["apt-mark"])
        .find(|c| c.subcommand() == Some("manual"))
        .unwrap();
    assert!(manual.nested && !manual.in_subshell);
}

#[test]
fn corpus_speed() {
    let start = std::time::Instant::now();
    for _ in 0..100 {
        let _ = parse(PYTHON_RUN);
        let _ = parse(NGINX_RUN);
    }
    // 100 rounds of both bodies; generous for debug builds on a busy machine.
    assert!(start.elapsed().as_millis() < 2000, "{:?}", start.elapsed());
}

#[test]
fn more_cases() {
    // trailing operators and continuations
    assert_eq!(cmds("apt-get update && \\\n"), ["apt-get update"]);
    assert_eq!(cmds("a &&\n\n b ||\n c |\n d"), ["a", "b", "c", "d"]);
    // groups and exits
    let t = "[ -z \"$x\" ] && { echo missing; exit 1; }; cd /x || exit";
    assert_eq!(
        cmds(t),
        ["[ -z $x ]", "echo missing", "exit 1", "cd /x", "exit"]
    );
    // shells reading stdin are not inline scripts
    let s = parse("curl -sSL https://x | bash -s -- --flag");
    assert_eq!(s.commands.len(), 2);
    let curl = &s.commands[0];
    let next: Vec<_> = s.piped_into(curl).filter_map(|c| c.name()).collect();
    assert_eq!(next, ["bash"]);
    assert_eq!(s.pipeline_commands(curl.pipeline).count(), 2);
    assert_eq!(
        cmds("wget -qO- https://x | sh -"),
        ["wget -qO- https://x", "sh -"]
    );
    // process substitution feeding a shell
    let t = "bash <(curl -s https://x)";
    let s = checked(t);
    assert_eq!(cmds(t), ["bash <(curl -s https://x)", "curl -s https://x"]);
    assert_eq!(s.commands[1].start, 7);
    assert!(s.commands[1].in_subshell);
    // quoted separators do not split
    assert_eq!(
        cmds("echo \"a; b && c\" 'd | e'; f"),
        ["echo a; b && c d | e", "f"]
    );
    // a continuation inside double quotes
    assert_eq!(cmds("echo \"a\\\nb\""), ["echo ab"]);
    // adjacency
    assert_eq!(cmds("echo ${x}y\"z\"'w'$1"), ["echo ${x}yzw$1"]);
    // arithmetic inside double quotes
    assert_eq!(cmds("echo \"$((1+2))\""), ["echo $((1+2))"]);
    // compound commands inside a substitution inside a compound command
    let t = "if true; then v=$(if a; then b | c; fi); fi";
    let s = checked(t);
    assert_eq!(cmds(t), ["true", "", "a", "b", "c"]);
    assert!(s.commands[3].piped && s.commands[3].in_subshell);
    assert_eq!(s.commands[4].depth, 3);
    // the name word
    let s = parse("  sudo make");
    assert_eq!(s.commands[0].name_word().map(|w| w.start), Some(7));
    // CRLF line endings
    assert_eq!(cmds("a\r\nb\r\n"), ["a", "b"]);
    // keywords as arguments, `!` in a test
    assert_eq!(
        cmds("echo if then; [ ! -e x ]"),
        ["echo if then", "[ ! -e x ]"]
    );
}

#[test]
fn random_inputs_keep_invariants() {
    const PIECES: &[&str] = &[
        " ", "\n", "\t", "a", "é", "=", "'", "\"", "\\", "\\\n", "$", "$(", "${", "$((", "`", "(",
        ")", "{", "}", ";", ";;", "&", "&&", "|", "||", "<", ">", "<<", "<<-", "2>&1", "#", "if",
        "then", "fi", "for", "in", "do", "done", "case", "esac", "while", "sh -c ", "sudo ", "EOF",
        "[[", "]]", "!", "x=", "f()", "env A=1 ",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let len = (next() % 40) as usize;
        let mut t = String::new();
        for _ in 0..len {
            t.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        let s = checked(&t);
        for c in &s.commands {
            assert!(c.pipeline < s.pipelines.len(), "{t:?}");
            for r in &c.redirects {
                assert!(r.start <= r.end && r.end <= t.len(), "{t:?}");
            }
        }
        for p in &s.pipelines {
            assert!(p.start <= p.end && p.end <= t.len(), "{t:?} {p:?}");
        }
    }
}
