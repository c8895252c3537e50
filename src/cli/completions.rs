//! `hoist completions SHELL`.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist completions bash > ~/.local/share/bash-completion/completions/hoist\n  hoist completions zsh > ~/.zfunc/_hoist\n  hoist completions fish > ~/.config/fish/completions/hoist.fish"
)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> i32 {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "hoist", &mut std::io::stdout());
    super::EXIT_OK
}
