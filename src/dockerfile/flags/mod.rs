//! Typed views of instruction flags: `--mount`, `--network`, `--security`, `--from`, `--chown`,
//! `--chmod`, `--link`, `--parents`, `--exclude`, `--checksum`, `--keep-git-dir`, `--platform`,
//! and HEALTHCHECK's `--interval`, `--timeout`, `--start-period`, `--start-interval`, `--retries`.
//!
//! The rules follow BuildKit's: `--mount` is one CSV record of `key=value` fields (a few keys may
//! stand alone), boolean flags accept a bare `--flag` or `true`/`false`, durations use Go's
//! syntax (`1m30s`, `500ms`). Every error names the flag and repeats its value.

use super::ast::{Dockerfile, Flag, Keyword, ParseError};
use crate::oci::image::Platform;

mod healthcheck;
mod mount;

pub use healthcheck::{
    parse_duration, parse_healthcheck_duration, parse_healthcheck_flags, parse_retries,
    HealthcheckOptions,
};
pub use mount::{
    parse_mount, parse_mount_with, parse_size, Mount, MountExpander, MountType, Sharing,
};

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

/// The flags an instruction takes, for the instructions whose flags are checked here: every
/// leading `--word` is a flag in BuildKit's parser, so `CMD --verbose` fails the build with
/// `unknown flag`. RUN, COPY, ADD and HEALTHCHECK check their own flags where they are read.
fn known_flags(keyword: Keyword) -> Option<&'static [&'static str]> {
    match keyword {
        Keyword::From => Some(&["platform"]),
        Keyword::Cmd
        | Keyword::Entrypoint
        | Keyword::Env
        | Keyword::Label
        | Keyword::Maintainer
        | Keyword::Expose
        | Keyword::User
        | Keyword::Workdir
        | Keyword::Volume
        | Keyword::Stopsignal
        | Keyword::Arg
        | Keyword::Shell
        | Keyword::Onbuild => Some(&[]),
        _ => None,
    }
}

/// `unknown flag` errors, as BuildKit reports them, for flags an instruction does not take.
pub fn unknown_flag_errors(df: &Dockerfile) -> Vec<ParseError> {
    let mut out = Vec::new();
    for ins in &df.instructions {
        let Some(known) = known_flags(ins.keyword) else {
            continue;
        };
        for f in ins
            .flags
            .iter()
            .filter(|f| !known.contains(&f.name.as_str()))
        {
            out.push(ParseError {
                message: format!(
                    "unknown flag: {} ({} takes {})",
                    f.name,
                    ins.keyword.as_str(),
                    match known {
                        [] => "no flags".to_string(),
                        k => k
                            .iter()
                            .map(|n| format!("--{n}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                ),
                span: f.span,
                instruction_level: true,
            });
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_words_are_flags_of_every_instruction() {
        let df = crate::dockerfile::parse(
            "FROM --platform=linux/amd64 a\nCMD --verbose\nENV --x=1 A=b\nRUN --network=none x\n",
        );
        let e = unknown_flag_errors(&df);
        let got: Vec<(u32, &str)> = e
            .iter()
            .map(|e| (e.span.start.line, e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "unknown flag: verbose (CMD takes no flags)"),
                (3, "unknown flag: x (ENV takes no flags)"),
            ]
        );
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
}
