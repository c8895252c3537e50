//! Small images built in tests with hoist's own layer writer, written into OCI layouts, and
//! helpers shared by the OCI transport and CLI tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use hoist::oci::assemble::{assemble, History, ImageConfig, LayerRef};
use hoist::oci::digest::{digest_bytes, Digest};
use hoist::oci::json::to_canonical_vec;
use hoist::oci::layer::{Compression, EntryKind, EntryMeta, LayerEntry, LayerOptions, LayerWriter};
use hoist::oci::layout::OciLayout;
use hoist::oci::media::{self, MediaFlavor};
use serde_json::json;

/// One entry of a test layer.
pub enum E<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8], u32),
    Link(&'a str, &'a str),
    Whiteout(&'a str),
}

fn meta(mode: u32) -> EntryMeta {
    EntryMeta {
        mode,
        uid: 0,
        gid: 0,
        mtime: 1_700_000_000,
        xattrs: BTreeMap::new(),
    }
}

/// Write a layer (entries must be given in layer order) and return (blob, diffID, media type).
pub fn layer(entries: &[E], compression: Compression) -> (Vec<u8>, Digest, &'static str) {
    let opts = LayerOptions {
        compression,
        ..LayerOptions::default()
    };
    let mut w = LayerWriter::new(Vec::new(), &opts).unwrap();
    for e in entries {
        match e {
            E::Dir(p) => w
                .append(
                    &LayerEntry {
                        path: PathBuf::from(p),
                        kind: EntryKind::Dir,
                        meta: meta(0o755),
                    },
                    None,
                )
                .unwrap(),
            E::File(p, data, mode) => {
                let mut r: &[u8] = data;
                w.append(
                    &LayerEntry {
                        path: PathBuf::from(p),
                        kind: EntryKind::File {
                            size: data.len() as u64,
                        },
                        meta: meta(*mode),
                    },
                    Some(&mut r),
                )
                .unwrap()
            }
            E::Link(p, target) => w
                .append(
                    &LayerEntry {
                        path: PathBuf::from(p),
                        kind: EntryKind::Symlink {
                            target: PathBuf::from(target),
                        },
                        meta: meta(0o777),
                    },
                    None,
                )
                .unwrap(),
            E::Whiteout(p) => w
                .append(
                    &LayerEntry {
                        path: PathBuf::from(p),
                        kind: EntryKind::Whiteout,
                        meta: meta(0o644),
                    },
                    None,
                )
                .unwrap(),
        }
    }
    let (bytes, info) = w.finish().unwrap();
    (
        bytes,
        info.diff_id.clone(),
        info.media_type(media::MediaFlavor::Oci),
    )
}

/// The standard two-layer test image: layer 1 has etc/hello, etc/gone, a symlink; layer 2
/// replaces etc/hello, deletes etc/gone and adds bin/tool.
pub fn standard_layers(
    compression: Compression,
    marker: &str,
) -> Vec<(Vec<u8>, Digest, &'static str)> {
    let hello2 = format!("hello v2 {marker}\n");
    vec![
        layer(
            &[
                E::Dir("etc"),
                E::File("etc/gone", b"to be deleted\n", 0o644),
                E::File("etc/hello", b"hello v1\n", 0o644),
                E::Link("etc/link", "hello"),
            ],
            compression,
        ),
        layer(
            &[
                E::Dir("bin"),
                E::File("bin/tool", b"#!/bin/sh\necho tool\n", 0o755),
                E::Dir("etc"),
                E::Whiteout("etc/gone"),
                E::File("etc/hello", hello2.as_bytes(), 0o644),
            ],
            compression,
        ),
    ]
}

/// Files of the flattened standard image: (path, content, mode).
pub fn standard_tree(marker: &str) -> Vec<(String, Vec<u8>, u32)> {
    vec![
        ("bin/tool".into(), b"#!/bin/sh\necho tool\n".to_vec(), 0o755),
        (
            "etc/hello".into(),
            format!("hello v2 {marker}\n").into_bytes(),
            0o644,
        ),
    ]
}

/// Write an image into `layout` and return its manifest bytes (not tagged).
pub fn write_image(
    layout: &OciLayout,
    arch: &str,
    layers: &[(Vec<u8>, Digest, &'static str)],
) -> Vec<u8> {
    let mut config = ImageConfig::scratch("linux", arch, None);
    config.config.cmd = Some(vec!["/bin/tool".to_string()]);
    config.config.env = vec!["PATH=/bin".to_string()];
    let mut refs = Vec::new();
    for (bytes, diff_id, mt) in layers {
        let d = layout.write_blob_bytes(bytes).unwrap();
        refs.push(LayerRef {
            media_type: mt.to_string(),
            digest: d,
            size: bytes.len() as u64,
            diff_id: diff_id.clone(),
        });
        config.push_layer(
            diff_id.clone(),
            History {
                created_by: Some("test".to_string()),
                ..History::default()
            },
        );
    }
    let mut annotations = BTreeMap::new();
    annotations.insert("org.example.test".to_string(), "yes".to_string());
    let image = assemble(&config, &refs, &annotations, MediaFlavor::Oci).unwrap();
    layout.write_blob_bytes(&image.config.bytes).unwrap();
    layout.write_blob_bytes(&image.manifest.bytes).unwrap();
    image.manifest.bytes
}

/// Build the standard single-platform image in a new layout at `dir`, tagged `tag`.
pub fn build_layout(dir: &Path, tag: &str, compression: Compression) -> Digest {
    let layout = OciLayout::create(dir).unwrap();
    let bytes = write_image(&layout, "amd64", &standard_layers(compression, "amd64"));
    let d = digest_bytes(&bytes);
    let desc = media::descriptor(media::OCI_MANIFEST, &d, bytes.len() as u64).unwrap();
    layout.set_ref(&desc, Some(tag)).unwrap();
    d
}

/// Build a two-platform (linux/amd64, linux/arm64) index tagged `tag`; returns the index
/// digest and the two manifest digests.
pub fn build_index_layout(dir: &Path, tag: &str) -> (Digest, Digest, Digest) {
    let layout = OciLayout::create(dir).unwrap();
    let mut entries = Vec::new();
    let mut digests = Vec::new();
    for arch in ["amd64", "arm64"] {
        let bytes = write_image(
            &layout,
            arch,
            &standard_layers(Compression::Gzip { level: 6 }, arch),
        );
        let d = digest_bytes(&bytes);
        entries.push(json!({
            "mediaType": media::OCI_MANIFEST,
            "digest": d.to_string(),
            "size": bytes.len(),
            "platform": {"os": "linux", "architecture": arch},
        }));
        digests.push(d);
    }
    let index = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": entries});
    let bytes = to_canonical_vec(&index).unwrap();
    let d = layout.write_blob_bytes(&bytes).unwrap();
    let desc = media::descriptor(media::OCI_INDEX, &d, bytes.len() as u64).unwrap();
    layout.set_ref(&desc, Some(tag)).unwrap();
    let mut it = digests.into_iter();
    (d, it.next().unwrap(), it.next().unwrap())
}

/// Path of an external tool, or None (with a note) when it is not installed.
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    eprintln!("note: {name} is not installed; skipping the part of this test that needs it");
    None
}

/// Run a command, panicking with its output when it fails; returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Regular files under `root` as (relative path, content, mode & 0o7777), sorted.
pub fn files_under(root: &Path) -> Vec<(String, Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let md = std::fs::symlink_metadata(e.path()).unwrap();
            if md.is_dir() {
                stack.push(e.path());
            } else if md.is_file() {
                let rel = e
                    .path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((
                    rel,
                    std::fs::read(e.path()).unwrap(),
                    md.permissions().mode() & 0o7777,
                ));
            }
        }
    }
    out.sort();
    out
}
