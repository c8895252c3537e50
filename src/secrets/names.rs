//! Whether a variable name says it holds a secret (`GITHUB_TOKEN`, `DB_PASSWORD`), shared by
//! the lint rule DL3064 and the image scanner (ENV entries, leaked build args).
//!
//! Combines hadolint's list of well-known names with BuildKit's `SecretsUsedInArgOrEnv` word
//! match (`_`-separated words such as `key`, `token`, `secret`, `password`, `auth`), and drops
//! names whose other words show a non-secret (`PUBLIC_KEY`, `GPG_KEY`, `TOKEN_FILE`, `KEY_ID`).

/// Well-known names of credentials (always reported).
const KNOWN: &[&str] = &[
    "ACCESS_TOKEN",
    "APPLICATION_KEY",
    "APP_SECRET",
    "AUTH_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_CLIENT_SECRET",
    "CF_PASSWORD",
    "CIRCLE_TOKEN",
    "CI_DEPLOY_PASSWORD",
    "DOCKERHUB_PASSWORD",
    "DOCKER_PASSWORD",
    "FIREBASE_TOKEN",
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GITLAB_TOKEN",
    "HEROKU_API_KEY",
    "HF_TOKEN",
    "NPM_TOKEN",
    "NPM_AUTH_TOKEN",
    "OPENAI_API_KEY",
    "OS_PASSWORD",
    "POSTGRES_PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "MYSQL_PASSWORD",
    "SLACK_TOKEN",
    "STRIPE_API_KEY",
    "VAULT_TOKEN",
];

/// Words (of a `_`/`-`-separated name) that mark a secret.
const SECRET_WORDS: &[&str] = &[
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "pass",
    "secret",
    "token",
    "pat",
    "privatekey",
    "accesskey",
    "secretkey",
    "passphrase",
];

/// Words that mark the value as not being the secret itself.
const BENIGN_WORDS: &[&str] = &[
    "public",
    "pub",
    "gpg",
    "pgp",
    "gnupg",
    "fingerprint",
    "fingerprints",
    "keyring",
    "keyserver",
    "keyid",
    "id",
    "ids",
    "file",
    "files",
    "path",
    "paths",
    "dir",
    "directory",
    "url",
    "uri",
    "endpoint",
    "host",
    "server",
    "port",
    "name",
    "names",
    "type",
    "method",
    "mode",
    "length",
    "len",
    "size",
    "bits",
    "algo",
    "algorithm",
    "ttl",
    "expiry",
    "expires",
    "timeout",
    "header",
    "version",
    "env",
    "var",
    "count",
    "max",
    "min",
    "format",
    "enabled",
    "enable",
    "disable",
    "disabled",
    "required",
    "location",
    "ref",
    "hash",
    "sha",
    "sha256",
    "sha512",
    "checksum",
    "prefix",
    "suffix",
    "field",
    "policy",
    "provider",
    "store",
    "vault",
    "mount",
    "helper",
];

/// Whether `name` designates a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if KNOWN.contains(&upper.as_str()) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| BENIGN_WORDS.contains(w)) {
        return false;
    }
    // `PASSWORD`, `DBPASSWORD`, `MYSECRET`: unambiguous even inside a word.
    if ["password", "passwd", "secret"]
        .iter()
        .any(|s| lower.contains(s))
    {
        return true;
    }
    words.iter().any(|w| SECRET_WORDS.contains(w))
}
