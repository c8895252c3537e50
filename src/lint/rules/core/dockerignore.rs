//! A bounded walk of the build context for lint rules, with `.dockerignore` applied through
//! the shared matcher in [`crate::dockerfile::dockerignore`].

use std::path::{Path, PathBuf};

pub use crate::dockerfile::dockerignore::DockerIgnore;

/// Limits of the context walk, so a huge context (or `/`) cannot stall linting.
pub const MAX_ENTRIES: usize = 20_000;
pub const MAX_DEPTH: usize = 12;

/// The ignore rules of a build for linting: the file the build reads, with malformed patterns
/// skipped (the build itself reports them).
pub fn load(context: &Path, dockerfile: &Path) -> DockerIgnore {
    DockerIgnore::load_lenient(context, Some(dockerfile))
}

/// Files under `dir` (relative to `context`, `/`-separated), not following symlinks, skipping
/// `.git` and `node_modules` and directories excluded by `ignore` when it has no exceptions.
/// Stops after [`MAX_ENTRIES`] entries; the flag tells whether the walk was cut short.
pub fn walk(context: &Path, dir: &Path, ignore: &DockerIgnore) -> (Vec<String>, bool) {
    let mut files = Vec::new();
    let mut seen = 0usize;
    let mut stack: Vec<(PathBuf, usize)> = vec![(dir.to_path_buf(), 0)];
    let prune = !ignore.has_exceptions();
    while let Some((d, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return (files, true);
            }
            let path = e.path();
            let Ok(rel) = path.strip_prefix(context) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                let name = e.file_name();
                if name == ".git" || name == "node_modules" || depth + 1 > MAX_DEPTH {
                    continue;
                }
                if prune && ignore.is_excluded(&rel) {
                    continue;
                }
                // Directories are reported too: `.ssh` matters as a whole.
                files.push(format!("{rel}/"));
                stack.push((path, depth + 1));
            } else if ft.is_file() {
                files.push(rel);
            }
        }
    }
    files.sort();
    (files, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_rules() {
        let di = DockerIgnore::parse(
            "# c\n*.pem\n!keep.pem\n/secrets/\n**/.env\n  .npmrc  \nsub/*.key\n",
        );
        assert!(di.is_excluded("a.pem"));
        assert!(!di.is_excluded("keep.pem"));
        assert!(!di.is_excluded("dir/a.pem"), "* does not cross /");
        assert!(di.is_excluded("secrets/x"));
        assert!(di.is_excluded("secrets"));
        assert!(di.is_excluded(".env"));
        assert!(di.is_excluded("a/b/.env"));
        assert!(di.is_excluded(".npmrc"));
        assert!(di.is_excluded("sub/x.key"));
        assert!(!di.is_excluded("x.key"));
        assert!(!di.is_excluded("# c"));
    }

    #[test]
    fn last_match_wins_and_parents_match() {
        let di = DockerIgnore::parse("conf\n!conf/public\n");
        assert!(di.is_excluded("conf/secret.key"));
        assert!(!di.is_excluded("conf/public/a"));
        let di = DockerIgnore::parse("!a\n*\n");
        assert!(di.is_excluded("a"));
        let di = DockerIgnore::parse("./x/../y/\n[^a]*.txt\n");
        assert!(di.is_excluded("y/z"));
        assert!(di.is_excluded("b.txt"));
        assert!(!di.is_excluded("a.txt"));
    }

    #[test]
    fn walks_bounded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/.ssh")).unwrap_or_default();
        std::fs::create_dir_all(root.join(".git")).unwrap_or_default();
        std::fs::write(root.join("a/.ssh/id_rsa"), "k").unwrap_or_default();
        std::fs::write(root.join(".git/config"), "c").unwrap_or_default();
        std::fs::write(root.join("x.txt"), "c").unwrap_or_default();
        let (files, cut) = walk(root, root, &DockerIgnore::default());
        assert!(!cut);
        assert_eq!(files, vec!["a/", "a/.ssh/", "a/.ssh/id_rsa", "x.txt"]);
        let (files, _) = walk(root, root, &DockerIgnore::parse("a\n"));
        assert_eq!(files, vec!["x.txt"]);
    }
}
