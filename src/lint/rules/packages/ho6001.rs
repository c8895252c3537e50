//! HO6001: a package index refresh (`apt-get update`, `apk update`…) with no install after it in
//! the same RUN.
use crate::lint::rules::packages::pm::{apt_subcommand, rpm_sub, zypper_sub, APK_VALUE_FLAGS};
use crate::lint::rules::shell::cmd::{commands_of, is_templated, runs, Argv};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO6001",
        name: "package-update-alone",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "Package index update without an install in the same RUN",
        aliases: &["DS-0017", "no-orphan-package-update"],
        opt_in: false,
    },
    check,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Apt,
    Apk,
    Zypper,
    Rpm,
}

/// The family whose index this command refreshes, if it does.
fn refresh(c: &Argv) -> Option<Family> {
    if apt_subcommand(c, true) == Some("update") {
        return Some(Family::Apt);
    }
    if c.is_named(&["apk"]) && c.subcommand(APK_VALUE_FLAGS) == Some("update") {
        return Some(Family::Apk);
    }
    if matches!(zypper_sub(c), Some("refresh" | "ref")) {
        return Some(Family::Zypper);
    }
    if rpm_sub(c, &["yum", "dnf", "microdnf"], &["makecache"]) {
        return Some(Family::Rpm);
    }
    None
}

/// Whether this command installs or upgrades packages of `family`.
fn installs(c: &Argv, family: Family) -> bool {
    match family {
        Family::Apt => matches!(
            apt_subcommand(c, true),
            Some(
                "install"
                    | "upgrade"
                    | "dist-upgrade"
                    | "full-upgrade"
                    | "build-dep"
                    | "source"
                    | "reinstall"
                    | "satisfy"
            )
        ),
        Family::Apk => {
            c.is_named(&["apk"])
                && matches!(
                    c.subcommand(APK_VALUE_FLAGS),
                    Some("add" | "upgrade" | "fix")
                )
        }
        Family::Zypper => matches!(
            zypper_sub(c),
            Some(
                "install"
                    | "in"
                    | "update"
                    | "up"
                    | "dist-upgrade"
                    | "dup"
                    | "patch"
                    | "source-install"
                    | "si"
            )
        ),
        Family::Rpm => rpm_sub(
            c,
            &["yum", "dnf", "microdnf"],
            &[
                "install",
                "update",
                "upgrade",
                "groupinstall",
                "localinstall",
                "reinstall",
                "distro-sync",
            ],
        ),
    }
}

/// A command whose effect is unknown (a script, a variable used as a command): it may well be
/// the install, so the update is not reported.
fn opaque(c: &Argv) -> bool {
    let Some(name) = c.name_word() else {
        return false;
    };
    let v = name.value.as_str();
    let system = [
        "/bin/",
        "/usr/bin/",
        "/sbin/",
        "/usr/sbin/",
        "/usr/local/bin/",
    ]
    .iter()
    .any(|p| v.starts_with(p));
    let runs_file = c.is_named(&["sh", "bash", "ash", "dash", "zsh", "source", "."])
        && c.args().first().is_some_and(|a| !a.value.starts_with('-'));
    name.dynamic || v.ends_with(".sh") || (v.contains('/') && !system) || runs_file
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, scripts, _) in runs(cx) {
        if is_templated(scripts) {
            continue;
        }
        let cmds = commands_of(i, scripts);
        for (k, c) in cmds.iter().enumerate() {
            let Some(family) = refresh(c) else { continue };
            if cmds
                .iter()
                .skip(k + 1)
                .any(|o| installs(o, family) || opaque(o))
            {
                continue;
            }
            d.report(
                c.name_span(cx),
                "Package index update without an install after it in the same RUN",
            )
            .with_help("combine the update and the install in one RUN; a cached update layer leaves later installs with stale indexes");
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_lonely_updates() {
        assert_eq!(
            positions(
                "HO6001",
                "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y vim\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "HO6001",
                "FROM alpine:3.20\nRUN apk add --no-cache x && apk update\n"
            ),
            vec![(2, 29)]
        );
        assert_eq!(
            positions("HO6001", "FROM fedora:40\nRUN <<EOF\ndnf makecache\nEOF\n"),
            vec![(3, 1)]
        );
    }

    #[test]
    fn accepts_update_then_install() {
        for src in [
            "FROM debian:12\nRUN apt-get update && apt-get install -y vim\n",
            "FROM debian:12\nRUN apt-get update; \\\n  apt-get -y upgrade\n",
            "FROM alpine:3.20\nRUN apk update && apk add vim\n",
            "FROM opensuse/leap:15\nRUN zypper ref && zypper -n in vim\n",
            "FROM fedora:40\nRUN dnf makecache && dnf install -y vim\n",
            "FROM centos:7\nRUN yum update -y\n",
            "FROM debian:12\nRUN apt-get update && ./install-deps.sh\n",
            "FROM debian:12\nRUN apt-get update && bash /tmp/setup\n",
            "FROM debian:12\nRUN apt-get update && $INSTALL\n",
        ] {
            assert!(positions("HO6001", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn templated_and_nested() {
        // `{{ … }}` template placeholders may hide the missing part; nested scripts count.
        assert!(positions(
            "HO6001",
            "FROM debian:12\nRUN apt-get update && {{ install }}\n"
        )
        .is_empty());
        assert!(positions(
            "HO6001",
            "FROM debian:12\nRUN apt-get update || (apt-get install -y vim)\n"
        )
        .is_empty());
        assert_eq!(
            positions("HO6001", "FROM debian:12\nRUN sh -c 'apt-get update'\n"),
            vec![(2, 12)]
        );
    }
}
