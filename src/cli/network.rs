//! Network options of the commands that talk to registries: `--idle-timeout`
//! (`HOIST_IDLE_TIMEOUT`), the idle window within which every transfer must make progress,
//! `--timeout` (`HOIST_TIMEOUT`), an overall deadline for the command's registry traffic,
//! `--connect-timeout` (`HOIST_CONNECT_TIMEOUT`), the longest wait for a TCP connection to be
//! accepted, and `--cert-dir` (`HOIST_CERT_DIR`), a directory of `*.crt` CAs to trust.
//! Durations are seconds (`30`, `1.5`) or carry a unit (`500ms`, `90s`, `5m`, `1h`).

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use clap::Args;

use hoist::copy::RemoteOptions;
use hoist::registry::client::Deadline;
use hoist::registry::duration::{env_duration, parse_duration};

/// Network flags of the image commands.
#[derive(Args, Debug, Clone, Default)]
pub struct NetworkArgs {
    /// Fail a transfer (after retries) that delivers less than 1 KiB in this long [default: 30s]
    #[arg(long, value_name = "DURATION", env = "HOIST_IDLE_TIMEOUT", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,
    /// Give up on the registry traffic of this command after this long
    #[arg(long, value_name = "DURATION", env = "HOIST_TIMEOUT", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Fail when a registry does not accept the connection in this long (not retried) [default: 30s]
    #[arg(long, value_name = "DURATION", env = "HOIST_CONNECT_TIMEOUT", value_parser = parse_duration)]
    pub connect_timeout: Option<Duration>,
    /// Trust the CA certificates in DIR/*.crt for HTTPS registries (a loopback registry is then
    /// reached over HTTPS unless --insecure-registry names it)
    #[arg(long, value_name = "DIR", env = "HOIST_CERT_DIR")]
    pub cert_dir: Option<PathBuf>,
}

impl NetworkArgs {
    /// The options from the environment alone (commands without the flags).
    pub fn from_env() -> NetworkArgs {
        NetworkArgs {
            idle_timeout: env_duration("HOIST_IDLE_TIMEOUT"),
            timeout: env_duration("HOIST_TIMEOUT"),
            connect_timeout: env_duration("HOIST_CONNECT_TIMEOUT"),
            cert_dir: std::env::var_os("HOIST_CERT_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    /// Registry options with these limits and `insecure` hosts. The deadline counts from the
    /// first call, so every client of one command shares it.
    pub fn remote(&self, insecure: &[String]) -> RemoteOptions {
        static START: OnceLock<Option<Deadline>> = OnceLock::new();
        let deadline = *START.get_or_init(|| self.timeout.map(Deadline::after));
        RemoteOptions {
            insecure_hosts: insecure.to_vec(),
            idle_timeout: self.idle_timeout,
            deadline,
            connect_timeout: self.connect_timeout,
            cert_dir: self.cert_dir.clone(),
        }
    }
}
