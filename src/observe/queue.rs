//! Reading the central alarm queue for the audit (async, read-only, over the `aws` traits): its policy
//! and the central account's subscriptions in each topic's Region, the facts `audit::subscriptions`
//! judges.

use serde_json::Value;

use crate::aws::{AwsError, CentralSns, QueueArn, Queues, Subscription};
use crate::model::AccountId;
use crate::plan::queue_policy::{QueuePolicyError, parse_queue_policy};
use crate::plan::subscriptions::topic_regions;

/// What was read of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRead {
    /// Its policy; None when it has none.
    pub policy: Option<Value>,
    /// The central account's subscriptions in the topics' Regions.
    pub subscriptions: Vec<Subscription>,
}

/// Why the queue could not be read. Each names the queue and its runbook section.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueueReadError {
    #[error(
        "{queue} is not an SQS queue ARN, or there is no such queue (runbooks/alarm-queue.md#queue-not-found)"
    )]
    NotFound { queue: String },
    #[error("{0}")]
    Policy(#[from] QueuePolicyError),
    #[error("reading queue {queue}: {operation} answered {code}: {message}; {hint}",
        operation = .error.operation, code = .error.code, message = .error.message, hint = .error.hint())]
    Aws { queue: String, error: AwsError },
}

/// Reads the queue's policy (GetQueueUrl, GetQueueAttributes) and the subscriptions (ListSubscriptions in
/// each Region of `topics`).
pub async fn read_queue<C: Queues + CentralSns>(
    central: &C,
    queue_arn: &str,
    topics: &[(AccountId, String)],
) -> Result<QueueRead, QueueReadError> {
    let not_found = || QueueReadError::NotFound {
        queue: queue_arn.to_owned(),
    };
    let aws = |error: AwsError| QueueReadError::Aws {
        queue: queue_arn.to_owned(),
        error,
    };
    let queue = QueueArn::parse(queue_arn).ok_or_else(not_found)?;
    let url = central
        .queue_url(&queue)
        .await
        .map_err(aws)?
        .ok_or_else(not_found)?;
    let text = central.queue_policy(&queue, &url).await.map_err(aws)?;
    let policy = parse_queue_policy(queue_arn, text.as_deref())?;
    let mut subscriptions = Vec::new();
    for region in topic_regions(topics) {
        subscriptions.extend(central.subscriptions(&region).await.map_err(aws)?);
    }
    Ok(QueueRead {
        policy,
        subscriptions,
    })
}

/// Each queue of `[alarms] subscribe` read and planned for the topics of `plan` (`plan.alarm_queues`).
pub async fn plan_queues<C: Queues + CentralSns>(
    central: &C,
    cfg: &crate::config::Config,
    plan: &crate::plan::Plan,
) -> Vec<crate::plan::alarm_queues::QueuePlan> {
    use crate::plan::alarm_queues::{QueuePlan, plan_queue};
    let Some(alarms) = &cfg.alarms else {
        return vec![];
    };
    let topics = plan.alarm_topics();
    let mut out = Vec::new();
    for queue in &alarms.subscribe {
        out.push(match read_queue(central, &queue.arn, &topics).await {
            Ok(read) => {
                let text = read.policy.as_ref().map(Value::to_string);
                let input = crate::plan::queue_policy::QueueInput {
                    queue_arn: &queue.arn,
                    topics: &topics,
                    org_id: plan.org_id.as_deref(),
                    prune: None,
                };
                plan_queue(&input, text.as_deref(), &read.subscriptions)
            }
            Err(e) => QueuePlan::unreadable(&queue.arn, e.to_string()),
        });
    }
    out
}
