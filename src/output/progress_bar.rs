//! The progress bar on stderr (I/O, indicatif): the phase of a run, the accounts done of the total, the
//! failures so far and the time left, on one line, drawn only where `main` found a terminal; and
//! [`LogWriter`], tracing's writer, which lifts the bar for each log line so that the two never share a
//! line. A phase ends by leaving its last state as a line of its own (`applying: 201/201 accounts, 0
//! failed, in 9s`), so that what follows (the plan on stdout, the question, the results) starts below it.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::progress::{Phase, Progress};

/// While a phase runs: `applying: [=========>          ] 120/201 accounts, 2 failed, 4s left`.
const RUNNING: &str = "{prefix}: [{bar:30}] {pos}/{len} accounts, {msg}, {left} left";
/// Once it is over, whether every account was done or not: `applying: 201/201 accounts, 2 failed, in 9s`.
const DONE: &str = "{prefix}: {pos}/{len} accounts, {msg}, in {elapsed}";

/// The bar of the phase under way, if one is.
#[derive(Debug, Default)]
pub struct Bar {
    current: Mutex<Option<ProgressBar>>,
    failed: AtomicUsize,
}

impl Bar {
    /// The bar, shared by the run (which tells it its progress) and the log writer.
    pub fn new() -> Arc<Bar> {
        Arc::new(Bar::default())
    }

    fn bar(&self) -> Option<ProgressBar> {
        self.slot().clone()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` (which writes to stderr) with the bar cleared, and draws the bar again below.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.bar() {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

impl Progress for Bar {
    fn start(&self, phase: Phase, total: usize) {
        self.finish();
        self.failed.store(0, Ordering::Relaxed);
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
            .with_style(style(RUNNING))
            .with_prefix(phase.as_str())
            .with_message("0 failed");
        // redrawn even while no account finishes (the policy write, a slow account), so the time moves
        bar.enable_steady_tick(Duration::from_millis(250));
        *self.slot() = Some(bar);
    }

    fn found(&self, more: usize) {
        if let Some(bar) = self.bar() {
            bar.inc_length(more as u64);
        }
    }

    fn account_done(&self, failed: bool) {
        let Some(bar) = self.bar() else { return };
        if failed {
            let n = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("{n} failed"));
        }
        bar.inc(1);
    }

    fn finish(&self) {
        // taken out first: a log line after the phase goes straight to stderr, below the line left
        let bar = self.slot().take();
        if let Some(bar) = bar {
            bar.set_style(style(DONE));
            // abandon, not finish: finish would show every account done after an error or a Ctrl-C
            bar.abandon();
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
        .with_key("left", left)
}

/// The time left, once an account is done to estimate it from.
fn left(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = if state.pos() == 0 {
        w.write_str("?")
    } else {
        write!(w, "{:#}", HumanDuration(state.eta()))
    };
}

/// tracing's writer: stderr, with the bar (if any) lifted for each log line. tracing-subscriber formats
/// an event whole and writes it in one call, so each line is written in one suspension.
#[derive(Debug, Clone, Default)]
pub struct LogWriter(Option<Arc<Bar>>);

impl LogWriter {
    pub fn new(bar: Option<Arc<Bar>>) -> Self {
        LogWriter(bar)
    }
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let write = || io::stderr().lock().write_all(buf);
        match &self.0 {
            Some(bar) => bar.suspend(write)?,
            None => write()?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_parse() {
        for t in [RUNNING, DONE] {
            assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn a_bar_off_a_terminal_draws_nothing_and_counts_nothing_after_its_phase() {
        // the test's stderr is not a terminal here (captured), so indicatif draws nothing; the counts
        // still move and the phase's bar is gone once it is over
        let bar = Bar::default();
        bar.start(Phase::Observing, 0);
        bar.found(3);
        bar.account_done(false);
        bar.account_done(true);
        let b = bar.bar().unwrap();
        assert_eq!((b.position(), b.length()), (2, Some(3)));
        assert_eq!(b.message(), "1 failed");
        bar.finish();
        assert!(bar.bar().is_none());
        bar.account_done(true);
        assert_eq!(bar.suspend(|| 7), 7);
    }
}
