//! `.dockerignore` matching with Docker's rules, and a bounded walk of the build context.
//!
//! Each non-comment line is a pattern: whitespace trimmed, `!` marks an exception, the path is
//! cleaned (`./`, `//`, trailing `/` and `..` resolved) and a leading `/` dropped. `*` and `?` do
//! not cross `/`, `**` spans directories. A pattern excludes a path when it matches the path or
//! one of its parent directories; the last pattern that matches decides.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

/// Limits of the context walk, so a huge context (or `/`) cannot stall linting.
pub const MAX_ENTRIES: usize = 20_000;
pub const MAX_DEPTH: usize = 12;

#[derive(Clone, Debug)]
struct IgnorePattern {
    matcher: GlobMatcher,
    exception: bool,
}

/// Parsed `.dockerignore` rules.
#[derive(Clone, Debug, Default)]
pub struct DockerIgnore {
    patterns: Vec<IgnorePattern>,
}

/// Cleans a `/`-separated path like Go's `path.Clean`, without a leading `/`.
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

/// Rewrites a Docker pattern into globset syntax: `[^` → `[!`, braces literal.
fn to_glob(p: &str) -> String {
    let mut s = String::with_capacity(p.len() + 4);
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' => {
                s.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    s.push('!');
                }
            }
            '{' => s.push_str("[{]"),
            '}' => s.push_str("[}]"),
            c => s.push(c),
        }
    }
    s
}

impl DockerIgnore {
    /// Parses the text of a `.dockerignore`. Invalid patterns are skipped.
    pub fn parse(text: &str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let mut p = line.trim();
            if p.is_empty() {
                continue;
            }
            let exception = p.starts_with('!');
            if exception {
                p = p[1..].trim();
            }
            let cleaned = clean(&p.replace('\\', "/"));
            if cleaned.is_empty() {
                continue;
            }
            let Ok(glob) = GlobBuilder::new(&to_glob(&cleaned))
                .literal_separator(true)
                .backslash_escape(true)
                .build()
            else {
                continue;
            };
            patterns.push(IgnorePattern {
                matcher: glob.compile_matcher(),
                exception,
            });
        }
        DockerIgnore { patterns }
    }

    /// Reads the ignore file for a build: `<Dockerfile name>.dockerignore` next to the
    /// Dockerfile when present, else `.dockerignore` at the context root. Missing → no rules.
    pub fn load(context: &Path, dockerfile: &Path) -> Self {
        let specific = dockerfile.file_name().map(|n| {
            let mut name = n.to_os_string();
            name.push(".dockerignore");
            dockerfile.with_file_name(name)
        });
        for candidate in specific.into_iter().chain([context.join(".dockerignore")]) {
            if let Ok(text) = std::fs::read_to_string(&candidate) {
                return DockerIgnore::parse(&text);
            }
        }
        DockerIgnore::default()
    }

    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Whether `rel` (relative to the context, `/`-separated) is excluded from the context.
    pub fn is_excluded(&self, rel: &str) -> bool {
        let rel = clean(rel);
        let comps: Vec<&str> = rel.split('/').collect();
        let mut excluded = false;
        for p in &self.patterns {
            let mut hit = p.matcher.is_match(&rel);
            if !hit {
                let mut prefix = String::new();
                for c in comps.iter().take(comps.len().saturating_sub(1)) {
                    if !prefix.is_empty() {
                        prefix.push('/');
                    }
                    prefix.push_str(c);
                    if p.matcher.is_match(&prefix) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                excluded = !p.exception;
            }
        }
        excluded
    }
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
