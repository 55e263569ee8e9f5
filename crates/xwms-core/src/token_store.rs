//! Secrets (session tokens) in the operating system's keychain: the Secret Service
//! (gnome-keyring, KWallet) on Linux, the Keychain on macOS, the Credential Manager on Windows.
//!
//! Tokens never go to files, logs or web storage. A keychain that is missing or locked is an
//! error with the stable code `keychain.unavailable`; the app then stays signed out rather than
//! falling back to a file.

use xwms_api::ErrorCode;

use crate::secret::Secret;
use crate::CoreError;

/// The keychain service name of the desktop app.
pub const DEFAULT_SERVICE: &str = "nl.xwms.desktop";
/// The keychain service name of the `xwms` command line: its own device and session, so
/// signing out of one never signs out the other.
pub const CLI_SERVICE: &str = "nl.xwms.cli";

/// Where the core keeps secrets. The product's only implementation is [`TokenStore`] (the OS
/// keychain); unit tests use an in-memory one that is compiled into tests only. The calls
/// block (D-Bus, Keychain Services): async code runs them on a blocking thread.
pub trait SecretStore: Send + Sync + 'static {
    /// Saves `secret` under `account`, replacing what was there.
    fn save(&self, account: &str, secret: &Secret) -> Result<(), CoreError>;
    /// The secret saved under `account`, if any.
    fn load(&self, account: &str) -> Result<Option<Secret>, CoreError>;
    /// Removes the secret under `account`; removing nothing is fine.
    fn delete(&self, account: &str) -> Result<(), CoreError>;
}

impl SecretStore for TokenStore {
    fn save(&self, account: &str, secret: &Secret) -> Result<(), CoreError> {
        TokenStore::save(self, account, secret)
    }
    fn load(&self, account: &str) -> Result<Option<Secret>, CoreError> {
        TokenStore::load(self, account)
    }
    fn delete(&self, account: &str) -> Result<(), CoreError> {
        TokenStore::delete(self, account)
    }
}

/// A keychain stand-in for unit tests only (never compiled into the product).
#[cfg(test)]
#[derive(Default)]
pub(crate) struct MemoryStore {
    entries: std::sync::Mutex<std::collections::HashMap<String, Secret>>,
    /// When set, every call fails like a locked keychain.
    pub(crate) broken: std::sync::atomic::AtomicBool,
}

#[cfg(test)]
impl MemoryStore {
    fn check(&self) -> Result<(), CoreError> {
        if self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            Err(CoreError::new(ErrorCode::KeychainUnavailable).with_detail("test: locked"))
        } else {
            Ok(())
        }
    }
    pub(crate) fn get(&self, account: &str) -> Option<Secret> {
        self.entries.lock().unwrap().get(account).cloned()
    }
    /// Entries other than device tokens (which stay across sign-outs by design: they make
    /// this installation a trusted device, see `AccountSession`).
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with("device:"))
            .count()
    }

    /// The device tokens held.
    pub(crate) fn device_tokens(&self) -> usize {
        self.entries
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("device:"))
            .count()
    }
}

#[cfg(test)]
impl SecretStore for MemoryStore {
    fn save(&self, account: &str, secret: &Secret) -> Result<(), CoreError> {
        self.check()?;
        self.entries
            .lock()
            .unwrap()
            .insert(account.to_string(), secret.clone());
        Ok(())
    }
    fn load(&self, account: &str) -> Result<Option<Secret>, CoreError> {
        self.check()?;
        Ok(self.get(account))
    }
    fn delete(&self, account: &str) -> Result<(), CoreError> {
        self.check()?;
        self.entries.lock().unwrap().remove(account);
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct TokenStore {
    service: String,
}

impl TokenStore {
    /// A store whose entries are filed under `service` in the keychain.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, CoreError> {
        keyring::Entry::new(&self.service, account).map_err(keychain_error)
    }

    /// Saves `secret` under `account`, replacing what was there.
    pub fn save(&self, account: &str, secret: &Secret) -> Result<(), CoreError> {
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(keychain_error)
    }

    /// The secret saved under `account`, if any.
    pub fn load(&self, account: &str) -> Result<Option<Secret>, CoreError> {
        match self.entry(account)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    /// Removes the secret under `account`; removing nothing is fine.
    pub fn delete(&self, account: &str) -> Result<(), CoreError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

fn keychain_error(e: keyring::Error) -> CoreError {
    CoreError::new(ErrorCode::KeychainUnavailable).with_detail(e.to_string())
}
