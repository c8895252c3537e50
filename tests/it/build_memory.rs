//! Memory bound of `hoist build`: a COPY of a 2 GiB file and a COPY of a 20 000-file tree each
//! stay under 150 MB of peak RSS. The peak is the kernel's `ru_maxrss` of the build process
//! (and the children it waited for), read with `getrusage(RUSAGE_CHILDREN)` in a probe process
//! whose only child is the build (the test binary re-run on [`rss_probe`]), so builds other
//! tests run in parallel in this process do not count.

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// The bound the issue sets, in KiB.
const LIMIT_KIB: i64 = 150 * 1000;

const PROBE_ENV: &str = "HOIST_RSS_PROBE_ARGS";

/// Probe, run by [`peak_rss_kib`] in a process of its own (ignored in normal runs): runs
/// `hoist` with the unit-separator (U+001F) separated arguments of `HOIST_RSS_PROBE_ARGS`, waits for it and prints
/// `maxrss_kib=N exit=C`.
#[test]
#[ignore = "a probe run by the build_memory tests in a process of its own"]
fn rss_probe() {
    let args = std::env::var(PROBE_ENV)
        .unwrap_or_else(|_| panic!("{PROBE_ENV} is not set: this probe is run by build_memory"));
    let status = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args.split('\u{1f}'))
        .status()
        .unwrap();
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    println!(
        "maxrss_kib={} exit={}",
        usage.max_rss(),
        status.code().unwrap_or(-1)
    );
}

/// `hoist build` of `ctx` with the store at `home`: (exit code, peak RSS in KiB).
fn peak_rss_kib(home: &Path, ctx: &Path) -> (i32, i64) {
    let args = ["build", "--progress=plain", "-q", ctx.to_str().unwrap()].join("\u{1f}");
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "build_memory::rss_probe",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROBE_ENV, args)
        .env("HOIST_HOME", home)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kib="))
        .unwrap_or_else(|| {
            panic!(
                "probe printed no maxrss: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let (rss, code) = line.split_once(" exit=").unwrap();
    (code.parse().unwrap(), rss.parse().unwrap())
}

/// Builds `FROM scratch` + `copy` in `ctx` with a new store (returned): it succeeds and its
/// peak RSS stays under the bound.
fn build_within_limit(what: &str, ctx: &Path, copy: &str) -> tempfile::TempDir {
    let home = big_tempdir();
    std::fs::write(ctx.join("Dockerfile"), format!("FROM scratch\n{copy}\n")).unwrap();
    let (code, kib) = peak_rss_kib(home.path(), ctx);
    eprintln!("{what}: peak RSS {kib} KiB");
    assert_eq!(code, 0, "{what}: the build failed");
    assert!(kib < LIMIT_KIB, "{what}: peak RSS {kib} KiB");
    home
}

/// A temporary directory on the target's disk (the 2 GiB file does not belong in a tmpfs).
fn big_tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

#[test]
fn copy_of_a_2gib_file_stays_under_150mb() {
    // FROM scratch + COPY: no RUN, so no sandbox and no base image needed.
    let ctx = big_tempdir();
    // Real bytes (not a sparse hole): text-like lines, so the layer compresses quickly.
    let mut block = Vec::with_capacity(1 << 20);
    let mut i = 0u64;
    while block.len() < (1 << 20) {
        block.extend_from_slice(format!("line {i:010} of a big context file\n").as_bytes());
        i += 1;
    }
    block.truncate(1 << 20);
    let big = ctx.path().join("big.bin");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    for n in 0..2048u32 {
        // Each MiB differs from the others (a counter in front), so no two blocks are equal.
        block[..4].copy_from_slice(&n.to_be_bytes());
        f.write_all(&block).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    let home = build_within_limit(
        "COPY of a 2 GiB file",
        ctx.path(),
        "COPY big.bin /data/big.bin",
    );
    // The layer really holds the file (the final COPY is written straight into its blob).
    let found = layer_files(home.path())
        .into_iter()
        .any(|(p, size)| p == "data/big.bin" && size == 2 << 30);
    assert!(found, "no layer blob holds all of data/big.bin");
    drop(ctx);
    drop(home);
}

/// Regular files (path, size) of every gzip layer blob in the store at `home`.
fn layer_files(home: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for blob in walk(&home.join("blobs")) {
        let mut f = std::fs::File::open(&blob).unwrap();
        let mut magic = [0u8; 2];
        if std::io::Read::read_exact(&mut f, &mut magic).is_err() || magic != [0x1f, 0x8b] {
            continue;
        }
        let f = std::fs::File::open(&blob).unwrap();
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            if e.header().entry_type() == tar::EntryType::Regular {
                let p = e.path().unwrap().to_string_lossy().into_owned();
                out.push((p, e.header().size().unwrap()));
            }
        }
    }
    out
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn copy_of_a_20k_file_tree_stays_under_150mb() {
    let ctx = big_tempdir();
    let tree = ctx.path().join("tree");
    for d in 0..200 {
        let dir = tree.join(format!("dir{d:03}/sub"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..100 {
            std::fs::write(dir.join(format!("file{f:03}.txt")), format!("{d}/{f}\n")).unwrap();
        }
    }
    let home = build_within_limit("COPY of a 20k-file tree", ctx.path(), "COPY tree /tree");
    let copied = layer_files(home.path())
        .iter()
        .filter(|(p, _)| p.starts_with("tree/"))
        .count();
    assert_eq!(copied, 20_000);
}
