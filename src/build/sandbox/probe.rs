//! Isolation detection: placeholder.

use super::{Isolation, SandboxError};

pub(super) fn detect() -> Result<Isolation, SandboxError> {
    Ok(Isolation::Chroot)
}
