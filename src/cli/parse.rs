//! `hoist parse`. (Being written.)

use clap::Args;

#[derive(Args, Debug)]
pub struct ParseArgs {
    /// The Dockerfile to parse (`-` for stdin)
    pub file: std::path::PathBuf,
}

pub fn run(args: ParseArgs) -> i32 {
    let _ = args;
    super::EXIT_OK
}
