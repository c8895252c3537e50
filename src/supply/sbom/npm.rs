//! npm cataloger: installed packages (`…/node_modules/[@scope/]name/package.json`) and
//! `package-lock.json` files (lockfile v1 `dependencies` tree, v2/v3 `packages` map) of
//! projects whose `node_modules` is not installed next to the lock (otherwise the installed
//! packages are the truth and the lock would only repeat them).

use serde_json::Value;

use super::model::{Ecosystem, Package};
use super::purl;
use super::tree::{self, FileTree, Kind, TreeError};
use super::Found;

const MAX_JSON: u64 = 64 << 20;

/// True for `…/node_modules/name/package.json` and `…/node_modules/@scope/name/package.json`.
pub fn is_installed_package_json(path: &str) -> bool {
    let parts: Vec<&str> = path.rsplit('/').collect();
    // parts[0] = package.json, parts[1] = name, parts[2] = node_modules or @scope, …
    match (parts.get(1), parts.get(2), parts.get(3)) {
        (Some(n), Some(&"node_modules"), _) => !n.starts_with('.') && !n.starts_with('@'),
        (Some(n), Some(s), Some(&"node_modules")) => s.starts_with('@') && !n.starts_with('.'),
        _ => false,
    }
}

fn license_of(v: &Value) -> Vec<String> {
    let one = |x: &Value| -> Option<String> {
        match x {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    };
    let raw: Vec<String> = match (v.get("license"), v.get("licenses")) {
        (Some(l), _) => one(l).into_iter().collect(),
        (None, Some(Value::Array(a))) => a.iter().filter_map(one).collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| super::license::to_spdx(&s).unwrap_or(s))
        .collect()
}

fn author_of(v: &Value) -> Option<String> {
    match v.get("author")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn npm_purl(name: &str, version: &str) -> String {
    let (ns, n) = purl::npm_parts(name);
    purl::build("npm", ns, n, Some(version), &[])
}

/// Catalogs installed `package.json` files and stand-alone lock files.
pub fn catalog(
    tree: &dyn FileTree,
    packages: &[String],
    locks: &[String],
) -> Result<Found, TreeError> {
    let mut found = Found::default();
    for path in packages {
        let Some(v) = read_json(tree, path, &mut found)? else {
            continue;
        };
        let (Some(name), Some(version)) = (
            v.get("name").and_then(Value::as_str),
            v.get("version").and_then(Value::as_str),
        ) else {
            continue;
        };
        let mut p = Package::new(
            Ecosystem::Npm,
            name,
            version,
            npm_purl(name, version),
            path.clone(),
        );
        p.licenses = license_of(&v);
        p.supplier = author_of(&v);
        p.layer = tree.layer_of(path)?;
        found.packages.push(p);
    }
    for lock in locks {
        let dir = tree::parent(lock);
        let installed = tree
            .lstat(&tree::join(dir, "node_modules"))?
            .is_some_and(|e| e.kind == Kind::Dir);
        if installed {
            continue;
        }
        let Some(v) = read_json(tree, lock, &mut found)? else {
            continue;
        };
        let layer = tree.layer_of(lock)?;
        let mut add = |name: &str, entry: &Value| {
            let Some(version) = entry.get("version").and_then(Value::as_str) else {
                return;
            };
            // Linked workspace packages have no registry version.
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                return;
            }
            let mut p = Package::new(
                Ecosystem::Npm,
                name,
                version,
                npm_purl(name, version),
                lock.clone(),
            );
            p.licenses = license_of(entry);
            p.checksum = entry
                .get("integrity")
                .and_then(Value::as_str)
                .map(str::to_string);
            p.layer = layer;
            found.packages.push(p);
        };
        if let Some(Value::Object(pkgs)) = v.get("packages") {
            for (key, entry) in pkgs {
                let Some(idx) = key.rfind("node_modules/") else {
                    continue;
                };
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&key[idx + "node_modules/".len()..]);
                add(name, entry);
            }
        } else if let Some(Value::Object(deps)) = v.get("dependencies") {
            let mut stack: Vec<(&String, &Value)> = deps.iter().collect();
            while let Some((name, entry)) = stack.pop() {
                add(name, entry);
                if let Some(Value::Object(d)) = entry.get("dependencies") {
                    stack.extend(d.iter());
                }
            }
        }
    }
    Ok(found)
}

fn read_json(
    tree: &dyn FileTree,
    path: &str,
    found: &mut Found,
) -> Result<Option<Value>, TreeError> {
    let bytes = match tree.read_file(path, MAX_JSON) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(TreeError::TooLarge { .. }) => {
            found.warn(format!("{path}: larger than 64 MiB, skipped"));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            found.warn(format!("{path}: not valid JSON ({e}), skipped"));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_paths() {
        assert!(is_installed_package_json(
            "/app/node_modules/a/package.json"
        ));
        assert!(is_installed_package_json(
            "/app/node_modules/@s/a/package.json"
        ));
        assert!(is_installed_package_json(
            "/app/node_modules/a/node_modules/b/package.json"
        ));
        assert!(!is_installed_package_json("/app/package.json"));
        assert!(!is_installed_package_json(
            "/app/node_modules/a/lib/package.json"
        ));
        assert!(!is_installed_package_json(
            "/app/node_modules/@s/package.json"
        ));
    }

    #[test]
    fn licenses() {
        let v: Value = serde_json::json!({"license": "(MIT OR Apache-2.0)"});
        assert_eq!(license_of(&v), vec!["(MIT OR Apache-2.0)"]);
        let v: Value = serde_json::json!({"licenses": [{"type": "MIT"}, {"type": "BSD"}]});
        assert_eq!(license_of(&v), vec!["MIT", "BSD"]);
    }
}
