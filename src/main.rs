fn main() {
    if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new("__sandbox")) {
        std::process::exit(hoist::build::sandbox::helper_main())
    }
    std::process::exit(hoist::cli::main());
}
