//! Secrets at rest: the server key, the TOTP secrets it seals and the pepper of recovery codes.
//!
//! # The server key
//!
//! 256 random bits in a file: `<data-dir>/secret.key` by default (made on first start), or the
//! file named by `--secret-key-file` / `XWMS_SECRET_KEY_FILE` / `secret_key_file` in the config
//! file. The file holds 64 hex digits (a trailing newline is allowed), e.g. what
//! `openssl rand -hex 32` prints. It is created with `create_new` (`O_EXCL`) and mode `0600`
//! before a byte is written; the server refuses to start when an existing key file can be read
//! by group or others, is not 64 hex digits, or does not match the key the database was used
//! with ([`KeyError`]). Keep it out of database backups: a copy of the database alone does not
//! reveal a TOTP secret, nor lets anyone test guesses of recovery codes.
//!
//! HKDF-SHA256 derives three independent values from it (distinct `info` strings): the key of
//! the AEAD for TOTP secrets (`totp-encryption`), the pepper of recovery codes
//! (`recovery-pepper`) and a 4-byte key id (`key-id`) that names the key in what it protects
//! without revealing anything about it.
//!
//! # TOTP secrets: a sealed blob
//!
//! `version (1) ‖ key id (4) ‖ nonce (12) ‖ ChaCha20-Poly1305 ciphertext and tag`, with a random
//! 96-bit nonce per value (from the OS) and `version ‖ key id ‖ nonce ‖ the account id` as the
//! associated data: a blob copied into another account's row, or with its header changed, does
//! not open. A plain secret (20 bytes, as stored before) is never taken for a blob: a blob is at
//! least [`SEALED_MIN_BYTES`] long and starts with [`BLOB_VERSION`].
//!
//! # Recovery codes: an HMAC with a pepper
//!
//! Stored as `h1:<key id>:<hex HMAC-SHA256(pepper, SHA-256(account id ":" code))>`. The inner
//! SHA-256 is what was stored before, so an old row is re-hashed without knowing its code
//! ([`wrap_legacy`]): start-up wraps every old row, and no plain SHA-256 is left in the database.
//!
//! # At start-up
//!
//! [`prepare`] runs after the migrations, in one transaction, and is idempotent: a plain TOTP
//! secret is sealed, a blob of the previous key (`secret.key.old`, see rotation) is sealed again
//! under the current key, an old recovery-code hash is wrapped, and the key id is recorded in
//! `server_meta`. Data under a key the server does not have stops the start with
//! [`KeyError::WrongKey`] instead of failing every sign-in later.
//!
//! # Rotation
//!
//! [`rotate`] (`xwms-server secrets rotate --new-key-file NEW`) keeps the current key as
//! `<key file>.old`, installs the new one and seals every TOTP secret under it in one
//! transaction. Recovery codes hashed under the old pepper keep working (checked against both
//! peppers) until they are used or regenerated; the old key is only read for that.

use std::io::Write;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use sha2::Sha256;

/// File name of the key in the data folder when no `--secret-key-file` is given.
pub const KEY_FILE: &str = "secret.key";
/// What is appended to the key file's name for the previous key after a rotation.
pub(crate) const OLD_KEY_SUFFIX: &str = ".old";
/// Bytes of the server key.
pub(crate) const KEY_BYTES: usize = 32;
/// First byte of a sealed TOTP secret.
pub(crate) const BLOB_VERSION: u8 = 1;
const KEY_ID_BYTES: usize = 4;
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
const HEADER_BYTES: usize = 1 + KEY_ID_BYTES + NONCE_BYTES;
/// The shortest sealed blob (an empty secret); plain secrets are 20 bytes.
pub(crate) const SEALED_MIN_BYTES: usize = HEADER_BYTES + TAG_BYTES;
/// Prefix of a peppered recovery-code hash.
pub(crate) const RECOVERY_HASH_PREFIX: &str = "h1:";
/// `server_meta` key of the id of the key the database was last used with.
pub(crate) const META_KEY_ID: &str = "secret_key_id";

const HKDF_SALT: &[u8] = b"xwms-server secret key v1";
const INFO_TOTP: &[u8] = b"xwms-server totp-encryption v1";
const INFO_PEPPER: &[u8] = b"xwms-server recovery-pepper v1";
const INFO_KEY_ID: &[u8] = b"xwms-server key-id v1";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("secret key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "secret key file {path} can be read by group or others (mode {mode:o}); run `chmod 600 {path}` (it should be readable by the server's user only)"
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("secret key file {path} is malformed: {why} (it must hold 64 hex digits, e.g. from `openssl rand -hex 32`)")]
    Malformed { path: PathBuf, why: String },
    #[error("secret key file {path} does not exist, but the database holds secrets sealed with key {expected}: restore the key file (or pass --secret-key-file)")]
    Missing { path: PathBuf, expected: String },
    #[error("secret key file {path} holds key {key_id}, but the database holds secrets of key {expected}: this is the wrong key file (pass the right one with --secret-key-file)")]
    WrongKey {
        path: PathBuf,
        key_id: String,
        expected: String,
    },
    #[error("sealing the stored secrets failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Rotate(String),
}

/// One server key and what HKDF derives from it.
#[derive(Clone)]
pub struct ServerKey {
    id: [u8; KEY_ID_BYTES],
    aead: ChaCha20Poly1305,
    pepper: [u8; 32],
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

impl ServerKey {
    pub fn from_bytes(bytes: &[u8; KEY_BYTES]) -> ServerKey {
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), bytes);
        let expand = |info: &[u8], out: &mut [u8]| {
            hkdf.expand(info, out)
                .expect("HKDF-SHA256 gives up to 8160 bytes");
        };
        let mut totp = [0u8; 32];
        expand(INFO_TOTP, &mut totp);
        let mut pepper = [0u8; 32];
        expand(INFO_PEPPER, &mut pepper);
        let mut id = [0u8; KEY_ID_BYTES];
        expand(INFO_KEY_ID, &mut id);
        ServerKey {
            id,
            aead: ChaCha20Poly1305::new(Key::from_slice(&totp)),
            pepper,
        }
    }

    /// 256 bits from the operating system.
    pub fn generate() -> ([u8; KEY_BYTES], ServerKey) {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random source is readable");
        (bytes, ServerKey::from_bytes(&bytes))
    }

    /// The key id as 8 hex digits (shown in errors and stored in what the key protects).
    pub fn id(&self) -> String {
        hex::encode(self.id)
    }

    fn seal(&self, user_id: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the operating system's random source is readable");
        let mut blob = Vec::with_capacity(HEADER_BYTES + plain.len() + TAG_BYTES);
        blob.push(BLOB_VERSION);
        blob.extend_from_slice(&self.id);
        blob.extend_from_slice(&nonce);
        let aad = associated_data(&blob, user_id);
        let sealed = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("ChaCha20-Poly1305 seals any secret of a sane size");
        blob.extend_from_slice(&sealed);
        blob
    }

    fn open(&self, user_id: &str, blob: &[u8]) -> Option<Vec<u8>> {
        let (header, sealed) = blob.split_at(HEADER_BYTES);
        let aad = associated_data(header, user_id);
        self.aead
            .decrypt(
                Nonce::from_slice(&header[1 + KEY_ID_BYTES..]),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .ok()
    }

    fn recovery_hash(&self, legacy_hex: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.pepper)
            .expect("HMAC takes a key of any size");
        mac.update(legacy_hex.as_bytes());
        format!(
            "{RECOVERY_HASH_PREFIX}{}:{}",
            self.id(),
            hex::encode(mac.finalize().into_bytes())
        )
    }
}

fn associated_data(header: &[u8], user_id: &str) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(user_id.as_bytes());
    aad
}

/// Whether a stored TOTP value is a sealed blob (else it is a plain secret of before).
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.len() >= SEALED_MIN_BYTES && stored[0] == BLOB_VERSION
}

/// The key id (8 hex digits) of a sealed blob.
pub fn blob_key_id(blob: &[u8]) -> Option<String> {
    is_sealed(blob).then(|| hex::encode(&blob[1..1 + KEY_ID_BYTES]))
}

/// The key id of a peppered recovery-code hash, `None` for an old plain SHA-256.
pub(crate) fn recovery_hash_key_id(hash: &str) -> Option<&str> {
    hash.strip_prefix(RECOVERY_HASH_PREFIX)?.split(':').next()
}

/// The server's keys: the current one, and the previous one after a rotation (read only to
/// open old blobs at start-up and to check recovery codes hashed under its pepper).
#[derive(Debug, Clone)]
pub struct SecretKeys {
    current: ServerKey,
    old: Option<ServerKey>,
}

impl SecretKeys {
    pub fn new(current: ServerKey, old: Option<ServerKey>) -> SecretKeys {
        SecretKeys { current, old }
    }

    /// Loads `path` (creating it when missing and `create` allows) and `<path>.old` if present.
    pub fn load(path: &Path, create: bool) -> Result<SecretKeys, KeyError> {
        let current = match read_key_file(path) {
            Err(KeyError::Io { source, .. })
                if create && source.kind() == std::io::ErrorKind::NotFound =>
            {
                create_key_file(path)?
            }
            other => other?,
        };
        let old_path = old_key_path(path);
        let old = match read_key_file(&old_path) {
            Ok(key) => Some(key),
            Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                None
            }
            Err(err) => return Err(err),
        };
        Ok(SecretKeys { current, old })
    }

    pub fn current(&self) -> &ServerKey {
        &self.current
    }

    pub fn old(&self) -> Option<&ServerKey> {
        self.old.as_ref()
    }

    fn by_id(&self, id: &str) -> Option<&ServerKey> {
        std::iter::once(&self.current)
            .chain(self.old.as_ref())
            .find(|key| key.id() == id)
    }

    /// Seals a TOTP secret of `user_id` under the current key.
    pub fn seal(&self, user_id: &str, plain: &[u8]) -> Vec<u8> {
        self.current.seal(user_id, plain)
    }

    /// Opens a sealed TOTP secret of `user_id`; `None` when it is not a blob of a key the server
    /// has, was sealed for another account, or was changed.
    pub fn open(&self, user_id: &str, blob: &[u8]) -> Option<Vec<u8>> {
        let key = self.by_id(&blob_key_id(blob)?)?;
        key.open(user_id, blob)
    }

    /// How a recovery code (normalised) of `user_id` is stored now.
    pub fn recovery_hash(&self, user_id: &str, normalised: &str) -> String {
        self.current
            .recovery_hash(&legacy_recovery_hash(user_id, normalised))
    }

    /// Every form a recovery code may be stored in: under the current pepper, the old one.
    pub fn recovery_hashes(&self, user_id: &str, normalised: &str) -> Vec<String> {
        let legacy = legacy_recovery_hash(user_id, normalised);
        std::iter::once(&self.current)
            .chain(self.old.as_ref())
            .map(|key| key.recovery_hash(&legacy))
            .collect()
    }
}

/// `<path>.old`.
pub fn old_key_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(OLD_KEY_SUFFIX);
    PathBuf::from(name)
}

/// How recovery codes were stored before the pepper: SHA-256 of the account id, `:` and the
/// normalised code, in hex. Now only the input of the HMAC.
pub fn legacy_recovery_hash(user_id: &str, normalised: &str) -> String {
    use sha2::Digest;
    hex::encode(
        Sha256::new()
            .chain_update(user_id.as_bytes())
            .chain_update(b":")
            .chain_update(normalised.as_bytes())
            .finalize(),
    )
}

/// Re-hashes an old stored recovery-code hash under the current pepper.
pub(crate) fn wrap_legacy(keys: &SecretKeys, legacy_hex: &str) -> String {
    keys.current.recovery_hash(legacy_hex)
}

fn key_io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads and checks a key file (private to its owner, 64 hex digits).
pub fn read_key_file(path: &Path) -> Result<ServerKey, KeyError> {
    let meta = std::fs::metadata(path).map_err(key_io(path))?;
    if !meta.is_file() {
        return Err(KeyError::Malformed {
            path: path.to_owned(),
            why: "not a regular file".into(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    let text = std::fs::read(path).map_err(key_io(path))?;
    parse_key(&text).map_err(|why| KeyError::Malformed {
        path: path.to_owned(),
        why,
    })
}

fn parse_key(text: &[u8]) -> Result<ServerKey, String> {
    let text = std::str::from_utf8(text).map_err(|_| "not text".to_owned())?;
    let hex_digits = text.trim_end_matches(['\n', '\r']);
    if hex_digits.len() != KEY_BYTES * 2 {
        return Err(format!(
            "{} characters instead of {}",
            hex_digits.chars().count(),
            KEY_BYTES * 2
        ));
    }
    let mut bytes = [0u8; KEY_BYTES];
    hex::decode_to_slice(hex_digits, &mut bytes).map_err(|_| "not hex digits".to_owned())?;
    if bytes.iter().all(|b| *b == 0) {
        return Err("all zeros".into());
    }
    Ok(ServerKey::from_bytes(&bytes))
}

/// Creates a new key file: `create_new` (fails if it exists) with mode 0600 from the start, the
/// key written and synced. Another process that created it first wins: its key is read.
pub(crate) fn create_key_file(path: &Path) -> Result<ServerKey, KeyError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(key_io(path))?;
    }
    let (bytes, key) = ServerKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            return read_key_file(path);
        }
        Err(err) => return Err(key_io(path)(err)),
    };
    file.write_all(format!("{}\n", hex::encode(bytes)).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(key_io(path))?;
    tracing::info!(path = %path.display(), key_id = %key.id(), "created a new secret key file");
    Ok(key)
}

/// What [`prepare`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrepareReport {
    /// Plain TOTP secrets sealed.
    pub sealed: usize,
    /// Blobs of the old key sealed again under the current one.
    pub resealed: usize,
    /// Old recovery-code hashes re-hashed with the pepper.
    pub wrapped: usize,
}

/// Key ids found in the stored TOTP secrets and `server_meta`, for checking the key before use.
/// (Recovery codes do not stop a start: an account with codes has a TOTP secret too, and codes
/// under a key that is gone, e.g. a deleted `.old` file, just stop working; [`prepare`] logs
/// how many.)
pub(crate) fn stored_key_ids(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut ids = std::collections::BTreeSet::new();
    let recorded: Option<String> = conn
        .query_row(
            "SELECT value FROM server_meta WHERE key = ?1",
            [META_KEY_ID],
            |r| r.get(0),
        )
        .optional()?;
    ids.extend(recorded);
    let mut stmt = conn.prepare("SELECT secret, pending_secret FROM two_factor")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Option<Vec<u8>>>(0)?,
            r.get::<_, Option<Vec<u8>>>(1)?,
        ))
    })?;
    for row in rows {
        let (secret, pending) = row?;
        ids.extend(secret.iter().chain(&pending).filter_map(|b| blob_key_id(b)));
    }
    Ok(ids.into_iter().collect())
}

/// Checks that the keys fit the database, then seals what is still plain and records the key
/// id; one transaction, idempotent (see the module documentation).
pub fn prepare(
    conn: &mut Connection,
    keys: &SecretKeys,
    key_path: &Path,
) -> Result<PrepareReport, KeyError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_ids(&tx, keys, key_path)?;
    let report = seal_all(&tx, keys)?;
    tx.execute(
        "INSERT INTO server_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![META_KEY_ID, keys.current.id()],
    )?;
    let orphans = orphan_codes(&tx, keys)?;
    tx.commit()?;
    if orphans > 0 {
        tracing::warn!(
            codes = orphans,
            "unused recovery codes were made under a key this server no longer has (a removed secret.key.old?); they no longer work"
        );
    }
    if report != PrepareReport::default() {
        tracing::info!(?report, "sealed stored secrets under the server key");
    }
    Ok(report)
}

fn check_ids(tx: &Transaction<'_>, keys: &SecretKeys, key_path: &Path) -> Result<(), KeyError> {
    let unknown = stored_key_ids(tx)?
        .into_iter()
        .find(|id| keys.by_id(id).is_none());
    match unknown {
        Some(expected) => Err(KeyError::WrongKey {
            path: key_path.to_owned(),
            key_id: keys.current.id(),
            expected,
        }),
        None => Ok(()),
    }
}

/// Unused recovery codes hashed under neither the current nor the old key.
fn orphan_codes(tx: &Transaction<'_>, keys: &SecretKeys) -> rusqlite::Result<usize> {
    let mut stmt = tx.prepare("SELECT hash FROM recovery_codes WHERE used_at IS NULL")?;
    let hashes = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut orphans = 0;
    for hash in hashes {
        let hash = hash?;
        if recovery_hash_key_id(&hash).is_some_and(|id| keys.by_id(id).is_none()) {
            orphans += 1;
        }
    }
    Ok(orphans)
}

/// The key id the database expects, when it holds any secret (for a missing key file).
pub(crate) fn expected_key_id(conn: &Connection) -> rusqlite::Result<Option<String>> {
    Ok(stored_key_ids(conn)?.into_iter().next())
}

/// A `two_factor` row: account id, secret, pending secret.
type StoredTotp = (String, Option<Vec<u8>>, Option<Vec<u8>>);

fn seal_all(tx: &Transaction<'_>, keys: &SecretKeys) -> Result<PrepareReport, KeyError> {
    let mut report = PrepareReport::default();
    let rows: Vec<StoredTotp> = tx
        .prepare("SELECT user_id, secret, pending_secret FROM two_factor")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (user_id, secret, pending) in rows {
        let mut changed = false;
        let mut reseal = |stored: Option<Vec<u8>>| -> Result<Option<Vec<u8>>, KeyError> {
            let Some(stored) = stored else {
                return Ok(None);
            };
            if !is_sealed(&stored) {
                report.sealed += 1;
                changed = true;
                return Ok(Some(keys.seal(&user_id, &stored)));
            }
            if blob_key_id(&stored).as_deref() == Some(keys.current.id().as_str()) {
                return Ok(Some(stored));
            }
            // Checked by `check_ids`: the blob is of the old key.
            let plain = keys.open(&user_id, &stored).ok_or_else(|| {
                KeyError::Rotate(format!(
                    "the TOTP secret of account {user_id} does not open with its key"
                ))
            })?;
            report.resealed += 1;
            changed = true;
            Ok(Some(keys.seal(&user_id, &plain)))
        };
        let secret = reseal(secret)?;
        let pending = reseal(pending)?;
        if changed {
            tx.execute(
                "UPDATE two_factor SET secret = ?2, pending_secret = ?3 WHERE user_id = ?1",
                params![user_id, secret, pending],
            )?;
        }
    }
    let legacy: Vec<(String, String)> = tx
        .prepare("SELECT user_id, hash FROM recovery_codes WHERE hash NOT LIKE 'h1:%'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (user_id, hash) in legacy {
        tx.execute(
            "UPDATE recovery_codes SET hash = ?3 WHERE user_id = ?1 AND hash = ?2",
            params![user_id, hash, wrap_legacy(keys, &hash)],
        )?;
        report.wrapped += 1;
    }
    Ok(report)
}

/// Loads the keys for a server whose store is open: `key_path` is created on first start, but
/// not when the database already holds secrets of some key (then the file was lost or the path
/// is wrong); then [`prepare`].
pub fn load_and_prepare(conn: &mut Connection, key_path: &Path) -> Result<SecretKeys, KeyError> {
    let exists = std::fs::symlink_metadata(key_path).is_ok();
    if !exists {
        if let Some(expected) = expected_key_id(conn)? {
            return Err(KeyError::Missing {
                path: key_path.to_owned(),
                expected,
            });
        }
    }
    let keys = SecretKeys::load(key_path, true)?;
    prepare(conn, &keys, key_path)?;
    Ok(keys)
}

/// What [`rotate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotateReport {
    pub resealed: usize,
    /// Recovery codes still under the old pepper (they work until used or regenerated).
    pub codes_under_old_key: usize,
}

/// Rotates the server key: the key in `key_path` becomes `<key_path>.old`, the key in
/// `new_key_path` (created 0600 when missing) is copied to `key_path`, and every TOTP secret is
/// sealed under it in one transaction. Refused while recovery codes still depend on an earlier
/// `.old` key (it would be lost), and when the new key is the current one. Run it with the
/// server stopped.
pub fn rotate(
    conn: &mut Connection,
    key_path: &Path,
    new_key_path: &Path,
) -> Result<RotateReport, KeyError> {
    let keys = SecretKeys::load(key_path, false)?;
    prepare(conn, &keys, key_path)?;
    let new_key = match read_key_file(new_key_path) {
        Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            create_key_file(new_key_path)?
        }
        other => other?,
    };
    if new_key.id() == keys.current.id() {
        return Err(KeyError::Rotate(format!(
            "{} holds the current key already",
            new_key_path.display()
        )));
    }
    if let Some(old) = &keys.old {
        let still: i64 = conn.query_row(
            "SELECT count(*) FROM recovery_codes WHERE used_at IS NULL AND hash LIKE ?1",
            [format!("{RECOVERY_HASH_PREFIX}{}:%", old.id())],
            |r| r.get(0),
        )?;
        if still > 0 {
            return Err(KeyError::Rotate(format!(
                "{still} unused recovery codes still depend on the previous key in {}; rotate again once they are regenerated",
                old_key_path(key_path).display()
            )));
        }
    }
    let old_path = old_key_path(key_path);
    let current_text = std::fs::read(key_path).map_err(key_io(key_path))?;
    let new_text = std::fs::read(new_key_path).map_err(key_io(new_key_path))?;
    write_private_replacing(&old_path, &current_text)?;
    write_private_replacing(key_path, &new_text)?;
    let rotated = SecretKeys::new(new_key, Some(keys.current.clone()));
    let report = prepare(conn, &rotated, key_path)?;
    let codes_under_old_key: i64 = conn.query_row(
        "SELECT count(*) FROM recovery_codes WHERE used_at IS NULL AND hash LIKE ?1",
        [format!("{RECOVERY_HASH_PREFIX}{}:%", keys.current.id())],
        |r| r.get(0),
    )?;
    Ok(RotateReport {
        resealed: report.resealed,
        codes_under_old_key: usize::try_from(codes_under_old_key).unwrap_or(0),
    })
}

/// [`rotate`] on the store in `data_dir` (for the command line). Blocking.
pub fn rotate_in(
    data_dir: &Path,
    key_path: &Path,
    new_key_path: &Path,
) -> Result<RotateReport, KeyError> {
    let store = crate::store::Store::open_in(data_dir)
        .map_err(|err| KeyError::Rotate(format!("cannot open the database: {err}")))?;
    let mut report = None;
    store
        .blocking(|conn| {
            report = Some(rotate(conn, key_path, new_key_path));
            Ok(())
        })
        .map_err(|err| KeyError::Rotate(err.to_string()))?;
    store.close();
    report.expect("the closure ran")
}

/// Writes `bytes` to a new private temp file beside `path` and renames it over `path`.
fn write_private_replacing(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(key_io(&tmp))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(key_io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(key_io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SecretKeys {
        SecretKeys::new(ServerKey::from_bytes(&[7; 32]), None)
    }

    #[test]
    fn a_sealed_secret_opens_for_its_account_only() {
        let keys = keys();
        let secret = [9u8; 20];
        let blob = keys.seal("user-a", &secret);
        assert!(is_sealed(&blob));
        assert!(!is_sealed(&secret), "a plain secret is never a blob");
        assert_eq!(blob.len(), SEALED_MIN_BYTES + 20);
        assert!(!blob.windows(20).any(|w| w == secret));
        assert_eq!(keys.open("user-a", &blob).as_deref(), Some(&secret[..]));
        assert_eq!(keys.open("user-b", &blob), None, "moved to another account");
        let mut changed = blob.clone();
        changed[1] ^= 1;
        assert_eq!(keys.open("user-a", &changed), None, "key id changed");
        let mut changed = blob.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(keys.open("user-a", &changed), None, "tag changed");
        let other = SecretKeys::new(ServerKey::from_bytes(&[8; 32]), None);
        assert_eq!(other.open("user-a", &blob), None, "another key");
        assert_ne!(
            keys.seal("user-a", &secret),
            blob,
            "a fresh nonce each time"
        );
    }

    #[test]
    fn the_old_key_still_opens_and_checks_codes() {
        let old = ServerKey::from_bytes(&[1; 32]);
        let blob = SecretKeys::new(old.clone(), None).seal("u", b"s");
        let hash = SecretKeys::new(old.clone(), None).recovery_hash("u", "abcdefgh");
        let rotated = SecretKeys::new(ServerKey::from_bytes(&[2; 32]), Some(old));
        assert_eq!(rotated.open("u", &blob).as_deref(), Some(&b"s"[..]));
        assert!(rotated.recovery_hashes("u", "abcdefgh").contains(&hash));
        assert_ne!(rotated.recovery_hash("u", "abcdefgh"), hash);
    }

    #[test]
    fn recovery_hashes_are_peppered_and_per_account() {
        let keys = keys();
        let hash = keys.recovery_hash("a", "abcdefgh");
        assert!(
            hash.starts_with(&format!("h1:{}:", keys.current().id())),
            "{hash}"
        );
        assert_ne!(hash, keys.recovery_hash("b", "abcdefgh"));
        assert!(!hash.contains(&legacy_recovery_hash("a", "abcdefgh")));
        assert_eq!(
            wrap_legacy(&keys, &legacy_recovery_hash("a", "abcdefgh")),
            hash,
            "an old row wrapped equals the new form"
        );
        assert_ne!(
            SecretKeys::new(ServerKey::from_bytes(&[8; 32]), None).recovery_hash("a", "abcdefgh"),
            hash,
            "another pepper"
        );
    }

    #[test]
    fn subkeys_differ_and_the_id_is_stable() {
        let key = ServerKey::from_bytes(&[7; 32]);
        assert_eq!(key.id(), ServerKey::from_bytes(&[7; 32]).id());
        assert_ne!(key.id(), ServerKey::from_bytes(&[6; 32]).id());
        assert_eq!(key.id().len(), 8);
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_made_private_and_checked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(KEY_FILE);
        let made = create_key_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim_end().len(), 64);
        assert_eq!(read_key_file(&path).unwrap().id(), made.id());
        assert_eq!(
            SecretKeys::load(&path, true).unwrap().current().id(),
            made.id(),
            "loaded, not made again"
        );

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_key_file(&path).unwrap_err();
        assert!(
            matches!(err, KeyError::Permissions { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");

        for (bad, why) in [
            ("", "characters"),
            ("abc\n", "characters"),
            (&"zz".repeat(32), "hex"),
            (&"00".repeat(32), "zeros"),
        ] {
            std::fs::write(&path, bad).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            let err = read_key_file(&path).unwrap_err();
            assert!(
                matches!(err, KeyError::Malformed { .. }) && err.to_string().contains(why),
                "{bad:?}: {err}"
            );
        }
        let missing = dir.path().join("none");
        assert!(matches!(
            SecretKeys::load(&missing, false),
            Err(KeyError::Io { .. })
        ));
    }
}
