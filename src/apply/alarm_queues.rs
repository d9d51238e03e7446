//! `[alarms] subscribe` in an apply (async, over the `aws` traits): after the member phase (which makes
//! each member's topic), for each queue: its policy first, then the subscriptions of the topics in scope
//! ([`apply_alarm_queue`]). One queue's failure is that queue's outcome; the others go on.

use std::path::Path;

use serde::Serialize;

use super::queue_policy::{AlarmQueueRun, apply_alarm_queue};
use super::subscriptions::SubscriptionOutcome;
use crate::aws::Central;
use crate::config::Config;
use crate::plan::Plan;
use crate::plan::queue_policy::QueueInput;

/// What became of one queue of `[alarms] subscribe`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum AlarmQueueOutcome {
    /// The policy was written (or already right) and the subscriptions tried.
    Done(AlarmQueueRun),
    /// The policy could not be written or the subscriptions not read: no Subscribe was made.
    Failed { queue: String, message: String },
}

/// Subscriptions made, present, pending and failed, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SubscriptionCounts {
    pub made: usize,
    pub present: usize,
    pub pending: usize,
    pub failed: usize,
}

impl AlarmQueueOutcome {
    pub fn queue(&self) -> &str {
        match self {
            AlarmQueueOutcome::Done(r) => &r.policy.queue,
            AlarmQueueOutcome::Failed { queue, .. } => queue,
        }
    }

    pub fn counts(&self) -> SubscriptionCounts {
        let mut c = SubscriptionCounts::default();
        if let AlarmQueueOutcome::Done(r) = self {
            for t in &r.subscriptions {
                match t.outcome {
                    SubscriptionOutcome::Present => c.present += 1,
                    SubscriptionOutcome::Subscribed => c.made += 1,
                    SubscriptionOutcome::Pending => c.pending += 1,
                    SubscriptionOutcome::Failed { .. } => c.failed += 1,
                }
            }
        }
        c
    }

    /// The queue failed, or a topic's subscription failed (one that waits for its confirmation is
    /// reported, and the audit flags it).
    pub fn is_bad(&self) -> bool {
        matches!(self, AlarmQueueOutcome::Failed { .. }) || self.counts().failed > 0
    }
}

/// Every queue of `[alarms] subscribe`, one after the other (their writes are few).
pub(super) async fn apply_alarm_queues<C: Central>(
    central: &C,
    cfg: &Config,
    plan: &Plan,
    org_id: Option<&str>,
    backup_dir: &Path,
) -> Vec<AlarmQueueOutcome> {
    let Some(alarms) = &cfg.alarms else {
        return vec![];
    };
    let topics = plan.alarm_topics();
    let mut out = Vec::new();
    for queue in &alarms.subscribe {
        let input = QueueInput {
            queue_arn: &queue.arn,
            topics: &topics,
            org_id,
            prune: None,
        };
        out.push(match apply_alarm_queue(central, &input, backup_dir).await {
            Ok(run) => AlarmQueueOutcome::Done(run),
            Err(e) => {
                tracing::warn!(queue = %queue.arn, error = %e, "the alarm queue was not set up");
                AlarmQueueOutcome::Failed {
                    queue: queue.arn.clone(),
                    message: e.to_string(),
                }
            }
        });
    }
    out
}
