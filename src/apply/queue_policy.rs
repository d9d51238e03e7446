//! The one writer of the central queue's policy (async, over the `aws` traits), as the bucket and key
//! policies are written: read fresh, merge, back up, write, read back, and merge again on top of another
//! writer's change, a bounded number of times. Before any topic is subscribed to the queue.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ApplyError;
use super::backup::backup_policy;
use super::subscriptions::{TopicOutcome, subscribe_topics};
use crate::aws::{AwsError, CentralSns, QueueArn, Queues};
use crate::plan::queue_policy::{
    QueueForm, QueueInput, QueuePolicyError, merge_queue_policy, parse_queue_policy,
};

/// Writes before giving up when another writer keeps changing the queue policy.
const MAX_QUEUE_WRITES: usize = 3;

/// What was done to the queue policy, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueOutcome {
    pub queue: String,
    /// The queue policy was written.
    pub written: bool,
    pub writes: usize,
    /// Where the queue policy that was replaced was saved.
    pub backup: Option<PathBuf>,
    pub size: usize,
    pub form: QueueForm,
    /// The topics the write added to trailhub's statement.
    pub added: Vec<String>,
    /// The queue policy in force after the write (as read back), for the audit's proof.
    #[serde(skip)]
    pub in_force: Option<serde_json::Value>,
}

/// Why the queue policy was not written. Each names the queue and what to do.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{0}")]
    Policy(#[from] QueuePolicyError),
    #[error(
        "{queue} is not an SQS queue ARN (arn:<partition>:sqs:<region>:<account>:<name>); fix [alarms] subscribe (runbooks/alarm-queue.md#queue-not-found)"
    )]
    NotAQueue { queue: String },
    #[error(
        "there is no queue {queue} (GetQueueUrl); create it in the central account, or fix [alarms] subscribe, then run trailhub apply again (runbooks/alarm-queue.md#queue-not-found)"
    )]
    NotFound { queue: String },
    #[error(
        "SQS refused the policy of queue {queue}: {operation} answered {code}: {message}; nothing else was written to the queue (runbooks/alarm-queue.md#queue-policy-refused)",
        operation = .error.operation, code = .error.code, message = .error.message
    )]
    Aws { queue: String, error: AwsError },
    #[error(
        "the policy of queue {queue} kept changing under trailhub ({attempts} writes, each followed by another writer's change); no topic was subscribed. Run again when the other writer is done (runbooks/alarm-queue.md#queue-policy-refused)"
    )]
    Race { queue: String, attempts: usize },
    #[error(transparent)]
    Backup(#[from] ApplyError),
}

/// Merges trailhub's statement for `input` into the queue's policy and writes it when it changes: backed
/// up first, read back after, merged again over another writer's version. The queue is `input.queue_arn`,
/// in the caller's (the central) account.
pub async fn write_queue_policy<Q: Queues>(
    sqs: &Q,
    input: &QueueInput<'_>,
    backup_dir: &Path,
) -> Result<QueueOutcome, QueueError> {
    let name = input.queue_arn.to_owned();
    let queue = QueueArn::parse(&name).ok_or_else(|| QueueError::NotAQueue {
        queue: name.clone(),
    })?;
    let aws = |error: AwsError| QueueError::Aws {
        queue: name.clone(),
        error,
    };
    let url = sqs
        .queue_url(&queue)
        .await
        .map_err(aws)?
        .ok_or_else(|| QueueError::NotFound {
            queue: name.clone(),
        })?;
    let mut live = sqs.queue_policy(&queue, &url).await.map_err(aws)?;
    let mut o = QueueOutcome {
        queue: name.clone(),
        written: false,
        writes: 0,
        backup: None,
        size: 0,
        form: QueueForm::Exact,
        added: vec![],
        in_force: None,
    };
    for _ in 0..MAX_QUEUE_WRITES {
        let merged = merge_queue_policy(live.as_deref(), input)?;
        (o.size, o.form) = (merged.size, merged.form);
        if !merged.changed {
            o.in_force = parse_queue_policy(&name, live.as_deref())?;
            return Ok(o);
        }
        if let Some(text) = &live {
            let file = format!("sqs-{}-{}", queue.account, queue.name);
            let path = backup_policy(backup_dir, &file, text)?;
            tracing::info!(path = %path.display(), "backed up the queue policy");
            o.backup.get_or_insert(path);
        }
        sqs.put_queue_policy(&queue, &url, &merged.text)
            .await
            .map_err(aws)?;
        o.written = true;
        o.writes += 1;
        o.added.extend(merged.added.iter().cloned());
        let back = sqs.queue_policy(&queue, &url).await.map_err(aws)?;
        // SQS may give the document back in another layout: compared as JSON
        if parse_queue_policy(&name, back.as_deref()).ok().flatten() == Some(merged.policy.clone())
        {
            o.in_force = Some(merged.policy);
            return Ok(o);
        }
        tracing::warn!(queue = %name, "the queue policy changed after trailhub wrote it: merging again");
        live = back;
    }
    Err(QueueError::Race {
        queue: name,
        attempts: o.writes,
    })
}

/// What `[alarms] subscribe` did for one queue: its policy, then each topic's subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmQueueRun {
    pub policy: QueueOutcome,
    pub subscriptions: Vec<TopicOutcome>,
}

/// The whole step for one queue, in its order: the queue policy first (so that no subscribed topic sends
/// to a queue that refuses it), then the subscriptions. A policy that cannot be written stops the step
/// before any Subscribe; one topic's failed Subscribe is that topic's outcome.
pub async fn apply_alarm_queue<C: Queues + CentralSns>(
    central: &C,
    input: &QueueInput<'_>,
    backup_dir: &Path,
) -> Result<AlarmQueueRun, QueueError> {
    let policy = write_queue_policy(central, input, backup_dir).await?;
    let subscriptions = subscribe_topics(central, input.queue_arn, input.topics)
        .await
        .map_err(|error| QueueError::Aws {
            queue: input.queue_arn.to_owned(),
            error,
        })?;
    Ok(AlarmQueueRun {
        policy,
        subscriptions,
    })
}

#[cfg(test)]
mod tests;
