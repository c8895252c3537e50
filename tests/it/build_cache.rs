//! Cache soundness of `hoist build`: each kind of input change rebuilds exactly the steps it
//! should (asserted on the progress output's CACHED and DONE lines).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::build_support::*;

const DF: &str = "ARG BASE
FROM $BASE
ARG LATE=1
COPY a.txt /a.txt
RUN echo independent > /indep
RUN echo \"late=$LATE\" > /late
COPY --chown=0:0 b.txt /b.txt
RUN cat <<EOF > /doc
body one
EOF
";

fn setup() -> tempfile::TempDir {
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), DF).unwrap();
    fs::write(ctx.path().join("a.txt"), "a").unwrap();
    fs::write(ctx.path().join("b.txt"), "b").unwrap();
    ctx
}

fn rebuild(home: &Path, args: &[&str], ctx: &Path) -> Vec<String> {
    let (_, stderr) = build_ok(home, args, ctx);
    ran_steps(&stderr)
}

#[test]
fn each_input_change_rebuilds_exactly_its_steps() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = setup();
    let c = ctx.path();
    let (_, first) = build_ok(home.path(), &[], c);
    assert_eq!(ran_steps(&first).len(), 5, "{first}");
    // Untouched context: nothing runs.
    let (_, again) = build_ok(home.path(), &[], c);
    assert!(ran_steps(&again).is_empty(), "{again}");
    assert_eq!(cached_steps(&again).len(), 5, "{again}");
    // mtime-only change: nothing runs.
    let f = fs::File::options()
        .write(true)
        .open(c.join("a.txt"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
        .unwrap();
    drop(f);
    assert!(rebuild(home.path(), &[], c).is_empty());
    // An ARG change invalidates at its first use (the first RUN after the ARG has it in its
    // environment); the COPY before it stays cached.
    let ran = rebuild(home.path(), &["--build-arg", "LATE=2"], c);
    assert_eq!(
        ran.first().map(String::as_str),
        Some("RUN echo independent > /indep"),
        "{ran:?}"
    );
    assert_eq!(ran.len(), 4, "{ran:?}");
    // A file mode change re-runs the COPY of that file and everything after it.
    fs::set_permissions(c.join("b.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    let ran = rebuild(home.path(), &[], c);
    assert_eq!(
        ran,
        vec!["COPY --chown=0:0 b.txt /b.txt", "RUN cat <<EOF > /doc"],
        "{ran:?}"
    );
    // A --chown change: the same steps.
    fs::write(
        c.join("Dockerfile"),
        DF.replace("--chown=0:0", "--chown=1:1"),
    )
    .unwrap();
    let ran = rebuild(home.path(), &[], c);
    assert_eq!(
        ran,
        vec!["COPY --chown=1:1 b.txt /b.txt", "RUN cat <<EOF > /doc"],
        "{ran:?}"
    );
    // A heredoc body change: only that RUN.
    fs::write(
        c.join("Dockerfile"),
        DF.replace("--chown=0:0", "--chown=1:1")
            .replace("body one", "body two"),
    )
    .unwrap();
    let ran = rebuild(home.path(), &[], c);
    assert_eq!(ran, vec!["RUN cat <<EOF > /doc"], "{ran:?}");
    // A .dockerignore change that excludes nothing used: nothing runs; one that hides a.txt
    // fails the COPY naming the pattern; without it again, everything is cached.
    fs::write(c.join(".dockerignore"), "unused*\n").unwrap();
    assert!(rebuild(home.path(), &[], c).is_empty());
    fs::write(c.join(".dockerignore"), "a.txt\n").unwrap();
    let out = hoist_build(home.path(), &[], c);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"a.txt\""));
    fs::remove_file(c.join(".dockerignore")).unwrap();
    assert!(rebuild(home.path(), &[], c).is_empty());
    // --no-cache-filter naming the only stage reruns everything.
    assert_eq!(
        rebuild(home.path(), &["--no-cache-filter", "0"], c).len(),
        5
    );
}
