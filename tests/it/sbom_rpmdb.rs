//! `hoist sbom` on the legacy rpm databases: a Berkeley DB `Packages` made with Debian's
//! `db5.3_load` from the header blobs of an sqlite rpmdb that rpm itself filled (checked
//! against `rpm -qa` through rpm's read-only bdb backend and the sqlite original), and a real
//! SUSE ndb `Packages.db` (testdata/rpmdb, with the `rpm -qa` list recorded for it).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::sbom_fixtures::{have, rpmbuild, run};

fn sbom_rpm_packages(root: &Path) -> BTreeSet<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["sbom", "-f", "json"])
        .arg(format!("dir:{}", root.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "hoist sbom: {stderr}");
    assert!(!stderr.contains("warning"), "hoist sbom warned: {stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "rpm")
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `rpm -qa` as (name, [epoch:]version-release).
fn rpm_qa(db: &Path, backend: &str) -> BTreeSet<(String, String)> {
    let qa = run(Command::new("rpm")
        .args(["--define", &format!("_db_backend {backend}")])
        .arg("--dbpath")
        .arg(db)
        .args([
            "-qa",
            "--qf",
            "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n",
        ]))
    .unwrap();
    qa.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Builds small noarch packages; the last one owns many files so its header spans several
/// Berkeley DB overflow pages.
fn build_rpms(top: &Path) -> Vec<std::path::PathBuf> {
    for d in ["SPECS", "SOURCES", "BUILD", "RPMS", "SRPMS", "BUILDROOT"] {
        std::fs::create_dir_all(top.join(d)).unwrap();
    }
    let mut out = Vec::new();
    for (name, epoch, files) in [
        ("hoist-one", "", 1),
        ("hoist-two", "Epoch: 3\n", 2),
        ("hoist-many", "", 300),
    ] {
        let mut install = String::new();
        let mut list = String::new();
        for i in 0..files {
            let _ = writeln!(
                install,
                "mkdir -p %{{buildroot}}/usr/share/{name}/d{}\necho {i} > %{{buildroot}}/usr/share/{name}/d{}/file-with-a-long-name-{i}",
                i % 7,
                i % 7
            );
            let _ = writeln!(
                list,
                "/usr/share/{name}/d{}/file-with-a-long-name-{i}",
                i % 7
            );
        }
        let spec = top.join(format!("SPECS/{name}.spec"));
        std::fs::write(
            &spec,
            format!("Name: {name}\nVersion: 1.0\nRelease: 2\n{epoch}Summary: test\nLicense: MIT\nBuildArch: noarch\n\n%description\ntest\n\n%install\n{install}\n%files\n{list}"),
        )
        .unwrap();
        rpmbuild(top, &spec).unwrap();
        out.push(top.join(format!("RPMS/noarch/{name}-1.0-2.noarch.rpm")));
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

#[test]
fn bdb_rpmdb_made_with_db_load_matches_rpm_qa() {
    if !have("rpm") || !have("rpmbuild") || !have("db5.3_load") || !have("python3") {
        eprintln!("skipping: needs rpm, rpmbuild, python3 and db5.3_load (apt-get install rpm db5.3-util)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let rpms = build_rpms(&t.path().join("rpmbuild"));
    // rpm fills an sqlite database; its header blobs become the Berkeley DB's values.
    let sqlite_db = t.path().join("sqlite");
    std::fs::create_dir_all(&sqlite_db).unwrap();
    let sq = ["--define", "_db_backend sqlite"];
    run(Command::new("rpm")
        .args(sq)
        .arg("--initdb")
        .arg("--dbpath")
        .arg(&sqlite_db))
    .unwrap();
    run(Command::new("rpm")
        .args(sq)
        .args(["-i", "--justdb", "--nodeps", "--dbpath"])
        .arg(&sqlite_db)
        .args(&rpms))
    .unwrap();
    let dump = run(Command::new("python3").arg("-c").arg(
        "import sqlite3,sys\nfor h,b in sqlite3.connect(sys.argv[1]).execute('select hnum, blob from Packages order by hnum'):\n    print(h, b.hex())",
    ).arg(sqlite_db.join("rpmdb.sqlite")))
    .unwrap();
    let mut load = String::from("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n");
    // rpm's own bookkeeping record: instance 0 → the next free instance.
    let _ = writeln!(
        load,
        " {}\n {}",
        hex(&0u32.to_le_bytes()),
        hex(&100u32.to_le_bytes())
    );
    let mut n = 0;
    for line in dump.lines() {
        let (h, blob) = line.split_once(' ').unwrap();
        let h: u32 = h.parse().unwrap();
        let _ = writeln!(load, " {}\n {blob}", hex(&h.to_le_bytes()));
        n += 1;
    }
    assert_eq!(n, 3);
    load.push_str("DATA=END\n");
    let root = t.path().join("root");
    let db = root.join("var/lib/rpm");
    std::fs::create_dir_all(&db).unwrap();
    let input = t.path().join("load.txt");
    std::fs::write(&input, load).unwrap();
    // Small pages: every header spans a chain of overflow pages.
    run(Command::new("db5.3_load")
        .args(["-t", "hash", "-c", "db_pagesize=512", "-f"])
        .arg(&input)
        .arg(db.join("Packages")))
    .unwrap();
    let want = rpm_qa(&sqlite_db, "sqlite");
    assert_eq!(want.len(), 3);
    assert!(want.contains(&("hoist-two".to_string(), "3:1.0-2".to_string())));
    // rpm itself reads the Berkeley DB the same way.
    assert_eq!(rpm_qa(&db, "bdb_ro"), want);
    assert_eq!(sbom_rpm_packages(&root), want);
}

#[test]
fn ndb_rpmdb_of_sle15_matches_its_recorded_rpm_qa() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rpmdb");
    let want: BTreeSet<(String, String)> =
        std::fs::read_to_string(data.join("sle15-bci-rpm-qa.txt"))
            .unwrap()
            .lines()
            .filter_map(|l| {
                let mut f = l.split('\t');
                Some((f.next()?.to_string(), f.next()?.to_string()))
            })
            .collect();
    assert_eq!(want.len(), 35);
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("usr/lib/sysimage/rpm");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::copy(data.join("sle15-bci-Packages.db"), db.join("Packages.db")).unwrap();
    assert_eq!(sbom_rpm_packages(t.path()), want);
    // A damaged copy is a warning naming the file, not a failure or a panic.
    let mut bytes = std::fs::read(db.join("Packages.db")).unwrap();
    bytes.truncate(5000);
    std::fs::write(db.join("Packages.db"), bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["sbom", "-f", "json"])
        .arg(format!("dir:{}", t.path().display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/usr/lib/sysimage/rpm/Packages.db: cannot read the rpm database"),
        "{stderr}"
    );
}
