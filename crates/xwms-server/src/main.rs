use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use xwms_server::config::{
    self, AuditCommand, Cli, Command, HelpCommand, MailSettings, NetworkSettings, SecretSettings,
    SecretsCommand, ServeArgs, Settings, UserCommand,
};
use xwms_server::mail::{self, Mailer, SmtpMailer};
use xwms_server::server::{outbox_folder_mailer, shutdown_signal, Server, OUTBOX_DIR};
use xwms_server::{Services, SystemClock};

/// The settings of a command that works on the data folder with the server stopped (help
/// import, audit export, user add/role): `--data-dir` and `--config` as for `serve`; a bad
/// value is printed and ends the command with exit code 2.
fn offline_settings(
    data_dir: Option<PathBuf>,
    config: Option<PathBuf>,
) -> Result<Settings, ExitCode> {
    let args = ServeArgs {
        data_dir,
        config,
        ..ServeArgs::default()
    };
    let lookup = |name: &str| std::env::var(name).ok();
    Settings::resolve(&args, lookup, config::os_data_dir).map_err(|err| {
        eprintln!("xwms-server: {err}");
        ExitCode::from(2)
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Serve(args) => {
            let lookup = |name: &str| std::env::var(name).ok();
            let resolved = Settings::resolve(&args, lookup, config::os_data_dir).and_then(|s| {
                Ok((
                    MailSettings::resolve(&args, lookup)?,
                    NetworkSettings::resolve(&args, lookup)?,
                    SecretSettings::resolve(&args, lookup, &s.data_dir)?,
                    s,
                ))
            });
            let (mail, network, secrets, settings) = match resolved {
                Ok(resolved) => resolved,
                Err(err) => {
                    eprintln!("xwms-server: {err}");
                    return ExitCode::from(2);
                }
            };
            match serve(settings, mail, network, secrets).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("xwms-server: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Help {
            command:
                HelpCommand::Import {
                    dir,
                    data_dir,
                    config,
                },
        } => {
            let settings = match offline_settings(data_dir, config) {
                Ok(settings) => settings,
                Err(code) => return code,
            };
            match xwms_server::help::import_dir(&settings.data_dir, &dir) {
                Ok(report) => {
                    println!(
                        "help content version {}: {} added, {} changed, {} deleted, {} unchanged",
                        report.version,
                        report.added,
                        report.changed,
                        report.deleted,
                        report.unchanged
                    );
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("xwms-server: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Secrets {
            command:
                SecretsCommand::Rotate {
                    new_key_file,
                    data_dir,
                    config,
                    secret_key_file,
                },
        } => {
            let args = ServeArgs {
                data_dir,
                config,
                secret_key_file,
                ..ServeArgs::default()
            };
            let lookup = |name: &str| std::env::var(name).ok();
            let resolved = Settings::resolve(&args, lookup, config::os_data_dir).and_then(|s| {
                let secrets = SecretSettings::resolve(&args, lookup, &s.data_dir)?;
                Ok((s, secrets))
            });
            let (settings, secrets) = match resolved {
                Ok(resolved) => resolved,
                Err(err) => {
                    eprintln!("xwms-server: {err}");
                    return ExitCode::from(2);
                }
            };
            match xwms_server::secrets::rotate_in(
                &settings.data_dir,
                &secrets.key_file,
                &new_key_file,
            ) {
                Ok(report) => {
                    println!(
                        "rotated: {} TOTP secrets sealed under the new key in {}; the previous key is kept in {} for {} unused recovery codes made under it (they work until used or regenerated)",
                        report.resealed,
                        secrets.key_file.display(),
                        xwms_server::secrets::old_key_path(&secrets.key_file).display(),
                        report.codes_under_old_key
                    );
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("xwms-server: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Audit {
            command:
                AuditCommand::Export {
                    since,
                    data_dir,
                    config,
                },
        } => {
            let Ok(since) =
                time::OffsetDateTime::parse(&since, &time::format_description::well_known::Rfc3339)
            else {
                eprintln!(
                    "xwms-server: --since must be an RFC 3339 time, e.g. 2026-01-01T00:00:00Z"
                );
                return ExitCode::from(2);
            };
            let settings = match offline_settings(data_dir, config) {
                Ok(settings) => settings,
                Err(code) => return code,
            };
            let mut stdout = std::io::stdout().lock();
            match xwms_server::accounts::agent_actions::export_audit(
                &settings.data_dir,
                since,
                &mut stdout,
            ) {
                Ok(_) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("xwms-server: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::User { command } => user_command(command).await,
    }
}

/// `xwms-server user add|role`.
async fn user_command(command: UserCommand) -> ExitCode {
    use xwms_server::accounts::roles;
    let (data_dir, config) = match &command {
        UserCommand::Add {
            data_dir, config, ..
        }
        | UserCommand::Role {
            data_dir, config, ..
        } => (data_dir.clone(), config.clone()),
    };
    let settings = match offline_settings(data_dir, config) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let now = time::OffsetDateTime::now_utc();
    let done = match command {
        UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
            ..
        } => {
            let password = match read_password(password_stdin) {
                Ok(password) => password,
                Err(err) => {
                    eprintln!("xwms-server: cannot read the password: {err}");
                    return ExitCode::from(2);
                }
            };
            roles::add_user(&settings.data_dir, &email, &name, role, password, now)
                .await
                .map(|added| {
                    format!(
                        "added {} ({}) as {}: a verified account, id {}",
                        added.email, added.name, added.role, added.id
                    )
                })
        }
        UserCommand::Role { email, role, .. } => roles::set_role(&settings.data_dir, &email, role)
            .map(|change| {
                if change.before == change.after {
                    format!(
                        "{} is {} already; nothing changed",
                        change.email, change.after
                    )
                } else {
                    format!(
                        "{} was {}, is now {}",
                        change.email, change.before, change.after
                    )
                }
            }),
    };
    match done {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(err @ (roles::RoleError::Invalid { .. } | roles::RoleError::Exists(_))) => {
            eprintln!("xwms-server: {err}");
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("xwms-server: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The password for `user add`: one line of standard input (asked for without echo at a
/// terminal unless `--password-stdin`); never an argument, so it stays out of `ps` and shell
/// history.
fn read_password(from_stdin: bool) -> std::io::Result<xwms_api::Secret> {
    let line = if !from_stdin && std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line
    };
    Ok(xwms_api::Secret::new(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

async fn serve(
    settings: Settings,
    mail: MailSettings,
    network: NetworkSettings,
    secrets: SecretSettings,
) -> Result<(), Box<dyn std::error::Error>> {
    let mailer: Arc<dyn Mailer> = match &mail.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url, mail::parse_mailbox(&mail.from)?)?),
        None => {
            tracing::info!(
                folder = %settings.data_dir.join(OUTBOX_DIR).display(),
                "no --smtp-url: mail is written as .eml files to this folder"
            );
            if mail.from == mail::DEFAULT_FROM {
                outbox_folder_mailer(&settings)
            } else {
                Arc::new(mail::FileMailer::new(
                    settings.data_dir.join(OUTBOX_DIR),
                    mail::parse_mailbox(&mail.from)?,
                ))
            }
        }
    };
    let services =
        Services::new(Arc::new(SystemClock), mailer).with_secret_key_file(secrets.key_file);
    let mut server = Server::bind_with(&settings, services).await?;
    if !network.trusted_proxies.is_empty() {
        let blocks: Vec<String> = network
            .trusted_proxies
            .blocks()
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::info!(proxies = %blocks.join(", "), "X-Forwarded-For is read from these peers only");
    }
    server.trust_proxies(network.trusted_proxies);
    tracing::info!(
        data_dir = %settings.data_dir.display(),
        name = %settings.name,
        demo = settings.demo,
        "xwms-server {} ready",
        env!("CARGO_PKG_VERSION")
    );
    // Stop on Ctrl-C or SIGTERM from here on (before anyone can read the port below).
    let stop = shutdown_signal();
    // Scripts and tests read this line to learn the port; keep its form.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{}", server.local_addr())?;
    stdout.flush()?;
    drop(stdout);
    server.serve(stop).await?;
    Ok(())
}

/// Logs go to stderr, filtered by `XWMS_LOG`, else `RUST_LOG`, else `info`.
fn init_logging() {
    let filter = EnvFilter::try_from_env(config::env::LOG)
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
