//! Suppression pragmas. (Being written.)

use super::{Context, Finding};

/// Removes findings suppressed by pragmas in the file (unless pragmas are disabled).
pub fn apply(cx: &Context, findings: Vec<Finding>) -> Vec<Finding> {
    let _ = cx;
    findings
}
