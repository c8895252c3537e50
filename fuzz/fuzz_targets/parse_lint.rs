//! Parse and lint arbitrary bytes: must never panic, hang or loop.
#![no_main]

use std::path::Path;

use hoist::lint::{config::LintOptions, lint_source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let df = hoist::dockerfile::parse(&text);
    let _ = hoist::dockerfile::dump::buildkit(&df);
    let options = LintOptions::default();
    let _ = lint_source(Path::new("Dockerfile"), &text, &options);
});
