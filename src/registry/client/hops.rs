//! Sending one request for [`HttpRegistry`], hop by hop: redirects are followed here rather than
//! inside `reqwest` so that each hop decides for itself which credentials it may carry.
//!
//! The rule (as Docker's and containers/image's clients apply it): credentials for registry R
//! go only to R's own origin (scheme, host and port of its API URLs) and to the token realm that
//! R names in its own `401` challenge. A redirect, an upload `Location` or a pagination `Link`
//! that points at another origin is sent without R's `Authorization`; when that other origin
//! answers `401` itself, its challenge is answered anonymously (a token fetched without any
//! credentials, used for that origin only and cached for the next request there) and never
//! with R's password or refresh token.

use super::*;

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// `(scheme, host, port)` of a URL, the port made explicit.
pub(super) type Origin = (String, String, u16);

/// The origin of `url`, when it has a host.
pub(super) fn origin_of(url: &Url) -> Option<Origin> {
    Some((
        url.scheme().to_string(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

/// `host:port` of an origin (brackets kept for IPv6 hosts by [`Url::host_str`]).
pub(super) fn origin_host(o: &Origin) -> String {
    format!("{}:{}", o.1, o.2)
}

fn parse_url(url: &str) -> Result<Url> {
    Url::parse(url).map_err(|e| RegistryError::Protocol {
        url: url.to_string(),
        detail: format!("not a URL: {e}"),
    })
}

impl HttpRegistry {
    /// The origin of registry `r`'s own URLs.
    pub(super) fn registry_origin(&self, r: &Reference) -> Option<Origin> {
        let base = format!("{}://{}/", self.scheme_for(r.api_host()), r.api_host());
        Url::parse(&base).ok().as_ref().and_then(origin_of)
    }

    /// Send once (plus one re-send after answering an auth challenge, and the redirects the
    /// answer asks for). Retryable statuses come back as errors; every other status is returned
    /// for the caller to judge. The response's URL is the hop that answered.
    pub(super) async fn send(
        &self,
        r: &Reference,
        scope: &str,
        method: Method,
        url: &str,
        build: Build<'_>,
    ) -> Result<Response> {
        let host = r.api_host().to_string();
        let home = self.registry_origin(r);
        let mut current = parse_url(url)?;
        let mut method = method;
        let mut keep_body = true;
        let mut hops = 0usize;
        let mut home_auth = self.cached_auth(&host, scope);
        let mut answered_home = false;
        // Anonymous token for one foreign origin, and the origins already answered.
        let mut foreign_auth: Option<(Origin, String)> = None;
        let mut answered_foreign: Vec<Origin> = Vec::new();
        loop {
            let here = origin_of(&current);
            let trusted = here.is_some() && here == home;
            let mut rb = self.http.request(method.clone(), current.clone());
            if keep_body {
                rb = build(rb);
            }
            let auth = if trusted {
                home_auth.clone()
            } else {
                foreign_auth
                    .as_ref()
                    .filter(|(o, _)| Some(o) == here.as_ref())
                    .map(|(_, a)| a.clone())
                    .or_else(|| {
                        let o = here.as_ref()?;
                        self.anonymous.for_origin(o, scope)
                    })
            };
            if let Some(a) = &auth {
                rb = rb.header(AUTHORIZATION, a);
            }
            let resp = self
                .before_deadline(
                    method.as_str(),
                    current.as_str(),
                    self.exchange(rb, &method, &current),
                )
                .await?;
            let status = resp.status();
            if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                if let Some(loc) = header_str(resp.headers(), LOCATION.as_str()) {
                    hops += 1;
                    if hops > MAX_REDIRECTS {
                        return Err(RegistryError::Protocol {
                            url: url.to_string(),
                            detail: format!("more than {MAX_REDIRECTS} redirects"),
                        });
                    }
                    let next = current.join(loc).map_err(|e| RegistryError::Protocol {
                        url: current.to_string(),
                        detail: format!("bad redirect Location {loc:?}: {e}"),
                    })?;
                    if next.scheme() != "http" && next.scheme() != "https" {
                        return Err(RegistryError::Protocol {
                            url: current.to_string(),
                            detail: format!("redirect to a non-HTTP URL {next}"),
                        });
                    }
                    let to_get = (status == StatusCode::SEE_OTHER && method != Method::HEAD)
                        || (matches!(status.as_u16(), 301 | 302) && method == Method::POST);
                    if to_get {
                        method = Method::GET;
                        keep_body = false;
                    }
                    current = next;
                    continue;
                }
            }
            if status == StatusCode::UNAUTHORIZED {
                let header = resp
                    .headers()
                    .get_all(reqwest::header::WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect::<Vec<_>>()
                    .join(", ");
                if trusted && !answered_home {
                    answered_home = true;
                    home_auth = Some(self.answer_challenge(r, &host, scope, &header).await?);
                    continue;
                }
                if let (false, Some(o)) = (trusted, here.clone()) {
                    if !answered_foreign.contains(&o) {
                        answered_foreign.push(o.clone());
                        if auth.is_some() {
                            // A cached anonymous token was refused: ask for a new one.
                            self.anonymous.forget(&o, scope);
                        }
                        let token = self.answer_anonymously(r, &o, scope, &header).await?;
                        foreign_auth = Some((o, token));
                        continue;
                    }
                }
                return Err(status_error(resp, method.as_str(), current.as_str()).await);
            }
            if super::super::retry::is_retryable_status(status.as_u16()) {
                return Err(status_error(resp, method.as_str(), current.as_str()).await);
            }
            return Ok(resp);
        }
    }

    /// True when credentials may travel over plain HTTP to `host_port`: a loopback host, or
    /// one named by `--insecure-registry`.
    pub(super) fn plain_http_allowed(&self, host_port: &str) -> bool {
        let bare = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h);
        is_loopback_host(host_port)
            || self
                .config
                .insecure_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host_port) || h.eq_ignore_ascii_case(bare))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_make_default_ports_explicit() {
        let o = |u: &str| Url::parse(u).ok().as_ref().and_then(origin_of);
        assert_eq!(o("https://a.io/v2/"), o("https://A.io:443/x"));
        assert_ne!(o("https://a.io/"), o("http://a.io/"));
        assert_ne!(o("http://127.0.0.1:5000/"), o("http://127.0.0.2:5000/"));
        assert_ne!(o("http://127.0.0.1:5000/"), o("http://localhost:5000/"));
        assert_eq!(
            o("http://[::1]:5000/").map(|o| origin_host(&o)).as_deref(),
            Some("[::1]:5000")
        );
    }
}
