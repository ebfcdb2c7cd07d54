//! Opening the authorization URL, and the checks before it: the URL must parse, be `https`
//! (or `http` to a loopback host) and point at the discovered authorization server's host.
//! Anything else is refused, so a hostile server's metadata cannot make us launch a `file:`
//! URL or a command (the hole mcp-remote once had).
//!
//! The program is `$BROWSER` when set (as gh, git and xdg-open do), else the system default
//! (the `open` crate). The URL is always one argument, never passed through a shell.

use std::process::{Command, Stdio};

use url::Url;

use super::AuthError;
use crate::http::Insecure;

/// Checks `raw` before anything opens it: scheme, no credentials in it, and the same host as
/// `issuer`.
pub fn check_authorization_url(raw: &str, issuer: &str) -> Result<Url, AuthError> {
    let url = Url::parse(raw).map_err(|_| {
        AuthError::UnsafeUrl(format!(
            "`{}` is not a URL",
            crate::text::clean(&crate::http::redact_url(raw), 200)
        ))
    })?;
    crate::http::check_url(&url).map_err(|why| {
        AuthError::UnsafeUrl(match why {
            Insecure::Scheme(other) => {
                format!("it uses `{other}:`; only https (or http to a loopback host) is opened")
            }
            Insecure::PlainHttp | Insecure::NoHost => format!(
                "{} is plain http to a host that is not loopback",
                url.origin().ascii_serialization()
            ),
            Insecure::UserInfo => "it carries a user name or password".into(),
        })
    })?;
    let expected = Url::parse(issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let host = url.host_str().map(str::to_ascii_lowercase);
    if host.is_none() || host != expected {
        return Err(AuthError::UnsafeUrl(format!(
            "it points at {}, not at the authorization server {issuer}",
            host.as_deref().unwrap_or("no host")
        )));
    }
    Ok(url)
}

/// Opens `url` (already checked) in the browser. `$BROWSER` may hold a program and
/// arguments; `%s` among them is replaced by the URL, else the URL is appended.
pub fn open(url: &Url) -> Result<(), String> {
    if let Some(browser) = crate::env_vars::var(crate::env_vars::BROWSER) {
        let mut words = browser.split_whitespace();
        let program = words.next().ok_or("BROWSER is empty")?;
        let mut args: Vec<String> = words.map(str::to_string).collect();
        if args.iter().any(|a| a.contains("%s")) {
            for arg in &mut args {
                *arg = arg.replace("%s", url.as_str());
            }
        } else {
            args.push(url.to_string());
        }
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start BROWSER `{program}`: {e}"))?;
        // Reap it whenever it ends; the sign-in does not wait for it.
        std::thread::spawn(move || child.wait());
        return Ok(());
    }
    ::open::that_detached(url.as_str()).map_err(|e| format!("could not open a browser: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://auth.example.com";

    #[test]
    fn only_https_urls_on_the_issuers_host_are_opened() {
        assert!(check_authorization_url("https://auth.example.com/authorize?x=1", ISSUER).is_ok());
        assert!(
            check_authorization_url("http://127.0.0.1:9/authorize", "http://127.0.0.1:9").is_ok()
        );
        for bad in [
            "http://auth.example.com/authorize",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://evil.example/authorize",
            "https://auth.example.com.evil.example/authorize",
            "https://user@auth.example.com/authorize",
            "calc.exe",
            "$(touch /tmp/pwned)",
        ] {
            assert!(
                matches!(
                    check_authorization_url(bad, ISSUER),
                    Err(AuthError::UnsafeUrl(_))
                ),
                "{bad} was accepted"
            );
        }
    }
}
