//! DL3064: an ARG or ENV whose name says it holds a secret (`GITHUB_TOKEN`, `DB_PASSWORD`).
//!
//! Combines hadolint's list of well-known names with BuildKit's `SecretsUsedInArgOrEnv` word
//! match (`_`-separated words such as `key`, `token`, `secret`, `password`, `auth`), and drops
//! names whose other words show a non-secret (`PUBLIC_KEY`, `GPG_KEY`, `TOKEN_FILE`, `KEY_ID`).
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};
pub use crate::secrets::names::is_secret_name;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3064",
        name: "secret-in-arg-env",
        severity: Severity::Warning,
        category: Category::Secrets,
        summary: "Potentially sensitive data should not be used in the ARG or ENV commands",
        aliases: &["SecretsUsedInArgOrEnv", "DS-0031"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let (kind, names): (&str, Vec<_>) = match &ins.kind {
            InstructionKind::Arg(decls) => ("ARG", decls.iter().map(|a| &a.name).collect()),
            InstructionKind::Env(kvs) => ("ENV", kvs.iter().map(|kv| &kv.key).collect()),
            _ => continue,
        };
        for name in names {
            if !is_secret_name(&name.value) {
                continue;
            }
            d.report(
                name.span,
                format!(
                    "Potentially sensitive data should not be used in the ARG or ENV commands ({kind} \"{}\")",
                    name.value
                ),
            )
            .with_help(format!(
                "{kind} values are stored in the image config and build history; pass the secret with `RUN --mount=type=secret,id={}` and `--secret id={},env={}` instead",
                name.value.to_ascii_lowercase(),
                name.value.to_ascii_lowercase(),
                name.value
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_secret_name;
    use crate::lint::testing::positions;

    #[test]
    fn flags_secret_names() {
        assert_eq!(
            positions("DL3064", "FROM a:1\nARG GITHUB_TOKEN\n"),
            vec![(2, 5)]
        );
        assert_eq!(
            positions("DL3064", "FROM a:1\nENV A=1 DB_PASSWORD=x\n"),
            vec![(2, 9)]
        );
        assert_eq!(
            positions("DL3064", "ARG api_key=1\nFROM a:1\n"),
            vec![(1, 5)]
        );
        assert_eq!(
            positions("DL3064", "FROM a:1\nENV SECRET x\n"),
            vec![(2, 5)]
        );
    }

    #[test]
    fn name_classification() {
        for yes in [
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID",
            "API_KEY",
            "AUTH",
            "MYSQLPASSWORD",
            "client_secret",
            "NPM_TOKEN",
            "SSH_PRIVATE_KEY",
            "DEPLOY_KEY",
            "GH_PAT",
        ] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in [
            "GPG_KEY",
            "PUBLIC_KEY",
            "MONKEY",
            "KEYBOARD",
            "PYTHON_SHA256",
            "TOKEN_FILE",
            "PASSWORD_FILE",
            "SECRET_PATH",
            "KEY_ID",
            "NGINX_VERSION",
            "PATH",
            "TOKENIZERS",
            "AUTHOR",
            "PASSENGER_VERSION",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }

    #[test]
    fn ignores_benign_names() {
        assert!(positions(
            "DL3064",
            "FROM a:1\nENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D\n"
        )
        .is_empty());
        assert!(positions("DL3064", "FROM a:1\nARG NGINX_VERSION=1\n").is_empty());
    }
}
