//! Shared helpers for the shell-aware rules (groups `shell` and `packages`): a view of each simple
//! command of every RUN with wrapper words (`sudo`, `env X=1`, `nice`…) set aside, and the
//! flag/argument queries the rules need (combined short flags, flags taking a value, the
//! subcommand and the positional arguments after it).

use crate::dockerfile::{Instruction, Span};
use crate::lint::context::RunScript;
use crate::lint::Context;
use crate::shell::{Command, Word};

/// One simple command of a RUN, seen through its wrappers. Derefs to its [`Argv`].
pub(crate) struct Cmd<'a> {
    /// Index of the RUN instruction.
    pub instr: usize,
    pub script: &'a RunScript,
    pub cmd: &'a Command,
    pub argv: Argv<'a>,
}

impl<'a> std::ops::Deref for Cmd<'a> {
    type Target = Argv<'a>;
    fn deref(&self) -> &Argv<'a> {
        &self.argv
    }
}

/// The words of a simple command, split into wrappers and the command proper.
pub(crate) struct Argv<'a> {
    /// Wrapper words removed from the front (`sudo`, `env`, their options and assignments).
    pub wrappers: Vec<&'a Word>,
    /// The command name and its arguments, after the wrappers.
    pub words: &'a [Word],
}

impl<'a> Argv<'a> {
    #[cfg(test)]
    pub fn new(words: &'a [Word]) -> Self {
        let (wrappers, words) = strip_wrappers(words);
        Argv { wrappers, words }
    }

    /// The parser already moves wrappers to [`Command::prefix`]; any it left are stripped here.
    pub fn of_command(cmd: &'a Command) -> Self {
        let (more, words) = strip_wrappers(&cmd.words);
        let mut wrappers: Vec<&Word> = cmd.prefix.iter().collect();
        wrappers.extend(more);
        Argv { wrappers, words }
    }
}

/// Wrapper programs that run the rest of their arguments as a command, with the options of each
/// that take a separate value.
const WRAPPERS: &[(&str, &[&str])] = &[
    (
        "sudo",
        &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"],
    ),
    ("doas", &["-u", "-C"]),
    (
        "env",
        &["-u", "-C", "-S", "--unset", "--chdir", "--split-string"],
    ),
    ("nice", &["-n", "--adjustment"]),
    ("ionice", &["-c", "-n", "-p", "-t"]),
    ("nohup", &[]),
    ("time", &["-f", "-o", "--format", "--output"]),
    ("exec", &["-a"]),
    ("eatmydata", &[]),
    ("stdbuf", &["-i", "-o", "-e"]),
];

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Splits the leading wrapper words off `words`.
fn strip_wrappers(words: &[Word]) -> (Vec<&Word>, &[Word]) {
    let mut wrappers = Vec::new();
    let mut rest = words;
    while let Some(first) = rest.first() {
        let name = basename(&first.value);
        let Some((_, value_flags)) = WRAPPERS.iter().find(|(w, _)| *w == name) else {
            break;
        };
        let mut i = 1;
        while let Some(w) = rest.get(i) {
            let v = w.value.as_str();
            if v == "--" {
                i += 1;
                break;
            }
            if v.starts_with('-') && v.len() > 1 {
                i += if value_flags.contains(&v) { 2 } else { 1 };
                continue;
            }
            if name == "env" && is_assignment(v) {
                i += 1;
                continue;
            }
            break;
        }
        if i >= rest.len() {
            // A wrapper with nothing to run (`sudo -l`, bare `env`): it is the command itself.
            break;
        }
        wrappers.extend(rest[..i].iter());
        rest = &rest[i..];
    }
    (wrappers, rest)
}

/// `NAME=value` with a valid shell name.
pub(crate) fn is_assignment(s: &str) -> bool {
    match s.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// The scripts of every RUN, and of every `ONBUILD RUN` (flagged `true`), by instruction index.
pub(crate) fn runs<'a>(cx: &'a Context) -> Vec<(usize, &'a [RunScript], bool)> {
    let mut out = Vec::new();
    for (i, scripts) in cx.scripts.iter().enumerate() {
        if !scripts.is_empty() {
            out.push((i, scripts.as_slice(), false));
        }
        if let Some(on) = cx.onbuild_scripts.get(i).filter(|s| !s.is_empty()) {
            out.push((i, on.as_slice(), true));
        }
    }
    out
}

/// The RUN instruction at index `i`: the instruction itself, or the RUN of an `ONBUILD RUN`
/// (whose `--mount` flags are on the inner instruction).
pub(crate) fn run_instruction<'a>(cx: &'a Context, i: usize) -> Option<&'a Instruction> {
    let ins = cx.df.instructions.get(i)?;
    match &ins.kind {
        crate::dockerfile::InstructionKind::Onbuild(inner) => Some(inner),
        _ => Some(ins),
    }
}

/// Every simple command of every RUN script (ONBUILD triggers included), in source order.
pub(crate) fn run_commands<'a>(cx: &'a Context) -> Vec<Cmd<'a>> {
    let mut out = Vec::new();
    for (instr, scripts, _) in runs(cx) {
        out.extend(commands_of(instr, scripts));
    }
    out
}

/// The commands of the scripts of one RUN.
pub(crate) fn commands_of(instr: usize, scripts: &[RunScript]) -> Vec<Cmd<'_>> {
    let mut out = Vec::new();
    for script in scripts {
        for cmd in &script.script.commands {
            let argv = Argv::of_command(cmd);
            if argv.words.is_empty() {
                continue;
            }
            out.push(Cmd {
                instr,
                script,
                cmd,
                argv,
            });
        }
    }
    out
}

/// A flag found in a command's arguments: its name without dashes and the index of its word in
/// [`Cmd::words`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FlagRef {
    pub name: String,
    pub index: usize,
    /// The word was a long option (`--name`).
    pub long: bool,
    /// The value given inline: `--name=value`, or the rest of `-ovalue`.
    pub inline_value: Option<String>,
}

impl<'a> Argv<'a> {
    /// The command name's basename (`/usr/bin/apt-get` → `apt-get`); empty if there is none.
    pub fn name(&self) -> &'a str {
        self.words.first().map(|w| basename(&w.value)).unwrap_or("")
    }

    pub fn is_named(&self, names: &[&str]) -> bool {
        let n = self.name();
        !n.is_empty() && names.contains(&n)
    }

    pub fn name_word(&self) -> Option<&'a Word> {
        self.words.first()
    }

    /// The arguments after the name.
    pub fn args(&self) -> &'a [Word] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// Any argument equals `s` exactly.
    pub fn has_arg(&self, s: &str) -> bool {
        self.args().iter().any(|w| w.value == s)
    }

    /// The flags among the arguments, hadolint style: `--name[=v]` gives `name`, `-abc` gives
    /// `a`, `b` and `c`. Stops at `--`. `value_flags` (names without dashes) take the following
    /// word as their value, which is then not scanned.
    pub fn flags_with(&self, value_flags: &[&str]) -> Vec<FlagRef> {
        let mut out = Vec::new();
        let args = self.args();
        let mut i = 0;
        while let Some(w) = args.get(i) {
            let v = w.value.as_str();
            let index = i + 1;
            i += 1;
            if v == "--" {
                break;
            }
            if let Some(long) = v.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, val)) => (n, Some(val.to_string())),
                    None => (long, None),
                };
                if inline.is_none() && value_flags.contains(&name) {
                    i += 1;
                }
                out.push(FlagRef {
                    name: name.to_string(),
                    index,
                    long: true,
                    inline_value: inline,
                });
            } else if let Some(short) = v.strip_prefix('-').filter(|s| !s.is_empty()) {
                for (pos, c) in short.char_indices() {
                    let name = c.to_string();
                    let takes_value = value_flags.contains(&name.as_str());
                    let rest = &short[pos + c.len_utf8()..];
                    if takes_value {
                        if rest.is_empty() {
                            i += 1;
                        }
                        out.push(FlagRef {
                            name,
                            index,
                            long: false,
                            inline_value: (!rest.is_empty()).then(|| rest.to_string()),
                        });
                        break;
                    }
                    out.push(FlagRef {
                        name,
                        index,
                        long: false,
                        inline_value: None,
                    });
                }
            }
        }
        out
    }

    /// True when flag `name` (without dashes; one letter for a short flag) is present.
    pub fn has_flag(&self, name: &str) -> bool {
        self.flags_with(&[]).iter().any(|f| f.name == name)
    }

    pub fn has_any_flag(&self, names: &[&str]) -> bool {
        self.flags_with(&[])
            .iter()
            .any(|f| names.contains(&f.name.as_str()))
    }

    /// The value text of flag `names` (inline values are cut out of their word).
    pub fn flag_value_texts(&self, names: &[&str]) -> Vec<String> {
        self.flags_with(names)
            .into_iter()
            .filter(|f| names.contains(&f.name.as_str()))
            .filter_map(|f| match f.inline_value {
                Some(v) => Some(v),
                None => self.words.get(f.index + 1).map(|w| w.value.clone()),
            })
            .collect()
    }

    /// The non-flag arguments, skipping the values of `value_flags`. Everything after `--` is
    /// positional.
    pub fn positional(&self, value_flags: &[&str]) -> Vec<&'a Word> {
        let flags = self.flags_with(value_flags);
        let mut skip = std::collections::BTreeSet::new();
        for f in &flags {
            skip.insert(f.index);
            if f.inline_value.is_none() && value_flags.contains(&f.name.as_str()) {
                skip.insert(f.index + 1);
            }
        }
        self.words
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(i, w)| !skip.contains(i) && w.value != "--")
            .map(|(_, w)| w)
            .collect()
    }

    /// The first positional argument (the subcommand of `apt-get install`, `pip install`…).
    pub fn subcommand(&self, value_flags: &[&str]) -> Option<&'a str> {
        self.positional(value_flags)
            .first()
            .map(|w| w.value.as_str())
    }

    /// The positional arguments after the subcommand.
    pub fn operands(&self, value_flags: &[&str]) -> Vec<&'a Word> {
        self.positional(value_flags).into_iter().skip(1).collect()
    }
}

impl<'a> Cmd<'a> {
    /// The span of a word of this command in the Dockerfile.
    pub fn word_span(&self, cx: &Context, w: &Word) -> Span {
        cx.script_span(self.script, w.start, w.end)
    }

    /// The span of the command name (or of the whole command when it has none).
    pub fn name_span(&self, cx: &Context) -> Span {
        match self.words.first() {
            Some(w) => self.word_span(cx, w),
            None => cx.script_span(self.script, self.cmd.start, self.cmd.end),
        }
    }
}

/// True when the RUN's text has template placeholders (`{{ … }}`, as in docker-library
/// templates): what they expand to is unknown, so rules that look for a missing cleanup or a
/// missing command stay silent.
pub(crate) fn is_templated(scripts: &[RunScript]) -> bool {
    scripts
        .iter()
        .any(|s| s.text.contains("{{") && s.text.contains("}}"))
}

/// True when `cmd` was parsed out of a quoted word of another command of the same script: the
/// string of `sh -c '…'` or `su user -c "…"`.
pub(crate) fn in_string(script: &RunScript, cmd: &Command) -> bool {
    script.script.commands.iter().any(|outer| {
        outer.start <= cmd.start
            && cmd.end <= outer.end
            && !std::ptr::eq(outer, cmd)
            && outer
                .words
                .iter()
                .any(|w| w.quoted && w.start <= cmd.start && cmd.end <= w.end)
    })
}

/// True when a package word's value is not known statically (`$PKGS`, `$(cat list)`): pinning
/// checks skip such words.
pub(crate) fn is_unknown(w: &Word) -> bool {
    w.dynamic && (w.value.starts_with('$') || w.value.starts_with('`'))
}

/// True when the RUN at `instr` has a `--mount` of one of `types` whose target is `dir` or
/// below it.
pub(crate) fn has_mount(ins: &Instruction, types: &[&str], dir: &str) -> bool {
    ins.flags_named("mount").any(|f| {
        let Some(value) = &f.value else {
            return false;
        };
        let mut kind = "bind";
        let mut target = None;
        for part in value.split(',') {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            match k.trim().to_ascii_lowercase().as_str() {
                "type" => kind = v.trim(),
                "target" | "dst" | "destination" => target = Some(v.trim().trim_end_matches('/')),
                _ => {}
            }
        }
        let dir = dir.trim_end_matches('/');
        // A relative `dir` (`.cache/libdnf5`) matches under any home directory.
        let relative = !dir.starts_with('/');
        types.contains(&kind)
            && target.is_some_and(|t| {
                t == dir
                    || t.starts_with(&format!("{dir}/"))
                    || (relative
                        && (t.ends_with(&format!("/{dir}")) || t.contains(&format!("/{dir}/"))))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(v: &str) -> Word {
        Word {
            raw: v.to_string(),
            value: v.to_string(),
            start: 0,
            end: v.len(),
            quoted: false,
            dynamic: v.contains('$'),
        }
    }

    fn words(s: &str) -> Vec<Word> {
        s.split_whitespace().map(w).collect()
    }

    fn names(ws: &[&Word]) -> Vec<String> {
        ws.iter().map(|w| w.value.clone()).collect()
    }

    fn with_cmd<R>(s: &str, f: impl FnOnce(&Argv) -> R) -> R {
        let all = words(s);
        f(&Argv::new(&all))
    }

    #[test]
    fn wrappers_are_set_aside() {
        with_cmd("sudo -u root env A=1 B=2 /usr/bin/apt-get install x", |c| {
            assert_eq!(c.name(), "apt-get");
            assert_eq!(
                names(&c.wrappers),
                ["sudo", "-u", "root", "env", "A=1", "B=2"]
            );
        });
        with_cmd("sudo", |c| assert_eq!(c.name(), "sudo"));
        with_cmd("env", |c| assert_eq!(c.name(), "env"));
    }

    #[test]
    fn flags_and_positionals() {
        with_cmd(
            "apt-get -yq -o Foo=1 --target-release=x install a b=1",
            |c| {
                assert!(c.has_flag("y") && c.has_flag("q") && c.has_flag("target-release"));
                assert!(!c.has_flag("o") || c.has_any_flag(&["o"]));
                assert_eq!(c.subcommand(&["o"]), Some("install"));
                assert_eq!(names(&c.operands(&["o"])), ["a", "b=1"]);
            },
        );
        with_cmd("useradd -u 100000 -lm x", |c| {
            assert_eq!(c.flag_value_texts(&["u", "uid"]), ["100000"]);
            assert!(c.has_flag("l"));
        });
        with_cmd("useradd --uid=123 x", |c| {
            assert_eq!(c.flag_value_texts(&["u", "uid"]), ["123"]);
        });
        with_cmd("rm -- -rf x", |c| {
            assert!(!c.has_flag("r"));
            assert_eq!(names(&c.positional(&[])), ["-rf", "x"]);
        });
    }

    #[test]
    fn assignments() {
        assert!(is_assignment("A_1=x"));
        assert!(!is_assignment("1A=x"));
        assert!(!is_assignment("--x=y"));
    }
}
