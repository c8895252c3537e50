//! `RUN --mount`: the CSV record of `key=value` fields parsed and validated into a [`Mount`],
//! with BuildKit's defaults per mount type, plus the size syntax its `size=` field uses.

use super::{go_bool, uint32, FlagError};
use crate::dockerfile::expand::ExpandError;

/// `type=` of a RUN mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl MountType {
    pub fn as_str(&self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }
}

/// `sharing=` of a cache mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

/// One `RUN --mount=...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountType,
    /// `from=`: stage, image or named context the source comes from.
    pub from: Option<String>,
    /// `source=` / `src=`.
    pub source: Option<String>,
    /// `target=` / `dst=` / `destination=`.
    pub target: Option<String>,
    /// Read-only: explicit `ro`/`rw`, else read-only except for cache and tmpfs mounts.
    pub read_only: bool,
    /// `id=`: cache id, or secret/ssh id.
    pub id: Option<String>,
    pub sharing: Option<Sharing>,
    /// `required` (secret and ssh mounts only).
    pub required: bool,
    /// `mode=` in octal.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// `size=` of a tmpfs mount, in bytes.
    pub size: Option<u64>,
    /// `env=`: a secret exposed as an environment variable.
    pub env: Option<String>,
}

impl Default for Mount {
    fn default() -> Self {
        Mount {
            kind: MountType::Bind,
            from: None,
            source: None,
            target: None,
            read_only: true,
            id: None,
            sharing: None,
            required: false,
            mode: None,
            uid: None,
            gid: None,
            size: None,
            env: None,
        }
    }
}

/// Splits one CSV record the way Go's `encoding/csv` reads the first record of a string: fields
/// separated by commas; a field that starts with `"` is quoted (`""` stands for `"`), and may
/// contain commas; a quote anywhere else in a field is an error.
fn csv_record(s: &str) -> Result<Vec<String>, String> {
    if s.is_empty() {
        return Err("empty value".to_string());
    }
    // Only the first line counts, as only the first record is read.
    let line = s.split('\n').next().unwrap_or_default();
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("extraneous or missing \" in quoted field".to_string()),
                    Some('"') => match chars.peek() {
                        Some('"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some(',') | None => break,
                        Some(_) => {
                            return Err("extraneous or missing \" in quoted field".to_string())
                        }
                    },
                    Some(c) => field.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err("bare \" in non-quoted field".to_string());
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        match chars.next() {
            Some(',') => continue,
            _ => break,
        }
    }
    Ok(fields)
}

/// Docker's RAM size syntax: a decimal number, an optional space, then an optional unit letter
/// `k`/`m`/`g`/`t`/`p` (1024-based), an optional `i` and an optional `b`, in any case
/// (`64m`, `1.5GiB`, `4096`).
pub fn parse_size(s: &str) -> Option<u64> {
    let num_len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, rest) = s.split_at(num_len);
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (num, None),
    };
    if int.is_empty() || frac.is_some_and(|f| f.is_empty() || f.contains('.')) {
        return None;
    }
    let mut rest = rest.strip_prefix(' ').unwrap_or(rest).chars().peekable();
    let mult: u64 = match rest.peek().map(char::to_ascii_lowercase) {
        Some('k') => 1 << 10,
        Some('m') => 1 << 20,
        Some('g') => 1 << 30,
        Some('t') => 1 << 40,
        Some('p') => 1 << 50,
        _ => 1,
    };
    if mult != 1 {
        rest.next();
    }
    if matches!(rest.peek(), Some('i' | 'I')) {
        rest.next();
    }
    if matches!(rest.peek(), Some('b' | 'B')) {
        rest.next();
    }
    if rest.next().is_some() {
        return None;
    }
    let number: f64 = num.parse().ok()?;
    let bytes = number * mult as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return None;
    }
    Some(bytes as u64)
}

/// Expands one `--mount` field value before it is interpreted (variables are allowed there).
pub type MountExpander<'a> = &'a dyn Fn(&str) -> Result<String, ExpandError>;

/// Parses a `--mount` value with no variable expansion.
pub fn parse_mount(value: &str) -> Result<Mount, FlagError> {
    parse_mount_with(value, None)
}

/// Parses a `--mount` value; `expand`, when given, is applied to each field's value first.
pub fn parse_mount_with(
    value: &str,
    expand: Option<MountExpander<'_>>,
) -> Result<Mount, FlagError> {
    let err = |m: String| FlagError::new("mount", value, m);
    let fields = csv_record(value).map_err(|e| err(format!("failed to parse csv mounts: {e}")))?;
    let mut m = Mount::default();
    let mut ro_auto = true;
    for field in &fields {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v)),
            None => (field.to_ascii_lowercase(), None),
        };
        let Some(raw) = val else {
            match key.as_str() {
                "readonly" | "ro" => {
                    m.read_only = true;
                    ro_auto = false;
                }
                "readwrite" | "rw" => {
                    m.read_only = false;
                    ro_auto = false;
                }
                "required" if matches!(m.kind, MountType::Secret | MountType::Ssh) => {
                    m.required = true;
                }
                "required" => {
                    return Err(err(format!(
                        "unexpected key 'required' for mount type '{}'",
                        m.kind.as_str()
                    )))
                }
                _ => {
                    return Err(err(format!(
                        "invalid field '{field}' must be a key=value pair"
                    )))
                }
            }
            continue;
        };
        let v = match expand {
            Some(f) => f(raw).map_err(|e| err(e.message))?,
            None => raw.to_string(),
        };
        let bad = |what: &str| err(format!("invalid value for {what}: {v}"));
        match key.as_str() {
            "type" => {
                m.kind = match v.to_ascii_lowercase().as_str() {
                    "bind" => MountType::Bind,
                    "cache" => MountType::Cache,
                    "tmpfs" => MountType::Tmpfs,
                    "secret" => MountType::Secret,
                    "ssh" => MountType::Ssh,
                    _ => {
                        return Err(err(format!(
                            "unsupported mount type {v:?} (bind, cache, tmpfs, secret or ssh)"
                        )))
                    }
                }
            }
            "from" => m.from = Some(v),
            "source" | "src" => m.source = Some(v),
            "target" | "dst" | "destination" => m.target = Some(v),
            "readonly" | "ro" => {
                m.read_only = go_bool(&v).ok_or_else(|| bad(&key))?;
                ro_auto = false;
            }
            "readwrite" | "rw" => {
                m.read_only = !go_bool(&v).ok_or_else(|| bad(&key))?;
                ro_auto = false;
            }
            "required" => {
                if !matches!(m.kind, MountType::Secret | MountType::Ssh) {
                    return Err(err(format!(
                        "unexpected key 'required' for mount type '{}'",
                        m.kind.as_str()
                    )));
                }
                m.required = go_bool(&v).ok_or_else(|| bad(&key))?;
            }
            "size" => {
                if m.kind != MountType::Tmpfs {
                    return Err(err(format!(
                        "unexpected key 'size' for mount type '{}'",
                        m.kind.as_str()
                    )));
                }
                m.size = Some(parse_size(&v).ok_or_else(|| bad(&key))?);
            }
            "id" => m.id = Some(v),
            "env" => {
                if m.kind != MountType::Secret {
                    return Err(err(format!(
                        "unexpected key 'env' for mount type '{}'",
                        m.kind.as_str()
                    )));
                }
                m.env = Some(v);
            }
            "sharing" => {
                m.sharing = Some(match v.to_ascii_lowercase().as_str() {
                    "shared" => Sharing::Shared,
                    "private" => Sharing::Private,
                    "locked" => Sharing::Locked,
                    _ => {
                        return Err(err(format!(
                            "unsupported sharing value {v:?} (shared, private or locked)"
                        )))
                    }
                })
            }
            "mode" => {
                m.mode =
                    Some(uint32(&v, 8).ok_or_else(|| err(format!("invalid value {v} for mode")))?)
            }
            "uid" => {
                m.uid =
                    Some(uint32(&v, 10).ok_or_else(|| err(format!("invalid value {v} for uid")))?)
            }
            "gid" => {
                m.gid =
                    Some(uint32(&v, 10).ok_or_else(|| err(format!("invalid value {v} for gid")))?)
            }
            _ => return Err(err(format!("unexpected key '{key}' in '{field}'"))),
        }
    }
    validate_mount(&mut m, ro_auto).map_err(err)?;
    Ok(m)
}

fn validate_mount(m: &mut Mount, ro_auto: bool) -> Result<(), String> {
    let kind = m.kind.as_str();
    if !matches!(
        m.kind,
        MountType::Secret | MountType::Ssh | MountType::Cache
    ) {
        for (name, set) in [
            ("mode", m.mode.is_some()),
            ("uid", m.uid.is_some()),
            ("gid", m.gid.is_some()),
        ] {
            if set {
                return Err(format!("{name} not allowed for {kind:?} type mounts"));
            }
        }
    }
    if ro_auto {
        m.read_only = !matches!(m.kind, MountType::Cache | MountType::Tmpfs);
    }
    if m.kind == MountType::Secret {
        if m.from.is_some() {
            return Err("secret mount should not have a from".to_string());
        }
        if m.sharing.is_some() {
            return Err("secret mount should not define sharing".to_string());
        }
        if m.source.is_none() && m.target.is_none() && m.id.is_none() && m.env.is_none() {
            return Err(
                "invalid secret mount: one of source, target, id or env required".to_string(),
            );
        }
        if m.source.is_some() && m.id.is_some() {
            return Err("both source and id can't be set".to_string());
        }
    }
    if m.sharing.is_some() && m.kind != MountType::Cache {
        return Err(format!("invalid cache sharing set for {kind} mount"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_defaults_and_types() {
        let m = parse_mount("target=/x").unwrap();
        assert_eq!(m.kind, MountType::Bind);
        assert_eq!(m.target.as_deref(), Some("/x"));
        assert!(m.read_only, "bind mounts default to read-only");
        let m = parse_mount(
            "type=cache,target=/root/.cache,id=pip,sharing=locked,mode=0755,uid=1000,gid=1000",
        )
        .unwrap();
        assert_eq!(m.kind, MountType::Cache);
        assert!(!m.read_only, "cache mounts default to read-write");
        assert_eq!(m.sharing, Some(Sharing::Locked));
        assert_eq!(m.mode, Some(0o755));
        assert_eq!((m.uid, m.gid), (Some(1000), Some(1000)));
        assert_eq!(m.id.as_deref(), Some("pip"));
        let m = parse_mount("type=bind,from=builder,source=/out,dst=/in,rw").unwrap();
        assert_eq!(m.from.as_deref(), Some("builder"));
        assert_eq!(m.source.as_deref(), Some("/out"));
        assert!(!m.read_only);
        let m = parse_mount("TYPE=Tmpfs,destination=/t,size=64m").unwrap();
        assert_eq!(m.kind, MountType::Tmpfs);
        assert_eq!(m.size, Some(64 << 20));
        assert!(!m.read_only);
        let m = parse_mount("type=secret,id=tok,required,env=TOKEN").unwrap();
        assert!(m.required);
        assert_eq!(m.env.as_deref(), Some("TOKEN"));
        let m = parse_mount("type=ssh,required=false,readonly=false").unwrap();
        assert_eq!(m.kind, MountType::Ssh);
        assert!(!m.required && !m.read_only);
    }

    #[test]
    fn mount_errors() {
        for bad in [
            "",
            "type=nfs",
            "type=cache,sharing=sometimes",
            "type=cache,mode=0899",
            "type=cache,uid=-1",
            "target=/x,mode=0755",
            "type=tmpfs,uid=1",
            "required,type=secret,id=x",
            "type=cache,size=1g",
            "type=tmpfs,size=lots",
            "type=secret",
            "type=secret,id=a,source=b",
            "type=secret,id=a,from=x",
            "type=secret,id=a,sharing=shared",
            "sharing=shared",
            "target=/x,ro=maybe",
            "target=/x,bogus=1",
            "target=/x,bind-propagation=rshared",
            "target",
            "target=\"/x",
            "target=/a\"b",
            "\"target=/x\"y",
        ] {
            let e = parse_mount(bad).expect_err(bad);
            assert_eq!(e.flag, "mount");
            assert_eq!(e.value, bad);
            assert!(e.to_string().contains("--mount"), "{e}");
        }
    }

    #[test]
    fn mount_csv_quoting() {
        let m = parse_mount("\"target=/a,b\",type=cache").unwrap();
        assert_eq!(m.target.as_deref(), Some("/a,b"));
        let m = parse_mount("\"target=/q\"\"q\"").unwrap();
        assert_eq!(m.target.as_deref(), Some("/q\"q"));
        assert_eq!(csv_record("a,,b").unwrap(), ["a", "", "b"]);
        assert_eq!(csv_record("a,").unwrap(), ["a", ""]);
    }

    #[test]
    fn mount_with_expansion() {
        let exp = |s: &str| -> Result<String, ExpandError> { Ok(s.replace("$T", "/tgt")) };
        let m = parse_mount_with("target=$T", Some(&exp)).unwrap();
        assert_eq!(m.target.as_deref(), Some("/tgt"));
        let fail = |_: &str| -> Result<String, ExpandError> {
            Err(ExpandError {
                message: "boom".into(),
                offset: 0,
            })
        };
        assert_eq!(
            parse_mount_with("target=$X", Some(&fail))
                .unwrap_err()
                .message,
            "boom"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("1k"), Some(1024));
        assert_eq!(parse_size("1KiB"), Some(1024));
        assert_eq!(parse_size("1.5g"), Some(3 << 29));
        assert_eq!(parse_size("10 MB"), Some(10 << 20));
        assert_eq!(parse_size("1b"), Some(1));
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("k"), None);
        assert_eq!(parse_size("1x"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("1.k"), None);
        assert_eq!(parse_size("99999999999999999999p"), None);
    }
}
