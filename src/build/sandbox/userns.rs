//! Placeholder being filled in.

use super::{RunSpec, SetupError};

pub(super) fn run(_spec: &RunSpec) -> Result<i32, SetupError> {
    Err(SetupError::Invalid(
        "userns isolation is not available in this build".into(),
    ))
}
