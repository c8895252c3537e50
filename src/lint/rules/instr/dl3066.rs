//! DL3066: USER with a user name rather than a numeric id.
use super::util::{unquote, var_refs};
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3066",
        name: "user-non-numeric",
        severity: Severity::Info,
        category: Category::User,
        summary: "Non-numeric user-id may not be resolvable by host system",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, ins) in cx.instructions() {
        let InstructionKind::User(user) = &ins.kind else {
            continue;
        };
        let raw = unquote(&user.value);
        // A variable is checked only when its value is known here.
        let value = if var_refs(raw, cx.df.escape).is_empty() {
            Some(raw.to_string())
        } else {
            let vars = cx.vars.get(i);
            let known = var_refs(raw, cx.df.escape)
                .iter()
                .all(|r| vars.is_some_and(|v| v.values.contains_key(&r.name)));
            if known {
                cx.expand(i, raw)
            } else {
                None
            }
        };
        let Some(value) = value else { continue };
        let uid = value.split(':').next().unwrap_or("");
        if !uid.is_empty() && !uid.chars().all(|c| c.is_ascii_digit()) {
            d.report(user.span, "Non-numeric user-id may not be resolvable by host system")
                .with_help("use a numeric UID (and GID), e.g. `USER 10001:10001`, so runtimes can check it is not root");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_user_names() {
        assert_eq!(
            positions("DL3066", "FROM a:1\nUSER app\nUSER app:app\n"),
            vec![(2, 6), (3, 6)]
        );
        assert_eq!(
            positions("DL3066", "FROM a:1\nARG U=app\nUSER $U\n"),
            vec![(3, 6)]
        );
    }

    #[test]
    fn accepts_numeric_ids_and_unknown_variables() {
        assert!(positions("DL3066", "FROM a:1\nUSER 1000\nUSER 1000:1000\nUSER $UID\n").is_empty());
    }
}
