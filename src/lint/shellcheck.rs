//! Opt-in ShellCheck over RUN bodies. (Being written.)

use super::{Context, Diagnostics};

/// Runs ShellCheck on the file's RUN bodies and adds its findings.
pub fn run(cx: &Context, diags: &mut Diagnostics) {
    let _ = (cx, diags);
}
