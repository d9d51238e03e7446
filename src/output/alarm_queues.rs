//! `[alarms] subscribe` in the plan and apply texts (pure rendering): one line a queue, its policy change
//! and its subscriptions, counted.

use std::io::{self, Write};

use crate::apply::AlarmQueueOutcome;
use crate::plan::alarm_queues::QueuePlan;

/// `alarm queue Q: policy adds N topics; subscribe N topics (N pending)`, or why it cannot be read.
pub(super) fn write_queue_plans(out: &mut dyn Write, plans: &[QueuePlan]) -> io::Result<()> {
    for p in plans {
        if let Some(e) = &p.error {
            writeln!(out, "alarm queue {}: {e}", p.queue)?;
            continue;
        }
        let policy = match p.added_topics.len() {
            0 => "policy up to date".to_owned(),
            n => format!("policy adds {n} topics"),
        };
        let subscribe = match p.subscribe.len() {
            0 => "every topic subscribed".to_owned(),
            n => format!("subscribe {n} topics"),
        };
        let pending = match p.pending.len() {
            0 => String::new(),
            n => format!(" ({n} waiting for confirmation)"),
        };
        writeln!(
            out,
            "alarm queue {}: {policy}; {subscribe}{pending}",
            p.queue
        )?;
    }
    Ok(())
}

/// `alarm queue Q: policy written (+N topics); subscriptions: N made, N present, N pending, N failed`, and
/// each failure's message.
pub(super) fn write_queue_outcomes(
    out: &mut dyn Write,
    outcomes: &[AlarmQueueOutcome],
) -> io::Result<()> {
    for o in outcomes {
        let run = match o {
            AlarmQueueOutcome::Failed { queue, message } => {
                writeln!(out, "alarm queue {queue}: failed: {message}")?;
                continue;
            }
            AlarmQueueOutcome::Done(run) => run,
        };
        let policy = if run.policy.written {
            format!("policy written (+{} topics)", run.policy.added.len())
        } else {
            "policy up to date".to_owned()
        };
        let c = o.counts();
        writeln!(
            out,
            "alarm queue {}: {policy}; subscriptions: {} made, {} present, {} pending, {} failed",
            o.queue(),
            c.made,
            c.present,
            c.pending,
            c.failed
        )?;
        for t in &run.subscriptions {
            if let crate::apply::subscriptions::SubscriptionOutcome::Failed { message, .. } =
                &t.outcome
            {
                writeln!(out, "  {}: {message}", t.account)?;
            }
        }
    }
    Ok(())
}
