//! What a failed connection was, in words a user can act on: [`classify`] walks a `reqwest`
//! error's cause chain (I/O kinds, the resolver's message, rustls's typed TLS errors) and
//! names one [`NetFailure`]; its `Display` is the message hoist prints.

use std::fmt;

/// The kind of a transport failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetFailure {
    /// Nothing listens on the host and port (connection refused).
    Refused,
    /// The host name does not resolve.
    NameNotResolved,
    /// TLS: the certificate is signed by an authority hoist does not trust.
    TlsUnknownAuthority,
    /// TLS: the certificate is valid, but for another host name.
    TlsWrongHost,
    /// TLS: the certificate has expired or is not valid yet.
    TlsExpired,
    /// TLS was spoken to a server that answers in plain HTTP.
    NotTls,
    /// Another TLS failure (its description).
    Tls(String),
    /// The TCP connection was not accepted within the connect timeout.
    ConnectTimeout,
    /// No answer in time (connect or read).
    Timeout,
    /// The connection was reset or closed mid-answer.
    Reset,
    /// Anything else (the full cause chain).
    Other(String),
}

impl fmt::Display for NetFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetFailure::Refused => f.write_str("connection refused (nothing listens there)"),
            NetFailure::NameNotResolved => f.write_str("host name not resolved"),
            NetFailure::TlsUnknownAuthority => {
                f.write_str("TLS: the certificate is signed by an unknown authority")
            }
            NetFailure::TlsWrongHost => {
                f.write_str("TLS: the certificate is not valid for this host name")
            }
            NetFailure::TlsExpired => f.write_str("TLS: the certificate has expired"),
            NetFailure::NotTls => {
                f.write_str("TLS handshake failed: the server answers in plain HTTP")
            }
            NetFailure::Tls(d) => write!(f, "TLS: {d}"),
            NetFailure::ConnectTimeout => {
                f.write_str("timed out connecting (no answer to the connection request)")
            }
            NetFailure::Timeout => f.write_str("timed out"),
            NetFailure::Reset => f.write_str("connection reset or closed mid-answer"),
            NetFailure::Other(d) => f.write_str(d),
        }
    }
}

/// What to try for a network-level failure of a registry operation (`None` for answers the
/// registry gave, which callers judge by status). Hints fit the host: no `--insecure-registry`
/// for loopback hosts (always plain HTTP), no password advice for unreachable hosts.
pub fn network_hint(e: &super::RegistryError) -> Option<&'static str> {
    use super::RegistryError as E;
    match e {
        E::Transport { url, source, .. } => {
            let loopback = reqwest::Url::parse(url)
                .ok()
                .and_then(|u| {
                    u.host_str()
                        .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
                })
                .is_some_and(|h| super::client::is_loopback_host(&h));
            Some(match (classify(source), loopback) {
                (NetFailure::Refused, true) => {
                    "check the host and port: nothing listens there (is the registry running?)"
                }
                (NetFailure::Refused, false) => {
                    "check the host and port, and that the registry is running"
                }
                (NetFailure::NameNotResolved, _) => "check the registry host name (and DNS)",
                (NetFailure::TlsUnknownAuthority, _) => {
                    "the registry's certificate is not signed by an authority hoist trusts: trust \
                     its CA with --cert-dir DIR (DIR/*.crt), /etc/containers/certs.d/HOST:PORT/ca.crt, \
                     /etc/docker/certs.d/HOST:PORT/ca.crt or SSL_CERT_FILE"
                }
                (NetFailure::TlsWrongHost, _) => {
                    "the certificate was issued for another name: use the host name it names"
                }
                (NetFailure::TlsExpired, _) => {
                    "the registry's certificate has expired (or this machine's clock is wrong)"
                }
                (NetFailure::NotTls, _) => {
                    "the registry serves plain HTTP: pass --insecure-registry HOST if you trust the network"
                }
                (NetFailure::ConnectTimeout, _) => {
                    "nothing accepted the connection in time: check the host, the port and any \
                     firewall, or allow more time with --connect-timeout DURATION (HOIST_CONNECT_TIMEOUT)"
                }
                (NetFailure::Timeout, _) => {
                    "the registry did not answer in time: check the host and the network"
                }
                (NetFailure::Reset, _) => "the connection broke: retry",
                (_, true) => "check the host and port",
                (_, false) => {
                    "check the host and port; a registry without TLS needs --insecure-registry HOST"
                }
            })
        }
        // Go's HTTPS servers (docker-registry among them) answer a plain-HTTP request so.
        E::Status {
            status: 400,
            message,
            ..
        } if message.contains("HTTP request to an HTTPS server") => Some(
            "the registry speaks HTTPS: trust its CA with --cert-dir DIR (DIR/*.crt) or \
             /etc/containers/certs.d/HOST:PORT/ca.crt, and do not name it in --insecure-registry",
        ),
        E::Stalled { .. } => Some(
            "the registry stopped sending data: retry later, or allow slower links more time \
             with --idle-timeout SECS (HOIST_IDLE_TIMEOUT)",
        ),
        E::NoAnswer { .. } => Some(
            "the registry did not answer in time: check the host and the network, or allow \
             more time with --idle-timeout SECS (HOIST_IDLE_TIMEOUT)",
        ),
        E::Deadline { .. } => {
            Some("the operation took longer than --timeout (HOIST_TIMEOUT): raise it or retry")
        }
        E::TooLarge { .. } => Some(
            "the answer is far larger than any valid one of its kind: check that the host is an OCI registry",
        ),
        _ => None,
    }
}

/// Classify a transport error by its cause chain.
pub fn classify(e: &reqwest::Error) -> NetFailure {
    if e.is_connect() && e.is_timeout() {
        return NetFailure::ConnectTimeout;
    }
    let mut chain: Vec<String> = Vec::new();
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut steps = 0;
    while let Some(s) = src {
        steps += 1;
        if steps > 32 {
            break;
        }
        if let Some(t) = s.downcast_ref::<rustls::Error>() {
            return tls_failure(t);
        }
        let text = s.to_string();
        if text.contains("failed to lookup address") || text.starts_with("dns error") {
            return NetFailure::NameNotResolved;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused => return NetFailure::Refused,
                TimedOut => return NetFailure::Timeout,
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                    return NetFailure::Reset
                }
                _ => {}
            }
            // `io::Error::source` skips the wrapped error itself: look at it directly.
            if let Some(inner) = io.get_ref() {
                chain.push(text);
                src = Some(inner as &(dyn std::error::Error + 'static));
                continue;
            }
        }
        chain.push(text);
        src = s.source();
    }
    if e.is_timeout() {
        return NetFailure::Timeout;
    }
    chain.dedup();
    let mut out = e.to_string();
    for c in chain {
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    NetFailure::Other(out)
}

fn tls_failure(t: &rustls::Error) -> NetFailure {
    use rustls::CertificateError as C;
    match t {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => NetFailure::TlsUnknownAuthority,
            C::NotValidForName | C::NotValidForNameContext { .. } => NetFailure::TlsWrongHost,
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet => NetFailure::TlsExpired,
            other => NetFailure::Tls(format!("invalid certificate: {other:?}")),
        },
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            NetFailure::NotTls
        }
        other => NetFailure::Tls(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_errors_are_named() {
        use rustls::CertificateError as C;
        assert_eq!(
            tls_failure(&rustls::Error::InvalidCertificate(C::UnknownIssuer)),
            NetFailure::TlsUnknownAuthority
        );
        assert_eq!(
            tls_failure(&rustls::Error::InvalidCertificate(C::NotValidForName)),
            NetFailure::TlsWrongHost
        );
        assert_eq!(
            tls_failure(&rustls::Error::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType
            )),
            NetFailure::NotTls
        );
    }
}
