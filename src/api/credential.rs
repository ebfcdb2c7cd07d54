//! The Read API client's credential, obtained once and shared: either given when the client is
//! built (`login` checking a key before storing it, `--demo`, `status` with the credential it
//! has read), or read from the stores (environment → OS keychain → file) by the first request
//! that needs it. `serve` starts, answers `initialize` and `tools/list`, and never asks the
//! keychain until a tool call does (issue 23: start-up does only what the first answer needs);
//! concurrent first calls wait for the one read. Uses `config` and `credentials` (left of it).

use tokio::sync::OnceCell;

use super::Auth;
use crate::config::Settings;

/// A credential given, or one read from the stores on first use.
#[derive(Debug)]
pub(super) struct CredentialCell {
    auth: OnceCell<Option<Auth>>,
    /// The profile whose stores are read on first use; `None` when the credential was given.
    stored: Option<Settings>,
}

impl CredentialCell {
    /// `auth` as given (`None`: not signed in), never read from a store.
    pub(super) fn given(auth: Option<Auth>) -> Self {
        Self {
            auth: OnceCell::new_with(Some(auth)),
            stored: None,
        }
    }

    /// The credential of `settings`' profile, read on the first [`CredentialCell::get`].
    pub(super) fn stored(settings: &Settings) -> Self {
        Self {
            auth: OnceCell::new(),
            stored: Some(settings.clone()),
        }
    }

    /// The credential, reading the stores the first time.
    pub(super) async fn get(&self) -> Option<&Auth> {
        self.auth
            .get_or_init(|| async {
                match &self.stored {
                    Some(settings) => read(settings).await,
                    None => None,
                }
            })
            .await
            .as_ref()
    }

    /// The credential if it has been obtained already; never reads a store.
    pub(super) fn if_obtained(&self) -> Option<&Auth> {
        self.auth.get().and_then(Option::as_ref)
    }
}

/// Reads the stores once. A store that cannot be read becomes an answer every call gives (the
/// file and the fix), logged here once, rather than "not signed in".
async fn read(settings: &Settings) -> Option<Auth> {
    match crate::credentials::resolve(settings).await {
        Ok(Some(found)) => {
            tracing::debug!(source = %found.source, "credential read");
            Some(Auth::new(settings, found.credential))
        }
        Ok(None) => {
            tracing::debug!("credential read: none stored; tools answer with how to sign in");
            None
        }
        Err(e) => {
            tracing::warn!("{e}");
            Some(Auth::Unreadable(e.to_string()))
        }
    }
}
