//! Typed views of instruction flags: `--mount`, `--network`, `--security`, `--from`, `--chown`,
//! `--chmod`, `--link`, `--parents`, `--exclude`, `--checksum`, `--keep-git-dir`, `--platform`,
//! and HEALTHCHECK's `--interval`, `--timeout`, `--start-period`, `--start-interval`, `--retries`.
//!
//! The rules follow BuildKit's: `--mount` is one CSV record of `key=value` fields (a few keys may
//! stand alone), boolean flags accept a bare `--flag` or `true`/`false`, durations use Go's
//! syntax (`1m30s`, `500ms`). Every error names the flag and repeats its value.

use std::time::Duration;

use super::ast::Flag;
use super::expand::ExpandError;
use crate::oci::image::Platform;

/// A flag value that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid --{flag} value {value:?}: {message}")]
pub struct FlagError {
    /// Flag name without `--`.
    pub flag: String,
    /// The value as given.
    pub value: String,
    pub message: String,
}

impl FlagError {
    fn new(flag: &str, value: &str, message: impl Into<String>) -> Self {
        FlagError {
            flag: flag.to_string(),
            value: value.to_string(),
            message: message.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Small shared parsers

/// Go's `strconv.ParseBool`.
fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Unsigned integer in `radix` that fits in 32 bits, digits only (no sign, no prefix).
fn uint32(s: &str, radix: u32) -> Option<u32> {
    if s.is_empty() || !s.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(s, radix).ok()
}

/// The value of a boolean flag: a bare `--flag` is true, otherwise `true` or `false` in any case.
pub fn parse_bool(name: &str, value: Option<&str>) -> Result<bool, FlagError> {
    match value {
        None | Some("") => Ok(true),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(FlagError::new(
                name,
                v,
                "expecting a boolean value (true or false)",
            )),
        },
    }
}

/// The value of a boolean flag as written on an instruction (`--link`, `--parents`,
/// `--keep-git-dir`).
pub fn flag_bool(flag: &Flag) -> Result<bool, FlagError> {
    parse_bool(&flag.name, flag.value.as_deref())
}

// ---------------------------------------------------------------------------------------------
// --mount

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

// ---------------------------------------------------------------------------------------------
// --network, --security

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Network {
    Default,
    None,
    Host,
}

pub fn parse_network(value: &str) -> Result<Network, FlagError> {
    match value {
        "default" => Ok(Network::Default),
        "none" => Ok(Network::None),
        "host" => Ok(Network::Host),
        _ => Err(FlagError::new(
            "network",
            value,
            "unsupported network mode (default, none or host)",
        )),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Security {
    Sandbox,
    Insecure,
}

pub fn parse_security(value: &str) -> Result<Security, FlagError> {
    match value {
        "sandbox" => Ok(Security::Sandbox),
        "insecure" => Ok(Security::Insecure),
        _ => Err(FlagError::new(
            "security",
            value,
            "unsupported security mode (sandbox or insecure)",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// --chown

/// A user or group: a numeric id or a name looked up in the image.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ident {
    Id(u32),
    Name(String),
}

impl Ident {
    fn parse(s: &str) -> Ident {
        match uint32(s, 10) {
            Some(n) => Ident::Id(n),
            None => Ident::Name(s.to_string()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Chown {
    pub user: Ident,
    pub group: Option<Ident>,
}

/// `--chown=user[:group]`, each a name or a numeric id.
pub fn parse_chown(value: &str) -> Result<Chown, FlagError> {
    let err = |m: &str| FlagError::new("chown", value, m);
    let (user, group) = match value.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (value, None),
    };
    if user.is_empty() {
        return Err(err("missing user"));
    }
    if group == Some("") {
        return Err(err("missing group after ':'"));
    }
    if group.is_some_and(|g| g.contains(':')) {
        return Err(err("expected user[:group]"));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(err("user and group must not contain white space"));
    }
    Ok(Chown {
        user: Ident::parse(user),
        group: group.map(Ident::parse),
    })
}

// ---------------------------------------------------------------------------------------------
// --chmod

/// One clause of a symbolic mode such as `u+x` or `go=rX`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModeClause {
    /// Any of `u`, `g`, `o`, `a`; empty means all (respecting umask in chmod(1)).
    pub who: String,
    /// `(op, perms)` pairs: op is `+`, `-` or `=`; perms are letters from `rwxXst` or one of
    /// `u`, `g`, `o` (copy those bits).
    pub actions: Vec<(char, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Chmod {
    /// An octal mode, at most `7777`.
    Octal(u32),
    /// A comma-separated symbolic mode, as chmod(1) accepts.
    Symbolic(Vec<ModeClause>),
}

/// `--chmod`: an octal mode (`755`, `0644`) or a symbolic one (`u=rwx,go=rx`, `+x`).
pub fn parse_chmod(value: &str) -> Result<Chmod, FlagError> {
    let err = |m: &str| FlagError::new("chmod", value, m);
    if value.is_empty() {
        return Err(err("empty mode"));
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return match uint32(value, 8) {
            Some(n) if n <= 0o7777 => Ok(Chmod::Octal(n)),
            Some(_) => Err(err("octal mode out of range (at most 7777)")),
            None => Err(err("octal mode may only use digits 0-7")),
        };
    }
    let mut clauses = Vec::new();
    for part in value.split(',') {
        let who: String = part.chars().take_while(|c| "ugoa".contains(*c)).collect();
        let mut rest = &part[who.len()..];
        if rest.is_empty() {
            return Err(err("expected +, - or = in symbolic mode"));
        }
        let mut actions = Vec::new();
        while let Some(op) = rest.chars().next() {
            if !matches!(op, '+' | '-' | '=') {
                return Err(err("expected +, - or = in symbolic mode"));
            }
            rest = &rest[1..];
            let perms: String = rest
                .chars()
                .take_while(|c| !matches!(c, '+' | '-' | '='))
                .collect();
            rest = &rest[perms.len()..];
            let letters_ok = perms.chars().all(|c| "rwxXst".contains(c));
            let copy_ok = matches!(perms.as_str(), "u" | "g" | "o");
            if !letters_ok && !copy_ok {
                return Err(err(
                    "permissions must be letters from rwxXst, or one of u, g, o",
                ));
            }
            actions.push((op, perms));
        }
        clauses.push(ModeClause { who, actions });
    }
    Ok(Chmod::Symbolic(clauses))
}

// ---------------------------------------------------------------------------------------------
// --exclude, --checksum, --platform, --from

/// `--exclude=<pattern>`: a non-empty path pattern.
pub fn parse_exclude(value: &str) -> Result<String, FlagError> {
    if value.trim().is_empty() {
        return Err(FlagError::new("exclude", value, "empty pattern"));
    }
    Ok(value.to_string())
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Checksum {
    /// `algorithm:hex` — `sha256`, `sha384` or `sha512`, lowercase hex of the right length.
    Digest { algorithm: String, hex: String },
    /// A bare commit hash (40 or 64 hex digits), for Git sources.
    GitCommit(String),
}

/// `ADD --checksum=sha256:<hex>` (or a commit hash for a Git source).
pub fn parse_checksum(value: &str) -> Result<Checksum, FlagError> {
    let err = |m: &str| FlagError::new("checksum", value, m);
    let is_hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let Some((algorithm, hex)) = value.split_once(':') else {
        if (value.len() == 40 || value.len() == 64) && is_hex(value) {
            return Ok(Checksum::GitCommit(value.to_string()));
        }
        return Err(err("expected algorithm:hex, e.g. sha256:<64 hex digits>"));
    };
    let want = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(err(
                "unsupported digest algorithm (sha256, sha384 or sha512)",
            ))
        }
    };
    if hex.len() != want || !is_hex(hex) {
        return Err(FlagError::new(
            "checksum",
            value,
            format!("{algorithm} needs {want} lowercase hex digits"),
        ));
    }
    Ok(Checksum::Digest {
        algorithm: algorithm.to_string(),
        hex: hex.to_string(),
    })
}

/// `--platform=os[/arch[/variant]]` (after variable expansion). An OS alone takes the host's
/// architecture and variant, as BuildKit does.
pub fn parse_platform(value: &str) -> Result<Platform, FlagError> {
    let err = |m: &str| FlagError::new("platform", value, m);
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    };
    let parts: Vec<&str> = value.split('/').collect();
    if parts.len() > 3 {
        return Err(err("expected os[/arch[/variant]]"));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(err("empty platform component"));
    }
    if !parts.iter().all(|p| ok(p)) {
        return Err(err(
            "platform components may only use letters, digits, '_', '-' and '.'",
        ));
    }
    if let [os] = parts.as_slice() {
        return Ok(Platform {
            os: os.to_ascii_lowercase(),
            ..Platform::host()
        });
    }
    value
        .parse::<Platform>()
        .map_err(|_| err("expected os[/arch[/variant]]"))
}

/// What `--from` refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FromRef {
    /// A stage number (`--from=0`).
    Index(usize),
    /// A stage name, image reference or named context.
    Name(String),
}

/// `COPY --from=<stage|index|image>`.
pub fn parse_from(value: &str) -> Result<FromRef, FlagError> {
    if value.is_empty() {
        return Err(FlagError::new("from", value, "empty value"));
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse()
            .map(FromRef::Index)
            .map_err(|_| FlagError::new("from", value, "stage index out of range"));
    }
    Ok(FromRef::Name(value.to_string()))
}

// ---------------------------------------------------------------------------------------------
// HEALTHCHECK

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

    #[test]
    fn network_security() {
        assert_eq!(parse_network("none").unwrap(), Network::None);
        assert_eq!(parse_network("host").unwrap(), Network::Host);
        assert_eq!(parse_network("default").unwrap(), Network::Default);
        assert!(parse_network("bridge").is_err());
        assert_eq!(parse_security("insecure").unwrap(), Security::Insecure);
        assert_eq!(parse_security("sandbox").unwrap(), Security::Sandbox);
        assert!(parse_security("privileged").is_err());
    }

    #[test]
    fn chown() {
        assert_eq!(
            parse_chown("app:app").unwrap(),
            Chown {
                user: Ident::Name("app".into()),
                group: Some(Ident::Name("app".into()))
            }
        );
        assert_eq!(
            parse_chown("1000").unwrap(),
            Chown {
                user: Ident::Id(1000),
                group: None
            }
        );
        assert_eq!(parse_chown("0:1").unwrap().group, Some(Ident::Id(1)));
        for bad in ["", ":g", "u:", "a:b:c", "a b"] {
            assert!(parse_chown(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chmod() {
        assert_eq!(parse_chmod("755").unwrap(), Chmod::Octal(0o755));
        assert_eq!(parse_chmod("0644").unwrap(), Chmod::Octal(0o644));
        assert_eq!(parse_chmod("4755").unwrap(), Chmod::Octal(0o4755));
        assert!(parse_chmod("789").is_err());
        assert!(parse_chmod("17777").is_err());
        let Chmod::Symbolic(c) = parse_chmod("u=rwx,go=rX").unwrap() else {
            panic!("symbolic expected")
        };
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].who, "go");
        assert_eq!(c[1].actions, vec![('=', "rX".to_string())]);
        let Chmod::Symbolic(c) = parse_chmod("+x-w").unwrap() else {
            panic!("symbolic expected")
        };
        assert_eq!(c[0].actions, vec![('+', "x".into()), ('-', "w".into())]);
        assert!(parse_chmod("g=u").is_ok());
        assert!(parse_chmod("a=").is_ok());
        for bad in ["", "u", "u+q", "rwx", "u+x,", "g=uo", "755x"] {
            assert!(parse_chmod(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bools() {
        assert!(parse_bool("link", None).unwrap());
        assert!(parse_bool("link", Some("TRUE")).unwrap());
        assert!(!parse_bool("link", Some("false")).unwrap());
        let e = parse_bool("parents", Some("yes")).unwrap_err();
        assert_eq!(e.flag, "parents");
        let f = Flag {
            name: "keep-git-dir".into(),
            value: None,
            span: Default::default(),
            value_span: None,
        };
        assert!(flag_bool(&f).unwrap());
    }

    #[test]
    fn checksum_exclude_from_platform() {
        let hex = "a".repeat(64);
        assert_eq!(
            parse_checksum(&format!("sha256:{hex}")).unwrap(),
            Checksum::Digest {
                algorithm: "sha256".into(),
                hex: hex.clone()
            }
        );
        assert!(parse_checksum(&format!("sha512:{}", "0".repeat(128))).is_ok());
        assert!(parse_checksum(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(parse_checksum("sha256:abc").is_err());
        assert!(parse_checksum(&format!("md5:{hex}")).is_err());
        assert_eq!(
            parse_checksum(&"b".repeat(40)).unwrap(),
            Checksum::GitCommit("b".repeat(40))
        );
        assert!(parse_checksum("deadbeef").is_err());
        assert!(parse_exclude("*.md").is_ok());
        assert!(parse_exclude(" ").is_err());
        assert_eq!(parse_from("0").unwrap(), FromRef::Index(0));
        assert_eq!(
            parse_from("builder").unwrap(),
            FromRef::Name("builder".into())
        );
        assert!(parse_from("").is_err());
        assert!(parse_from("99999999999999999999999").is_err());
        let p = parse_platform("linux/arm64/v8").unwrap();
        assert_eq!(p.to_string(), "linux/arm64/v8");
        assert!(parse_platform("linux").is_ok());
        for bad in ["", "linux/", "linux/arm/", "a/b/c/d", "li nux/amd64", "$X"] {
            assert!(parse_platform(bad).is_err(), "{bad}");
        }
    }

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
