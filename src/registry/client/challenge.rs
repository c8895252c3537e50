//! Answering a registry's `401` challenge for [`HttpRegistry`]: read `WWW-Authenticate`, then
//! use Basic credentials or fetch a Bearer token from the realm (GET with Basic credentials, or
//! an OAuth2 refresh-token POST for identity tokens), and cache the result per host and scope.

use super::*;

impl HttpRegistry {
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
            let mut url = Url::parse(realm)
                .map_err(|e| unauthorized(format!("bad token realm {realm:?}: {e}")))?;
            if url.scheme() != "https" && url.scheme() != "http" {
                return Err(unauthorized(format!(
                    "token realm {realm:?} is not HTTP(S)"
                )));
            }
            let service = bearer.param("service").unwrap_or("").to_string();
            let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
            let token_resp = match &cred {
                Some(Credential::IdentityToken(refresh)) => {
                    let mut form = Url::parse("http://form.invalid/")
                        .map_err(|e| unauthorized(format!("internal URL error: {e}")))?;
                    {
                        let mut q = form.query_pairs_mut();
                        q.append_pair("grant_type", "refresh_token");
                        q.append_pair("refresh_token", refresh);
                        q.append_pair("service", &service);
                        q.append_pair("client_id", "hoist");
                        q.append_pair("scope", &scopes.join(" "));
                    }
                    let body = form.query().unwrap_or("").to_string();
                    self.http
                        .post(url.clone())
                        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(body)
                        .send()
                        .await
                }
                other => {
                    {
                        let mut q = url.query_pairs_mut();
                        if !service.is_empty() {
                            q.append_pair("service", &service);
                        }
                        for s in &scopes {
                            q.append_pair("scope", s);
                        }
                    }
                    let mut rb = self.http.get(url.clone());
                    if let Some(Credential::Basic { username, password }) = other {
                        rb = rb.basic_auth(username, Some(password));
                    }
                    rb.send().await
                }
            };
            let token_resp = token_resp.map_err(|source| RegistryError::Transport {
                method: "GET".into(),
                url: url.to_string(),
                source,
            })?;
            let status = token_resp.status();
            if !status.is_success() {
                let body = token_resp.text().await.unwrap_or_default();
                return Err(unauthorized(format!(
                    "token endpoint {realm} answered {status}: {}",
                    truncate(&body, 200)
                )));
            }
            let body = token_resp
                .bytes()
                .await
                .map_err(|source| RegistryError::Transport {
                    method: "GET".into(),
                    url: realm.to_string(),
                    source,
                })?;
            let v: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| unauthorized(format!("token endpoint {realm}: bad JSON: {e}")))?;
            let token = v
                .get("token")
                .or_else(|| v.get("access_token"))
                .and_then(|t| t.as_str())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| unauthorized(format!("token endpoint {realm}: no token")))?;
            let value = format!("Bearer {token}");
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
}
