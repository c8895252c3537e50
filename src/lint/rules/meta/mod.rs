//! Rule group `meta`. One file per rule; list each in [`RULES`].

use crate::lint::Rule;

pub static RULES: &[&Rule] = &[];
