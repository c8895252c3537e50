//! All rules, by group. Each rule is one file named after its code, documented in
//! `rules/<CODE>.md` at the top of the repository.
//!
//! - [`core`]: the headline families: base-image pinning, root user, shell-form CMD/ENTRYPOINT,
//!   secrets.
//! - [`packages`]: package-manager rules over RUN commands (pins, caches, prompts).
//! - [`shell`]: other rules over the shell commands of RUN (`cd`, `sudo`, pipes, `wget`…).
//! - [`instr`]: other instruction rules from hadolint and Trivy (ports, stages, COPY/ADD…).
//! - [`labels`]: LABEL schema rules.
//! - [`buildkit`]: BuildKit's build checks not covered above.
//! - [`meta`]: rules about the lint pragmas themselves.
//!
//! The groups are private to `lint`: other code reaches them through [`crate::lint::registry`]
//! (`registry::all`, `registry::group`).

pub mod buildkit;
// Since the groups became private, two fields of `core` are seen as never read
// (`ImageUse::instr` in core/images.rs, `LastUser::instr` in core/users.rs). images.rs is being
// rewritten elsewhere (its stage model moves to the Dockerfile front end); the allowance stays
// scoped to `core` until that lands and the fields can go.
#[allow(dead_code)]
pub mod core;
pub mod instr;
pub mod labels;
pub mod meta;
pub mod packages;
pub mod shell;
