//! hoist's own SBOM model: the packages found, where they came from, and the distro. It is
//! what `--format json` prints (stable field names, deterministic order) and what the SPDX and
//! CycloneDX writers translate.

use serde::Serialize;

/// Which ecosystem a package belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    /// Debian package (dpkg database).
    Deb,
    /// Alpine package (apk database).
    Apk,
    /// RPM package (rpmdb).
    Rpm,
    /// Python distribution (dist-info / egg-info).
    Python,
    /// npm package (node_modules or a lock file).
    Npm,
    /// Go module compiled into a binary.
    Go,
    /// Rust crate compiled into a binary (cargo-auditable).
    Cargo,
    /// Java archive (Maven coordinates or manifest).
    Java,
}

impl Ecosystem {
    /// Short name used in tables and SPDX comments.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Python => "python",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "go",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Java => "java",
        }
    }

    /// True for operating-system packages.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }
}

/// One package found in the tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Package {
    /// Package name as its ecosystem spells it.
    pub name: String,
    /// Version as its ecosystem spells it (dpkg/rpm with epoch and release).
    pub version: String,
    /// Ecosystem.
    #[serde(rename = "type")]
    pub ecosystem: Ecosystem,
    /// Package URL (purl spec).
    pub purl: String,
    /// Declared licenses: SPDX expressions where the metadata gives them, else the raw text.
    pub licenses: Vec<String>,
    /// CPU architecture (OS packages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package / origin, when different from the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Supplier / maintainer / author, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// Where the package was found: its database record, metadata file or binary.
    pub found_in: String,
    /// Files it owns where its database lists them (sorted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Index of the layer that wrote its record (0 = bottom layer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// Digest of that layer (diffID for images).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
    /// Checksum from the metadata, e.g. a Go module `h1:` sum or an npm integrity string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
}

impl Package {
    /// A package with the required fields; the rest empty.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
        purl: String,
        found_in: impl Into<String>,
    ) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem,
            purl,
            licenses: Vec::new(),
            arch: None,
            source: None,
            supplier: None,
            found_in: found_in.into(),
            files: Vec::new(),
            layer: None,
            layer_digest: None,
            checksum: None,
        }
    }
}

/// The distro from `/etc/os-release` (or `/usr/lib/os-release`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Distro {
    /// `ID` (debian, alpine, rhel, …).
    pub id: String,
    /// `VERSION_ID` (12, 3.20.1, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `PRETTY_NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
}

impl Distro {
    /// The purl `distro=` qualifier value: `debian-12`, `alpine-3.20.1`.
    pub fn qualifier(&self) -> String {
        match &self.version_id {
            Some(v) => format!("{}-{v}", self.id),
            None => self.id.clone(),
        }
    }
}

/// What was scanned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// The reference as given (`dir:./rootfs`, `docker://alpine:3.20`).
    pub name: String,
    /// Manifest digest for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Layer digests (diffIDs), bottom first; empty for directories.
    pub layers: Vec<String>,
}

/// The whole inventory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sbom {
    /// Format version of this model.
    pub schema: u32,
    /// What was scanned.
    pub subject: Subject,
    /// The distro, when os-release names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// Packages sorted by (type, name, version, found_in).
    pub packages: Vec<Package>,
}

impl Sbom {
    /// Sorts packages into the stable order every output uses.
    pub fn sort(&mut self) {
        self.packages.sort_by(|a, b| {
            (a.ecosystem, &a.name, &a.version, &a.found_in).cmp(&(
                b.ecosystem,
                &b.name,
                &b.version,
                &b.found_in,
            ))
        });
    }
}
