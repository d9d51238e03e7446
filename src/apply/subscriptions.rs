//! The subscriptions of the members' alarm topics to the central queue (async, over the `aws` traits): made
//! by the central account, the queue's owner, so that none waits for a confirmation (SNS-10). What exists is
//! read first with the central account's ListSubscriptions (every page, in each topic's Region), so that a
//! second apply makes no Subscribe call; a subscription that waits for its confirmation is reported.
//! Subscribe calls go a few at a time, well within SNS's rate (SNS-13).

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::aws::{AwsError, CentralSns};
use crate::model::AccountId;
use crate::plan::subscriptions::{SubscriptionState, subscription_states, topic_regions};

/// Subscribe calls in flight at once.
pub const SUBSCRIBE_CONCURRENCY: usize = 4;

/// What became of one topic's subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum SubscriptionOutcome {
    /// It was there, confirmed: nothing done.
    Present,
    /// This run subscribed the queue, and SNS confirmed it.
    Subscribed,
    /// It waits for its confirmation (made now or before): no alarm reaches the queue until it is confirmed
    /// (runbooks/alarm-queue.md#subscription-pending-confirmation).
    Pending,
    /// Subscribe failed: the topic's account's outcome, not the run's.
    Failed {
        #[serde(skip)]
        error: AwsError,
        message: String,
    },
}

/// One topic and what became of its subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicOutcome {
    pub account: AccountId,
    pub topic: String,
    #[serde(flatten)]
    pub outcome: SubscriptionOutcome,
}

/// Subscribes `queue_arn` to each topic of `topics` that is not yet subscribed to it (protocol `sqs`), as
/// the caller (the queue's owner). An error listing the subscriptions stops the step (nothing is known);
/// one topic's failed Subscribe is that topic's outcome.
pub async fn subscribe_topics<S: CentralSns>(
    sns: &S,
    queue_arn: &str,
    topics: &[(AccountId, String)],
) -> Result<Vec<TopicOutcome>, AwsError> {
    let mut existing = Vec::new();
    for region in topic_regions(topics) {
        existing.extend(sns.subscriptions(&region).await?);
    }
    let states = subscription_states(queue_arn, topics, &existing);
    let outcomes = stream::iter(states)
        .map(|s| async move {
            let outcome = match s.state {
                SubscriptionState::Confirmed { .. } => SubscriptionOutcome::Present,
                SubscriptionState::Pending => SubscriptionOutcome::Pending,
                SubscriptionState::Missing => match sns.subscribe(&s.topic, queue_arn).await {
                    Ok(Some(_)) => SubscriptionOutcome::Subscribed,
                    Ok(None) => SubscriptionOutcome::Pending,
                    Err(e) => {
                        let error = e.in_account(&s.account);
                        SubscriptionOutcome::Failed {
                            message: format!(
                                "Subscribe of {} to {queue_arn} failed: {}: {}; {}",
                                s.topic, error.code, error.message, SUBSCRIBE_HINT
                            ),
                            error,
                        }
                    }
                },
            };
            TopicOutcome {
                account: s.account,
                topic: s.topic,
                outcome,
            }
        })
        .buffered(SUBSCRIBE_CONCURRENCY)
        .collect()
        .await;
    Ok(outcomes)
}

/// What to do when a Subscribe fails.
pub const SUBSCRIBE_HINT: &str = "check that the member's topic exists and that its topic policy lets the central account subscribe this queue (sns:Subscribe with sns:Protocol sqs and sns:Endpoint the queue), then run trailhub apply again (runbooks/alarm-queue.md#subscription-failed)";
