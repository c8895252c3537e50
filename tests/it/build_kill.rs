//! `hoist build` killed with SIGKILL at random points: every rebuild in the same store gives
//! the uninterrupted build's digest and a runnable image, every blob the store shows hashes to
//! its name, and no mount or helper process of the killed build stays behind.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::build_support::*;

/// xorshift64*: enough randomness for delays; the seed is printed to replay a failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Kills that must land while the build runs.
const KILLS: usize = 20;

/// Processes whose environment carries `marker` (the killed build and its helpers inherit it)
/// or whose process group is `pgid` (the build was its group's leader; a RUN step's process
/// with a cleared environment stays in it unless it made a session of its own).
fn marked_processes(marker: &str, pgid: u32) -> Vec<String> {
    let needle = marker.as_bytes();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid pgrp …; comm may hold spaces, so split after its ')'.
        let group = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(2))
            .and_then(|g| g.parse::<u32>().ok());
        if env.windows(needle.len()).any(|w| w == needle) || group == Some(pgid) {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            found.push(format!("{name}: {}", String::from_utf8_lossy(&cmd)));
        }
    }
    found
}

/// Every blob in the store hashes to its name.
fn blobs_sound(home: &Path) {
    let dir = home.join("blobs/sha256");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in rd.flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            e.file_name().to_string_lossy(),
            hex,
            "a blob of {} does not match its name",
            home.display()
        );
    }
}

fn mountinfo_mentions(path: &Path) -> Vec<String> {
    let p = path.to_string_lossy().into_owned();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| l.contains(&p))
        .map(str::to_string)
        .collect()
}

#[test]
fn sigkill_at_random_points_then_rebuild_gives_the_same_image() {
    let Some(base) = can_build() else { return };
    let ctx = example("multistage");
    let reference = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (want, _) = build_ok(reference.path(), &[], &ctx);
    let cold = started.elapsed();
    let (code, want_out) = run_image(reference.path(), &want, None);
    assert_eq!(code, 0, "{want_out}");
    let seed = std::env::var("HOIST_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("kill loop: cold build {cold:?}, HOIST_KILL_SEED={seed}");
    let mut rng = Rng(seed);
    // Half of the kills hit a cold store, half a store that holds an earlier complete build
    // being redone with --no-cache (overwriting what exists).
    let warm = tempfile::tempdir().unwrap();
    build_ok(warm.path(), &[], &ctx);
    // Delays are drawn below `window`, first 1.2× the reference cold build; a kill that
    // finds the build already finished shows the build takes less than that delay, so the
    // window shrinks to it. The loop runs until KILLS kills hit a running build (a loaded
    // machine only makes it take more attempts), with a bound on the attempts.
    let mut window = cold.as_micros() as u64 * 12 / 10 + 1;
    let mut killed_running = 0;
    let mut i = 0;
    while killed_running < KILLS {
        assert!(
            i < KILLS * 5,
            "only {killed_running} of {i} kills hit a running build (window {window} µs)"
        );
        let cold_home = tempfile::tempdir().unwrap();
        let (home, extra): (&Path, &[&str]) = if i % 2 == 0 {
            (cold_home.path(), &[])
        } else {
            (warm.path(), &["--no-cache"])
        };
        let marker = format!("HOIST_KILL_TEST={}-{i}-{seed}", std::process::id());
        let (mk, mv) = marker.split_once('=').unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["build", "--progress=plain", "--isolation=namespaces"])
            .arg("--build-arg")
            .arg(format!("BASE={base}"))
            .args(extra)
            .arg(&ctx)
            .env("HOIST_HOME", home)
            .env(mk, mv)
            .env_remove("SOURCE_DATE_EPOCH")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let delay = Duration::from_micros(rng.next() % window);
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_running += 1;
        } else {
            window = (delay.as_micros() as u64).max(1_000);
        }
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        child.wait().unwrap();
        // Helpers die with the build (parent-death signal); give the kernel a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut left = marked_processes(&marker, child.id());
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            left = marked_processes(&marker, child.id());
        }
        assert!(
            left.is_empty(),
            "kill {i} after {delay:?}: processes left: {left:?}"
        );
        let mounts = mountinfo_mentions(home);
        assert!(
            mounts.is_empty(),
            "kill {i} after {delay:?}: mounts left: {mounts:?}"
        );
        blobs_sound(home);
        let (got, _) = build_ok(home, &[], &ctx);
        assert_eq!(got, want, "kill {i} after {delay:?}: rebuild differs");
        blobs_sound(home);
        let (code, out) = run_image(home, &got, None);
        assert_eq!(
            (code, out.as_str()),
            (0, want_out.as_str()),
            "kill {i} after {delay:?}"
        );
        i += 1;
    }
    eprintln!("kill loop: {killed_running} kills of running builds in {i} attempts");
}
