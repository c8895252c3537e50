//! Rule group `buildkit`: BuildKit's build checks (`docker build --check`) that no hadolint rule
//! covers, as `HO1xxx` codes with the BuildKit check name as alias. BuildKit checks equivalent to
//! a DL rule are aliases of that rule (DuplicateStageName → DL3024, MaintainerDeprecated →
//! DL4000, MultipleInstructionsDisallowed → DL3012/DL4003/DL4004, RedundantTargetPlatform →
//! DL3065, JSONArgsRecommended → DL3025, SecretsUsedInArgOrEnv → the secrets rule).
//! InvalidBaseImagePlatform needs the base image's configuration and is not checked statically.

use crate::lint::Rule;

pub(crate) mod util;

pub mod ho1001;
pub mod ho1002;
pub mod ho1003;
pub mod ho1004;
pub mod ho1005;
pub mod ho1006;
pub mod ho1007;
pub mod ho1008;
pub mod ho1009;
pub mod ho1010;
pub mod ho1011;
pub mod ho1012;
pub mod ho1013;
pub mod ho1014;
pub mod ho1015;

pub static RULES: &[&Rule] = &[
    &ho1001::RULE,
    &ho1002::RULE,
    &ho1003::RULE,
    &ho1004::RULE,
    &ho1005::RULE,
    &ho1006::RULE,
    &ho1007::RULE,
    &ho1008::RULE,
    &ho1009::RULE,
    &ho1010::RULE,
    &ho1011::RULE,
    &ho1012::RULE,
    &ho1013::RULE,
    &ho1014::RULE,
    &ho1015::RULE,
];
