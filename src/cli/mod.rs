//! The `hoist` command line: argument parsing (clap) and one module per subcommand. Library
//! errors are turned into one clear message here; exit codes: 0 success, 1 findings or failure,
//! 2 bad usage or unreadable input.

mod attest;
mod build;
mod build_supply;
mod completions;
mod copy;
mod digest;
mod image_common;
mod images;
mod inspect;
mod key;
mod lint;
mod login;
mod network;
mod parse;
mod progress;
mod prune;
mod pull;
mod push;
mod rules;
mod sbom;
mod scan;
mod sign;
mod tag;
mod unpack;
mod verify;

use clap::{Parser, Subcommand};

/// Exit code: success, nothing at or above the failure threshold.
pub const EXIT_OK: i32 = 0;
/// Exit code: findings at or above the threshold, or an operation failed.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: bad usage or unreadable input.
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "hoist",
    version,
    about = "Lint Dockerfiles; build, sign and push OCI images without a daemon",
    after_help = "Examples:\n  hoist lint Dockerfile\n  hoist lint --format sarif . > hoist.sarif\n  hoist parse --format json Dockerfile\n  hoist rules\n  hoist completions bash > /etc/bash_completion.d/hoist\n  hoist copy docker://alpine:3.20 oci:./alpine:3.20\n  hoist push ./layout localhost:5000/app:v1"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Lint Dockerfiles
    Lint(Box<lint::LintArgs>),
    /// Build an image from a Dockerfile
    Build(Box<build::BuildArgs>),
    /// Parse a Dockerfile and print its syntax tree
    Parse(parse::ParseArgs),
    /// List every lint rule
    Rules(rules::RulesArgs),
    /// Print shell completions
    Completions(completions::CompletionsArgs),
    /// Copy an image between OCI layouts, archives and registries
    Copy(Box<copy::CopyArgs>),
    /// Push a local image (OCI layout or archive) to a registry
    Push(Box<push::PushArgs>),
    /// Pull an image into an OCI layout or a docker-loadable archive
    Pull(Box<pull::PullArgs>),
    /// Show an image's manifest and config as JSON
    Inspect(Box<inspect::InspectArgs>),
    /// Print the digest of an image's manifest
    Digest(Box<digest::DigestArgs>),
    /// Give an image another tag (OCI layout or registry)
    Tag(Box<tag::TagArgs>),
    /// Write the flattened filesystem of an image into a directory
    Unpack(Box<unpack::UnpackArgs>),
    /// Remove unreferenced blobs and layers from the local store
    Prune(prune::PruneArgs),
    /// List the named images of the local store (`hoist:NAME`)
    Images(images::ImagesArgs),
    /// Remove names from the local store (blobs stay until `hoist prune`)
    Rmi(images::RmiArgs),
    /// Store credentials for a registry
    Login(Box<login::LoginArgs>),
    /// Remove stored credentials for a registry
    Logout(login::LogoutArgs),
    /// Find secrets in an image's layers and config
    Scan(Box<scan::ScanArgs>),
    /// Manage cosign-compatible signing keys
    Key(key::KeyArgs),
    /// Sign an image (cosign-compatible signature)
    Sign(Box<sign::SignArgs>),
    /// Verify an image's signatures with a public key
    Verify(Box<verify::VerifyArgs>),
    /// Sign an in-toto attestation about an image (cosign-compatible)
    Attest(Box<attest::AttestArgs>),
    /// Verify an image's attestations with a public key and print their statements
    VerifyAttestation(Box<attest::VerifyAttestationArgs>),
    /// List the packages in an image or root directory (SPDX, CycloneDX, JSON, table)
    Sbom(Box<sbom::SbomArgs>),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Cmd::Lint(a) => lint::run(*a),
        Cmd::Build(a) => build::run(*a),
        Cmd::Parse(a) => parse::run(a),
        Cmd::Rules(a) => rules::run(a),
        Cmd::Completions(a) => completions::run(a),
        Cmd::Copy(a) => copy::run(*a),
        Cmd::Push(a) => push::run(*a),
        Cmd::Pull(a) => pull::run(*a),
        Cmd::Inspect(a) => inspect::run(*a),
        Cmd::Digest(a) => digest::run(*a),
        Cmd::Tag(a) => tag::run(*a),
        Cmd::Unpack(a) => unpack::run(*a),
        Cmd::Prune(a) => prune::run(a),
        Cmd::Images(a) => images::run_images(a),
        Cmd::Rmi(a) => images::run_rmi(a),
        Cmd::Login(a) => login::run_login(*a),
        Cmd::Logout(a) => login::run_logout(a),
        Cmd::Scan(a) => scan::run(*a),
        Cmd::Key(a) => key::run(a),
        Cmd::Sign(a) => sign::run(*a),
        Cmd::Verify(a) => verify::run(*a),
        Cmd::Attest(a) => attest::run(*a),
        Cmd::VerifyAttestation(a) => attest::run_verify(*a),
        Cmd::Sbom(a) => sbom::run(*a),
    }
}

/// Prints `error: <msg>` and an optional hint to stderr.
pub(crate) fn report_error(msg: &str, hint: Option<&str>) {
    use std::io::Write;
    progress::end_line();
    let mut err = anstream::stderr();
    let red = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::Red.into()));
    let _ = writeln!(err, "{red}error{red:#}: {msg}");
    if let Some(h) = hint {
        let _ = writeln!(err, "  hint: {h}");
    }
}
