//! `hoist build` on a real distribution base: the Debian 12 minbase root made by debootstrap
//! (the SBOM tests' cached fixture, imported as a one-layer OCI image) gets a package from the
//! Debian mirror with apt-get in a RUN step, and the built image runs that package's binary.
//! Skips (saying why) only when debootstrap is missing or the mirror is unreachable.

use std::process::Command;

use crate::build_support::*;
use crate::sbom_fixtures::{debian_layout, debian_root, run};

/// The mirror the debootstrap root's apt sources name, when it answers.
fn reachable_mirror() -> Result<String, String> {
    let root = debian_root().ok_or("no debootstrap root")?;
    let sources = std::fs::read_to_string(root.join("etc/apt/sources.list"))
        .map_err(|e| format!("the root has no etc/apt/sources.list: {e}"))?;
    let mirror = sources
        .split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .ok_or("no mirror in etc/apt/sources.list")?
        .to_string();
    let release = format!("{}/dists/bookworm/Release", mirror.trim_end_matches('/'));
    run(Command::new("curl").args(["-fsS", "-o", "/dev/null", "--max-time", "20", &release]))
        .map_err(|e| format!("mirror {mirror} unreachable: {e}"))?;
    Ok(mirror)
}

#[test]
fn apt_get_install_on_a_debootstrap_base_then_run_it() {
    let Some(_) = can_build() else { return };
    let Some(layout) = debian_layout() else {
        return;
    };
    if let Err(why) = reachable_mirror() {
        eprintln!("skipping: {why}");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "ARG DEBIAN\nFROM $DEBIAN\n\
         RUN apt-get update && apt-get install -y --no-install-recommends hello \\\n    \
         && rm -rf /var/lib/apt/lists/*\n\
         CMD [\"hello\"]\n",
    )
    .unwrap();
    let base = format!("DEBIAN=oci:{}:minbase", layout.display());
    let (digest, stderr) = build_ok(home.path(), &["--build-arg", &base], ctx.path());
    assert!(stderr.contains("Setting up hello"), "{stderr}");
    let (code, out) = run_image(home.path(), &digest, None);
    assert_eq!((code, out.as_str()), (0, "Hello, world!\n"));
    let (code, out) = run_image(
        home.path(),
        &digest,
        Some(vec![
            "/usr/bin/dpkg-query".into(),
            "-W".into(),
            "-f".into(),
            "${Package} ${Status}\\n".into(),
            "hello".into(),
        ]),
    );
    assert_eq!(
        (code, out.as_str()),
        (0, "hello install ok installed\n"),
        "dpkg's database in the image records the package"
    );
}
