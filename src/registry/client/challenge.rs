//! Answering a `401` challenge for [`HttpRegistry`]: read `WWW-Authenticate`, then use Basic
//! credentials or fetch a Bearer token from the realm (GET with Basic credentials, or an OAuth2
//! refresh-token POST for identity tokens), and cache the result per host and scope.
//!
//! Only the registry's own challenge gets its credentials, and only over a channel they may
//! travel on: an HTTPS registry's challenge is never followed to a plain-HTTP realm, and
//! credentials go over plain HTTP only to loopback hosts or hosts named by
//! `--insecure-registry`. A challenge from another origin (a redirect target, an upload
//! `Location`) is answered anonymously: a token asked for without credentials, cached apart
//! from the credentialled ones ([`AnonymousTokens`]).

use super::hops::{origin_host, Origin};
use super::*;

/// What an anonymous token is cached under: (realm, service, scope).
pub(super) type TokenKey = (String, String, String);

/// Tokens fetched without credentials for origins other than the registry's own, cached per
/// (realm, service, scope) as the registry's own tokens are per (host, scope), and the key last
/// used for each (origin, request scope), so that the next request there carries its token up
/// front instead of asking the realm again. Never holds a token fetched with credentials.
#[derive(Debug, Default)]
pub(super) struct AnonymousTokens {
    tokens: Mutex<HashMap<TokenKey, String>>,
    origins: Mutex<HashMap<(Origin, String), TokenKey>>,
}

impl AnonymousTokens {
    fn get(&self, key: &TokenKey) -> Option<String> {
        self.tokens.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: &TokenKey, value: &str) {
        if let Ok(mut m) = self.tokens.lock() {
            m.insert(key.clone(), value.to_string());
        }
    }

    fn remember(&self, origin: &Origin, scope: &str, key: TokenKey) {
        if let Ok(mut m) = self.origins.lock() {
            m.insert((origin.clone(), scope.to_string()), key);
        }
    }

    /// The cached token for a request to `origin` under `scope`, if one was used there before.
    pub(super) fn for_origin(&self, origin: &Origin, scope: &str) -> Option<String> {
        let key = self
            .origins
            .lock()
            .ok()?
            .get(&(origin.clone(), scope.to_string()))
            .cloned()?;
        self.get(&key)
    }

    /// Drop the token `origin` refused (expired or revoked), so that it is asked for again.
    pub(super) fn forget(&self, origin: &Origin, scope: &str) {
        let key = self
            .origins
            .lock()
            .ok()
            .and_then(|mut m| m.remove(&(origin.clone(), scope.to_string())));
        if let (Some(k), Ok(mut m)) = (key, self.tokens.lock()) {
            m.remove(&k);
        }
    }
}

impl HttpRegistry {
    /// Answer registry `r`'s own challenge with `r`'s credentials.
    pub(super) async fn answer_challenge(
        &self,
        r: &Reference,
        host: &str,
        scope: &str,
        header: &str,
    ) -> Result<String> {
        let unauthorized = |detail: String| RegistryError::Unauthorized {
            registry: r.domain().to_string(),
            detail,
        };
        let challenges = parse_www_authenticate(header);
        let cred = self.credential(r)?;
        if let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") {
            let realm = bearer
                .param("realm")
                .ok_or_else(|| unauthorized("Bearer challenge without realm".into()))?;
            let url = Url::parse(realm)
                .map_err(|e| unauthorized(format!("bad token realm {realm:?}: {e}")))?;
            if url.scheme() != "https" && url.scheme() != "http" {
                return Err(unauthorized(format!(
                    "token realm {realm:?} is not HTTP(S)"
                )));
            }
            if let Some(why) = self.realm_refusal(r, &url, cred.is_some()) {
                return Err(unauthorized(why));
            }
            let service = bearer.param("service").unwrap_or("");
            let value = self
                .fetch_token(r.domain(), url, service, scope, cred.as_ref())
                .await?;
            self.store_auth(host, scope, &value);
            return Ok(value);
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            return match cred {
                Some(Credential::Basic { username, password }) => {
                    let enc = base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{password}"));
                    let value = format!("Basic {enc}");
                    self.store_auth(host, "*", &value);
                    Ok(value)
                }
                Some(Credential::IdentityToken(_)) => Err(unauthorized(
                    "registry wants Basic auth but only an identity token is stored".into(),
                )),
                None => Err(unauthorized(
                    "no credentials found for this registry".into(),
                )),
            };
        }
        Err(unauthorized(format!(
            "401 with no usable challenge (WWW-Authenticate: {header:?})"
        )))
    }

    /// Why registry `r`'s token realm `url` must not be asked (with credentials when
    /// `with_credentials`), if it must not: an HTTPS registry's realm on plain HTTP, or
    /// credentials over plain HTTP to a host that is neither loopback nor `--insecure-registry`.
    fn realm_refusal(&self, r: &Reference, url: &Url, with_credentials: bool) -> Option<String> {
        if url.scheme() != "http" {
            return None;
        }
        if self.scheme_for(r.api_host()) == "https" {
            return Some(format!(
                "the HTTPS registry names a plain-HTTP token realm {url}; hoist does not \
                 follow an HTTPS registry's challenge to plain HTTP"
            ));
        }
        let realm_host = url
            .host_str()
            .map(|h| format!("{h}:{}", url.port_or_known_default().unwrap_or(80)))
            .unwrap_or_default();
        (with_credentials && !self.plain_http_allowed(&realm_host)).then(|| {
            format!(
                "the token realm {url} is plain HTTP on a non-loopback host; hoist sends \
                 credentials over plain HTTP only to hosts named by --insecure-registry"
            )
        })
    }

    /// Answer the challenge of `origin`, which is not registry `r`'s own (a redirect target or
    /// an upload location elsewhere): a Bearer token asked for without credentials, or an
    /// error naming both hosts.
    pub(super) async fn answer_anonymously(
        &self,
        r: &Reference,
        origin: &Origin,
        scope: &str,
        header: &str,
    ) -> Result<String> {
        let other = origin_host(origin);
        let refuse = |why: String| RegistryError::Unauthorized {
            registry: r.domain().to_string(),
            detail: format!(
                "{other} (where {} sent hoist) asks for authentication {why}; hoist sends the \
                 credentials of {} only to {} itself",
                r.domain(),
                r.domain(),
                r.domain()
            ),
        };
        let challenges = parse_www_authenticate(header);
        let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") else {
            return Err(refuse("without a Bearer challenge".into()));
        };
        let realm = bearer
            .param("realm")
            .ok_or_else(|| refuse("with a Bearer challenge without realm".into()))?;
        let url = Url::parse(realm)
            .ok()
            .filter(|u| u.scheme() == "https" || u.scheme() == "http")
            .ok_or_else(|| refuse(format!("with a bad token realm {realm:?}")))?;
        let own_scope = bearer.param("scope").unwrap_or(scope).to_string();
        let service = bearer.param("service").unwrap_or("");
        let key: TokenKey = (url.to_string(), service.to_string(), own_scope.clone());
        let token = match self.anonymous.get(&key) {
            Some(t) => t,
            None => {
                let t = self
                    .fetch_token(&other, url, service, &own_scope, None)
                    .await?;
                self.anonymous.put(&key, &t);
                t
            }
        };
        self.anonymous.remember(origin, scope, key);
        Ok(token)
    }

    /// Ask the token endpoint `url` for a token covering `scope`, with `cred` if any.
    async fn fetch_token(
        &self,
        registry: &str,
        mut url: Url,
        service: &str,
        scope: &str,
        cred: Option<&Credential>,
    ) -> Result<String> {
        let unauthorized = |detail: String| RegistryError::Unauthorized {
            registry: registry.to_string(),
            detail,
        };
        let realm = url.to_string();
        let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
        let request = match cred {
            Some(Credential::IdentityToken(refresh)) => {
                let mut form = Url::parse("http://form.invalid/")
                    .map_err(|e| unauthorized(format!("internal URL error: {e}")))?;
                {
                    let mut q = form.query_pairs_mut();
                    q.append_pair("grant_type", "refresh_token");
                    q.append_pair("refresh_token", refresh);
                    q.append_pair("service", service);
                    q.append_pair("client_id", "hoist");
                    q.append_pair("scope", &scopes.join(" "));
                }
                let body = form.query().unwrap_or("").to_string();
                self.http
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body)
            }
            other => {
                {
                    let mut q = url.query_pairs_mut();
                    if !service.is_empty() {
                        q.append_pair("service", service);
                    }
                    for s in &scopes {
                        q.append_pair("scope", s);
                    }
                }
                let mut rb = self.http.get(url.clone());
                if let Some(Credential::Basic { username, password }) = other {
                    rb = rb.basic_auth(username, Some(password));
                }
                rb
            }
        };
        let method = if matches!(cred, Some(Credential::IdentityToken(_))) {
            "POST"
        } else {
            "GET"
        };
        let token_resp = self
            .before_deadline(method, &realm, async {
                request
                    .send()
                    .await
                    .map_err(|source| RegistryError::Transport {
                        method: method.into(),
                        url: url.to_string(),
                        source,
                    })
            })
            .await?;
        let status = token_resp.status();
        if !status.is_success() {
            let body = read_error_body(token_resp).await;
            return Err(unauthorized(format!(
                "token endpoint {realm} answered {status}: {}",
                truncate(&body, 200)
            )));
        }
        let body = self
            .read_capped(token_resp, MAX_TOKEN_BYTES, "token answer", &realm)
            .await?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| unauthorized(format!("token endpoint {realm}: bad JSON: {e}")))?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized(format!("token endpoint {realm}: no token")))?;
        Ok(format!("Bearer {token}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realms_that_may_not_get_credentials() {
        let c = HttpRegistry::new(RegistryConfig {
            insecure_hosts: vec!["lan.example:5000".into()],
            credentials: CredentialSource::default(),
            ..RegistryConfig::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let r = |s: &str| s.parse::<Reference>().unwrap_or_else(|e| panic!("{e}"));
        let u = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{e}"));
        // An HTTPS registry is never followed to an HTTP realm, credentials or not.
        let tls = r("ghcr.io/a/b:1");
        assert!(c
            .realm_refusal(&tls, &u("http://ghcr.io/token"), true)
            .is_some());
        assert!(c
            .realm_refusal(&tls, &u("http://ghcr.io/token"), false)
            .is_some());
        assert!(c
            .realm_refusal(&tls, &u("https://auth.example/token"), true)
            .is_none());
        // A plain-HTTP registry: credentials over HTTP only to loopback or listed hosts.
        let lan = r("lan.example:5000/a:1");
        assert!(c
            .realm_refusal(&lan, &u("http://lan.example:5000/t"), true)
            .is_none());
        assert!(c
            .realm_refusal(&lan, &u("http://auth.example/t"), true)
            .is_some());
        assert!(c
            .realm_refusal(&lan, &u("http://auth.example/t"), false)
            .is_none());
        let local = r("localhost:5000/a:1");
        assert!(c
            .realm_refusal(&local, &u("http://127.0.0.2:9/t"), true)
            .is_none());
    }
}
