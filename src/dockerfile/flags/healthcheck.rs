//! HEALTHCHECK flags: Go duration syntax, `--retries`, and the typed [`HealthcheckOptions`].

use std::time::Duration;

use super::FlagError;
use crate::dockerfile::ast::Flag;

/// Go's `time.ParseDuration` syntax (`300ms`, `1.5h`, `2h45m`; units ns, us, µs, ms, s, m, h; a
/// bare `0` is allowed), restricted to non-negative values.
pub fn parse_duration(s: &str) -> Result<Duration, FlagError> {
    go_duration(s).map_err(|m| FlagError::new("duration", s, m))
}

fn go_duration(s: &str) -> Result<Duration, String> {
    let mut rest = s;
    if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    } else if let Some(r) = rest.strip_prefix('-') {
        if r == "0" {
            return Ok(Duration::ZERO);
        }
        return Err("negative durations are not allowed".to_string());
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err("invalid duration".to_string());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            frac = &r[..n];
            rest = &r[n..];
        }
        if int.is_empty() && frac.is_empty() {
            return Err("invalid duration".to_string());
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos_per: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err("missing unit in duration".to_string()),
            _ => return Err(format!("unknown unit {unit:?} in duration")),
        };
        let whole: u128 = if int.is_empty() {
            0
        } else {
            int.parse()
                .map_err(|_| "duration out of range".to_string())?
        };
        let mut part = whole
            .checked_mul(nanos_per)
            .ok_or_else(|| "duration out of range".to_string())?;
        // Fractional digits: scale down digit by digit (extra precision is dropped, as in Go).
        let mut scale = nanos_per;
        for d in frac.bytes() {
            scale /= 10;
            if scale == 0 {
                break;
            }
            part += u128::from(d - b'0') * scale;
        }
        total = total
            .checked_add(part)
            .ok_or_else(|| "duration out of range".to_string())?;
        // Go durations are int64 nanoseconds.
        if total > i64::MAX as u128 {
            return Err("duration out of range".to_string());
        }
    }
    let secs = (total / 1_000_000_000) as u64;
    let nanos = (total % 1_000_000_000) as u32;
    Ok(Duration::new(secs, nanos))
}

/// A HEALTHCHECK duration option (`interval`, `timeout`, `start-period`, `start-interval`): empty
/// or zero means "use the default" (`None`); otherwise it must be at least 1ms.
pub fn parse_healthcheck_duration(name: &str, value: &str) -> Result<Option<Duration>, FlagError> {
    if value.is_empty() {
        return Ok(None);
    }
    let d = go_duration(value).map_err(|m| FlagError::new(name, value, m))?;
    if d.is_zero() {
        return Ok(None);
    }
    if d < Duration::from_millis(1) {
        return Err(FlagError::new(name, value, "cannot be less than 1ms"));
    }
    Ok(Some(d))
}

/// HEALTHCHECK `--retries`: a non-negative 32-bit integer.
pub fn parse_retries(value: &str) -> Result<u32, FlagError> {
    let err = |m: &str| FlagError::new("retries", value, m);
    let digits = value.strip_prefix('+').unwrap_or(value);
    if let Some(neg) = digits.strip_prefix('-') {
        if !neg.is_empty() && neg.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("cannot be negative"));
        }
        return Err(err("expected an integer"));
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("expected an integer"));
    }
    match digits.parse::<u32>() {
        Ok(n) if n <= i32::MAX as u32 => Ok(n),
        _ => Err(err("out of range")),
    }
}

/// HEALTHCHECK options, typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthcheckOptions {
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
    pub retries: Option<u32>,
}

/// Reads HEALTHCHECK's flags; an unknown flag or a flag without a value is an error.
pub fn parse_healthcheck_flags(flags: &[Flag]) -> Result<HealthcheckOptions, FlagError> {
    let mut o = HealthcheckOptions::default();
    for f in flags {
        let value = f.value.as_deref().unwrap_or_default();
        if f.value.is_none() {
            return Err(FlagError::new(&f.name, "", "missing value"));
        }
        match f.name.as_str() {
            "interval" => o.interval = parse_healthcheck_duration(&f.name, value)?,
            "timeout" => o.timeout = parse_healthcheck_duration(&f.name, value)?,
            "start-period" => o.start_period = parse_healthcheck_duration(&f.name, value)?,
            "start-interval" => o.start_interval = parse_healthcheck_duration(&f.name, value)?,
            "retries" => o.retries = Some(parse_retries(value)?),
            _ => return Err(FlagError::new(&f.name, value, "unknown HEALTHCHECK flag")),
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |s: &str| parse_duration(s).unwrap();
        assert_eq!(d("30s"), Duration::from_secs(30));
        assert_eq!(d("1m30s"), Duration::from_secs(90));
        assert_eq!(d("1.5h"), Duration::from_secs(5400));
        assert_eq!(d("300ms"), Duration::from_millis(300));
        assert_eq!(d("10us"), Duration::from_micros(10));
        assert_eq!(d("10µs"), Duration::from_micros(10));
        assert_eq!(d("1ns"), Duration::from_nanos(1));
        assert_eq!(d(".5s"), Duration::from_millis(500));
        assert_eq!(d("0"), Duration::ZERO);
        assert_eq!(d("+5s"), Duration::from_secs(5));
        for bad in [
            "",
            "5",
            "s",
            "1d",
            "-1s",
            "1.s.",
            ".s",
            "9999999999h",
            "1s2",
        ] {
            let e = parse_duration(bad).expect_err(bad);
            assert_eq!(e.value, bad);
        }
    }

    #[test]
    fn healthcheck() {
        let f = |name: &str, v: &str| Flag {
            name: name.into(),
            value: Some(v.into()),
            span: Default::default(),
            value_span: None,
        };
        let o = parse_healthcheck_flags(&[
            f("interval", "30s"),
            f("timeout", "3s"),
            f("start-period", "0s"),
            f("start-interval", "5s"),
            f("retries", "3"),
        ])
        .unwrap();
        assert_eq!(o.interval, Some(Duration::from_secs(30)));
        assert_eq!(o.timeout, Some(Duration::from_secs(3)));
        assert_eq!(o.start_period, None);
        assert_eq!(o.start_interval, Some(Duration::from_secs(5)));
        assert_eq!(o.retries, Some(3));
        assert!(parse_healthcheck_flags(&[f("interval", "10us")]).is_err());
        assert!(parse_healthcheck_flags(&[f("retries", "-1")]).is_err());
        assert!(parse_healthcheck_flags(&[f("retries", "x")]).is_err());
        assert!(parse_healthcheck_flags(&[f("bogus", "1")]).is_err());
        let e = parse_healthcheck_flags(&[f("timeout", "3")]).unwrap_err();
        assert_eq!((e.flag.as_str(), e.value.as_str()), ("timeout", "3"));
        assert_eq!(parse_retries("0").unwrap(), 0);
        assert!(parse_retries("4294967295").is_err());
    }
}
