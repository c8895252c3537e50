//! The duration grammar of hoist's network options (`--idle-timeout`, `--timeout`,
//! `--connect-timeout` and their `HOIST_*` variables), shared by the CLI flags and by the
//! library parts that read the variables themselves (ADD's URL downloads).

use std::time::Duration;

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

/// The duration in environment variable `name`, if set and valid.
pub fn env_duration(name: &str) -> Option<Duration> {
    std::env::var(name)
        .ok()
        .and_then(|v| parse_duration(&v).ok())
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
