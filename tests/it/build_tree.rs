//! An independent reader of an image in an OCI layout for the differential build tests: applies
//! the layers' tar streams (with `.wh.` whiteouts and opaque markers) to an in-memory tree of
//! path → (type, mode, uid, gid, content hash, link target), mtimes left out, and extracts the
//! runtime config fields the tests compare. Written here (not `hoist::oci::unpack`) so that
//! hoist's own unpacker is not the judge of hoist's images.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// One entry of a root filesystem.
#[derive(Clone, PartialEq, Eq)]
pub struct Node {
    /// `f` file, `d` directory, `l` symlink, `c`/`b` devices, `p` fifo.
    pub kind: char,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// sha256 of a file's content (first 12 hex digits), a symlink's target, else empty.
    pub data: String,
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:04o} {}:{} {}",
            self.kind, self.mode, self.uid, self.gid, self.data
        )
    }
}

/// The root filesystem: path relative to `/` (no leading `/`) → node.
pub type Tree = BTreeMap<String, Node>;

/// The manifest of `layout`'s first (or only) image, following one level of index.
fn manifest(layout: &Path) -> Value {
    let read = |d: &str| -> Value {
        let hex = d.strip_prefix("sha256:").unwrap();
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap())
            .unwrap()
    };
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let mut m = read(index["manifests"][0]["digest"].as_str().unwrap());
    if m.get("manifests").is_some() {
        m = read(m["manifests"][0]["digest"].as_str().unwrap());
    }
    m
}

fn blob(layout: &Path, digest: &str) -> std::fs::File {
    let hex = digest.strip_prefix("sha256:").unwrap();
    std::fs::File::open(layout.join("blobs/sha256").join(hex)).unwrap()
}

/// The image config (the whole JSON) of `layout`'s image.
pub fn config(layout: &Path) -> Value {
    let m = manifest(layout);
    let mut s = String::new();
    blob(layout, m["config"]["digest"].as_str().unwrap())
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

fn norm(p: &str) -> String {
    let p = p.trim_start_matches("./").trim_start_matches('/');
    p.trim_end_matches('/').to_string()
}

fn remove_under(tree: &mut Tree, dir: &str, keep_dir: bool) {
    let prefix = format!("{dir}/");
    tree.retain(|k, _| !k.starts_with(&prefix) && (keep_dir || k != dir));
}

/// The root filesystem after applying all of `layout`'s layers in order.
pub fn rootfs(layout: &Path) -> Tree {
    let m = manifest(layout);
    let mut tree = Tree::new();
    for l in m["layers"].as_array().unwrap() {
        let f = blob(layout, l["digest"].as_str().unwrap());
        let mt = l["mediaType"].as_str().unwrap();
        let r: Box<dyn Read> = if mt.ends_with("gzip") {
            Box::new(flate2::read::GzDecoder::new(f))
        } else if mt.ends_with("zstd") {
            Box::new(zstd::Decoder::new(f).unwrap())
        } else {
            Box::new(f)
        };
        apply(&mut tree, r);
    }
    tree
}

/// Applies one uncompressed layer tar stream to `tree`.
pub fn apply(tree: &mut Tree, r: impl Read) {
    let mut ar = tar::Archive::new(r);
    // Hard links name an earlier entry of the same layer or a lower layer's file.
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = norm(&e.path().unwrap().to_string_lossy());
        if path.is_empty() {
            continue;
        }
        let (parent, name) = match path.rsplit_once('/') {
            Some((p, n)) => (p.to_string(), n.to_string()),
            None => (String::new(), path.clone()),
        };
        if name == ".wh..wh..opq" {
            if parent.is_empty() {
                tree.clear();
            } else {
                remove_under(tree, &parent, true);
            }
            continue;
        }
        if let Some(gone) = name.strip_prefix(".wh.") {
            let target = if parent.is_empty() {
                gone.to_string()
            } else {
                format!("{parent}/{gone}")
            };
            remove_under(tree, &target, false);
            continue;
        }
        let h = e.header();
        let mode = h.mode().unwrap() & 0o7777;
        let (uid, gid) = (h.uid().unwrap(), h.gid().unwrap());
        let et = h.entry_type();
        let node = if et.is_dir() {
            Node {
                kind: 'd',
                mode,
                uid,
                gid,
                data: String::new(),
            }
        } else if et.is_symlink() {
            Node {
                kind: 'l',
                mode: 0o777,
                uid,
                gid,
                data: e
                    .link_name()
                    .unwrap()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            }
        } else if et.is_hard_link() {
            let target = norm(&e.link_name().unwrap().unwrap().to_string_lossy());
            let mut n = tree
                .get(&target)
                .unwrap_or_else(|| panic!("hard link {path} to missing {target}"))
                .clone();
            n.mode = mode;
            n.uid = uid;
            n.gid = gid;
            n
        } else if et.is_character_special() || et.is_block_special() || et.is_fifo() {
            Node {
                kind: if et.is_fifo() {
                    'p'
                } else if et.is_block_special() {
                    'b'
                } else {
                    'c'
                },
                mode,
                uid,
                gid,
                data: format!(
                    "{}:{}",
                    h.device_major().ok().flatten().unwrap_or(0),
                    h.device_minor().ok().flatten().unwrap_or(0)
                ),
            }
        } else {
            let mut hasher = Sha256::new();
            std::io::copy(&mut e, &mut hasher).unwrap();
            let hex: String = hasher
                .finalize()
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect();
            Node {
                kind: 'f',
                mode,
                uid,
                gid,
                data: hex,
            }
        };
        // A non-directory replacing a directory takes its children away; a directory over a
        // directory keeps them.
        if node.kind != 'd' {
            remove_under(tree, &path, false);
        }
        tree.insert(path, node);
    }
}

/// The runtime config fields the differential tests compare (missing and empty are the same).
pub fn runtime_fields(config: &Value) -> BTreeMap<&'static str, Value> {
    let c = &config["config"];
    let mut out = BTreeMap::new();
    for (key, name) in [
        ("Env", "Env"),
        ("Cmd", "Cmd"),
        ("Entrypoint", "Entrypoint"),
        ("WorkingDir", "WorkingDir"),
        ("User", "User"),
        ("ExposedPorts", "ExposedPorts"),
        ("Volumes", "Volumes"),
        ("Labels", "Labels"),
        ("StopSignal", "StopSignal"),
        ("Healthcheck", "Healthcheck"),
    ] {
        let v = c.get(key).cloned().unwrap_or(Value::Null);
        let empty = match &v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        };
        out.insert(name, if empty { Value::Null } else { v });
    }
    out
}

/// Lines `- path node` / `+ path node` where `a` and `b` differ (empty when equal).
pub fn diff(a: &Tree, b: &Tree) -> Vec<String> {
    let mut out = Vec::new();
    for (p, n) in a {
        match b.get(p) {
            None => out.push(format!("- {p} {n:?}")),
            Some(m) if m != n => out.push(format!("~ {p} {n:?} -> {m:?}")),
            _ => {}
        }
    }
    for (p, n) in b {
        if !a.contains_key(p) {
            out.push(format!("+ {p} {n:?}"));
        }
    }
    out
}
