//! Typed errors of the sandbox: [`SandboxError`] on the `run` side and [`SetupError`], which
//! the helper sends back over its status pipe (so it is serializable).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Anything that kept a RUN step from running to completion (a non-zero exit of the command is
/// not an error: see `RunOutcome`).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid RUN spec: {0}")]
    InvalidSpec(String),
    #[error("cannot start the sandbox helper {exe}: {source} (set HOIST_SANDBOX_EXE to the hoist binary when calling from another program)")]
    Spawn {
        exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("sandbox: {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("sandbox setup failed: {0}")]
    Setup(#[from] SetupError),
    #[error("the sandbox helper ended without reporting a result ({status}); is {exe} a hoist binary of the same version?")]
    HelperDied { exe: PathBuf, status: String },
    #[error("sandbox helper sent an unreadable status ({0}); is the helper a hoist binary of the same version?")]
    Protocol(String),
}

impl SandboxError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> SandboxError {
        SandboxError::Io {
            what: what.into(),
            source,
        }
    }
}

/// A failure inside the helper, before the command could start (or while collecting its
/// changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SetupError {
    /// A system call failed: `what` names the operation and its operands.
    #[error("{what}: {}{}", errno_text(*errno), hint_text(hint))]
    Syscall {
        what: String,
        errno: i32,
        hint: Option<String>,
    },
    /// The command's executable does not exist in the container.
    #[error("executable not found: {name:?} (searched PATH={path:?} inside the container)")]
    ExecutableNotFound { name: String, path: String },
    /// The spec cannot be honoured.
    #[error("{0}")]
    Invalid(String),
    /// A filesystem operation of the helper failed.
    #[error("{what}: {message}")]
    Io { what: String, message: String },
}

impl SetupError {
    pub(crate) fn sys(what: impl Into<String>, errno: nix::errno::Errno) -> SetupError {
        SetupError::Syscall {
            what: what.into(),
            errno: errno as i32,
            hint: None,
        }
    }

    pub(crate) fn sys_hint(
        what: impl Into<String>,
        errno: nix::errno::Errno,
        hint: impl Into<String>,
    ) -> SetupError {
        SetupError::Syscall {
            what: what.into(),
            errno: errno as i32,
            hint: Some(hint.into()),
        }
    }

    pub(crate) fn io(what: impl Into<String>, e: &std::io::Error) -> SetupError {
        match e.raw_os_error() {
            Some(errno) => SetupError::Syscall {
                what: what.into(),
                errno,
                hint: None,
            },
            None => SetupError::Io {
                what: what.into(),
                message: e.to_string(),
            },
        }
    }
}

fn errno_text(errno: i32) -> String {
    let e = nix::errno::Errno::from_raw(errno);
    format!("{} ({e:?})", e.desc())
}

fn hint_text(hint: &Option<String>) -> String {
    match hint {
        Some(h) => format!("; {h}"),
        None => String::new(),
    }
}
