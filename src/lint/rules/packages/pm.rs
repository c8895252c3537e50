//! Package-manager knowledge shared by the `packages` rules: which options take a value (so the
//! subcommand and package operands can be found), version-pin tests, the one mechanism of the
//! version-pin rules ([`PinRule`]), and cleanup detection.

use crate::dockerfile::Instruction;
use crate::lint::rules::shell::cmd::{has_mount, is_unknown, run_commands, Argv, Cmd};
use crate::lint::{Context, Diagnostics, Fix};
use crate::shell::Word;

/// A version-pin rule (DL3016 npm, DL3018 apk, DL3037 zypper): the package operands of an install
/// command must each carry a version.
pub(crate) struct PinRule {
    /// True for the install command (`apk add`, `npm install`, `zypper install`…).
    pub is_install: fn(&Argv) -> bool,
    /// The tool's options that take a separate value (so operands can be told from them).
    pub value_flags: &'static [&'static str],
    /// True for an operand that is pinned, or that names a file rather than a package.
    pub pinned: fn(&str) -> bool,
    pub message: &'static str,
}

impl PinRule {
    /// Reports each install command at its first unpinned operand, listing all of them in the
    /// help. Operands only known at build time (`$PKGS`) are not judged.
    pub fn check(&self, cx: &Context, d: &mut Diagnostics) {
        for c in run_commands(cx) {
            if !(self.is_install)(&c) {
                continue;
            }
            let unpinned: Vec<_> = c
                .operands(self.value_flags)
                .into_iter()
                .filter(|w| !is_unknown(w) && !(self.pinned)(&w.value))
                .collect();
            if let Some(first) = unpinned.first() {
                let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
                d.report(c.word_span(cx, first), self.message)
                    .with_help(format!("unpinned: {}", names.join(", ")));
            }
        }
    }
}

/// The shell forms every pin rule must see through, from each rule's own example: `install` is
/// an install command whose last word is an unpinned package, after `FROM {image}`. It is found
/// in a heredoc body, a `sh -c` string, a subshell after `||` on a continuation line and a `;`
/// list, and not in quoted text or comments.
#[cfg(test)]
pub(crate) fn assert_pin_shell_forms(code: &str, image: &str, install: &str) {
    use crate::lint::testing::positions;

    let package = install.rsplit(' ').next().unwrap_or(install);
    // 1-based column of the package in `line`.
    let col = |line: &str| (line.rfind(package).unwrap_or(0) + 1) as u32;
    let from = format!("FROM {image}\n");
    let heredoc_line = install.to_string();
    let sh_c = format!("RUN sh -c '{install}'");
    let subshell = format!("  || ({install})");
    let list = format!("RUN echo start; {install}; echo done");
    let cases = [
        (
            format!("{from}RUN <<EOF\nset -e\n{heredoc_line}\nEOF\n"),
            (4, col(&heredoc_line)),
        ),
        (format!("{from}{sh_c}\n"), (2, col(&sh_c))),
        (
            format!("{from}RUN true \\\n{subshell}\n"),
            (3, col(&subshell)),
        ),
        (
            format!("{from}{list}\n"),
            (2, col(&list[..list.len() - "; echo done".len()])),
        ),
    ];
    for (src, at) in cases {
        assert_eq!(positions(code, &src), vec![at], "{code}: {src}");
    }
    for src in [
        format!("{from}RUN echo \"{install}\"\n"),
        format!("{from}RUN <<EOF\necho '{install}'\nEOF\n"),
        format!("{from}RUN # {install}\n"),
    ] {
        assert!(positions(code, &src).is_empty(), "{code}: {src}");
    }
}

/// apt-get/apt options that take a separate value.
pub(crate) const APT_VALUE_FLAGS: &[&str] = &[
    "o",
    "c",
    "t",
    "a",
    "option",
    "config-file",
    "target-release",
    "default-release",
    "host-architecture",
];

/// apk options that take a separate value.
pub(crate) const APK_VALUE_FLAGS: &[&str] = &[
    "t",
    "virtual",
    "X",
    "repository",
    "p",
    "root",
    "arch",
    "keys-dir",
    "cache-dir",
    "repositories-file",
    "cache-max-age",
];

/// yum/dnf/microdnf options that take a separate value.
pub(crate) const RPM_VALUE_FLAGS: &[&str] = &[
    "c",
    "config",
    "d",
    "debuglevel",
    "e",
    "errorlevel",
    "R",
    "randomwait",
    "x",
    "exclude",
    "installroot",
    "releasever",
    "setopt",
    "enablerepo",
    "disablerepo",
    "repo",
    "repoid",
    "enableplugin",
    "disableplugin",
    "downloaddir",
    "destdir",
    "rpmverbosity",
    "color",
    "forcearch",
];

/// zypper options that take a separate value.
pub(crate) const ZYPPER_VALUE_FLAGS: &[&str] = &[
    "R",
    "root",
    "c",
    "config",
    "D",
    "reposd-dir",
    "C",
    "cache-dir",
    "raw-cache-dir",
    "solv-cache-dir",
    "pkg-cache-dir",
    "r",
    "repo",
    "t",
    "type",
    "from",
];

/// pip options whose value is a separate word (hadolint's list plus a few).
pub(crate) const PIP_VALUE_FLAGS: &[&str] = &[
    "abi",
    "b",
    "build",
    "c",
    "constraint",
    "e",
    "editable",
    "extra-index-url",
    "f",
    "find-links",
    "i",
    "index-url",
    "implementation",
    "no-binary",
    "only-binary",
    "platform",
    "prefix",
    "progress-bar",
    "proxy",
    "python-version",
    "r",
    "requirement",
    "root",
    "src",
    "t",
    "target",
    "trusted-host",
    "upgrade-strategy",
    "cache-dir",
    "log",
    "timeout",
    "retries",
    "cert",
    "client-cert",
    "exists-action",
    "global-option",
    "config-settings",
    "root-user-action",
];

/// The apt-get (or `apt`, when `with_apt`) subcommand of `c`.
pub(crate) fn apt_subcommand<'a>(c: &Argv<'a>, with_apt: bool) -> Option<&'a str> {
    let ok = c.is_named(&["apt-get"]) || (with_apt && c.is_named(&["apt"]));
    if ok {
        c.subcommand(APT_VALUE_FLAGS)
    } else {
        None
    }
}

/// True for `apt-get install …`.
pub(crate) fn is_apt_get_install(c: &Argv) -> bool {
    apt_subcommand(c, false) == Some("install")
}

/// True for yum/dnf/microdnf commands (`names`) whose subcommand is one of `subs`, counting
/// `module install` as `install`.
pub(crate) fn rpm_sub(c: &Argv, names: &[&str], subs: &[&str]) -> bool {
    if !c.is_named(names) {
        return false;
    }
    let pos = c.positional(RPM_VALUE_FLAGS);
    match pos.first().map(|w| w.value.as_str()) {
        Some("module") => pos.get(1).is_some_and(|w| subs.contains(&w.value.as_str())),
        Some(s) => subs.contains(&s),
        None => false,
    }
}

/// The package operands of a yum/dnf install, and whether it was `module install`.
pub(crate) fn rpm_install_operands<'a>(c: &Argv<'a>) -> (bool, Vec<&'a Word>) {
    let pos = c.positional(RPM_VALUE_FLAGS);
    let module = pos.first().is_some_and(|w| w.value == "module");
    let skip = if module { 2 } else { 1 };
    (
        module,
        pos.into_iter()
            .skip(skip)
            .filter(|w| !is_unknown(w))
            .collect(),
    )
}

/// hadolint's DL3041 test: an RPM package spec whose part after the first dash looks like a
/// version (only version characters, and some dash-separated part starting with a digit), or an
/// `.rpm` file.
pub(crate) fn rpm_version_fixed(package: &str) -> bool {
    if package.ends_with(".rpm") {
        return true;
    }
    let mut parts = package.split('-');
    parts.next();
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        return false;
    }
    let valid = |p: &str| {
        p.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".~^_:+".contains(c))
    };
    rest.iter().all(|p| valid(p))
        && rest
            .iter()
            .any(|p| p.starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether the yum/dnf package (or module, when `module`) word `w` of a RUN at instruction
/// `instr` is pinned, looking through ARG/ENV variables in scope there
/// (`git-core-${version}` with `ENV version=2.51.0-2.fc42`); an unset variable pins nothing.
pub(crate) fn rpm_word_pinned(cx: &Context, instr: usize, w: &Word, module: bool) -> bool {
    let fixed = if module {
        module_version_fixed
    } else {
        rpm_version_fixed
    };
    fixed(&w.value)
        || (w.dynamic
            && cx
                .expand(instr, &w.value)
                .is_some_and(|v| v != w.value && fixed(&v)))
}

/// A yum/dnf module spec is pinned when it names a stream (`nodejs:18`).
pub(crate) fn module_version_fixed(spec: &str) -> bool {
    spec.contains(':')
}

/// `rm` removing something at or below `dir` (`rm -rf /var/lib/apt/lists/*`).
pub(crate) fn is_rm_of(c: &Argv, dir: &str) -> bool {
    c.is_named(&["rm"])
        && c.positional(&[]).iter().any(|w| {
            let v = w.value.trim_end_matches('/');
            v == dir || v.starts_with(&format!("{dir}/"))
        })
}

/// True when the instruction has a cache or tmpfs mount at or below one of `dirs`.
pub(crate) fn mounts_any(ins: Option<&Instruction>, types: &[&str], dirs: &[&str]) -> bool {
    ins.is_some_and(|ins| dirs.iter().any(|d| has_mount(ins, types, d)))
}

/// A fix inserting ` text` right after word `w` of `c`. `None` when the word does not map
/// exactly onto the source (a word inside an escaped `sh -c` string, say).
pub(crate) fn insert_after(
    cx: &Context,
    c: &Cmd,
    w: &Word,
    text: &str,
    description: &str,
) -> Option<Fix> {
    let start = c.script.source_offset(w.start);
    let end = c.script.source_offset(w.end.max(w.start + 1) - 1) + 1;
    if cx.source.get(start..end) != Some(w.raw.as_str()) {
        return None;
    }
    Some(Fix {
        description: description.to_string(),
        edits: vec![crate::lint::Edit {
            start: end,
            end,
            replacement: format!(" {text}"),
        }],
        safe: true,
    })
}

/// The fix adding `-y` after the install subcommand of a yum/dnf command (`install`,
/// `groupinstall`, `localinstall`, or the `install` of `module install`).
pub(crate) fn rpm_yes_fix(cx: &Context, c: &Cmd) -> Option<Fix> {
    let w = c.positional(RPM_VALUE_FLAGS).into_iter().find(|w| {
        matches!(
            w.value.as_str(),
            "install" | "groupinstall" | "localinstall"
        )
    })?;
    insert_after(cx, c, w, "-y", "add `-y`")
}

/// The words of a pip invocation: `pip…` itself, or what follows `python… -m` (so that the name
/// is `pip`). `None` for other commands and for pipx/pipenv.
pub(crate) fn pip_argv<'a>(c: &Argv<'a>) -> Option<Argv<'a>> {
    let name = c.name();
    let is_pip = |n: &str| {
        n.strip_prefix("pip")
            .is_some_and(|v| v.chars().all(|ch| ch.is_ascii_digit() || ch == '.'))
    };
    if is_pip(name) {
        return Some(Argv {
            wrappers: Vec::new(),
            words: c.words,
        });
    }
    if name.starts_with("python") {
        let words = c.words;
        let m = words.iter().position(|w| w.value == "-m")?;
        let module = words.get(m + 1)?;
        if is_pip(&module.value) {
            return Some(Argv {
                wrappers: Vec::new(),
                words: words.get(m + 1..)?,
            });
        }
    }
    None
}

/// `pip install …` (any pip spelling).
pub(crate) fn pip_install<'a>(c: &Argv<'a>) -> Option<Argv<'a>> {
    let pip = pip_argv(c)?;
    (pip.subcommand(PIP_VALUE_FLAGS) == Some("install")).then_some(pip)
}

/// Whether the stage of instruction `i` ends up in an image: the final stage, or a stage another
/// stage is built FROM. Unknown stages count as kept.
pub(crate) fn stage_is_kept(cx: &Context, i: usize) -> bool {
    let Some(s) = cx.stage_of(i) else {
        return true;
    };
    let last = cx.stages().len().saturating_sub(1);
    s >= last || cx.stages().iter().any(|o| o.base == Some(s))
}

/// For the clean-after-install rules: the first install command (by `is_install`) of each RUN
/// that is not followed, in the same RUN, by a command satisfying `is_clean`, and not covered by
/// a cache/tmpfs mount of one of `cache_dirs`.
pub(crate) fn installs_without_clean<'a>(
    cx: &'a Context,
    is_install: impl Fn(&Argv) -> bool,
    is_clean: impl Fn(&Argv) -> bool,
    cache_dirs: &[&str],
) -> Vec<Cmd<'a>> {
    let mut out = Vec::new();
    for (i, scripts, _) in crate::lint::rules::shell::cmd::runs(cx) {
        if crate::lint::rules::shell::cmd::is_templated(scripts) {
            continue;
        }
        let cmds = crate::lint::rules::shell::cmd::commands_of(i, scripts);
        let Some(last_install) = cmds.iter().rposition(|c| is_install(c)) else {
            continue;
        };
        if cmds.iter().skip(last_install + 1).any(|c| is_clean(c)) {
            continue;
        }
        if mounts_any(
            crate::lint::rules::shell::cmd::run_instruction(cx, i),
            &["cache", "tmpfs"],
            cache_dirs,
        ) {
            continue;
        }
        if let Some(first) = cmds.into_iter().find(|c| is_install(c)) {
            out.push(first);
        }
    }
    out
}

/// The zypper subcommand of `c`, if it is zypper.
pub(crate) fn zypper_sub<'a>(c: &Argv<'a>) -> Option<&'a str> {
    if c.is_named(&["zypper"]) {
        c.subcommand(ZYPPER_VALUE_FLAGS)
    } else {
        None
    }
}
