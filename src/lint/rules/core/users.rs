//! Shared by DL3002 and HO5003: the USER the final image runs as, following stages built
//! `FROM <stage>` of this file.

use super::images::resolve;
use crate::dockerfile::{InstructionKind, Span};
use crate::lint::Context;

/// The last USER in force for a stage.
#[derive(Clone, Debug)]
pub struct LastUser {
    /// Index of the USER instruction.
    pub instr: usize,
    /// The value after expansion; `None` when it cannot be resolved.
    pub value: Option<String>,
    pub span: Span,
}

/// The last USER of stage `stage` or, when it sets none, of the stage it is built from.
/// `None` when no USER is set in the chain (the base image's user applies).
pub fn effective_user(cx: &Context, stage: usize) -> Option<LastUser> {
    let mut current = Some(stage);
    let mut hops = 0;
    while let Some(s) = current {
        let st = cx.stages().get(s)?;
        let end = st.end.min(cx.df.instructions.len());
        let mut last = None;
        for i in st.from..end {
            if let Some(InstructionKind::User(w)) = cx.df.instructions.get(i).map(|x| &x.kind) {
                last = Some(LastUser {
                    instr: i,
                    value: resolve(cx, i, &w.value),
                    span: w.span,
                });
            }
        }
        if last.is_some() {
            return last;
        }
        hops += 1;
        // A stage can only build on an earlier one; the bound guards against malformed input.
        current = st.base.filter(|&b| b < s && hops < 64);
    }
    None
}

/// Whether a USER value names the root user (`root`, `0`, with any group).
pub fn is_root(value: &str) -> bool {
    let user = value.split(':').next().unwrap_or("").trim();
    user == "root" || user == "0"
}

#[cfg(test)]
mod tests {
    use super::is_root;

    #[test]
    fn root_spellings() {
        assert!(is_root("root"));
        assert!(is_root("0"));
        assert!(is_root("root:root"));
        assert!(is_root("0:0"));
        assert!(is_root("root:staff"));
        assert!(!is_root("rootless"));
        assert!(!is_root("1000:0"));
        assert!(!is_root("app"));
    }
}
