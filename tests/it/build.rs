//! `hoist build` end to end on the examples in `examples/build`, over a busybox base made by
//! the tests: results checked with umoci/skopeo and by running the image in the sandbox.

use std::fs;

use crate::build_support::*;
use crate::oci_fixtures::{run_ok, tool};

#[test]
fn multistage_example_builds_and_runs() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let layout = out.path().join("layout");
    let meta = out.path().join("meta.json");
    let (digest, stderr) = build_ok(
        home.path(),
        &[
            "-t",
            "example/multistage:v1",
            "--output",
            &format!("type=oci,dest={}", layout.display()),
            "--metadata-file",
            meta.to_str().unwrap(),
        ],
        &example("multistage"),
    );
    assert!(stderr.contains("[build 2/4] WORKDIR /src"), "{stderr}");
    let (code, output) = run_image(home.path(), &digest, None);
    assert_eq!(code, 0, "{output}");
    assert_eq!(output, "hello from the context\nbuilt for \ndefault-note\n");
    let m: serde_json::Value = serde_json::from_slice(&fs::read(&meta).unwrap()).unwrap();
    assert_eq!(m["containerimage.digest"], digest.to_string());
    assert_eq!(m["image.name"], "docker.io/example/multistage:v1");
    if let Some(skopeo) = tool("skopeo") {
        let raw = run_ok(
            std::process::Command::new(skopeo)
                .args(["inspect", "--config"])
                .arg(format!("oci:{}:v1", layout.display())),
        );
        let c: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(c["config"]["Entrypoint"][0], "/bin/cat");
        assert_eq!(
            c["config"]["ExposedPorts"]["8080/tcp"],
            serde_json::json!({})
        );
        assert_eq!(
            c["config"]["Labels"]["org.opencontainers.image.title"],
            "multistage example"
        );
        assert_eq!(c["created"], "1970-01-01T00:00:00Z");
        let hist = c["history"].as_array().unwrap();
        assert!(hist
            .iter()
            .any(|h| h["created_by"] == "ENV GREETING_FILE=/app/greeting"
                && h["empty_layer"] == true
                && h["comment"] == "buildkit.dockerfile.v0"));
    }
    if let Some(umoci) = tool("umoci") {
        let bundle = out.path().join("bundle");
        run_ok(
            std::process::Command::new(umoci)
                .args(["unpack", "--image"])
                .arg(format!("{}:v1", layout.display()))
                .arg(&bundle),
        );
        let greeting = fs::read_to_string(bundle.join("rootfs/app/greeting")).unwrap();
        assert!(greeting.starts_with("hello from the context"));
        assert!(!bundle.join("rootfs/src").exists());
    }
}

#[test]
fn heredocs_user_and_files_examples() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let (d, _) = build_ok(home.path(), &[], &example("heredocs"));
    let (code, out) = run_image(home.path(), &d, None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "first file\nsecond file (tabs stripped)\nscript says hello\nhello world\n"
    );

    let (d, _) = build_ok(home.path(), &[], &example("user"));
    let (code, out) = run_image(home.path(), &d, None);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("uid=1000(bob) gid=1000(bob) groups="),
        "{out}"
    );
    assert!(
        out.contains("50(staff)"),
        "supplementary group missing: {out}"
    );
    let (_, owner) = run_image(
        home.path(),
        &d,
        Some(vec!["/bin/cat".into(), "/home/bob/work/owner.txt".into()]),
    );
    assert_eq!(owner, "bob\n");
    let config = config_of(home.path(), &d);
    assert_eq!(config.config.working_dir, "/home/bob/work");
    assert_eq!(config.config.user, "root");

    let (d, _) = build_ok(home.path(), &[], &example("files"));
    let (code, out) = run_image(home.path(), &d, None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "bob staff 644 /data/owned.txt\nroot root 600 /data/secret-ish.txt\nroot root 754 /data/script.sh\n"
    );
    let (_, linked) = run_image(
        home.path(),
        &d,
        Some(vec![
            "/bin/stat".into(),
            "-c".into(),
            "%u:%g".into(),
            "/linked/one.txt".into(),
        ]),
    );
    assert_eq!(linked, "1234:5678\n");
}

#[test]
fn onbuild_triggers_of_the_base_run_first() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let base_layout = out.path().join("base");
    let ctx = example("onbuild");
    build_ok(
        home.path(),
        &[
            "-f",
            ctx.join("Dockerfile.base").to_str().unwrap(),
            "-t",
            "onbuild-base:1",
            "-o",
            &format!("type=oci,dest={}", base_layout.display()),
        ],
        &ctx,
    );
    let base = format!("BASE=oci:{}:1", base_layout.display());
    let (d, stderr) = build_ok(home.path(), &["--build-arg", &base], &ctx);
    assert!(stderr.contains("ONBUILD COPY app.txt /app/"), "{stderr}");
    let (code, out) = run_image(home.path(), &d, None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "the app\nonbuild ran\n");
    assert!(config_of(home.path(), &d).config.on_build.is_empty());
}

#[test]
fn mounts_example_keeps_cache_and_secret_out_of_the_image() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("token");
    fs::write(&secret, "s3cr3t-value-4711").unwrap();
    let secret_arg = format!("id=token,src={}", secret.display());
    let (d, stderr) = build_ok(home.path(), &["--secret", &secret_arg], &example("mounts"));
    assert!(!stderr.contains("s3cr3t-value-4711"));
    let (code, out) = run_image(home.path(), &d, None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "bound input\n");
    let (_, len) = run_image(
        home.path(),
        &d,
        Some(vec!["/bin/cat".into(), "/token-length".into()]),
    );
    assert_eq!(len.trim(), "17");
    // No trace of the secret, the mount points or the cache in any blob of the store (layers,
    // configs, history, cache records), nor in the unpacked layers.
    let (_, ls) = run_image(
        home.path(),
        &d,
        Some(vec!["/bin/ls".into(), "-a".into(), "/".into()]),
    );
    for absent in ["cache", "ctx", "scratch", "run"] {
        assert!(
            !ls.lines().any(|l| l == absent),
            "/{absent} leaked into the image: {ls}"
        );
    }
    let mut stack = vec![home.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let md = fs::symlink_metadata(&p).unwrap();
            if md.is_dir() {
                if !p.ends_with("mounts") {
                    stack.push(p);
                }
            } else if md.is_file() {
                let bytes = fs::read(&p).unwrap();
                let text = decompress(&bytes);
                assert!(
                    !contains(&text, b"s3cr3t-value-4711"),
                    "secret found in {}",
                    p.display()
                );
            }
        }
    }
    // The cache mount persists across builds: a --no-cache rebuild sees the first run.
    let (d2, _) = build_ok(
        home.path(),
        &["--secret", &secret_arg, "--no-cache"],
        &example("mounts"),
    );
    let (_, runs) = run_image(
        home.path(),
        &d2,
        Some(vec!["/bin/cat".into(), "/runs-seen".into()]),
    );
    assert_eq!(runs, "run\nrun\n");
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn decompress(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .is_ok()
        {
            return out;
        }
    }
    bytes.to_vec()
}

#[test]
fn two_builds_from_empty_stores_give_the_same_digest() {
    let Some(_) = can_build() else { return };
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (da, _) = build_ok(a.path(), &[], &example("multistage"));
    let (db, _) = build_ok(b.path(), &[], &example("multistage"));
    assert_eq!(da, db);
    // The isolation mode is not an input: chroot and rootless builds give the same image.
    for iso in ["--isolation=chroot", "--isolation=rootless"] {
        let c = tempfile::tempdir().unwrap();
        let (dc, stderr) = build_ok(c.path(), &[iso], &example("multistage"));
        assert_eq!(dc, da, "{iso}: {stderr}");
    }
    let (dz, _) = build_ok(
        b.path(),
        &["--compression", "zstd", "--no-cache"],
        &example("multistage"),
    );
    let (dz2, _) = build_ok(
        a.path(),
        &["--compression", "zstd", "--no-cache"],
        &example("multistage"),
    );
    assert_eq!(dz, dz2);
    assert_ne!(dz, da);
    let (dt, _) = build_ok(
        a.path(),
        &["--source-date-epoch", "1700000000"],
        &example("multistage"),
    );
    assert_ne!(dt, da);
    assert_eq!(
        config_of(a.path(), &dt).created.as_deref(),
        Some("2023-11-14T22:13:20Z")
    );
}

#[test]
fn a_failing_run_names_stage_line_exit_code_and_output() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG BASE\nFROM $BASE AS compile\nRUN echo one && echo two >&2 && exit 3\n",
    )
    .unwrap();
    let digest_file = ctx.path().join("digest");
    let out = hoist_build(
        home.path(),
        &["--digest-file", digest_file.to_str().unwrap()],
        ctx.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Dockerfile:3: [compile] RUN echo one && echo two >&2 && exit 3 failed with exit code 3"), "{stderr}");
    // stdout and stderr are separate pipes: both lines are shown, in either order.
    assert!(
        stderr.contains("  > one\n") && stderr.contains("  > two\n"),
        "{stderr}"
    );
    assert!(!digest_file.exists());
    // Nothing of the failed step entered the cache.
    let store = hoist::oci::Store::open(home.path()).unwrap();
    assert!(store.list_cache().unwrap().is_empty());
}

#[test]
fn bad_input_errors() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join(".dockerignore"), "secret*\n").unwrap();
    fs::write(ctx.path().join("secret.txt"), "x").unwrap();
    let cases = [
        ("FROM scratch\nCOPY missing.txt /\n", "missing.txt", 1),
        ("FROM scratch\nCOPY secret.txt /\n", "secret*", 1),
        ("FROM scratch\nCOPY ../outside /\n", "outside", 1),
        ("FROM scratch\nCOPY --from=nope / /\n", "nope", 1),
        (
            "FROM scratch AS a\nCOPY --from=b / /\nFROM scratch AS b\nCOPY --from=a / /\n",
            "circular",
            1,
        ),
    ];
    for (df, needle, code) in cases {
        fs::write(ctx.path().join("Dockerfile"), df).unwrap();
        let out = hoist_build(home.path(), &[], ctx.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{df}: {stderr}");
        assert!(stderr.contains(needle), "{df}: {stderr}");
    }
    fs::write(ctx.path().join("Dockerfile"), "FROM scratch AS a\n").unwrap();
    let out = hoist_build(home.path(), &["--target", "zzz"], ctx.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("target stage \"zzz\" could not be found")
    );
    let out = hoist_build(home.path(), &["--compression", "lz4"], ctx.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn registry_base_quiet_and_result_files() {
    let Some(base) = can_build() else { return };
    let Some(reg) =
        crate::support::TestRegistry::start("build_registry_base", crate::support::AuthMode::Open)
    else {
        return;
    };
    let remote = format!("{}/base/busybox:1", reg.host);
    run_ok(
        std::process::Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["copy", base])
            .arg(format!("docker://{remote}"))
            .env("HOME", std::env::temp_dir()),
    );
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "# syntax=docker/dockerfile:1\nARG REG\nFROM $REG AS a\nRUN echo a > /a\nFROM $REG AS b\nRUN echo b > /b\nFROM $REG\nCOPY --from=a /a /\nCOPY --from=b /b /\n",
    )
    .unwrap();
    let files = tempfile::tempdir().unwrap();
    let iid = files.path().join("iid");
    let dig = files.path().join("digest");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["build", "-q", "--isolation=namespaces", "--jobs", "2"])
        .args(["--build-arg", &format!("REG={remote}")])
        .args(["--label", "x=y", "--annotation", "org.example.a=b"])
        .arg("--iidfile")
        .arg(&iid)
        .arg("--digest-file")
        .arg(&dig)
        .arg(ctx.path())
        .env("HOIST_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // -q: only the digest on stdout, nothing on stderr.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let digest: hoist::oci::digest::Digest = stdout.trim().parse().unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read_to_string(&dig).unwrap(), digest.to_string());
    let store = hoist::oci::Store::open(home.path()).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&store.read_blob(&digest).unwrap()).unwrap();
    assert_eq!(m["annotations"]["org.example.a"], "b");
    assert_eq!(
        fs::read_to_string(&iid).unwrap(),
        m["config"]["digest"].as_str().unwrap()
    );
    let config = config_of(home.path(), &digest);
    assert_eq!(config.config.labels.get("x").map(String::as_str), Some("y"));
    let (_, both) = run_image(
        home.path(),
        &digest,
        Some(vec!["/bin/cat".into(), "/a".into(), "/b".into()]),
    );
    assert_eq!(both, "a\nb\n");
    // A bad base reference shows what the registry said.
    fs::write(
        ctx.path().join("Dockerfile"),
        format!("FROM {}/base/missing:1\n", reg.host),
    )
    .unwrap();
    let out = hoist_build(home.path(), &[], ctx.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("base/missing:1"), "{stderr}");
}

#[test]
fn check_lints_with_the_build_args() {
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG TAG=latest\nFROM debian:$TAG\nRUN apt-get install curl\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["build", "--check"])
            .args(args)
            .arg(ctx.path())
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("DL3007"), "{stdout}");
    assert!(
        stdout.contains("DL3015") || stdout.contains("DL3014"),
        "{stdout}"
    );
    let out = run(&["--build-arg", "TAG=12"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("DL3007"), "{stdout}");
}

#[test]
fn library_build_reports_events_and_runs_independent_stages() {
    use hoist::build::progress::{Event, Recorder};
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("f.txt"), "f").unwrap();
    let df = "FROM scratch AS one\nCOPY f.txt /one\nFROM scratch AS two\nCOPY f.txt /two\nFROM scratch\nCOPY --from=one /one /\nCOPY --from=two /two /\nENTRYPOINT [\"/x\"]\n";
    let store = hoist::oci::Store::open(home.path()).unwrap();
    let mut opts = hoist::build::BuildOptions::new(ctx.path().to_path_buf(), df.to_string());
    opts.jobs = 2;
    let rec = Recorder::default();
    let r1 = hoist::build::build(&store, &opts, &rec).unwrap();
    let events = rec.events.lock().unwrap().clone();
    let starts: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start {
                stage,
                index,
                total,
                text,
                ..
            } => Some(format!("[{stage} {index}/{total}] {text}")),
            _ => None,
        })
        .collect();
    for s in [
        "[one 2/2] COPY f.txt /one",
        "[two 2/2] COPY f.txt /two",
        "[stage-2 3/3] COPY --from=two /two /",
    ] {
        assert!(starts.contains(&s.to_string()), "{starts:?}");
    }
    assert!(!events.iter().any(|e| matches!(e, Event::Cached { .. })));
    let rec2 = Recorder::default();
    let r2 = hoist::build::build(&store, &opts, &rec2).unwrap();
    assert_eq!(r1, r2);
    let cached = rec2
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Cached { .. }))
        .count();
    assert_eq!(cached, 4);
    let config = config_of(home.path(), &r1.digest);
    assert_eq!(config.config.entrypoint, Some(vec!["/x".to_string()]));
    assert_eq!(config.rootfs.diff_ids.len(), 2);
}

#[test]
fn config_instructions_follow_docker() {
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let df = r#"FROM scratch AS base
CMD ["inherited"]
ENV A=1 B="two words"
FROM base AS reset
ENTRYPOINT ["/entry"]
FROM base
ARG V=3
ENV C=$A-$V
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
CMD echo $C
ENTRYPOINT ["/entry"]
HEALTHCHECK --interval=5s --timeout=2s --retries=4 --start-period=1s CMD check --now
STOPSIGNAL SIGTERM
VOLUME /data
EXPOSE 80 53/udp
USER 1000:1000
MAINTAINER someone
ONBUILD RUN echo later
WORKDIR rel
"#;
    let store = hoist::oci::Store::open(home.path()).unwrap();
    let mut opts = hoist::build::BuildOptions::new(ctx.path().to_path_buf(), df.to_string());
    let rec = hoist::build::progress::Recorder::default();
    let r = hoist::build::build(&store, &opts, &rec).unwrap();
    let c = config_of(home.path(), &r.digest);
    let rc = &c.config;
    assert_eq!(rc.entrypoint, Some(vec!["/entry".to_string()]));
    // CMD set in this stage survives ENTRYPOINT; the shell form uses SHELL.
    assert_eq!(
        rc.cmd,
        Some(vec![
            "/bin/ash".into(),
            "-eo".into(),
            "pipefail".into(),
            "-c".into(),
            "echo $C".into()
        ])
    );
    assert!(rc.env.contains(&"C=1-3".to_string()), "{:?}", rc.env);
    assert!(rc.env.contains(&"B=two words".to_string()), "{:?}", rc.env);
    let hc = rc.healthcheck.clone().unwrap();
    assert_eq!(hc.test, vec!["CMD-SHELL", "check --now"]);
    assert_eq!(
        (hc.interval, hc.timeout, hc.retries, hc.start_period),
        (5_000_000_000, 2_000_000_000, 4, 1_000_000_000)
    );
    assert_eq!(rc.stop_signal, "SIGTERM");
    assert!(rc.volumes.contains_key("/data"));
    assert!(rc.exposed_ports.contains_key("80/tcp") && rc.exposed_ports.contains_key("53/udp"));
    assert_eq!(rc.user, "1000:1000");
    assert_eq!(c.author.as_deref(), Some("someone"));
    assert_eq!(rc.on_build, vec!["RUN echo later"]);
    assert_eq!(rc.working_dir, "/rel");
    assert!(c
        .history
        .iter()
        .any(|h| h.created_by.as_deref() == Some("ARG V=3")));
    // The stage that only sets ENTRYPOINT drops the inherited CMD.
    opts.target = Some("reset".to_string());
    let r = hoist::build::build(&store, &opts, &rec).unwrap();
    let c = config_of(home.path(), &r.digest);
    assert_eq!(c.config.cmd, None);
    assert_eq!(c.config.entrypoint, Some(vec!["/entry".to_string()]));
}

#[test]
fn ssh_agent_socket_is_forwarded() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let sock_dir = tempfile::tempdir().unwrap();
    let sock = sock_dir.path().join("agent.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG BASE\nFROM $BASE\nRUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\" > /ssh-ok\n",
    )
    .unwrap();
    let ssh = format!("default={}", sock.display());
    let (d, _) = build_ok(home.path(), &["--ssh", &ssh], ctx.path());
    let (_, out) = run_image(
        home.path(),
        &d,
        Some(vec!["/bin/cat".into(), "/ssh-ok".into()]),
    );
    assert_eq!(out, "/run/buildkit/ssh_agent.0\n");
    let (_, ls) = run_image(home.path(), &d, Some(vec!["/bin/ls".into(), "/".into()]));
    assert!(!ls.lines().any(|l| l == "run"), "{ls}");
}

#[test]
fn several_platforms_give_an_index() {
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "FROM scratch\nARG TARGETARCH\nCOPY --chmod=0644 <<EOF /arch\n$TARGETARCH\nEOF\n",
    )
    .unwrap();
    let layout = out.path().join("layout");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["build", "-q"])
            .args(args)
            .arg(ctx.path())
            .env("HOIST_HOME", home.path())
            .output()
            .unwrap()
    };
    let o = run(&[
        "--platform",
        "linux/amd64,linux/arm64",
        "-t",
        "multi:1",
        "-o",
        &format!("type=oci,dest={}", layout.display()),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let digest: hoist::oci::digest::Digest =
        String::from_utf8(o.stdout).unwrap().trim().parse().unwrap();
    let store = hoist::oci::Store::open(home.path()).unwrap();
    let idx: serde_json::Value =
        serde_json::from_slice(&store.read_blob(&digest).unwrap()).unwrap();
    assert_eq!(idx["mediaType"], hoist::oci::media::OCI_INDEX);
    let archs: Vec<&str> = idx["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, vec!["amd64", "arm64"]);
    for m in idx["manifests"].as_array().unwrap() {
        let d: hoist::oci::digest::Digest = m["digest"].as_str().unwrap().parse().unwrap();
        let c = config_of(home.path(), &d);
        assert_eq!(
            c.architecture,
            m["platform"]["architecture"].as_str().unwrap()
        );
    }
    if let Some(skopeo) = tool("skopeo") {
        let raw = run_ok(
            std::process::Command::new(skopeo)
                .args(["inspect", "--raw"])
                .arg(format!("oci:{}:1", layout.display())),
        );
        assert!(raw.contains("arm64"), "{raw}");
    }
    // A RUN for a foreign platform without a registered emulator names the fix.
    if !std::path::Path::new("/proc/sys/fs/binfmt_misc/qemu-s390x").exists() {
        fs::write(ctx.path().join("Dockerfile"), "FROM scratch\nRUN true\n").unwrap();
        let o = run(&["--platform", "linux/s390x"]);
        assert_eq!(o.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("qemu-user-static"), "{stderr}");
    }
}
