//! A COPY whose files no later step needs on disk is written straight from the context into
//! the layer tar (no layer directory): the layer is byte-identical to the materialized one,
//! `type=local` shows every file byte-exact, and a later build whose RUN needs the files
//! extracts the layer from its blob on first use.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use hoist::oci::Digest;
use sha2::{Digest as _, Sha256};

use crate::build_support::*;

/// A context exercising the layer order (`a-c` sorts after `a/…` in a layer, before it as a
/// string), hardlinks whose first path in layer order is not the first planned one, a
/// symlink, a setuid file, an empty directory and a file larger than the writer's buffer.
fn context(dir: &Path) {
    let s = dir.join("src");
    for d in ["a/b", "a-c", "a/empty", "z"] {
        fs::create_dir_all(s.join(d)).unwrap();
    }
    fs::write(s.join("a/b/f"), "hardlinked\n").unwrap();
    fs::write(s.join("a-c/g"), "g\n").unwrap();
    fs::hard_link(s.join("a-c/g"), s.join("a/b/g-link")).unwrap();
    fs::hard_link(s.join("a/b/f"), s.join("z/f-link")).unwrap();
    std::os::unix::fs::symlink("../a/b/f", s.join("z/sym")).unwrap();
    fs::write(s.join("a.txt"), "setuid\n").unwrap();
    fs::set_permissions(s.join("a.txt"), fs::Permissions::from_mode(0o4755)).unwrap();
    let big: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(s.join("big.bin"), big).unwrap();
}

fn layers_of(home: &Path, digest: &Digest) -> Vec<(String, String)> {
    let store = hoist::oci::store::Store::open(home).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&store.read_blob(digest).unwrap()).unwrap();
    let cd: Digest = m["config"]["digest"].as_str().unwrap().parse().unwrap();
    let c: serde_json::Value = serde_json::from_slice(&store.read_blob(&cd).unwrap()).unwrap();
    let blobs = m["layers"].as_array().unwrap().iter();
    let diffs = c["rootfs"]["diff_ids"].as_array().unwrap().iter();
    blobs
        .zip(diffs)
        .map(|(b, d)| {
            (
                b["digest"].as_str().unwrap().to_string(),
                d.as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn unpacked(home: &Path, diff_id: &str) -> bool {
    let hex = diff_id.trim_start_matches("sha256:");
    home.join("layers/sha256")
        .join(hex)
        .join("complete")
        .exists()
}

/// Every file, link and directory under `src` is in `out` with the same bytes, mode and
/// link target; hardlinked sources are hardlinked in `out` too.
fn same_tree(src: &Path, out: &Path) {
    let mut n = 0;
    let mut stack = vec![std::path::PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for e in fs::read_dir(src.join(&rel)).unwrap().flatten() {
            let r = rel.join(e.file_name());
            let (a, b) = (src.join(&r), out.join(&r));
            let (ma, mb) = (
                fs::symlink_metadata(&a).unwrap(),
                fs::symlink_metadata(&b).unwrap_or_else(|_| panic!("{} missing", r.display())),
            );
            assert_eq!(ma.file_type(), mb.file_type(), "{}", r.display());
            if ma.is_dir() {
                stack.push(r);
                continue;
            }
            n += 1;
            if ma.file_type().is_symlink() {
                assert_eq!(fs::read_link(&a).unwrap(), fs::read_link(&b).unwrap());
            } else {
                assert_eq!(
                    fs::read(&a).unwrap(),
                    fs::read(&b).unwrap(),
                    "{}",
                    r.display()
                );
                assert_eq!(ma.mode() & 0o7777, mb.mode() & 0o7777, "{}", r.display());
                assert_eq!(ma.nlink() > 1, mb.nlink() > 1, "{}", r.display());
            }
        }
    }
    assert_eq!(n, 7);
    let ino = |p: &str| fs::metadata(out.join(p)).unwrap().ino();
    assert_eq!(ino("a/b/f"), ino("z/f-link"));
    assert_eq!(ino("a-c/g"), ino("a/b/g-link"));
}

#[test]
fn copy_only_final_step_streams_the_same_layer_and_unpacks_on_first_use() {
    if can_build().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ctx = tmp.path().join("ctx");
    context(&ctx);
    fs::write(
        ctx.join("Dockerfile"),
        "ARG BASE\nFROM $BASE\nCOPY src/ /dst/\n",
    )
    .unwrap();
    // A later WORKDIR needs the files on disk: the same COPY is materialized there.
    fs::write(
        ctx.join("Dockerfile.dir"),
        "ARG BASE\nFROM $BASE\nCOPY src/ /dst/\nWORKDIR /dst\n",
    )
    .unwrap();
    let streamed_home = tmp.path().join("streamed");
    let (streamed, _) = build_ok(&streamed_home, &[], &ctx);
    let materialized_home = tmp.path().join("materialized");
    let dir_df = ctx.join("Dockerfile.dir").display().to_string();
    let (materialized, _) = build_ok(&materialized_home, &["-f", &dir_df], &ctx);
    let s = layers_of(&streamed_home, &streamed);
    let m = layers_of(&materialized_home, &materialized);
    assert_eq!(s.len(), 2);
    assert_eq!(s[1], m[1], "streamed and materialized COPY layers differ");
    assert!(unpacked(&materialized_home, &m[1].1));
    assert!(
        !unpacked(&streamed_home, &s[1].1),
        "the final COPY was unpacked although nothing needed it"
    );
    // Nothing half-written stays behind in the store's scratch space.
    let leftovers: Vec<_> = fs::read_dir(streamed_home.join("tmp"))
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "left in tmp/: {leftovers:?}");

    // type=local: every file byte-exact.
    let out = tmp.path().join("out");
    build_ok(
        &streamed_home,
        &["-o", &format!("type=local,dest={}", out.display())],
        &ctx,
    );
    same_tree(&ctx.join("src"), &out.join("dst"));

    // A later build reuses the cached COPY and RUNs on it: the layer is extracted then.
    fs::write(
        ctx.join("Dockerfile.run"),
        "ARG BASE\nFROM $BASE\nCOPY src/ /dst/\n\
         RUN cd /dst && sha256sum a/b/f a-c/g big.bin z/f-link > /sums && ls -l z/sym >> /sums\n",
    )
    .unwrap();
    let run_out = tmp.path().join("run-out");
    let run_df = ctx.join("Dockerfile.run").display().to_string();
    let (_, stderr) = build_ok(
        &streamed_home,
        &[
            "-f",
            &run_df,
            "-o",
            &format!("type=local,dest={}", run_out.display()),
        ],
        &ctx,
    );
    assert!(
        cached_steps(&stderr).iter().any(|t| t.starts_with("COPY")),
        "{stderr}"
    );
    assert!(unpacked(&streamed_home, &s[1].1));
    let sums = fs::read_to_string(run_out.join("sums")).unwrap();
    for f in ["a/b/f", "a-c/g", "big.bin", "z/f-link"] {
        let bytes = fs::read(ctx.join("src").join(f)).unwrap();
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(sums.contains(&format!("{hex}  {f}")), "{f}: {sums}");
    }
    assert!(sums.contains("z/sym -> ../a/b/f"), "{sums}");
}

/// SIGKILL while the layer is being streamed: the store keeps no partial blob under a digest
/// name, and the rebuild gives the uninterrupted build's image.
#[test]
fn killed_while_streaming_leaves_no_half_layer() {
    let Some(base) = can_build() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ctx = tmp.path().join("ctx");
    fs::create_dir_all(ctx.join("src")).unwrap();
    // Incompressible, so the blob grows with every file byte read.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let big: Vec<u8> = (0..48 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    fs::write(ctx.join("src/big.bin"), big).unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "ARG BASE\nFROM $BASE\nCOPY src/ /dst/\n",
    )
    .unwrap();
    let (want, _) = build_ok(&tmp.path().join("reference"), &[], &ctx);
    let home = tmp.path().join("killed");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["build", "-q", "--isolation=namespaces", "--build-arg"])
        .arg(format!("BASE={base}"))
        .arg(&ctx)
        .env("HOIST_HOME", &home)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a blob being written holds more than the base's layer could.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut caught = false;
    while std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        let growing = fs::read_dir(home.join("tmp"))
            .map(|rd| {
                rd.flatten().any(|e| {
                    e.file_name().to_string_lossy().starts_with("blob-")
                        && e.metadata().is_ok_and(|m| m.len() > 8 << 20)
                })
            })
            .unwrap_or(false);
        if growing {
            let _ = child.kill();
            caught = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.wait().unwrap();
    assert!(caught, "the build ended before the layer was half written");
    for e in fs::read_dir(home.join("blobs/sha256")).unwrap().flatten() {
        let bytes = fs::read(e.path()).unwrap();
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(e.file_name().to_string_lossy(), hex, "a torn blob");
    }
    let (got, _) = build_ok(&home, &[], &ctx);
    assert_eq!(got, want);
}
