//! The scanner's allow-list: the `[scan]` table of `.hoist.toml`, found like the linter's
//! config (the nearest `.hoist.toml` from a directory upwards) or named explicitly.
//!
//! ```toml
//! [scan]
//! allow-paths = ["usr/share/doc/**", "**/testdata/**"]   # globs over layer paths
//! allow-rules = ["jwt", "dotenv-secret"]                 # rule ids
//! ```
//! Paths are matched without a leading `/` (a glob's leading `/` is ignored), so
//! `etc/app/*.pem` and `/etc/app/*.pem` mean the same.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

/// The config file name (shared with the linter).
pub const CONFIG_FILE: &str = ".hoist.toml";

/// Errors reading the `[scan]` table.
#[derive(Debug, thiserror::Error)]
pub enum ScanConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid TOML: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{path}: [scan]: {message} (keys: allow-paths, allow-rules)")]
    Table { path: PathBuf, message: String },
    #[error("{path}: [scan] allow-paths: invalid glob `{glob}`: {message}")]
    Glob {
        path: PathBuf,
        glob: String,
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ScanTable {
    #[serde(default)]
    allow_paths: Vec<String>,
    #[serde(default)]
    allow_rules: Vec<String>,
}

/// Paths and rules whose findings are not reported.
#[derive(Clone, Debug, Default)]
pub struct AllowList {
    globs: Vec<String>,
    set: GlobSet,
    rules: Vec<String>,
    /// The file the list came from, if any.
    pub source: Option<PathBuf>,
}

impl AllowList {
    /// An allow-list from globs and rule ids (`origin` names the source in errors).
    pub fn new(
        paths: &[String],
        rules: &[String],
        origin: &Path,
    ) -> Result<AllowList, ScanConfigError> {
        let mut b = GlobSetBuilder::new();
        for g in paths {
            let glob = Glob::new(g.trim_start_matches('/')).map_err(|e| ScanConfigError::Glob {
                path: origin.to_path_buf(),
                glob: g.clone(),
                message: e.kind().to_string(),
            })?;
            b.add(glob);
        }
        let set = b.build().map_err(|e| ScanConfigError::Glob {
            path: origin.to_path_buf(),
            glob: paths.join(", "),
            message: e.to_string(),
        })?;
        Ok(AllowList {
            globs: paths.to_vec(),
            set,
            rules: rules.to_vec(),
            source: None,
        })
    }

    /// Whether a finding of `rule` at `path` is allowed (not reported).
    pub fn allows(&self, path: &str, rule: &str) -> bool {
        self.rules.iter().any(|r| r == rule)
            || (!self.globs.is_empty() && self.set.is_match(path.trim_start_matches('/')))
    }

    /// Reads the `[scan]` table of a config file (an empty list when it has none).
    pub fn load(path: &Path) -> Result<AllowList, ScanConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScanConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let value: toml::Table = toml::from_str(&text).map_err(|e| ScanConfigError::Toml {
            path: path.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
        let table = match value.get("scan") {
            None => ScanTable::default(),
            Some(v) => {
                v.clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| ScanConfigError::Table {
                        path: path.to_path_buf(),
                        message: e.message().to_string(),
                    })?
            }
        };
        let mut list = AllowList::new(&table.allow_paths, &table.allow_rules, path)?;
        list.source = Some(path.to_path_buf());
        Ok(list)
    }

    /// The allow-list of the nearest `.hoist.toml` in `start` or a parent (empty if none).
    pub fn discover(start: &Path) -> Result<AllowList, ScanConfigError> {
        for dir in start.ancestors() {
            let f = dir.join(CONFIG_FILE);
            if f.is_file() {
                return AllowList::load(&f);
            }
        }
        Ok(AllowList::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_matches() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "ignore = [\"DL3008\"]\n[scan]\nallow-paths = [\"/usr/share/doc/**\"]\nallow-rules = [\"jwt\"]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let a = AllowList::discover(&sub).unwrap_or_else(|e| panic!("{e}"));
        assert!(a.allows("usr/share/doc/x/README", "github-token"));
        assert!(a.allows("etc/x", "jwt"));
        assert!(!a.allows("etc/x", "github-token"));
        assert_eq!(a.source, Some(dir.path().join(CONFIG_FILE)));
    }

    #[test]
    fn rejects_unknown_keys_and_bad_globs() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let f = dir.path().join(CONFIG_FILE);
        std::fs::write(&f, "[scan]\nallow-path = [\"x\"]\n").unwrap_or_else(|e| panic!("{e}"));
        let e = AllowList::load(&f)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("allow-path") && e.contains(".hoist.toml"), "{e}");
        std::fs::write(&f, "[scan]\nallow-paths = [\"a[\"]\n").unwrap_or_else(|e| panic!("{e}"));
        let e = AllowList::load(&f)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("invalid glob"), "{e}");
        assert!(AllowList::discover(Path::new("/nonexistent/x")).is_ok());
    }
}
