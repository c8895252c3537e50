//! A foreign-architecture RUN through qemu-user binfmt: `hoist build --platform
//! linux/amd64,linux/arm64` of `RUN uname -m > /arch` over a busybox base made from Debian's
//! arm64 busybox-static, checked per platform (config architecture and the `/arch` it wrote).
//! The test registers the aarch64 handler itself when absent (mounting binfmt_misc if needed)
//! and undoes only what it did; it skips with a reason when binfmt or the .deb is unavailable.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use hoist::oci::digest::Digest;
use hoist::oci::layout::OciLayout;
use hoist::oci::media;

use crate::build_support::*;

const BINFMT: &str = "/proc/sys/fs/binfmt_misc";
const HANDLER: &str = "/proc/sys/fs/binfmt_misc/qemu-aarch64";
const QEMU: &str = "/usr/bin/qemu-aarch64-static";
/// The aarch64 ELF magic and mask, as Debian's qemu-user-static registers them.
const MAGIC: &str =
    r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00";
const MASK: &str =
    r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff";

/// What the test changed in binfmt_misc, undone on drop.
struct Binfmt {
    mounted: bool,
    registered: bool,
}

impl Binfmt {
    /// Make sure an enabled qemu-aarch64 handler exists; Err says why it cannot be.
    fn ensure() -> Result<Binfmt, String> {
        let mut b = Binfmt {
            mounted: false,
            registered: false,
        };
        if !Path::new(BINFMT).join("register").exists() {
            let st = Command::new("mount")
                .args(["-t", "binfmt_misc", "binfmt_misc", BINFMT])
                .status()
                .map_err(|e| format!("mount: {e}"))?;
            if !st.success() {
                return Err(format!("cannot mount binfmt_misc on {BINFMT}"));
            }
            b.mounted = true;
        }
        match fs::read_to_string(HANDLER) {
            Ok(s) if s.starts_with("enabled") => return Ok(b),
            Ok(_) => return Err(format!("{HANDLER} exists but is disabled; not touching it")),
            Err(_) => {}
        }
        if !Path::new(QEMU).is_file() {
            return Err(format!("{QEMU} is missing (install qemu-user-static)"));
        }
        // F: the kernel opens the interpreter now, so it works inside the build's new root.
        let line = format!(":qemu-aarch64:M:0:{MAGIC}:{MASK}:{QEMU}:F");
        fs::write(Path::new(BINFMT).join("register"), line)
            .map_err(|e| format!("registering the aarch64 handler: {e}"))?;
        b.registered = true;
        Ok(b)
    }
}

impl Drop for Binfmt {
    fn drop(&mut self) {
        if self.registered {
            let _ = fs::write(HANDLER, "-1");
        }
        if self.mounted {
            let _ = Command::new("umount").arg(BINFMT).status();
        }
    }
}

/// `bin/busybox` of Debian's busybox-static:arm64, fetched with apt once and kept in
/// target/test-fixtures; Err says why it could not be had.
fn arm64_busybox() -> Result<Vec<u8>, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap_or(Path::new(env!("CARGO_TARGET_TMPDIR")))
        .join("test-fixtures");
    let cached = dir.join("busybox-arm64");
    if let Ok(b) = fs::read(&cached) {
        return Ok(b);
    }
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let sh = |script: &str, cwd: &Path| -> Result<(), String> {
        let o = Command::new("sh")
            .args(["-c", script])
            .current_dir(cwd)
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{script}` failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
    };
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    sh(
        "dpkg --print-foreign-architectures | grep -qx arm64 || \
         { dpkg --add-architecture arm64 && apt-get update -qq; }; \
         apt-get download -qq busybox-static:arm64 2>/dev/null || \
         { apt-get update -qq && apt-get download -qq busybox-static:arm64; }",
        tmp.path(),
    )?;
    sh("dpkg-deb -x busybox-static_*_arm64.deb x", tmp.path())?;
    let bin: PathBuf = tmp.path().join("x/bin/busybox");
    let bytes = fs::read(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    let part = dir.join(format!("busybox-arm64.{}", std::process::id()));
    fs::write(&part, &bytes).map_err(|e| e.to_string())?;
    fs::rename(&part, &cached).map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// `oci:DIR:latest` of an index holding the host (amd64) and arm64 busybox images.
fn two_arch_base(root: &Path, arm64: &[u8]) -> String {
    let host = fs::read("/bin/busybox").unwrap();
    let layout = OciLayout::create(root).unwrap();
    let mut manifests = Vec::new();
    for (arch, bytes) in [("amd64", &host[..]), ("arm64", arm64)] {
        let (digest, size) = write_busybox_image(&layout, bytes, arch, &["uname"]);
        manifests.push(serde_json::json!({
            "mediaType": media::OCI_MANIFEST,
            "digest": digest.to_string(),
            "size": size,
            "platform": {"os": "linux", "architecture": arch},
        }));
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": manifests,
    }))
    .unwrap();
    let digest = layout.write_blob_bytes(&index).unwrap();
    let desc = media::descriptor(media::OCI_INDEX, &digest, index.len() as u64).unwrap();
    layout.set_ref(&desc, Some("latest")).unwrap();
    format!("oci:{}:latest", root.display())
}

#[test]
fn foreign_arch_run_goes_through_qemu() {
    if can_build().is_none() {
        return;
    }
    if hoist::oci::image::Platform::host().architecture != "amd64" {
        eprintln!("note: this test builds amd64+arm64 from an amd64 host; skipping");
        return;
    }
    let arm64 = match arm64_busybox() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("note: no arm64 busybox-static ({e}); skipping");
            return;
        }
    };
    let tmp = tempfile::tempdir().unwrap();
    let base = two_arch_base(&tmp.path().join("base"), &arm64);
    let ctx = tmp.path().join("ctx");
    fs::create_dir(&ctx).unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "ARG BASE\nFROM $BASE\nRUN uname -m > /arch\n",
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let build_in = |home: &Path, platforms: &str, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["build", "--progress=plain", "--isolation=namespaces"])
            .args(extra)
            .args(["--platform", platforms, "--build-arg"])
            .arg(format!("BASE={base}"))
            .arg(&ctx)
            .env("HOIST_HOME", home)
            .output()
            .unwrap()
    };
    let build = |platforms: &str| build_in(home.path(), platforms, &[]);
    // Without a handler, the arm64 RUN fails naming the package that provides one.
    if fs::read_to_string(HANDLER).is_err() {
        let o = build("linux/arm64");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{stderr}");
        assert!(stderr.contains("qemu-user-static"), "{stderr}");
    }
    let _binfmt = match Binfmt::ensure() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("note: no qemu-aarch64 binfmt handler ({e}); skipping");
            return;
        }
    };
    let o = build("linux/amd64,linux/arm64");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // Each platform's steps are labelled with it, as buildx does.
    for p in ["linux/amd64", "linux/arm64"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&format!("[{p} ")) && l.contains("RUN uname -m")),
            "no {p} RUN step in: {stderr}"
        );
    }
    let digest: Digest = String::from_utf8(o.stdout).unwrap().trim().parse().unwrap();
    let store = hoist::oci::Store::open(home.path()).unwrap();
    let idx: serde_json::Value =
        serde_json::from_slice(&store.read_blob(&digest).unwrap()).unwrap();
    let mut seen = Vec::new();
    for m in idx["manifests"].as_array().unwrap() {
        let arch = m["platform"]["architecture"].as_str().unwrap();
        let d: Digest = m["digest"].as_str().unwrap().parse().unwrap();
        assert_eq!(config_of(home.path(), &d).architecture, arch);
        let (code, out) = run_image(
            home.path(),
            &d,
            Some(vec!["cat".to_string(), "/arch".to_string()]),
        );
        assert_eq!(code, 0, "{out}");
        let want = if arch == "arm64" { "aarch64" } else { "x86_64" };
        assert_eq!(out.trim(), want, "/arch of the {arch} image");
        seen.push(arch.to_string());
    }
    assert_eq!(seen, ["amd64", "arm64"]);
    // One platform at a time (own store) gives the same index as the concurrent build.
    let home1 = tempfile::tempdir().unwrap();
    let o = build_in(home1.path(), "linux/amd64,linux/arm64", &["--jobs", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap().trim(),
        digest.to_string()
    );
}
