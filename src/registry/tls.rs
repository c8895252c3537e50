//! Which certificate authorities hoist trusts for a registry, besides the public web PKI roots,
//! following the conventions of skopeo, containers/image and Docker:
//!
//! - `--cert-dir DIR` ([`TlsTrust::cert_dir`]): every `*.crt` file in `DIR` is a PEM CA trusted
//!   for the registries of the command (skopeo's flag; `*.cert`/`*.key` client certificates are
//!   not supported and are ignored);
//! - per-host directories ([`TlsTrust::certs_d`]): `/etc/containers/certs.d/HOST:PORT/*.crt`
//!   (containers/image) and `/etc/docker/certs.d/HOST:PORT/*.crt` (Docker), `HOST` alone for
//!   the default port;
//! - `SSL_CERT_FILE` ([`TlsTrust::ssl_cert_file`]): one PEM bundle, as OpenSSL-based tools read it.
//!
//! A loopback registry is reached over plain HTTP unless TLS is configured for it: a per-host
//! directory names it, or `--cert-dir` is given (and `--insecure-registry` does not name it).

use std::path::{Path, PathBuf};

use super::RegistryError;

/// The per-host certificate roots, in the order they are read.
pub const DEFAULT_CERTS_D: &[&str] = &["/etc/containers/certs.d", "/etc/docker/certs.d"];

/// Where extra CA certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsTrust {
    /// `--cert-dir`: its `*.crt` files are trusted for every registry of the client.
    pub cert_dir: Option<PathBuf>,
    /// Roots of per-host directories (`ROOT/HOST:PORT/*.crt`).
    pub certs_d: Vec<PathBuf>,
    /// `SSL_CERT_FILE`: a PEM bundle trusted for every registry.
    pub ssl_cert_file: Option<PathBuf>,
    /// Registries (`host` or `host:port`) whose per-host directories this client reads.
    pub hosts: Vec<String>,
}

impl Default for TlsTrust {
    fn default() -> Self {
        TlsTrust {
            cert_dir: None,
            certs_d: DEFAULT_CERTS_D.iter().map(PathBuf::from).collect(),
            ssl_cert_file: std::env::var_os("SSL_CERT_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            hosts: Vec::new(),
        }
    }
}

impl TlsTrust {
    /// The per-host directories that exist for `host` (`host:port` or `host`).
    pub fn host_dirs(&self, host: &str) -> Vec<PathBuf> {
        self.certs_d
            .iter()
            .map(|root| root.join(host))
            .filter(|d| d.is_dir())
            .collect()
    }

    /// True when TLS is configured for the loopback `host`: `--cert-dir` is given or a
    /// per-host directory names it.
    pub fn configured_for(&self, host: &str) -> bool {
        self.cert_dir.is_some() || !self.host_dirs(host).is_empty()
    }

    /// Every PEM file to trust: `SSL_CERT_FILE`, the `*.crt` files of `--cert-dir` and of the
    /// per-host directories of [`TlsTrust::hosts`], sorted by name within each directory.
    pub fn pem_files(&self) -> Result<Vec<PathBuf>, RegistryError> {
        let mut out: Vec<PathBuf> = self.ssl_cert_file.iter().cloned().collect();
        if let Some(dir) = &self.cert_dir {
            out.extend(crt_files(dir, true)?);
        }
        for host in &self.hosts {
            for dir in self.host_dirs(host) {
                out.extend(crt_files(&dir, false)?);
            }
        }
        Ok(out)
    }
}

/// The `*.crt` files of `dir`, sorted. A missing `--cert-dir` (`required`) is an error naming it.
fn crt_files(dir: &Path, required: bool) -> Result<Vec<PathBuf>, RegistryError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(RegistryError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| RegistryError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "crt") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, s: &str) {
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(p, s).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn files_come_from_every_convention() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root_a = t.path().join("containers");
        let root_b = t.path().join("docker");
        write(&root_a.join("reg.lan:5000/ca.crt"), "a");
        write(&root_a.join("reg.lan:5000/client.key"), "k");
        write(&root_b.join("reg.lan:5000/z.crt"), "b");
        write(&root_b.join("other:1/ca.crt"), "other host");
        let certs = t.path().join("certs");
        write(&certs.join("b.crt"), "1");
        write(&certs.join("a.crt"), "2");
        write(&certs.join("readme.txt"), "3");
        let bundle = t.path().join("bundle.pem");
        let trust = TlsTrust {
            cert_dir: Some(certs.clone()),
            certs_d: vec![root_a.clone(), root_b.clone()],
            ssl_cert_file: Some(bundle.clone()),
            hosts: vec!["reg.lan:5000".into()],
        };
        assert_eq!(
            trust.pem_files().ok(),
            Some(vec![
                bundle,
                certs.join("a.crt"),
                certs.join("b.crt"),
                root_a.join("reg.lan:5000/ca.crt"),
                root_b.join("reg.lan:5000/z.crt"),
            ])
        );
        assert!(trust.configured_for("127.0.0.1:9"));
        let no_dir = TlsTrust {
            cert_dir: None,
            ..trust.clone()
        };
        assert!(no_dir.configured_for("reg.lan:5000"));
        assert!(!no_dir.configured_for("127.0.0.1:9"));
        let missing = TlsTrust {
            cert_dir: Some(t.path().join("nope")),
            ..trust
        };
        assert!(matches!(
            missing.pem_files(),
            Err(RegistryError::Io { path, .. }) if path.ends_with("nope")
        ));
    }
}
