use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use xwms_server::config::{self, Cli, Command, Settings};
use xwms_server::server::{shutdown_signal, Server};
use xwms_server::SystemClock;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Serve(args) => {
            let settings = match Settings::resolve(
                &args,
                |name| std::env::var(name).ok(),
                config::os_data_dir,
            ) {
                Ok(settings) => settings,
                Err(err) => {
                    eprintln!("xwms-server: {err}");
                    return ExitCode::from(2);
                }
            };
            match serve(settings).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("xwms-server: {err}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::bind(&settings, Arc::new(SystemClock)).await?;
    tracing::info!(
        data_dir = %settings.data_dir.display(),
        name = %settings.name,
        demo = settings.demo,
        "xwms-server {} ready",
        env!("CARGO_PKG_VERSION")
    );
    // Scripts and tests read this line to learn the port; keep its form.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{}", server.local_addr())?;
    stdout.flush()?;
    drop(stdout);
    server.serve(shutdown_signal()).await?;
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
