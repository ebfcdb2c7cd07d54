//! A secret bound to the one origin it was issued for.
//!
//! Every credential that goes on the wire (a secret key, an access token) is a [`Bound`]:
//! the secret and the `scheme://host:port` it belongs to. The only way to get the secret for
//! a request is [`Bound::for_request`], which refuses any other origin, so neither the Read
//! API client nor the hosted-MCP client can hand a Himetrica key to a third party, whatever
//! command asked for it. (A key stored by a release before origins were recorded, and
//! `ANALYTICS_MCP_API_KEY`, are bound to the profile's server as configured when they load.)
//! Uses `secret` only.

use url::Url;

use super::Secret;

/// `scheme://host:port` (the default port left out), as browsers compare origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// The origin of `url`.
    pub fn of(url: &Url) -> Self {
        Self(url.origin().ascii_serialization())
    }

    /// The origin of the URL in `raw`, if it is one with a host.
    pub fn parse(raw: &str) -> Option<Self> {
        let url = Url::parse(raw).ok()?;
        url.host()?;
        Some(Self::of(&url))
    }

    /// An origin no URL has (`null`): for a record whose resource is not a URL.
    pub fn none() -> Self {
        Self("null".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request was about to carry a credential to an origin it was not issued for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "the credential in use was issued for {issued}, but the server in use is {target}, so it was not sent; sign in for {target} with `analytics-mcp login --api-url URL` (its full URL; add --profile NAME for a named profile), or point the profile back at {issued}"
)]
pub struct WrongOrigin {
    pub issued: Origin,
    pub target: String,
}

/// A secret and the origin it may be sent to.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    secret: Secret<String>,
    origin: Origin,
}

impl Bound {
    pub fn new(secret: Secret<String>, origin: Origin) -> Self {
        Self { secret, origin }
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The secret itself, for storing it (never for a request: see [`Bound::for_request`]).
    pub fn secret(&self) -> &Secret<String> {
        &self.secret
    }

    /// The secret for a request to `target`, or [`WrongOrigin`] when `target` is elsewhere.
    pub fn for_request(&self, target: &str) -> Result<&str, WrongOrigin> {
        match Url::parse(target) {
            Ok(url) => self.for_url(&url),
            Err(_) => Err(WrongOrigin {
                issued: self.origin.clone(),
                target: "an unparsable URL".to_string(),
            }),
        }
    }

    /// [`Self::for_request`] for a URL already parsed.
    pub fn for_url(&self, target: &Url) -> Result<&str, WrongOrigin> {
        // An opaque origin (`null`) is never the same as another, even when spelled alike.
        if target.origin().is_tuple() && Origin::of(target) == self.origin {
            Ok(self.secret.expose())
        } else {
            Err(WrongOrigin {
                issued: self.origin.clone(),
                target: target.origin().ascii_serialization(),
            })
        }
    }

    /// `hm_sk_…a1b2`.
    pub fn masked(&self) -> String {
        self.secret.masked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_secret_goes_to_its_own_origin_only() {
        let origin = Origin::parse("https://app.himetrica.com/api/v1").unwrap();
        let key = Bound::new(Secret::new("hm_sk_0123456789".into()), origin);
        assert_eq!(
            key.for_request("https://app.himetrica.com/api/v1/me"),
            Ok("hm_sk_0123456789")
        );
        assert_eq!(
            key.for_request("https://app.himetrica.com:443/x"),
            Ok("hm_sk_0123456789"),
            "the default port is the same origin"
        );
        for elsewhere in [
            "https://mcp.zenovay.com/mcp",
            "http://app.himetrica.com/api/v1/me",
            "https://app.himetrica.com:8443/api/v1/me",
            "https://app.himetrica.com.evil.example/api/v1/me",
            "not a url",
            "data:text/plain,x",
        ] {
            let e = key.for_request(elsewhere).unwrap_err();
            assert!(!e.to_string().contains("hm_sk_0123456789"), "{e}");
        }
        let unbound = Bound::new(Secret::new("t".into()), Origin::none());
        assert!(unbound.for_request("data:text/plain,x").is_err());
    }
}
