//! Real roots for the SBOM tests, made with the native tools and cached under
//! `target/test-fixtures/` (made once per machine, under a lock, shared by every test and by
//! `benches/sbom.sh`): a Debian minbase root (debootstrap) and the same root as a one-layer OCI
//! image, a `pip install --target` tree, an `npm install` tree. A fixture whose tool or mirror
//! is missing is `None` and the test prints why it skips.
#![allow(dead_code)]

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use hoist::oci::digest::digest_bytes;
use hoist::oci::json::to_canonical_vec;
use hoist::oci::layer::{write_dir, Compression, LayerOptions, WalkOptions};
use hoist::oci::layout::OciLayout;
use hoist::oci::media;
use serde_json::json;

const COMPLETE: &str = ".hoist-fixture-complete";

/// `target/test-fixtures`.
pub fn fixtures_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let d = target.join("test-fixtures");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The fixture `name`, made by `make(tmp_dir)` once: other processes wait on a lock; a
/// fixture dir is only visible once complete. `make` returns Err(reason) to skip.
pub fn cached(name: &str, make: impl FnOnce(&Path) -> Result<(), String>) -> Option<PathBuf> {
    let base = fixtures_dir();
    let dir = base.join(name);
    if dir.join(COMPLETE).exists() {
        return Some(dir);
    }
    let lock = File::create(base.join(format!("{name}.lock"))).unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).unwrap();
    if dir.join(COMPLETE).exists() {
        return Some(dir);
    }
    let tmp = base.join(format!("{name}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&tmp).unwrap();
    match make(&tmp) {
        Ok(()) => {
            File::create(tmp.join(COMPLETE)).unwrap();
            std::fs::rename(&tmp, &dir).unwrap();
            Some(dir)
        }
        Err(reason) => {
            let _ = std::fs::remove_dir_all(&tmp);
            eprintln!("skipping: fixture {name}: {reason}");
            None
        }
    }
}

/// Runs `cmd`, Err(stderr) on failure.
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `rpmbuild -bb SPEC` with `top` as its `_topdir`.
pub fn rpmbuild(top: &Path, spec: &Path) -> Result<String, String> {
    run(Command::new("rpmbuild")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .args(["--define", "_build_id_links none", "-bb"])
        .arg(spec))
}

/// True when `tool` is on PATH.
pub fn have(tool: &str) -> bool {
    crate::oci_fixtures::tool(tool).is_some()
}

/// The first Debian mirror URI of the machine's apt sources (deb822 or one-line style).
fn debian_mirror() -> String {
    let mut texts = vec![std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default()];
    if let Ok(rd) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            texts.push(std::fs::read_to_string(f).unwrap_or_default());
        }
    }
    for t in texts {
        for line in t.lines() {
            let line = line.trim();
            let uri = if let Some(u) = line.strip_prefix("URIs:") {
                u.split_whitespace().next()
            } else if line.starts_with("deb ") {
                line.split_whitespace()
                    .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            } else {
                None
            };
            if let Some(u) = uri {
                if !u.contains("security") {
                    return u.to_string();
                }
            }
        }
    }
    "http://deb.debian.org/debian".to_string()
}

/// A Debian 12 minbase root made by debootstrap.
pub fn debian_root() -> Option<PathBuf> {
    cached("debian-minbase", |tmp| {
        if !Path::new("/usr/sbin/debootstrap").exists() {
            return Err("debootstrap is not installed (apt-get install debootstrap)".into());
        }
        let mirror = debian_mirror();
        let release = format!("{}/dists/bookworm/Release", mirror.trim_end_matches('/'));
        run(Command::new("curl").args(["-fsS", "-o", "/dev/null", "--max-time", "20", &release]))
            .map_err(|e| format!("mirror {mirror} unreachable: {e}"))?;
        run(Command::new("/usr/sbin/debootstrap").args([
            "--variant=minbase",
            "bookworm",
            tmp.to_str().unwrap(),
            &mirror,
        ]))?;
        Ok(())
    })
}

/// The Debian root as a one-layer OCI image (zstd) in a layout, tagged `minbase`.
pub fn debian_layout() -> Option<PathBuf> {
    let root = debian_root()?;
    cached("debian-minbase-layout", |tmp| {
        let layout = OciLayout::create(tmp).map_err(|e| e.to_string())?;
        let blob_tmp = tmp.join("layer.tmp");
        let opts = LayerOptions {
            compression: Compression::Zstd { level: 3 },
            ..LayerOptions::default()
        };
        let walk = WalkOptions {
            xattrs: false,
            overlay_whiteouts: false,
        };
        let f = File::create(&blob_tmp).unwrap();
        let (_, info) = write_dir(&root, f, &opts, &walk).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(tmp.join("blobs/sha256")).unwrap();
        std::fs::rename(&blob_tmp, tmp.join("blobs/sha256").join(info.digest.hex())).unwrap();
        let config = to_canonical_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/bash"]},
            "rootfs": {"type": "layers", "diff_ids": [info.diff_id.to_string()]},
            "history": [{"created_by": "debootstrap --variant=minbase bookworm"}],
        }))
        .unwrap();
        let config_digest = layout.write_blob_bytes(&config).unwrap();
        let manifest = to_canonical_vec(&json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": {"mediaType": media::OCI_CONFIG, "digest": config_digest.to_string(), "size": config.len()},
            "layers": [{"mediaType": media::OCI_LAYER_ZSTD, "digest": info.digest.to_string(), "size": info.size}],
        }))
        .unwrap();
        layout.write_blob_bytes(&manifest).unwrap();
        let d = digest_bytes(&manifest);
        let desc = media::descriptor(media::OCI_MANIFEST, &d, manifest.len() as u64).unwrap();
        layout.set_ref(&desc, Some("minbase")).unwrap();
        Ok(())
    })
}

/// `pip install --target ROOT/app/site-packages six idna` (pure-Python wheels).
pub fn python_root() -> Option<PathBuf> {
    cached("python-site", |tmp| {
        let pip = ["pip3", "pip"]
            .into_iter()
            .find(|p| have(p))
            .ok_or("pip is not installed")?;
        let target = tmp.join("app/site-packages");
        run(Command::new(pip).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            target.to_str().unwrap(),
            "six==1.16.0",
            "idna==3.7",
            "attrs==23.2.0",
        ]))?;
        Ok(())
    })
}

/// `npm install` of a few small packages (one nested, one scoped) in ROOT/app.
pub fn npm_root() -> Option<PathBuf> {
    cached("npm-tree", |tmp| {
        if !have("npm") {
            return Err("npm is not installed".into());
        }
        let app = tmp.join("app");
        std::fs::create_dir_all(&app).unwrap();
        let mut f = File::create(app.join("package.json")).unwrap();
        f.write_all(br#"{"name":"sbom-fixture","version":"1.0.0","private":true}"#)
            .unwrap();
        run(Command::new("npm").current_dir(&app).args([
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "is-number@7.0.0",
            "@sindresorhus/is@4.6.0",
            "debug@4.3.4",
            "ms@2.0.0",
        ]))?;
        Ok(())
    })
}
