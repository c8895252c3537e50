//! The wire format between `run` (parent) and the helper: the request on the helper's stdin,
//! the status on fd 3, and the error record a container child sends its helper.

use serde::{Deserialize, Serialize};

use super::{RunSpec, SetupError};

/// The file descriptor the helper reports its status on.
pub(crate) const STATUS_FD: i32 = 3;

/// What the parent sends (JSON, then EOF).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Request {
    pub spec: RunSpec,
    /// The pid of the `run` caller: the helper exits at once if its parent is already gone.
    pub parent_pid: u32,
}

/// What the helper reports (JSON, once, on [`STATUS_FD`]).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Status {
    /// The command ran; exit status or 128+signal.
    Exited(i32),
    /// The command could not be started or its changes not collected.
    Failed(SetupError),
}
