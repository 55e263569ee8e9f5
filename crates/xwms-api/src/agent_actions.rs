//! Agent mode: the audit log, the requester's context and the account actions of the support
//! team (issue 12). Ours to define (xwms-contract.md); the server documents it in its OpenAPI
//! document.
//!
//! - **Who.** Every route needs `Authorization: Bearer <access token>` of an account with the
//!   support role (`users.role` `agent` or `admin`); anyone else gets `403 support.not_agent`.
//!   Reading the audit log across cases (`?account=`, `?since=`, or no filter) is for admins
//!   only: an agent gets `403 agent.admin_only`.
//! - **Audit.** Every action (and every look at a requester's context) writes one
//!   [`AuditRecord`] in the same transaction as the action itself: there is no action without
//!   its record and no record without its action. Records are append-only: the database refuses
//!   to change or delete them.
//! - **Reasons.** Every account action takes a [`ActionReason::reason`] of
//!   1..=[`REASON_MAX_CHARS`] characters; it is kept in the audit record.

use serde::{Deserialize, Serialize};

use crate::support::{ConversationStatus, SupportTopic};

/// Route paths, one place for server and clients. `{id}` is a conversation id, `{user_id}` an
/// account id (XWMS's `sub`).
pub mod paths {
    /// `GET ?conversation=ID` → [`super::AuditList`]: the records of one case (agents);
    /// `GET ?account=USER_ID&since=RFC3339&limit=N` → [`super::AuditList`]: any records (admins).
    pub const AUDIT: &str = "/api/agent/audit";
    /// `GET` → [`super::RequesterContext`]: who is asking (writes a `context.viewed` record).
    pub const CONTEXT: &str = "/api/agent/conversations/{id}/context";
    /// `POST` [`super::ActionReason`] → [`super::ActionDone`]: lifts every sign-in lock of the
    /// account; the owner can sign in again at once.
    pub const UNLOCK: &str = "/api/agent/accounts/{user_id}/unlock";
    /// `POST` [`super::SuspendRequest`] → [`super::ActionDone`]: suspends the account (every
    /// session ends; sign-in and every authenticated route answer `403 auth.suspended`).
    pub const SUSPEND: &str = "/api/agent/accounts/{user_id}/suspend";
    /// `POST` [`super::ActionReason`] → [`super::ActionDone`]: lifts the suspension.
    pub const LIFT_SUSPENSION: &str = "/api/agent/accounts/{user_id}/suspension/lift";
    /// `POST` [`super::ActionReason`] → [`super::ActionDone`]: an appeal was reviewed and the
    /// suspension stays (the person is told).
    /// `POST` [`super::RecoveryAction`] → [`super::ActionDone`]: after the agent's checks of
    /// ownership, every session ends, two-step verification is removed if asked, and a one-time
    /// password-reset code is mailed to the account's address with its reset key (the
    /// `challenge_id` of `POST /api/auth/reset-password`).
    pub const RECOVERY: &str = "/api/agent/accounts/{user_id}/recovery";
    pub const KEEP_SUSPENSION: &str = "/api/agent/accounts/{user_id}/suspension/keep";
    /// `POST` [`crate::support::MessageDraft`] with `Authorization: Bearer <appeal token>` →
    /// [`crate::support::GuestAccess`]: a suspended person's appeal. The appeal token comes
    /// with `auth.suspended` at sign-in (only after the right password); the answer opens the
    /// appeal as a guest case (topic `suspension_appeal`) on the guest routes. A second appeal
    /// while one is open adds the message to it.
    pub const APPEALS: &str = "/api/support/appeals";
}

/// A reason, at most this many characters (and at least one that is not white space).
pub const REASON_MAX_CHARS: usize = 500;
/// Audit records per page, at most (and the default).
pub const AUDIT_LIMIT_MAX: u32 = 500;
/// Sign-ins and security events shown in a requester's context.
pub const CONTEXT_RECENT: usize = 10;

wire_enum! {
    /// What an audit record records.
    pub enum AuditAction {
        /// An agent opened the requester's context of a conversation.
        ContextViewed = "context.viewed",
        /// An agent lifted the sign-in locks of an account.
        AccountUnlocked = "account.unlocked",
        /// An agent suspended an account (`details.reason_code`).
        AccountSuspended = "account.suspended",
        /// An agent lifted a suspension.
        SuspensionLifted = "suspension.lifted",
        /// An agent reviewed an appeal and kept the suspension.
        SuspensionKept = "suspension.kept",
        /// An agent verified ownership: sessions ended, a reset code mailed
        /// (`details.two_factor_removed`).
        RecoveryStarted = "account.recovery_started",
        @other Unknown = "unknown",
    }
}

wire! {
    /// One action of the support team, as recorded.
    pub struct AuditRecord {
        /// Increasing over the whole log.
        pub id: i64,
        /// RFC 3339.
        pub at: String,
        pub agent_id: String,
        pub agent_name: String,
        pub action: AuditAction,
        /// The account acted on, if any.
        pub account_id: Option<String>,
        /// The conversation the action belongs to, if any.
        pub conversation_id: Option<String>,
        /// The agent's reason ('' for a look, which needs none).
        pub reason: String,
        /// Facts of the action, name → value.
        pub details: std::collections::BTreeMap<String, String>,
    }
}

wire! {
    pub struct AuditList {
        /// Oldest first.
        pub records: Vec<AuditRecord>,
    }
}

wire! {
    /// A suspended person's appeal (`POST /api/support/appeals`): a message without files
    /// (the appeal token opens no upload; files can be added once the case is open).
    #[serde(deny_unknown_fields)]
    pub struct AppealDraft {
        /// A UUID the client generated, as for [`crate::support::MessageDraft`].
        pub client_msg_id: String,
        /// 1 to [`crate::support::MESSAGE_MAX_CHARS`] characters.
        pub body: String,
    }
}

wire! {
    /// The body of an account action.
    #[serde(deny_unknown_fields)]
    pub struct ActionReason {
        /// Why, for the audit log: 1..=[`REASON_MAX_CHARS`] characters (trimmed), one line.
        pub reason: String,
        /// The conversation the action answers, if any: the record joins that case's log.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub conversation_id: Option<String>,
    }
}

wire! {
    /// The answer of an account action.
    pub struct ActionDone {
        /// The audit record written with the action.
        pub audit_id: i64,
    }
}

wire! {
    /// A sign-in of the requester: when, on what, from where.
    pub struct SignInFact {
        /// RFC 3339.
        pub at: String,
        pub device_name: String,
        pub device_os: String,
        pub app: String,
        pub ip: String,
        /// The session was ended (signed out, removed, revoked).
        pub ended: bool,
    }
}

wire! {
    /// A security event of the requester's account (the kinds of the security timeline).
    pub struct SecurityFact {
        /// RFC 3339.
        pub at: String,
        pub kind: String,
        pub ip: String,
    }
}

wire! {
    /// Another conversation of the same requester.
    pub struct OtherConversation {
        pub id: String,
        pub subject: String,
        pub topic: SupportTopic,
        pub status: ConversationStatus,
        /// A security report ([`is_high_priority`]): listed first.
        pub high_priority: bool,
    }
}

wire! {
    /// The account behind a conversation.
    pub struct AccountContext {
        pub user_id: String,
        pub name: String,
        pub email: String,
        pub email_verified: bool,
        pub two_factor: bool,
        /// Some sign-in budget of the address is locked now.
        pub locked: bool,
        /// When the longest timed lock ends (RFC 3339); `None` when not locked or locked until
        /// the mailbox proves itself.
        pub locked_until: Option<String>,
        /// RFC 3339.
        pub created_at: String,
        pub account_age_days: i64,
        /// Newest first, at most [`CONTEXT_RECENT`].
        pub recent_sign_ins: Vec<SignInFact>,
        /// Newest first, at most [`CONTEXT_RECENT`].
        pub security_events: Vec<SecurityFact>,
        /// The account's other conversations: high priority first, then newest first.
        pub other_conversations: Vec<OtherConversation>,
    }
}

wire! {
    /// What a recovery request (the origin of a guest case) says.
    pub struct RecoveryFacts {
        pub reference: String,
        /// The address the requester says is theirs.
        pub email: String,
        pub name: String,
        /// Where the requester is reached.
        pub contact_email: String,
        /// `password`, `second_factor`, `email_access`.
        pub lost: Vec<String>,
        pub details: String,
        pub ip: String,
        /// RFC 3339.
        pub created_at: String,
        pub status: String,
    }
}

wire! {
    /// Who is asking in a conversation.
    pub struct RequesterContext {
        pub conversation_id: String,
        /// A guest case: a recovery request filed without signing in.
        pub guest: bool,
        /// For a guest case: the recovery request.
        pub recovery: Option<RecoveryFacts>,
        /// The account: the signed-in person's, or the one a recovery request names (if any).
        pub account: Option<AccountContext>,
    }
}

wire_enum! {
    /// Why an account is suspended; told to the person (in words) with the way to appeal.
    pub enum SuspensionReason {
        TermsViolation = "terms_violation",
        Spam = "spam",
        Fraud = "fraud",
        /// The account is a risk to itself or others (e.g. taken over).
        Security = "security",
        Other = "other",
        @other Unknown = "unknown",
    }
}

wire! {
    /// The body of a suspension.
    #[serde(deny_unknown_fields)]
    pub struct SuspendRequest {
        /// Told to the person.
        pub reason_code: SuspensionReason,
        /// Why, for the audit log: 1..=[`REASON_MAX_CHARS`] characters (trimmed), one line.
        pub reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub conversation_id: Option<String>,
    }
}

wire! {
    /// The body of an ownership recovery.
    #[serde(deny_unknown_fields)]
    pub struct RecoveryAction {
        /// Why (the checks made), for the audit log: 1..=[`REASON_MAX_CHARS`] characters.
        pub reason: String,
        /// The case (typically the recovery request's guest case) the recovery answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub conversation_id: Option<String>,
        /// Also turn two-step verification off (the person lost their authenticator).
        #[serde(default)]
        pub remove_two_factor: bool,
    }
}

/// Conversations on this topic come first in the support team's listings: a security report
/// (an unauthorised change, a suspicious mail, a vulnerability) cannot wait behind questions.
/// They follow the usual statuses (`new` → `waiting_for_you` → `open` → `resolved`/`closed`),
/// which fit a report as well as a question.
pub fn is_high_priority(topic: SupportTopic) -> bool {
    topic == SupportTopic::SecurityReport
}
