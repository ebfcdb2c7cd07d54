//! `analytics-mcp logout`: revoke browser sign-in tokens at the server (RFC 7009) when it has
//! a revocation endpoint, then remove the stored credential. Idempotent; says what it did and
//! what it could not do (an environment variable is outside its reach).

use crate::auth::tokens::Revoked;
use crate::cli::GlobalArgs;
use crate::credentials::Credential;
use crate::env_vars;
use crate::error::Exit;
use crate::output;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<Exit> {
    let store = super::App::load(global)?.store();
    // Revoke browser sign-in tokens at the server first; a failure there still signs out here.
    if let Ok(Some(found)) = store.load_async().await
        && let Credential::OAuth(tokens) = &found.credential
    {
        match crate::auth::tokens::revoke(tokens).await {
            Ok(Revoked::Done(endpoint)) => {
                output::note(&format!("✓ Revoked the tokens at {endpoint}."));
            }
            Ok(Revoked::Unsupported) => output::note(&format!(
                "{} has no revocation endpoint; the tokens are deleted here and lapse when they expire.",
                tokens.issuer
            )),
            Err(e) => output::warning(&format!(
                "could not revoke the tokens at the server ({e}); deleting them here anyway"
            )),
        }
    }
    let removed = store.delete_locked().await?;
    if removed.is_empty() {
        output::note("No stored credential; nothing to remove.");
    } else {
        for line in removed {
            output::note(&format!("✓ Signed out: {line}."));
        }
    }
    if env_vars::var(env_vars::API_KEY).is_some() {
        output::warning(&format!(
            "{} is still set in this environment; unset it to stop using that key",
            env_vars::API_KEY
        ));
    }
    Ok(Exit::Success)
}
