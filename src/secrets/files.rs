//! Which file names hold secrets (`id_rsa`, `.env`, `.npmrc`, `*.key`, `.aws/credentials`…),
//! shared by the lint rule HO3003 and the image layer scanner.

/// What kind of secret a path (relative, `/`-separated; globs allowed) names, if any.
pub fn secret_kind(path: &str) -> Option<&'static str> {
    let path = path.trim_end_matches('/');
    let path = path.strip_prefix("./").unwrap_or(path);
    let comps: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let base = *comps.last()?;
    let lower = base.to_ascii_lowercase();
    let parent = comps
        .len()
        .checked_sub(2)
        .and_then(|i| comps.get(i))
        .copied();

    if comps.contains(&".ssh") {
        return Some("SSH directory");
    }
    if comps.contains(&".gnupg") {
        return Some("GnuPG keyring");
    }
    if comps.contains(&".aws") {
        return Some("AWS credentials");
    }
    if parent == Some(".docker") && lower == "config.json" {
        return Some("Docker registry credentials");
    }
    if parent == Some(".kube") && lower == "config" {
        return Some("Kubernetes credentials");
    }
    match lower.as_str() {
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk" => {
            return Some("SSH private key")
        }
        ".npmrc" | ".yarnrc.yml" => return Some("npm credentials file"),
        ".pypirc" => return Some("PyPI credentials file"),
        ".netrc" | "_netrc" => return Some("netrc credentials file"),
        ".git-credentials" => return Some("Git credentials file"),
        ".htpasswd" => return Some("htpasswd file"),
        ".pgpass" => return Some("PostgreSQL password file"),
        ".dockercfg" => return Some("Docker registry credentials"),
        "credentials.json"
        | "client_secret.json"
        | "service-account.json"
        | "service_account.json" => return Some("credentials file"),
        ".env" => return Some("dotenv file"),
        _ => {}
    }
    if let Some(rest) = lower.strip_prefix(".env.") {
        let benign = [
            "example", "sample", "template", "dist", "defaults", "default", "schema", "tpl",
        ];
        if !benign.iter().any(|b| rest.contains(b)) {
            return Some("dotenv file");
        }
        return None;
    }
    let (stem, ext) = lower.rsplit_once('.')?;
    match ext {
        "key" if !stem.contains("pub") => Some("private key file"),
        "p12" | "pfx" => Some("PKCS#12 keystore"),
        "jks" | "keystore" => Some("Java keystore"),
        "pem" => {
            let certish = [
                "cert", "crt", "ca", "chain", "bundle", "pub", "root", "trust", "dhparam",
            ];
            (!certish.iter().any(|c| stem.contains(c)))
                .then_some("PEM file (possibly a private key)")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::secret_kind;

    #[test]
    fn classifies() {
        for yes in [
            "id_rsa",
            "./id_ed25519",
            "home/.ssh/",
            ".ssh",
            ".env",
            ".env.production",
            "server.key",
            "tls/server.pem",
            "*.pem",
            "cert.p12",
            ".npmrc",
            ".pypirc",
            ".netrc",
            ".aws/credentials",
            ".aws",
            ".docker/config.json",
            ".git-credentials",
            "credentials.json",
            "a/b/key.pfx",
        ] {
            assert!(secret_kind(yes).is_some(), "{yes}");
        }
        for no in [
            "id_rsa.pub",
            ".env.example",
            "ca.pem",
            "fullchain.pem",
            "cert.pem",
            "config.json",
            "docker-entrypoint.sh",
            ".",
            "./",
            "src",
            "package.json",
            "public.key",
            "ca-bundle.pem",
            "nginx.conf",
            "keys.txt",
        ] {
            assert!(secret_kind(no).is_none(), "{no}");
        }
    }
}
