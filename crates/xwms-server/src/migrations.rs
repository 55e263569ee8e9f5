//! Versioned schema migrations.
//!
//! [`MIGRATIONS`] is an append-only list: a shipped migration is never edited, a change is a new
//! entry with the next version. [`run`] applies the missing ones in order, each in its own
//! `BEGIN IMMEDIATE` transaction together with its row in `schema_migrations`, so a crash
//! leaves the schema at a whole version and two processes starting at once do not both apply
//! the same step. Running it again on an up-to-date database changes nothing.

use rusqlite::{Connection, TransactionBehavior};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "server_meta",
        // Facts about this installation, key → value: `instance_id` (random, set once here),
        // `demo_seeded_at` (see crate::demo), ...
        sql: "CREATE TABLE server_meta (
              key   TEXT PRIMARY KEY NOT NULL,
              value TEXT NOT NULL
          ) STRICT;
          INSERT INTO server_meta (key, value) VALUES ('instance_id', lower(hex(randomblob(16))));",
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: ACCOUNTS,
    },
    Migration {
        version: 3,
        name: "help",
        sql: HELP,
    },
    Migration {
        version: 4,
        name: "security_center",
        sql: SECURITY_CENTER,
    },
    Migration {
        version: 5,
        name: "sign_in_defences",
        sql: SIGN_IN_DEFENCES,
    },
    Migration {
        version: 6,
        name: "recovery_limit_key",
        // Recovery requests are limited per client limit key (the IPv4 address or the IPv6
        // /64, policy::LIMIT_KEYS); `ip` stays the exact address shown to support.
        sql: "ALTER TABLE recovery_requests ADD COLUMN limit_key TEXT;
              UPDATE recovery_requests SET limit_key = ip;
              CREATE INDEX recovery_requests_limit_key ON recovery_requests (limit_key, created_at);",
    },
    Migration {
        version: 7,
        name: "help_feedback_totals",
        sql: HELP_FEEDBACK_TOTALS,
    },
    Migration {
        version: 8,
        name: "mail_outbox_handoff",
        sql: MAIL_OUTBOX_HANDOFF,
    },
    Migration {
        version: 9,
        name: "rate_events",
        // One row per counted request or mail, for the sliding-window limits per client address
        // and the global mail limit (`crate::accounts::limits`); `scope` names the limit, `key`
        // the client's limit key ('' for a global limit). Rows, not memory, so that several
        // server instances on one database share the counts. Pruned after the longest window.
        sql: "CREATE TABLE rate_events (
              id    INTEGER PRIMARY KEY,
              scope TEXT NOT NULL,
              key   TEXT NOT NULL,
              at    INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX rate_events_by_key ON rate_events (scope, key, at);",
    },
    Migration {
        version: 10,
        name: "session_reauthentication",
        // When the session's owner last proved the password (sign-in, re-authentication, or a
        // right password in a request that takes one): sensitive changes need it within
        // `policy::REAUTH.window`. Sessions from before have none (they must re-authenticate).
        sql: "ALTER TABLE sessions ADD COLUMN reauthenticated_at INTEGER;",
    },
    Migration {
        version: 11,
        name: "live_support",
        sql: LIVE_SUPPORT,
    },
    Migration {
        version: 12,
        name: "support_uploads",
        // Files uploaded before their conversation exists (`POST /api/support/attachments`),
        // owned by the account and bound to nothing yet. Starting a conversation moves the
        // ones its first message names into `support_attachments` (same id) in the same
        // transaction; the rest is pruned after `support::UPLOAD_KEEP_HOURS`.
        sql: "CREATE TABLE support_uploads (
              id           TEXT PRIMARY KEY NOT NULL,
              account_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
              file_name    TEXT NOT NULL,
              content_type TEXT NOT NULL,
              size_bytes   INTEGER NOT NULL,
              bytes        BLOB NOT NULL,
              created_at   INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX support_uploads_account ON support_uploads (account_id, created_at);",
    },
    Migration {
        version: 13,
        name: "agent_actions",
        sql: AGENT_ACTIONS,
    },
    Migration {
        version: 14,
        name: "agent_queue",
        sql: AGENT_QUEUE,
    },
];

/// Migration `agent_actions`: the support team's audit log (issue 12,
/// `crate::accounts::agent_actions`).
///
/// - `agent_audit`: one row per action of an agent, written in the transaction of the action.
///   Append-only: triggers refuse every UPDATE and DELETE. Ids are kept as plain text (no
///   foreign keys), so a record outlives the accounts and conversations it names.
/// - `users.suspended_at` / `suspension_reason`: set while the support team suspends the
///   account (a `SuspensionReason` wire value).
/// - `support_conversations.account_id`: the account a guest case is about when it is not a
///   recovery request (a suspension appeal).
/// - `suspension_appeal_tokens`: hashed, expiring tokens given with `auth.suspended` at
///   sign-in; one opens (or adds to) the account's appeal case.
const AGENT_ACTIONS: &str = "
CREATE TABLE agent_audit (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    agent_id        TEXT NOT NULL,
    agent_name      TEXT NOT NULL,
    action          TEXT NOT NULL,
    account_id      TEXT,
    conversation_id TEXT,
    reason          TEXT NOT NULL DEFAULT '',
    details         TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX agent_audit_conversation ON agent_audit (conversation_id, id);
CREATE INDEX agent_audit_account ON agent_audit (account_id, at);
CREATE INDEX agent_audit_at ON agent_audit (at);
CREATE TRIGGER agent_audit_no_update BEFORE UPDATE ON agent_audit
BEGIN
    SELECT RAISE(ABORT, 'agent_audit is append-only');
END;
CREATE TRIGGER agent_audit_no_delete BEFORE DELETE ON agent_audit
BEGIN
    SELECT RAISE(ABORT, 'agent_audit is append-only');
END;

ALTER TABLE users ADD COLUMN suspended_at INTEGER;
ALTER TABLE users ADD COLUMN suspension_reason TEXT;
ALTER TABLE support_conversations ADD COLUMN account_id TEXT REFERENCES users (id) ON DELETE SET NULL;
CREATE TABLE suspension_appeal_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
";

/// Agent mode's queue (`accounts::agent_queue`):
/// - `support_conversations.assignee_id`: the agent who holds the conversation (claimed or
///   assigned), NULL while unassigned; set only by a conditional UPDATE, so one claim wins.
/// - `support_notes`: internal notes of the support team, kept apart from `support_messages`
///   and the event log, so nothing a person reads (answers, replay, mail) can include them.
/// - `support_saved_replies`: replies the team saved per language (shared; the author is kept
///   by name, so a reply outlives its author's account).
const AGENT_QUEUE: &str = "
ALTER TABLE support_conversations ADD COLUMN assignee_id TEXT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX support_conversations_queue ON support_conversations (status, assignee_id);

CREATE TABLE support_notes (
    id              TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id) ON DELETE CASCADE,
    author_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_name     TEXT NOT NULL,
    client_msg_id   TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (author_id, client_msg_id)
) STRICT;
CREATE INDEX support_notes_conversation ON support_notes (conversation_id, created_at);

CREATE TABLE support_saved_replies (
    id          TEXT PRIMARY KEY NOT NULL,
    language    TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    author_name TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX support_saved_replies_language ON support_saved_replies (language, title);
";

/// Migration 11: live support (issue 11, `crate::accounts::support`).
///
/// - `users.role`: `user`, `agent` or `admin`; agents (and admins) read and answer every
///   conversation. Accounts that were agents (`is_agent`) become `agent`.
/// - `support_conversations`: one per case; `person_id` is NULL for a guest case (a recovery
///   request filed without signing in, `recovery_id`). Read markers of both sides, the newest
///   seq, and the seq up to which an unseen reply was mailed.
/// - `support_events`: the event log. `seq` only grows (AUTOINCREMENT never reuses a pruned
///   seq); `account_id` is the conversation's person (NULL for a guest case). Written in the
///   same transaction as the change; pruned after `support::LOG_KEEP_DAYS` (the highest pruned
///   seq is kept in `server_meta` as `support_pruned_seq`).
/// - `support_messages`: `UNIQUE (author_id, client_msg_id)` makes sending exactly once (system
///   messages have no client id). `author_id` is the account, or `guest:<conversation id>`.
/// - `support_attachments`: the bytes, with the uploader and, once sent, the message.
/// - `support_guest_codes` / `support_guest_tokens`: hashed, expiring; `support_deflections`:
///   counts per article and topic.
const LIVE_SUPPORT: &str = "
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'agent', 'admin'));
UPDATE users SET role = 'agent' WHERE is_agent = 1;

CREATE TABLE support_conversations (
    id                TEXT PRIMARY KEY NOT NULL,
    reference         TEXT NOT NULL UNIQUE,
    person_id         TEXT REFERENCES users (id) ON DELETE CASCADE,
    recovery_id       INTEGER REFERENCES recovery_requests (id) ON DELETE SET NULL,
    person_name       TEXT NOT NULL,
    contact_email     TEXT NOT NULL,
    topic             TEXT NOT NULL,
    subject           TEXT NOT NULL,
    status            TEXT NOT NULL,
    language          TEXT NOT NULL,
    guest             INTEGER NOT NULL DEFAULT 0 CHECK (guest IN (0, 1)),
    agent_name        TEXT,
    rating            INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment    TEXT NOT NULL DEFAULT '',
    person_read_seq   INTEGER NOT NULL DEFAULT 0,
    agent_read_seq    INTEGER NOT NULL DEFAULT 0,
    last_seq          INTEGER NOT NULL DEFAULT 0,
    mailed_seq        INTEGER NOT NULL DEFAULT 0,
    closed_at         INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX support_conversations_person ON support_conversations (person_id, updated_at);

CREATE TABLE support_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      TEXT,
    conversation_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX support_events_account ON support_events (account_id, seq);

CREATE TABLE support_messages (
    id              TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    author_id       TEXT NOT NULL,
    author_kind     TEXT NOT NULL,
    author_name     TEXT NOT NULL,
    client_msg_id   TEXT,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (author_id, client_msg_id)
) STRICT;
CREATE INDEX support_messages_conversation ON support_messages (conversation_id, seq);

CREATE TABLE support_attachments (
    id              TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id) ON DELETE CASCADE,
    uploader_id     TEXT NOT NULL,
    message_id      TEXT REFERENCES support_messages (id) ON DELETE CASCADE,
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    bytes           BLOB NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX support_attachments_message ON support_attachments (message_id);

CREATE TABLE support_guest_codes (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id) ON DELETE CASCADE,
    code_hash       TEXT NOT NULL,
    tries           INTEGER NOT NULL DEFAULT 0,
    used            INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX support_guest_codes_conversation ON support_guest_codes (conversation_id, created_at);

CREATE TABLE support_guest_tokens (
    token_hash      TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id) ON DELETE CASCADE,
    expires_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE support_deflections (
    article_id TEXT NOT NULL,
    topic      TEXT NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (article_id, topic)
) STRICT;
";

/// Migration 5: sign-in defences that hold under concurrency and abuse (issue 9).
///
/// - `sign_in_guards` gains a `budget`: `''` for unknown installations, or the installation id
///   of a trusted device (one that presented a valid device token, see `known_devices`). Each
///   budget has its own failure count and lock, so strangers lock only the unknown budget.
/// - `sign_in_failures` rows are written *before* the password or code is checked (`pending = 1`,
///   a reservation) and either judged a failure (`pending = 0`) or deleted after a success, so the
///   gate counts attempts in flight. `account_window = 0` once a mailbox proof (unlock, reset)
///   cleared the unusual-activity window.
/// - `known_devices`: the OWASP "device cookie": a device token per account and installation,
///   stored as a SHA-256, rotated at every sign-in; `denied_at` once "Not me" named it (its next
///   sign-ins need a mailed `confirm_device` code until "This was me").
/// - `email_codes` are bound to the request that asked for them: a code row per challenge
///   (`challenge_hash`, the SHA-256 of an opaque id given only to that client), several pending per
///   purpose and subject, and `code_tries` counts wrong tries per purpose and subject across
///   re-issued codes for the daily cap.
const SIGN_IN_DEFENCES: &str = "
CREATE TABLE sign_in_guards_v5 (
    email_key       TEXT NOT NULL,
    budget          TEXT NOT NULL DEFAULT '',
    failures        INTEGER NOT NULL DEFAULT 0,
    last_failure_at INTEGER,
    locked_until    INTEGER,
    hard_locked     INTEGER NOT NULL DEFAULT 0 CHECK (hard_locked IN (0, 1)),
    lock_reason     TEXT,
    PRIMARY KEY (email_key, budget)
) STRICT;
INSERT INTO sign_in_guards_v5 (email_key, budget, failures, last_failure_at, locked_until, hard_locked, lock_reason)
    SELECT email_key, '', failures, last_failure_at, locked_until, hard_locked, lock_reason FROM sign_in_guards;
DROP TABLE sign_in_guards;
ALTER TABLE sign_in_guards_v5 RENAME TO sign_in_guards;

ALTER TABLE sign_in_failures ADD COLUMN budget TEXT NOT NULL DEFAULT '';
ALTER TABLE sign_in_failures ADD COLUMN pending INTEGER NOT NULL DEFAULT 0 CHECK (pending IN (0, 1));
ALTER TABLE sign_in_failures ADD COLUMN account_window INTEGER NOT NULL DEFAULT 1 CHECK (account_window IN (0, 1));
CREATE INDEX sign_in_failures_budget ON sign_in_failures (email_key, budget, at);

ALTER TABLE sign_in_challenges ADD COLUMN budget TEXT NOT NULL DEFAULT '';

CREATE TABLE known_devices (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    installation_id TEXT NOT NULL,
    token_hash      TEXT NOT NULL,
    first_seen_at   INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    denied_at       INTEGER,
    PRIMARY KEY (user_id, installation_id)
) STRICT;

CREATE TABLE email_codes_v5 (
    purpose        TEXT NOT NULL CHECK (purpose IN ('verify_email', 'unlock', 'reset_password', 'change_email', 'confirm_device')),
    subject        TEXT NOT NULL,
    challenge_hash TEXT NOT NULL,
    user_id        TEXT REFERENCES users (id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    code_salt      BLOB NOT NULL,
    code_hash      BLOB NOT NULL,
    decoy          INTEGER NOT NULL DEFAULT 0 CHECK (decoy IN (0, 1)),
    sent_at        INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    tries          INTEGER NOT NULL DEFAULT 0,
    last_try_at    INTEGER,
    new_email      TEXT,
    pending_name          TEXT,
    pending_password_hash TEXT,
    -- 0 while the resend rule kept this request's code from being mailed (a resend mails it).
    mailed         INTEGER NOT NULL DEFAULT 1 CHECK (mailed IN (0, 1)),
    PRIMARY KEY (purpose, subject, challenge_hash)
) STRICT;
DROP TABLE email_codes;
ALTER TABLE email_codes_v5 RENAME TO email_codes;
CREATE INDEX email_codes_expiry ON email_codes (expires_at);
CREATE INDEX email_codes_subject ON email_codes (purpose, subject, sent_at);

CREATE TABLE code_tries (
    id      INTEGER PRIMARY KEY,
    purpose TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The limit key of the client that tried.
    network TEXT NOT NULL,
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX code_tries_subject ON code_tries (purpose, subject, at);
";

/// Migration 7: "Was this helpful?" counted once per installation per article, with running
/// totals (no recount per vote).
const HELP_FEEDBACK_TOTALS: &str = "
-- The vote of one installation on one article; a later vote replaces it. `installation` is the
-- SHA-256 (hex) of the installation id the client sent.
CREATE TABLE help_votes (
    id           TEXT NOT NULL,
    installation TEXT NOT NULL,
    lang         TEXT NOT NULL,
    helpful      INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    at           INTEGER NOT NULL,
    PRIMARY KEY (id, installation)
) STRICT, WITHOUT ROWID;
-- Running totals per article: votes of installations (one each) plus votes without one (kept
-- in help_feedback). Updated in the transaction that records a vote.
CREATE TABLE help_feedback_totals (
    id          TEXT PRIMARY KEY NOT NULL,
    helpful     INTEGER NOT NULL DEFAULT 0 CHECK (helpful >= 0),
    not_helpful INTEGER NOT NULL DEFAULT 0 CHECK (not_helpful >= 0)
) STRICT;
INSERT INTO help_feedback_totals (id, helpful, not_helpful)
    SELECT id, sum(helpful), count(*) - sum(helpful) FROM help_feedback GROUP BY id;
-- Votes per client address in the current fixed window (policy HELP_FEEDBACK_PER_IP).
CREATE TABLE help_feedback_limits (
    ip           TEXT PRIMARY KEY NOT NULL,
    window_start INTEGER NOT NULL,
    votes        INTEGER NOT NULL
) STRICT;
";

/// Migration 8: the outbox hands a mail to its transport at most once. `sending_at` is set (and
/// committed) before the hand-off; a row found with it set and neither `sent_at` nor a recorded
/// failure after a restart is marked `uncertain_at` and not sent again (see `mail::outbox`).
const MAIL_OUTBOX_HANDOFF: &str = "
ALTER TABLE mail_outbox ADD COLUMN sending_at INTEGER;
ALTER TABLE mail_outbox ADD COLUMN uncertain_at INTEGER;
DROP INDEX mail_outbox_due;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND given_up_at IS NULL AND uncertain_at IS NULL;
";

/// Migration 4: the security center: two-step verification, sign-in challenges, recovery
/// codes, new-sign-in alerts, what is known about the password, networks of sessions, and API
/// credentials.
///
/// Since issue 9 `two_factor.secret` and `pending_secret` hold sealed blobs and
/// `recovery_codes.hash` an HMAC with the server's pepper, not what the comments below say: rows
/// of before are sealed at start-up after the migrations, in Rust (`crate::secrets::prepare`).
const SECURITY_CENTER: &str = "
-- Two-step verification per account. `secret` (20 random bytes) is set while 2FA is on; it
-- must be readable to check codes, so it is the one credential kept as is (the database file
-- is private to the server, see crate::store). `last_step` is the last accepted TOTP time step:
-- a code of that step or an earlier one is never accepted again. A pending secret from a
-- set-up is kept until `pending_expires_at`.
CREATE TABLE two_factor (
    user_id            TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret             BLOB,
    enabled_at         INTEGER,
    last_step          INTEGER,
    pending_secret     BLOB,
    pending_expires_at INTEGER,
    codes_generated_at INTEGER
) STRICT;

-- Recovery codes: only a SHA-256 of the account id and the normalised code is kept; each works
-- once (`used_at`). A new set deletes the old one.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash    TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, hash)
) STRICT;

-- A sign-in waiting for its second factor, by the SHA-256 of the opaque challenge. Bound to the
-- device and client of the password step: the session opens with these facts.
CREATE TABLE sign_in_challenges (
    hash            TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_name     TEXT NOT NULL,
    device_os       TEXT NOT NULL,
    app             TEXT NOT NULL,
    app_version     TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    ip              TEXT NOT NULL,
    user_agent      TEXT NOT NULL,
    failures_before INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_challenges_user ON sign_in_challenges (user_id);

-- Whether the password met the rule when the server last saw it (NULL: not known), and when it
-- was last changed (NULL: never since the account was made).
ALTER TABLE users ADD COLUMN password_meets_rule INTEGER CHECK (password_meets_rule IN (0, 1));
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;

-- The network of a session's sign-in (policy::NETWORKS): a sign-in from a network the account
-- never used is a new-sign-in alert. Empty for sessions from before this migration.
ALTER TABLE sessions ADD COLUMN network TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_user_network ON sessions (user_id, network);

-- The session an event is about (from its details), and for new-sign-in alerts whether the
-- person said 'This was me' (confirmed) or 'Not me' (denied).
ALTER TABLE security_events ADD COLUMN session_id TEXT;
ALTER TABLE security_events ADD COLUMN alert_status TEXT CHECK (alert_status IN ('pending', 'confirmed', 'denied'));
CREATE INDEX security_events_user_id ON security_events (user_id, id);

-- API credentials: `client_id` is public; only a SHA-256 of the secret is kept.
CREATE TABLE api_clients (
    id                TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    -- Lower-cased name: names are unique per account without regard to case.
    name_key          TEXT NOT NULL,
    client_id         TEXT NOT NULL UNIQUE,
    secret_hash       TEXT NOT NULL,
    secret_created_at INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    last_used_at      INTEGER,
    enabled           INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    UNIQUE (user_id, name_key)
) STRICT;
";

/// Migration 3: the help center (see `crate::help`). `version` is the content version in which
/// a row last changed; the current version is `server_meta.help_version`.
const HELP: &str = "
CREATE TABLE help_categories (
    slug     TEXT NOT NULL,
    lang     TEXT NOT NULL CHECK (lang IN ('en', 'nl', 'fr')),
    title    TEXT NOT NULL,
    subtitle TEXT NOT NULL,
    ord      INTEGER NOT NULL,
    PRIMARY KEY (slug, lang)
) STRICT;

CREATE TABLE help_articles (
    id       TEXT NOT NULL,
    lang     TEXT NOT NULL CHECK (lang IN ('en', 'nl', 'fr')),
    slug     TEXT NOT NULL,
    category TEXT NOT NULL,
    title    TEXT NOT NULL,
    -- Plain text with [label](target) links.
    body     TEXT NOT NULL,
    -- JSON array of strings.
    tags     TEXT NOT NULL,
    popular  INTEGER NOT NULL CHECK (popular IN (0, 1)),
    ord      INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    PRIMARY KEY (id, lang)
) STRICT;
CREATE INDEX help_articles_by_version ON help_articles (version);

-- Articles removed from the help center, so a sync can tell clients to drop them.
CREATE TABLE help_deleted (
    id      TEXT NOT NULL,
    lang    TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (id, lang)
) STRICT;

-- Answers to 'Was this helpful?'; `at` in milliseconds.
CREATE TABLE help_feedback (
    id      TEXT NOT NULL,
    lang    TEXT NOT NULL,
    helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX help_feedback_by_article ON help_feedback (id);
";

/// Migration 2: accounts, codes, sessions, lockout, recovery requests, security events and the
/// mail outbox. Every instant is INTEGER milliseconds since the Unix epoch (`crate::clock`).
const ACCOUNTS: &str = "
-- A person's account. `id` is XWMS's `sub`: random, stable, never reused.
CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    -- Lower case; unique when set.
    username       TEXT UNIQUE,
    email          TEXT NOT NULL,
    -- Lower-cased email: addresses are unique without regard to case.
    email_key      TEXT NOT NULL UNIQUE,
    email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    -- argon2id PHC string.
    password_hash  TEXT NOT NULL,
    timezone       TEXT NOT NULL DEFAULT 'UTC',
    region         TEXT NOT NULL DEFAULT '',
    language       TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'nl', 'fr')),
    is_agent       INTEGER NOT NULL DEFAULT 0 CHECK (is_agent IN (0, 1)),
    created_at     INTEGER NOT NULL
) STRICT;

-- Failed sign-ins and locks, per email address (lower-cased), whether or not an account has
-- that address: an address without an account is throttled and locked exactly like one with
-- an account, so the answers never tell them apart (R9). A row is deleted on success, unlock
-- and password reset.
CREATE TABLE sign_in_guards (
    email_key       TEXT PRIMARY KEY NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_failure_at INTEGER,
    locked_until    INTEGER,
    hard_locked     INTEGER NOT NULL DEFAULT 0 CHECK (hard_locked IN (0, 1)),
    lock_reason     TEXT
) STRICT;

-- Every failed sign-in, for the per-IP throttle and the unusual-activity check; pruned after a
-- day.
CREATE TABLE sign_in_failures (
    id        INTEGER PRIMARY KEY,
    ip        TEXT NOT NULL,
    email_key TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email_key, at);

-- Emailed 6-digit codes, at most one pending per purpose and subject (a new one replaces it).
-- `subject` is the lower-cased address for verify_email, unlock and reset_password, and the
-- user id for change_email. Only a salted SHA-256 of the code is kept. A decoy is a code for an
-- address without an account (or one that must not succeed): it is never mailed and never
-- accepted, but answers every try exactly like a real one.
CREATE TABLE email_codes (
    purpose       TEXT NOT NULL CHECK (purpose IN ('verify_email', 'unlock', 'reset_password', 'change_email')),
    subject       TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- Where the code was (or would have been) sent.
    email         TEXT NOT NULL,
    code_salt     BLOB NOT NULL,
    code_hash     BLOB NOT NULL,
    decoy         INTEGER NOT NULL DEFAULT 0 CHECK (decoy IN (0, 1)),
    sent_at       INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    tries         INTEGER NOT NULL DEFAULT 0,
    last_try_at   INTEGER,
    -- change_email: the address being confirmed.
    new_email     TEXT,
    -- verify_email after a repeated sign-up of an unverified account: the name and password of
    -- the sign-up that asked for this code, applied when it is entered (R5: a code is bound to
    -- the request that asked for it).
    pending_name          TEXT,
    pending_password_hash TEXT,
    PRIMARY KEY (purpose, subject)
) STRICT;
CREATE INDEX email_codes_expiry ON email_codes (expires_at);

-- Signed-in sessions with the device facts the client sent.
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_name     TEXT NOT NULL,
    device_os       TEXT NOT NULL,
    app             TEXT NOT NULL,
    app_version     TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    ip              TEXT NOT NULL,
    user_agent      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_active_at  INTEGER NOT NULL,
    revoked_at      INTEGER,
    revoke_reason   TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id, created_at);

-- Access and refresh tokens, by the hex SHA-256 of the token: the token itself is never stored.
-- A refresh token is single use: `rotated_at` is set when it is exchanged, and presenting it
-- again revokes the whole session.
CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER
) STRICT;
CREATE INDEX tokens_session ON tokens (session_id);

-- Account recovery requests for support (the support issue shows them to agents).
CREATE TABLE recovery_requests (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL,
    -- The account the email belongs to, if any (never shown to the requester).
    user_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
    name          TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    -- JSON array of: password, second_factor, email_access.
    lost          TEXT NOT NULL,
    details       TEXT NOT NULL,
    language      TEXT NOT NULL,
    ip            TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'resolved', 'rejected'))
) STRICT;

-- What happened to an account, for the person's security timeline.
CREATE TABLE security_events (
    id      INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    ip      TEXT NOT NULL,
    at      INTEGER NOT NULL,
    -- JSON object with facts of the event (device, session, ...).
    details TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX security_events_user ON security_events (user_id, at);

-- Mail waiting to be sent (written in the same transaction as what caused it; sent by a
-- background task, so answering a request never waits for SMTP). The bodies are cleared once the
-- mail is sent; a mail that keeps failing is given up after MAIL_RETRY.max_attempts, logged.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    language        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT,
    html_body       TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    given_up_at     INTEGER
) STRICT;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND given_up_at IS NULL;
";

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("the database is at schema version {found}, newer than this server knows ({known}); use a newer xwms-server")]
    TooNew { found: i64, known: i64 },
    #[error("migration {version} ({name}) failed: {source}")]
    Failed {
        version: i64,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("reading the schema version failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The version of the newest migration this server knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The schema version recorded in the database (0 when none is).
pub fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )
}

/// Applies every migration the database does not have yet; returns how many it applied.
pub fn run(conn: &mut Connection) -> Result<usize, MigrationError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY NOT NULL,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ) STRICT;",
    )?;
    let mut applied = 0;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = current_version(&tx)?;
        if current > latest_version() {
            return Err(MigrationError::TooNew {
                found: current,
                known: latest_version(),
            });
        }
        let Some(next) = MIGRATIONS.iter().find(|m| m.version > current) else {
            return Ok(applied);
        };
        let failed = |source| MigrationError::Failed {
            version: next.version,
            name: next.name,
            source,
        };
        tx.execute_batch(next.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
            (next.version, next.name),
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(
            version = next.version,
            name = next.name,
            "applied database migration"
        );
        applied += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance_id(conn: &Connection) -> String {
        conn.query_row(
            "SELECT value FROM server_meta WHERE key = 'instance_id'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn versions_start_at_one_and_increase_by_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1, "{}", migration.name);
        }
    }

    #[test]
    fn running_twice_on_a_file_is_idempotent_and_records_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite3");

        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(run(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        let id = instance_id(&conn);
        assert_eq!(id.len(), 32);
        drop(conn);

        // A restart: a new connection to the same file.
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(run(&mut conn).unwrap(), 0);
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        assert_eq!(instance_id(&conn), id, "the instance id survives restarts");
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_database_from_a_newer_server_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, 'future')",
            [latest_version() + 1],
        )
        .unwrap();
        assert!(matches!(run(&mut conn), Err(MigrationError::TooNew { .. })));
    }
}
