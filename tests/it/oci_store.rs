//! Content store tests: verification, atomicity, concurrency (threads and processes),
//! killed writers, unpacked layers and prune.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hoist::oci::digest::{digest_bytes, Digest};
use hoist::oci::json::to_canonical_vec;
use hoist::oci::{Expected, LayerOptions, Store, StoreError, WalkOptions};

/// Environment variable that turns the `child_process_entry` helper into a real child.
const CHILD: &str = "HOIST_STORE_TEST_CHILD";

fn payload(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn set_old(path: &Path) {
    set_mtime(path, SystemTime::now() - Duration::from_secs(3600));
}

fn set_mtime(path: &Path, when: SystemTime) {
    let f = fs::File::options()
        .write(true)
        .open(path)
        .or_else(|_| fs::File::open(path))
        .unwrap();
    f.set_modified(when).unwrap();
}

#[test]
fn put_and_read_back() {
    let t = tempfile::tempdir().unwrap();
    let store = Store::open(t.path()).unwrap();
    let data = payload(1, 3 << 20);
    let info = store.put_blob(&data[..], None).unwrap();
    assert_eq!(info.digest, digest_bytes(&data));
    assert_eq!(info.size, data.len() as u64);
    assert!(store.has_blob(&info.digest));
    let mut back = Vec::new();
    store
        .open_blob(&info.digest)
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
    let path = store.blob_path(&info.digest);
    assert!(path.ends_with(format!("blobs/sha256/{}", info.digest.hex())));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o444
    );
    assert!(store.verify_blob(&info.digest).unwrap());
    // Corruption on disk is detected.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(&path, b"bit rot").unwrap();
    assert!(!store.verify_blob(&info.digest).unwrap());
    fs::write(&path, &data).unwrap();
    // With an expected digest that is already stored, nothing is read.
    struct Explode;
    impl Read for Explode {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("must not be read")
        }
    }
    let again = store
        .put_blob(Explode, Some(&Expected::digest(info.digest.clone())))
        .unwrap();
    assert_eq!(again, info);
    assert!(entries(&t.path().join("tmp")).is_empty());
}

#[test]
fn wrong_digest_or_size_stores_nothing() {
    let t = tempfile::tempdir().unwrap();
    let store = Store::open(t.path()).unwrap();
    let data = payload(2, 100_000);
    let claimed = digest_bytes(b"something else");
    let r = store.put_blob(&data[..], Some(&Expected::digest(claimed.clone())));
    assert!(matches!(r, Err(StoreError::DigestMismatch { .. })), "{r:?}");
    assert!(!store.has_blob(&claimed));
    assert!(!store.has_blob(&digest_bytes(&data)));
    let real = digest_bytes(&data);
    for size in [99_999u64, 100_001] {
        let exp = Expected {
            digest: real.clone(),
            size: Some(size),
        };
        let r = store.put_blob(&data[..], Some(&exp));
        assert!(matches!(r, Err(StoreError::SizeMismatch { .. })), "{r:?}");
    }
    assert!(!store.has_blob(&real));
    assert!(entries(&t.path().join("blobs/sha256")).is_empty());
    assert!(entries(&t.path().join("tmp")).is_empty());
}

#[test]
fn dropped_writer_leaves_no_blob() {
    let t = tempfile::tempdir().unwrap();
    let store = Store::open(t.path()).unwrap();
    let data = payload(3, 2 << 20);
    {
        let mut w = store.blob_writer().unwrap();
        w.write_all(&data[..1 << 20]).unwrap();
        assert_eq!(w.written(), 1 << 20);
        // dropped mid-stream
    }
    assert!(!store.has_blob(&digest_bytes(&data)));
    assert!(!store.has_blob(&digest_bytes(&data[..1 << 20])));
    assert!(entries(&t.path().join("blobs/sha256")).is_empty());
    assert!(entries(&t.path().join("tmp")).is_empty());
    // A reader failing mid-stream behaves the same.
    struct Fails(usize);
    impl Read for Fails {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("connection reset"));
            }
            let n = buf.len().min(self.0);
            buf[..n].fill(7);
            self.0 -= n;
            Ok(n)
        }
    }
    assert!(store.put_blob(Fails(500_000), None).is_err());
    assert!(entries(&t.path().join("blobs/sha256")).is_empty());
    assert!(entries(&t.path().join("tmp")).is_empty());
}

#[test]
fn concurrent_threads_writing_the_same_blob() {
    let t = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(t.path()).unwrap());
    let data = Arc::new(payload(4, 4 << 20));
    let want = digest_bytes(&data);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            let data = Arc::clone(&data);
            let want = want.clone();
            std::thread::spawn(move || {
                let exp = if i % 2 == 0 {
                    None
                } else {
                    Some(Expected {
                        digest: want,
                        size: Some(data.len() as u64),
                    })
                };
                // Write in small pieces so the writers overlap.
                let mut w = store.blob_writer().unwrap();
                for chunk in data.chunks(64 * 1024) {
                    w.write_all(chunk).unwrap();
                }
                w.commit(exp.as_ref()).unwrap()
            })
        })
        .collect();
    for h in handles {
        let info = h.join().unwrap();
        assert_eq!(info.digest, want);
    }
    let mut back = Vec::new();
    store
        .open_blob(&want)
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, *data);
    assert!(entries(&t.path().join("tmp")).is_empty());
}

/// Not a test of its own: when started as a child by the tests below (with `HOIST_STORE_TEST_CHILD`
/// set), it acts as a second hoist process working on the same store.
#[test]
fn child_process_entry() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let root = PathBuf::from(std::env::var("HOIST_STORE_TEST_ROOT").unwrap());
    let store = Store::open(&root).unwrap();
    match mode.as_str() {
        "writer" => {
            for round in 0..5u8 {
                let data = payload(9, 3 << 20);
                let info = store.put_blob(&data[..], None).unwrap();
                assert_eq!(info.digest, digest_bytes(&data));
                store.put_bytes(&payload(round, 1000)).unwrap();
            }
        }
        "stall" => {
            // Write half a blob, then hang until killed.
            let mut w = store.blob_writer().unwrap();
            w.write_all(&payload(5, 1 << 20)).unwrap();
            w.flush().unwrap();
            println!("HALFWAY");
            std::io::stdout().flush().unwrap();
            std::thread::sleep(Duration::from_secs(120));
        }
        other => panic!("unknown child mode {other}"),
    }
}

fn child(mode: &str, root: &Path) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        "oci_store::child_process_entry",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, mode)
    .env("HOIST_STORE_TEST_ROOT", root);
    c
}

#[test]
fn concurrent_processes_writing_the_same_blob() {
    let t = tempfile::tempdir().unwrap();
    let store = Store::open(t.path()).unwrap();
    let kids: Vec<_> = (0..2)
        .map(|_| {
            child("writer", t.path())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let data = payload(9, 3 << 20);
    for _ in 0..5 {
        assert_eq!(
            store.put_blob(&data[..], None).unwrap().digest,
            digest_bytes(&data)
        );
    }
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    let mut back = Vec::new();
    store
        .open_blob(&digest_bytes(&data))
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
    for round in 0..5u8 {
        assert!(store.has_blob(&digest_bytes(&payload(round, 1000))));
    }
    assert!(entries(&t.path().join("tmp")).is_empty());
}

#[test]
fn killed_process_leaves_no_blob_and_its_temp_file_is_cleaned() {
    let t = tempfile::tempdir().unwrap();
    Store::open(t.path()).unwrap();
    let mut kid = child("stall", t.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = kid.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    while !seen.contains("HALFWAY") {
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "child exited early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // While the writer is alive its temp file is locked and survives even when old.
    let tmp = t.path().join("tmp");
    let leftovers = entries(&tmp);
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    set_old(&tmp.join(&leftovers[0]));
    Store::open(t.path()).unwrap();
    assert_eq!(entries(&tmp), leftovers);
    kid.kill().unwrap();
    kid.wait().unwrap();
    assert!(entries(&t.path().join("blobs/sha256")).is_empty());
    // Dead writer: a fresh leftover is kept (it might be a writer that has not locked yet),
    // an old unlocked one is removed on open.
    set_mtime(&tmp.join(&leftovers[0]), SystemTime::now());
    Store::open(t.path()).unwrap();
    assert_eq!(entries(&tmp), leftovers);
    set_old(&tmp.join(&leftovers[0]));
    Store::open(t.path()).unwrap();
    assert!(entries(&tmp).is_empty());
}

#[test]
fn refs_and_cache_entries() {
    let t = tempfile::tempdir().unwrap();
    let store = Store::open(t.path()).unwrap();
    let a = store.put_bytes(b"a").unwrap().digest;
    let b = store.put_bytes(b"b").unwrap().digest;
    store.set_ref("docker.io/library/alpine:3.20", &a).unwrap();
    store.set_ref("../../escape", &b).unwrap();
    assert_eq!(
        store.get_ref("docker.io/library/alpine:3.20").unwrap(),
        Some(a.clone())
    );
    store.set_ref("docker.io/library/alpine:3.20", &b).unwrap();
    assert_eq!(
        store.get_ref("docker.io/library/alpine:3.20").unwrap(),
        Some(b.clone())
    );
    assert_eq!(store.get_ref("missing").unwrap(), None);
    let names: Vec<String> = store
        .list_refs()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["../../escape", "docker.io/library/alpine:3.20"]);
    assert_eq!(entries(&t.path().join("refs")).len(), 2);
    assert!(!t.path().join("escape").exists());
    assert!(store.remove_ref("../../escape").unwrap());
    assert!(!store.remove_ref("../../escape").unwrap());
    store.set_cache("run:abc", &a).unwrap();
    assert_eq!(store.get_cache("run:abc").unwrap(), Some(a));
    assert!(store.set_ref("", &b).is_err());
}

fn make_layer_dir(dir: &Path, name: &str) {
    fs::create_dir_all(dir.join("etc")).unwrap();
    fs::write(dir.join("etc").join(name), name.as_bytes()).unwrap();
    fs::create_dir_all(dir.join("gone")).unwrap();
}

#[test]
fn unpacked_layers_are_shared_and_verified() {
    let t = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(t.path().join("store")).unwrap());
    let src = t.path().join("src");
    make_layer_dir(&src, "one");
    let info = store
        .write_dir_layer(&src, &LayerOptions::default(), &WalkOptions::default())
        .unwrap();
    assert!(store.has_blob(&info.digest));
    assert!(store.unpacked_layer(&info.diff_id).is_none());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            let info = info.clone();
            std::thread::spawn(move || store.unpack_layer(&info.digest, &info.diff_id).unwrap())
        })
        .collect();
    let paths: Vec<PathBuf> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(paths.iter().all(|p| *p == paths[0]));
    assert_eq!(fs::read(paths[0].join("etc/one")).unwrap(), b"one");
    assert_eq!(store.unpacked_layer(&info.diff_id), Some(paths[0].clone()));
    assert!(paths[0].parent().unwrap().join("complete").is_file());
    // A wrong diffID fails and leaves no layer directory behind.
    let wrong = digest_bytes(b"not the diff id");
    let r = store.unpack_layer(&info.digest, &wrong);
    assert!(r.is_err(), "{r:?}");
    assert!(store.unpacked_layer(&wrong).is_none());
    assert!(!t
        .path()
        .join("store/layers/sha256")
        .join(wrong.hex())
        .exists());
    assert!(entries(&t.path().join("store/tmp")).is_empty());
}

fn image(store: &Store, src: &Path) -> (Digest, Digest, Digest) {
    let info = store
        .write_dir_layer(src, &LayerOptions::default(), &WalkOptions::default())
        .unwrap();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [info.diff_id.to_string()]},
        "config": {"Labels": {"b": "2", "a": "1"}}
    });
    let cfg = store
        .put_bytes(&to_canonical_vec(&config).unwrap())
        .unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": cfg.digest.to_string(), "size": cfg.size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": info.digest.to_string(), "size": info.size}]
    });
    let m = store
        .put_bytes(&to_canonical_vec(&manifest).unwrap())
        .unwrap();
    store.unpack_layer(&info.digest, &info.diff_id).unwrap();
    (m.digest, info.digest, info.diff_id)
}

#[test]
fn prune_keeps_referenced_content() {
    let t = tempfile::tempdir().unwrap();
    let store = Store::open(t.path().join("store")).unwrap();
    let (s1, s2) = (t.path().join("l1"), t.path().join("l2"));
    make_layer_dir(&s1, "one");
    make_layer_dir(&s2, "two");
    let (m1, layer1, diff1) = image(&store, &s1);
    let (m2, layer2, diff2) = image(&store, &s2);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": m1.to_string(), "size": store.blob_size(&m1).unwrap()}]
    });
    let idx = store
        .put_bytes(&to_canonical_vec(&index).unwrap())
        .unwrap()
        .digest;
    store.set_ref("example/app:1", &idx).unwrap();
    let cached = store.put_bytes(b"cache payload").unwrap().digest;
    store.set_cache("step-1", &cached).unwrap();
    let stray = store.put_bytes(b"stray").unwrap().digest;
    // An old leftover of a killed writer.
    let leftover = t.path().join("store/tmp/blob-dead");
    fs::write(&leftover, b"partial").unwrap();
    set_old(&leftover);

    let report = store.prune().unwrap();
    for kept in [&idx, &m1, &layer1, &cached] {
        assert!(store.has_blob(kept), "{kept} was pruned");
    }
    assert!(store.unpacked_layer(&diff1).is_some());
    for gone in [&m2, &layer2, &stray] {
        assert!(!store.has_blob(gone), "{gone} was kept");
        assert!(report.blobs_removed.contains(gone));
    }
    assert!(store.unpacked_layer(&diff2).is_none());
    assert_eq!(report.layers_removed, vec![diff2]);
    assert_eq!(report.temp_removed, 1);
    assert!(!leftover.exists());
    // The config of image 1 is kept too (reachable through the manifest).
    let cfg_count = entries(&t.path().join("store/blobs/sha256")).len();
    assert_eq!(cfg_count, 5, "index, manifest, config, layer, cache blob");
    // Nothing else to prune now.
    assert_eq!(store.prune().unwrap().blobs_removed, Vec::<Digest>::new());
    // Dropping the ref frees the image.
    store.remove_ref("example/app:1").unwrap();
    let report = store.prune().unwrap();
    assert_eq!(report.blobs_removed.len(), 4);
    assert!(store.has_blob(&cached));
    assert!(store.unpacked_layer(&diff1).is_none());
}

#[test]
fn default_root_honours_hoist_home() {
    // Only this test touches these variables.
    std::env::set_var("HOIST_HOME", "/some/where/hoist-home");
    assert_eq!(
        Store::default_root().unwrap(),
        PathBuf::from("/some/where/hoist-home")
    );
    std::env::remove_var("HOIST_HOME");
    let root = Store::default_root().unwrap();
    assert!(root.ends_with("hoist"), "{}", root.display());
}
