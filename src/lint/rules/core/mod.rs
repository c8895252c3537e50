//! Rule group `core`: the headline families — base-image pinning (DL3006, DL3007, DL3026,
//! HO4001), the user the image runs as (DL3002, HO5003), shell-form CMD/ENTRYPOINT (DL3025) and
//! secrets (DL3064, HO3001–HO3003). One file per rule; list each in [`RULES`]. Helpers shared by
//! several rules live in [`images`], [`users`], [`crate::secrets::files`] and [`dockerignore`].

use crate::lint::Rule;

pub mod dockerignore;
pub mod images;
pub mod users;

pub mod dl3002;
pub mod dl3006;
pub mod dl3007;
pub mod dl3025;
pub mod dl3026;
pub mod dl3064;
pub mod ho3001;
pub mod ho3002;
pub mod ho3003;
pub mod ho4001;
pub mod ho5003;

pub static RULES: &[&Rule] = &[
    &dl3002::RULE,
    &dl3006::RULE,
    &dl3007::RULE,
    &dl3025::RULE,
    &dl3026::RULE,
    &dl3064::RULE,
    &ho5003::RULE,
    &ho3001::RULE,
    &ho3002::RULE,
    &ho3003::RULE,
    &ho4001::RULE,
];
