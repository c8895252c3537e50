//! `hoist lint`. (Being written.)

use clap::Args;

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Files or directories to lint (`-` for stdin)
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(args: LintArgs) -> i32 {
    let _ = args;
    super::EXIT_OK
}
