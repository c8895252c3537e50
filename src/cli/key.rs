//! `hoist key generate`: write a cosign-compatible key pair; plus the key, password and
//! annotation helpers that `sign`, `verify`, `attest` and `verify-attestation` share.
//!
//! The password comes from `COSIGN_PASSWORD` (may be empty), else from a prompt on the terminal
//! that is never echoed; without either the command fails with a usage error.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::supply::sign::keys::MAX_KEY_FILE;
use crate::supply::sign::{SigningKey, VerifyingKey};

/// Environment variable holding the key password (as cosign reads it).
pub const PASSWORD_ENV: &str = "COSIGN_PASSWORD";

#[derive(Args, Debug)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub command: KeyCmd,
}

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Generate an ECDSA P-256 key pair as cosign.key (encrypted) and cosign.pub
    #[command(
        after_help = "The password is read from COSIGN_PASSWORD, or prompted for on a terminal.\n\nExamples:\n  hoist key generate\n  COSIGN_PASSWORD=… hoist key generate --output-key-prefix release"
    )]
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Write NAME.key and NAME.pub instead of cosign.key and cosign.pub
    #[arg(long, value_name = "NAME", default_value = "cosign")]
    pub output_key_prefix: String,
    /// Overwrite existing key files
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: KeyArgs) -> i32 {
    match a.command {
        KeyCmd::Generate(g) => match generate(&g) {
            Ok(c) | Err(c) => c,
        },
    }
}

fn generate(a: &GenerateArgs) -> Result<i32, i32> {
    let key_path = PathBuf::from(format!("{}.key", a.output_key_prefix));
    let pub_path = PathBuf::from(format!("{}.pub", a.output_key_prefix));
    if !a.force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                super::report_error(
                    &format!("{} already exists; not overwriting it", p.display()),
                    Some("pass --force to replace it, or --output-key-prefix NAME for other files"),
                );
                return Err(super::EXIT_FINDINGS);
            }
        }
    }
    let password = password(true)?;
    let key = SigningKey::generate();
    let enc = key.to_encrypted_pem(&password).map_err(|e| fail(&e))?;
    let public = key.verifying_key().to_pem().map_err(|e| fail(&e))?;
    write_file(&key_path, enc.as_bytes(), 0o600, a.force)?;
    write_file(&pub_path, public.as_bytes(), 0o644, a.force)?;
    eprintln!("Private key written to {}", key_path.display());
    eprintln!("Public key written to {}", pub_path.display());
    Ok(super::EXIT_OK)
}

fn write_file(path: &Path, bytes: &[u8], mode: u32, force: bool) -> Result<(), i32> {
    let mut opts = OpenOptions::new();
    opts.write(true).mode(mode);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let res = opts.open(path).and_then(|mut f| {
        f.write_all(bytes)?;
        // `mode` applies only to new files; an overwritten one gets it explicitly.
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        f.sync_all()
    });
    res.map_err(|e| {
        super::report_error(&format!("cannot write {}: {e}", path.display()), None);
        super::EXIT_FINDINGS
    })
}

/// Prints a library error (exit 1).
pub(crate) fn fail(e: &dyn std::fmt::Display) -> i32 {
    super::report_error(&e.to_string(), None);
    super::EXIT_FINDINGS
}

/// The key password: `COSIGN_PASSWORD`, else a no-echo prompt (twice with `confirm`).
pub(crate) fn password(confirm: bool) -> Result<Zeroizing<Vec<u8>>, i32> {
    if let Some(p) = std::env::var_os(PASSWORD_ENV) {
        return Ok(Zeroizing::new(p.into_encoded_bytes()));
    }
    if !std::io::stdin().is_terminal() && !std::io::stderr().is_terminal() {
        super::report_error(
            "no password for the private key",
            Some("set COSIGN_PASSWORD (it may be empty), or run on a terminal to be prompted"),
        );
        return Err(super::EXIT_USAGE);
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(|s| Zeroizing::new(s.into_bytes()))
            .map_err(|e| {
                super::report_error(&format!("cannot read the password: {e}"), None);
                super::EXIT_USAGE
            })
    };
    let first = ask("Enter password for private key: ")?;
    if confirm {
        let again = ask("Enter password for private key again: ")?;
        if *again != *first {
            super::report_error("the passwords do not match", None);
            return Err(super::EXIT_USAGE);
        }
    }
    Ok(first)
}

/// Reads a key file, bounded; a missing or unreadable file is a usage error.
fn read_key_file(path: &Path) -> Result<Vec<u8>, i32> {
    let f = std::fs::File::open(path).map_err(|e| {
        super::report_error(
            &format!("cannot read key {}: {e}", path.display()),
            Some("generate a pair with `hoist key generate`"),
        );
        super::EXIT_USAGE
    })?;
    let mut out = Vec::new();
    f.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            super::report_error(&format!("cannot read key {}: {e}", path.display()), None);
            super::EXIT_USAGE
        })?;
    if out.len() as u64 > MAX_KEY_FILE {
        super::report_error(
            &format!(
                "{}: larger than {MAX_KEY_FILE} bytes; not a key file",
                path.display()
            ),
            None,
        );
        return Err(super::EXIT_FINDINGS);
    }
    Ok(out)
}

/// Loads and decrypts a private key file.
pub(crate) fn load_signing_key(path: &Path) -> Result<SigningKey, i32> {
    let pem = read_key_file(path)?;
    let pw = password(false)?;
    SigningKey::from_encrypted_pem(&pem, &pw, &path.display().to_string()).map_err(|e| fail(&e))
}

/// Loads a public key file.
pub(crate) fn load_verifying_key(path: &Path) -> Result<VerifyingKey, i32> {
    let pem = read_key_file(path)?;
    VerifyingKey::from_pem(&pem, &path.display().to_string()).map_err(|e| fail(&e))
}

/// `-a key=value` pairs; a malformed one is a usage error.
pub(crate) fn annotations(pairs: &[String]) -> Result<BTreeMap<String, String>, i32> {
    let mut out = BTreeMap::new();
    for p in pairs {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_string(), v.to_string());
            }
            _ => {
                super::report_error(
                    &format!("annotation {p:?} is not KEY=VALUE"),
                    Some("example: -a env=prod"),
                );
                return Err(super::EXIT_USAGE);
            }
        }
    }
    Ok(out)
}
