//! Shared check for instructions that only take effect once per stage (CMD, ENTRYPOINT,
//! HEALTHCHECK): every occurrence after the first in a stage (or before the first FROM) is
//! reported, as hadolint does; in BuildKit mode every occurrence a later one in its stage
//! overrides, as BuildKit's MultipleInstructionsDisallowed does.
use super::util::{bodies, instructions_in, stage_body, stages};
use crate::dockerfile::Keyword;
use crate::lint::{Context, Diagnostics};

pub(crate) fn report_repeats(cx: &Context, d: &mut Diagnostics, keyword: Keyword, message: &str) {
    if cx.options.buildkit {
        return report_overridden(cx, d, keyword);
    }
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

fn report_overridden(cx: &Context, d: &mut Diagnostics, keyword: Keyword) {
    for st in stages(cx) {
        let same: Vec<_> = stage_body(cx, &st)
            .filter(|(_, ins)| ins.keyword == keyword)
            .map(|(_, ins)| ins)
            .collect();
        for ins in same.iter().rev().skip(1).rev() {
            d.report(
                ins.keyword_word.span,
                format!(
                    "Multiple {} instructions should not be used in the same stage because only the last one will be used",
                    keyword.as_str()
                ),
            )
            .with_help("remove it: a later one in the stage overrides it");
        }
    }
}
