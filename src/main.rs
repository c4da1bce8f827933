//! The `credtray` binary: parses the command line and hands it to the library's CLI
//! adapter. Errors reach the user as one line on stderr and a non-zero exit code.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = credtray::cli::Cli::parse();
    let background = matches!(
        cli.command,
        None | Some(credtray::cli::args::Command::Agent)
    );
    let default_filter = if background {
        "credtray=info,warn,aws_config=error"
    } else {
        "credtray=warn,error"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("CREDTRAY_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if cli.command.is_none() {
        // Before any thread runs: the toolkit's settings, read from the environment.
        credtray::tray::prepare_environment();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("credtray: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if cli.command.is_none() {
        // The tray needs the main thread for its event loop; tokio runs beside it.
        return report(credtray::tray::run(runtime));
    }
    let code = runtime.block_on(async move {
        report(
            credtray::cli::run(cli)
                .await
                .map(|()| std::process::ExitCode::SUCCESS),
        )
    });
    // The worker threads end before the process does (under wine, threads still running
    // at exit made the teardown slow enough for wineserver to kill the process after it
    // had answered); a blocking thread waiting on stdin (an MFA prompt) is not waited for
    // beyond that.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

/// Prints an error as one line on stderr and turns the result into an exit code.
fn report(result: anyhow::Result<std::process::ExitCode>) -> std::process::ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(": ");
                    msg.push_str(&c);
                }
            }
            eprintln!("credtray: {}", msg.replace('\n', " "));
            std::process::ExitCode::FAILURE
        }
    }
}
