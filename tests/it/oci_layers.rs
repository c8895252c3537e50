//! Layer writer and safe-unpack tests: hostile tarballs built from raw headers, determinism,
//! diffIDs, and writer → unpack round trips.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{symlink, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hoist::oci::digest::{digest_bytes, Sha256Writer};
use hoist::oci::layer::{self, write_dir};
use hoist::oci::unpack::{self, is_root, OverlayXattr};
use hoist::oci::{
    Compression, EntryKind, EntryMeta, LayerEntry, LayerOptions, LayerWriter, UnpackError,
    UnpackOptions, WalkOptions, WhiteoutMode,
};

// ---------- raw tar construction (bypasses every check a tar library would make) ----------

#[derive(Default)]
struct RawTar {
    buf: Vec<u8>,
}

impl RawTar {
    fn header(&mut self, name: &[u8], kind: tar::EntryType, mode: u32, size: u64, link: &[u8]) {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        let u = h.as_ustar_mut().unwrap();
        u.name[..name.len()].copy_from_slice(name);
        u.linkname[..link.len()].copy_from_slice(link);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_600_000_000);
        h.set_cksum();
        self.buf.extend_from_slice(h.as_bytes());
    }
    fn data(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.buf.resize(self.buf.len() + pad, 0);
    }
    fn file(mut self, name: &str, data: &[u8]) -> Self {
        self.header(
            name.as_bytes(),
            tar::EntryType::Regular,
            0o644,
            data.len() as u64,
            b"",
        );
        self.data(data);
        self
    }
    fn dir(mut self, name: &str) -> Self {
        self.header(name.as_bytes(), tar::EntryType::Directory, 0o755, 0, b"");
        self
    }
    fn symlink(mut self, name: &str, target: &str) -> Self {
        self.header(
            name.as_bytes(),
            tar::EntryType::Symlink,
            0o777,
            0,
            target.as_bytes(),
        );
        self
    }
    fn hardlink(mut self, name: &str, target: &str) -> Self {
        self.header(
            name.as_bytes(),
            tar::EntryType::Link,
            0o644,
            0,
            target.as_bytes(),
        );
        self
    }
    fn device(mut self, name: &str, major: u32, minor: u32) -> Self {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Char);
        h.set_path(name).unwrap();
        h.set_mode(0o666);
        h.set_size(0);
        h.set_device_major(major).unwrap();
        h.set_device_minor(minor).unwrap();
        h.set_cksum();
        self.buf.extend_from_slice(h.as_bytes());
        self
    }
    /// A PAX extended header applying to the next member.
    fn pax(mut self, records: &[(&str, &[u8])]) -> Self {
        let mut data = Vec::new();
        for (k, v) in records {
            let rest = k.len() + v.len() + 3;
            let mut len = rest + 1;
            while rest + len.to_string().len() != len {
                len = rest + len.to_string().len();
            }
            data.extend_from_slice(format!("{len} {k}=").as_bytes());
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        self.header(
            b"PaxHeader",
            tar::EntryType::XHeader,
            0o644,
            data.len() as u64,
            b"",
        );
        self.data(&data);
        self
    }
    /// A GNU long-name member applying to the next member.
    fn gnu_long_name(mut self, name: &str) -> Self {
        let mut data = name.as_bytes().to_vec();
        data.push(0);
        self.header(
            b"././@LongLink",
            tar::EntryType::GNULongName,
            0o644,
            data.len() as u64,
            b"",
        );
        self.data(&data);
        self
    }
    fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&[0u8; 1024]);
        self.buf
    }
}

/// A target directory with a sentinel directory beside it.
struct Arena {
    _tmp: tempfile::TempDir,
    base: PathBuf,
}

impl Arena {
    fn new() -> Arena {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().to_path_buf();
        fs::create_dir(base.join("root")).unwrap();
        fs::create_dir(base.join("sentinel")).unwrap();
        fs::write(base.join("sentinel/keep"), b"keep").unwrap();
        Arena { _tmp: tmp, base }
    }
    fn root(&self) -> PathBuf {
        self.base.join("root")
    }
    fn sentinel(&self) -> PathBuf {
        self.base.join("sentinel")
    }
    /// Nothing outside `root` changed: the base holds only root and sentinel, the sentinel only
    /// its untouched file with a single link.
    fn assert_untouched(&self) {
        let mut top: Vec<String> = fs::read_dir(&self.base)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        top.sort();
        assert_eq!(top, vec!["root", "sentinel"]);
        let names: Vec<String> = fs::read_dir(self.sentinel())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["keep"], "sentinel directory gained entries");
        let keep = self.sentinel().join("keep");
        assert_eq!(fs::read(&keep).unwrap(), b"keep");
        let md = fs::symlink_metadata(&keep).unwrap();
        assert!(md.file_type().is_file());
        assert_eq!(md.nlink(), 1, "sentinel file got a hardlink");
    }
    fn unpack(&self, tar: &[u8]) -> Result<unpack::UnpackStats, UnpackError> {
        self.unpack_with(tar, &UnpackOptions::default())
    }
    fn unpack_with(
        &self,
        tar: &[u8],
        opts: &UnpackOptions,
    ) -> Result<unpack::UnpackStats, UnpackError> {
        unpack::unpack_layer(tar, &self.root(), opts)
    }
}

fn is_unsafe(r: &Result<unpack::UnpackStats, UnpackError>) -> bool {
    matches!(r, Err(UnpackError::Unsafe { .. }))
}

#[test]
fn hostile_dotdot_paths_are_refused() {
    for name in [
        "../sentinel/evil",
        "a/../../sentinel/evil",
        "./../sentinel/keep",
    ] {
        let a = Arena::new();
        let tar = RawTar::default().file(name, b"pwned").finish();
        let r = a.unpack(&tar);
        assert!(is_unsafe(&r), "{name}: {r:?}");
        a.assert_untouched();
    }
}

#[test]
fn hostile_absolute_paths_are_contained() {
    let a = Arena::new();
    let abs = format!("{}/evil", a.sentinel().display());
    let tar = RawTar::default()
        .file(&abs, b"pwned")
        .file("/etc/evil", b"x")
        .finish();
    a.unpack(&tar).unwrap();
    a.assert_untouched();
    let inside = a.root().join(abs.trim_start_matches('/'));
    assert_eq!(fs::read(inside).unwrap(), b"pwned");
    assert_eq!(fs::read(a.root().join("etc/evil")).unwrap(), b"x");
}

#[test]
fn hostile_write_through_relative_symlink_is_contained() {
    let a = Arena::new();
    let tar = RawTar::default()
        .symlink("link", "../sentinel")
        .file("link/evil", b"pwned")
        .finish();
    a.unpack(&tar).unwrap();
    a.assert_untouched();
    // `..` at the root stays at the root: the write landed in root/sentinel.
    assert_eq!(fs::read(a.root().join("sentinel/evil")).unwrap(), b"pwned");
    assert!(fs::symlink_metadata(a.root().join("link"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn hostile_write_through_absolute_symlink_is_contained() {
    let a = Arena::new();
    let target = a.sentinel().display().to_string();
    let tar = RawTar::default()
        .symlink("abs", &target)
        .file("abs/evil", b"pwned")
        .dir("abs/sub/")
        .finish();
    a.unpack(&tar).unwrap();
    a.assert_untouched();
    let inside = a.root().join(target.trim_start_matches('/'));
    assert_eq!(fs::read(inside.join("evil")).unwrap(), b"pwned");
    assert!(inside.join("sub").is_dir());
}

#[test]
fn hostile_file_over_symlink_does_not_follow_it() {
    let a = Arena::new();
    let keep = a.sentinel().join("keep").display().to_string();
    let tar = RawTar::default()
        .symlink("victim", &keep)
        .file("victim", b"pwned")
        .symlink("victim2", "../sentinel/keep")
        .file("victim2", b"pwned2")
        .finish();
    a.unpack(&tar).unwrap();
    a.assert_untouched();
    let md = fs::symlink_metadata(a.root().join("victim")).unwrap();
    assert!(md.file_type().is_file());
    assert_eq!(fs::read(a.root().join("victim2")).unwrap(), b"pwned2");
}

#[test]
fn hostile_hardlinks_to_outside_are_refused() {
    let a = Arena::new();
    let abs = a.sentinel().join("keep").display().to_string();
    // `..` in a link target is refused outright.
    let r = a.unpack(
        &RawTar::default()
            .hardlink("h1", "../sentinel/keep")
            .finish(),
    );
    assert!(is_unsafe(&r), "{r:?}");
    // An absolute target is resolved inside the root, where it does not exist.
    let r = a.unpack(&RawTar::default().hardlink("h2", &abs).finish());
    assert!(is_unsafe(&r), "{r:?}");
    // Through a symlink pointing outside: still resolved inside.
    let r = a.unpack(
        &RawTar::default()
            .symlink("s", &a.sentinel().display().to_string())
            .hardlink("h3", "s/keep")
            .finish(),
    );
    assert!(is_unsafe(&r), "{r:?}");
    a.assert_untouched();
    for h in ["h1", "h2", "h3"] {
        assert!(
            fs::symlink_metadata(a.root().join(h)).is_err(),
            "{h} exists"
        );
    }
}

#[test]
fn hostile_hardlink_to_symlink_links_the_symlink_itself() {
    let a = Arena::new();
    let tar = RawTar::default()
        .symlink("s", "../sentinel/keep")
        .hardlink("h", "s")
        .file("h", b"pwned")
        .finish();
    a.unpack(&tar).unwrap();
    a.assert_untouched();
    assert_eq!(fs::read(a.root().join("h")).unwrap(), b"pwned");
}

#[test]
fn hostile_whiteout_tricks_are_refused_or_contained() {
    for name in [".wh...", ".wh..", "sub/.wh.", ".wh.x/y"] {
        let a = Arena::new();
        let r = a.unpack(&RawTar::default().dir("sub/").file(name, b"").finish());
        assert!(is_unsafe(&r), "{name}: {r:?}");
        a.assert_untouched();
    }
    // Whiteouts and opaque markers behind a symlink that points outside act inside the root.
    let a = Arena::new();
    let outside = a.sentinel().display().to_string();
    let tar = RawTar::default()
        .symlink("rel", "../sentinel")
        .symlink("abs", &outside)
        .file("rel/.wh.keep", b"")
        .file("abs/.wh..wh..opq", b"")
        .file("abs/.wh.keep", b"")
        .finish();
    a.unpack(&tar).unwrap();
    a.assert_untouched();
    assert!(fs::symlink_metadata(a.root().join("rel")).is_ok());
}

#[test]
fn hostile_devices_skipped_when_not_allowed() {
    let a = Arena::new();
    let tar = RawTar::default()
        .device("dev/mem", 1, 1)
        .file("ok", b"1")
        .finish();
    let opts = UnpackOptions {
        devices: false,
        ..UnpackOptions::default()
    };
    let stats = a.unpack_with(&tar, &opts).unwrap();
    assert!(fs::symlink_metadata(a.root().join("dev/mem")).is_err());
    assert!(
        stats.skipped.iter().any(|s| s.contains("dev/mem")),
        "{:?}",
        stats.skipped
    );
    assert_eq!(fs::read(a.root().join("ok")).unwrap(), b"1");
    a.assert_untouched();
    if is_root() {
        let b = Arena::new();
        b.unpack(&RawTar::default().device("null", 1, 3).finish())
            .unwrap();
        let md = fs::symlink_metadata(b.root().join("null")).unwrap();
        assert!(md.file_type().is_char_device());
        assert_eq!(md.rdev(), rustix::fs::makedev(1, 3));
    } else {
        eprintln!("note: not root, skipping device creation check");
    }
}

#[test]
fn hostile_extension_headers_cannot_smuggle_paths() {
    // The ustar name looks harmless; the PAX / GNU long name (which wins) escapes.
    let pax = RawTar::default()
        .pax(&[("path", b"../sentinel/evil")])
        .file("innocent", b"pwned")
        .finish();
    let gnu = RawTar::default()
        .gnu_long_name("x/../../sentinel/evil")
        .file("innocent", b"pwned")
        .finish();
    let link = RawTar::default()
        .pax(&[("linkpath", b"../sentinel/keep")])
        .hardlink("h", "innocent")
        .finish();
    for tar in [pax, gnu, link] {
        let a = Arena::new();
        let r = a.unpack(&tar);
        assert!(is_unsafe(&r), "{r:?}");
        a.assert_untouched();
        assert!(fs::symlink_metadata(a.root().join("innocent")).is_err());
    }
    // A PAX size that disagrees with the header is the size used (data is not misread as
    // headers).
    let a = Arena::new();
    let inner = RawTar::default()
        .file("../sentinel/evil", b"pwned")
        .finish();
    let mut tar = RawTar::default().pax(&[("size", inner.len().to_string().as_bytes())]);
    tar.header(b"payload", tar::EntryType::Regular, 0o644, 0, b"");
    tar.data(&inner);
    let tar = tar.file("after", b"ok").finish();
    a.unpack(&tar).unwrap();
    a.assert_untouched();
    assert_eq!(fs::read(a.root().join("payload")).unwrap(), inner);
    assert_eq!(fs::read(a.root().join("after")).unwrap(), b"ok");
}

#[test]
fn hostile_overwrite_through_hardlink_keeps_the_target() {
    let a = Arena::new();
    fs::write(a.root().join("target"), b"orig").unwrap();
    let tar = RawTar::default()
        .hardlink("h", "target")
        .file("h", b"new")
        .finish();
    a.unpack(&tar).unwrap();
    a.assert_untouched();
    assert_eq!(fs::read(a.root().join("target")).unwrap(), b"orig");
    assert_eq!(fs::read(a.root().join("h")).unwrap(), b"new");
}

#[test]
fn hostile_symlink_loops_fail_cleanly() {
    let a = Arena::new();
    let tar = RawTar::default()
        .symlink("a", "b")
        .symlink("b", "a")
        .file("a/x", b"")
        .finish();
    let r = a.unpack(&tar);
    assert!(is_unsafe(&r), "{r:?}");
    a.assert_untouched();
}

#[test]
fn hostile_truncated_and_corrupt_streams_are_errors() {
    let a = Arena::new();
    let mut tar = RawTar::default().file("f", &[7u8; 2000]).finish();
    tar.truncate(1100);
    assert!(matches!(a.unpack(&tar), Err(UnpackError::Tar(_))));
    let mut tar = RawTar::default().file("g", b"x").finish();
    tar[0] ^= 1; // checksum no longer matches
    assert!(matches!(a.unpack(&tar), Err(UnpackError::Tar(_))));
    a.assert_untouched();
}

// ---------- writer ----------

fn meta(mode: u32, mtime: i64) -> EntryMeta {
    EntryMeta {
        mode,
        uid: 0,
        gid: 0,
        mtime,
        xattrs: BTreeMap::new(),
    }
}

fn xattrs_supported(dir: &Path) -> bool {
    let p = dir.join(".xattr-probe");
    fs::write(&p, b"").unwrap();
    let ok = rustix::fs::setxattr(&p, "user.hoist", b"1", rustix::fs::XattrFlags::empty()).is_ok();
    fs::remove_file(&p).unwrap();
    ok
}

/// A tree with most entry kinds.
fn make_tree(dir: &Path, mtime: i64) {
    fs::create_dir_all(dir.join("etc/app")).unwrap();
    fs::create_dir_all(dir.join("usr/bin")).unwrap();
    fs::write(dir.join("etc/app/conf"), b"key=value\n").unwrap();
    fs::write(dir.join("usr/bin/tool"), vec![0xabu8; 300_000]).unwrap();
    fs::set_permissions(dir.join("usr/bin/tool"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::create_dir(dir.join("tmp")).unwrap();
    fs::set_permissions(dir.join("tmp"), fs::Permissions::from_mode(0o1777)).unwrap();
    fs::write(dir.join("usr/bin/sg"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(dir.join("usr/bin/sg"), fs::Permissions::from_mode(0o2711)).unwrap();
    fs::hard_link(dir.join("usr/bin/tool"), dir.join("usr/bin/tool-alias")).unwrap();
    symlink("../usr/bin/tool", dir.join("etc/tool-link")).unwrap();
    symlink("/does/not/exist", dir.join("dangling")).unwrap();
    let long = "d".repeat(120);
    fs::create_dir_all(dir.join(&long)).unwrap();
    fs::write(dir.join(&long).join("f".repeat(90)), b"long").unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dir.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    if xattrs_supported(dir) {
        rustix::fs::setxattr(
            dir.join("etc/app/conf"),
            "user.note",
            b"bin\n\0ary",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
    }
    set_all_mtimes(dir, mtime);
}

fn set_all_mtimes(dir: &Path, mtime: i64) {
    let t = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: mtime,
            tv_nsec: 0,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: mtime,
            tv_nsec: 0,
        },
    };
    let mut stack = vec![dir.to_path_buf()];
    let mut all = Vec::new();
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p.clone());
            }
            all.push(p);
        }
    }
    for p in all {
        rustix::fs::utimensat(
            rustix::fs::CWD,
            &p,
            &t,
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )
        .unwrap();
    }
}

fn layer_of(dir: &Path, opts: &LayerOptions) -> (Vec<u8>, layer::LayerInfo) {
    write_dir(dir, Vec::new(), opts, &WalkOptions::default()).unwrap()
}

#[test]
fn writer_is_deterministic() {
    let t = tempfile::tempdir().unwrap();
    make_tree(&t.path().join("a"), 1_700_000_000);
    for compression in [
        Compression::None,
        Compression::Gzip { level: 6 },
        Compression::Gzip { level: 1 },
        Compression::Zstd { level: 3 },
        Compression::Zstd { level: 19 },
    ] {
        let opts = LayerOptions {
            compression,
            ..Default::default()
        };
        let (b1, i1) = layer_of(&t.path().join("a"), &opts);
        let (b2, i2) = layer_of(&t.path().join("a"), &opts);
        assert_eq!(b1, b2, "{compression:?}");
        assert_eq!(i1, i2);
        assert_eq!(i1.digest, digest_bytes(&b1));
        assert_eq!(i1.size, b1.len() as u64);
    }
}

#[test]
fn source_date_epoch_makes_different_mtimes_identical() {
    let t = tempfile::tempdir().unwrap();
    make_tree(&t.path().join("a"), 1_700_000_000);
    make_tree(&t.path().join("b"), 1_750_000_123);
    let plain = LayerOptions::default();
    let (_, ia) = layer_of(&t.path().join("a"), &plain);
    let (_, ib) = layer_of(&t.path().join("b"), &plain);
    assert_ne!(
        ia.diff_id, ib.diff_id,
        "mtimes must matter without clamping"
    );
    let clamped = LayerOptions {
        source_date_epoch: Some(1_600_000_000),
        ..Default::default()
    };
    let (ba, ia) = layer_of(&t.path().join("a"), &clamped);
    let (bb, ib) = layer_of(&t.path().join("b"), &clamped);
    assert_eq!(ia, ib);
    assert_eq!(ba, bb);
    // Clamping only lowers: an epoch later than every mtime changes nothing.
    let late = LayerOptions {
        source_date_epoch: Some(1_800_000_000),
        ..Default::default()
    };
    let (_, il) = layer_of(&t.path().join("a"), &late);
    let (_, ip) = layer_of(&t.path().join("a"), &plain);
    assert_eq!(il, ip);
}

#[test]
fn diff_id_is_sha256_of_decompressed_stream() {
    let t = tempfile::tempdir().unwrap();
    make_tree(&t.path().join("a"), 1_700_000_000);
    let (raw, iraw) = layer_of(
        &t.path().join("a"),
        &LayerOptions {
            compression: Compression::None,
            ..Default::default()
        },
    );
    assert_eq!(iraw.diff_id, digest_bytes(&raw));
    assert_eq!(iraw.digest, iraw.diff_id);
    assert_eq!(iraw.uncompressed_size, raw.len() as u64);

    let (gz, igz) = layer_of(&t.path().join("a"), &LayerOptions::default());
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(digest_bytes(&out), igz.diff_id);
    assert_eq!(out, raw);
    assert_eq!(igz.digest, digest_bytes(&gz));

    let (zs, izs) = layer_of(
        &t.path().join("a"),
        &LayerOptions {
            compression: Compression::Zstd { level: 3 },
            ..Default::default()
        },
    );
    let out = zstd::decode_all(&zs[..]).unwrap();
    assert_eq!(digest_bytes(&out), izs.diff_id);
    assert_eq!(izs.diff_id, iraw.diff_id);
}

#[test]
fn zstd_output_is_the_same_for_any_worker_count() {
    // ~24 MiB of compressible, non-trivial data so several zstd jobs run.
    let mut data = Vec::with_capacity(24 << 20);
    let mut x: u32 = 12345;
    while data.len() < 24 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        data.extend_from_slice(format!("line {} value {}\n", x % 1000, x >> 20).as_bytes());
    }
    let entry = LayerEntry {
        path: "big".into(),
        kind: EntryKind::File {
            size: data.len() as u64,
        },
        meta: meta(0o644, 0),
    };
    let mut results = Vec::new();
    for workers in [1u32, 2, 4] {
        let opts = LayerOptions {
            compression: Compression::Zstd { level: 3 },
            zstd_workers: workers,
            ..Default::default()
        };
        let mut w = LayerWriter::new(Vec::new(), &opts).unwrap();
        w.append(&entry, Some(&mut &data[..])).unwrap();
        let (bytes, info) = w.finish().unwrap();
        assert_eq!(
            digest_bytes(&zstd::decode_all(&bytes[..]).unwrap()),
            info.diff_id
        );
        results.push(info);
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[1], results[2]);
}

#[test]
fn parallel_gzip_is_valid_and_independent_of_thread_count() {
    // Sizes around the 1 MiB block boundary, including an exact multiple of it.
    for size in [0usize, 1000, (1 << 20) - 1536, 3 << 20, (5 << 20) + 12345] {
        let mut data = Vec::with_capacity(size);
        let mut x: u32 = size as u32;
        while data.len() < size {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            data.extend_from_slice(format!("{} ", x % 5000).as_bytes());
        }
        data.truncate(size);
        let entry = LayerEntry {
            path: "blob".into(),
            kind: EntryKind::File {
                size: data.len() as u64,
            },
            meta: meta(0o644, 0),
        };
        let mut seen = Vec::new();
        for threads in [1u32, 2, 3, 8] {
            let opts = LayerOptions {
                compression: Compression::Gzip { level: 6 },
                gzip_threads: threads,
                ..Default::default()
            };
            let mut w = LayerWriter::new(Vec::new(), &opts).unwrap();
            w.append(&entry, Some(&mut &data[..])).unwrap();
            let (bytes, info) = w.finish().unwrap();
            // One gzip member that a plain (single-member) decoder reads completely.
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(digest_bytes(&out), info.diff_id);
            assert_eq!(info.digest, digest_bytes(&bytes));
            // And it unpacks.
            let t = tempfile::tempdir().unwrap();
            unpack::unpack_layer(&bytes[..], t.path(), &UnpackOptions::default()).unwrap();
            assert_eq!(fs::read(t.path().join("blob")).unwrap(), data);
            seen.push(bytes);
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "size {size}");
    }
}

#[test]
fn writer_memory_is_bounded_for_large_files() {
    // 64 MiB through a reader that produces data on the fly: the writer must stream it (the
    // output goes to a hashing sink, so nothing accumulates anywhere).
    struct Gen(u64);
    impl Read for Gen {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0 as usize);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = (i % 251) as u8;
            }
            self.0 -= n as u64;
            Ok(n)
        }
    }
    let size = 64u64 << 20;
    let entry = LayerEntry {
        path: "huge".into(),
        kind: EntryKind::File { size },
        meta: meta(0o600, 0),
    };
    let opts = LayerOptions {
        compression: Compression::Gzip { level: 1 },
        ..Default::default()
    };
    let mut w = LayerWriter::new(Sha256Writer::sink(), &opts).unwrap();
    w.append(&entry, Some(&mut Gen(size))).unwrap();
    let (sink, info) = w.finish().unwrap();
    let (_, d, n) = sink.finish();
    assert_eq!((d, n), (info.digest.clone(), info.size));
    assert_eq!(info.uncompressed_size, 512 + size + 1024);
}

fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<u64, String> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    let mut all = Vec::new();
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p.clone());
            }
            all.push(p);
        }
    }
    all.sort();
    for p in all {
        let rel = p.strip_prefix(root).unwrap().display().to_string();
        let md = fs::symlink_metadata(&p).unwrap();
        let ft = md.file_type();
        let mut desc = format!(
            "mode={:o} uid={} gid={}",
            md.mode() & 0o7777,
            md.uid(),
            md.gid()
        );
        if ft.is_symlink() {
            desc = format!(
                "symlink->{} uid={}",
                fs::read_link(&p).unwrap().display(),
                md.uid()
            );
        } else if ft.is_dir() {
            desc.push_str(" dir");
        } else if ft.is_file() {
            let data = fs::read(&p).unwrap();
            desc.push_str(&format!(
                " file {} mtime={}",
                digest_bytes(&data),
                md.mtime()
            ));
            if md.nlink() > 1 {
                let first = inodes.entry(md.ino()).or_insert_with(|| rel.clone());
                desc.push_str(&format!(" link-group={first}"));
            }
        } else if ft.is_fifo() {
            desc.push_str(" fifo");
        } else if ft.is_char_device() {
            desc.push_str(&format!(" chr {}", md.rdev()));
        }
        if !ft.is_symlink() {
            let mut names: Vec<u8> = vec![0; 4096];
            if let Ok(n) = rustix::fs::llistxattr(&p, &mut names[..]) {
                let mut list: Vec<String> = names[..n]
                    .split(|&b| b == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .filter(|s| !s.starts_with("security.selinux"))
                    .collect();
                list.sort();
                for k in list {
                    let mut v = vec![0u8; 4096];
                    let n = rustix::fs::lgetxattr(&p, k.as_str(), &mut v[..]).unwrap();
                    desc.push_str(&format!(" xattr {k}={:?}", &v[..n]));
                }
            }
        }
        out.insert(rel, desc);
    }
    out
}

#[test]
fn round_trip_writer_to_unpack() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    make_tree(&src, 1_700_000_000);
    for compression in [
        Compression::Gzip { level: 6 },
        Compression::Zstd { level: 3 },
        Compression::None,
    ] {
        let opts = LayerOptions {
            compression,
            ..Default::default()
        };
        let (blob, info) = layer_of(&src, &opts);
        let dst = t.path().join(format!("dst-{compression:?}"));
        fs::create_dir(&dst).unwrap();
        let o = UnpackOptions {
            expected_diff_id: Some(info.diff_id.clone()),
            ..UnpackOptions::default()
        };
        let stats = unpack::unpack_layer(&blob[..], &dst, &o).unwrap();
        assert_eq!(stats.diff_id, info.diff_id);
        assert_eq!(snapshot(&src), snapshot(&dst), "{compression:?}");
        let tool = fs::metadata(dst.join("usr/bin/tool")).unwrap();
        assert_eq!(tool.mode() & 0o7777, 0o4755);
        assert_eq!(tool.nlink(), 2);
        // Writing the unpacked tree again gives the very same layer.
        let (_, again) = layer_of(&dst, &opts);
        assert_eq!(again, info);
    }
}

#[test]
fn wrong_expected_diff_id_is_an_error() {
    let tar = RawTar::default().file("a", b"1").finish();
    let t = tempfile::tempdir().unwrap();
    let o = UnpackOptions {
        expected_diff_id: Some(digest_bytes(b"something else")),
        ..UnpackOptions::default()
    };
    let r = unpack::unpack_layer(&tar[..], t.path(), &o);
    assert!(
        matches!(r, Err(UnpackError::DiffIdMismatch { .. })),
        "{r:?}"
    );
}

fn upper_layer() -> Vec<u8> {
    let entries = vec![
        LayerEntry {
            path: "a".into(),
            kind: EntryKind::Dir,
            meta: meta(0o755, 5),
        },
        LayerEntry {
            path: "a/file1".into(),
            kind: EntryKind::Whiteout,
            meta: meta(0, 5),
        },
        LayerEntry {
            path: "c".into(),
            kind: EntryKind::Dir,
            meta: meta(0o755, 5),
        },
        LayerEntry {
            path: "c".into(),
            kind: EntryKind::OpaqueWhiteout,
            meta: meta(0, 5),
        },
        LayerEntry {
            path: "c/new".into(),
            kind: EntryKind::File { size: 3 },
            meta: meta(0o644, 5),
        },
    ];
    let mut w = LayerWriter::new(Vec::new(), &LayerOptions::default()).unwrap();
    for e in &entries {
        let mut data: &[u8] = b"new";
        w.append(e, Some(&mut data)).unwrap();
    }
    w.finish().unwrap().0
}

fn lower(dir: &Path) {
    fs::create_dir_all(dir.join("a")).unwrap();
    fs::create_dir_all(dir.join("b")).unwrap();
    fs::create_dir_all(dir.join("c/deep/er")).unwrap();
    fs::write(dir.join("a/file1"), b"1").unwrap();
    fs::write(dir.join("a/file2"), b"2").unwrap();
    fs::write(dir.join("b/keep"), b"k").unwrap();
    fs::write(dir.join("c/x"), b"x").unwrap();
    fs::write(dir.join("c/deep/er/y"), b"y").unwrap();
}

#[test]
fn whiteouts_apply_over_a_lower_layer() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("lower-src");
    lower(&src);
    let (lower_blob, _) = layer_of(&src, &LayerOptions::default());
    let dst = t.path().join("rootfs");
    fs::create_dir(&dst).unwrap();
    unpack::unpack_layer(&lower_blob[..], &dst, &UnpackOptions::default()).unwrap();
    unpack::unpack_layer(&upper_layer()[..], &dst, &UnpackOptions::default()).unwrap();
    assert!(!dst.join("a/file1").exists());
    assert_eq!(fs::read(dst.join("a/file2")).unwrap(), b"2");
    assert_eq!(fs::read(dst.join("b/keep")).unwrap(), b"k");
    let mut c: Vec<String> = fs::read_dir(dst.join("c"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    c.sort();
    assert_eq!(c, vec!["new"]);
    assert!(!dst.join(".wh.file1").exists() && !dst.join("a/.wh.file1").exists());
}

#[test]
fn whiteouts_only_hide_lower_content_whatever_their_order() {
    // Opaque marker and whiteout *after* entries of the same layer: those entries stay.
    let t = tempfile::tempdir().unwrap();
    let dst = t.path();
    fs::create_dir_all(dst.join("d")).unwrap();
    fs::write(dst.join("d/old"), b"old").unwrap();
    fs::write(dst.join("gone"), b"old").unwrap();
    let tar = RawTar::default()
        .dir("d/")
        .file("d/new", b"new")
        .file("d/.wh..wh..opq", b"")
        .file("same", b"same")
        .file(".wh.same", b"")
        .file(".wh.gone", b"")
        .finish();
    unpack::unpack_layer(&tar[..], dst, &UnpackOptions::default()).unwrap();
    assert!(!dst.join("d/old").exists());
    assert_eq!(fs::read(dst.join("d/new")).unwrap(), b"new");
    assert_eq!(fs::read(dst.join("same")).unwrap(), b"same");
    assert!(!dst.join("gone").exists());
}

#[test]
fn overlay_mode_round_trips_whiteouts() {
    if !is_root() {
        eprintln!(
            "note: not root, skipping overlay whiteout test (needs mknod 0/0 and trusted xattrs)"
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dst = t.path().join("upper");
    fs::create_dir(&dst).unwrap();
    let o = UnpackOptions {
        whiteouts: WhiteoutMode::Overlay(OverlayXattr::Trusted),
        ..UnpackOptions::default()
    };
    let upper = upper_layer();
    unpack::unpack_layer(&upper[..], &dst, &o).unwrap();
    let wh = fs::symlink_metadata(dst.join("a/file1")).unwrap();
    assert!(wh.file_type().is_char_device() && wh.rdev() == 0);
    let mut v = [0u8; 8];
    let n = match rustix::fs::lgetxattr(dst.join("c"), "trusted.overlay.opaque", &mut v[..]) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("note: trusted xattrs unsupported here ({e}), skipping");
            return;
        }
    };
    assert_eq!(&v[..n], b"y");
    // Walking the upper dir as an overlay upper gives the same OCI layer back.
    let walk = WalkOptions {
        xattrs: true,
        overlay_whiteouts: true,
    };
    let (again, info) = write_dir(&dst, Vec::new(), &LayerOptions::default(), &walk).unwrap();
    let names = |b: &[u8]| {
        let mut r = unpack::TarReader::new(flate2::read::GzDecoder::new(b));
        let mut v = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            v.push(String::from_utf8(e.path).unwrap());
        }
        v
    };
    assert_eq!(names(&again), names(&upper));
    assert_eq!(info.digest, digest_bytes(&again));
}

#[test]
fn pax_records_with_newlines_and_long_names_unpack() {
    let t = tempfile::tempdir().unwrap();
    if !xattrs_supported(t.path()) {
        eprintln!("note: no user xattrs on this filesystem, skipping");
        return;
    }
    let mut m = meta(0o640, 42);
    m.xattrs.insert("user.bin".into(), b"a\nb\0c".to_vec());
    let long = format!("{}/{}", "x".repeat(150), "y".repeat(120));
    let entries = vec![LayerEntry {
        path: long.clone().into(),
        kind: EntryKind::File { size: 4 },
        meta: m,
    }];
    let mut w = LayerWriter::new(Vec::new(), &LayerOptions::default()).unwrap();
    for e in &entries {
        w.append(e, Some(&mut &b"data"[..])).unwrap();
    }
    let (blob, _) = w.finish().unwrap();
    let dst = t.path().join("d");
    fs::create_dir(&dst).unwrap();
    unpack::unpack_layer(&blob[..], &dst, &UnpackOptions::default()).unwrap();
    let p = dst.join(&long);
    assert_eq!(fs::read(&p).unwrap(), b"data");
    let mut v = [0u8; 32];
    let n = rustix::fs::lgetxattr(&p, "user.bin", &mut v[..]).unwrap();
    assert_eq!(&v[..n], b"a\nb\0c");
    assert_eq!(fs::metadata(&p).unwrap().mtime(), 42);
    let _ = std::io::stdout().flush();
}
