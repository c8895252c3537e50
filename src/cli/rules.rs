//! `hoist rules`. (Being written.)

use clap::Args;

#[derive(Args, Debug)]
pub struct RulesArgs {}

pub fn run(args: RulesArgs) -> i32 {
    let _ = args;
    super::EXIT_OK
}
