//! The trailhub binary: parse, run, print the error, return the exit code. The only place that exits.

use std::process::ExitCode;

use std::io::IsTerminal;
use std::sync::Arc;

use clap::Parser;
use trailhub::cli::{Cli, Command};
use trailhub::interrupt::Interrupt;
use trailhub::output::Terminal;
use trailhub::output::progress_bar::{Bar, LogWriter};
use trailhub::progress::{Progress, SharedProgress};

/// Whether an event may carry a credential: aws_sigv4 logs canonical requests (session token included),
/// and the SDK's orchestrator and HTTP client log whole requests (Authorization, x-amz-security-token) at
/// trace level. Those are dropped whatever RUST_LOG says.
fn may_carry_secrets(meta: &tracing::Metadata<'_>) -> bool {
    let t = meta.target();
    t.starts_with("aws_sigv4")
        || (*meta.level() == tracing::Level::TRACE
            && [
                "aws_smithy_runtime",
                "aws_smithy_http_client",
                "hyper",
                "hyper_util",
                "aws_smithy_runtime_api",
            ]
            .iter()
            .any(|p| t.starts_with(p)))
}

/// A progress bar for a person watching: stderr is a terminal that can redraw a line, and it was not
/// turned off. Never under cron, CI or a pipe (stderr is then not a terminal).
fn progress_bar(off: bool) -> Option<Arc<Bar>> {
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    (!off && !dumb && std::io::stderr().is_terminal()).then(Bar::new)
}

/// Logs on stderr, each line written with the progress bar (if any) lifted out of its way.
fn init_logs(verbose: u8, bar: Option<Arc<Bar>>) {
    use tracing_subscriber::filter::{FilterExt, filter_fn};
    use tracing_subscriber::prelude::*;
    let default = match verbose {
        0 => "error,trailhub=warn",
        1 => "error,trailhub=info",
        _ => "warn,trailhub=debug",
    };
    let env = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(LogWriter::new(bar))
        .with_ansi(std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal())
        .with_target(false)
        .with_filter(env.and(filter_fn(|m| !may_carry_secrets(m))));
    tracing_subscriber::registry().with(layer).init();
}

/// Watches for Ctrl-C (within the runtime). A read-only command aborts on the first; one that writes sets
/// `interrupt` (finishing what is in flight), says so above the bar, and aborts on the second. The
/// receiver hears of the abort.
fn watch_ctrl_c(
    read_only: bool,
    interrupt: Interrupt,
    bar: Option<Arc<Bar>>,
) -> tokio::sync::oneshot::Receiver<()> {
    let (abort_tx, abort_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            if read_only {
                let _ = abort_tx.send(());
                return;
            }
            interrupt.trigger();
            let say = || {
                eprintln!(
                    "\ninterrupted: finishing the accounts in flight, starting no new one (Ctrl-C again aborts at once)"
                )
            };
            match &bar {
                Some(bar) => bar.suspend(say),
                None => say(),
            }
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = abort_tx.send(());
            }
        }
    });
    abort_rx
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let bar = progress_bar(cli.global.no_progress);
    init_logs(cli.global.verbose, bar.clone());
    // what main prints on stderr itself goes below the bar, which is stopped first
    let stop_bar = {
        let bar = bar.clone();
        move || {
            if let Some(bar) = &bar {
                bar.finish();
            }
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let interrupt = Interrupt::default();
    // only apply and restore-policy change something: they finish what is in flight on the first Ctrl-C;
    // the others end at once
    let read_only = !matches!(cli.command, Command::Apply(_) | Command::RestorePolicy(_));
    let code = runtime.block_on(async {
        let abort_rx = watch_ctrl_c(read_only, interrupt.clone(), bar.clone());
        // `trailhub ... | head`: the rest is dropped quietly once head has read its lines
        let mut stdout = trailhub::output::pipe::ClosedPipeQuiet::new(std::io::stdout().lock());
        let progress = bar.clone().map(|b| SharedProgress::new(b));
        let mut terminal = Terminal::with_progress(progress.unwrap_or_default());
        let run = trailhub::commands::execute(
            &cli.global,
            &cli.command,
            &mut terminal,
            &mut stdout,
            interrupt.clone(),
        );
        tokio::select! {
            r = run => match r {
                Ok(code) => code,
                Err(e) => {
                    stop_bar();
                    eprintln!("error: {e}");
                    for cause in e.chain().skip(1) {
                        eprintln!("  Caused by: {cause}");
                    }
                    2
                }
            },
            _ = abort_rx => {
                stop_bar();
                if read_only {
                    eprintln!("\ninterrupted: nothing was changed");
                } else {
                    eprintln!("aborted: run apply again to converge (runbooks/troubleshooting.md#interrupted)");
                }
                130
            }
        }
    });
    // Do not wait for blocked tasks (an aborted run) when shutting the runtime down.
    runtime.shutdown_background();
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
