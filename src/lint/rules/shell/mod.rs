//! Rule group `shell`: rules over the shell commands of RUN other than package managers (`cd`,
//! `sudo`, pipes, `wget`…). One file per rule; list each in [`RULES`]. The command view shared
//! with the `packages` group is [`cmd`].

use crate::lint::Rule;

pub(crate) mod cmd;

pub mod dl3001;
pub mod dl3003;
pub mod dl3004;
pub mod dl3046;
pub mod dl3047;
pub mod dl4001;
pub mod dl4005;
pub mod dl4006;

pub static RULES: &[&Rule] = &[
    &dl3001::RULE,
    &dl3003::RULE,
    &dl3004::RULE,
    &dl3046::RULE,
    &dl3047::RULE,
    &dl4001::RULE,
    &dl4005::RULE,
    &dl4006::RULE,
];
