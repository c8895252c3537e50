//! All rules, by group. Each rule is one file named after its code, documented in
//! `rules/<CODE>.md` at the top of the repository.
//!
//! - [`core`]: the headline families: base-image pinning, root user, shell-form CMD/ENTRYPOINT,
//!   secrets.
//! - [`shell`]: rules over the shell commands of RUN (package managers, `cd`, `sudo`, pipes…).
//! - [`instr`]: other instruction rules from hadolint and Trivy (labels, ports, stages…).
//! - [`buildkit`]: BuildKit's build checks not covered above.

pub mod buildkit;
pub mod core;
pub mod instr;
pub mod shell;
