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
        assert_eq!(c["config"]["ExposedPorts"]["8080/tcp"], serde_json::json!({}));
        assert_eq!(c["config"]["Labels"]["org.opencontainers.image.title"], "multistage example");
        assert_eq!(c["created"], "1970-01-01T00:00:00Z");
        let hist = c["history"].as_array().unwrap();
        assert!(hist.iter().any(|h| h["created_by"] == "ENV GREETING_FILE=/app/greeting"
            && h["empty_layer"] == true && h["comment"] == "buildkit.dockerfile.v0"));
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
