//! Differential tests of `hoist build` against buildah 1.28 (`buildah bud --isolation chroot`,
//! vfs storage in a private root per test): the same Dockerfiles on the same busybox base give
//! the same root filesystem (path, type, mode, owner, content, link target; mtimes aside) and
//! the same runtime config; and hoist's image runs under buildah. Skips when buildah is missing.
//!
//! Deliberate differences, filtered before comparing (each is buildah's, not BuildKit's
//! behaviour, which hoist follows):
//! - buildah's chroot isolation leaves the mount points it made for a RUN in the layer: empty
//!   `/dev`, `/proc`, `/sys`, `/run` and empty `/etc/hostname`, `/etc/hosts`,
//!   `/etc/resolv.conf`, and `/run/secrets` after a secret mount (BuildKit and hoist leave
//!   nothing of the sandbox in the image).
//! - buildah labels every image with `io.buildah.version`.
//! - history entries and `created` times are not compared (buildah records its own).
//! - `ENV` of a variable the base image has: BuildKit (and hoist) replace it in place, buildah
//!   moves it to the end; Env is compared as a set here, and hoist's order is asserted on its
//!   own in the `meta` case.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build_support::*;
use crate::build_tree::{self, Node, Tree};

/// A buildah with its own storage (root, runroot) under a temporary directory.
struct Buildah {
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl Buildah {
    fn new() -> Option<Self> {
        let bin = ["/usr/bin/buildah", "/usr/local/bin/buildah"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file());
        let Some(bin) = bin else {
            eprintln!("note: buildah is not installed (apt-get install buildah); skipping");
            return None;
        };
        // Lowercase only: buildah names images from `oci:` paths.
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = tempfile::Builder::new()
            .prefix(&format!("hoist-buildah-{}-{n}", std::process::id()))
            .rand_bytes(0)
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        Some(Self { bin, dir })
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--root")
            .arg(self.dir.path().join("root"))
            .arg("--runroot")
            .arg(self.dir.path().join("runroot"))
            .args(["--storage-driver", "vfs"])
            .env("BUILDAH_ISOLATION", "chroot")
            // buildah keeps RUN --mount=type=cache directories under $TMPDIR (default
            // /var/tmp), outside --root: private ones, so each test starts empty.
            .env("TMPDIR", self.dir.path());
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "buildah {args:?}: {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Output of `argv` run (`buildah run --isolation chroot`) in a container of the image in
    /// the OCI layout `layout`.
    fn run_in(&self, layout: &Path, argv: &[&str]) -> String {
        let image = format!("oci:{}", layout.display());
        let ctr = self.run(&["from", "--pull-never", &image]);
        let mut args = vec!["run", "--isolation", "chroot", ctr.trim(), "--"];
        args.extend_from_slice(argv);
        self.run(&args)
    }

    /// `buildah bud` of `ctx` on the busybox base, pushed to an OCI layout (returned).
    fn bud(&self, name: &str, ctx: &Path, extra: &[&str]) -> PathBuf {
        let base = format!("BASE={}", busybox().unwrap());
        let tag = format!("localhost/{name}:t");
        let mut args = vec![
            "bud",
            "--isolation",
            "chroot",
            "--format",
            "docker",
            "--build-arg",
            &base,
            "-t",
            &tag,
        ];
        args.extend_from_slice(extra);
        args.push(ctx.to_str().unwrap());
        self.run(&args);
        let layout = self.dir.path().join(format!("out-{name}"));
        // Docker format keeps HEALTHCHECK (OCI's config has no field for it).
        self.run(&[
            "push",
            "-f",
            "v2s2",
            &tag,
            &format!("oci:{}:t", layout.display()),
        ]);
        layout
    }
}

impl Drop for Buildah {
    fn drop(&mut self) {
        // Containers made by `buildah from`; their storage goes with the directory.
        let _ = self.cmd().args(["rm", "--all"]).output();
    }
}

/// Removes from buildah's tree the empty mount points its chroot isolation leaves behind
/// (see the module doc), when hoist's tree does not have them.
fn without_buildah_mountpoints(mut tree: Tree, hoist: &Tree) -> Tree {
    let candidates = [
        "dev",
        "proc",
        "sys",
        "run/secrets",
        "run",
        "etc/hostname",
        "etc/hosts",
        "etc/resolv.conf",
    ];
    for p in candidates {
        if hoist.contains_key(p) {
            continue;
        }
        let prefix = format!("{p}/");
        let empty = !tree.keys().any(|k| k.starts_with(&prefix));
        let is_empty_file = |n: &Node| n.kind == 'f' && n.data == EMPTY_SHA;
        match tree.get(p) {
            Some(n) if (n.kind == 'd' && empty) || is_empty_file(n) => {
                tree.remove(p);
            }
            _ => {}
        }
    }
    tree
}

/// First 12 hex digits of sha256("").
const EMPTY_SHA: &str = "e3b0c44298fc";

fn write_ctx(ctx: &Path, files: &[(&str, &str, u32)]) {
    for (p, content, mode) in files {
        let path = ctx.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        if let Some(target) = content.strip_prefix("->") {
            std::os::unix::fs::symlink(target, &path).unwrap();
            continue;
        }
        fs::write(&path, content).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).unwrap();
    }
}

/// Builds `ctx` with hoist and with buildah; asserts the same root filesystem and runtime
/// config; returns hoist's layout.
fn same_image(
    buildah: &Buildah,
    home: &Path,
    name: &str,
    ctx: &Path,
    known: &[&str],
    extra: &[&str],
) -> PathBuf {
    let layout = buildah.dir.path().join(format!("hoist-{name}"));
    let dest = format!("type=oci,dest={},tar=false", layout.display());
    let mut args = vec!["-o", dest.as_str()];
    args.extend_from_slice(extra);
    let out = hoist_build(home, &args, ctx);
    assert!(
        out.status.success(),
        "hoist build {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = buildah.bud(name, ctx, extra);
    let ours_tree = build_tree::rootfs(&layout);
    let theirs_tree = without_buildah_mountpoints(build_tree::rootfs(&theirs), &ours_tree);
    let d = build_tree::diff(&ours_tree, &theirs_tree);
    assert_eq!(
        d, known,
        "{name}: root filesystems differ (- hoist only, + buildah only, ~ hoist -> buildah)"
    );
    let mut ours_cfg = build_tree::runtime_fields(&build_tree::config(&layout));
    let mut theirs_cfg = build_tree::runtime_fields(&build_tree::config(&theirs));
    if let Some(serde_json::Value::Object(labels)) = theirs_cfg.get_mut("Labels") {
        labels.remove("io.buildah.version");
        if labels.is_empty() {
            theirs_cfg.insert("Labels", serde_json::Value::Null);
        }
    }
    for cfg in [&mut ours_cfg, &mut theirs_cfg] {
        if let Some(serde_json::Value::Array(env)) = cfg.get_mut("Env") {
            env.sort_by_key(|v| v.to_string());
        }
    }
    assert_eq!(ours_cfg, theirs_cfg, "{name}: runtime config differs");
    layout
}

const COPY_DF: &str = r#"ARG BASE
FROM $BASE
COPY dir /copied-dir
COPY dir/ /copied-dir-slash/
COPY dir /tmp/into/
COPY a.txt b.txt /multi/
COPY *.txt /wild/
COPY d?r/sub/*.md /wildsub/
COPY a.txt /renamed
COPY a.txt /etc
COPY exec.sh link /scripts/
COPY --chown=bob:staff a.txt /owned/
COPY --chown=1234:5678 dir /owned-dir
COPY --chown=1000 b.txt /owned-uid-only
COPY --chmod=0640 b.txt /chmod/
COPY --chmod=0700 dir /chmod-dir
COPY . /whole
"#;

const META_DF: &str = r#"ARG BASE
FROM $BASE
ARG A=one
ENV E1=$A E2="two words" PATH=/bin:/usr/local/bin
ARG B
ENV E3=${B:-default} E4=${A}-suffix
WORKDIR /work/deep
WORKDIR rel
RUN echo "$A $B $E3" > args.txt && pwd > pwd.txt
USER bob:staff
RUN id > /tmp/id.txt
EXPOSE 80 443/udp 8080/tcp
VOLUME /data /v2
VOLUME ["/v3"]
HEALTHCHECK --interval=5s --timeout=3s --retries=2 CMD wc -c /etc/passwd
STOPSIGNAL SIGUSR1
LABEL a=b "c d"="e f" multi="line \
continued"
ENTRYPOINT ["/bin/echo"]
"#;

const RUN_DF: &str = r#"ARG BASE
FROM $BASE
RUN mkdir -p /d/sub/deeper && echo 1 > /d/sub/f && echo keep > /d/k && ln -s /d/k /lnk && ln /d/k /hard && echo deep > /d/sub/deeper/x
RUN rm -rf /d/sub && echo 2 > /d/k && rm /etc/group && rm -rf /home/bob && chmod 700 /tmp && echo new > /etc/passwd
RUN rm -rf /home && mkdir /home && echo recreated > /home/file
RUN chown 1000:50 /d/k && chmod 4755 /d/k && mkdir -m 2770 /shared && rm /lnk && ln -s /nowhere /lnk
RUN rm /bin/grep && echo not-a-link > /bin/grep && chmod 755 /bin/grep
RUN rm -rf /d && echo file-now > /d
CMD ["cat", "/d"]
"#;

const STAGES_DF: &str = r#"ARG BASE
FROM $BASE AS a
RUN mkdir -p /out/x && echo a > /out/x/a && chown -R 1000:1000 /out && chmod 750 /out/x
FROM $BASE AS b
COPY --from=a /out /fromA
COPY --from=a /out/x/a /single
FROM b
COPY --from=0 --chown=50:50 /out/ /o2/
COPY --from=a /etc/passwd /etc/group /both/
ENTRYPOINT ["/bin/cat"]
CMD ["/single"]
"#;

/// Every case of the module with one buildah and one hoist store (two builds each).
#[test]
fn buildah_builds_the_same_images() {
    let Some(_) = can_build() else { return };
    let Some(buildah) = Buildah::new() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    // BuildKit gives the directories a `COPY --chmod` creates the --chmod mode (its
    // testCopyChmod asserts `/parent` 0777 after `COPY --chmod=777 foo /parent/foo`); buildah
    // creates them 0755.
    let copy_known = [
        "~ chmod d 0640 0:0  -> d 0755 0:0 ",
        "~ chmod-dir d 0700 0:0  -> d 0755 0:0 ",
    ];
    // A hard link written through its other name in a later RUN: overlayfs copy-up (BuildKit's
    // default snapshotter, and hoist's sandbox) breaks the link, buildah's vfs keeps it.
    let run_known = ["~ hard f 0644 0:0 f660a7996dea -> f 4755 1000:50 53c234e5e847"];
    let cases: &[(&str, &str, &[&str])] = &[
        ("copy", COPY_DF, &copy_known),
        ("meta", META_DF, &[]),
        ("run", RUN_DF, &run_known),
        ("stages", STAGES_DF, &[]),
    ];
    let files: &[(&str, &str, u32)] = &[
        ("a.txt", "alpha\n", 0o644),
        ("b.txt", "beta\n", 0o600),
        ("exec.sh", "#!/bin/sh\necho hi\n", 0o755),
        ("link", "->a.txt", 0),
        ("dir/top.txt", "top\n", 0o644),
        ("dir/sub/readme.md", "# sub\n", 0o640),
        ("dir/sub/other.txt", "other\n", 0o600),
        ("dir/sub/run.sh", "#!/bin/sh\n", 0o750),
    ];
    let mut layouts = BTreeMap::new();
    for (name, df, known) in cases {
        let ctx = tempfile::tempdir().unwrap();
        write_ctx(ctx.path(), files);
        fs::write(ctx.path().join("Dockerfile"), df).unwrap();
        let layout = same_image(&buildah, home.path(), name, ctx.path(), known, &[]);
        layouts.insert(*name, layout);
    }
    // ENV replaces the base's PATH in place (BuildKit's order).
    let env = &build_tree::config(&layouts["meta"])["config"]["Env"];
    assert_eq!(
        env,
        &serde_json::json!([
            "PATH=/bin:/usr/local/bin",
            "E1=one",
            "E2=two words",
            "E3=default",
            "E4=one-suffix"
        ])
    );
    // hoist's image run under buildah gives what the Dockerfile made.
    let out = buildah.run_in(&layouts["stages"], &["/bin/cat", "/single", "/o2/x/a"]);
    assert_eq!(out, "a\na\n");
    let out = buildah.run_in(
        &layouts["meta"],
        &[
            "/bin/sh",
            "-c",
            "cat args.txt pwd.txt /tmp/id.txt; echo \"$E1|$E2|$E3|$E4\"; id -u; pwd",
        ],
    );
    assert_eq!(
        out,
        "one  default\n/work/deep/rel\nuid=1000(bob) gid=50(staff) groups=50(staff)\n\
         one|two words|default|one-suffix\n1000\n/work/deep/rel\n"
    );
}

/// The examples buildah 1.28 can build (no heredocs, no `COPY --link`): `user`, and `mounts`
/// (cache, secret, bind and tmpfs mounts).
#[test]
fn buildah_builds_the_examples_the_same() {
    let Some(_) = can_build() else { return };
    let Some(buildah) = Buildah::new() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    same_image(&buildah, home.path(), "user", &example("user"), &[], &[]);
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("token");
    fs::write(&secret, "s3cr3t").unwrap();
    let secret = format!("id=token,src={}", secret.display());
    same_image(
        &buildah,
        home.path(),
        "mounts",
        &example("mounts"),
        &[],
        &["--secret", &secret],
    );
}
