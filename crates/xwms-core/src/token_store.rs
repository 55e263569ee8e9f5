//! Secrets (session tokens) in the operating system's keychain: the Secret Service
//! (gnome-keyring, KWallet) on Linux, the Keychain on macOS, the Credential Manager on Windows.
//!
//! Tokens never go to files, logs or web storage. A keychain that is missing or locked is an
//! error with the stable code `keychain.unavailable`; the app then stays signed out rather than
//! falling back to a file.

use xwms_api::ErrorCode;

use crate::secret::Secret;
use crate::CoreError;

/// The keychain service name the desktop app and the CLI use.
pub const DEFAULT_SERVICE: &str = "nl.xwms.desktop";

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
