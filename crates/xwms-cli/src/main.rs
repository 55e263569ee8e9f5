//! `xwms`: the XWMS command line, over the same core as the desktop app.
//!
//! Exit codes: 0 success, 1 the operation failed (the error's stable code is printed), 2 usage
//! error (bad flags, from clap).
//!
//! The command line is its own device: its session is filed in the OS keychain under
//! [`CLI_SERVICE`], apart from the desktop app's, so signing out of one leaves the other.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use xwms_api::auth::UserProfile;
use xwms_api::help::Language;
use xwms_api::security::{SecondFactorMethod, SessionInfo};
use xwms_api::support::{AuthorKind, MessageKind, SupportTopic};
use xwms_api::ErrorCode;
use xwms_core::account::{AccountSession, AppIdentity, SignInOutcome};
use xwms_core::api_client::ApiClient;
use xwms_core::client::mail_language;
use xwms_core::help::HelpCache;
use xwms_core::i18n;
use xwms_core::secret::Secret;
use xwms_core::settings::{default_data_dir, Settings, SettingsStore};
use xwms_core::support::{MessageState, Support};
use xwms_core::token_store::{TokenStore, CLI_SERVICE};
use xwms_core::CoreError;

/// What the command line tells the server it is.
const PRODUCT: &str = "xwms-cli";

#[derive(Debug, Parser)]
#[command(
    name = "xwms",
    version,
    about = "XWMS command line: your XWMS account from the terminal",
    // `help` is the help center (`xwms help search ...`); `--help` still prints usage.
    disable_help_subcommand = true
)]
struct Cli {
    /// Folder with the app's settings and caches (default: the desktop app's data dir).
    #[arg(long, global = true, env = "XWMS_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the XWMS server's name, version and time zone.
    Info {
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Print the server's answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign in to your XWMS account (the session is kept in the OS keychain).
    Login {
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Your email address (asked for when absent).
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
        /// Read the password from the first line of standard input instead of asking; when
        /// the account uses two-step verification, the next line holds the code (six digits
        /// from the authenticator app, or a recovery code).
        #[arg(long, requires = "email")]
        password_stdin: bool,
    },
    /// Sign out: the server ends the session and the keychain entry is removed.
    Logout {
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
    },
    /// Read and search the help center. Works offline: the app's own help content is used
    /// until a sync brings the server's.
    Help {
        #[command(subcommand)]
        command: HelpCommand,
    },
    /// List and end the sessions of your account (your devices).
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Live support: your conversations with the support team.
    ///
    /// Messages go through the same durable outbox as the app's (support.sqlite3 in the data
    /// folder, apart from the app's session): `send` and `new` write the message there first,
    /// then send it and wait for the server's acknowledgement. When the server cannot be
    /// reached the message stays queued (exit code 0) and goes out with the next
    /// `xwms support` command; `--wait` keeps trying until it is delivered instead.
    Support {
        #[command(subcommand)]
        command: SupportCommand,
    },
    /// Show the signed-in account.
    Whoami {
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Print the account as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Nl,
    Fr,
}

impl From<LangArg> for Language {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::En => Language::En,
            LangArg::Nl => Language::Nl,
            LangArg::Fr => Language::Fr,
        }
    }
}

#[derive(Debug, Subcommand)]
enum SessionsCommand {
    /// Show the active sessions, this device first.
    List {
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Print the sessions as JSON {sessions: [{id, device_name, os, app, ip, current, ...}]}.
        #[arg(long)]
        json: bool,
    },
    /// End one other session by its id (from `xwms sessions list --json`). Asks for your
    /// password when it was not given in the last 10 minutes.
    Revoke {
        id: String,
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Read the password (if the server asks for it) from the first line of standard input
        /// instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// End every session but this one (asks for your password).
    RevokeOthers {
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Read the password from the first line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SupportCommand {
    /// Your conversations, unread first: id, reference, status, unread messages, subject.
    List {
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Print {conversations, queued, unread_total, cached_at} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One conversation with its messages, oldest first.
    Show {
        id: String,
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Print {id, conversation, messages: [{client_msg_id, state, body, ...}]} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a message to a conversation (at most 10,000 characters).
    Send {
        id: String,
        text: String,
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Keep trying until the server acknowledged it (instead of leaving it queued).
        #[arg(long)]
        wait: bool,
    },
    /// Start a conversation; prints its id.
    New {
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(TOPICS))]
        topic: String,
        /// At most 200 characters.
        #[arg(long)]
        subject: String,
        /// The first message.
        text: String,
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
        /// Keep trying until the server acknowledged it (instead of leaving it queued).
        #[arg(long)]
        wait: bool,
    },
}

/// The topics `xwms support new --topic` accepts (the wire names).
const TOPICS: [&str; 7] = [
    "question",
    "account_recovery",
    "account_deletion",
    "suspension_appeal",
    "security_report",
    "mail_not_arriving",
    "other",
];

#[derive(Debug, Subcommand)]
enum HelpCommand {
    /// Search the help center; the best answers first.
    Search {
        /// What you are looking for, in your own words.
        query: String,
        /// Language of the articles (default: your language setting).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
        /// How many results, 1 to 50.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=50))]
        limit: u16,
        /// Print a JSON array of {id, lang, title, snippet, highlights, score, ...}.
        #[arg(long)]
        json: bool,
    },
    /// Show one article by its id or slug.
    Show {
        id: String,
        /// Language of the article (default: your language setting).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
        /// Print the article as JSON {id, lang, category, title, body, tags, ...}.
        #[arg(long)]
        json: bool,
    },
    /// Bring the help up to date with the server.
    Sync {
        /// Server URL (default: XWMS_SERVER_URL, else the app's saved server).
        #[arg(long, env = "XWMS_SERVER_URL", value_name = "URL")]
        server: Option<String>,
    },
}

/// A failure of one command: a coded error, or a plain message (already localized).
enum Failure {
    Coded(CoreError),
    Message(&'static str),
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Failure::Coded(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let settings = SettingsStore::in_dir(&data_dir).load();
    let lang = settings.language.resolve();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server_of = |server: Option<String>| server.unwrap_or(settings.server_url.clone());
    let result = runtime.block_on(async {
        match cli.command {
            Command::Info { server, json } => info(&server_of(server), json, lang)
                .await
                .map_err(Failure::from),
            Command::Login {
                server,
                email,
                password_stdin,
            } => {
                let account = account(&server_of(server), &data_dir, &settings)?;
                // Sign-outs that could not reach their server before go out now.
                let _ = account.send_pending_sign_outs().await;
                login(&account, email, password_stdin, lang).await
            }
            Command::Logout { server } => {
                let account = Arc::new(account(&server_of(server), &data_dir, &settings)?);
                // Sign-outs that could not reach their server before go out now.
                let _ = account.send_pending_sign_outs().await;
                account.sign_out().await?;
                // Signing out forgets this session's support data here (outbox, cache).
                Support::open(&data_dir, Arc::clone(&account))?.forget_account()?;
                println!("{}", i18n::account_labels(lang).signed_out);
                Ok(())
            }
            Command::Help { command } => {
                let cache = HelpCache::open(&data_dir)?;
                help(&cache, command, lang, &server_of).await
            }
            Command::Support { command } => {
                let server = match &command {
                    SupportCommand::List { server, .. }
                    | SupportCommand::Show { server, .. }
                    | SupportCommand::Send { server, .. }
                    | SupportCommand::New { server, .. } => server.clone(),
                };
                let account = Arc::new(account(&server_of(server), &data_dir, &settings)?);
                let _ = account.send_pending_sign_outs().await;
                support(account, &data_dir, command, lang).await
            }
            Command::Whoami { server, json } => {
                let account = account(&server_of(server), &data_dir, &settings)?;
                // Sign-outs that could not reach their server before go out now.
                let _ = account.send_pending_sign_outs().await;
                whoami(&account, json, lang).await
            }
            Command::Sessions { command } => {
                let server = match &command {
                    SessionsCommand::List { server, .. }
                    | SessionsCommand::Revoke { server, .. }
                    | SessionsCommand::RevokeOthers { server, .. } => server.clone(),
                };
                let account = account(&server_of(server), &data_dir, &settings)?;
                // Sign-outs that could not reach their server before go out now.
                let _ = account.send_pending_sign_outs().await;
                sessions(&account, command, lang).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Coded(e)) => {
            let label = i18n::info_labels(lang).error;
            eprintln!(
                "xwms: {label} [{}]: {}",
                e.code,
                i18n::error_message(&e.code, lang)
            );
            if let Some(seconds) = e.data.as_ref().and_then(|d| d.retry_after_seconds) {
                eprintln!("xwms: {}", i18n::retry_after(lang, seconds));
            }
            ExitCode::FAILURE
        }
        Err(Failure::Message(text)) => {
            eprintln!("xwms: {text}");
            ExitCode::FAILURE
        }
    }
}

async fn help(
    cache: &HelpCache,
    command: HelpCommand,
    lang: Language,
    server_of: &dyn Fn(Option<String>) -> String,
) -> Result<(), Failure> {
    let labels = i18n::help_labels(lang);
    let pick = |l: Option<LangArg>| l.map(Language::from).unwrap_or(lang);
    match command {
        HelpCommand::Search {
            query,
            lang: article_lang,
            limit,
            json,
        } => {
            let hits = cache.search(pick(article_lang), &query, limit as usize);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&hits).expect("hits serialise")
                );
            } else if hits.is_empty() {
                println!("{}", labels.no_results);
            } else {
                for (i, hit) in hits.iter().enumerate() {
                    println!("{}. {}  [{}]", i + 1, hit.title, hit.id);
                    println!("   {}", hit.snippet);
                }
            }
        }
        HelpCommand::Show {
            id,
            lang: article_lang,
            json,
        } => {
            let article = cache.article(pick(article_lang), &id)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&article).expect("article serialises")
                );
            } else {
                println!("{}", article.title);
                println!();
                println!("{}", readable(&article.body));
                println!();
                println!("{}: {}", labels.category, article.category);
                println!("{}: {}", labels.tags, article.tags.join(", "));
            }
        }
        HelpCommand::Sync { server } => {
            let api = ApiClient::new(&server_of(server), PRODUCT)?;
            let report = cache.sync(&api).await?;
            let text = if report.unchanged {
                labels.up_to_date.to_string()
            } else if report.full {
                labels.replaced.replace("{c}", &report.changed.to_string())
            } else {
                labels
                    .updated
                    .replace("{c}", &report.changed.to_string())
                    .replace("{d}", &report.deleted.to_string())
            };
            println!("{}", text.replace("{v}", &report.version.to_string()));
        }
    }
    Ok(())
}

async fn support(
    account: Arc<AccountSession>,
    data_dir: &Path,
    command: SupportCommand,
    lang: Language,
) -> Result<(), Failure> {
    let labels = i18n::support_labels(lang);
    // Offline, a saved session is kept and messages are queued; signed out is an error.
    let timezone = match account.restore_session().await {
        Ok(Some(user)) => user.timezone,
        Ok(None) => return Err(CoreError::new(ErrorCode::Unauthorized).into()),
        Err(e) if xwms_core::support::is_transient(&e.code) && account.is_signed_in().await => {
            "UTC".to_string()
        }
        Err(e) => return Err(e.into()),
    };
    let support = Support::open(data_dir, Arc::clone(&account))?;
    // What earlier commands left queued goes first (the outbox keeps the order).
    let _ = support.flush().await;
    match command {
        SupportCommand::List { json, .. } => {
            let home = support.list().await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&home).expect("list serialises")
                );
                return Ok(());
            }
            if let Some(at) = &home.cached_at {
                println!(
                    "{}",
                    labels
                        .offline_copy
                        .replace("{at}", &local_time(at, &timezone))
                );
            }
            if home.conversations.is_empty() && home.queued.is_empty() {
                println!("{}", labels.no_conversations);
            }
            for c in &home.conversations {
                let unread = if c.unread > 0 {
                    format!("  ({} {})", c.unread, labels.unread)
                } else {
                    String::new()
                };
                println!(
                    "{}  {}  {}  {}{unread}",
                    c.id,
                    c.reference,
                    c.status.as_str(),
                    c.subject
                );
            }
            for q in &home.queued {
                println!("{}  -  {}  {}", q.local_id, labels.sending, q.subject);
            }
        }
        SupportCommand::Show { id, json, .. } => {
            let view = support.open_conversation(&id).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&view).expect("conversation serialises")
                );
                return Ok(());
            }
            if let Some(at) = &view.cached_at {
                println!(
                    "{}",
                    labels
                        .offline_copy
                        .replace("{at}", &local_time(at, &timezone))
                );
            }
            if let Some(c) = &view.conversation {
                println!("{}  {}  {}", c.reference, c.status.as_str(), c.subject);
            } else if let Some(q) = &view.queued {
                println!("{}  {}", labels.sending, q.subject);
            }
            println!();
            for m in &view.messages {
                let author = match m.author.kind {
                    AuthorKind::Person => labels.you.to_string(),
                    _ => m.author.name.clone(),
                };
                let state = match m.state {
                    MessageState::Sent => String::new(),
                    MessageState::Sending => format!("  [{}]", labels.sending),
                    MessageState::Failed => format!(
                        "  [{}: {}]",
                        labels.failed,
                        m.error.as_ref().map(|e| e.code.as_str()).unwrap_or("")
                    ),
                };
                let body = match m.kind {
                    MessageKind::Text => m.body.clone(),
                    other => format!("({})", other.as_str()),
                };
                println!(
                    "[{}] {author}: {body}{state}",
                    local_time(&m.created_at, &timezone)
                );
            }
        }
        SupportCommand::Send { id, text, wait, .. } => {
            let message = support.send(&id, &text, Vec::new())?;
            deliver(&support, &message.client_msg_id, wait, &labels).await?;
        }
        SupportCommand::New {
            topic,
            subject,
            text,
            wait,
            ..
        } => {
            let view = support.start_conversation(
                SupportTopic::from_wire(&topic),
                &subject,
                &text,
                Vec::new(),
            )?;
            deliver(&support, &view.id, wait, &labels).await?;
            if let Some(id) = support.created_as(&view.id)? {
                println!("{}", labels.started.replace("{id}", &id));
            }
        }
    }
    Ok(())
}

/// Sends the outbox until the message `client_msg_id` was acknowledged; without `wait`, one
/// pass (offline it stays queued and this says so).
async fn deliver(
    support: &Support,
    client_msg_id: &str,
    wait: bool,
    labels: &i18n::SupportLabels,
) -> Result<(), Failure> {
    let backoff = xwms_core::realtime_socket::Backoff::default();
    let mut failures = 0;
    loop {
        let result = support.flush().await;
        match support.outbox_item(client_msg_id)? {
            None => {
                println!(
                    "{}",
                    labels.sent.replace("{n}", &result.unwrap_or(1).to_string())
                );
                return Ok(());
            }
            Some(item) => {
                if let Some(error) = item.failed {
                    return Err(CoreError::new(error.code).into());
                }
            }
        }
        if !wait {
            let n = support.queued_count()?;
            println!("{}", labels.queued.replace("{n}", &n.to_string()));
            return Ok(());
        }
        tokio::time::sleep(backoff.delay_now(failures)).await;
        failures = failures.saturating_add(1);
    }
}

/// An answer for the terminal: a link shows its label and, when it differs, its target.
fn readable(body: &str) -> String {
    xwms_help::markup::parse(body)
        .into_iter()
        .map(|s| match s {
            xwms_help::markup::Segment::Text(t) => t.to_string(),
            xwms_help::markup::Segment::Link { label, target } if label == target => {
                label.to_string()
            }
            xwms_help::markup::Segment::Link { label, target } => format!("{label} <{target}>"),
        })
        .collect()
}

/// The command line's own session with `server`, its tokens in the OS keychain.
fn account(server: &str, data_dir: &Path, settings: &Settings) -> Result<AccountSession, Failure> {
    let session = AccountSession::new(
        server,
        data_dir,
        AppIdentity {
            app: PRODUCT.to_string(),
            keychain_service: CLI_SERVICE.to_string(),
        },
        Arc::new(TokenStore::new(CLI_SERVICE)),
    )?;
    session.set_language(Some(mail_language(settings.language)));
    Ok(session)
}

async fn login(
    account: &AccountSession,
    email: Option<String>,
    password_stdin: bool,
    lang: Language,
) -> Result<(), Failure> {
    let labels = i18n::account_labels(lang);
    let email = match email {
        Some(email) => email,
        None => {
            eprint!("{}", labels.email_prompt);
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| CoreError::new(ErrorCode::FieldRequired).with_detail(e.to_string()))?;
            line.trim().to_string()
        }
    };
    let password = if password_stdin {
        stdin_secret()?
    } else {
        prompt_secret(labels.password_prompt)?
    };
    if email.is_empty() || password.expose().is_empty() {
        return Err(CoreError::new(ErrorCode::FieldRequired).into());
    }
    let user = match account.sign_in(&email, password).await? {
        SignInOutcome::SignedIn { account: user } => user,
        SignInOutcome::SecondFactor { methods } => {
            second_factor(account, &methods, password_stdin, lang).await?
        }
    };
    println!("{} {} <{}>", labels.signed_in_as, user.name, user.email);
    Ok(())
}

/// Tries at the prompt before giving up on a wrong code (the server limits them too).
const CODE_TRIES: u32 = 3;

/// The second step of sign-in: a code from the authenticator app (six digits) or a recovery
/// code, told apart by their form. From standard input (the line after the password) with
/// `--password-stdin`, else asked for, with a few tries for a mistyped code.
async fn second_factor(
    account: &AccountSession,
    methods: &[SecondFactorMethod],
    from_stdin: bool,
    lang: Language,
) -> Result<UserProfile, Failure> {
    let labels = i18n::account_labels(lang);
    let known = |m: SecondFactorMethod| methods.contains(&m);
    if !known(SecondFactorMethod::Totp) && !known(SecondFactorMethod::RecoveryCode) {
        return Err(Failure::Message(labels.second_factor_unknown));
    }
    let mut tries = 0;
    loop {
        tries += 1;
        let code = if from_stdin {
            stdin_secret()?
        } else {
            prompt_secret(labels.code_prompt)?
        };
        if code.expose().trim().is_empty() {
            return Err(CoreError::new(ErrorCode::FieldRequired).into());
        }
        let kind = code_method(code.expose());
        let kind = if known(kind) {
            kind
        } else if known(SecondFactorMethod::Totp) {
            SecondFactorMethod::Totp
        } else {
            SecondFactorMethod::RecoveryCode
        };
        match account.complete_second_factor(kind, code).await {
            Ok(user) => return Ok(user),
            Err(e)
                if !from_stdin
                    && tries < CODE_TRIES
                    && matches!(
                        e.code,
                        ErrorCode::TwoFactorCodeIncorrect | ErrorCode::TwoFactorCodeUsed
                    ) =>
            {
                eprintln!("xwms: {}", i18n::error_message(&e.code, lang));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// `totp` for six digits (spaces allowed), else `recovery_code`.
fn code_method(code: &str) -> SecondFactorMethod {
    let digits: Vec<char> = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.iter().all(char::is_ascii_digit) {
        SecondFactorMethod::Totp
    } else {
        SecondFactorMethod::RecoveryCode
    }
}

/// One line of standard input as a secret (the line itself is zeroed).
fn stdin_secret() -> Result<Secret, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CoreError::new(ErrorCode::FieldRequired).with_detail(e.to_string()))?;
    let secret = Secret::new(line.trim_end_matches(['\r', '\n']));
    zero(line);
    Ok(secret)
}

/// Asks on the terminal without echo.
fn prompt_secret(prompt: &str) -> Result<Secret, Failure> {
    let text = rpassword::prompt_password(prompt)
        .map_err(|e| CoreError::new(ErrorCode::FieldRequired).with_detail(e.to_string()))?;
    Ok(Secret::new(text))
}

/// Overwrites a plain string that held a secret before it is dropped.
fn zero(text: String) {
    let mut bytes = text.into_bytes();
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
}

/// The signed-in account of this command line, or `auth.unauthorized`.
async fn signed_in(account: &AccountSession) -> Result<UserProfile, Failure> {
    match account.restore_session().await? {
        Some(user) => Ok(user),
        None => Err(CoreError::new(ErrorCode::Unauthorized).into()),
    }
}

async fn sessions(
    account: &AccountSession,
    command: SessionsCommand,
    lang: Language,
) -> Result<(), Failure> {
    let labels = i18n::session_labels(lang);
    let user = signed_in(account).await?;
    match command {
        SessionsCommand::List { json, .. } => {
            let list = account.sessions().await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).expect("sessions serialise")
                );
            } else {
                print!("{}", sessions_table(&list.sessions, &user.timezone, lang));
            }
        }
        SessionsCommand::Revoke {
            id, password_stdin, ..
        } => {
            match account.revoke_session(&id).await {
                // The server wants the password again (not given in the last 10 minutes):
                // confirm it, then try once more.
                Err(e) if e.code == ErrorCode::ReauthRequired => {
                    let password = if password_stdin {
                        stdin_secret()?
                    } else {
                        prompt_secret(labels.password_prompt)?
                    };
                    if password.expose().is_empty() {
                        return Err(CoreError::new(ErrorCode::FieldRequired).into());
                    }
                    account.reauthenticate(password).await?;
                    account.revoke_session(&id).await?;
                }
                other => other?,
            }
            println!("{}", labels.revoked);
        }
        SessionsCommand::RevokeOthers { password_stdin, .. } => {
            let password = if password_stdin {
                stdin_secret()?
            } else {
                prompt_secret(labels.password_prompt)?
            };
            if password.expose().is_empty() {
                return Err(CoreError::new(ErrorCode::FieldRequired).into());
            }
            let revoked = account.revoke_other_sessions(password).await?;
            println!(
                "{}",
                labels
                    .revoked_others
                    .replace("{n}", &revoked.sessions_revoked.to_string())
            );
        }
    }
    Ok(())
}

/// The sessions as a table: device, OS, app, IP, last active (in `timezone`), and which one
/// is this device.
fn sessions_table(sessions: &[SessionInfo], timezone: &str, lang: Language) -> String {
    let l = i18n::session_labels(lang);
    let header = [l.device, l.os, l.app, l.ip, l.last_active, ""].map(str::to_string);
    let mut rows = vec![header];
    for s in sessions {
        let app = xwms_api::security::app_label(&s.app, &s.app_version);
        rows.push([
            s.device_name.clone(),
            s.os.clone(),
            app,
            s.ip.clone(),
            local_time(&s.last_active_at, timezone),
            if s.current {
                format!("* {}", l.this_device)
            } else {
                String::new()
            },
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// An RFC 3339 instant as `YYYY-MM-DD HH:MM` in the IANA `timezone` (UTC, marked, when the
/// zone is unknown; the text as given when it is not a time).
fn local_time(at: &str, timezone: &str) -> String {
    let Ok(instant) = at.parse::<jiff::Timestamp>() else {
        return at.to_string();
    };
    match jiff::tz::TimeZone::get(timezone) {
        Ok(tz) => instant
            .to_zoned_datetime(tz)
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => format!("{} UTC", instant.strftime("%Y-%m-%d %H:%M")),
    }
}

async fn whoami(account: &AccountSession, json: bool, lang: Language) -> Result<(), Failure> {
    if account.restore_session().await?.is_none() {
        return Err(CoreError::new(ErrorCode::Unauthorized).into());
    }
    let user = account.current_account().await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&user).expect("profile serialises")
        );
    } else {
        print_profile(&user, account, lang);
    }
    Ok(())
}

fn print_profile(user: &UserProfile, account: &AccountSession, lang: Language) {
    let l = i18n::account_labels(lang);
    let server = account.server_url();
    let rows = [
        (l.name, user.name.as_str()),
        (l.email, user.email.as_str()),
        (l.username, user.username.as_deref().unwrap_or("-")),
        (l.timezone, user.timezone.as_str()),
        (l.language, user.language.as_str()),
        (l.server, server.as_str()),
    ];
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in rows {
        println!("{k:<width$}  {v}");
    }
}

async fn info(server: &str, json: bool, lang: Language) -> Result<(), CoreError> {
    let client = ApiClient::new(server, "xwms-cli")?;
    let info = client.info().await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&info).expect("info serialises")
        );
        return Ok(());
    }
    let l = i18n::info_labels(lang);
    let a = &info.application;
    println!("{}", a.name);
    if !a.description.is_empty() {
        println!("{}", a.description);
    }
    let rows = [
        (l.server, client.base_url().as_str()),
        (l.version, a.version.as_str()),
        (l.timezone, a.timezone.as_str()),
        (l.locale, a.locale.as_str()),
        (l.time, a.time.as_str()),
    ];
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in rows {
        println!("  {k:<width$}  {v}");
    }
    Ok(())
}
