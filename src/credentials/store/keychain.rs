//! The OS keychain (`keyring`), each call on a helper thread with a timeout: D-Bus can hang,
//! and a keychain that does not answer is treated as unreachable. Imports nothing of the
//! crate.

use std::sync::mpsc;
use std::time::Duration;

/// The keychain service name; the account is the profile (`default`, or `profile:NAME`).
pub const KEYRING_SERVICE: &str = "analytics-mcp";
pub(super) const KEYRING_ACCOUNT: &str = "default";
/// A keychain that does not answer in this time is treated as unreachable (D-Bus can hang).
const KEYRING_TIMEOUT: Duration = Duration::from_secs(5);
/// How a keychain call that never came back is described.
pub(super) const TIMED_OUT: &str = "no answer";

pub(super) enum KeyringFailure {
    NoEntry,
    Unavailable(String),
    Other(String),
}

/// Runs one keychain operation on a helper thread, giving up after [`KEYRING_TIMEOUT`].
pub(super) fn keyring_call<T: Send + 'static>(
    account: &str,
    op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
) -> Result<T, KeyringFailure> {
    let (tx, rx) = mpsc::channel();
    let account = account.to_string();
    std::thread::spawn(move || {
        let result = keyring::Entry::new(KEYRING_SERVICE, &account).and_then(|e| op(&e));
        let _ = tx.send(result);
    });
    match rx.recv_timeout(KEYRING_TIMEOUT) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(keyring::Error::NoEntry)) => Err(KeyringFailure::NoEntry),
        Ok(Err(
            e @ (keyring::Error::NoDefaultStore
            | keyring::Error::PlatformFailure(_)
            | keyring::Error::NoStorageAccess(_)),
        )) => Err(KeyringFailure::Unavailable(e.to_string())),
        Ok(Err(e)) => Err(KeyringFailure::Other(e.to_string())),
        Err(_) => Err(KeyringFailure::Unavailable(format!(
            "{TIMED_OUT} within {} seconds",
            KEYRING_TIMEOUT.as_secs()
        ))),
    }
}
