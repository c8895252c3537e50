//! Software bill of materials: catalogers find the packages in a file tree (a root directory
//! or an image's layers) and writers turn the inventory into SPDX 2.3, CycloneDX 1.5/1.6,
//! hoist's own JSON or a table.
//!
//! One walk of the tree collects the candidate files for the language catalogers (Python
//! metadata, npm `package.json`, Java archives, executables); the OS catalogers read their
//! databases at fixed paths. Binaries and archives are examined in parallel.

pub mod apk;
pub mod auditable;
pub mod binary;
pub mod cyclonedx;
pub mod document;
pub mod dpkg;
pub mod elf;
pub mod fastwalk;
pub mod golang;
pub mod image;
pub mod java;
pub mod license;
pub mod model;
pub mod npm;
pub mod osrelease;
pub mod purl;
pub mod python;
pub mod rpm;
pub mod rpmdb_legacy;
pub mod spdx;
pub mod table;
pub mod tree;

use rayon::prelude::*;

pub use model::{Distro, Ecosystem, Package, Sbom, Subject};
pub use tree::{DirTree, FileTree, LayersTree, TreeError};

use tree::{Kind, Visit};

/// What one cataloger found: packages and warnings about records it had to skip.
#[derive(Debug, Default)]
pub struct Found {
    /// Packages found.
    pub packages: Vec<Package>,
    /// Human-readable notes about skipped or unreadable records.
    pub warnings: Vec<String>,
}

impl Found {
    /// Adds a warning.
    pub fn warn(&mut self, w: String) {
        self.warnings.push(w);
    }

    fn extend(&mut self, other: Found) {
        self.packages.extend(other.packages);
        self.warnings.extend(other.warnings);
    }
}

/// The result of cataloging a tree.
#[derive(Debug)]
pub struct Catalog {
    /// The distro from os-release.
    pub distro: Option<Distro>,
    /// Packages, sorted.
    pub packages: Vec<Package>,
    /// Notes about what could not be read.
    pub warnings: Vec<String>,
}

/// Files the language catalogers look at, collected by one walk.
#[derive(Debug, Default)]
struct Candidates {
    python: Vec<String>,
    npm_packages: Vec<String>,
    npm_locks: Vec<String>,
    /// Path and the layer of its visible copy.
    java: Vec<(String, usize)>,
    /// Path and the layer of its visible copy.
    executables: Vec<(String, usize)>,
}

/// Directories never walked (kernel file systems that may be mounted in a root dir).
const SKIP_DIRS: [&str; 3] = ["/proc", "/sys", "/dev"];

fn collect(tree: &dyn FileTree) -> Result<Candidates, TreeError> {
    let mut c = Candidates::default();
    tree.walk_all(&mut |path, e| {
        match e.kind {
            Kind::Dir => {
                if SKIP_DIRS.contains(&path) {
                    return Visit::Skip;
                }
                if e.name.ends_with(".dist-info") || e.name.ends_with(".egg-info") {
                    c.python.push(path.to_string());
                    return Visit::Skip;
                }
            }
            Kind::File => {
                let name = e.name.as_str();
                if name.ends_with(".egg-info") {
                    c.python.push(path.to_string());
                } else if name == "package.json" {
                    if npm::is_installed_package_json(path) {
                        c.npm_packages.push(path.to_string());
                    }
                } else if name == "package-lock.json" {
                    if !path.contains("/node_modules/") {
                        c.npm_locks.push(path.to_string());
                    }
                } else if java::is_archive_name(name) {
                    c.java.push((path.to_string(), e.layer));
                } else if e.mode & 0o111 != 0 && e.size >= 64 {
                    c.executables.push((path.to_string(), e.layer));
                }
            }
            _ => {}
        }
        Visit::Continue
    })?;
    Ok(c)
}

/// Catalogs every package in `tree`. `layer_digests` (bottom first) names the layers for
/// attribution; empty for a plain directory.
pub fn catalog(tree: &dyn FileTree, layer_digests: &[String]) -> Result<Catalog, TreeError> {
    let distro = osrelease::read(tree)?;
    let d = distro.as_ref();
    // The OS databases are read while the walk runs.
    let (os, c) = rayon::join(
        || -> Result<Found, TreeError> {
            let mut found = dpkg::catalog(tree, d)?;
            found.extend(apk::catalog(tree, d)?);
            found.extend(rpm::catalog(tree, d)?);
            Ok(found)
        },
        || collect(tree),
    );
    let mut found = os?;
    let c = c?;
    found.extend(python::catalog(tree, &c.python)?);
    found.extend(npm::catalog(tree, &c.npm_packages, &c.npm_locks)?);
    let per_file: Vec<Result<Found, TreeError>> = c
        .java
        .par_iter()
        .map(|(p, l)| java::catalog_file(tree, p, *l))
        .chain(
            c.executables
                .par_iter()
                .map(|(p, l)| binary::catalog_file(tree, p, *l)),
        )
        .collect();
    for f in per_file {
        found.extend(f?);
    }
    for p in &mut found.packages {
        if let Some(l) = p.layer {
            p.layer_digest = layer_digests.get(l).cloned();
        }
    }
    let mut sbom = Sbom {
        schema: 1,
        subject: Subject {
            name: String::new(),
            digest: None,
            layers: Vec::new(),
        },
        distro: None,
        packages: found.packages,
    };
    sbom.sort();
    Ok(Catalog {
        distro,
        packages: sbom.packages,
        warnings: found.warnings,
    })
}

/// Catalogs `tree` into a whole [`Sbom`] for `subject`.
pub fn generate(tree: &dyn FileTree, subject: Subject) -> Result<(Sbom, Vec<String>), TreeError> {
    let c = catalog(tree, &subject.layers)?;
    Ok((
        Sbom {
            schema: 1,
            subject,
            distro: c.distro,
            packages: c.packages,
        },
        c.warnings,
    ))
}
