//! Network time limits of the commands that talk to registries: `--idle-timeout`
//! (`HOIST_IDLE_TIMEOUT`), the idle window within which every transfer must make progress, and
//! `--timeout` (`HOIST_TIMEOUT`), an overall deadline for the command's registry traffic.
//! Durations are seconds (`30`, `1.5`) or carry a unit (`500ms`, `90s`, `5m`, `1h`).

use std::sync::OnceLock;
use std::time::Duration;

use clap::Args;

use hoist::copy::RemoteOptions;
use hoist::registry::client::Deadline;

/// Time limit flags of the image commands.
#[derive(Args, Debug, Clone, Default)]
pub struct NetworkArgs {
    /// Fail a transfer (after retries) that delivers less than 1 KiB in this long [default: 30s]
    #[arg(long, value_name = "DURATION", env = "HOIST_IDLE_TIMEOUT", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,
    /// Give up on the registry traffic of this command after this long
    #[arg(long, value_name = "DURATION", env = "HOIST_TIMEOUT", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

impl NetworkArgs {
    /// The limits from the environment alone (commands without the flags).
    pub fn from_env() -> NetworkArgs {
        let get = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| parse_duration(&v).ok())
        };
        NetworkArgs {
            idle_timeout: get("HOIST_IDLE_TIMEOUT"),
            timeout: get("HOIST_TIMEOUT"),
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
        }
    }
}

/// `30`, `1.5`, `500ms`, `90s`, `5m`, `1h` → a positive duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 30, 1.5, 500ms, 5m)"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        u => return Err(format!("{s:?}: unknown unit {u:?} (use ms, s, m or h)")),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 1e9 {
        return Err(format!("{s:?}: the duration must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "0", "-1", "x", "5d", "1.2.3"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
