//! Command line and settings.
//!
//! # Where a setting comes from
//!
//! Every setting of `xwms-server serve` can be given in four places. The first one that sets
//! it wins:
//!
//! 1. a command-line flag (`--listen 127.0.0.1:9000`);
//! 2. an environment variable (`XWMS_LISTEN=127.0.0.1:9000`); an empty variable counts as unset;
//! 3. the TOML config file named by `--config FILE` or `XWMS_CONFIG` (`listen = "127.0.0.1:9000"`);
//!    relative paths in it are relative to the file's folder; unknown keys are an error;
//! 4. the built-in default (see [`Settings`]).
//!
//! `--demo` can only switch demo mode on; `XWMS_DEMO` takes `1/true/yes/on` or `0/false/no/off`.
//! In demo mode the server name defaults to [`crate::demo::SERVER_NAME`] unless a name is given
//! in any of the first three places.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

/// Loopback only: the server is reachable from other machines only when asked for explicitly.
pub(crate) const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8787);
pub(crate) const DEFAULT_NAME: &str = "XWMS";
pub(crate) const DEFAULT_TIMEZONE: &str = "UTC";
pub(crate) const DEFAULT_LOCALE: &str = "en";
/// The languages XWMS serves (xwms-contract.md).
pub(crate) const SUPPORTED_LOCALES: &[&str] = &["en", "nl", "fr", "de", "es", "hi", "zh_CN"];

/// The environment variable of each setting.
pub mod env {
    pub const LISTEN: &str = "XWMS_LISTEN";
    pub const DATA_DIR: &str = "XWMS_SERVER_DATA_DIR";
    pub const CONFIG: &str = "XWMS_CONFIG";
    pub const DEMO: &str = "XWMS_DEMO";
    pub const NAME: &str = "XWMS_NAME";
    pub const TIMEZONE: &str = "XWMS_TIMEZONE";
    pub const LOCALE: &str = "XWMS_LOCALE";
    pub const SMTP_URL: &str = "XWMS_SMTP_URL";
    pub const MAIL_FROM: &str = "XWMS_MAIL_FROM";
    /// Comma-separated address blocks, like `--trusted-proxy` given once per block.
    pub const TRUSTED_PROXIES: &str = "XWMS_TRUSTED_PROXIES";
    /// The server key's file (`crate::secrets`).
    pub const SECRET_KEY_FILE: &str = "XWMS_SECRET_KEY_FILE";
    /// Log filter (tracing `EnvFilter` syntax); `RUST_LOG` is read when it is unset.
    pub const LOG: &str = "XWMS_LOG";
    pub const ALL_SETTINGS: &[&str] = &[
        LISTEN,
        DATA_DIR,
        CONFIG,
        DEMO,
        NAME,
        TIMEZONE,
        LOCALE,
        SMTP_URL,
        MAIL_FROM,
        TRUSTED_PROXIES,
        SECRET_KEY_FILE,
    ];
}

#[derive(Debug, Parser)]
#[command(
    name = "xwms-server",
    version,
    about = "The XWMS reference server",
    // `help` is ours (the help center); `--help` still prints usage.
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the XWMS API over HTTP until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Manage the help center's content.
    Help {
        #[command(subcommand)]
        command: HelpCommand,
    },
    /// Manage the server key that protects secrets at rest.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Read the support team's audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage accounts and their roles (user, agent, admin).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print every audit record made at or after a time, oldest first, one JSON object a line.
    Export {
        /// RFC 3339, e.g. 2026-01-01T00:00:00Z
        #[arg(long, value_name = "TIME")]
        since: String,
        /// Folder of the database, as for `serve` [env: XWMS_SERVER_DATA_DIR]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// TOML file, as for `serve` [env: XWMS_CONFIG]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// A role as typed on the command line: `user`, `agent` or `admin`.
fn role_arg(raw: &str) -> Result<xwms_api::agent::Role, String> {
    xwms_api::agent::Role::parse(raw).ok_or_else(|| format!("{raw:?} is not user, agent or admin"))
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a verified account with a role. The password is read from standard input (one
    /// line), never from the command line; at a terminal it is asked for without echo.
    Add {
        /// The account's email address
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// The account's display name
        #[arg(long, value_name = "NAME")]
        name: String,
        /// user, agent or admin
        #[arg(long, value_name = "ROLE", value_parser = role_arg, default_value = "user")]
        role: xwms_api::agent::Role,
        /// Read the password from standard input even when it is a terminal (the default when
        /// it is not)
        #[arg(long)]
        password_stdin: bool,
        /// Folder of the database, as for `serve` [env: XWMS_SERVER_DATA_DIR]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// TOML file, as for `serve` [env: XWMS_CONFIG]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Give an existing account a role: user, agent or admin (effective at its next request).
    Role {
        /// The account's email address
        #[arg(value_name = "EMAIL")]
        email: String,
        /// user, agent or admin
        #[arg(value_name = "ROLE", value_parser = role_arg)]
        role: xwms_api::agent::Role,
        /// Folder of the database, as for `serve` [env: XWMS_SERVER_DATA_DIR]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// TOML file, as for `serve` [env: XWMS_CONFIG]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Rotate the server key (with the server stopped): the current key file is kept as
    /// <key file>.old (read only to check recovery codes made under it), the new key is copied
    /// into the key file, and every TOTP secret is sealed under it in one transaction.
    Rotate {
        /// The new key: a file of 64 hex digits with mode 0600, created when missing
        #[arg(long, value_name = "FILE")]
        new_key_file: PathBuf,
        /// Folder of the database, as for `serve` [env: XWMS_SERVER_DATA_DIR]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// TOML file, as for `serve` [env: XWMS_CONFIG]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The current key file, as for `serve` [env: XWMS_SECRET_KEY_FILE]
        #[arg(long, value_name = "FILE")]
        secret_key_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HelpCommand {
    /// Load or update the help content from a folder (categories.toml and one folder per
    /// category); changed articles get a new content version, removed ones are deleted.
    Import {
        /// The content folder, e.g. content/help
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Folder of the database, as for `serve` [env: XWMS_SERVER_DATA_DIR]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// TOML file, as for `serve` [env: XWMS_CONFIG]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// Flags of `serve`. None has a clap default: defaults come last, after env and file
/// (see the module documentation).
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port [env: XWMS_LISTEN] [default: 127.0.0.1:8787]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Folder of the database (xwms.sqlite3) [env: XWMS_SERVER_DATA_DIR] [default: the OS data folder]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML file with any of: listen, data_dir, demo, name, timezone, locale, smtp_url, mail_from,
    /// trusted_proxies, secret_key_file [env: XWMS_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed demo data (idempotent) [env: XWMS_DEMO]
    #[arg(long)]
    pub demo: bool,
    /// Name of this server in /api/info [env: XWMS_NAME] [default: XWMS, or XWMS Demo with --demo]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// IANA time zone reported in /api/info [env: XWMS_TIMEZONE] [default: UTC]
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// Default locale: en, nl, fr, de, es, hi or zh_CN [env: XWMS_LOCALE] [default: en]
    #[arg(long, value_name = "LOCALE")]
    pub locale: Option<String>,
    /// SMTP server for mail: smtp://127.0.0.1:1025 (plain, e.g. a local catcher),
    /// smtp://host:587?tls=required (STARTTLS), smtps://user:password@host (TLS)
    /// [env: XWMS_SMTP_URL] [default: none, mail is written to <data-dir>/outbox/*.eml]
    #[arg(long, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Sender of mail [env: XWMS_MAIL_FROM] [default: XWMS <no-reply@xwms.localhost>]
    #[arg(long, value_name = "MAILBOX")]
    pub mail_from: Option<String>,
    /// A reverse proxy (address or block, e.g. 127.0.0.1 or 10.0.0.0/8) whose X-Forwarded-For
    /// header names the client; repeat for several. From any other peer the header is ignored
    /// [env: XWMS_TRUSTED_PROXIES, comma-separated] [default: none]
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<String>,
    /// File of the server key that seals TOTP secrets and peppers recovery codes: 64 hex digits,
    /// readable by its owner only (mode 0600); made on first start when missing
    /// [env: XWMS_SECRET_KEY_FILE] [default: <data-dir>/secret.key]
    #[arg(long, value_name = "FILE")]
    pub secret_key_file: Option<PathBuf>,
}

/// Where the server key is: `--secret-key-file`, else `<data-dir>/secret.key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSettings {
    pub key_file: PathBuf,
}

impl SecretSettings {
    /// Resolves `--secret-key-file` (see the module documentation for the order; a relative
    /// path in the config file is relative to its folder).
    pub fn resolve(
        args: &ServeArgs,
        lookup: impl Fn(&str) -> Option<String>,
        data_dir: &Path,
    ) -> Result<SecretSettings, ConfigError> {
        let layer = resolve_layers(args, &lookup)?;
        Ok(SecretSettings {
            key_file: layer
                .secret_key_file
                .unwrap_or_else(|| data_dir.join(crate::secrets::KEY_FILE)),
        })
    }
}

/// Settings of the HTTP side: which reverse proxies are trusted to name the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    pub trusted_proxies: crate::net::TrustedProxies,
}

impl NetworkSettings {
    /// Resolves `--trusted-proxy` (see the module documentation for the order; the first
    /// source that names any block wins, the lists are not merged).
    pub fn resolve(
        args: &ServeArgs,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<NetworkSettings, ConfigError> {
        let layer = resolve_layers(args, &lookup)?;
        let blocks = layer
            .trusted_proxies
            .unwrap_or_default()
            .iter()
            .map(|block| {
                block
                    .parse()
                    .map_err(|err: crate::net::CidrError| ConfigError::Invalid {
                        setting: "trusted_proxies",
                        message: err.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NetworkSettings {
            trusted_proxies: crate::net::TrustedProxies::new(blocks),
        })
    }
}

/// Where the server's mail goes, resolved like every other setting (flag, env, file, default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// `None`: mail is written as `.eml` files to `<data-dir>/outbox`.
    pub smtp_url: Option<String>,
    /// e.g. `XWMS <no-reply@xwms.localhost>`.
    pub from: String,
}

impl MailSettings {
    /// Resolves `--smtp-url` and `--mail-from` (see the module documentation for the order).
    pub fn resolve(
        args: &ServeArgs,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<MailSettings, ConfigError> {
        let layer = resolve_layers(args, &lookup)?;
        let from = layer
            .mail_from
            .unwrap_or_else(|| crate::mail::DEFAULT_FROM.to_owned());
        if crate::mail::parse_mailbox(&from).is_err() {
            return Err(ConfigError::Invalid {
                setting: "mail_from",
                message: format!("{from:?} is not a sender like \"XWMS <no-reply@example.com>\""),
            });
        }
        let smtp_url = layer.smtp_url.filter(|url| !url.trim().is_empty());
        if let Some(url) = &smtp_url {
            let scheme_ok = url::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some());
            if !scheme_ok {
                return Err(ConfigError::Invalid {
                    setting: "smtp_url",
                    message: format!(
                        "{:?} is not an SMTP URL like smtp://127.0.0.1:1025 or smtps://host",
                        crate::mail::without_credentials(url)
                    ),
                });
            }
        }
        Ok(MailSettings { smtp_url, from })
    }
}

/// The resolved settings of a running server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub demo: bool,
    pub name: String,
    pub timezone: String,
    pub locale: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {message}")]
    Env { var: &'static str, message: String },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error(
        "no data folder could be determined for this user; pass --data-dir or set XWMS_SERVER_DATA_DIR"
    )]
    NoDataDir,
    #[error("{setting}: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

/// One source of settings; `None` means "this source does not set it".
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layer {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    demo: Option<bool>,
    name: Option<String>,
    timezone: Option<String>,
    locale: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    secret_key_file: Option<PathBuf>,
}

impl Layer {
    /// Fields this layer leaves unset are taken from `lower`.
    fn over(self, lower: Layer) -> Layer {
        Layer {
            listen: self.listen.or(lower.listen),
            data_dir: self.data_dir.or(lower.data_dir),
            demo: self.demo.or(lower.demo),
            name: self.name.or(lower.name),
            timezone: self.timezone.or(lower.timezone),
            locale: self.locale.or(lower.locale),
            smtp_url: self.smtp_url.or(lower.smtp_url),
            mail_from: self.mail_from.or(lower.mail_from),
            trusted_proxies: self.trusted_proxies.or(lower.trusted_proxies),
            secret_key_file: self.secret_key_file.or(lower.secret_key_file),
        }
    }

    fn from_args(args: &ServeArgs) -> Layer {
        Layer {
            listen: args.listen,
            data_dir: args.data_dir.clone(),
            demo: args.demo.then_some(true),
            name: args.name.clone(),
            timezone: args.timezone.clone(),
            locale: args.locale.clone(),
            smtp_url: args.smtp_url.clone(),
            mail_from: args.mail_from.clone(),
            trusted_proxies: (!args.trusted_proxies.is_empty())
                .then(|| args.trusted_proxies.clone()),
            secret_key_file: args.secret_key_file.clone(),
        }
    }

    fn from_env(lookup: &impl Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
        let var = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let listen = match var(env::LISTEN) {
            None => None,
            Some(value) => Some(value.parse().map_err(|err| ConfigError::Env {
                var: env::LISTEN,
                message: format!("{value:?} is not an address like 127.0.0.1:8787 ({err})"),
            })?),
        };
        let demo = match var(env::DEMO) {
            None => None,
            Some(value) => Some(parse_bool(&value).ok_or_else(|| ConfigError::Env {
                var: env::DEMO,
                message: format!("{value:?} is not one of 1, true, yes, on, 0, false, no, off"),
            })?),
        };
        Ok(Layer {
            listen,
            data_dir: var(env::DATA_DIR).map(PathBuf::from),
            demo,
            name: var(env::NAME),
            timezone: var(env::TIMEZONE),
            locale: var(env::LOCALE),
            smtp_url: var(env::SMTP_URL),
            mail_from: var(env::MAIL_FROM),
            trusted_proxies: var(env::TRUSTED_PROXIES).map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|block| !block.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            secret_key_file: var(env::SECRET_KEY_FILE).map(PathBuf::from),
        })
    }

    fn from_file(path: &Path) -> Result<Layer, ConfigError> {
        let file_error = |message: String| ConfigError::File {
            path: path.to_owned(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|err| file_error(err.to_string()))?;
        let mut layer: Layer = toml::from_str(&text).map_err(|err| file_error(err.to_string()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        if let Some(dir) = layer.data_dir.take() {
            layer.data_dir = Some(base.join(dir));
        }
        if let Some(file) = layer.secret_key_file.take() {
            layer.secret_key_file = Some(base.join(file));
        }
        Ok(layer)
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `directories`' data folder for this server, e.g. `~/.local/share/xwms-server` on Linux.
pub fn os_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("nl", "XWMS", "xwms-server")
        .map(|dirs| dirs.data_dir().to_owned())
}

impl Settings {
    /// Resolves the settings from flags, environment (through `lookup`, so tests need not touch
    /// the process environment), the config file and the defaults, in that order.
    pub fn resolve(
        args: &ServeArgs,
        lookup: impl Fn(&str) -> Option<String>,
        default_data_dir: impl FnOnce() -> Option<PathBuf>,
    ) -> Result<Settings, ConfigError> {
        let layer = resolve_layers(args, &lookup)?;

        let demo = layer.demo.unwrap_or(false);
        let data_dir = match layer.data_dir {
            Some(dir) => dir,
            None => default_data_dir().ok_or(ConfigError::NoDataDir)?,
        };
        let default_name = if demo {
            crate::demo::SERVER_NAME
        } else {
            DEFAULT_NAME
        };
        let name = non_blank(
            "name",
            layer.name.unwrap_or_else(|| default_name.to_owned()),
        )?;
        let timezone = non_blank(
            "timezone",
            layer
                .timezone
                .unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned()),
        )?;
        let locale = layer.locale.unwrap_or_else(|| DEFAULT_LOCALE.to_owned());
        if !SUPPORTED_LOCALES.contains(&locale.as_str()) {
            return Err(ConfigError::Invalid {
                setting: "locale",
                message: format!("{locale:?} is not one of {}", SUPPORTED_LOCALES.join(", ")),
            });
        }
        Ok(Settings {
            listen: layer.listen.unwrap_or(DEFAULT_LISTEN),
            data_dir,
            demo,
            name,
            timezone,
            locale,
        })
    }
}

/// Flags over environment over config file.
fn resolve_layers(
    args: &ServeArgs,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Layer, ConfigError> {
    let env_layer = Layer::from_env(lookup)?;
    let config_path = args.config.clone().or_else(|| {
        lookup(env::CONFIG)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let file_layer = match config_path {
        Some(path) => Layer::from_file(&path)?,
        None => Layer::default(),
    };
    Ok(Layer::from_args(args).over(env_layer).over(file_layer))
}

fn non_blank(setting: &'static str, value: String) -> Result<String, ConfigError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ConfigError::Invalid {
            setting,
            message: "must not be empty".to_owned(),
        });
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::collections::HashMap;

    fn parse(args: &[&str]) -> ServeArgs {
        let cli =
            Cli::try_parse_from(["xwms-server", "serve"].iter().chain(args)).expect("valid flags");
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        args
    }

    fn resolve(args: &[&str], env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(
            &parse(args),
            |name| env.get(name).cloned(),
            || Some(PathBuf::from("/os/data")),
        )
    }

    fn config_file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    /// One row of the precedence table: which sources set `name` and `listen`, and which wins.
    struct Case {
        flag: bool,
        env: bool,
        file: bool,
        wins: &'static str,
    }

    #[test]
    fn precedence_is_flag_then_env_then_file_then_default() {
        #[rustfmt::skip]
        let table = [
            Case { flag: false, env: false, file: false, wins: "default" },
            Case { flag: false, env: false, file: true,  wins: "file" },
            Case { flag: false, env: true,  file: false, wins: "env" },
            Case { flag: false, env: true,  file: true,  wins: "env" },
            Case { flag: true,  env: false, file: false, wins: "flag" },
            Case { flag: true,  env: false, file: true,  wins: "flag" },
            Case { flag: true,  env: true,  file: false, wins: "flag" },
            Case { flag: true,  env: true,  file: true,  wins: "flag" },
        ];
        // Each source sets `name` to its own name and `listen` to its own port.
        let port = |source: &str| match source {
            "flag" => 1001,
            "env" => 1002,
            "file" => 1003,
            _ => DEFAULT_LISTEN.port(),
        };
        let file = config_file("name = \"file\"\nlisten = \"127.0.0.1:1003\"\n");
        for case in table {
            let mut args = vec![];
            if case.flag {
                args.extend(["--name", "flag", "--listen", "127.0.0.1:1001"]);
            }
            if case.file {
                args.extend(["--config", file.path().to_str().unwrap()]);
            }
            let mut env = vec![];
            if case.env {
                env.extend([(env::NAME, "env"), (env::LISTEN, "127.0.0.1:1002")]);
            }
            let settings = resolve(&args, &env).unwrap();
            let expected_name = if case.wins == "default" {
                DEFAULT_NAME
            } else {
                case.wins
            };
            let row = format!("flag={} env={} file={}", case.flag, case.env, case.file);
            assert_eq!(settings.name, expected_name, "name, {row}");
            assert_eq!(settings.listen.port(), port(case.wins), "listen, {row}");
        }
    }

    #[test]
    fn an_empty_variable_counts_as_unset() {
        let file = config_file("name = \"file\"\n");
        let args = ["--config", file.path().to_str().unwrap()];
        let settings = resolve(&args, &[(env::NAME, ""), (env::LISTEN, "")]).unwrap();
        assert_eq!(
            (settings.name.as_str(), settings.listen),
            ("file", DEFAULT_LISTEN)
        );
    }

    #[test]
    fn defaults_listen_on_loopback_only() {
        let settings = resolve(&[], &[]).unwrap();
        assert_eq!(settings.listen, "127.0.0.1:8787".parse().unwrap());
        assert!(settings.listen.ip().is_loopback());
        assert_eq!(settings.data_dir, PathBuf::from("/os/data"));
        assert_eq!(
            (
                settings.demo,
                settings.locale.as_str(),
                settings.timezone.as_str()
            ),
            (false, "en", "UTC")
        );
    }

    #[test]
    fn os_data_dir_is_named_for_the_server() {
        if let Some(dir) = os_data_dir() {
            assert!(
                dir.to_string_lossy().to_lowercase().contains("xwms-server"),
                "{dir:?}"
            );
        }
    }

    #[test]
    fn config_file_may_come_from_env_and_sets_every_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xwms.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9\"\ndata_dir = \"data\"\ndemo = true\nname = \"N\"\ntimezone = \"Europe/Amsterdam\"\nlocale = \"nl\"\n",
        )
        .unwrap();
        let settings = resolve(&[], &[(env::CONFIG, path.to_str().unwrap())]).unwrap();
        assert_eq!(
            settings,
            Settings {
                listen: "0.0.0.0:9".parse().unwrap(),
                data_dir: dir.path().join("data"),
                demo: true,
                name: "N".into(),
                timezone: "Europe/Amsterdam".into(),
                locale: "nl".into(),
            }
        );
    }

    #[test]
    fn demo_names_the_server_unless_a_name_is_given() {
        assert_eq!(
            resolve(&["--demo"], &[]).unwrap().name,
            crate::demo::SERVER_NAME
        );
        assert_eq!(
            resolve(&[], &[(env::DEMO, "yes")]).unwrap().name,
            crate::demo::SERVER_NAME
        );
        assert_eq!(
            resolve(&["--demo", "--name", "Mine"], &[]).unwrap().name,
            "Mine"
        );
        assert_eq!(
            resolve(&["--demo"], &[(env::NAME, "Env")]).unwrap().name,
            "Env"
        );
        assert!(!resolve(&[], &[(env::DEMO, "off")]).unwrap().demo);
    }

    #[test]
    fn bad_input_names_the_setting() {
        let err = resolve(&[], &[(env::LISTEN, "localhost")]).unwrap_err();
        assert!(err.to_string().starts_with("XWMS_LISTEN:"), "{err}");
        let err = resolve(&[], &[(env::DEMO, "maybe")]).unwrap_err();
        assert!(err.to_string().starts_with("XWMS_DEMO:"), "{err}");
        let err = resolve(&["--locale", "xx"], &[]).unwrap_err();
        assert!(err.to_string().starts_with("locale:"), "{err}");
        let err = resolve(&["--name", "  "], &[]).unwrap_err();
        assert!(err.to_string().starts_with("name:"), "{err}");
        let file = config_file("listen = \"127.0.0.1:1\"\nport = 3\n");
        let err = resolve(&["--config", file.path().to_str().unwrap()], &[]).unwrap_err();
        assert!(
            matches!(err, ConfigError::File { .. }) && err.to_string().contains("port"),
            "{err}"
        );
        let err = resolve(&["--config", "/no/such/xwms.toml"], &[]).unwrap_err();
        assert!(matches!(err, ConfigError::File { .. }), "{err}");
    }

    #[test]
    fn mail_settings_resolve_like_the_others() {
        let mail = |args: &[&str], env: &[(&str, &str)]| {
            let env: HashMap<String, String> = env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            MailSettings::resolve(&parse(args), |name| env.get(name).cloned())
        };
        let default = mail(&[], &[]).unwrap();
        assert_eq!(
            default,
            MailSettings {
                smtp_url: None,
                from: crate::mail::DEFAULT_FROM.into()
            }
        );
        let file =
            config_file("smtp_url = \"smtp://file:25\"\nmail_from = \"File <f@example.com>\"\n");
        let path = file.path().to_str().unwrap();
        let from_file = mail(&["--config", path], &[]).unwrap();
        assert_eq!(from_file.smtp_url.as_deref(), Some("smtp://file:25"));
        assert_eq!(from_file.from, "File <f@example.com>");
        let from_env = mail(&["--config", path], &[(env::SMTP_URL, "smtp://env:25")]).unwrap();
        assert_eq!(from_env.smtp_url.as_deref(), Some("smtp://env:25"));
        let from_flag = mail(
            &[
                "--config",
                path,
                "--smtp-url",
                "smtps://u:p@flag",
                "--mail-from",
                "a@example.com",
            ],
            &[(env::SMTP_URL, "smtp://env:25")],
        )
        .unwrap();
        assert_eq!(from_flag.smtp_url.as_deref(), Some("smtps://u:p@flag"));
        assert_eq!(from_flag.from, "a@example.com");
        let err = mail(&["--smtp-url", "http://u:secret@x"], &[]).unwrap_err();
        assert!(
            err.to_string().starts_with("smtp_url:") && !err.to_string().contains("secret"),
            "{err}"
        );
        let err = mail(&["--mail-from", "not a mailbox"], &[]).unwrap_err();
        assert!(err.to_string().starts_with("mail_from:"), "{err}");
    }

    #[test]
    fn trusted_proxies_come_from_flags_env_or_file() {
        let env: HashMap<String, String> = HashMap::from([(
            env::TRUSTED_PROXIES.to_owned(),
            "10.0.0.0/8, 192.0.2.1".to_owned(),
        )]);
        let resolve = |args: &[&str], env: &HashMap<String, String>| {
            NetworkSettings::resolve(&parse(args), |name| env.get(name).cloned())
        };
        let none = HashMap::new();
        let blocks = |settings: NetworkSettings| -> Vec<String> {
            let proxies = settings.trusted_proxies;
            proxies.blocks().iter().map(ToString::to_string).collect()
        };
        assert!(blocks(resolve(&[], &none).unwrap()).is_empty());
        assert_eq!(
            blocks(
                resolve(
                    &["--trusted-proxy", "127.0.0.1", "--trusted-proxy", "::1"],
                    &env
                )
                .unwrap()
            ),
            ["127.0.0.1/32", "::1/128"]
        );
        assert_eq!(
            blocks(resolve(&[], &env).unwrap()),
            ["10.0.0.0/8", "192.0.2.1/32"]
        );
        let file = config_file("trusted_proxies = [\"172.16.0.0/12\"]\n");
        let path = file.path().to_str().unwrap();
        assert_eq!(
            blocks(resolve(&["--config", path], &none).unwrap()),
            ["172.16.0.0/12"]
        );
        let err = resolve(&["--trusted-proxy", "10.0.0.0/33"], &none).unwrap_err();
        assert!(err.to_string().starts_with("trusted_proxies:"), "{err}");
    }

    #[test]
    fn the_secret_key_file_comes_from_flag_env_file_or_the_data_dir() {
        let resolve = |args: &[&str], env: &[(&str, &str)]| {
            let env: HashMap<String, String> = env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            SecretSettings::resolve(&parse(args), |name| env.get(name).cloned(), Path::new("/d"))
                .unwrap()
                .key_file
        };
        assert_eq!(resolve(&[], &[]), PathBuf::from("/d/secret.key"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xwms.toml");
        std::fs::write(&path, "secret_key_file = \"keys/server.key\"\n").unwrap();
        let config = path.to_str().unwrap();
        assert_eq!(
            resolve(&["--config", config], &[]),
            dir.path().join("keys/server.key"),
            "relative to the config file"
        );
        assert_eq!(
            resolve(&["--config", config], &[(env::SECRET_KEY_FILE, "/env.key")]),
            PathBuf::from("/env.key")
        );
        assert_eq!(
            resolve(
                &["--config", config, "--secret-key-file", "/flag.key"],
                &[(env::SECRET_KEY_FILE, "/env.key")]
            ),
            PathBuf::from("/flag.key")
        );
    }

    #[test]
    fn help_names_every_environment_variable() {
        let mut cli = Cli::command();
        let help = cli
            .find_subcommand_mut("serve")
            .unwrap()
            .render_long_help()
            .to_string();
        for var in env::ALL_SETTINGS {
            assert!(
                help.contains(var),
                "serve --help does not mention {var}:\n{help}"
            );
        }
    }
}
