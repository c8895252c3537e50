//! Shared check for instructions that only take effect once per stage (CMD, ENTRYPOINT,
//! HEALTHCHECK): every occurrence after the first in a stage (or before the first FROM) is
//! reported, as hadolint does.
use super::util::{bodies, instructions_in};
use crate::dockerfile::Keyword;
use crate::lint::{Context, Diagnostics};

pub(crate) fn report_repeats(cx: &Context, d: &mut Diagnostics, keyword: Keyword, message: &str) {
    for (_, range) in bodies(cx) {
        let mut seen = false;
        for (_, ins) in instructions_in(cx, range) {
            if ins.keyword == keyword {
                if seen {
                    d.report(ins.keyword_word.span, message).with_help(format!(
                        "only the last {} of a stage takes effect; remove the others",
                        keyword.as_str()
                    ));
                }
                seen = true;
            }
        }
    }
}
