//! The builder's error type: every variant names where it happened (Dockerfile line, stage,
//! path or reference) and, where there is one, what to do about it.

use std::fmt;
use std::path::PathBuf;

use crate::copy::CopyError;
use crate::oci::assemble::AssembleError;
use crate::oci::StoreError;

/// A place in the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The Dockerfile's name.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The Dockerfile does not parse.
    #[error("{loc}: {message}")]
    Parse {
        /// Where.
        loc: Loc,
        /// What.
        message: String,
    },
    /// No FROM at all.
    #[error("{file}: no FROM instruction: a Dockerfile needs at least one stage")]
    NoStage {
        /// The Dockerfile.
        file: String,
    },
    /// `--target` names no stage.
    #[error("target stage {target:?} could not be found (stages: {})", if available.is_empty() { "none named".to_string() } else { available.join(", ") })]
    UnknownTarget {
        /// The target asked for.
        target: String,
        /// Named stages.
        available: Vec<String>,
    },
    /// Stages depend on each other in a circle.
    #[error("circular dependency between stages: {}", stages.join(" -> "))]
    Cycle {
        /// The stages on the cycle, first repeated at the end.
        stages: Vec<String>,
    },
    /// A variable could not be expanded.
    #[error("{loc}: cannot expand {word:?}: {message}")]
    Expand {
        /// Where.
        loc: Loc,
        /// The word.
        word: String,
        /// Why.
        message: String,
    },
    /// A flag or argument is invalid.
    #[error("{loc}: {message}")]
    Flag {
        /// Where.
        loc: Loc,
        /// What.
        message: String,
    },
    /// The base image could not be read.
    #[error("{loc}: base image {image}: {source}")]
    Base {
        /// Where.
        loc: Loc,
        /// The reference.
        image: String,
        /// What the transport said.
        source: Box<CopyError>,
    },
    /// A base image is unusable (e.g. no layers for a config's diff IDs).
    #[error("{loc}: base image {image}: {message}")]
    BadBase {
        /// Where.
        loc: Loc,
        /// The reference.
        image: String,
        /// What is wrong.
        message: String,
    },
    /// A `--build-context` cannot be read.
    #[error("--build-context {name}={value}: {message}")]
    Context {
        /// The context's name.
        name: String,
        /// Its value as given.
        value: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// COPY/ADD failed.
    #[error("{loc}: {message}")]
    Copy {
        /// Where.
        loc: Loc,
        /// What the filesystem side said.
        message: String,
    },
    /// A RUN exited non-zero.
    #[error(
        "{loc}: [{stage}] RUN {command} failed with exit code {exit_code}{}",
        tail_text(last_lines)
    )]
    RunFailed {
        /// Where.
        loc: Loc,
        /// The stage.
        stage: String,
        /// The command as shown in progress.
        command: String,
        /// Exit code (128+signal when killed).
        exit_code: i32,
        /// Last lines of its output.
        last_lines: Vec<String>,
    },
    /// The sandbox could not run a step.
    #[error("{loc}: [{stage}] cannot run the step: {message}")]
    Sandbox {
        /// Where.
        loc: Loc,
        /// The stage.
        stage: String,
        /// What the sandbox said.
        message: String,
    },
    /// `USER` could not be resolved.
    #[error("{loc}: USER {user}: {message}")]
    User {
        /// Where.
        loc: Loc,
        /// The user spec.
        user: String,
        /// Why.
        message: String,
    },
    /// A `--secret` or secret mount problem.
    #[error("secret {id:?}: {message}")]
    Secret {
        /// The secret id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// An instruction hoist does not know or cannot do.
    #[error("{loc}: {message}")]
    Unsupported {
        /// Where.
        loc: Loc,
        /// What.
        message: String,
    },
    /// The content store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Image assembly failed.
    #[error(transparent)]
    Assemble(#[from] AssembleError),
    /// Writing an output failed.
    #[error("{dest}: {source}")]
    Output {
        /// The output.
        dest: String,
        /// The cause.
        source: Box<CopyError>,
    },
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A step was cancelled because another one failed.
    #[error("cancelled")]
    Cancelled,
    /// The helper of a builder without privileges (working as container root in a user
    /// namespace) failed on a tree of the store.
    #[error("{path}: {message}")]
    Rootless {
        /// The tree.
        path: PathBuf,
        /// What failed and what to do.
        message: String,
    },
}

fn tail_text(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nlast output:");
    for l in lines {
        s.push_str("\n  > ");
        s.push_str(l);
    }
    s
}

impl BuildError {
    /// A short hint for the user, when there is an obvious fix.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            BuildError::UnknownTarget { .. } => Some("pass one of the stage names to --target"),
            BuildError::Base { source, .. } => source.hint(),
            BuildError::Cycle { .. } => Some(
                "a stage cannot use itself, directly or through COPY --from / RUN --mount=from",
            ),
            _ => None,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> BuildError {
        let path = path.into();
        move |source| BuildError::Io { path, source }
    }
}
