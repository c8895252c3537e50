//! The `hoist build` CLI contracts other tools call exactly so (buildx's flags, same meaning),
//! end to end: `-f -`, `--build-arg K` from the environment, `--progress rawjson|quiet|plain`,
//! `--compression`, `--network`, cache mount `sharing=`, `ADD --checksum` of a URL,
//! `--output type=docker` read back by skopeo, `--iidfile`/`--digest-file`/`--metadata-file`,
//! and the exit codes (2 usage, 1 build failure, nothing half-written).

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine;

use crate::build_support::*;
use crate::oci_fixtures::{run_ok, tool};

/// `hoist build --progress=plain --isolation=namespaces --build-arg BASE=… ARGS CONTEXT` with
/// `stdin` fed and `env` set.
fn build(
    home: &Path,
    args: &[&str],
    context: &str,
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Output {
    let base = busybox().unwrap_or_default();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.arg("build");
    if !args.iter().any(|a| a.starts_with("--progress")) {
        cmd.arg("--progress=plain");
    }
    cmd.arg("--isolation=namespaces")
        .arg("--build-arg")
        .arg(format!("BASE={base}"))
        .args(args)
        .arg(context)
        .env("HOIST_HOME", home)
        .env_remove("SOURCE_DATE_EPOCH")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "hoist build failed: {}", stderr(o));
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .trim()
        .to_string()
}

/// RUN output lines of a plain progress log (`#N 0.123 LINE` → LINE).
fn run_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix('#')?;
            let (_, rest) = rest.split_once(' ')?;
            let (t, line) = rest.split_once(' ')?;
            t.parse::<f64>().ok()?;
            Some(line.to_string())
        })
        .collect()
}

fn ctx_with(dockerfile: &str) -> tempfile::TempDir {
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), dockerfile).unwrap();
    ctx
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn dockerfile_from_stdin_keeps_the_directory_context() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("data.txt"), "from the context\n").unwrap();
    fs::write(ctx.path().join("ignored.txt"), "x").unwrap();
    fs::write(ctx.path().join(".dockerignore"), "ignored.txt\n").unwrap();
    // No Dockerfile in the context: it can only come from stdin; the context's .dockerignore
    // still applies.
    let df = "ARG BASE\nFROM $BASE\nCOPY . /ctx/\nRUN cat /ctx/data.txt && echo has $(ls /ctx)\n";
    let out = build(home.path(), &["-f", "-"], path(ctx.path()), Some(df), &[]);
    ok(&out);
    let lines = run_lines(&stderr(&out));
    assert!(lines.contains(&"from the context".to_string()), "{lines:?}");
    assert!(lines.contains(&"has data.txt".to_string()), "{lines:?}");
    // buildx: "can't use stdin for both build context and dockerfile" — a usage error.
    let out = build(home.path(), &["-f", "-"], "-", Some(df), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn build_arg_without_value_comes_from_the_environment() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = ctx_with("ARG BASE\nFROM $BASE\nARG GREETING=dflt\nRUN echo \"g=$GREETING\"\n");
    let c = path(ctx.path());
    let out = build(
        home.path(),
        &["--build-arg", "GREETING"],
        c,
        None,
        &[("GREETING", "from-env")],
    );
    ok(&out);
    assert!(run_lines(&stderr(&out)).contains(&"g=from-env".to_string()));
    // Absent from the environment: buildx drops it, so the ARG's default applies.
    let out = {
        let base = busybox().unwrap_or_default();
        Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(["build", "--progress=plain", "--isolation=namespaces"])
            .arg(format!("--build-arg=BASE={base}"))
            .args(["--build-arg", "GREETING", c])
            .env("HOIST_HOME", home.path())
            .env_remove("GREETING")
            .output()
            .unwrap()
    };
    ok(&out);
    assert!(
        run_lines(&stderr(&out)).contains(&"g=dflt".to_string()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn progress_modes() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = ctx_with("ARG BASE\nFROM $BASE\nRUN echo out-line && echo err-line >&2\n");
    let c = path(ctx.path());
    // rawjson: every line one SolveStatus object (also with an output written).
    let dest = tempfile::tempdir().unwrap();
    let o = format!("type=oci,dest={}", dest.path().join("l").display());
    let out = build(
        home.path(),
        &["--progress", "rawjson", "-o", &o],
        c,
        None,
        &[],
    );
    let digest = ok(&out);
    assert!(digest.starts_with("sha256:"));
    let mut names = Vec::new();
    let mut logs = String::new();
    let mut notes = String::new();
    let mut completed_run = None;
    for line in stderr(&out).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let obj = v.as_object().unwrap();
        assert!(
            obj.keys()
                .all(|k| ["vertexes", "statuses", "logs", "warnings"].contains(&k.as_str())),
            "{line}"
        );
        for vx in v["vertexes"].as_array().into_iter().flatten() {
            assert!(vx["digest"].as_str().unwrap().starts_with("sha256:"));
            assert!(vx["started"].is_string(), "{line}");
            let name = vx["name"].as_str().unwrap().to_string();
            if name.contains("RUN echo out-line") && vx["completed"].is_string() {
                completed_run = Some(vx["digest"].as_str().unwrap().to_string());
            }
            names.push(name);
        }
        for l in v["logs"].as_array().into_iter().flatten() {
            assert!(l["timestamp"].is_string());
            let data = base64::engine::general_purpose::STANDARD
                .decode(l["data"].as_str().unwrap())
                .unwrap();
            let text = String::from_utf8(data).unwrap();
            if l["vertex"].is_string() {
                logs.push_str(&text);
            } else {
                notes.push_str(&text);
            }
        }
    }
    assert!(
        names.iter().any(|n| n.starts_with("[stage-0 2/2] RUN")),
        "{names:?}"
    );
    assert!(completed_run.is_some(), "the RUN vertex never completed");
    assert!(
        logs.contains("out-line\n") && logs.contains("err-line\n"),
        "{logs}"
    );
    assert!(notes.contains("wrote "), "{notes}");
    // quiet: nothing on stderr, the digest on stdout (same inputs, same digest).
    let out = build(home.path(), &["--progress", "quiet"], c, None, &[]);
    assert_eq!(ok(&out), digest);
    assert_eq!(stderr(&out), "");
    // plain (no cache): numbered steps, the RUN output, DONE, the summary.
    let out = build(home.path(), &["--no-cache"], c, None, &[]);
    assert_eq!(ok(&out), digest);
    let log = stderr(&out);
    assert!(
        log.lines().any(|l| l.starts_with('#')
            && l.ends_with("[stage-0 2/2] RUN echo out-line && echo err-line >&2")),
        "{log}"
    );
    let lines = run_lines(&log);
    assert!(lines.contains(&"out-line".to_string()) && lines.contains(&"err-line".to_string()));
    assert!(log
        .lines()
        .any(|l| l.starts_with('#') && l.contains(" DONE ")));
    assert!(log.contains(&format!("built {digest}")), "{log}");
}

/// The manifest and config of the image in the OCI layout `dir`.
fn layout_image(dir: &Path) -> (serde_json::Value, serde_json::Value) {
    let blob = |d: &str| {
        let hex = d.strip_prefix("sha256:").unwrap();
        serde_json::from_slice::<serde_json::Value>(
            &fs::read(dir.join("blobs/sha256").join(hex)).unwrap(),
        )
        .unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    let m = blob(index["manifests"][0]["digest"].as_str().unwrap());
    let c = blob(m["config"]["digest"].as_str().unwrap());
    (m, c)
}

#[test]
fn compression_kinds_and_levels() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = ctx_with("ARG BASE\nFROM $BASE\nCOPY big.txt /big.txt\n");
    // Compressible but not trivially: levels give different bytes.
    let mut text = String::new();
    let mut x: u64 = 1;
    for i in 0..40_000 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        text.push_str(&format!("line {i} value {}\n", x >> 52));
    }
    fs::write(ctx.path().join("big.txt"), text).unwrap();
    let c = path(ctx.path());
    let out_dir = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    // One store for all: the cache must not hand back a layer compressed another way.
    for (flag, media) in [
        (
            "gzip,level=1",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
        (
            "gzip,level=9",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
        (
            "zstd,level=1",
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
        (
            "zstd,level=19",
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
        ("uncompressed", "application/vnd.oci.image.layer.v1.tar"),
    ] {
        let dest = out_dir.path().join(flag.replace([',', '='], "-"));
        let o = format!("type=oci,dest={}", dest.display());
        ok(&build(
            home.path(),
            &["--compression", flag, "-o", &o],
            c,
            None,
            &[],
        ));
        let (m, config) = layout_image(&dest);
        let top = m["layers"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(top["mediaType"], media, "{flag}: {m}");
        results.push((
            flag,
            top["digest"].as_str().unwrap().to_string(),
            config["rootfs"]["diff_ids"].clone(),
        ));
    }
    for w in results.windows(2) {
        assert_ne!(
            w[0].1, w[1].1,
            "{} and {} gave the same layer",
            w[0].0, w[1].0
        );
        assert_eq!(
            w[0].2, w[1].2,
            "{} and {} differ in diffIDs",
            w[0].0, w[1].0
        );
    }
    for bad in ["zstd,level=99", "gzip,level=x", "brotli"] {
        let out = build(home.path(), &["--compression", bad], c, None, &[]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("--compression"), "{}", stderr(&out));
    }
}

/// Interface names in a `/proc/net/dev` listing.
fn interfaces(dev: &[String]) -> Vec<String> {
    let mut v: Vec<String> = dev
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, _)| n.trim().to_string())
        .filter(|n| !n.is_empty() && !n.contains(' ') && !n.contains('|'))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn network_modes() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let run = |df: &str, args: &[&str]| {
        let ctx = ctx_with(df);
        let mut a = vec!["--no-cache"];
        a.extend_from_slice(args);
        let out = build(home.path(), &a, path(ctx.path()), None, &[]);
        ok(&out);
        run_lines(&stderr(&out))
    };
    let df = "ARG BASE\nFROM $BASE\nRUN cat /proc/net/dev /proc/net/route\n";
    let lines = run(df, &["--network", "none"]);
    assert_eq!(interfaces(&lines), vec!["lo".to_string()], "{lines:?}");
    // /proc/net/route has its header and no route.
    assert!(lines.iter().any(|l| l.starts_with("Iface")), "{lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.split_whitespace().nth(1) == Some("00000000")),
        "{lines:?}"
    );
    let host: Vec<String> = fs::read_to_string("/proc/net/dev")
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let lines = run(df, &["--network", "host"]);
    assert_eq!(interfaces(&lines), interfaces(&host), "{lines:?}");
    // RUN --network=none overrides the build's default.
    let lines = run(
        "ARG BASE\nFROM $BASE\nRUN --network=none cat /proc/net/dev\n",
        &["--network", "host"],
    );
    assert_eq!(interfaces(&lines), vec!["lo".to_string()], "{lines:?}");
}

#[test]
fn cache_mount_sharing_locked_serializes_and_private_separates() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let locked = "ARG BASE\n\
        FROM $BASE AS a\n\
        RUN --mount=type=cache,id=c,target=/c,sharing=locked echo start-a >> /c/log && sleep 1 && echo end-a >> /c/log && touch /a\n\
        FROM $BASE AS b\n\
        RUN --mount=type=cache,id=c,target=/c,sharing=locked echo start-b >> /c/log && sleep 1 && echo end-b >> /c/log && touch /b\n\
        FROM $BASE\n\
        COPY --from=a /a /a\n\
        COPY --from=b /b /b\n\
        RUN --mount=type=cache,id=c,target=/c cat /c/log\n";
    let ctx = ctx_with(locked);
    let out = build(home.path(), &["--jobs", "2"], path(ctx.path()), None, &[]);
    ok(&out);
    let marks: Vec<String> = run_lines(&stderr(&out))
        .into_iter()
        .filter(|l| l.starts_with("start-") || l.starts_with("end-"))
        .collect();
    assert_eq!(marks.len(), 4, "{}", stderr(&out));
    for pair in marks.chunks(2) {
        let who = pair[0].strip_prefix("start-").unwrap();
        assert_eq!(pair[1], format!("end-{who}"), "interleaved: {marks:?}");
    }
    let private = "ARG BASE\n\
        FROM $BASE AS a\n\
        RUN --mount=type=cache,id=p,target=/c,sharing=private touch /c/a && sleep 1 && echo A-sees $(ls /c)\n\
        FROM $BASE AS b\n\
        RUN --mount=type=cache,id=p,target=/c,sharing=private touch /c/b && sleep 1 && echo B-sees $(ls /c)\n\
        FROM $BASE\n\
        COPY --from=a /bin/sh /a\n\
        COPY --from=b /bin/sh /b\n";
    let ctx = ctx_with(private);
    let out = build(home.path(), &["--jobs", "2"], path(ctx.path()), None, &[]);
    ok(&out);
    let lines = run_lines(&stderr(&out));
    assert!(lines.contains(&"A-sees a".to_string()), "{lines:?}");
    assert!(lines.contains(&"B-sees b".to_string()), "{lines:?}");
}

/// A loopback HTTP server answering every GET with `body`; returns its base URL.
fn serve(body: &'static [u8]) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { return };
            let mut buf = [0u8; 4096];
            let mut req = Vec::new();
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body);
        }
    });
    format!("http://{addr}")
}

#[test]
fn add_url_checksum() {
    if can_build().is_none() {
        return;
    }
    const BODY: &[u8] = b"payload served over loopback\n";
    let url = format!("{}/file.txt", serve(BODY));
    let good = hoist::oci::digest::digest_bytes(BODY).to_string();
    let bad = hoist::oci::digest::digest_bytes(b"something else").to_string();
    let home = tempfile::tempdir().unwrap();
    let df = |sum: &str| {
        format!("ARG BASE\nFROM $BASE\nADD --checksum={sum} {url} /f.txt\nRUN cat /f.txt\n")
    };
    let ctx = ctx_with(&df(&good));
    let out = build(home.path(), &[], path(ctx.path()), None, &[]);
    ok(&out);
    assert!(run_lines(&stderr(&out)).contains(&"payload served over loopback".to_string()));
    let ctx = ctx_with(&df(&bad));
    for _ in 0..2 {
        // Twice: a failed ADD never enters the cache.
        let out = build(home.path(), &[], path(ctx.path()), None, &[]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let e = stderr(&out);
        assert!(
            e.contains(&url) && e.contains(&good) && e.contains(&bad),
            "{e}"
        );
        assert!(
            !cached_steps(&e).iter().any(|s| s.starts_with("ADD")),
            "{e}"
        );
    }
}

#[test]
fn docker_output_and_id_files() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = ctx_with("ARG BASE\nFROM $BASE\nRUN echo hi > /hi\n");
    let out_dir = tempfile::tempdir().unwrap();
    let tar = out_dir.path().join("img.tar");
    let (iid, dgf, meta) = (
        out_dir.path().join("iid"),
        out_dir.path().join("digest"),
        out_dir.path().join("meta.json"),
    );
    let o = format!("type=docker,dest={}", tar.display());
    let out = build(
        home.path(),
        &[
            "-t",
            "example.com/team/app:1",
            "-o",
            &o,
            "--iidfile",
            path(&iid),
            "--digest-file",
            path(&dgf),
            "--metadata-file",
            path(&meta),
        ],
        path(ctx.path()),
        None,
        &[],
    );
    let digest = ok(&out);
    let store = hoist::oci::Store::open(home.path()).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&store.read_blob(&digest.parse().unwrap()).unwrap()).unwrap();
    let config_digest = manifest["config"]["digest"].as_str().unwrap().to_string();
    // buildx: --iidfile holds the config digest (the image ID) when there is one.
    assert_eq!(fs::read_to_string(&iid).unwrap(), config_digest);
    assert_eq!(fs::read_to_string(&dgf).unwrap(), digest);
    let m: serde_json::Value = serde_json::from_slice(&fs::read(&meta).unwrap()).unwrap();
    assert_eq!(m["containerimage.digest"], digest.as_str());
    assert_eq!(m["containerimage.config.digest"], config_digest.as_str());
    assert_eq!(m["containerimage.descriptor"]["digest"], digest.as_str());
    assert_eq!(
        m["containerimage.descriptor"]["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert!(m["containerimage.descriptor"]["size"].as_u64().unwrap() > 0);
    assert_eq!(m["image.name"], "example.com/team/app:1");
    let Some(skopeo) = tool("skopeo") else {
        return;
    };
    let src = format!("docker-archive:{}", tar.display());
    let inspect: serde_json::Value =
        serde_json::from_str(&run_ok(Command::new(&skopeo).args(["inspect", &src]))).unwrap();
    assert_eq!(inspect["Layers"].as_array().unwrap().len(), 2, "{inspect}");
    // The -t name is in the archive: skopeo finds the image by it.
    let by_name = format!("{src}:example.com/team/app:1");
    let named: serde_json::Value =
        serde_json::from_str(&run_ok(Command::new(&skopeo).args(["inspect", &by_name]))).unwrap();
    assert_eq!(named["Digest"], inspect["Digest"]);
    // The archive's config is the image whose ID --iidfile holds.
    let raw_config = run_ok(Command::new(&skopeo).args(["inspect", "--config", "--raw", &src]));
    assert_eq!(
        hoist::oci::digest::digest_bytes(raw_config.as_bytes()).to_string(),
        config_digest
    );
    let layout = out_dir.path().join("layout");
    let dst = format!("oci:{}:copied", layout.display());
    run_ok(Command::new(&skopeo).args(["copy", &src, &dst]));
    let (_, copied) = layout_image(&layout);
    assert_eq!(copied["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
}

#[test]
fn exit_codes_and_nothing_half_written() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = ctx_with("ARG BASE\nFROM $BASE\nRUN echo before && exit 3\n");
    let c = path(ctx.path());
    for args in [
        &["--no-such-flag"][..],
        &["--output", "type=nope,dest=x"],
        &["--output", "type=oci"],
        &["--platform", "linux/"],
        &["--platform", "not a platform"],
        &["--sbom=generator=docker/scout-sbom-indexer:1"],
    ] {
        let out = build(home.path(), args, c, None, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    // buildx's scanner-image generator is refused with the reason, not as a bad boolean.
    let out = build(home.path(), &["--sbom=generator=x"], c, None, &[]);
    assert!(
        stderr(&out).contains("runs no scanner image"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let (layout, tar, iid, meta) = (
        dir.path().join("layout"),
        dir.path().join("img.tar"),
        dir.path().join("iid"),
        dir.path().join("meta.json"),
    );
    // Stale files of an earlier build go (buildx removes the --iidfile before building).
    fs::write(&iid, "sha256:stale").unwrap();
    let dgf = dir.path().join("digest");
    fs::write(&dgf, "sha256:stale").unwrap();
    let o1 = format!("type=oci,dest={}", layout.display());
    let o2 = format!("type=docker,dest={}", tar.display());
    let out = build(
        home.path(),
        &[
            "-o",
            &o1,
            "-o",
            &o2,
            "--iidfile",
            path(&iid),
            "--metadata-file",
            path(&meta),
            "--digest-file",
            path(&dgf),
        ],
        c,
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("exit code 3") || stderr(&out).contains("exit status 3"),
        "{}",
        stderr(&out)
    );
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "a failed build left {left:?}");
}

#[test]
fn rawjson_marks_the_failed_vertex() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = ctx_with("ARG BASE\nFROM $BASE\nRUN echo doomed && exit 4\n");
    let out = build(
        home.path(),
        &["--progress", "rawjson"],
        path(ctx.path()),
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let failed: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .flat_map(|v| v["vertexes"].as_array().cloned().unwrap_or_default())
        .filter(|v| v["error"].is_string())
        .collect();
    assert_eq!(failed.len(), 1, "{}", stderr(&out));
    assert!(
        failed[0]["name"]
            .as_str()
            .unwrap()
            .contains("RUN echo doomed"),
        "{failed:?}"
    );
    assert!(failed[0]["completed"].is_string());
}
