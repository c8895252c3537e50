//! Rule group `meta`: rules about the lint pragmas themselves. One file per rule; list each in
//! [`RULES`].

use crate::lint::Rule;

pub mod dl1001;

pub static RULES: &[&Rule] = &[&dl1001::RULE];
