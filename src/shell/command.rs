//! Queries on parsed commands for the shell-aware rules: wrapper stripping (`sudo`, `env`,
//! `nice`, `xargs`, …), flags written as on the command line (combined short flags, `--opt=value`),
//! positional arguments, the script string of `sh -c`, and `set` options of a script.

use super::{Command, Pipeline, Script, Word};

/// The last path component of a command name (`/usr/bin/apt-get` ⇒ `apt-get`).
pub(super) fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

fn is_assignment_value(v: &str) -> bool {
    let Some((name, _)) = v.split_once('=') else {
        return false;
    };
    let b = name.as_bytes();
    b.first()
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// How a wrapper program's own words are laid out.
struct Wrapper {
    names: &'static [&'static str],
    /// Short option letters that take a value (attached, or the next word).
    short_val: &'static str,
    /// Long options that take the next word as value when written without `=`.
    long_val: &'static [&'static str],
    /// `NAME=value` words after the options belong to the wrapper.
    assigns: bool,
    /// A lone `-` is an option (`env -`).
    dash: bool,
    /// Operands after the options that belong to the wrapper (`timeout 10`, `gosu user`).
    operands: usize,
}

const WRAPPERS: &[Wrapper] = &[
    Wrapper {
        names: &["sudo"],
        short_val: "ugCDpRrtTU",
        long_val: &[
            "--user",
            "--group",
            "--close-from",
            "--chdir",
            "--prompt",
            "--chroot",
            "--role",
            "--type",
            "--command-timeout",
            "--other-user",
            "--host",
        ],
        assigns: true,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["env"],
        short_val: "uCS",
        long_val: &["--unset", "--chdir", "--split-string"],
        assigns: true,
        dash: true,
        operands: 0,
    },
    Wrapper {
        names: &["doas"],
        short_val: "uC",
        long_val: &[],
        assigns: false,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["ionice"],
        short_val: "cnp",
        long_val: &["--class", "--classdata", "--pid", "--pgid", "--uid"],
        assigns: false,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["stdbuf"],
        short_val: "ioe",
        long_val: &["--input", "--output", "--error"],
        assigns: false,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["nice"],
        short_val: "n",
        long_val: &["--adjustment"],
        assigns: false,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["nohup", "builtin", "eatmydata"],
        short_val: "",
        long_val: &[],
        assigns: false,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["time"],
        short_val: "fo",
        long_val: &["--format", "--output"],
        assigns: false,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["exec"],
        short_val: "a",
        long_val: &[],
        assigns: false,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["command"],
        short_val: "",
        long_val: &[],
        assigns: false,
        dash: false,
        operands: 0,
    },
    Wrapper {
        names: &["timeout"],
        short_val: "sk",
        long_val: &["--signal", "--kill-after"],
        assigns: false,
        dash: false,
        operands: 1,
    },
    Wrapper {
        names: &["gosu", "su-exec"],
        short_val: "",
        long_val: &[],
        assigns: false,
        dash: false,
        operands: 1,
    },
    Wrapper {
        names: &["xargs"],
        short_val: "adEILnPs",
        long_val: &[
            "--arg-file",
            "--delimiter",
            "--max-args",
            "--max-procs",
            "--max-chars",
            "--process-slot-var",
        ],
        assigns: false,
        dash: false,
        operands: 0,
    },
];

/// Number of words (name included) of the wrapper at the front of `words`, if the first word is a
/// wrapper and a command follows it.
fn wrapper_len(words: &[Word]) -> Option<usize> {
    let first = words.first()?;
    let name = basename(&first.value);
    let spec = WRAPPERS.iter().find(|w| w.names.contains(&name))?;
    if name == "command"
        && words
            .iter()
            .skip(1)
            .any(|w| w.value == "-v" || w.value == "-V")
    {
        // `command -v x` looks a command up; it does not run it.
        return None;
    }
    let mut i = 1;
    while let Some(w) = words.get(i) {
        let v = w.value.as_str();
        if v == "--" {
            i += 1;
            break;
        }
        if v == "-" && spec.dash {
            i += 1;
            continue;
        }
        if v.starts_with("--") {
            i += 1;
            if !v.contains('=') && spec.long_val.contains(&v) {
                i += 1;
            }
            continue;
        }
        if let Some(body) = v.strip_prefix('-').filter(|b| !b.is_empty()) {
            i += 1;
            for (k, ch) in body.char_indices() {
                if spec.short_val.contains(ch) {
                    if k + ch.len_utf8() == body.len() {
                        i += 1;
                    }
                    break;
                }
            }
            continue;
        }
        if spec.assigns && is_assignment_value(v) {
            i += 1;
            continue;
        }
        break;
    }
    i += spec.operands;
    (i < words.len()).then_some(i)
}

/// Moves wrapper words (`sudo -E`, `env X=1`, `nice -n 5`, …) from `words` to `prefix`.
pub(super) fn strip_wrappers(cmd: &mut Command) {
    let mut total = 0;
    while let Some(n) = cmd.words.get(total..).and_then(wrapper_len) {
        total += n;
    }
    if total > 0 {
        let rest = cmd.words.split_off(total);
        cmd.prefix = std::mem::replace(&mut cmd.words, rest);
    }
}

const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "yash", "posh",
];

/// The script word of `sh -c '…'` and similar.
fn shell_c(args: &[Word]) -> Option<&Word> {
    let mut saw_c = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let v = w.value.as_str();
        if v == "--" || v == "-" {
            i += 1;
            break;
        }
        if v.len() > 1 && (v.starts_with('-') || v.starts_with('+')) {
            if v.starts_with("--") {
                i += if matches!(v, "--rcfile" | "--init-file") {
                    2
                } else {
                    1
                };
                continue;
            }
            let mut skip = 0;
            for ch in v.get(1..).unwrap_or("").chars() {
                match ch {
                    'c' => saw_c = true,
                    'o' | 'O' => skip += 1,
                    _ => {}
                }
            }
            i += 1 + skip;
            continue;
        }
        break;
    }
    if saw_c {
        args.get(i)
    } else {
        None
    }
}

/// The word holding a script the command runs in a new shell: `sh -c '…'`, `bash -ec "…"`,
/// `busybox sh -c …`, `su -c '…' user`, `eval '…'`.
pub(super) fn inline_script(cmd: &Command) -> Option<&Word> {
    let name = basename(cmd.name()?);
    let args = cmd.args();
    if SHELLS.contains(&name) {
        return shell_c(args);
    }
    match name {
        "busybox" => {
            let sub = args.first()?;
            if SHELLS.contains(&basename(&sub.value)) {
                shell_c(args.get(1..)?)
            } else {
                None
            }
        }
        "su" | "runuser" => {
            let i = args
                .iter()
                .position(|w| w.value == "-c" || w.value == "--command")?;
            args.get(i + 1)
        }
        "eval" if args.len() == 1 => args.first(),
        _ => None,
    }
}

/// `-x` (one letter after one dash).
fn is_short(flag: &str) -> bool {
    let b = flag.as_bytes();
    b.len() == 2 && b.first() == Some(&b'-') && b.get(1) != Some(&b'-')
}

/// `-abc`: a cluster of short flags (letters and digits only).
fn cluster(v: &str) -> Option<&str> {
    let body = v.strip_prefix('-')?;
    (!body.is_empty() && !body.starts_with('-') && body.bytes().all(|c| c.is_ascii_alphanumeric()))
        .then_some(body)
}

/// Value-taking options common to package managers' global options (used by
/// [`Command::subcommand`]).
const COMMON_VALUE_FLAGS: &[&str] = &[
    "-o",
    "-c",
    "-t",
    "-C",
    "-R",
    "-X",
    "--option",
    "--config-file",
    "--config",
    "--target-release",
    "--default-release",
    "--installroot",
    "--releasever",
    "--root",
    "--repository",
    "--prefix",
    "--cache-dir",
];

impl Command {
    /// The command name (value of `words[0]`), after wrappers.
    pub fn name(&self) -> Option<&str> {
        self.words.first().map(|w| w.value.as_str())
    }

    /// The word naming the command, for positions.
    pub fn name_word(&self) -> Option<&Word> {
        self.words.first()
    }

    /// The last path component of the name (`/usr/bin/apt-get` ⇒ `apt-get`).
    pub fn basename(&self) -> Option<&str> {
        self.name().map(basename)
    }

    /// The arguments after the name.
    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// The name's basename is one of `names`.
    pub fn is_named(&self, names: &[&str]) -> bool {
        self.basename().is_some_and(|n| names.contains(&n))
    }

    /// A wrapper whose basename is one of `names` was stripped from the front (`sudo`).
    pub fn wrapped_by(&self, names: &[&str]) -> bool {
        self.prefix
            .iter()
            .any(|w| names.contains(&basename(&w.value)))
    }

    /// Arguments before a `--` that ends options.
    fn option_args(&self) -> &[Word] {
        let args = self.args();
        let end = args
            .iter()
            .position(|w| w.value == "--")
            .unwrap_or(args.len());
        args.get(..end).unwrap_or(&[])
    }

    /// The flag is present, written as on the command line: `"-y"` also matches combined short
    /// flags (`-qy`, `-yq`) and an attached value (`-yes`); `"--yes"` matches `--yes` and
    /// `--yes=…`. Only arguments before `--` count.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.option_args()
            .iter()
            .any(|w| flag_matches(&w.value, flag))
    }

    /// Any of the flags is present (see [`Command::has_flag`]).
    pub fn has_any_flag(&self, flags: &[&str]) -> bool {
        self.option_args()
            .iter()
            .any(|w| flags.iter().any(|f| flag_matches(&w.value, f)))
    }

    /// The word holding the flag (the first occurrence), for positions.
    pub fn flag_word(&self, flag: &str) -> Option<&Word> {
        self.option_args()
            .iter()
            .find(|w| flag_matches(&w.value, flag))
    }

    /// The value of a value-taking flag: `-o val`, `-oval`, `-qo val`, `--opt=val`, `--opt val`.
    pub fn flag_value(&self, flag: &str) -> Option<&str> {
        self.flag_value_word(flag)
            .map(|(w, off)| w.value.get(off..).unwrap_or(""))
    }

    /// The word holding the value of `flag` and the byte offset of the value in its `value`.
    pub fn flag_value_word(&self, flag: &str) -> Option<(&Word, usize)> {
        let args = self.option_args();
        let all = self.args();
        for (i, w) in args.iter().enumerate() {
            let v = w.value.as_str();
            if v == flag {
                return all.get(i + 1).map(|n| (n, 0));
            }
            if is_short(flag) {
                let ch = flag.get(1..).unwrap_or("");
                if let Some(body) = cluster(v) {
                    if body.len() > 1 && body.ends_with(ch) && !body.starts_with(ch) {
                        return all.get(i + 1).map(|n| (n, 0));
                    }
                }
                if v.starts_with(flag) && v.len() > flag.len() && !is_single_dash_long(v) {
                    return Some((w, flag.len()));
                }
            } else if v.starts_with(flag) && v.as_bytes().get(flag.len()) == Some(&b'=') {
                return Some((w, flag.len() + 1));
            }
        }
        None
    }

    /// Arguments that are not flags, skipping the separate values of `flags_with_values`
    /// (written as on the command line); `--` ends flags, a lone `-` is positional.
    pub fn positional(&self, flags_with_values: &[&str]) -> Vec<&Word> {
        let mut out = Vec::new();
        let args = self.args();
        let mut i = 0;
        let mut options = true;
        while let Some(w) = args.get(i) {
            i += 1;
            let v = w.value.as_str();
            if !options {
                out.push(w);
                continue;
            }
            if v == "--" {
                options = false;
                continue;
            }
            if v.len() > 1 && v.starts_with('-') {
                if flags_with_values.contains(&v) {
                    i += 1;
                } else if let Some(body) = cluster(v) {
                    // `-xf file` where `-f` takes a value.
                    let last = body.get(body.len().saturating_sub(1)..).unwrap_or("");
                    if body.len() > 1
                        && flags_with_values
                            .iter()
                            .any(|f| is_short(f) && f.get(1..) == Some(last))
                    {
                        i += 1;
                    }
                }
                continue;
            }
            out.push(w);
        }
        out
    }

    /// The first positional argument (`install` in `apt-get -y install x`), skipping the values
    /// of common package-manager global options (`-o`, `-c`, `--root`, …).
    pub fn subcommand(&self) -> Option<&str> {
        self.subcommand_with(COMMON_VALUE_FLAGS)
    }

    /// The first positional argument, skipping the values of `flags_with_values`.
    pub fn subcommand_with(&self, flags_with_values: &[&str]) -> Option<&str> {
        self.positional(flags_with_values)
            .first()
            .map(|w| w.value.as_str())
    }

    /// The positional arguments after the subcommand (`x y` in `apt-get install -y x y`).
    pub fn operands(&self, flags_with_values: &[&str]) -> Vec<&Word> {
        self.positional(flags_with_values)
            .into_iter()
            .skip(1)
            .collect()
    }
}

/// `-name=value` with a lowercase name of three letters or more (Go-style options).
fn is_single_dash_long(v: &str) -> bool {
    let name = v.split('=').next().unwrap_or(v);
    let name = name.strip_prefix('-').unwrap_or("");
    v.contains('=') && name.len() >= 3 && name.bytes().all(|c| c.is_ascii_lowercase())
}

fn flag_matches(v: &str, flag: &str) -> bool {
    if v == flag {
        return true;
    }
    if is_short(flag) {
        let ch = flag.get(1..).unwrap_or("");
        if let Some(body) = cluster(v) {
            return body.contains(ch);
        }
        // An attached value: `-oAPT::Foo=1` has `-o`; `-ldflags=…` (a long option written with
        // one dash) has no `-l`.
        v.starts_with(flag) && !v.starts_with("--") && !is_single_dash_long(v)
    } else {
        v.starts_with(flag) && v.as_bytes().get(flag.len()) == Some(&b'=')
    }
}

/// One shell option set or unset by a `set` command of the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetOption {
    /// Long option name (`pipefail`, `errexit` for `-e`, `nounset` for `-u`, `xtrace` for `-x`).
    pub name: String,
    /// `-` sets, `+` unsets.
    pub enabled: bool,
    /// Index of the `set` command in [`Script::commands`].
    pub command: usize,
    /// Byte range of the word naming the option (`pipefail` in `set -o pipefail`, `-eux`).
    pub start: usize,
    pub end: usize,
    /// The `set` command starts before the first pipe of the script (true when there is none).
    pub before_first_pipe: bool,
}

fn short_option_name(c: char) -> String {
    let name = match c {
        'a' => "allexport",
        'b' => "notify",
        'e' => "errexit",
        'f' => "noglob",
        'h' => "hashall",
        'k' => "keyword",
        'm' => "monitor",
        'n' => "noexec",
        'u' => "nounset",
        'v' => "verbose",
        'x' => "xtrace",
        'B' => "braceexpand",
        'C' => "noclobber",
        'E' => "errtrace",
        'H' => "histexpand",
        'P' => "physical",
        'T' => "functrace",
        other => return other.to_string(),
    };
    name.to_string()
}

impl Script {
    /// Commands whose name's basename is one of `names`.
    pub fn commands_named<'a>(
        &'a self,
        names: &'a [&'a str],
    ) -> impl Iterator<Item = &'a Command> + 'a {
        self.commands.iter().filter(move |c| c.is_named(names))
    }

    /// Some pipeline has more than one command.
    pub fn has_pipe(&self) -> bool {
        self.pipelines.iter().any(|p| p.elements > 1)
    }

    /// The simple commands of pipeline `id`, in source order (`curl …` and `sh` in `curl … | sh`).
    pub fn pipeline_commands(&self, id: usize) -> impl Iterator<Item = &Command> + '_ {
        self.commands.iter().filter(move |c| c.pipeline == id)
    }

    /// The commands that follow `cmd` in its pipeline (`sh` after `curl` in `curl … | sh`).
    pub fn piped_into<'a>(&'a self, cmd: &'a Command) -> impl Iterator<Item = &'a Command> + 'a {
        self.pipeline_commands(cmd.pipeline)
            .filter(move |c| c.start > cmd.start)
    }

    /// The earliest pipeline with more than one command.
    pub fn first_pipe(&self) -> Option<&Pipeline> {
        self.pipelines
            .iter()
            .filter(|p| p.elements > 1)
            .min_by_key(|p| p.start)
    }

    /// Every option set or unset by `set` commands (`set -o pipefail`, `set -eux`,
    /// `set -euxo pipefail`, `set +e`), in source order.
    pub fn set_options(&self) -> Vec<SetOption> {
        let first_pipe = self.first_pipe().map(|p| p.start);
        let mut out = Vec::new();
        for (ci, c) in self.commands.iter().enumerate() {
            if c.name() != Some("set") {
                continue;
            }
            let before_first_pipe = first_pipe.is_none_or(|p| c.start < p);
            let args = c.args();
            let mut i = 0;
            while let Some(w) = args.get(i) {
                let v = w.value.as_str();
                let (enabled, body) = match (v.strip_prefix('-'), v.strip_prefix('+')) {
                    (Some(b), _) => (true, b),
                    (_, Some(b)) => (false, b),
                    _ => break,
                };
                i += 1;
                if body.is_empty() || body.starts_with('-') {
                    break;
                }
                for ch in body.chars() {
                    if ch == 'o' {
                        if let Some(n) = args.get(i) {
                            i += 1;
                            out.push(SetOption {
                                name: n.value.clone(),
                                enabled,
                                command: ci,
                                start: n.start,
                                end: n.end,
                                before_first_pipe,
                            });
                        }
                    } else {
                        out.push(SetOption {
                            name: short_option_name(ch),
                            enabled,
                            command: ci,
                            start: w.start,
                            end: w.end,
                            before_first_pipe,
                        });
                    }
                }
            }
        }
        out
    }

    /// Option `name` (long name, e.g. `pipefail`) is on after the `set` commands that start
    /// before byte `offset` (the last one wins; subshells are not tracked).
    pub fn option_enabled_before(&self, name: &str, offset: usize) -> bool {
        self.set_options()
            .iter()
            .rev()
            .find(|o| {
                o.name == name
                    && self
                        .commands
                        .get(o.command)
                        .is_some_and(|c| c.start < offset)
            })
            .is_some_and(|o| o.enabled)
    }
}
