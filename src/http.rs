//! How the program talks HTTP, in one place for the Read API, sign-in and hosted MCP servers:
//! the one client and its TLS provider, the one URL policy (`https`, or `http` to a loopback
//! host) and the one retry schedule. A leaf: it imports nothing of the crate, and every module
//! may use it.

use std::net::IpAddr;
use std::time::Duration;

use url::Url;

/// The one way to build an HTTP client (Read API, sign-in, hosted MCP servers):
/// our user agent, rustls with `ring`, and redirects never followed — reqwest keeps custom
/// headers such as X-API-Key across them, which would hand a credential to whatever host a
/// redirect names. `configure` adds the caller's timeouts.
pub fn http_client(
    configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> reqwest::Client {
    install_crypto_provider();
    let base = || {
        reqwest::Client::builder()
            .user_agent(concat!("analytics-mcp/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
    };
    configure(base()).build().unwrap_or_else(|e| {
        tracing::warn!("HTTP client settings refused ({e}); using the defaults without redirects");
        // `reqwest::Client::new()` would follow redirects; it panics in this case too.
        #[allow(clippy::expect_used)]
        base()
            .build()
            .expect("the HTTP client could not start (TLS set-up failed)")
    })
}

/// An [`http_client`] built on first use, then shared by every request of its owner: building
/// one loads the system's trust roots (a bundle and a directory of certificates, a few
/// milliseconds), which a command that answers without the network (`serve` up to its first
/// tool call, `tools`, `--help`) should not pay for (issue 23).
pub struct LazyClient {
    configure: fn(reqwest::ClientBuilder, std::time::Duration) -> reqwest::ClientBuilder,
    timeout: std::time::Duration,
    client: std::sync::OnceLock<reqwest::Client>,
}

impl LazyClient {
    /// A client that `configure` will set up with `timeout` when first needed.
    pub fn new(
        timeout: std::time::Duration,
        configure: fn(reqwest::ClientBuilder, std::time::Duration) -> reqwest::ClientBuilder,
    ) -> Self {
        Self {
            configure,
            timeout,
            client: std::sync::OnceLock::new(),
        }
    }

    /// The client, built now if this is the first request.
    pub fn get(&self) -> &reqwest::Client {
        self.client
            .get_or_init(|| http_client(|b| (self.configure)(b, self.timeout)))
    }
}

impl std::fmt::Debug for LazyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyClient")
            .field("built", &self.client.get().is_some())
            .finish()
    }
}

/// TLS uses rustls with the `ring` provider, chosen over reqwest's default (aws-lc-rs) for a
/// binary about a fifth smaller. Installing it twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why a URL fails [`check_url`]; each caller words it for its own context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insecure {
    /// Neither `https` nor `http` (`ftp:`, `file:`, …): the scheme.
    Scheme(String),
    /// `http` to a host that is not loopback (or to no host).
    PlainHttp,
    /// `https` without a host.
    NoHost,
    /// A user name or password inside the URL.
    UserInfo,
}

/// The one URL policy for everything we send a request or a credential to, or open: `https`
/// to a host, or `http` to a loopback host, and never a user name or password in the URL.
pub fn check_url(url: &Url) -> Result<(), Insecure> {
    match url.scheme() {
        "https" if url.host().is_none() => return Err(Insecure::NoHost),
        "https" => {}
        "http" if is_loopback_host(url) => {}
        "http" => return Err(Insecure::PlainHttp),
        other => return Err(Insecure::Scheme(other.to_string())),
    }
    if url.username().is_empty() && url.password().is_none() {
        Ok(())
    } else {
        Err(Insecure::UserInfo)
    }
}

/// `raw` as it may be shown: a user name or password in it (`https://user:pw@host/`)
/// replaced by `***` (`https://***@host/`). Works on text that does not parse as a URL too, so
/// an error about a malformed URL never echoes the secret in it.
pub fn redact_url(raw: &str) -> String {
    let Some(start) = raw.find("://").map(|i| i + 3) else {
        return raw.to_string();
    };
    let rest = &raw[start..];
    // The authority ends at the first `/`, `?` or `#`; user-info ends at its last `@`.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***{}", &raw[..start], &rest[at..]),
        None => raw.to_string(),
    }
}

impl Insecure {
    /// Why the URL is refused, in words (after "refusing … URL `…`: ").
    pub fn reason(&self) -> String {
        match self {
            Self::Scheme(s) => format!("`{s}:` URLs are not allowed; use https (or http to a loopback host: 127.0.0.1, ::1, localhost)"),
            Self::PlainHttp => "only https is allowed, or http to a loopback host (127.0.0.1, ::1, localhost)".into(),
            Self::NoHost => "it names no host".into(),
            Self::UserInfo => "it carries a user name or password, which would travel with every request and show up in logs; remove the `user:password@` part (a key belongs in `analytics-mcp login`)".into(),
        }
    }
}

/// True for `localhost`, 127.0.0.0/8 and `::1`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The one retry schedule: a first wait that doubles with each retry, with or without ±50%
/// jitter (jitter keeps clients that failed together from retrying together).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    first: Duration,
    jitter: bool,
}

impl Backoff {
    /// `first`, then twice that, and so on, exactly.
    pub const fn doubling(first: Duration) -> Self {
        Self {
            first,
            jitter: false,
        }
    }

    /// The same schedule, each wait between half and one and a half times its value.
    pub const fn jittered(self) -> Self {
        Self {
            jitter: true,
            ..self
        }
    }

    /// The wait before retry number `retry` (0-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 2f64.powi(retry.min(30) as i32);
        let spread = if self.jitter {
            0.5 + fastrand::f64()
        } else {
            1.0
        };
        self.first.mul_f64(factor * spread)
    }
}

/// True when `e` (or what it wraps, io errors nest) is a rustls error.
fn tls_error(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    e.downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .is_some_and(tls_error)
}

/// Why a request never got an answer, in the words a person checks first: the connection was
/// refused, the name did not resolve, TLS failed, or it timed out. reqwest says only "error
/// sending request"; the cause is down its source chain (hyper, the resolver, rustls, io).
pub fn transport_cause(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        return "timed out";
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut words = String::new();
    while let Some(err) = source {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return "TLS failed (certificate or handshake)";
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            // rustls reports through io errors: a plain-HTTP server answering https, a
            // certificate not trusted.
            if io.get_ref().is_some_and(tls_error) {
                return "TLS failed (certificate or handshake)";
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused",
                std::io::ErrorKind::TimedOut => return "timed out",
                std::io::ErrorKind::ConnectionReset => return "connection reset",
                _ => {}
            }
        }
        words.push_str(&err.to_string().to_ascii_lowercase());
        words.push(' ');
        source = err.source();
    }
    if words.contains("dns error") || words.contains("failed to lookup address") {
        "the host name did not resolve (DNS)"
    } else if words.contains("certificate") || words.contains("tls") || words.contains("handshake")
    {
        "TLS failed (certificate or handshake)"
    } else if words.contains("refused") {
        "connection refused"
    } else {
        "no connection"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_policy_takes_https_and_loopback_http_only() {
        let check = |raw: &str| check_url(&Url::parse(raw).unwrap());
        for ok in [
            "https://app.himetrica.com/api/v1",
            "http://127.0.0.1:8080/x",
            "http://127.9.9.9/",
            "http://LOCALHOST:3000",
            "http://[::1]:9/x",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        assert_eq!(check("http://10.0.0.1/"), Err(Insecure::PlainHttp));
        assert_eq!(
            check("http://localhost.evil.example/"),
            Err(Insecure::PlainHttp)
        );
        assert_eq!(
            check("ftp://127.0.0.1/"),
            Err(Insecure::Scheme("ftp".into()))
        );
        assert_eq!(
            check("https://user:pw@app.himetrica.com/"),
            Err(Insecure::UserInfo)
        );
        assert_eq!(check("http://u@127.0.0.1/"), Err(Insecure::UserInfo));
    }

    #[test]
    fn user_info_is_redacted_even_in_text_that_is_not_a_url() {
        assert_eq!(
            redact_url("http://user:S3cret@127.0.0.1:9/api/v1"),
            "http://***@127.0.0.1:9/api/v1"
        );
        assert_eq!(
            redact_url("https://hm_sk_abc@app.himetrica.com"),
            "https://***@app.himetrica.com"
        );
        assert_eq!(redact_url("https://a:b@c@[bad/x@y"), "https://***@[bad/x@y");
        assert_eq!(
            redact_url("https://app.himetrica.com/a@b"),
            "https://app.himetrica.com/a@b"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn backoff_doubles_and_jitter_stays_within_half_either_way() {
        let exact = Backoff::doubling(Duration::from_millis(500));
        assert_eq!(exact.delay(0), Duration::from_millis(500));
        assert_eq!(exact.delay(1), Duration::from_millis(1000));
        let jittered = Backoff::doubling(Duration::from_millis(200)).jittered();
        for retry in 0..4 {
            let nominal = 200.0 * 2f64.powi(retry);
            for _ in 0..50 {
                let ms = jittered.delay(retry as u32).as_secs_f64() * 1000.0;
                assert!((nominal * 0.5..=nominal * 1.5).contains(&ms), "{ms}");
            }
        }
        // Far-off retries do not overflow.
        assert!(exact.delay(u32::MAX) > Duration::ZERO);
    }
}
