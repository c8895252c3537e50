//! File rules: credential files recognised by their path and confirmed by their content (an
//! SSH key file that holds a key, a `.npmrc` with an auth token, a kubeconfig with a user token
//! or client key, a `.docker/config.json` with auths…). Names come from
//! [`crate::secrets::files::secret_kind`] (shared with the linter) plus the cloud CLIs'
//! credential files; a name alone is not a finding, since images ship empty or templated ones.

use crate::secrets::files::secret_kind;
use crate::secrets::names::is_secret_name;
use crate::secrets::{is_placeholder, redact};

/// A file rule that fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFinding {
    pub rule: &'static str,
    pub description: &'static str,
    /// Redacted credential (or a size note when the file as a whole is the secret).
    pub matched: String,
}

fn found(rule: &'static str, description: &'static str, value: &str) -> Option<FileFinding> {
    Some(FileFinding {
        rule,
        description,
        matched: redact(value),
    })
}

/// A real value: not empty, not a placeholder or variable reference.
fn real(v: &str) -> bool {
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
    !v.is_empty() && !is_placeholder(v)
}

/// The first `key <sep> value` line (key compared lower-cased, `sep` one of `seps`, spaces
/// around it allowed) whose key satisfies `want` and whose value is real.
fn assigned<'a>(text: &'a str, seps: &[char], want: impl Fn(&str) -> bool) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let line = line
            .trim()
            .trim_start_matches("export ")
            .trim_start_matches("- ");
        if line.starts_with('#') || line.starts_with(';') {
            return None;
        }
        let cut = line.find(seps)?;
        let key = line.get(..cut)?.trim().trim_matches('"');
        let value = line.get(cut + 1..)?.trim();
        (want(&key.to_ascii_lowercase()) && real(value)).then_some(value)
    })
}

fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The file rule `path` with this content (its first window) triggers, if any.
pub fn check(path: &str, content: &[u8]) -> Option<FileFinding> {
    if content.is_empty() {
        return None;
    }
    let name = base(path).to_ascii_lowercase();
    let has = |parent: &str| path.contains(&format!("{parent}/"));
    // Only candidate files are decoded: this runs on every file of every layer.
    let yamlish = name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name.ends_with(".conf")
        || name.contains("config");
    let candidate = has(".aws")
        || has(".azure")
        || has(".config/gcloud")
        || name == "application_default_credentials.json"
        || (yamlish && memmem(content.get(..64 << 10).unwrap_or(content), b"kind: Config"))
        || secret_kind(path).is_some();
    if !candidate {
        return None;
    }
    let text = String::from_utf8_lossy(content);

    // Cloud CLIs' credential files.
    if has(".aws") && (name == "credentials" || name == "config") {
        return assigned(&text, &['='], |k| {
            k == "aws_secret_access_key" || k == "aws_session_token"
        })
        .and_then(|v| found("aws-credentials-file", "AWS CLI credentials file", v));
    }
    if name == "application_default_credentials.json"
        || (has(".config/gcloud") && name.ends_with(".json"))
    {
        return json_find(&text, &["refresh_token", "private_key", "client_secret"]).and_then(
            |v| {
                found(
                    "gcloud-credentials-file",
                    "Google Cloud credentials file",
                    &v,
                )
            },
        );
    }
    if has(".azure")
        && matches!(
            name.as_str(),
            "accesstokens.json" | "msal_token_cache.json" | "service_principal_entries.json"
        )
    {
        return json_find(
            &text,
            &["accesstoken", "refreshtoken", "secret", "client_secret"],
        )
        .and_then(|v| found("azure-credentials-file", "Azure CLI credentials file", &v));
    }
    // Kubernetes: `.kube/config`, or any kubeconfig-shaped YAML.
    let kubeconfig = (has(".kube") && name == "config")
        || (text.contains("kind: Config") && text.contains("users:"));
    if kubeconfig {
        return assigned(&text, &[':'], |k| {
            matches!(
                k,
                "token" | "client-key-data" | "password" | "id-token" | "refresh-token"
            )
        })
        .and_then(|v| {
            found(
                "kubeconfig-credentials",
                "kubeconfig with user credentials",
                v,
            )
        });
    }
    if (has(".docker") && name == "config.json") || name == ".dockercfg" {
        return docker_auth(&text)
            .and_then(|v| found("docker-config-auth", "Docker registry credentials", &v));
    }

    let ssh_key = matches!(
        name.as_str(),
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk"
    );
    match if ssh_key {
        Some("SSH private key")
    } else {
        secret_kind(path)
    } {
        Some("SSH private key") => {
            let t = text.trim_start();
            if t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-") {
                None // a public key under a private key's name
            } else {
                Some(FileFinding {
                    rule: "ssh-private-key-file",
                    description: "SSH private key file",
                    matched: format!("(key file, {} bytes)", content.len()),
                })
            }
        }
        Some("npm credentials file") => assigned(&text, &['='], |k| {
            k.ends_with(":_authtoken")
                || k.ends_with(":_auth")
                || k.ends_with(":_password")
                || matches!(k, "_authtoken" | "_auth" | "_password" | "npmauthtoken")
        })
        .and_then(|v| found("npmrc-credentials", "npm registry credentials", v)),
        Some("PyPI credentials file") => assigned(&text, &['=', ':'], |k| k == "password")
            .and_then(|v| found("pypirc-credentials", "PyPI credentials", v)),
        Some("Git credentials file") => git_credentials(&text)
            .and_then(|v| found("git-credentials-file", "Git credentials file", v)),
        Some("netrc credentials file") => {
            netrc_password(&text).and_then(|v| found("netrc-credentials", "netrc password", v))
        }
        Some("PostgreSQL password file") => text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .find_map(|l| l.rsplit(':').next().filter(|p| real(p)))
            .and_then(|v| found("pgpass-credentials", "PostgreSQL password file", v)),
        Some("dotenv file") => assigned(&text, &['='], is_secret_name)
            .and_then(|v| found("dotenv-secret", "secret in a dotenv file", v)),
        Some("PKCS#12 keystore") => Some(FileFinding {
            rule: "pkcs12-keystore",
            description: "PKCS#12 keystore (private key and certificate)",
            matched: format!("(keystore, {} bytes)", content.len()),
        }),
        _ => None,
    }
}

/// The first real string value, anywhere in a JSON document, of a key in `keys` (compared
/// case-insensitively; `keys` lower-case).
fn json_find(text: &str, keys: &[&str]) -> Option<String> {
    fn walk(v: &serde_json::Value, keys: &[&str], depth: usize) -> Option<String> {
        if depth > 32 {
            return None;
        }
        match v {
            serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
                let hit = keys.contains(&k.to_ascii_lowercase().as_str());
                match x {
                    serde_json::Value::String(s) if hit && real(s) => Some(s.clone()),
                    _ => walk(x, keys, depth + 1),
                }
            }),
            serde_json::Value::Array(a) => a.iter().find_map(|x| walk(x, keys, depth + 1)),
            _ => None,
        }
    }
    walk(&serde_json::from_str(text).ok()?, keys, 0)
}

fn memmem(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The password of the first `scheme://user:password@host` line.
fn git_credentials(text: &str) -> Option<&str> {
    text.lines().find_map(|l| {
        let rest = l.trim().split_once("://")?.1;
        let userinfo = rest.split_once('@')?.0;
        let pass = userinfo.split_once(':')?.1;
        real(pass).then_some(pass)
    })
}

/// The first `password X` of a netrc file.
fn netrc_password(text: &str) -> Option<&str> {
    let mut words = text.split_whitespace();
    while let Some(w) = words.next() {
        if w == "password" {
            return words.next().filter(|p| real(p));
        }
    }
    None
}

/// The first credential of a Docker `config.json` (or legacy `.dockercfg`): an `auth`,
/// `identitytoken` or `password` of an `auths` entry.
fn docker_auth(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let auths = v.get("auths").unwrap_or(&v).as_object()?;
    auths.values().find_map(|e| {
        ["auth", "identitytoken", "password"].iter().find_map(|k| {
            e.get(*k)
                .and_then(|x| x.as_str())
                .filter(|s| real(s))
                .map(str::to_string)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::check;

    fn rule(path: &str, content: &str) -> Option<&'static str> {
        check(path, content.as_bytes()).map(|f| f.rule)
    }

    #[test]
    fn credential_files_need_credentials() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("root/.ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n", Some("ssh-private-key-file")),
            ("root/.ssh/id_ed25519", "ssh-ed25519 AAAAC3Nza a@b\n", None),
            ("app/.env", "DEBUG=1\nDB_PASSWORD=Zq9xT4wP2mK\n", Some("dotenv-secret")),
            ("app/.env", "DEBUG=1\nDB_PASSWORD=${DB_PASSWORD}\n", None),
            ("root/.aws/credentials", "[default]\naws_access_key_id = AKIAZ7QRSTUVWXYZ2345\naws_secret_access_key = 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\n", Some("aws-credentials-file")),
            ("root/.config/gcloud/application_default_credentials.json", "{\"client_id\": \"x\", \"refresh_token\": \"1//0gZq9xT4wP2mKabc\", \"type\": \"authorized_user\"}", Some("gcloud-credentials-file")),
            ("root/.azure/msal_token_cache.json", "{\"AccessToken\": {\"k\": {\"secret\": \"eyJ0eXAiOiJKV1QiLCJhbGciOi\"}}}", Some("azure-credentials-file")),
            ("home/u/.npmrc", "//registry.npmjs.org/:_authToken=npm_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5\n", Some("npmrc-credentials")),
            ("home/u/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n", None),
            ("home/u/.pypirc", "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcCJDQ\n", Some("pypirc-credentials")),
            ("home/u/.git-credentials", "https://bob:Zq9xT4wP2mK@github.com\n", Some("git-credentials-file")),
            ("root/.kube/config", "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: Zq9xT4wP2mKabcdef\n", Some("kubeconfig-credentials")),
            ("etc/k8s/admin.conf", "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0E=\n", Some("kubeconfig-credentials")),
            ("root/.kube/config", "apiVersion: v1\nkind: Config\nusers: []\n", None),
            ("root/.docker/config.json", "{\"auths\": {\"ghcr.io\": {\"auth\": \"Ym9iOlpxOXhUNHdQMm1L\"}}}", Some("docker-config-auth")),
            ("root/.docker/config.json", "{\"auths\": {}, \"credsStore\": \"pass\"}", None),
            ("root/.netrc", "machine h login bob password Zq9xT4wP2mK\n", Some("netrc-credentials")),
            ("etc/ssl/certs/ca.pem", "-----BEGIN CERTIFICATE-----\n", None),
        ];
        for (path, content, want) in cases {
            assert_eq!(rule(path, content), *want, "{path}: {content}");
        }
    }

    #[test]
    fn findings_are_redacted() {
        let f = check(
            "root/.git-credentials",
            b"https://bob:Zq9xT4wP2mK@github.com\n",
        );
        let m = f.map(|f| f.matched).unwrap_or_default();
        assert!(
            !m.contains("Zq9xT4wP2mK") && m.contains("11 characters"),
            "{m}"
        );
    }
}
