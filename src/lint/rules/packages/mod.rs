//! Rule group `packages`: package-manager rules over the commands of RUN instructions (version
//! pins, caches left in layers, interactive prompts). One file per rule; list each in [`RULES`].
//! Shared package-manager knowledge lives in [`pm`].

use crate::lint::Rule;

pub(crate) mod pm;

pub mod dl3008;
pub mod dl3009;
pub mod dl3013;
pub mod dl3014;
pub mod dl3015;
pub mod dl3016;
pub mod dl3018;
pub mod dl3019;
pub mod dl3027;
pub mod dl3028;
pub mod dl3030;
pub mod dl3032;
pub mod dl3033;
pub mod dl3034;
pub mod dl3035;
pub mod dl3036;
pub mod dl3037;
pub mod dl3038;
pub mod dl3040;
pub mod dl3041;
pub mod dl3042;
pub mod dl3060;
pub mod dl3062;
pub mod ho6001;

pub static RULES: &[&Rule] = &[
    &dl3008::RULE,
    &dl3009::RULE,
    &dl3013::RULE,
    &dl3014::RULE,
    &dl3015::RULE,
    &dl3016::RULE,
    &dl3018::RULE,
    &dl3019::RULE,
    &dl3027::RULE,
    &dl3028::RULE,
    &dl3030::RULE,
    &dl3032::RULE,
    &dl3033::RULE,
    &dl3034::RULE,
    &dl3035::RULE,
    &dl3036::RULE,
    &dl3037::RULE,
    &dl3038::RULE,
    &dl3040::RULE,
    &dl3041::RULE,
    &dl3042::RULE,
    &dl3060::RULE,
    &dl3062::RULE,
    &ho6001::RULE,
];
