//! `hoist login REGISTRY` and `hoist logout REGISTRY`: store or remove registry credentials in
//! the docker `config.json` hoist reads (`$REGISTRY_AUTH_FILE`, `$DOCKER_CONFIG/config.json` or
//! `~/.docker/config.json`). Login checks the credentials against the registry first
//! (`GET /v2/`) unless `--no-verify`. The password comes from `--password-stdin`, else a
//! no-echo prompt on the terminal; `-p` works but warns (command lines are visible to others).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use clap::Args;

use hoist::oci::reference::{is_valid_domain, parse_normalized, DOCKER_HUB_DOMAIN};
use hoist::registry::auth::{self, Credential, CredentialSource};
use hoist::registry::{HttpRegistry, RegistryConfig};

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  echo \"$TOKEN\" | hoist login -u me --password-stdin ghcr.io\n  hoist logout ghcr.io"
)]
pub struct LoginArgs {
    /// User name
    #[arg(long, short)]
    pub username: Option<String>,
    /// Password (discouraged: command lines are visible to other users; prompted for on a terminal)
    #[arg(long, short)]
    pub password: Option<String>,
    /// Read the password from the first line of stdin
    #[arg(long, conflicts_with = "password")]
    pub password_stdin: bool,
    /// Store the credentials without checking them against the registry
    #[arg(long)]
    pub no_verify: bool,
    /// Auth file to write (default: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or ~/.docker/config.json)
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// Reach this registry over plain HTTP
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Registry host (default: docker.io)
    pub registry: Option<String>,
}

#[derive(Args, Debug)]
pub struct LogoutArgs {
    /// Auth file to edit (default as for login)
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// Registry host (default: docker.io)
    pub registry: Option<String>,
}

fn registry_host(arg: Option<&str>) -> Result<String, i32> {
    let raw = arg.unwrap_or(DOCKER_HUB_DOMAIN);
    let host = raw
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    if !is_valid_domain(&host) {
        super::report_error(
            &format!("invalid registry {raw:?}"),
            Some("give a registry host such as ghcr.io or localhost:5000"),
        );
        return Err(super::EXIT_USAGE);
    }
    Ok(host)
}

pub fn run_login(a: LoginArgs) -> i32 {
    match login(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn login(a: &LoginArgs) -> Result<i32, i32> {
    let host = registry_host(a.registry.as_deref())?;
    let tty = std::io::stdin().is_terminal();
    let user = match a.username.clone().filter(|u| !u.is_empty()) {
        Some(u) => u,
        None if tty && !a.password_stdin => prompt_username()?,
        None => {
            super::report_error(
                "login needs --username",
                Some("hoist login -u USER --password-stdin REGISTRY"),
            );
            return Err(super::EXIT_USAGE);
        }
    };
    let password = match (&a.password, a.password_stdin) {
        (Some(p), _) => {
            eprintln!(
                "warning: a password given with --password/-p is visible to other users of this \
                 machine (process list, shell history); prefer --password-stdin or the prompt"
            );
            p.clone()
        }
        (None, true) => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| {
                super::report_error(&format!("cannot read the password from stdin: {e}"), None);
                super::EXIT_USAGE
            })?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
        (None, false) if tty => rpassword::prompt_password("Password: ").map_err(|e| {
            super::report_error(&format!("cannot read the password: {e}"), None);
            super::EXIT_USAGE
        })?,
        (None, false) => {
            super::report_error(
                "login needs a password, and stdin is not a terminal to prompt on",
                Some("pass it on stdin with --password-stdin"),
            );
            return Err(super::EXIT_USAGE);
        }
    };
    if password.is_empty() {
        super::report_error("the password is empty", None);
        return Err(super::EXIT_USAGE);
    }
    if !a.no_verify {
        let cred = Credential::Basic {
            username: user.clone(),
            password: password.clone(),
        };
        let config = RegistryConfig {
            insecure_hosts: a.insecure_registry.clone(),
            credentials: CredentialSource::default().with_credential(&host, cred),
            tls: hoist::registry::tls::TlsTrust {
                hosts: vec![host.clone()],
                ..Default::default()
            },
            ..RegistryConfig::default()
        };
        let probe = parse_normalized(&format!("{host}/hoist/login-check")).map_err(|e| {
            super::report_error(&e.to_string(), None);
            super::EXIT_USAGE
        })?;
        let checked = HttpRegistry::new(config).and_then(|client| {
            hoist::runtime::block_on(client.ping(&probe))
                .map_err(|e| hoist::registry::RegistryError::Setup(e.to_string()))?
        });
        if let Err(e) = checked {
            let hint = hoist::registry::neterr::network_hint(&e).unwrap_or(
                "check the user name and password (or token); --no-verify stores them unchecked",
            );
            super::report_error(&format!("login to {host} failed: {e}"), Some(hint));
            return Err(super::EXIT_FINDINGS);
        }
    }
    match auth::login(&host, &user, &password, a.authfile.as_deref()) {
        Ok(path) if a.no_verify => {
            eprintln!(
                "Credentials for {host} saved unchecked (--no-verify) in {}",
                path.display()
            );
            Ok(super::EXIT_OK)
        }
        Ok(path) => {
            eprintln!(
                "Login succeeded; credentials for {host} stored in {}",
                path.display()
            );
            Ok(super::EXIT_OK)
        }
        Err(e) => {
            super::report_error(&format!("cannot store credentials for {host}: {e}"), None);
            Err(super::EXIT_FINDINGS)
        }
    }
}

/// Ask for the user name on the terminal (echoed).
fn prompt_username() -> Result<String, i32> {
    eprint!("Username: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        super::report_error(&format!("cannot read the user name: {e}"), None);
        super::EXIT_USAGE
    })?;
    let user = line.trim().to_string();
    if user.is_empty() {
        super::report_error("the user name is empty", None);
        return Err(super::EXIT_USAGE);
    }
    Ok(user)
}

pub fn run_logout(a: LogoutArgs) -> i32 {
    let host = match registry_host(a.registry.as_deref()) {
        Ok(h) => h,
        Err(c) => return c,
    };
    match auth::logout(&host, a.authfile.as_deref()) {
        Ok(true) => {
            eprintln!("Removed credentials for {host}");
            super::EXIT_OK
        }
        Ok(false) => {
            eprintln!("Not logged in to {host}");
            super::EXIT_OK
        }
        Err(e) => {
            super::report_error(&format!("cannot remove credentials for {host}: {e}"), None);
            super::EXIT_FINDINGS
        }
    }
}
