//! Placeholder being filled in.

use super::{RunSpec, SetupError};

pub(super) fn run(_spec: &RunSpec, _rootless: bool) -> Result<i32, SetupError> {
    Err(SetupError::Invalid(
        "ns isolation is not available in this build".into(),
    ))
}
