//! Shared fixtures of the `hoist build` tests: a one-layer busybox base image (from Debian's
//! busybox-static) in an OCI layout made once per test run with `oci::assemble`, a runner for
//! `hoist build` with its own store, and a way to run a built image's command in the sandbox.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use hoist::build::sandbox::{self, Isolation, NetworkMode, RunOptions, RunSpec, UserIds};
use hoist::oci::assemble::{assemble, History, ImageConfig, LayerRef};
use hoist::oci::digest::Digest;
use hoist::oci::layer::{EntryKind, EntryMeta, LayerEntry, LayerOptions, LayerWriter};
use hoist::oci::layout::OciLayout;
use hoist::oci::media::{self, MediaFlavor};
use hoist::oci::Store;

const APPLETS: &[&str] = &[
    "sh", "cat", "echo", "ls", "id", "mkdir", "touch", "rm", "chmod", "stat", "wc", "test", "cp",
    "pwd", "env", "true", "false", "sleep", "whoami", "printf", "grep",
];

fn meta(mode: u32) -> EntryMeta {
    EntryMeta {
        mode,
        uid: 0,
        gid: 0,
        mtime: 1_700_000_000,
        xattrs: BTreeMap::new(),
    }
}

fn dir(w: &mut LayerWriter<Vec<u8>>, p: &str, mode: u32) {
    w.append(
        &LayerEntry {
            path: PathBuf::from(p),
            kind: EntryKind::Dir,
            meta: meta(mode),
        },
        None,
    )
    .unwrap();
}

fn file(w: &mut LayerWriter<Vec<u8>>, p: &str, data: &[u8], mode: u32) {
    let mut r = data;
    w.append(
        &LayerEntry {
            path: PathBuf::from(p),
            kind: EntryKind::File {
                size: data.len() as u64,
            },
            meta: meta(mode),
        },
        Some(&mut r),
    )
    .unwrap();
}

/// `oci:DIR:latest` of the busybox base, or None (with a note) without busybox-static.
pub fn busybox() -> Option<&'static str> {
    static BASE: OnceLock<Option<String>> = OnceLock::new();
    BASE.get_or_init(|| {
        let bb = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .find(|p| Path::new(p).is_file())?;
        let bytes = std::fs::read(bb).ok()?;
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("hoist-it-busybox-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let layout = OciLayout::create(&root).unwrap();
        let arch = hoist::oci::image::Platform::host().architecture;
        let (digest, size) = write_busybox_image(&layout, &bytes, &arch, &[]);
        let desc = media::descriptor(media::OCI_MANIFEST, &digest, size).unwrap();
        layout.set_ref(&desc, Some("latest")).unwrap();
        Some(format!("oci:{}:latest", root.display()))
    })
    .as_deref()
    .or_else(|| {
        eprintln!("note: busybox-static is not installed; skipping");
        None
    })
}

/// Write into `layout` a one-layer busybox image for `arch` whose `/bin/busybox` is `bytes`;
/// `extra_applets` are linked besides the usual ones. Returns the manifest's digest and size (no
/// tag is set).
pub fn write_busybox_image(
    layout: &OciLayout,
    bytes: &[u8],
    arch: &str,
    extra_applets: &[&str],
) -> (Digest, u64) {
    let mut w = LayerWriter::new(Vec::new(), &LayerOptions::default()).unwrap();
    dir(&mut w, "bin", 0o755);
    file(&mut w, "bin/busybox", bytes, 0o755);
    let mut applets: Vec<&str> = APPLETS.to_vec();
    applets.extend_from_slice(extra_applets);
    applets.sort();
    for a in applets {
        w.append(
            &LayerEntry {
                path: PathBuf::from(format!("bin/{a}")),
                kind: EntryKind::Symlink {
                    target: PathBuf::from("busybox"),
                },
                meta: meta(0o777),
            },
            None,
        )
        .unwrap();
    }
    dir(&mut w, "etc", 0o755);
    file(
        &mut w,
        "etc/group",
        b"root:x:0:\nstaff:x:50:bob\nbob:x:1000:\n",
        0o644,
    );
    file(
        &mut w,
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000:bob:/home/bob:/bin/sh\n",
        0o644,
    );
    dir(&mut w, "home", 0o755);
    dir(&mut w, "home/bob", 0o755);
    dir(&mut w, "root", 0o700);
    dir(&mut w, "tmp", 0o1777);
    let (blob, info) = w.finish().unwrap();
    let digest = layout.write_blob_bytes(&blob).unwrap();
    let mut config = ImageConfig::scratch("linux", arch, None);
    config.config.env = vec!["PATH=/bin".to_string()];
    config.config.cmd = Some(vec!["sh".to_string()]);
    config.push_layer(
        info.diff_id.clone(),
        History {
            created_by: Some("busybox-static".to_string()),
            ..History::default()
        },
    );
    let image = assemble(
        &config,
        &[LayerRef {
            media_type: media::OCI_LAYER_GZIP.to_string(),
            digest,
            size: blob.len() as u64,
            diff_id: info.diff_id,
        }],
        &BTreeMap::new(),
        MediaFlavor::Oci,
    )
    .unwrap();
    layout.write_blob_bytes(&image.config.bytes).unwrap();
    layout.write_blob_bytes(&image.manifest.bytes).unwrap();
    (image.manifest.digest, image.manifest.bytes.len() as u64)
}

/// Root (and so namespaces) is what these tests need; others skip.
pub fn can_build() -> Option<&'static str> {
    if !hoist::oci::unpack::is_root() {
        eprintln!("note: the build tests run as root; skipping");
        return None;
    }
    busybox()
}

/// `hoist build` with the store at `home`, the busybox base as `BASE`, extra args, context last
/// (namespaces isolation unless `args` choose one).
pub fn hoist_build(home: &Path, args: &[&str], context: &Path) -> Output {
    let base = busybox().unwrap_or_default();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.arg("build").arg("--progress=plain");
    if !args.iter().any(|a| a.starts_with("--isolation")) {
        cmd.arg("--isolation=namespaces");
    }
    cmd.arg("--build-arg")
        .arg(format!("BASE={base}"))
        .args(args)
        .arg(context)
        .env("HOIST_HOME", home)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

/// Any hoist command with the store at `home`.
pub fn hoist(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .env("HOIST_HOME", home)
        .output()
        .unwrap()
}

/// [`hoist`] asserting success; returns stdout.
pub fn hoist_ok(home: &Path, args: &[&str]) -> String {
    let out = hoist(home, args);
    assert!(
        out.status.success(),
        "hoist {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Like [`hoist_build`] but asserting success; returns (digest, stderr).
pub fn build_ok(home: &Path, args: &[&str], context: &Path) -> (Digest, String) {
    let out = hoist_build(home, args, context);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "hoist build {args:?} {}: {stderr}",
        context.display()
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    (stdout.trim().parse().unwrap(), stderr)
}

/// The example directory `examples/build/NAME`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/build")
        .join(name)
}

/// The config of the store image `digest`.
pub fn config_of(home: &Path, digest: &Digest) -> ImageConfig {
    let store = Store::open(home).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&store.read_blob(digest).unwrap()).unwrap();
    let cd: Digest = m["config"]["digest"].as_str().unwrap().parse().unwrap();
    ImageConfig::from_bytes(&store.read_blob(&cd).unwrap(), &cd).unwrap()
}

/// Run `argv` (default: the image's entrypoint + cmd) of the store image `digest` in the
/// sandbox; returns (exit code, stdout+stderr).
pub fn run_image(home: &Path, digest: &Digest, argv: Option<Vec<String>>) -> (i32, String) {
    let store = Store::open(home).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&store.read_blob(digest).unwrap()).unwrap();
    let config = config_of(home, digest);
    let mut lowers = Vec::new();
    for (l, diff) in m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&config.rootfs.diff_ids)
    {
        let blob: Digest = l["digest"].as_str().unwrap().parse().unwrap();
        lowers.push(store.unpack_layer(&blob, diff).unwrap());
    }
    lowers.reverse();
    let argv = argv.unwrap_or_else(|| {
        let mut v = config.config.entrypoint.clone().unwrap_or_default();
        v.extend(config.config.cmd.clone().unwrap_or_default());
        v
    });
    let tmp = tempfile::tempdir().unwrap();
    let (upper, work) = (tmp.path().join("u"), tmp.path().join("w"));
    std::fs::create_dir(&upper).unwrap();
    std::fs::create_dir(&work).unwrap();
    let spec = RunSpec {
        lowers,
        upper,
        work,
        argv,
        env: config
            .config
            .env
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: if config.config.working_dir.is_empty() {
            "/".to_string()
        } else {
            config.config.working_dir.clone()
        },
        user: UserIds {
            uid: 0,
            gid: 0,
            additional_gids: Vec::new(),
        },
        hostname: "test".to_string(),
        network: NetworkMode::None,
        mounts: Vec::new(),
        isolation: Isolation::Namespaces,
    };
    let opts = RunOptions {
        helper: Some(vec![OsString::from(env!("CARGO_BIN_EXE_hoist"))]),
    };
    let mut out = Vec::new();
    let outcome = sandbox::run_with(&spec, &opts, &mut |_, b| out.extend_from_slice(b))
        .unwrap_or_else(|e| panic!("running {:?} in the sandbox: {e}", spec.argv));
    (
        outcome.exit_code,
        String::from_utf8_lossy(&out).into_owned(),
    )
}

/// Step lines marked CACHED, as the instruction text of each (`[stage k/n] TEXT`).
pub fn cached_steps(stderr: &str) -> Vec<String> {
    let mut titles: BTreeMap<String, String> = BTreeMap::new();
    let mut cached = Vec::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((id, text)) = rest.split_once(' ') else {
            continue;
        };
        if text.starts_with('[') {
            let title = text.split_once("] ").map(|(_, t)| t).unwrap_or(text);
            titles.insert(id.to_string(), title.to_string());
        } else if text == "CACHED" {
            cached.push(titles.get(id).cloned().unwrap_or_default());
        }
    }
    cached
}

/// Steps that ran (were not cached), FROM excluded.
pub fn ran_steps(stderr: &str) -> Vec<String> {
    let mut titles: BTreeMap<String, String> = BTreeMap::new();
    let mut done = Vec::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((id, text)) = rest.split_once(' ') else {
            continue;
        };
        if text.starts_with('[') {
            let title = text.split_once("] ").map(|(_, t)| t).unwrap_or(text);
            titles.insert(id.to_string(), title.to_string());
        } else if text.starts_with("DONE") {
            let t = titles.get(id).cloned().unwrap_or_default();
            if !t.starts_with("FROM") {
                done.push(t);
            }
        }
    }
    done
}
