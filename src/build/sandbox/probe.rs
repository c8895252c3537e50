//! Isolation detection: a helper child (`hoist __sandbox probe`) tries, in its own throwaway
//! namespaces, what each mode needs; the answer is cached for the process.

use std::sync::OnceLock;

use nix::mount::MsFlags;
use nix::sched::CloneFlags;

use super::{Isolation, SandboxError};

static DETECTED: OnceLock<Result<Isolation, String>> = OnceLock::new();

const NAMESPACES: i32 = 10;
const ROOTLESS: i32 = 11;
const CHROOT: i32 = 12;

pub(super) fn detect() -> Result<Isolation, SandboxError> {
    DETECTED
        .get_or_init(|| {
            let helper = super::parent::helper_command(&super::RunOptions::default());
            let out = std::process::Command::new(&helper[0])
                .args(&helper[1..])
                .args(["__sandbox", "probe"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .map_err(|e| {
                    format!(
                        "cannot start {} to probe isolation: {e} (set HOIST_SANDBOX_EXE to the hoist binary)",
                        helper[0].to_string_lossy()
                    )
                })?;
            match out.code() {
                Some(NAMESPACES) => Ok(Isolation::Namespaces),
                Some(ROOTLESS) => Ok(Isolation::Rootless),
                Some(CHROOT) => Ok(Isolation::Chroot),
                _ => Err(format!(
                    "isolation probe with {} ended with {out}; is it a hoist binary?",
                    helper[0].to_string_lossy()
                )),
            }
        })
        .clone()
        .map_err(SandboxError::Protocol)
}

/// The probe itself, in the helper process: the exit code names the best mode.
pub(super) fn probe_main() -> i32 {
    let root = nix::unistd::geteuid().is_root();
    let overlay = std::fs::read_to_string("/proc/filesystems")
        .map(|s| s.lines().any(|l| l.trim_end().ends_with("\toverlay")))
        .unwrap_or(false);
    if root && overlay && try_namespaces(CloneFlags::empty()) {
        return NAMESPACES;
    }
    if overlay && kernel_at_least(5, 11) && try_namespaces(CloneFlags::CLONE_NEWUSER) {
        return ROOTLESS;
    }
    CHROOT
}

fn try_namespaces(extra: CloneFlags) -> bool {
    // SAFETY: the probe is single-threaded; the child only makes syscalls and exits.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            let ok = nix::sched::unshare(
                extra
                    | CloneFlags::CLONE_NEWNS
                    | CloneFlags::CLONE_NEWPID
                    | CloneFlags::CLONE_NEWIPC
                    | CloneFlags::CLONE_NEWUTS,
            )
            .is_ok()
                && nix::mount::mount(
                    None::<&str>,
                    "/",
                    None::<&str>,
                    MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                    None::<&str>,
                )
                .is_ok()
                && nix::mount::mount(
                    Some("tmpfs"),
                    "/tmp",
                    Some("tmpfs"),
                    MsFlags::empty(),
                    None::<&str>,
                )
                .is_ok();
            std::process::exit(if ok { 0 } else { 1 })
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            matches!(super::ns::wait_code(child), Ok(0))
        }
        Err(_) => false,
    }
}

fn kernel_at_least(major: u32, minor: u32) -> bool {
    let Ok(u) = nix::sys::utsname::uname() else {
        return false;
    };
    let release = u.release().to_string_lossy().to_string();
    let mut it = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse::<u32>().ok());
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        return false;
    };
    (a, b) >= (major, minor)
}
