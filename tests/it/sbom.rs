//! `hoist sbom` against the native tools on real roots: dpkg-query on a debootstrap root,
//! `pip list`, `npm ls`, `go version -m`, `rpm -qa` on an rpmdb made by rpm itself,
//! `rust-audit-info` on a cargo-auditable binary, Debian's maven-repo for jars; SPDX and
//! CycloneDX documents checked by `pyspdxtools` and cyclonedx-python-lib's strict validator;
//! layer attribution on a multi-layer image with whiteouts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use hoist::oci::layer::Compression;
use hoist::oci::layout::OciLayout;
use hoist::oci::media;
use serde_json::Value;

use crate::oci_fixtures::{layer, write_image, E};
use crate::sbom_fixtures::{
    debian_layout, debian_root, have, npm_root, python_root, rpmbuild, run,
};

fn hoist_sbom(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.arg("sbom").args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// hoist's own JSON for `reference` (HOIST_HOME in `home` when given).
fn sbom_json(reference: &str, home: Option<&Path>) -> Value {
    let home_s = home.map(|h| h.to_str().unwrap().to_string());
    let mut envs = Vec::new();
    if let Some(h) = &home_s {
        envs.push(("HOIST_HOME", h.as_str()));
    }
    let (code, out, err) = hoist_sbom(&["-q", "-f", "json", reference], &envs);
    assert_eq!(code, 0, "hoist sbom {reference} failed: {err}");
    serde_json::from_str(&out).unwrap()
}

/// (name, version) of the packages of one type.
fn pairs(doc: &Value, ty: &str) -> BTreeSet<(String, String)> {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == ty)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn package<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name}"))
}

fn dpkg_query(admindir: &Path) -> BTreeSet<(String, String)> {
    let out = run(Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args(["-W", "-f", "${Package}\t${Version}\t${db:Status-Status}\n"]))
    .unwrap();
    out.lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() == 3 && c[2] != "not-installed" && c[2] != "config-files")
                .then(|| (c[0].to_string(), c[1].to_string()))
        })
        .collect()
}

#[test]
fn debian_root_matches_dpkg_query() {
    let Some(root) = debian_root() else { return };
    let doc = sbom_json(&format!("dir:{}", root.display()), None);
    let want = dpkg_query(&root.join("var/lib/dpkg"));
    assert!(
        want.len() > 50,
        "debootstrap root has {} packages",
        want.len()
    );
    assert_eq!(pairs(&doc, "deb"), want);
    assert_eq!(doc["distro"]["id"], "debian");
    assert_eq!(doc["distro"]["version_id"], "12");
    let bash = package(&doc, "bash");
    let purl = bash["purl"].as_str().unwrap();
    assert!(
        purl.starts_with("pkg:deb/debian/bash@") && purl.contains("distro=debian-12"),
        "{purl}"
    );
    assert!(bash["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "/bin/bash"));
    assert!(
        bash["licenses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "GPL-3.0-or-later"),
        "{}",
        bash["licenses"]
    );
    // Every package's owned files are the ones dpkg lists.
    let listed = run(Command::new("dpkg-query")
        .arg(format!(
            "--admindir={}",
            root.join("var/lib/dpkg").display()
        ))
        .args(["-L", "dash"]))
    .unwrap();
    let want_files: BTreeSet<&str> = listed
        .lines()
        .filter(|l| l.starts_with('/') && *l != "/.")
        .collect();
    let got_files: BTreeSet<&str> = package(&doc, "dash")["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(got_files, want_files);
}

#[test]
fn debian_image_matches_dir_and_attributes_the_layer() {
    let Some(layout) = debian_layout() else {
        return;
    };
    let root = debian_root().unwrap();
    let home = tempfile::tempdir().unwrap();
    let reference = format!("oci:{}:minbase", layout.display());
    let doc = sbom_json(&reference, Some(home.path()));
    assert_eq!(pairs(&doc, "deb"), dpkg_query(&root.join("var/lib/dpkg")));
    let layers = doc["subject"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert!(doc["subject"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    for p in doc["packages"].as_array().unwrap() {
        assert_eq!(p["layer"], 0);
        assert_eq!(p["layer_digest"], layers[0]);
    }
    // Warm: the layer is unpacked once; a second run reads only manifest and config.
    let again = sbom_json(&reference, Some(home.path()));
    assert_eq!(again["packages"], doc["packages"]);
}

fn validators_available() -> bool {
    let ok = have("pyspdxtools")
        && Command::new("python3")
            .args(["-c", "import cyclonedx.validation.json"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: pyspdxtools / cyclonedx-python-lib not installed (pip install spdx-tools 'cyclonedx-python-lib[json-validation]')");
    }
    ok
}

const CDX_VALIDATE: &str = r#"
import sys
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.schema import SchemaVersion
ver = {"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[sys.argv[1]]
err = JsonStrictValidator(ver).validate_str(open(sys.argv[2]).read())
if err:
    print(err)
    sys.exit(1)
"#;

/// A root with one package of every language ecosystem the tests can make offline.
fn mixed_root() -> Option<tempfile::TempDir> {
    let py = python_root()?;
    let npm = npm_root()?;
    let t = tempfile::tempdir().unwrap();
    run(Command::new("cp").args([
        "-a",
        py.join("app").to_str().unwrap(),
        t.path().join("py").to_str().unwrap(),
    ]))
    .unwrap();
    run(Command::new("cp").args([
        "-a",
        npm.join("app").to_str().unwrap(),
        t.path().join("js").to_str().unwrap(),
    ]))
    .unwrap();
    Some(t)
}

fn validate_all(reference: &str, dir: &Path) {
    for (format, file, cdx) in [
        ("spdx-json", "doc.spdx.json", None),
        ("cyclonedx-json", "doc.cdx.json", Some("1.6")),
        ("cyclonedx-json@1.5", "doc15.cdx.json", Some("1.5")),
    ] {
        let path = dir.join(file);
        let (code, _, err) = hoist_sbom(
            &["-q", "-f", format, "-o", path.to_str().unwrap(), reference],
            &[],
        );
        assert_eq!(code, 0, "{err}");
        let out = match cdx {
            None => Command::new("pyspdxtools").arg("-i").arg(&path).output(),
            Some(v) => Command::new("python3")
                .args(["-c", CDX_VALIDATE, v])
                .arg(&path)
                .output(),
        }
        .unwrap();
        assert!(
            out.status.success(),
            "{format} of {reference} does not validate:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn documents_validate_with_spdx_tools_and_cyclonedx() {
    if !validators_available() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    if let Some(root) = debian_root() {
        validate_all(&format!("dir:{}", root.display()), out.path());
        let doc: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("doc.spdx.json")).unwrap())
                .unwrap();
        let rels = doc["relationships"].as_array().unwrap();
        assert!(rels.iter().any(|r| r["relationshipType"] == "DESCRIBES"));
        let contains = rels
            .iter()
            .filter(|r| r["relationshipType"] == "CONTAINS")
            .count();
        assert_eq!(contains, doc["packages"].as_array().unwrap().len() - 1);
    }
    if let Some(mixed) = mixed_root() {
        validate_all(&format!("dir:{}", mixed.path().display()), out.path());
    }
}

#[test]
fn documents_are_reproducible_with_source_date_epoch() {
    let t = tempfile::tempdir().unwrap();
    let status = t.path().join("var/lib/dpkg");
    std::fs::create_dir_all(&status).unwrap();
    std::fs::write(
        status.join("status"),
        "Package: a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n",
    )
    .unwrap();
    let reference = format!("dir:{}", t.path().display());
    for format in ["spdx-json", "cyclonedx-json"] {
        let one = hoist_sbom(
            &["-f", format, &reference],
            &[("SOURCE_DATE_EPOCH", "1700000000")],
        );
        let two = hoist_sbom(
            &["-f", format, &reference],
            &[("SOURCE_DATE_EPOCH", "1700000000")],
        );
        let three = hoist_sbom(
            &["-f", format, &reference],
            &[("SOURCE_DATE_EPOCH", "1700000001")],
        );
        assert_eq!(one.0, 0, "{}", one.2);
        assert_eq!(one.1, two.1, "{format} not reproducible");
        assert_ne!(one.1, three.1);
        assert!(one.1.contains("2023-11-14T22:13:20Z"));
    }
    let bad = hoist_sbom(
        &["-f", "spdx-json", &reference],
        &[("SOURCE_DATE_EPOCH", "soon")],
    );
    assert_eq!(bad.0, 2, "{}", bad.2);
    assert!(bad.2.contains("SOURCE_DATE_EPOCH"));
    let spdx: Value = serde_json::from_str(&one_doc(&reference)).unwrap();
    assert!(spdx["documentNamespace"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
}

fn one_doc(reference: &str) -> String {
    hoist_sbom(
        &["-f", "spdx-json", reference],
        &[("SOURCE_DATE_EPOCH", "1")],
    )
    .1
}

#[test]
fn python_tree_matches_pip_list() {
    let Some(root) = python_root() else { return };
    let site = root.join("app/site-packages");
    let pip = if have("pip3") { "pip3" } else { "pip" };
    let listed: Value = serde_json::from_str(
        &run(Command::new(pip).args([
            "list",
            "--disable-pip-version-check",
            "--format",
            "json",
            "--path",
            site.to_str().unwrap(),
        ]))
        .unwrap(),
    )
    .unwrap();
    let want: BTreeSet<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let doc = sbom_json(&format!("dir:{}", root.display()), None);
    assert_eq!(pairs(&doc, "python"), want);
    let six = package(&doc, "six");
    assert_eq!(six["purl"], "pkg:pypi/six@1.16.0");
    assert_eq!(six["licenses"][0], "MIT");
    assert!(six["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "/app/site-packages/six.py"));
}

fn npm_ls_pairs(v: &Value, out: &mut BTreeSet<(String, String)>) {
    if let Some(Value::Object(deps)) = v.get("dependencies") {
        for (name, d) in deps {
            if let Some(ver) = d["version"].as_str() {
                out.insert((name.clone(), ver.to_string()));
            }
            npm_ls_pairs(d, out);
        }
    }
}

#[test]
fn npm_tree_matches_npm_ls() {
    let Some(root) = npm_root() else { return };
    let app = root.join("app");
    let ls: Value = serde_json::from_str(
        &run(Command::new("npm")
            .current_dir(&app)
            .args(["ls", "--all", "--json"]))
        .unwrap(),
    )
    .unwrap();
    let mut want = BTreeSet::new();
    npm_ls_pairs(&ls, &mut want);
    assert!(want.len() >= 4, "{want:?}");
    let doc = sbom_json(&format!("dir:{}", root.display()), None);
    assert_eq!(pairs(&doc, "npm"), want);
    let scoped = package(&doc, "@sindresorhus/is");
    assert_eq!(scoped["purl"], "pkg:npm/%40sindresorhus/is@4.6.0");
    assert_eq!(scoped["licenses"][0], "MIT");
}

/// `go version -m` → (go version, modules with local replacements kept as (devel)).
fn go_version_m(bin: &Path) -> (String, BTreeSet<(String, String)>) {
    let out = run(Command::new("go").arg("version").arg("-m").arg(bin)).unwrap();
    let mut lines = out.lines();
    let go = lines
        .next()
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .to_string();
    let mut mods: Vec<(String, String)> = Vec::new();
    for l in lines {
        let c: Vec<&str> = l.trim_start().split('\t').collect();
        match c.first().copied() {
            Some("mod") | Some("dep") => mods.push((c[1].to_string(), c[2].to_string())),
            Some("=>") => {
                let last = mods.last_mut().unwrap();
                if c[1].starts_with("./") || c[1].starts_with("../") || c[1].starts_with('/') {
                    last.1 = "(devel)".to_string();
                } else {
                    *last = (c[1].to_string(), c[2].to_string());
                }
            }
            _ => {}
        }
    }
    (go, mods.into_iter().collect())
}

#[test]
fn go_binaries_match_go_version_m() {
    if !have("go") {
        eprintln!("skipping: go is not installed (apt-get install golang-go)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let bin_dir = t.path().join("root/usr/local/bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    // A module binary with a dependency replaced by a local directory, built offline.
    let src = t.path().join("src");
    std::fs::create_dir_all(src.join("dep")).unwrap();
    std::fs::write(
        src.join("go.mod"),
        "module example.com/hello\n\ngo 1.19\n\nrequire example.com/dep v1.2.3\n\nreplace example.com/dep => ./dep\n",
    )
    .unwrap();
    std::fs::write(src.join("dep/go.mod"), "module example.com/dep\n").unwrap();
    std::fs::write(
        src.join("dep/dep.go"),
        "package dep\n\nfunc Hi() string { return \"hi\" }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("main.go"),
        "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Hi()) }\n",
    )
    .unwrap();
    let cache = crate::sbom_fixtures::fixtures_dir().join("go-build-cache");
    run(Command::new("go")
        .current_dir(&src)
        .env("GOCACHE", &cache)
        .env("GOPATH", t.path().join("gopath"))
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("CGO_ENABLED", "0")
        .args(["build", "-o"])
        .arg(bin_dir.join("hello")))
    .unwrap();
    let mut bins = vec![bin_dir.join("hello")];
    if Path::new("/usr/bin/docker-registry").exists() {
        std::fs::copy("/usr/bin/docker-registry", bin_dir.join("docker-registry")).unwrap();
        bins.push(bin_dir.join("docker-registry"));
    }
    let doc = sbom_json(&format!("dir:{}", t.path().join("root").display()), None);
    for bin in bins {
        let (go, mods) = go_version_m(&bin);
        let found_in = format!(
            "/usr/local/bin/{}",
            bin.file_name().unwrap().to_str().unwrap()
        );
        let got: Vec<&Value> = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["found_in"] == found_in.as_str())
            .collect();
        let got_mods: BTreeSet<(String, String)> = got
            .iter()
            .filter(|p| p["name"] != "stdlib")
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["version"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(got_mods, mods, "{found_in}");
        assert!(
            got.iter()
                .any(|p| p["name"] == "stdlib" && p["version"] == go.as_str()),
            "{found_in}: no stdlib {go}"
        );
    }
    let dep = package(&doc, "example.com/dep");
    assert_eq!(dep["version"], "(devel)");
    assert_eq!(dep["purl"], "pkg:golang/example.com/dep");
}

#[test]
fn rpmdb_sqlite_matches_rpm_qa() {
    if !have("rpm") || !have("rpmbuild") {
        eprintln!("skipping: rpm / rpmbuild not installed (apt-get install rpm)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let top = t.path().join("rpmbuild");
    for d in ["SPECS", "SOURCES", "BUILD", "RPMS", "SRPMS", "BUILDROOT"] {
        std::fs::create_dir_all(top.join(d)).unwrap();
    }
    let spec = top.join("SPECS/hello.spec");
    std::fs::write(
        &spec,
        "Name: hoist-hello\nVersion: 1.2.3\nRelease: 4\nEpoch: 2\nSummary: test\nLicense: MIT OR Apache-2.0\nBuildArch: noarch\n\n%description\ntest\n\n%install\nmkdir -p %{buildroot}/usr/share/hoist-hello\necho hi > %{buildroot}/usr/share/hoist-hello/greeting\n\n%files\n/usr/share/hoist-hello/greeting\n",
    )
    .unwrap();
    rpmbuild(&top, &spec).unwrap();
    let rpm_file = top.join("RPMS/noarch/hoist-hello-1.2.3-4.noarch.rpm");
    let root = t.path().join("root");
    let dbpath = root.join("var/lib/rpm");
    std::fs::create_dir_all(&dbpath).unwrap();
    let db = dbpath.to_str().unwrap();
    let sqlite = ["--define", "_db_backend sqlite"];
    run(Command::new("rpm")
        .args(sqlite)
        .args(["--initdb", "--dbpath", db]))
    .unwrap();
    run(Command::new("rpm")
        .args(sqlite)
        .args(["-i", "--justdb", "--nodeps", "--dbpath", db])
        .arg(&rpm_file))
    .unwrap();
    assert!(dbpath.join("rpmdb.sqlite").exists());
    let qa = run(Command::new("rpm").args(sqlite).args([
        "-qa",
        "--dbpath",
        db,
        "--qf",
        "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n",
    ]))
    .unwrap();
    let want: BTreeSet<(String, String)> = qa
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert!(!want.is_empty());
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=fedora\nVERSION_ID=40\n").unwrap();
    let doc = sbom_json(&format!("dir:{}", root.display()), None);
    assert_eq!(pairs(&doc, "rpm"), want);
    let p = package(&doc, "hoist-hello");
    assert_eq!(
        p["purl"],
        "pkg:rpm/fedora/hoist-hello@1.2.3-4?arch=noarch&distro=fedora-40&epoch=2&upstream=hoist-hello-1.2.3-4.src.rpm"
    );
    assert_eq!(p["licenses"][0], "MIT OR Apache-2.0");
    assert_eq!(p["files"][0], "/usr/share/hoist-hello/greeting");
}

fn cargo_auditable() -> Option<(PathBuf, PathBuf)> {
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    let bin = |n: &str| {
        crate::oci_fixtures::tool(n).or_else(|| {
            let p = home.join(".cargo/bin").join(n);
            p.exists().then_some(p)
        })
    };
    Some((bin("cargo-auditable")?, bin("rust-audit-info")?))
}

#[test]
fn cargo_auditable_binary_matches_rust_audit_info() {
    let Some((auditable, audit_info)) = cargo_auditable() else {
        eprintln!("skipping: cargo-auditable / rust-audit-info not installed (cargo install cargo-auditable rust-audit-info)");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("hello");
    std::fs::create_dir_all(src.join("src")).unwrap();
    std::fs::write(
        src.join("Cargo.toml"),
        "[package]\nname = \"hoist-audit-hello\"\nversion = \"0.3.1\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(src.join("src/main.rs"), "fn main() { println!(\"hi\"); }\n").unwrap();
    let target = crate::sbom_fixtures::fixtures_dir().join("auditable-target");
    run(Command::new(&auditable)
        .current_dir(&src)
        .env("CARGO_TARGET_DIR", &target)
        .args(["auditable", "build", "--offline", "--quiet"]))
    .unwrap();
    let root = t.path().join("root/usr/bin");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(target.join("debug/hoist-audit-hello"), root.join("hello")).unwrap();
    let info: Value =
        serde_json::from_str(&run(Command::new(&audit_info).arg(root.join("hello"))).unwrap())
            .unwrap();
    let want: BTreeSet<(String, String)> = info["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let doc = sbom_json(&format!("dir:{}", t.path().join("root").display()), None);
    assert_eq!(pairs(&doc, "cargo"), want);
    assert_eq!(
        package(&doc, "hoist-audit-hello")["purl"],
        "pkg:cargo/hoist-audit-hello@0.3.1"
    );
}

#[test]
fn debian_java_package_matches_its_maven_repo() {
    let listed = match run(Command::new("dpkg").args(["-L", "libcommons-lang3-java"])) {
        Ok(l) => l,
        Err(_) => {
            eprintln!("skipping: libcommons-lang3-java is not installed");
            return;
        }
    };
    // Debian's maven-repo lays out the coordinates: maven-repo/<group dirs>/<artifact>/<version>/.
    let mut want = BTreeSet::new();
    for l in listed.lines() {
        let Some(rest) = l.strip_prefix("/usr/share/maven-repo/") else {
            continue;
        };
        if !rest.ends_with(".pom") {
            continue;
        }
        let parts: Vec<&str> = rest.split('/').collect();
        let n = parts.len();
        let (artifact, version) = (parts[n - 3], parts[n - 2]);
        if version == "debian" || version.ends_with(".x") {
            continue;
        }
        let group = parts[..n - 3].join(".");
        want.insert(format!("pkg:maven/{group}/{artifact}@{version}"));
    }
    assert!(!want.is_empty());
    let t = tempfile::tempdir().unwrap();
    let java = t.path().join("usr/share/java");
    std::fs::create_dir_all(&java).unwrap();
    for l in listed.lines().filter(|l| l.ends_with(".jar")) {
        let p = Path::new(l);
        if p.is_symlink() || !p.is_file() {
            continue;
        }
        std::fs::copy(p, java.join(p.file_name().unwrap())).unwrap();
    }
    let doc = sbom_json(&format!("dir:{}", t.path().display()), None);
    let got: BTreeSet<String> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "java")
        .map(|p| p["purl"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want);
}

/// A three-layer image: base dpkg db (a, b) + a Python package; an upgrade of b, a new c, the
/// Python package deleted; then an unrelated layer. Attribution and whiteouts end to end.
#[test]
fn layers_attribution_and_whiteouts() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("layout");
    let layout = OciLayout::create(&dir).unwrap();
    let rec = |n: &str, v: &str| {
        format!("Package: {n}\nStatus: install ok installed\nVersion: {v}\nArchitecture: amd64\nMaintainer: T <t@example.org>\n")
    };
    let status0 = format!("{}\n{}", rec("a", "1"), rec("b", "1"));
    let status1 = format!("{}\n{}\n{}", rec("a", "1"), rec("b", "2"), rec("c", "1"));
    let meta = b"Metadata-Version: 2.1\nName: gone\nVersion: 1.0\n";
    let keep = b"Metadata-Version: 2.1\nName: kept\nVersion: 2.0\n";
    let os = b"ID=debian\nVERSION_ID=12\n";
    let l0 = layer(
        &[
            E::Dir("etc"),
            E::File("etc/os-release", os, 0o644),
            E::Dir("usr"),
            E::Dir("usr/lib"),
            E::Dir("usr/lib/python3"),
            E::Dir("usr/lib/python3/gone-1.0.dist-info"),
            E::File("usr/lib/python3/gone-1.0.dist-info/METADATA", meta, 0o644),
            E::Dir("usr/lib/python3/kept-2.0.dist-info"),
            E::File("usr/lib/python3/kept-2.0.dist-info/METADATA", keep, 0o644),
            E::Dir("var"),
            E::Dir("var/lib"),
            E::Dir("var/lib/dpkg"),
            E::File("var/lib/dpkg/status", status0.as_bytes(), 0o644),
        ],
        Compression::Gzip { level: 1 },
    );
    let l1 = layer(
        &[
            E::Dir("usr"),
            E::Dir("usr/lib"),
            E::Dir("usr/lib/python3"),
            E::Whiteout("usr/lib/python3/gone-1.0.dist-info"),
            E::Dir("var"),
            E::Dir("var/lib"),
            E::Dir("var/lib/dpkg"),
            E::File("var/lib/dpkg/status", status1.as_bytes(), 0o644),
        ],
        Compression::Gzip { level: 1 },
    );
    let l2 = layer(
        &[E::Dir("srv"), E::File("srv/x", b"x", 0o644)],
        Compression::Gzip { level: 1 },
    );
    let diff_ids: Vec<String> = [&l0, &l1, &l2].iter().map(|l| l.1.to_string()).collect();
    let bytes = write_image(&layout, "amd64", &[l0, l1, l2]);
    let d = hoist::oci::digest::digest_bytes(&bytes);
    let desc = media::descriptor(media::OCI_MANIFEST, &d, bytes.len() as u64).unwrap();
    layout.set_ref(&desc, Some("v1")).unwrap();
    let home = t.path().join("home");
    let doc = sbom_json(&format!("oci:{}:v1", dir.display()), Some(&home));
    assert_eq!(doc["subject"]["digest"], d.to_string());
    let by = |n: &str| {
        let p = package(&doc, n);
        (
            p["version"].clone(),
            p["layer"].clone(),
            p["layer_digest"].clone(),
        )
    };
    assert_eq!(by("a"), ("1".into(), 0.into(), diff_ids[0].clone().into()));
    assert_eq!(by("b"), ("2".into(), 1.into(), diff_ids[1].clone().into()));
    assert_eq!(by("c"), ("1".into(), 1.into(), diff_ids[1].clone().into()));
    assert_eq!(
        by("kept"),
        ("2.0".into(), 0.into(), diff_ids[0].clone().into())
    );
    assert!(
        !doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "gone"),
        "a package deleted by a later layer is listed"
    );
    assert_eq!(doc["distro"]["id"], "debian");
    // The table names every package and its layer.
    let (code, table, err) = hoist_sbom(
        &["-q", "-f", "table", &format!("oci:{}:v1", dir.display())],
        &[("HOIST_HOME", home.to_str().unwrap())],
    );
    assert_eq!(code, 0, "{err}");
    assert!(table.starts_with("NAME"));
    assert!(table.contains("4 packages in oci:"), "{table}");
}

#[test]
fn bad_usage_and_missing_inputs() {
    let (code, _, err) = hoist_sbom(&["-f", "xml", "dir:/"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("spdx-json"));
    let (code, _, err) = hoist_sbom(&["dir:/nonexistent/hoist-sbom"], &[]);
    assert_eq!(code, 2, "{err}");
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = hoist_sbom(
        &["oci:/nonexistent/hoist-sbom-layout:v1"],
        &[("HOIST_HOME", home.path().to_str().unwrap())],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("hoist-sbom-layout"), "{err}");
}

/// The catalogers' merged view ([`LayersTree`]) and the builder's ([`LayerStack`]) agree on
/// every directory listing and file of an image with whiteouts, an opaque directory, a file
/// replacing a directory and a symlink — the same overlay semantics in both.
#[test]
fn layers_tree_agrees_with_layer_stack() {
    use hoist::build::fs::{FileKind, LayerStack};
    use hoist::supply::sbom::tree::{walk, FileTree, Kind, LayersTree, Visit};

    let t = tempfile::tempdir().unwrap();
    let l0 = t.path().join("l0");
    let l1 = t.path().join("l1");
    let l2 = t.path().join("l2");
    let w = |p: &Path, s: &str| {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, s).unwrap();
    };
    w(&l0.join("etc/a"), "a0");
    w(&l0.join("etc/b"), "b0");
    w(&l0.join("opt/x/keep"), "k");
    w(&l0.join("srv/d/f"), "f");
    w(&l0.join("var/gone/f"), "g");
    std::os::unix::fs::symlink("/etc", l0.join("link")).unwrap();
    w(&l1.join("etc/a"), "a1");
    w(&l1.join("opt/x/new"), "n");
    // opaque /opt/x in l1: l0's keep disappears
    rustix::fs::setxattr(
        l1.join("opt/x"),
        "trusted.overlay.opaque",
        b"y",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    w(&l1.join("srv/d"), "now a file");
    std::fs::create_dir_all(l2.join("var")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        l2.join("var/gone"),
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::empty(),
        0,
    )
    .unwrap();
    w(&l2.join("etc/c"), "c2");
    let lowers = vec![l2.clone(), l1.clone(), l0.clone()];
    let tree = LayersTree::new(lowers.clone());
    let stack = LayerStack::new(lowers);
    let mut seen = Vec::new();
    walk(&tree, "/", &mut |path, e| {
        seen.push((path.to_string(), e.kind, e.layer));
        Visit::Continue
    })
    .unwrap();
    for (path, kind, _) in &seen {
        let m = stack
            .lstat(path)
            .unwrap()
            .unwrap_or_else(|| panic!("{path}"));
        let same = matches!(
            (kind, m.kind),
            (Kind::File, FileKind::File)
                | (Kind::Dir, FileKind::Dir)
                | (Kind::Symlink, FileKind::Symlink)
        );
        assert!(same, "{path}: {kind:?} vs {:?}", m.kind);
        if *kind == Kind::Dir {
            let names: Vec<String> = tree
                .read_dir(path)
                .unwrap()
                .into_iter()
                .map(|e| e.name)
                .collect();
            assert_eq!(names, stack.read_dir(path).unwrap(), "{path}");
        }
        if *kind == Kind::File {
            assert_eq!(
                tree.read_file(path, 1 << 20).unwrap(),
                stack.read_file(path, 1 << 20).unwrap(),
                "{path}"
            );
        }
    }
    let mut paths: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/etc",
            "/etc/a",
            "/etc/b",
            "/etc/c",
            "/link",
            "/opt",
            "/opt/x",
            "/opt/x/new",
            "/srv",
            "/srv/d",
            "/var"
        ]
    );
    let layer = |p: &str| seen.iter().find(|s| s.0 == p).map(|s| s.2);
    assert_eq!(layer("/etc/a"), Some(1));
    assert_eq!(layer("/etc/b"), Some(0));
    assert_eq!(layer("/etc/c"), Some(2));
    assert_eq!(
        tree.read_in_layer("/etc/a", 0, 10).unwrap(),
        Some(b"a0".to_vec())
    );
    assert_eq!(tree.read_in_layer("/etc/a", 2, 10).unwrap(), None);
    // Never through a symlink, never outside the view.
    assert_eq!(tree.read_file("/link/a", 10).unwrap(), None);
}
