//! Shared check for instructions that only take effect once per stage (CMD, ENTRYPOINT,
//! HEALTHCHECK): every occurrence after the first in a stage is reported, as hadolint does.
use super::util::{stage_body, stages};
use crate::dockerfile::Keyword;
use crate::lint::{Context, Diagnostics};

pub(crate) fn report_repeats(cx: &Context, d: &mut Diagnostics, keyword: Keyword, message: &str) {
    for st in stages(cx) {
        let mut seen = false;
        for (_, ins) in stage_body(cx, &st) {
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
