//! Merging: layers (config files, then the environment, then the command line) applied in order
//! on top of [`LintOptions::default`] by [`Accumulator`].

use std::collections::BTreeMap;

use super::model::ConfigLayer;
use super::{Level, LintOptions, Threshold};
use crate::lint::registry;

/// True when two codes designate the same rule (or the same code without a rule).
fn same_code(a: &str, b: &str) -> bool {
    match (registry::find(a), registry::find(b)) {
        (Some(x), Some(y)) => std::ptr::eq(x, y),
        _ => registry::normalize_code(a) == registry::normalize_code(b),
    }
}

/// Options being built from layers; `none` thresholds are kept apart from `no_fail`.
#[derive(Clone, Debug, Default)]
pub struct Accumulator {
    pub(super) options: LintOptions,
    never_fail: bool,
    no_fail: bool,
}

impl Accumulator {
    pub fn new() -> Self {
        Accumulator::default()
    }

    /// Applies `layer` on top of what is there. Lists (ignored codes, enabled rules, trusted
    /// registries) accumulate; scalar settings and per-key maps are replaced.
    pub fn apply(&mut self, layer: &ConfigLayer) {
        let o = &mut self.options;
        for c in &layer.ignore {
            o.enabled.retain(|e| !same_code(e, c));
            o.ignored.push(c.clone());
        }
        for c in &layer.enable {
            o.ignored.retain(|e| !same_code(e, c));
            o.enabled.push(c.clone());
        }
        match layer.failure_threshold {
            Some(Threshold::Level(s)) => {
                o.failure_threshold = s;
                self.never_fail = false;
            }
            Some(Threshold::Never) => self.never_fail = true,
            None => {}
        }
        for r in &layer.trusted_registries {
            if !o.trusted_registries.contains(r) {
                o.trusted_registries.push(r.clone());
            }
        }
        set(&mut o.strict_labels, layer.strict_labels);
        set(&mut o.disable_ignore_pragma, layer.disable_ignore_pragma);
        set(&mut self.no_fail, layer.no_fail);
        set(&mut o.shellcheck, layer.shellcheck);
        for (code, level) in &layer.levels {
            o.levels.retain(|k, _| !same_code(k, code));
            o.levels.insert(code.clone(), *level);
            if *level != Level::Ignore {
                // An explicit level turns an opt-in rule on, as in hadolint.
                o.ignored.retain(|e| !same_code(e, code));
                if !o.enabled.iter().any(|e| same_code(e, code)) {
                    o.enabled.push(code.clone());
                }
            }
        }
        o.label_schema.extend(layer.label_schema.clone());
        if !layer.build_args.is_empty() {
            o.build_args
                .get_or_insert_with(BTreeMap::new)
                .extend(layer.build_args.clone());
        }
        if let Some(d) = &layer.context_dir {
            o.context_dir = Some(d.clone());
        }
    }

    /// The resolved options.
    pub fn finish(mut self) -> LintOptions {
        self.options.no_fail = self.no_fail || self.never_fail;
        self.options
    }
}

fn set<T: Copy>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}
