//! The audit's judgement of the central alarm queue (pure): for each member's alarm topic in scope, whether
//! the central account's subscription of the queue to it is there (`alarm-subscription-missing`) and
//! confirmed (`alarm-subscription-pending`), and whether the queue's policy lets the topic send
//! (`alarm-queue-denied`, proved with the policy evaluator as the bucket policy is for each writer).

use serde_json::Value;

use super::report::{Code, Problem};
use crate::aws::Subscription;
use crate::model::AccountId;
use crate::plan::queue_policy::topic_denial;
use crate::plan::subscriptions::{SubscriptionState, subscription_states};

/// What the audit read of the queue: its policy (None: it has none) and the central account's
/// subscriptions in the topics' Regions.
#[derive(Debug, Clone, Copy)]
pub struct QueueFacts<'a> {
    pub queue_arn: &'a str,
    /// Each member in scope and its alarm topic's ARN.
    pub topics: &'a [(AccountId, String)],
    pub policy: Option<&'a Value>,
    pub subscriptions: &'a [Subscription],
    /// The organization's ID, when known (`aws:SourceOrgID` of SNS's delivery).
    pub org_id: Option<&'a str>,
}

/// Each account's problems with the queue, in the order of `topics` (an account with none is left out).
pub fn queue_problems(f: &QueueFacts) -> Vec<(AccountId, Vec<Problem>)> {
    let states = subscription_states(f.queue_arn, f.topics, f.subscriptions);
    states
        .into_iter()
        .filter_map(|s| {
            let mut problems = Vec::new();
            match s.state {
                SubscriptionState::Confirmed { .. } => {}
                SubscriptionState::Pending => problems.push(Problem::gap(
                    Code::AlarmSubscriptionPending,
                    format!(
                        "the subscription of queue {} to topic {} waits for its confirmation: no alarm of the account reaches the queue (runbooks/alarm-queue.md#alarm-subscription-pending)",
                        f.queue_arn, s.topic
                    ),
                )),
                SubscriptionState::Missing => problems.push(Problem::gap(
                    Code::AlarmSubscriptionMissing,
                    format!(
                        "topic {} is not subscribed to queue {}: the account's alarms do not reach the security team (runbooks/alarm-queue.md#alarm-subscription-missing)",
                        s.topic, f.queue_arn
                    ),
                )),
            }
            if let Some(why) = topic_denial(f.policy, f.queue_arn, &s.topic, f.org_id) {
                problems.push(Problem::gap(
                    Code::AlarmQueueDenied,
                    format!("{why}: SNS drops its alarms (runbooks/alarm-queue.md#alarm-queue-denied)"),
                ));
            }
            (!problems.is_empty()).then_some((s.account, problems))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::queue_policy::{QueueInput, merge_queue_policy};

    const QUEUE: &str = "arn:aws:sqs:us-east-1:111111111111:security-alarms";

    fn topics() -> Vec<(AccountId, String)> {
        ["222222222222", "333333333333", "444444444444"]
            .iter()
            .map(|id| {
                let t = format!("arn:aws:sns:us-east-1:{id}:trailhub-security-alarms");
                (id.parse().unwrap(), t)
            })
            .collect()
    }

    fn sub(topic: &str, arn: Option<&str>) -> Subscription {
        Subscription {
            topic_arn: topic.into(),
            protocol: "sqs".into(),
            endpoint: QUEUE.into(),
            arn: arn.map(Into::into),
        }
    }

    fn codes(p: &[(AccountId, Vec<Problem>)]) -> Vec<(String, Vec<&'static str>)> {
        p.iter()
            .map(|(a, ps)| (a.to_string(), ps.iter().map(|p| p.code.as_str()).collect()))
            .collect()
    }

    #[test]
    fn a_missing_or_pending_subscription_and_a_topic_the_policy_refuses_are_gaps() {
        let t = topics();
        // the policy names the first two topics only
        let merged = merge_queue_policy(
            None,
            &QueueInput {
                queue_arn: QUEUE,
                topics: &t[..2],
                org_id: None,
                prune: None,
            },
        )
        .unwrap();
        let subs = [sub(&t[0].1, Some("arn:s:1")), sub(&t[1].1, None)];
        let facts = QueueFacts {
            queue_arn: QUEUE,
            topics: &t,
            policy: Some(&merged.policy),
            subscriptions: &subs,
            org_id: None,
        };
        assert_eq!(
            codes(&queue_problems(&facts)),
            [
                (
                    "333333333333".to_owned(),
                    vec!["alarm-subscription-pending"]
                ),
                (
                    "444444444444".to_owned(),
                    vec!["alarm-subscription-missing", "alarm-queue-denied"]
                ),
            ]
        );

        // no policy at all: every topic is refused
        let none = QueueFacts {
            policy: None,
            ..facts
        };
        let p = queue_problems(&none);
        assert_eq!(p.len(), 3);
        assert!(p[0].1[0].message.contains("no policy"), "{:?}", p[0]);
    }

    #[test]
    fn everything_in_place_is_no_problem() {
        let t = topics();
        let merged = merge_queue_policy(
            None,
            &QueueInput {
                queue_arn: QUEUE,
                topics: &t,
                org_id: None,
                prune: None,
            },
        )
        .unwrap();
        let subs: Vec<Subscription> = t.iter().map(|(_, x)| sub(x, Some("arn:s"))).collect();
        let facts = QueueFacts {
            queue_arn: QUEUE,
            topics: &t,
            policy: Some(&merged.policy),
            subscriptions: &subs,
            org_id: None,
        };
        assert!(queue_problems(&facts).is_empty());
    }
}
