//! `[alarms] subscribe` in the plan (pure): for each queue, as read, the topics its policy would gain and
//! the subscriptions to make, or why the queue could not be read. Apply makes them after the accounts.

use serde::Serialize;

use super::Plan;
use super::alarms::AlarmsPlan;
use super::queue_policy::{QueueInput, merge_queue_policy};
use super::subscriptions::{SubscriptionState, subscription_states};
use crate::model::AccountId;
use crate::world::Subscription;

/// One queue of `[alarms] subscribe`, planned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuePlan {
    pub queue: String,
    /// The topics the queue policy's statement gains.
    pub added_topics: Vec<String>,
    /// The accounts whose topic is to be subscribed to the queue.
    pub subscribe: Vec<AccountId>,
    /// The accounts whose subscription waits for its confirmation (apply makes nothing for them).
    pub pending: Vec<AccountId>,
    /// The queue could not be read or its policy merged: apply says why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl QueuePlan {
    pub fn has_changes(&self) -> bool {
        !self.added_topics.is_empty() || !self.subscribe.is_empty() || self.error.is_some()
    }

    /// The queue could not be read: apply tries, and reports it.
    pub fn unreadable(queue: &str, error: String) -> Self {
        QueuePlan {
            queue: queue.to_owned(),
            added_topics: vec![],
            subscribe: vec![],
            pending: vec![],
            error: Some(error),
        }
    }
}

impl Plan {
    /// Each account whose `[alarms]` part names its topic, with the topic's ARN (in the Region of the
    /// account's log group).
    pub fn alarm_topics(&self) -> Vec<(AccountId, String)> {
        self.accounts
            .iter()
            .filter_map(|a| match &a.alarms {
                Some(AlarmsPlan::Changes { topic_arn, .. }) => {
                    Some((a.id.clone(), topic_arn.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

/// The queue's plan from its policy (as read) and the central account's subscriptions.
pub fn plan_queue(
    input: &QueueInput,
    policy: Option<&str>,
    subscriptions: &[Subscription],
) -> QueuePlan {
    let merged = match merge_queue_policy(policy, input) {
        Ok(m) => m,
        Err(e) => return QueuePlan::unreadable(input.queue_arn, e.to_string()),
    };
    let states = subscription_states(input.queue_arn, input.topics, subscriptions);
    let with = |want: fn(&SubscriptionState) -> bool| {
        (states.iter())
            .filter(|s| want(&s.state))
            .map(|s| s.account.clone())
            .collect()
    };
    QueuePlan {
        queue: input.queue_arn.to_owned(),
        added_topics: merged.added,
        subscribe: with(|s| matches!(s, SubscriptionState::Missing)),
        pending: with(|s| matches!(s, SubscriptionState::Pending)),
        error: None,
    }
}
