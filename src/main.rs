//! The `hoist` binary: the command line ([`cli`]) over the `hoist` library. The CLI lives here,
//! not in the library, so clap, progress bars and terminal styling are the binary's concern.

mod cli;

fn main() {
    // The RUN sandbox re-executes this binary as a single-threaded helper; dispatch before any
    // argument parsing or thread creation.
    if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new("__sandbox")) {
        std::process::exit(hoist::build::sandbox::helper_main())
    }
    hoist::build::sandbox::install_tree_remover();
    std::process::exit(cli::main());
}
