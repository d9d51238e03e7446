//! The subscriptions of the members' alarm topics to the central queue (pure): for each topic in scope,
//! whether the central account's subscription to the queue is there and confirmed, waits for its
//! confirmation, or is missing (and so is to be made). What the central account's ListSubscriptions said
//! is the input; the subscriptions of other endpoints, other protocols and other owners are never touched.

use serde::Serialize;

use crate::model::AccountId;
use crate::world::{Subscription, topic_region};

/// Where one topic's subscription to the queue stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum SubscriptionState {
    /// Subscribed and confirmed: messages reach the queue.
    Confirmed { arn: String },
    /// Subscribed, waiting for its confirmation: no message reaches the queue yet (SNS-11).
    Pending,
    /// No subscription of the topic to the queue.
    Missing,
}

/// One topic in scope and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicSubscription {
    pub account: AccountId,
    pub topic: String,
    #[serde(flatten)]
    pub state: SubscriptionState,
}

/// Each topic of `topics` with the state of its subscription to `queue_arn` among `existing` (a confirmed
/// one wins over a pending one).
pub fn subscription_states(
    queue_arn: &str,
    topics: &[(AccountId, String)],
    existing: &[Subscription],
) -> Vec<TopicSubscription> {
    topics
        .iter()
        .map(|(account, topic)| {
            let mine = existing.iter().filter(|s| {
                s.topic_arn == *topic && s.protocol == "sqs" && s.endpoint == queue_arn
            });
            let mut state = SubscriptionState::Missing;
            for s in mine {
                match &s.arn {
                    Some(arn) => {
                        state = SubscriptionState::Confirmed { arn: arn.clone() };
                        break;
                    }
                    None => state = SubscriptionState::Pending,
                }
            }
            TopicSubscription {
                account: account.clone(),
                topic: topic.clone(),
                state,
            }
        })
        .collect()
}

/// The Regions whose subscriptions need listing: each topic's, once, in order.
pub fn topic_regions(topics: &[(AccountId, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, t) in topics {
        if let Some(r) = topic_region(t).filter(|r| !out.iter().any(|o| o == r)) {
            out.push(r.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUEUE: &str = "arn:aws:sqs:us-east-1:111111111111:alarms";

    fn sub(topic: &str, endpoint: &str, arn: Option<&str>) -> Subscription {
        Subscription {
            topic_arn: topic.into(),
            protocol: "sqs".into(),
            endpoint: endpoint.into(),
            arn: arn.map(Into::into),
        }
    }

    #[test]
    fn each_topic_is_confirmed_pending_or_missing() {
        let t = |a: &str| format!("arn:aws:sns:us-east-1:{a}:trailhub-security-alarms");
        let topics: Vec<(AccountId, String)> = ["222222222222", "333333333333", "444444444444"]
            .iter()
            .map(|a| (a.parse().unwrap(), t(a)))
            .collect();
        let existing = [
            sub(&t("222222222222"), QUEUE, Some("arn:sub:1")),
            sub(&t("333333333333"), QUEUE, None),
            // another endpoint's subscription of the third topic does not count
            sub(
                &t("444444444444"),
                "arn:aws:sqs:us-east-1:111111111111:other",
                Some("arn:sub:2"),
            ),
        ];
        let states: Vec<SubscriptionState> = subscription_states(QUEUE, &topics, &existing)
            .into_iter()
            .map(|s| s.state)
            .collect();
        assert_eq!(
            states,
            [
                SubscriptionState::Confirmed {
                    arn: "arn:sub:1".into()
                },
                SubscriptionState::Pending,
                SubscriptionState::Missing
            ]
        );
        assert_eq!(topic_regions(&topics), ["us-east-1"]);
    }
}
