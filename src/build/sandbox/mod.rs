//! The RUN sandbox: runs one RUN step of `hoist build` over a stack of read-only layer dirs and
//! leaves the step's changes in an overlayfs-form upper dir.
//!
//! [`run`] re-executes the hoist binary as a small single-threaded helper (`hoist __sandbox`,
//! entered through [`helper_main`]) and hands it the [`RunSpec`] as JSON on its stdin; the
//! helper's stdout/stderr are the command's, streamed back through `on_output`, and a status
//! pipe (fd 3 in the helper) carries the exit code or a typed setup error back.
//!
//! Three isolation modes ([`Isolation`]):
//! - `Namespaces` (root): mount/pid/ipc/uts (+net) namespaces, overlayfs, pivot_root
//!   (`ns`, `overlay`, `devices`).
//! - `Rootless`: the same inside a user namespace (`userns` maps ids).
//! - `Chroot`: no mount, no unshare: a copied root, `chroot`, then a walk-and-compare that
//!   writes the same upper dir overlayfs would have produced (`chroot`, `diff`).
//!
//! Concerns by file: `spec` (wire format between parent and helper), `parent` (the `run` side),
//! `helper` (the helper's flow), `container` (the last steps before exec, shared by every mode),
//! `probe` (isolation detection), `merged` (read-only merged view of the lowers), `tree`
//! (copying trees with metadata), `as_root` (store work of a rootless builder done as
//! container root in a user namespace: owners, reading private files into a layer).

mod as_root;
mod chroot;
mod container;
mod devices;
mod diff;
mod error;
mod helper;
mod merged;
mod ns;
mod overlay;
mod parent;
mod probe;
mod spec;
mod tree;
mod userns;

use std::ffi::OsString;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use error::{SandboxError, SetupError};
pub use spec::{Owner, TarDir};
pub use userns::{current_map, IdMap, Range};

/// How a RUN step is isolated from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Isolation {
    /// Root with mount/pid/ipc/uts namespaces and overlayfs.
    Namespaces,
    /// An unprivileged user namespace (subordinate id ranges when `newuidmap` is there).
    Rootless,
    /// Plain `chroot` into a copied root, changes found by walking and comparing.
    Chroot,
}

impl Isolation {
    /// The name used on the command line (`--isolation`).
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::Namespaces => "namespaces",
            Isolation::Rootless => "rootless",
            Isolation::Chroot => "chroot",
        }
    }
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The best isolation that works on this machine (probed once in a child process, cached).
pub fn detect_isolation() -> Result<Isolation, SandboxError> {
    probe::detect()
}

/// The network a RUN step sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NetworkMode {
    /// The host's network (like buildah's chroot isolation).
    Default,
    /// A new, empty network namespace with only `lo` (up).
    None,
    /// The host's network.
    Host,
}

/// The numeric identity the command runs as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserIds {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
}

/// An extra mount inside the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MountSpec {
    /// A host file or directory; `target` is absolute in the container.
    Bind {
        source: PathBuf,
        target: String,
        readonly: bool,
    },
    /// An empty tmpfs (its contents never reach the upper dir).
    Tmpfs { target: String, size: Option<u64> },
}

/// One RUN step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Read-only layer dirs in overlayfs form, topmost first; empty for `scratch`.
    pub lowers: Vec<PathBuf>,
    /// Existing empty dir: receives the step's changes in overlayfs upper form.
    pub upper: PathBuf,
    /// Existing empty dir on the same filesystem as `upper` (scratch space).
    pub work: PathBuf,
    /// The final argv (shell form already wrapped by the builder).
    pub argv: Vec<String>,
    /// The complete environment (nothing is added).
    pub env: Vec<(String, String)>,
    /// Absolute working directory, created (owned by the user) if missing.
    pub cwd: String,
    pub user: UserIds,
    pub hostname: String,
    pub network: NetworkMode,
    pub mounts: Vec<MountSpec>,
    pub isolation: Isolation,
}

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// The exit status, or 128+signal when the command was killed by a signal.
    pub exit_code: i32,
}

/// Which of the command's output streams a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// Extra knobs of [`run_with`] (not part of a step's identity).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The helper command line to start instead of `/proc/self/exe` (e.g. the `hoist` binary
    /// when running from a test binary, possibly behind a wrapper such as `setpriv`); the
    /// argument `__sandbox` is appended. Defaults to `$HOIST_SANDBOX_EXE` when set, else
    /// `/proc/self/exe`.
    pub helper: Option<Vec<OsString>>,
}

/// Run one step and return its exit code; output chunks go to `on_output` as they arrive.
/// Leaves no mount, process or temporary file behind (the upper dir keeps the changes).
pub fn run(
    spec: &RunSpec,
    on_output: &mut dyn FnMut(OutputStream, &[u8]),
) -> Result<RunOutcome, SandboxError> {
    parent::run(spec, &RunOptions::default(), on_output)
}

/// [`run`] with explicit [`RunOptions`].
pub fn run_with(
    spec: &RunSpec,
    opts: &RunOptions,
    on_output: &mut dyn FnMut(OutputStream, &[u8]),
) -> Result<RunOutcome, SandboxError> {
    parent::run(spec, opts, on_output)
}

/// Give each of `owners` (paths relative to `root`, a tree the caller owns, resolved inside
/// it as in a chroot) its owner, in container ids, from inside a user namespace with the
/// rootless sandbox's mapping: how a non-root builder puts the owners it cannot set itself on
/// the layers of its store. setuid/setgid bits survive. Output of the helper goes to
/// `on_output`.
pub fn set_owners(
    root: &std::path::Path,
    owners: Vec<Owner>,
    opts: &RunOptions,
    on_output: &mut dyn FnMut(OutputStream, &[u8]),
) -> Result<(), SandboxError> {
    parent::set_owners(root, owners, opts, on_output)
}

/// Write `job.dir` as an uncompressed layer (the bytes `oci::layer::write_dir` gives with
/// compression off) read as container root from inside a user namespace with the rootless
/// sandbox's mapping: how a non-root builder reads what a RUN step made private to a
/// subordinate id. The bytes go to `on_tar` as they come.
pub fn tar_dir(
    job: TarDir,
    opts: &RunOptions,
    on_tar: &mut dyn FnMut(&[u8]),
) -> Result<(), SandboxError> {
    parent::tar_dir(job, opts, on_tar)
}

/// In a process of a user without privileges whose sandbox maps subordinate ids, let
/// [`crate::oci::unpack::remove_tree`] remove what that user may not (store trees holding
/// entries of subordinate ids: pruned layers, leftovers) through the helper, as container
/// root in a user namespace. The binary calls this at start.
pub fn install_tree_remover() {
    if current_map().is_some_and(IdMap::has_range) {
        crate::oci::unpack::set_tree_remover(|path| {
            parent::remove_tree(path).map_err(std::io::Error::other)
        });
    }
}

/// The hidden subcommand entry: `hoist __sandbox …` (re-exec of /proc/self/exe). main.rs calls
/// this before clap when `argv[1] == "__sandbox"` and exits with its return value.
pub fn helper_main() -> i32 {
    helper::main()
}
