//! Cache soundness across stages (what `build_cache` does not cover): a context file used by
//! one stage reruns that stage and the steps that copy from it, never the other stage; a
//! `.dockerignore` change reruns only the COPY that sees it and going back hits the old cache;
//! a cache mount's uid change reruns its RUN with a cache owned by the new uid.

use std::fs;
use std::path::Path;

use crate::build_support::*;

const DF: &str = "ARG BASE
FROM $BASE AS a
COPY a.txt /a.txt
RUN cat /a.txt > /a.out
FROM $BASE AS b
COPY b.txt /b.txt
RUN cat /b.txt > /b.out
FROM $BASE
RUN --mount=type=cache,target=/c,uid=1000 stat -c %u /c > /c.uid
COPY --from=a /a.out /
COPY --from=b /b.out /
COPY . /ctx
";

fn ran_sorted(home: &Path, ctx: &Path, out: &Path) -> Vec<String> {
    let dest = format!("type=local,dest={}", out.display());
    let _ = fs::remove_dir_all(out);
    let (_, stderr) = build_ok(home, &["-o", &dest], ctx);
    let mut ran = ran_steps(&stderr);
    ran.sort();
    ran
}

#[test]
fn changes_rerun_only_the_stages_and_steps_they_reach() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let c = ctx.path();
    fs::write(c.join("Dockerfile"), DF).unwrap();
    fs::write(c.join("a.txt"), "a1\n").unwrap();
    fs::write(c.join("b.txt"), "b1\n").unwrap();
    fs::write(c.join("notes.md"), "notes\n").unwrap();
    assert_eq!(ran_sorted(home.path(), c, &out).len(), 8);
    assert_eq!(fs::read_to_string(out.join("c.uid")).unwrap(), "1000\n");

    // a.txt feeds stage a only: a's steps and the final steps from COPY --from=a on rerun.
    fs::write(c.join("a.txt"), "a2\n").unwrap();
    assert_eq!(
        ran_sorted(home.path(), c, &out),
        [
            "COPY --from=a /a.out /",
            "COPY --from=b /b.out /",
            "COPY . /ctx",
            "COPY a.txt /a.txt",
            "RUN cat /a.txt > /a.out",
        ]
    );
    assert_eq!(fs::read_to_string(out.join("a.out")).unwrap(), "a2\n");
    assert_eq!(fs::read_to_string(out.join("ctx/a.txt")).unwrap(), "a2\n");

    // A .dockerignore that hides notes.md: only the COPY that sees the whole context reruns,
    // and the file is gone from the image.
    fs::write(c.join(".dockerignore"), "notes.md\n").unwrap();
    assert_eq!(ran_sorted(home.path(), c, &out), ["COPY . /ctx"]);
    assert!(!out.join("ctx/notes.md").exists());
    assert!(out.join("ctx/.dockerignore").exists());
    // Without it again, the context is the one of the previous build: all cached.
    fs::remove_file(c.join(".dockerignore")).unwrap();
    assert!(ran_sorted(home.path(), c, &out).is_empty());
    assert_eq!(
        fs::read_to_string(out.join("ctx/notes.md")).unwrap(),
        "notes\n"
    );

    // A cache mount's uid: its RUN and every later step of its stage rerun; the cache the RUN
    // sees is owned by the new uid.
    fs::write(c.join("Dockerfile"), DF.replace("uid=1000", "uid=1001")).unwrap();
    assert_eq!(
        ran_sorted(home.path(), c, &out),
        [
            "COPY --from=a /a.out /",
            "COPY --from=b /b.out /",
            "COPY . /ctx",
            "RUN --mount=type=cache,target=/c,uid=1001 stat -c %u /c > /c.uid",
        ]
    );
    assert_eq!(fs::read_to_string(out.join("c.uid")).unwrap(), "1001\n");
}
