//! `xwms`: the XWMS command line, over the same core as the desktop app.
//!
//! Exit codes: 0 success, 1 the operation failed (the error's stable code is printed), 2 usage
//! error (bad flags, from clap).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xwms_core::api_client::ApiClient;
use xwms_core::i18n::{self, Lang};
use xwms_core::settings::{default_data_dir, SettingsStore};
use xwms_core::CoreError;

#[derive(Debug, Parser)]
#[command(
    name = "xwms",
    version,
    about = "XWMS command line: your XWMS account from the terminal"
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let settings = SettingsStore::in_dir(&data_dir).load();
    let lang = Lang::resolve(settings.language);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Info { server, json } => {
                let server = server.unwrap_or(settings.server_url.clone());
                info(&server, json, lang).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let label = i18n::info_labels(lang).error;
            eprintln!(
                "xwms: {label} [{}]: {}",
                e.code,
                i18n::error_message(&e.code, lang)
            );
            ExitCode::FAILURE
        }
    }
}

async fn info(server: &str, json: bool, lang: Lang) -> Result<(), CoreError> {
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
