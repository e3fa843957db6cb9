//! `harborlink`: the node binary. Glue only: it reads configuration, sets up logging and metrics,
//! and calls the library crates. It is the only crate that reads files or environment variables.

mod admin;
mod ais;
mod analyze;
mod cli;
mod datadir;
mod progress;
mod serve;
mod settings;
mod simulate;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, LogFormat};

/// Exit code when `verify` finds the log broken (distinct from 1, "could not run").
const EXIT_LOG_BROKEN: u8 = 3;

fn init_logging(format: LogFormat, filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: never escape codes in a file, a pipe or a journal.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_filter = std::env::var("HARBORLINK_LOG").unwrap_or_else(|_| String::from("info,sqlx=warn"));
    init_logging(cli.log_format, &log_filter);
    let result = match cli.command {
        Command::Init(args) => admin::init(&args).await.map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => serve::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Verify(args) => {
            admin::verify(&args).await.map(|ok| if ok { ExitCode::SUCCESS } else { ExitCode::from(EXIT_LOG_BROKEN) })
        }
        Command::Rebuild(args) => admin::rebuild(&args).await.map(|()| ExitCode::SUCCESS),
        Command::Org(cmd) => admin::org(cmd).await.map(|()| ExitCode::SUCCESS),
        Command::User(cmd) => admin::user(cmd).await.map(|()| ExitCode::SUCCESS),
        Command::Token(cmd) => admin::token(cmd).await.map(|()| ExitCode::SUCCESS),
        Command::Incident(cmd) => admin::incident(cmd).await.map(|()| ExitCode::SUCCESS),
        Command::Ais(cli::AisCommand::Decode(args)) => ais::decode(&args).map(|()| ExitCode::SUCCESS),
        Command::Analyze(args) => analyze::analyze(&args).map(|()| ExitCode::SUCCESS),
        Command::Simulate(args) => simulate::simulate(&args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", error_text(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: libraries often repeat their cause's message in
/// their own (`database error: {0}` over sqlx's own wrapping of SQLite's message), which a plain
/// chain would print three times over.
fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let message = cause.to_string();
        if text.contains(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    text
}
