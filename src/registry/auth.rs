//! Registry credentials and authentication challenges.
//!
//! Credentials are looked up, first match wins, in `$REGISTRY_AUTH_FILE`,
//! `$DOCKER_CONFIG/config.json` and `~/.docker/config.json`, all in the docker `config.json`
//! format: `auths.<registry>.auth` (base64 `user:password`), or `username`/`password`, or an
//! `identitytoken`; `credHelpers.<registry>` and `credsStore` name a `docker-credential-<helper>`
//! program, run as `docker-credential-<helper> get` with the registry on stdin.
//! Keys are matched by host: `https://host/v1/`, `http://host` and `host` are the same entry, and
//! Docker Hub's spellings (`https://index.docker.io/v1/`, `index.docker.io`,
//! `registry-1.docker.io`, `docker.io`) are one registry.
//!
//! [`login`] and [`logout`] edit such a file atomically (temporary file in the same directory,
//! rename; a symlinked file is written through the link, an existing file keeps its mode, a new
//! one is 0600), keeping every other field as it was. Credential helpers are only read:
//! `login` always writes the file.
//!
//! [`parse_www_authenticate`] reads `WWW-Authenticate` challenges (`Basic realm=…`,
//! `Bearer realm=…,service=…,scope=…`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::{Map, Value};

/// Key Docker uses for Docker Hub in `config.json`.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// Errors reading or writing credentials.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The auth file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The auth file is not valid JSON of the expected shape.
    #[error("{path}: {detail}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A credential helper failed.
    #[error("credential helper docker-credential-{helper} for {registry}: {detail}")]
    Helper {
        /// Helper name.
        helper: String,
        /// Registry asked for.
        registry: String,
        /// What went wrong.
        detail: String,
    },
    /// No file to write to: neither an explicit path, `$REGISTRY_AUTH_FILE`, `$DOCKER_CONFIG`
    /// nor `$HOME` is set.
    #[error("no auth file location: set $REGISTRY_AUTH_FILE, $DOCKER_CONFIG or $HOME")]
    NoLocation,
}

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// User name and password (or a personal access token used as password).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint.
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(***)"),
        }
    }
}

/// Where credentials are read from.
#[derive(Debug, Clone, Default)]
pub struct CredentialSource {
    /// Auth files in priority order.
    pub files: Vec<PathBuf>,
    /// Explicit credentials per registry host, consulted before the files.
    pub explicit: BTreeMap<String, Credential>,
    /// Directory holding `docker-credential-*` helpers; `None` searches `$PATH`.
    pub helper_dir: Option<PathBuf>,
}

impl CredentialSource {
    /// The standard locations, from the environment.
    pub fn from_env() -> CredentialSource {
        let mut files = Vec::new();
        if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|v| !v.is_empty()) {
            files.push(PathBuf::from(p));
        }
        if let Some(p) = std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
            files.push(PathBuf::from(p).join("config.json"));
        }
        if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            files.push(PathBuf::from(home).join(".docker").join("config.json"));
        }
        CredentialSource {
            files,
            ..CredentialSource::default()
        }
    }

    /// Only these files.
    pub fn from_files(files: Vec<PathBuf>) -> CredentialSource {
        CredentialSource {
            files,
            ..CredentialSource::default()
        }
    }

    /// Add explicit credentials for a registry (e.g. from `--creds`).
    pub fn with_credential(mut self, registry: &str, cred: Credential) -> CredentialSource {
        self.explicit.insert(normalize_registry_key(registry), cred);
        self
    }

    /// Credentials for `registry` (a domain such as `ghcr.io` or `localhost:5000`).
    pub fn lookup(&self, registry: &str) -> Result<Option<Credential>, AuthError> {
        let want = normalize_registry_key(registry);
        if let Some(c) = self.explicit.get(&want) {
            return Ok(Some(c.clone()));
        }
        for file in &self.files {
            let Some(config) = read_config(file)? else {
                continue;
            };
            if let Some(c) = lookup_in_config(file, &config, &want, self.helper_dir.as_deref())? {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }
}

/// Reduce an auth-file key or registry name to the host it designates.
pub fn normalize_registry_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".to_string(),
        _ => host,
    }
}

fn read_config(path: &Path) -> Result<Option<Value>, AuthError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(AuthError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if text.trim().is_empty() {
        return Ok(Some(Value::Object(Map::new())));
    }
    let v: Value = serde_json::from_str(&text).map_err(|e| AuthError::Format {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if !v.is_object() {
        return Err(AuthError::Format {
            path: path.to_path_buf(),
            detail: "expected a JSON object".into(),
        });
    }
    Ok(Some(v))
}

fn lookup_in_config(
    path: &Path,
    config: &Value,
    want: &str,
    helper_dir: Option<&Path>,
) -> Result<Option<Credential>, AuthError> {
    // A per-registry helper takes precedence over everything else in the same file.
    if let Some(helpers) = config.get("credHelpers").and_then(Value::as_object) {
        for (key, helper) in helpers {
            if normalize_registry_key(key) == want {
                if let Some(h) = helper.as_str().filter(|h| !h.is_empty()) {
                    return run_helper(h, key, helper_dir);
                }
            }
        }
    }
    if let Some(auths) = config.get("auths").and_then(Value::as_object) {
        for (key, entry) in auths {
            if normalize_registry_key(key) != want {
                continue;
            }
            if let Some(c) = entry_credential(path, key, entry)? {
                return Ok(Some(c));
            }
        }
    }
    if let Some(store) = config
        .get("credsStore")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let server = if want == "docker.io" {
            DOCKER_HUB_AUTH_KEY.to_string()
        } else {
            want.to_string()
        };
        return run_helper(store, &server, helper_dir);
    }
    Ok(None)
}

fn entry_credential(
    path: &Path,
    key: &str,
    entry: &Value,
) -> Result<Option<Credential>, AuthError> {
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(token) = field("identitytoken") {
        return Ok(Some(Credential::IdentityToken(token.to_string())));
    }
    if let Some(auth) = field("auth") {
        let bad = |detail: &str| AuthError::Format {
            path: path.to_path_buf(),
            detail: format!("auths.{key:?}.auth: {detail}"),
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| bad("not base64"))?;
        let text = String::from_utf8(raw).map_err(|_| bad("not UTF-8"))?;
        let (user, pass) = text
            .split_once(':')
            .ok_or_else(|| bad("expected user:password"))?;
        return Ok(Some(Credential::Basic {
            username: user.to_string(),
            password: pass.to_string(),
        }));
    }
    if let (Some(u), Some(p)) = (field("username"), field("password")) {
        return Ok(Some(Credential::Basic {
            username: u.to_string(),
            password: p.to_string(),
        }));
    }
    Ok(None)
}

/// Run `docker-credential-<helper> get` for `server` (from `dir`, or found on `$PATH`).
pub fn run_helper(
    helper: &str,
    server: &str,
    dir: Option<&Path>,
) -> Result<Option<Credential>, AuthError> {
    let err = |detail: String| AuthError::Helper {
        helper: helper.to_string(),
        registry: server.to_string(),
        detail,
    };
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(err("invalid helper name".into()));
    }
    let program = format!("docker-credential-{helper}");
    let program = match dir {
        Some(d) => d.join(program),
        None => PathBuf::from(program),
    };
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| err(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| err(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let msg = format!(
            "{}{}",
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        if msg.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(err(format!("exited with {}: {msg}", out.status)));
    }
    let v: Value =
        serde_json::from_str(stdout.trim()).map_err(|e| err(format!("bad output: {e}")))?;
    let user = v.get("Username").and_then(Value::as_str).unwrap_or("");
    let secret = v.get("Secret").and_then(Value::as_str).unwrap_or("");
    if secret.is_empty() {
        return Ok(None);
    }
    if user == "<token>" {
        return Ok(Some(Credential::IdentityToken(secret.to_string())));
    }
    Ok(Some(Credential::Basic {
        username: user.to_string(),
        password: secret.to_string(),
    }))
}

/// The file `login`/`logout` edit when none is given: `$REGISTRY_AUTH_FILE`, else
/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn default_auth_file() -> Result<PathBuf, AuthError> {
    CredentialSource::from_env()
        .files
        .into_iter()
        .next()
        .ok_or(AuthError::NoLocation)
}

fn auth_key_for(registry: &str) -> String {
    let host = normalize_registry_key(registry);
    if host == "docker.io" {
        DOCKER_HUB_AUTH_KEY.to_string()
    } else {
        host
    }
}

/// Store `user`/`password` for `registry` in `auth_file` (or [`default_auth_file`]).
/// Returns the file written.
pub fn login(
    registry: &str,
    user: &str,
    password: &str,
    auth_file: Option<&Path>,
) -> Result<PathBuf, AuthError> {
    let path = match auth_file {
        Some(p) => p.to_path_buf(),
        None => default_auth_file()?,
    };
    let mut config = read_config(&path)?.unwrap_or_else(|| Value::Object(Map::new()));
    let want = normalize_registry_key(registry);
    let root = config.as_object_mut().ok_or_else(|| AuthError::Format {
        path: path.clone(),
        detail: "expected a JSON object".into(),
    })?;
    let auths = root
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    if let Some(map) = auths.as_object_mut() {
        map.retain(|k, _| normalize_registry_key(k) != want);
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut entry = Map::new();
        entry.insert("auth".into(), Value::String(encoded));
        map.insert(auth_key_for(registry), Value::Object(entry));
    }
    write_atomically(&path, &config)?;
    Ok(path)
}

/// Remove stored credentials for `registry`. Returns whether an entry was removed.
pub fn logout(registry: &str, auth_file: Option<&Path>) -> Result<bool, AuthError> {
    let path = match auth_file {
        Some(p) => p.to_path_buf(),
        None => default_auth_file()?,
    };
    let Some(mut config) = read_config(&path)? else {
        return Ok(false);
    };
    let want = normalize_registry_key(registry);
    let mut removed = false;
    if let Some(map) = config.get_mut("auths").and_then(Value::as_object_mut) {
        let before = map.len();
        map.retain(|k, _| normalize_registry_key(k) != want);
        removed = map.len() != before;
    }
    if removed {
        write_atomically(&path, &config)?;
    }
    Ok(removed)
}

/// Write `value` to `path` through a temporary file and a rename. A symlinked `path` stays a
/// symlink: the file it points to is replaced. An existing file keeps its mode; a new one is
/// created 0600 (it holds passwords).
fn write_atomically(path: &Path, value: &Value) -> Result<(), AuthError> {
    let io = |source: std::io::Error| AuthError::Io {
        path: path.to_path_buf(),
        source,
    };
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = resolve_symlink(path).map_err(io)?;
            resolved.as_path()
        }
        _ => path,
    };
    let io = |source: std::io::Error| AuthError::Io {
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o600)
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".hoist-auth-")
        .tempfile_in(&dir)
        .map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode)).map_err(io)?;
    }
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| AuthError::Format {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    text.push(b'\n');
    tmp.write_all(&text).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The file a symlink chain ends at (which need not exist yet), following at most 40 links.
fn resolve_symlink(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

/// One authentication challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Scheme, lowercased (`basic`, `bearer`).
    pub scheme: String,
    /// Parameters with lowercased names (`realm`, `service`, `scope`, `error`).
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter by (lowercase) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Parse a `WWW-Authenticate` value into its challenges. Malformed parts are skipped.
pub fn parse_www_authenticate(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let b = header.as_bytes();
    let mut i = 0;
    let is_token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/".contains(&c);
    while i < b.len() {
        while i < b.len() && (b[i] == b' ' || b[i] == b',' || b[i] == b'\t') {
            i += 1;
        }
        let start = i;
        while i < b.len() && is_token(b[i]) {
            i += 1;
        }
        if start == i {
            // Not a token: skip one byte to make progress.
            i += 1;
            continue;
        }
        let word = header.get(start..i).unwrap_or("");
        let mut j = i;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' {
            // A parameter of the current challenge.
            j += 1;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            let value = if j < b.len() && b[j] == b'"' {
                j += 1;
                let mut v = String::new();
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' && j + 1 < b.len() {
                        j += 1;
                    }
                    let ch_len = utf8_len(b[j]);
                    v.push_str(header.get(j..(j + ch_len).min(b.len())).unwrap_or(""));
                    j += ch_len;
                }
                j += 1;
                v
            } else {
                let vs = j;
                while j < b.len() && b[j] != b',' && b[j] != b' ' {
                    j += 1;
                }
                header.get(vs..j).unwrap_or("").to_string()
            };
            i = j;
            if let Some(c) = out.last_mut() {
                c.params.insert(word.to_ascii_lowercase(), value);
            }
        } else {
            out.push(Challenge {
                scheme: word.to_ascii_lowercase(),
                params: BTreeMap::new(),
            });
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic() {
        let c = parse_www_authenticate(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("https://auth.example/token"));
        assert_eq!(c[0].param("service"), Some("registry.example"));
        assert_eq!(c[0].param("scope"), Some("repository:a/b:pull,push"));
        let c = parse_www_authenticate(r#"Basic realm="Registry Realm", Bearer realm=x"#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some("Registry Realm"));
        assert_eq!(c[1].param("realm"), Some("x"));
        let c = parse_www_authenticate(r#"Bearer realm="a\"b""#);
        assert_eq!(c[0].param("realm"), Some("a\"b"));
        assert!(parse_www_authenticate("").is_empty());
        assert_eq!(parse_www_authenticate("Basic")[0].scheme, "basic");
        // Garbage does not panic.
        let _ = parse_www_authenticate("=\"\\");
        let _ = parse_www_authenticate("Bearer realm=\"é");
    }

    #[test]
    fn normalizes_keys() {
        assert_eq!(
            normalize_registry_key("https://index.docker.io/v1/"),
            "docker.io"
        );
        assert_eq!(normalize_registry_key("registry-1.docker.io"), "docker.io");
        assert_eq!(
            normalize_registry_key("http://localhost:5000"),
            "localhost:5000"
        );
        assert_eq!(normalize_registry_key("GHCR.io"), "ghcr.io");
    }

    #[test]
    fn login_lookup_logout_round_trip() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("sub").join("config.json");
        std::fs::create_dir_all(dir.path().join("sub")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            &file,
            r#"{"auths":{"other.io":{"auth":"eDp5"}},"psFormat":"x"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        login("localhost:5000", "alice", "p:ss", Some(&file)).unwrap_or_else(|e| panic!("{e}"));
        login("docker.io", "bob", "pw", Some(&file)).unwrap_or_else(|e| panic!("{e}"));
        let src = CredentialSource::from_files(vec![file.clone()]);
        let basic = |u: &str, p: &str| Credential::Basic {
            username: u.into(),
            password: p.into(),
        };
        assert_eq!(
            src.lookup("localhost:5000").ok().flatten(),
            Some(basic("alice", "p:ss"))
        );
        assert_eq!(
            src.lookup("docker.io").ok().flatten(),
            Some(basic("bob", "pw"))
        );
        assert_eq!(src.lookup("other.io").ok().flatten(), Some(basic("x", "y")));
        assert_eq!(src.lookup("nope.io").ok().flatten(), None);
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(text.contains("psFormat"), "other fields kept: {text}");
        assert!(text.contains(DOCKER_HUB_AUTH_KEY));
        #[cfg(unix)]
        {
            // A file login creates is 0600.
            use std::os::unix::fs::PermissionsExt;
            let fresh = dir.path().join("new").join("config.json");
            login("localhost:5000", "alice", "p:ss", Some(&fresh))
                .unwrap_or_else(|e| panic!("{e}"));
            let mode = std::fs::metadata(&fresh)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(logout("http://localhost:5000/", Some(&file)).unwrap_or(false));
        assert!(!logout("localhost:5000", Some(&file)).unwrap_or(true));
        assert_eq!(src.lookup("localhost:5000").ok().flatten(), None);
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_auth_file_stays_a_symlink_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let real_dir = dir.path().join("dotfiles");
        std::fs::create_dir_all(&real_dir).unwrap_or_else(|e| panic!("{e}"));
        let real = real_dir.join("docker-config.json");
        std::fs::write(&real, r#"{"psFormat":"x"}"#).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640))
            .unwrap_or_else(|e| panic!("{e}"));
        let link = dir.path().join("config.json");
        std::os::unix::fs::symlink("dotfiles/docker-config.json", &link)
            .unwrap_or_else(|e| panic!("{e}"));
        login("r.example", "u", "p", Some(&link)).unwrap_or_else(|e| panic!("{e}"));
        let meta = std::fs::symlink_metadata(&link).unwrap_or_else(|e| panic!("{e}"));
        assert!(meta.file_type().is_symlink(), "the link was replaced");
        let text = std::fs::read_to_string(&real).unwrap_or_default();
        assert!(
            text.contains("r.example") && text.contains("psFormat"),
            "{text}"
        );
        let mode = std::fs::metadata(&real)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o640);
        assert!(logout("r.example", Some(&link)).unwrap_or(false));
        assert!(std::fs::symlink_metadata(&link)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false));
    }

    #[test]
    fn reads_username_password_and_tokens_and_rejects_bad_files() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("auth.json");
        std::fs::write(
            &file,
            r#"{"auths":{"https://a.io/v1/":{"username":"u","password":"p"},"b.io":{"identitytoken":"tok"},"c.io":{"auth":"!!"}}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let src = CredentialSource::from_files(vec![dir.path().join("missing.json"), file.clone()]);
        assert_eq!(
            src.lookup("a.io").ok().flatten(),
            Some(Credential::Basic {
                username: "u".into(),
                password: "p".into()
            })
        );
        assert_eq!(
            src.lookup("b.io").ok().flatten(),
            Some(Credential::IdentityToken("tok".into()))
        );
        assert!(matches!(src.lookup("c.io"), Err(AuthError::Format { .. })));
        std::fs::write(&file, "[1]").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(src.lookup("a.io"), Err(AuthError::Format { .. })));
        let explicit = CredentialSource::default()
            .with_credential("https://x.io", Credential::IdentityToken("t".into()));
        assert_eq!(
            explicit.lookup("x.io").ok().flatten(),
            Some(Credential::IdentityToken("t".into()))
        );
    }

    #[test]
    fn credential_helper_is_run() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let helper = dir.path().join("docker-credential-hoisttest");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\nif [ \"$server\" = h.io ]; then echo '{\"ServerURL\":\"h.io\",\"Username\":\"hu\",\"Secret\":\"hs\"}'; else echo 'credentials not found in native keychain'; exit 1; fi\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let file = dir.path().join("config.json");
        std::fs::write(
            &file,
            r#"{"credHelpers":{"h.io":"hoisttest","n.io":"hoisttest"}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut src = CredentialSource::from_files(vec![file]);
        src.helper_dir = Some(dir.path().to_path_buf());
        let got = src.lookup("h.io");
        let missing = src.lookup("n.io");
        assert_eq!(
            got.ok().flatten(),
            Some(Credential::Basic {
                username: "hu".into(),
                password: "hs".into()
            })
        );
        assert_eq!(missing.ok().flatten(), None);
    }
}
