//! Rule group `labels`: LABEL keys (DL3048) and hadolint's label schema (`[label-schema]` and
//! `strict-labels` in `.hoist.toml`): required labels, superfluous labels, and typed values (URL,
//! RFC 3339 time, SPDX license, git hash, semantic version, email). One file per rule.

use crate::lint::Rule;

mod typed;
pub(crate) mod util;

pub mod dl3048;
pub mod dl3049;
pub mod dl3050;
pub mod dl3051;
pub mod dl3052;
pub mod dl3053;
pub mod dl3054;
pub mod dl3055;
pub mod dl3056;
pub mod dl3058;

pub static RULES: &[&Rule] = &[
    &dl3048::RULE,
    &dl3049::RULE,
    &dl3050::RULE,
    &dl3051::RULE,
    &dl3052::RULE,
    &dl3053::RULE,
    &dl3054::RULE,
    &dl3055::RULE,
    &dl3056::RULE,
    &dl3058::RULE,
];
