//! Rule group `instr`: instruction-level rules from hadolint (WORKDIR, EXPOSE, COPY/ADD, stages,
//! repeated CMD/ENTRYPOINT/HEALTHCHECK, ONBUILD, ENV, instruction order) and Trivy's extra
//! Dockerfile checks (`HO5xxx`). DL3066 (numeric USER) lives here as a non-shell rule of hadolint's
//! DL3063–DL3077 range. One file per rule; list each in [`RULES`].

use crate::lint::Rule;

pub(crate) mod multi;
pub(crate) mod util;

pub mod dl3000;
pub mod dl3010;
pub mod dl3011;
pub mod dl3012;
pub mod dl3020;
pub mod dl3021;
pub mod dl3022;
pub mod dl3023;
pub mod dl3024;
pub mod dl3029;
pub mod dl3043;
pub mod dl3044;
pub mod dl3045;
pub mod dl3057;
pub mod dl3059;
pub mod dl3061;
pub mod dl3065;
pub mod dl3066;
pub mod dl3067;
pub mod dl4000;
pub mod dl4003;
pub mod dl4004;
pub mod ho5001;
pub mod ho5002;

pub static RULES: &[&Rule] = &[
    &dl3000::RULE,
    &dl3010::RULE,
    &dl3011::RULE,
    &dl3012::RULE,
    &dl3020::RULE,
    &dl3021::RULE,
    &dl3022::RULE,
    &dl3023::RULE,
    &dl3024::RULE,
    &dl3029::RULE,
    &dl3043::RULE,
    &dl3044::RULE,
    &dl3045::RULE,
    &dl3057::RULE,
    &dl3059::RULE,
    &dl3061::RULE,
    &dl3065::RULE,
    &dl3066::RULE,
    &dl3067::RULE,
    &dl4000::RULE,
    &dl4003::RULE,
    &dl4004::RULE,
    &ho5001::RULE,
    &ho5002::RULE,
];
