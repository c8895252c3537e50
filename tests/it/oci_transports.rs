//! Round trips of images through hoist's local transports (OCI layout, oci-archive,
//! docker-archive), checked for preserved digests, verification failures and, when the tools
//! are installed, against skopeo and umoci.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use crate::oci_fixtures::*;
use hoist::copy::{
    copy_image, open_dest, open_source, CopyError, CopyOptions, ImageSource, NoProgress,
};
use hoist::oci::archive::TarIndex;
use hoist::oci::digest::{digest_bytes, Digest};
use hoist::oci::image::{diff_ids, parse_config, RawManifest};
use hoist::oci::layer::Compression;
use hoist::oci::layout::OciLayout;
use hoist::oci::reference::ImageRef;

fn r(s: &str) -> ImageRef {
    ImageRef::parse(s).unwrap()
}

fn copy(src: &str, dst: &str, opts: &CopyOptions) -> Result<hoist::copy::CopyReport, CopyError> {
    let mut s = open_source(&r(src), &Default::default())?;
    let mut d = open_dest(&r(dst), &Default::default())?;
    copy_image(s.as_mut(), d.as_mut(), opts, &NoProgress)
}

fn root_of(reference: &str) -> RawManifest {
    open_source(&r(reference), &Default::default())
        .unwrap()
        .root()
        .unwrap()
}

#[test]
fn layout_to_layout_preserves_digests_and_skips_present_blobs() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let src = format!("oci:{}:v1", a.display());
    let dst = format!("oci:{}:copied", b.display());
    let rep = copy(&src, &dst, &CopyOptions::default()).unwrap();
    assert_eq!(rep.digest, d);
    assert_eq!(rep.copied, 3);
    assert_eq!(rep.skipped, 0);
    let m = root_of(&dst);
    assert_eq!(m.digest, d);
    assert_eq!(m.bytes, root_of(&src).bytes);
    // Every blob is byte-identical.
    for e in fs::read_dir(a.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        assert_eq!(
            fs::read(e.path()).unwrap(),
            fs::read(b.join("blobs/sha256").join(e.file_name())).unwrap()
        );
    }
    // Again, under another tag: nothing is copied.
    let rep = copy(
        &src,
        &format!("oci:{}:again", b.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    assert_eq!((rep.copied, rep.skipped), (0, 3));
    let tags: Vec<String> = OciLayout::open(&b)
        .unwrap()
        .tags()
        .unwrap()
        .into_iter()
        .map(|t| t.0)
        .collect();
    assert_eq!(tags, vec!["copied".to_string(), "again".to_string()]);
}

#[test]
fn oci_archive_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Zstd { level: 3 });
    let ar = tmp.path().join("img.tar");
    let rep = copy(
        &format!("oci:{}:v1", a.display()),
        &format!("oci-archive:{}:t", ar.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    assert_eq!(rep.digest, d);
    let idx = TarIndex::open(&ar).unwrap();
    assert!(idx.contains("oci-layout") && idx.contains("index.json"));
    assert!(idx.contains(&format!("blobs/sha256/{}", d.hex())));
    let back = tmp.path().join("back");
    let rep = copy(
        &format!("oci-archive:{}:t", ar.display()),
        &format!("oci:{}:v1", back.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    assert_eq!(rep.digest, d);
    assert_eq!(root_of(&format!("oci:{}:v1", back.display())).digest, d);
    // Untagged read of a single-image archive works too.
    assert_eq!(root_of(&format!("oci-archive:{}", ar.display())).digest, d);
    assert!(open_source(
        &r(&format!("oci-archive:{}:nope", ar.display())),
        &Default::default()
    )
    .unwrap()
    .root()
    .is_err());
    // Nothing but the archives themselves was left in the directory.
    let names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".hoist")), "{names:?}");
}

fn check_docker_archive(file: &Path, config_digest: &Digest, tags: &[&str]) {
    let idx = TarIndex::open(file).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&idx.read_member("manifest.json", 1 << 20).unwrap()).unwrap();
    let entry = &manifest[0];
    assert_eq!(entry["Config"], format!("{}.json", config_digest.hex()));
    let repo_tags: Vec<&str> = entry["RepoTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(repo_tags, tags);
    let config = idx
        .read_member(entry["Config"].as_str().unwrap(), 1 << 20)
        .unwrap();
    assert_eq!(digest_bytes(&config), *config_digest);
    let ids = diff_ids(&parse_config(&config).unwrap()).unwrap();
    let layers = entry["Layers"].as_array().unwrap();
    assert_eq!(layers.len(), ids.len());
    for (l, id) in layers.iter().zip(&ids) {
        let name = l.as_str().unwrap();
        assert_eq!(name, format!("{}/layer.tar", id.hex()));
        let mut data = Vec::new();
        idx.open_member(name)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        assert_eq!(
            digest_bytes(&data),
            *id,
            "layer.tar must be the uncompressed layer"
        );
    }
    if !tags.is_empty() {
        let repos: serde_json::Value =
            serde_json::from_slice(&idx.read_member("repositories", 1 << 20).unwrap()).unwrap();
        let (repo, tag) = tags[0].rsplit_once(':').unwrap();
        assert_eq!(repos[repo][tag], ids.last().unwrap().hex());
    }
}

#[test]
fn docker_archive_round_trip_decompresses_layers() {
    for compression in [
        Compression::Gzip { level: 6 },
        Compression::None,
        Compression::Zstd { level: 3 },
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        build_layout(&a, "v1", compression);
        let src_ref = format!("oci:{}:v1", a.display());
        let m = root_of(&src_ref).parse_image().unwrap();
        let config_digest = Digest::from_oci(m.config().digest()).unwrap();
        let ar = tmp.path().join("d.tar");
        copy(
            &src_ref,
            &format!("docker-archive:{}:example.com/app:v1", ar.display()),
            &CopyOptions::default(),
        )
        .unwrap();
        check_docker_archive(&ar, &config_digest, &["example.com/app:v1"]);

        // Reading it back gives a Docker schema 2 image with the same config and diffIDs.
        let back = tmp.path().join("back");
        let rep = copy(
            &format!("docker-archive:{}:example.com/app:v1", ar.display()),
            &format!("oci:{}:v1", back.display()),
            &CopyOptions::default(),
        )
        .unwrap();
        let root = root_of(&format!("oci:{}:v1", back.display()));
        assert_eq!(root.digest, rep.digest);
        assert!(root.is_docker());
        let bm = root.parse_image().unwrap();
        assert_eq!(
            Digest::from_oci(bm.config().digest()).unwrap(),
            config_digest
        );
        // Reading the same archive twice gives the same manifest digest.
        assert_eq!(
            root_of(&format!("docker-archive:{}", ar.display())).digest,
            root.digest
        );
        // And back to a docker archive: identical manifest.json.
        let ar2 = tmp.path().join("d2.tar");
        copy(
            &format!("oci:{}:v1", back.display()),
            &format!("docker-archive:{}:example.com/app:v1", ar2.display()),
            &CopyOptions::default(),
        )
        .unwrap();
        check_docker_archive(&ar2, &config_digest, &["example.com/app:v1"]);
    }
}

#[test]
fn docker_hub_names_are_short_in_repo_tags() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::None);
    let ar = tmp.path().join("d.tar");
    copy(
        &format!("oci:{}:v1", a.display()),
        &format!("docker-archive:{}:myapp:2", ar.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let idx = TarIndex::open(&ar).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&idx.read_member("manifest.json", 1 << 20).unwrap()).unwrap();
    assert_eq!(manifest[0]["RepoTags"][0], "myapp:2");
    // Found again by any spelling of the name.
    for name in ["myapp:2", "docker.io/library/myapp:2"] {
        assert!(
            open_source(
                &r(&format!("docker-archive:{}:{name}", ar.display())),
                &Default::default()
            )
            .is_ok(),
            "{name}"
        );
    }
    assert!(open_source(
        &r(&format!("docker-archive:{}:other:1", ar.display())),
        &Default::default()
    )
    .is_err());
}

#[test]
fn docker_save_style_archive_with_symlinked_layer() {
    // Built by hand like `docker save` does for a layer used twice: the second layer directory
    // holds a symlink to the first one's layer.tar.
    let (tar1, id1, _) = layer(&[E::File("a", b"same\n", 0o644)], Compression::None);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [id1.to_string(), id1.to_string()]},
    }))
    .unwrap();
    let cfg_d = digest_bytes(&config);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("save.tar");
    let mut b = tar::Builder::new(fs::File::create(&file).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    add(&format!("{}.json", cfg_d.hex()), &config);
    add("l1/layer.tar", &tar1);
    add(
        "manifest.json",
        format!(
            r#"[{{"Config":"{}.json","RepoTags":null,"Layers":["l1/layer.tar","l2/layer.tar"]}}]"#,
            cfg_d.hex()
        )
        .as_bytes(),
    );
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    h.set_mode(0o777);
    b.append_link(&mut h, "l2/layer.tar", "../l1/layer.tar")
        .unwrap();
    b.into_inner().unwrap();

    let out = tmp.path().join("out");
    copy(
        &format!("docker-archive:{}", file.display()),
        &format!("oci:{}:x", out.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let m = root_of(&format!("oci:{}:x", out.display()))
        .parse_image()
        .unwrap();
    assert_eq!(m.layers().len(), 2);
    assert_eq!(m.layers()[0].digest(), m.layers()[1].digest());
    assert_eq!(Digest::from_oci(m.config().digest()).unwrap(), cfg_d);
}

#[test]
fn index_copied_whole_with_all_else_one_platform() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let (index_d, amd, arm) = build_index_layout(&a, "multi");
    let src = format!("oci:{}:multi", a.display());

    let all = tmp.path().join("all");
    let rep = copy(
        &src,
        &format!("oci:{}:multi", all.display()),
        &CopyOptions {
            all: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(rep.digest, index_d);
    let lay = OciLayout::open(&all).unwrap();
    for d in [&amd, &arm] {
        assert!(lay.has_blob(d, None));
    }

    let one = tmp.path().join("one");
    let rep = copy(
        &src,
        &format!("oci:{}:arm", one.display()),
        &CopyOptions {
            platform: Some("linux/arm64".parse().unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(rep.digest, arm);
    let lay = OciLayout::open(&one).unwrap();
    assert!(!lay.has_blob(&amd, None));
    assert!(!lay.has_blob(&index_d, None));

    let err = copy(
        &src,
        &format!("oci:{}:x", one.display()),
        &CopyOptions {
            platform: Some("linux/s390x".parse().unwrap()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("linux/arm64"), "{err}");
    assert!(err.hint().is_some());

    let ar = tmp.path().join("d.tar");
    let err = copy(
        &src,
        &format!("docker-archive:{}", ar.display()),
        &CopyOptions {
            all: true,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, CopyError::Unsupported { .. }), "{err}");
    assert!(!ar.exists());
    // oci-archive keeps the whole index.
    let oar = tmp.path().join("o.tar");
    let rep = copy(
        &src,
        &format!("oci-archive:{}", oar.display()),
        &CopyOptions {
            all: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(rep.digest, index_d);
    assert_eq!(
        root_of(&format!("oci-archive:{}", oar.display())).digest,
        index_d
    );
}

#[test]
fn corrupted_blob_fails_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let src = format!("oci:{}:v1", a.display());
    let m = root_of(&src).parse_image().unwrap();
    let layer = Digest::from_oci(m.layers()[1].digest()).unwrap();
    let path = a.join("blobs/sha256").join(layer.hex());
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 0xff;
    fs::write(&path, &bytes).unwrap();

    let b = tmp.path().join("b");
    let err = copy(
        &src,
        &format!("oci:{}:v1", b.display()),
        &CopyOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains(&layer.to_string()), "{err}");
    // A new layout is only published whole: nothing is left, not even temporaries.
    assert!(
        !b.exists(),
        "a failed copy into a new layout leaves nothing"
    );
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hoist-"))
        .collect();
    assert!(leftovers.is_empty());

    for dst in [
        format!("oci-archive:{}", tmp.path().join("x.tar").display()),
        format!("docker-archive:{}", tmp.path().join("y.tar").display()),
    ] {
        assert!(copy(&src, &dst, &CopyOptions::default()).is_err());
    }
    assert!(!tmp.path().join("x.tar").exists() && !tmp.path().join("y.tar").exists());
}

/// A destination that takes blobs in batches and records what it was asked, in order.
struct BatchingDest {
    present: Vec<String>,
    events: Vec<String>,
}

impl hoist::copy::ImageDest for BatchingDest {
    fn describe(&self) -> String {
        "batching".to_string()
    }
    fn caps(&self) -> hoist::copy::DestCaps {
        hoist::copy::DestCaps {
            index: true,
            artifacts: true,
        }
    }
    fn has_blob(&mut self, desc: &oci_spec::image::Descriptor) -> Result<bool, CopyError> {
        self.events.push(format!("has {}", desc.digest()));
        Ok(self.present.iter().any(|p| p == &desc.digest().to_string()))
    }
    fn put_blob(
        &mut self,
        desc: &oci_spec::image::Descriptor,
        _kind: &hoist::copy::BlobKind,
        data: &mut dyn Read,
        _source_path: Option<&Path>,
    ) -> Result<(), CopyError> {
        std::io::copy(data, &mut std::io::sink()).unwrap();
        self.events.push(format!("put {}", desc.digest()));
        Ok(())
    }
    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        self.events.push(format!("manifest {}", m.digest));
        Ok(())
    }
    fn commit(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        self.events.push(format!("commit {}", root.digest));
        Ok(())
    }
    fn batches_blobs(&self) -> bool {
        true
    }
    fn put_blobs_from_paths(
        &mut self,
        blobs: Vec<(
            oci_spec::image::Descriptor,
            hoist::copy::BlobKind,
            std::path::PathBuf,
        )>,
    ) -> Result<(), CopyError> {
        let mut names: Vec<String> = Vec::new();
        for (desc, _, path) in &blobs {
            let d = Digest::from_oci(desc.digest()).unwrap();
            assert_eq!(digest_bytes(&fs::read(path).unwrap()), d);
            names.push(d.to_string());
        }
        self.events.push(format!("batch {}", names.join(",")));
        Ok(())
    }
}

#[test]
fn batching_destination_gets_verified_blobs_in_one_batch_before_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let src = format!("oci:{}:v1", a.display());
    let m = root_of(&src).parse_image().unwrap();
    let config = m.config().digest().to_string();
    let layers: Vec<String> = m.layers().iter().map(|l| l.digest().to_string()).collect();

    // The first layer is already there: checked, skipped, not in the batch.
    let mut dst = BatchingDest {
        present: vec![layers[0].clone()],
        events: Vec::new(),
    };
    let mut s = open_source(&r(&src), &Default::default()).unwrap();
    let rep = copy_image(s.as_mut(), &mut dst, &CopyOptions::default(), &NoProgress).unwrap();
    assert_eq!(rep.digest, d);
    assert_eq!(rep.skipped, 1);
    assert_eq!(rep.copied, 1 + layers.len() - 1);
    let mut want: Vec<String> = std::iter::once(&config)
        .chain(layers.iter())
        .map(|b| format!("has {b}"))
        .collect();
    let batched: Vec<String> = std::iter::once(config.clone())
        .chain(layers[1..].iter().cloned())
        .collect();
    want.push(format!("batch {}", batched.join(",")));
    want.push(format!("commit {d}"));
    assert_eq!(dst.events, want);

    // A corrupted blob stops the copy before anything is handed over, naming the blob.
    let bad = Digest::from_oci(m.layers()[1].digest()).unwrap();
    let path = a.join("blobs/sha256").join(bad.hex());
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 0xff;
    fs::write(&path, &bytes).unwrap();
    let mut dst = BatchingDest {
        present: Vec::new(),
        events: Vec::new(),
    };
    let mut s = open_source(&r(&src), &Default::default()).unwrap();
    let err = copy_image(s.as_mut(), &mut dst, &CopyOptions::default(), &NoProgress).unwrap_err();
    assert!(err.to_string().contains(&bad.to_string()), "{err}");
    assert!(dst
        .events
        .iter()
        .all(|e| !e.starts_with("batch") && !e.starts_with("commit")));
}

// --- external tools -------------------------------------------------------------------------

#[test]
fn skopeo_reads_what_hoist_writes_and_back() {
    let Some(skopeo) = tool("skopeo") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });

    // skopeo inspects hoist's layout: same digest.
    let out = run_ok(Command::new(&skopeo).args(["inspect", &format!("oci:{}:v1", a.display())]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Digest"], d.to_string());
    assert_eq!(v["Architecture"], "amd64");

    // hoist's docker archive is readable by skopeo.
    let ar = tmp.path().join("d.tar");
    copy(
        &format!("oci:{}:v1", a.display()),
        &format!("docker-archive:{}:example.com/app:v1", ar.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let out = run_ok(
        Command::new(&skopeo).args(["inspect", &format!("docker-archive:{}", ar.display())]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The layers skopeo sees are the uncompressed tars: their digests are the diffIDs.
    let cfg = root_of(&format!("oci:{}:v1", a.display()))
        .parse_image()
        .unwrap();
    let cfg_d = Digest::from_oci(cfg.config().digest()).unwrap();
    let lay = OciLayout::open(&a).unwrap();
    let ids = diff_ids(
        &parse_config(&lay.read_blob(&cfg_d, cfg.config().size(), 1 << 20).unwrap()).unwrap(),
    )
    .unwrap();
    let layers: Vec<String> = v["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        layers,
        ids.iter().map(|d| d.to_string()).collect::<Vec<_>>()
    );

    // hoist's oci-archive is readable by skopeo.
    let oar = tmp.path().join("o.tar");
    copy(
        &format!("oci:{}:v1", a.display()),
        &format!("oci-archive:{}:v1", oar.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let out = run_ok(
        Command::new(&skopeo).args(["inspect", &format!("oci-archive:{}:v1", oar.display())]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Digest"], d.to_string());

    // skopeo writes a docker archive from hoist's layout; hoist reads it and the config survives.
    let sk_ar = tmp.path().join("sk.tar");
    run_ok(Command::new(&skopeo).args([
        "copy",
        &format!("oci:{}:v1", a.display()),
        &format!("docker-archive:{}:example.com/sk:v1", sk_ar.display()),
    ]));
    let src_cfg = root_of(&format!("oci:{}:v1", a.display()))
        .parse_image()
        .unwrap()
        .config()
        .digest()
        .clone();
    let back = tmp.path().join("back");
    copy(
        &format!("docker-archive:{}:example.com/sk:v1", sk_ar.display()),
        &format!("oci:{}:v1", back.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let got = root_of(&format!("oci:{}:v1", back.display()))
        .parse_image()
        .unwrap();
    assert_eq!(got.config().digest(), &src_cfg);

    // skopeo writes an OCI layout; hoist reads it with the digest skopeo reports.
    let sk_lay = tmp.path().join("sklay");
    run_ok(Command::new(&skopeo).args([
        "copy",
        &format!("docker-archive:{}", ar.display()),
        &format!("oci:{}:fromsk", sk_lay.display()),
    ]));
    let out = run_ok(
        Command::new(&skopeo).args(["inspect", &format!("oci:{}:fromsk", sk_lay.display())]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sk_digest = root_of(&format!("oci:{}:fromsk", sk_lay.display())).digest;
    assert_eq!(v["Digest"], sk_digest.to_string());
    let again = tmp.path().join("again");
    let rep = copy(
        &format!("oci:{}:fromsk", sk_lay.display()),
        &format!("oci:{}:x", again.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    assert_eq!(rep.digest, sk_digest);
}

#[test]
fn umoci_unpacks_hoist_layouts_to_the_source_tree() {
    let Some(umoci) = tool("umoci") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Gzip { level: 6 });
    // Through hoist's copy engine (oci-archive and back) first, so the layout umoci reads is
    // one hoist wrote end to end.
    let oar = tmp.path().join("o.tar");
    copy(
        &format!("oci:{}:v1", a.display()),
        &format!("oci-archive:{}:v1", oar.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let b = tmp.path().join("b");
    copy(
        &format!("oci-archive:{}:v1", oar.display()),
        &format!("oci:{}:v1", b.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let bundle = tmp.path().join("bundle");
    run_ok(Command::new(&umoci).args([
        "unpack",
        "--rootless",
        "--image",
        &format!("{}:v1", b.display()),
        bundle.to_str().unwrap(),
    ]));
    let rootfs = bundle.join("rootfs");
    assert_eq!(files_under(&rootfs), standard_tree("amd64"));
    assert_eq!(
        fs::read_link(rootfs.join("etc/link")).unwrap(),
        Path::new("hello")
    );
    assert!(!rootfs.join("etc/gone").exists());
}

#[test]
fn content_store_round_trip_survives_prune() {
    use hoist::copy::{StoreDest, StoreSource};
    use hoist::oci::store::Store;
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let (index_d, _, _) = build_index_layout(&a, "m");
    let store = Store::open(tmp.path().join("store")).unwrap();
    let mut src = open_source(&r(&format!("oci:{}:m", a.display())), &Default::default()).unwrap();
    let mut dst = StoreDest::new(store.clone(), Some("app"));
    let all = CopyOptions {
        all: true,
        ..Default::default()
    };
    let rep = copy_image(src.as_mut(), &mut dst, &all, &NoProgress).unwrap();
    assert_eq!(rep.digest, index_d);
    assert_eq!(store.get_ref("app").unwrap(), Some(index_d.clone()));
    let pruned = store.prune().unwrap();
    assert!(pruned.blobs_removed.is_empty(), "{pruned:?}");

    let out = tmp.path().join("out");
    let mut s = StoreSource::new(store.clone(), "app");
    let mut d = open_dest(&r(&format!("oci:{}:m", out.display())), &Default::default()).unwrap();
    let rep = copy_image(&mut s, d.as_mut(), &all, &NoProgress).unwrap();
    assert_eq!(rep.digest, index_d);
    assert_eq!(root_of(&format!("oci:{}:m", out.display())).digest, index_d);
    assert!(StoreSource::new(store, "missing").root().is_err());
}

#[test]
fn docker_25_style_archive_with_oci_blobs_is_read_by_manifest_json() {
    // `docker save` since Docker 25 writes an OCI layout plus a manifest.json whose Config and
    // Layers point into blobs/sha256/.
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::None);
    let m = root_of(&format!("oci:{}:v1", a.display()))
        .parse_image()
        .unwrap();
    let blob = |desc: &oci_spec::image::Descriptor| {
        format!(
            "blobs/sha256/{}",
            Digest::from_oci(desc.digest()).unwrap().hex()
        )
    };
    let entry = serde_json::json!([{
        "Config": blob(m.config()),
        "RepoTags": ["app:v1"],
        "Layers": m.layers().iter().map(blob).collect::<Vec<_>>(),
    }]);
    let file = tmp.path().join("d25.tar");
    let mut b = tar::Builder::new(fs::File::create(&file).unwrap());
    b.append_dir_all(".", &a).unwrap();
    let bytes = serde_json::to_vec(&entry).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, "manifest.json", &bytes[..]).unwrap();
    b.into_inner().unwrap();

    let out = tmp.path().join("out");
    copy(
        &format!("docker-archive:{}:app:v1", file.display()),
        &format!("oci:{}:v1", out.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let got = root_of(&format!("oci:{}:v1", out.display()))
        .parse_image()
        .unwrap();
    assert_eq!(got.config().digest(), m.config().digest());
    let layer_digests = |x: &oci_spec::image::ImageManifest| {
        x.layers()
            .iter()
            .map(|l| l.digest().to_string())
            .collect::<Vec<_>>()
    };
    // Uncompressed layers: same blobs as the source layout.
    assert_eq!(layer_digests(&got), layer_digests(&m));
    // The archive is also a valid oci-archive.
    assert_eq!(
        root_of(&format!("oci-archive:{}:v1", file.display())).digest,
        d
    );
}

#[test]
fn format_conversion_changes_manifests_not_blobs() {
    use hoist::oci::media::{self, MediaFlavor};
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let src = format!("oci:{}:v1", a.display());
    let orig = root_of(&src).parse_image().unwrap();

    // OCI -> Docker: new manifest, same config and layer blobs, Docker media types.
    let dk = tmp.path().join("dk");
    let to_docker = CopyOptions {
        format: Some(MediaFlavor::Docker),
        ..Default::default()
    };
    let rep = copy(&src, &format!("oci:{}:v1", dk.display()), &to_docker).unwrap();
    assert_ne!(rep.digest, d);
    let docker = root_of(&format!("oci:{}:v1", dk.display()));
    assert_eq!(docker.media_type, media::DOCKER_MANIFEST);
    let dm = docker.parse_image().unwrap();
    assert_eq!(dm.config().digest(), orig.config().digest());
    assert_eq!(dm.config().media_type().to_string(), media::DOCKER_CONFIG);
    for (x, y) in dm.layers().iter().zip(orig.layers()) {
        assert_eq!(x.digest(), y.digest());
        assert_eq!(x.media_type().to_string(), media::DOCKER_LAYER_GZIP);
    }
    // Docker -> OCI gives back the original bytes (the fixture is canonical JSON).
    let back = tmp.path().join("back");
    let rep = copy(
        &format!("oci:{}:v1", dk.display()),
        &format!("oci:{}:v1", back.display()),
        &CopyOptions {
            format: Some(MediaFlavor::Oci),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(rep.digest, d);
    // Converting to the format it already has keeps the bytes.
    let same = tmp.path().join("same");
    let rep = copy(
        &src,
        &format!("oci:{}:v1", same.display()),
        &CopyOptions {
            format: Some(MediaFlavor::Oci),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(rep.digest, d);

    // zstd layers have no Docker media type.
    let z = tmp.path().join("z");
    build_layout(&z, "v1", Compression::Zstd { level: 3 });
    let err = copy(
        &format!("oci:{}:v1", z.display()),
        &format!("oci:{}:v1", tmp.path().join("zd").display()),
        &to_docker,
    )
    .unwrap_err();
    assert!(err.to_string().contains("zstd"), "{err}");

    // A whole index: children converted, index rewritten to point at them.
    let m = tmp.path().join("m");
    let (index_d, _, _) = build_index_layout(&m, "multi");
    let mdk = tmp.path().join("mdk");
    let rep = copy(
        &format!("oci:{}:multi", m.display()),
        &format!("oci:{}:multi", mdk.display()),
        &CopyOptions {
            all: true,
            format: Some(MediaFlavor::Docker),
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(rep.digest, index_d);
    let list = root_of(&format!("oci:{}:multi", mdk.display()));
    assert_eq!(list.media_type, media::DOCKER_MANIFEST_LIST);
    let lay = OciLayout::open(&mdk).unwrap();
    for entry in list.parse_index().unwrap().manifests() {
        assert_eq!(entry.media_type().to_string(), media::DOCKER_MANIFEST);
        let child = lay.read_manifest(entry).unwrap();
        assert_eq!(child.media_type, media::DOCKER_MANIFEST);
    }
}

#[test]
fn docker_archive_converted_to_oci_is_unpacked_by_umoci() {
    let Some(umoci) = tool("umoci") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let ar = tmp.path().join("d.tar");
    copy(
        &format!("oci:{}:v1", a.display()),
        &format!("docker-archive:{}:app:v1", ar.display()),
        &CopyOptions::default(),
    )
    .unwrap();
    let lay = tmp.path().join("lay");
    copy(
        &format!("docker-archive:{}:app:v1", ar.display()),
        &format!("oci:{}:v1", lay.display()),
        &CopyOptions {
            format: Some(hoist::oci::media::MediaFlavor::Oci),
            ..Default::default()
        },
    )
    .unwrap();
    let bundle = tmp.path().join("bundle");
    run_ok(Command::new(&umoci).args([
        "unpack",
        "--rootless",
        "--image",
        &format!("{}:v1", lay.display()),
        bundle.to_str().unwrap(),
    ]));
    assert_eq!(files_under(&bundle.join("rootfs")), standard_tree("amd64"));
}
