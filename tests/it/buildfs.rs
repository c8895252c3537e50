//! The filesystem side of `hoist build`: COPY/ADD planning and materialisation against real
//! context directories and overlay-form layer directories, `.dockerignore`, hostile contexts,
//! content digests and the stat fast path.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hoist::build::fs::{
    parse_chmod, plan_copy_with, AddOptions, Chmod, CopyPlan, CopyRequest, DockerIgnore, FsError,
    LayerStack, PlanOptions, SourceRoot,
};
use hoist::oci::unpack::is_root;

// ---------------------------------------------------------------- helpers

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(root: &Path, rel: &str, content: &str) -> PathBuf {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, content).unwrap();
    p
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[derive(Clone)]
struct Req {
    sources: Vec<String>,
    dest: String,
    workdir: String,
    chown: Option<(u32, u32)>,
    chmod: Option<Chmod>,
    parents: bool,
    excludes: Vec<String>,
    link: bool,
    add: Option<(Option<String>, bool)>,
}

fn req(sources: &[&str], dest: &str) -> Req {
    Req {
        sources: sources.iter().map(|s| s.to_string()).collect(),
        dest: dest.to_string(),
        workdir: "/".to_string(),
        chown: None,
        chmod: None,
        parents: false,
        excludes: Vec::new(),
        link: false,
        add: None,
    }
}

impl Req {
    fn plan_in(
        &self,
        src: &SourceRoot,
        view: Option<&LayerStack>,
        cache: Option<&Path>,
    ) -> Result<CopyPlan, FsError> {
        let add = self.add.as_ref().map(|(c, u)| AddOptions {
            checksum: c.as_deref(),
            unpack: *u,
        });
        let r = CopyRequest {
            sources: &self.sources,
            dest: &self.dest,
            workdir: &self.workdir,
            chown: self.chown,
            chmod: self.chmod.as_ref(),
            parents: self.parents,
            excludes: &self.excludes,
            link: self.link,
            add,
        };
        plan_copy_with(
            src,
            view,
            &r,
            &PlanOptions {
                hash_cache: cache.map(Path::to_path_buf),
                known: None,
            },
        )
    }

    /// Plan against a context dir (with its .dockerignore) and no parent image.
    fn ctx(&self, dir: &Path) -> Result<CopyPlan, FsError> {
        let ig = DockerIgnore::load(dir, None).unwrap();
        self.plan_in(&SourceRoot::Context { dir, ignore: &ig }, None, None)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    kind: char,
    mode: u32,
    uid: u32,
    gid: u32,
    /// File content or link target.
    data: String,
}

/// Everything under `root` (relative paths), not following symlinks.
fn tree(root: &Path) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Node>) {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            let md = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let ft = md.file_type();
            let (kind, data) = if ft.is_dir() {
                ('d', String::new())
            } else if ft.is_symlink() {
                (
                    'l',
                    fs::read_link(&p).unwrap().to_string_lossy().into_owned(),
                )
            } else {
                (
                    'f',
                    String::from_utf8_lossy(&fs::read(&p).unwrap()).into_owned(),
                )
            };
            out.insert(
                rel,
                Node {
                    kind,
                    mode: md.mode() & 0o7777,
                    uid: md.uid(),
                    gid: md.gid(),
                    data,
                },
            );
            if ft.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    walk(root, root, &mut out);
    out
}

fn materialized(plan: &CopyPlan) -> (tempfile::TempDir, BTreeMap<String, Node>) {
    let out = tmp();
    plan.materialize(out.path()).unwrap();
    let t = tree(out.path());
    (out, t)
}

fn names(t: &BTreeMap<String, Node>) -> Vec<&str> {
    t.keys().map(|s| s.as_str()).collect()
}

/// A small context used by many tests.
fn sample_ctx() -> tempfile::TempDir {
    let c = tmp();
    write(c.path(), "a.txt", "A");
    write(c.path(), "b.txt", "B");
    write(c.path(), "src/main.go", "package main");
    write(c.path(), "src/lib/util.go", "package lib");
    write(c.path(), "src/lib/README.md", "readme");
    c
}

// ---------------------------------------------------------------- COPY basics

#[test]
fn directory_source_copies_its_contents() {
    let c = sample_ctx();
    let p = req(&["src"], "/app").ctx(c.path()).unwrap();
    let (_o, t) = materialized(&p);
    assert_eq!(
        names(&t),
        vec![
            "app",
            "app/lib",
            "app/lib/README.md",
            "app/lib/util.go",
            "app/main.go"
        ]
    );
    // The created destination is 0755 root-owned (BuildKit's MkdirAll), not the source's mode.
    assert_eq!((t["app"].mode, t["app"].uid), (0o755, 0));
}

#[test]
fn file_destinations_follow_docker_rules() {
    let c = sample_ctx();
    // Trailing slash: inside.
    let (_o, t) = materialized(&req(&["a.txt"], "/d/").ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["d", "d/a.txt"]);
    // No slash, nothing there: the file gets that name.
    let (_o, t) = materialized(&req(&["a.txt"], "/d/new").ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["d", "d/new"]);
    assert_eq!(t["d/new"].data, "A");
    // Relative to WORKDIR; missing parents created 0755 root-owned.
    let mut r = req(&["a.txt"], "x/");
    r.workdir = "/srv/www".into();
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    assert_eq!(
        names(&t),
        vec!["srv", "srv/www", "srv/www/x", "srv/www/x/a.txt"]
    );
    for d in ["srv", "srv/www", "srv/www/x"] {
        assert_eq!(
            (t[d].kind, t[d].mode, t[d].uid, t[d].gid),
            ('d', 0o755, 0, 0),
            "{d}"
        );
    }
    // "." is the WORKDIR itself.
    let mut r = req(&["a.txt"], ".");
    r.workdir = "/w".into();
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["w", "w/a.txt"]);
}

#[test]
fn several_sources_need_a_directory_destination() {
    let c = sample_ctx();
    let e = req(&["a.txt", "b.txt"], "/d").ctx(c.path()).err().unwrap();
    assert!(
        e.to_string()
            .contains("must be a directory and end with a /"),
        "{e}"
    );
    let (_o, t) = materialized(&req(&["a.txt", "b.txt"], "/d/").ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["d", "d/a.txt", "d/b.txt"]);
}

#[test]
fn an_existing_image_directory_receives_the_file() {
    let c = sample_ctx();
    let img = tmp();
    fs::create_dir_all(img.path().join("opt/app")).unwrap();
    chmod(&img.path().join("opt/app"), 0o750);
    symlink("/opt/app", img.path().join("app")).unwrap();
    let view = LayerStack::new(vec![img.path().to_path_buf()]);
    let ig = DockerIgnore::default();
    let src = SourceRoot::Context {
        dir: c.path(),
        ignore: &ig,
    };
    // /opt/app exists as a directory: a file goes inside even without a trailing slash, and
    // the directory is recreated with the image's metadata (not 0755).
    let p = req(&["a.txt"], "/opt/app")
        .plan_in(&src, Some(&view), None)
        .unwrap();
    let (_o, t) = materialized(&p);
    assert_eq!(names(&t), vec!["opt", "opt/app", "opt/app/a.txt"]);
    assert_eq!(t["opt/app"].mode, 0o750);
    // A destination through a symlink in the image is followed inside the image.
    let p = req(&["a.txt"], "/app/")
        .plan_in(&src, Some(&view), None)
        .unwrap();
    let (_o, t) = materialized(&p);
    assert_eq!(names(&t), vec!["opt", "opt/app", "opt/app/a.txt"]);
    // --link resolves the destination without the parent image.
    let mut r = req(&["a.txt"], "/app/");
    r.link = true;
    let (_o, t) = materialized(&r.plan_in(&src, Some(&view), None).unwrap());
    assert_eq!(names(&t), vec!["app", "app/a.txt"]);
    // A file onto an image directory's place is a conflict only for directory sources onto
    // files.
    write(img.path(), "etc/conf", "x");
    let e = req(&["src"], "/etc/conf")
        .plan_in(&src, Some(&view), None)
        .err()
        .unwrap();
    assert!(matches!(e, FsError::Conflict { .. }), "{e}");
}

// ---------------------------------------------------------------- wildcards

#[test]
fn wildcards_match_per_component() {
    let c = sample_ctx();
    write(c.path(), "dir1/x.txt", "1");
    write(c.path(), "dir2/y.txt", "2");
    write(c.path(), "dirX/z.txt", "3");
    let (_o, t) = materialized(&req(&["*.txt"], "/d/").ctx(c.path()).unwrap());
    assert_eq!(
        names(&t),
        vec!["d", "d/a.txt", "d/b.txt"],
        "* does not cross /"
    );
    let (_o, t) = materialized(&req(&["dir[0-9]/*.txt"], "/d/").ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["d", "d/x.txt", "d/y.txt"]);
    let (_o, t) = materialized(&req(&["?.txt"], "/d/").ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["d", "d/a.txt", "d/b.txt"]);
    // Matched directories copy their contents.
    let (_o, t) = materialized(&req(&["dir?"], "/d/").ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["d", "d/x.txt", "d/y.txt", "d/z.txt"]);
    let e = req(&["*.nope"], "/d/").ctx(c.path()).err().unwrap();
    assert!(matches!(e, FsError::NoMatch { .. }), "{e}");
    assert!(e.to_string().contains("*.nope"), "{e}");
    let e = req(&["missing.txt"], "/d/").ctx(c.path()).err().unwrap();
    assert!(matches!(e, FsError::NotFound { .. }) && e.to_string().contains("missing.txt"));
}

// ---------------------------------------------------------------- hostile contexts

#[test]
fn dotdot_never_leaves_the_context() {
    let c = sample_ctx();
    for s in ["../etc/passwd", "src/../../x", "/../a.txt"] {
        let e = req(&[s], "/d/").ctx(c.path()).err().unwrap();
        assert!(matches!(e, FsError::Escapes { .. }), "{s}: {e}");
        assert!(e.to_string().contains(s), "{e}");
    }
    // `..` that stays inside is fine.
    let (_o, t) = materialized(&req(&["src/../a.txt"], "/d/").ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["d", "d/a.txt"]);
}

#[test]
fn symlinks_are_copied_as_symlinks_never_their_target() {
    let c = sample_ctx();
    symlink("/etc/passwd", c.path().join("src/passwd")).unwrap();
    symlink("../../../../../etc/shadow", c.path().join("src/shadow")).unwrap();
    let (_o, t) = materialized(&req(&["src"], "/app").ctx(c.path()).unwrap());
    assert_eq!(t["app/passwd"].kind, 'l');
    assert_eq!(t["app/passwd"].data, "/etc/passwd");
    assert_eq!(t["app/shadow"].data, "../../../../../etc/shadow");
    // A symlink named as the source is followed inside the context only: /etc/passwd is
    // looked up as <context>/etc/passwd, which does not exist.
    let e = req(&["src/passwd"], "/d/").ctx(c.path()).err().unwrap();
    assert!(matches!(e, FsError::NotFound { .. }), "{e}");
    // A source named through a symlinked directory pointing out of the context.
    symlink("/etc", c.path().join("etcdir")).unwrap();
    let e = req(&["etcdir/passwd"], "/d/").ctx(c.path()).err().unwrap();
    assert!(matches!(e, FsError::NotFound { .. }), "{e}");
    let e = req(&["etcdir/*"], "/d/").ctx(c.path()).err().unwrap();
    assert!(matches!(e, FsError::NoMatch { .. }), "{e}");
    // A symlink inside the context pointing at a context file is followed (source argument).
    symlink("a.txt", c.path().join("alias")).unwrap();
    let (_o, t) = materialized(&req(&["alias"], "/d/").ctx(c.path()).unwrap());
    assert_eq!((t["d/alias"].kind, t["d/alias"].data.as_str()), ('f', "A"));
}

#[test]
fn hardlinks_within_one_copy_are_preserved() {
    let c = sample_ctx();
    let a = write(c.path(), "h/one", "same");
    fs::hard_link(&a, c.path().join("h/two")).unwrap();
    let out = tmp();
    req(&["h"], "/h")
        .ctx(c.path())
        .unwrap()
        .materialize(out.path())
        .unwrap();
    let m1 = fs::metadata(out.path().join("h/one")).unwrap();
    let m2 = fs::metadata(out.path().join("h/two")).unwrap();
    assert_eq!(m1.ino(), m2.ino());
    assert_eq!(m1.nlink(), 2);
}

// ---------------------------------------------------------------- .dockerignore

#[test]
fn dockerignore_excludes_and_names_the_pattern() {
    let c = sample_ctx();
    write(
        c.path(),
        ".dockerignore",
        "*.md\nsecrets/\n!secrets/public.pem\n",
    );
    write(c.path(), "secrets/key.pem", "K");
    write(c.path(), "secrets/public.pem", "P");
    write(c.path(), "notes.md", "N");
    let e = req(&["notes.md"], "/d/").ctx(c.path()).err().unwrap();
    match &e {
        FsError::Excluded { pattern, .. } => assert_eq!(pattern, "*.md"),
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("\"*.md\"") && e.to_string().contains(".dockerignore"));
    let e = req(&["secrets/key.pem"], "/d/")
        .ctx(c.path())
        .err()
        .unwrap();
    assert!(e.to_string().contains("\"secrets\""), "{e}");
    let e = req(&["*.md"], "/d/").ctx(c.path()).err().unwrap();
    assert!(matches!(e, FsError::Excluded { .. }), "{e}");
    // A directory copy leaves excluded files out; the exception is re-included.
    let (_o, t) = materialized(&req(&["."], "/app/").ctx(c.path()).unwrap());
    let got = names(&t);
    assert!(got.contains(&"app/secrets/public.pem"), "{got:?}");
    assert!(!got.contains(&"app/secrets/key.pem"));
    assert!(!got.contains(&"app/notes.md"));
    assert!(
        got.contains(&"app/src/lib/README.md"),
        "`*.md` only matches at the context root"
    );
    assert!(got.contains(&"app/.dockerignore"));
}

#[test]
fn excluded_directory_without_reincluded_children_is_not_created() {
    let c = sample_ctx();
    write(c.path(), ".dockerignore", "build\n!src/keep\n");
    write(c.path(), "build/out.o", "o");
    let (_o, t) = materialized(&req(&["."], "/app/").ctx(c.path()).unwrap());
    assert!(!t.contains_key("app/build"), "{:?}", names(&t));
}

// ---------------------------------------------------------------- ownership and modes

#[test]
fn chown_applies_to_copied_files_and_created_parents() {
    let c = sample_ctx();
    let mut r = req(&["src"], "/a/b/");
    r.chown = Some((1000, 1001));
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    if is_root() {
        for (k, n) in &t {
            assert_eq!((n.uid, n.gid), (1000, 1001), "{k}");
        }
    }
    // Without --chown, context files are owned by root.
    if is_root() {
        std::os::unix::fs::chown(c.path().join("a.txt"), Some(123), Some(456)).unwrap();
        let (_o, t) = materialized(&req(&["a.txt"], "/x/").ctx(c.path()).unwrap());
        assert_eq!((t["x/a.txt"].uid, t["x/a.txt"].gid), (0, 0));
    }
}

#[test]
fn modes_are_kept_and_chmod_applies() {
    let c = sample_ctx();
    chmod(&c.path().join("a.txt"), 0o751);
    chmod(&c.path().join("src/lib"), 0o700);
    let (_o, t) = materialized(&req(&["a.txt", "src"], "/d/").ctx(c.path()).unwrap());
    assert_eq!(t["d/a.txt"].mode, 0o751);
    assert_eq!(t["d/lib"].mode, 0o700);
    // Octal: every file and directory, and the directories the COPY creates.
    let mut r = req(&["src"], "/new/dir/");
    r.chmod = Some(parse_chmod("0710").unwrap());
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    for k in ["new", "new/dir", "new/dir/lib", "new/dir/main.go"] {
        assert_eq!(t[k].mode, 0o710, "{k}");
    }
    // Symbolic: relative to each file's mode; X only for dirs and executables.
    chmod(&c.path().join("src/main.go"), 0o644);
    chmod(&c.path().join("src/lib/util.go"), 0o744);
    let mut r = req(&["src"], "/s/");
    r.chmod = Some(parse_chmod("go-rwx,a+X").unwrap());
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    assert_eq!(t["s/main.go"].mode, 0o600);
    assert_eq!(t["s/lib/util.go"].mode, 0o711);
    assert_eq!(t["s/lib"].mode, 0o711);
    assert_eq!(
        t["s"].mode, 0o755,
        "symbolic chmod does not touch created parents"
    );
}

// ---------------------------------------------------------------- --parents and --exclude

#[test]
fn parents_keeps_the_source_path() {
    let c = sample_ctx();
    let mut r = req(&["src/lib/util.go", "a.txt"], "/out/");
    r.parents = true;
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    assert_eq!(
        names(&t),
        vec![
            "out",
            "out/a.txt",
            "out/src",
            "out/src/lib",
            "out/src/lib/util.go"
        ]
    );
    // The /./ pivot: only what follows it is kept.
    let mut r = req(&["src/./lib/util.go"], "/out/");
    r.parents = true;
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["out", "out/lib", "out/lib/util.go"]);
    // Wildcards in the kept part.
    let mut r = req(&["src/**/*.go"], "/o/");
    r.parents = true;
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    assert_eq!(
        names(&t),
        vec![
            "o",
            "o/src",
            "o/src/lib",
            "o/src/lib/util.go",
            "o/src/main.go"
        ]
    );
    let mut r = req(&["src/nope.go"], "/o/");
    r.parents = true;
    assert!(matches!(r.ctx(c.path()), Err(FsError::NotFound { .. })));
}

#[test]
fn exclude_patterns_filter_below_each_source() {
    let c = sample_ctx();
    let mut r = req(&["src"], "/s/");
    r.excludes = vec!["*.md".into(), "lib/*.md".into()];
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["s", "s/lib", "s/lib/util.go", "s/main.go"]);
    let mut r = req(&["."], "/s/");
    r.excludes = vec!["src".into(), "!src/main.go".into()];
    let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
    assert_eq!(
        names(&t),
        vec!["s", "s/a.txt", "s/b.txt", "s/src", "s/src/main.go"]
    );
}

// ---------------------------------------------------------------- COPY --from (layers)

#[test]
fn copy_from_a_layer_stack_keeps_owners_and_honours_whiteouts() {
    let lower = tmp();
    let upper = tmp();
    write(lower.path(), "app/bin/tool", "v1");
    write(lower.path(), "app/old", "old");
    write(upper.path(), "app/bin/tool", "v2");
    if is_root() {
        std::os::unix::fs::chown(upper.path().join("app/bin/tool"), Some(7), Some(8)).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            upper.path().join("app/old"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::empty(),
            0,
        )
        .unwrap();
    }
    let stage =
        LayerStack::new(vec![upper.path().into(), lower.path().into()]).named("stage build");
    let p = req(&["/app"], "/dst")
        .plan_in(&SourceRoot::Layers(&stage), None, None)
        .unwrap();
    let (_o, t) = materialized(&p);
    assert_eq!(t["dst/bin/tool"].data, "v2");
    if is_root() {
        assert_eq!((t["dst/bin/tool"].uid, t["dst/bin/tool"].gid), (7, 8));
        assert!(!t.contains_key("dst/old"), "whiteout hides the lower file");
    }
    let e = req(&["/nope"], "/d/")
        .plan_in(&SourceRoot::Layers(&stage), None, None)
        .err()
        .unwrap();
    assert!(e.to_string().contains("stage build"), "{e}");
}

// ---------------------------------------------------------------- ADD

fn tar_gz(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o640);
        h.set_uid(33);
        h.set_gid(34);
        h.set_cksum();
        b.append_data(&mut h, name, data.as_bytes()).unwrap();
    }
    let raw = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    gz.finish().unwrap()
}

#[test]
fn add_unpacks_local_archives_detected_by_content() {
    let c = sample_ctx();
    fs::write(
        c.path().join("bundle.data"),
        tar_gz(&[("pkg/a", "1"), ("pkg/b", "2")]),
    )
    .unwrap();
    let mut r = req(&["bundle.data"], "/opt");
    r.add = Some((None, true));
    let p = r.ctx(c.path()).unwrap();
    let (_o, t) = materialized(&p);
    assert_eq!(names(&t), vec!["opt", "opt/pkg", "opt/pkg/a", "opt/pkg/b"]);
    assert_eq!(t["opt/pkg/a"].mode, 0o640);
    if is_root() {
        assert_eq!((t["opt/pkg/a"].uid, t["opt/pkg/a"].gid), (33, 34));
        let mut r2 = r.clone();
        r2.chown = Some((5, 6));
        let (_o, t) = materialized(&r2.ctx(c.path()).unwrap());
        assert_eq!((t["opt/pkg/a"].uid, t["opt/pkg/a"].gid), (5, 6));
    }
    // --unpack=false (and COPY) copy the archive as a file.
    let mut r2 = r.clone();
    r2.add = Some((None, false));
    let (_o, t) = materialized(&r2.ctx(c.path()).unwrap());
    assert_eq!(names(&t), vec!["opt"]);
    assert_eq!(t["opt"].kind, 'f');
}

#[test]
fn add_refuses_archives_that_climb_out() {
    let c = sample_ctx();
    // A raw header with a ../ name (the tar crate refuses to write one).
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().unwrap().name[..9].copy_from_slice(b"../evil.x");
    h.set_size(1);
    h.set_mode(0o644);
    h.set_cksum();
    let mut raw = h.as_bytes().to_vec();
    raw.extend_from_slice(&[b'x'; 512]);
    raw.extend_from_slice(&[0; 1024]);
    fs::write(c.path().join("evil.tar"), &raw).unwrap();
    let mut r = req(&["evil.tar"], "/opt/");
    r.add = Some((None, true));
    let p = r.ctx(c.path()).unwrap();
    let out = tmp();
    let layer = out.path().join("layer");
    fs::create_dir(&layer).unwrap();
    let e = p.materialize(&layer).err().unwrap();
    assert!(matches!(e, FsError::Unpack { .. }), "{e}");
    assert!(!out.path().join("evil.x").exists());
    assert!(!layer.join("evil.x").exists());
}

/// Serve one body over HTTP on loopback for `n` requests.
fn serve(body: Vec<u8>, n: usize) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().take(n) {
            let mut s = s.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}")
}

#[test]
fn add_fetches_urls_with_checksum_and_does_not_unpack() {
    let c = sample_ctx();
    let body = tar_gz(&[("x", "1")]);
    let sha = hoist::oci::digest::digest_bytes(&body).to_string();
    let base = serve(body.clone(), 3);
    let url = format!("{base}/dl/tool.tar.gz?v=1");
    let mut r = req(&[&url], "/opt/");
    r.add = Some((Some(sha.clone()), true));
    let p = r.ctx(c.path()).unwrap();
    let out = tmp();
    p.materialize(out.path()).unwrap();
    let f = out.path().join("opt/tool.tar.gz");
    assert_eq!(fs::read(&f).unwrap(), body, "URLs are not unpacked");
    assert_eq!(fs::metadata(&f).unwrap().mode() & 0o7777, 0o600);
    assert_eq!(
        fs::metadata(&f).unwrap().mtime(),
        784_111_777,
        "Last-Modified"
    );
    // Same content → same digest as a local file with the same name/mode? No: but stable.
    let p2 = r.ctx(c.path()).unwrap();
    assert_eq!(p.digest(), p2.digest());
    let bad = format!("sha256:{}", "0".repeat(64));
    r.add = Some((Some(bad), true));
    let e = r.ctx(c.path()).err().unwrap();
    assert!(matches!(e, FsError::ChecksumMismatch { .. }), "{e}");
    // Git sources are refused with a clear error; URLs are ADD-only.
    let mut g = req(&["https://github.com/moby/buildkit.git#v0.12"], "/src/");
    g.add = Some((None, true));
    assert!(matches!(
        g.ctx(c.path()),
        Err(FsError::GitUnsupported { .. })
    ));
    let e = req(&[&url], "/x/").ctx(c.path()).err().unwrap();
    assert!(e.to_string().contains("use ADD"), "{e}");
}

// ---------------------------------------------------------------- digest and stat cache

#[test]
fn digest_covers_content_mode_owner_but_not_mtime() {
    let c = sample_ctx();
    let r = req(&["src"], "/app/");
    let d0 = r.ctx(c.path()).unwrap().digest();
    assert_eq!(r.ctx(c.path()).unwrap().digest(), d0, "deterministic");
    // mtime only: same digest.
    let f = c.path().join("src/main.go");
    let t = rustix::fs::Timespec {
        tv_sec: 1_000_000,
        tv_nsec: 0,
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        &f,
        &rustix::fs::Timestamps {
            last_access: t,
            last_modification: t,
        },
        rustix::fs::AtFlags::empty(),
    )
    .unwrap();
    assert_eq!(r.ctx(c.path()).unwrap().digest(), d0, "mtime is not hashed");
    // A same-context copy elsewhere hashes the same (paths relative to the root).
    let c2 = sample_ctx();
    assert_eq!(
        r.ctx(c2.path()).unwrap().digest(),
        d0,
        "stable across directories"
    );
    chmod(&f, 0o755);
    let d1 = r.ctx(c.path()).unwrap().digest();
    assert_ne!(d1, d0, "mode");
    fs::write(&f, "package other").unwrap();
    let d2 = r.ctx(c.path()).unwrap().digest();
    assert_ne!(d2, d1, "content");
    let mut r2 = r.clone();
    r2.chown = Some((1, 1));
    assert_ne!(r2.ctx(c.path()).unwrap().digest(), d2, "chown");
    write(c.path(), ".dockerignore", "src/lib\n");
    assert_ne!(r.ctx(c.path()).unwrap().digest(), d2, ".dockerignore");
    let mut r3 = r.clone();
    r3.dest = "/other/".into();
    fs::remove_file(c.path().join(".dockerignore")).unwrap();
    assert_ne!(r3.ctx(c.path()).unwrap().digest(), d2, "destination");
}

#[test]
fn big_tree_hashing_uses_the_stat_fast_path() {
    let c = tmp();
    for i in 0..20_000 {
        write(
            c.path(),
            &format!("d{}/f{i}.txt", i % 100),
            &format!("content {i}"),
        );
    }
    let cache = tmp();
    let ig = DockerIgnore::default();
    let src = SourceRoot::Context {
        dir: c.path(),
        ignore: &ig,
    };
    let r = req(&["."], "/app/");
    let p1 = r.plan_in(&src, None, Some(cache.path())).unwrap();
    assert_eq!(p1.hash_stats().files_read, 20_000);
    let p2 = r.plan_in(&src, None, Some(cache.path())).unwrap();
    assert_eq!(
        p2.hash_stats().files_read,
        0,
        "an unchanged context is not read again"
    );
    assert_eq!(p2.hash_stats().cache_hits, 20_000);
    assert_eq!(p1.digest(), p2.digest());
    // Same size, same mtime, new content: ctime differs, so it is read again.
    let f = c.path().join("d7/f7.txt");
    let before = fs::metadata(&f).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&f, "content X").unwrap();
    let t = rustix::fs::Timespec {
        tv_sec: before.mtime(),
        tv_nsec: before.mtime_nsec() as _,
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        &f,
        &rustix::fs::Timestamps {
            last_access: t,
            last_modification: t,
        },
        rustix::fs::AtFlags::empty(),
    )
    .unwrap();
    let after = fs::metadata(&f).unwrap();
    assert_eq!(
        (after.len(), after.mtime_nsec()),
        (before.len(), before.mtime_nsec())
    );
    let p3 = r.plan_in(&src, None, Some(cache.path())).unwrap();
    assert_eq!(p3.hash_stats().files_read, 1);
    assert_ne!(p3.digest(), p2.digest());
}

#[test]
fn add_unpacks_bzip2_xz_and_zstd_too() {
    let c = sample_ctx();
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "inside.txt", &b"hi"[..]).unwrap();
    let raw = b.into_inner().unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&raw).unwrap();
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
    xz.write_all(&raw).unwrap();
    for (name, data) in [
        ("a.bz2", bz.finish().unwrap()),
        ("a.xz", xz.finish().unwrap()),
        ("a.zst", zstd::encode_all(&raw[..], 3).unwrap()),
    ] {
        fs::write(c.path().join(name), data).unwrap();
        let mut r = req(&[name], "/x");
        r.add = Some((None, true));
        let (_o, t) = materialized(&r.ctx(c.path()).unwrap());
        assert_eq!(names(&t), vec!["x", "x/inside.txt"], "{name}");
        assert_eq!(t["x/inside.txt"].data, "hi");
    }
}

#[test]
fn file_capabilities_and_user_xattrs_are_kept() {
    let c = sample_ctx();
    let f = c.path().join("a.txt");
    // VFS_CAP_REVISION_2 with CAP_NET_BIND_SERVICE permitted + effective.
    let cap: [u8; 20] = [1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let cap_ok = rustix::fs::setxattr(
        &f,
        "security.capability",
        &cap,
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok();
    let user_ok =
        rustix::fs::setxattr(&f, "user.origin", b"ctx", rustix::fs::XattrFlags::empty()).is_ok();
    let p = req(&["a.txt"], "/bin/").ctx(c.path()).unwrap();
    let out = tmp();
    p.materialize(out.path()).unwrap();
    let copied = out.path().join("bin/a.txt");
    let get = |name: &str| {
        let mut buf = [0u8; 64];
        rustix::fs::getxattr(&copied, name, &mut buf[..])
            .ok()
            .map(|n| buf[..n].to_vec())
    };
    if cap_ok {
        assert_eq!(get("security.capability").as_deref(), Some(&cap[..]));
    }
    if user_ok {
        assert_eq!(get("user.origin").as_deref(), Some(&b"ctx"[..]));
    }
    // Xattrs are part of the content digest.
    if cap_ok || user_ok {
        let c2 = sample_ctx();
        let d2 = req(&["a.txt"], "/bin/").ctx(c2.path()).unwrap().digest();
        assert_ne!(d2, p.digest());
    }
}
