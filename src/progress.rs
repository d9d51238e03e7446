//! Progress over the accounts (no I/O): the orchestration says when a phase starts, when it finds more
//! accounts and when each account's outcome is known; what shows it is the edge's business (the bar on a
//! terminal, `output::progress_bar`). [`Silent`], the default, shows nothing, so that tests and benchmarks run
//! as they would without it.

use std::fmt;
use std::sync::Arc;

/// The part of a run that goes over every account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reaching each account and reading its trails (`plan`, and the start of `apply` and `audit`).
    Observing,
    /// Each account's changes (`apply`).
    Applying,
    /// Each account's log files and trails judged (`audit`).
    Auditing,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Observing => "observing",
            Phase::Applying => "applying",
            Phase::Auditing => "auditing",
        }
    }
}

/// What a run tells of its progress. Called from many accounts' tasks at once.
pub trait Progress: Send + Sync {
    /// A phase starts over `total` accounts (0 when they are still being listed: see [`Progress::found`]).
    fn start(&self, phase: Phase, total: usize);
    /// `more` accounts were found for the phase under way (each ListAccounts page as it arrives).
    fn found(&self, more: usize);
    /// One account of the phase is done; `failed`: it could not be read or changed (an unreachable account,
    /// a failed part), as its line in the report will say.
    fn account_done(&self, failed: bool);
    /// The phase is over, whether every account was done or not (an error, a Ctrl-C).
    fn finish(&self);
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: Phase, _: usize) {}
    fn found(&self, _: usize) {}
    fn account_done(&self, _: bool) {}
    fn finish(&self) {}
}

/// The progress a run reports to, shared by the tasks of its accounts: [`Silent`] unless the edge gives
/// one that shows.
#[derive(Clone)]
pub struct SharedProgress(Arc<dyn Progress>);

impl SharedProgress {
    pub fn new(progress: Arc<dyn Progress>) -> Self {
        SharedProgress(progress)
    }
}

impl Default for SharedProgress {
    fn default() -> Self {
        SharedProgress(Arc::new(Silent))
    }
}

impl fmt::Debug for SharedProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedProgress")
    }
}

impl std::ops::Deref for SharedProgress {
    type Target = dyn Progress;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
