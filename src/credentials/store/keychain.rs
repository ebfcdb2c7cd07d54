//! The OS keychain (`keyring-core` with each platform's store), each call on a helper thread
//! with a timeout: D-Bus can hang, and a keychain that does not answer is treated as
//! unreachable. Imports nothing of the crate.
//!
//! The stores are the ones `keyring` 4 picks — macOS Keychain, Windows Credential Manager, the
//! Secret Service (GNOME Keyring, KWallet) elsewhere on Unix — with one change on Linux: the
//! Secret Service is reached through libdbus (`dbus-secret-service-keyring-store`, built in)
//! rather than `zbus`, which brought its own async runtime and cost about a megabyte of the
//! binary (issue 23; BENCHMARKS.md, Size). The two store items alike (service, username,
//! target attributes), so an entry written by an earlier release is found.

use std::sync::{LazyLock, mpsc};
use std::time::Duration;

use keyring_core::{Entry, Error};

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

/// The platform's store, made the default once per process, on the first keychain call (never
/// at start-up). When it cannot be opened, every call reports the keychain unreachable.
static STORE: LazyLock<keyring_core::Result<()>> = LazyLock::new(|| {
    #[cfg(target_os = "macos")]
    let store = apple_native_keyring_store::keychain::Store::new()?;
    #[cfg(windows)]
    let store = windows_native_keyring_store::Store::new()?;
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    let store = dbus_secret_service_keyring_store::Store::new()?;
    #[cfg(any(windows, all(unix, not(any(target_os = "ios", target_os = "android")))))]
    {
        keyring_core::set_default_store(store);
        Ok(())
    }
    #[cfg(not(any(windows, all(unix, not(any(target_os = "ios", target_os = "android"))))))]
    Err(Error::NoDefaultStore)
});

/// Runs one keychain operation on a helper thread, giving up after [`KEYRING_TIMEOUT`].
pub(super) fn keyring_call<T: Send + 'static>(
    account: &str,
    op: impl FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
) -> Result<T, KeyringFailure> {
    let (tx, rx) = mpsc::channel();
    let account = account.to_string();
    std::thread::spawn(move || {
        let result = match &*STORE {
            Ok(()) => Entry::new(KEYRING_SERVICE, &account).and_then(|e| op(&e)),
            // As `keyring` 4 did: the store's error is not kept (it is not `Clone`); the
            // keychain reads as unreachable, and the file store is used.
            Err(_) => Err(Error::NoDefaultStore),
        };
        let _ = tx.send(result);
    });
    match rx.recv_timeout(KEYRING_TIMEOUT) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(Error::NoEntry)) => Err(KeyringFailure::NoEntry),
        Ok(Err(
            e @ (Error::NoDefaultStore | Error::PlatformFailure(_) | Error::NoStorageAccess(_)),
        )) => Err(KeyringFailure::Unavailable(e.to_string())),
        Ok(Err(e)) => Err(KeyringFailure::Other(e.to_string())),
        Err(_) => Err(KeyringFailure::Unavailable(format!(
            "{TIMED_OUT} within {} seconds",
            KEYRING_TIMEOUT.as_secs()
        ))),
    }
}
