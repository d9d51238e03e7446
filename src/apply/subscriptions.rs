//! The subscriptions of the members' alarm topics to the central queue (async, over the `aws` traits): made
//! by the central account, the queue's owner, so that none waits for a confirmation (SNS-10). What exists is
//! read first with the central account's ListSubscriptions (every page, in each topic's Region), so that a
//! second apply makes no Subscribe call; a subscription that waits for its confirmation is reported.
//! Subscribe calls go a few at a time ([`SUBSCRIBE_CONCURRENCY`]); ListSubscriptions once a page, well within
//! its 30 calls a second (SNS-12).

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
    /// (runbooks/alarm-queue.md#alarm-subscription-pending).
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::aws::Subscription;
    use crate::fake::FakeAws;

    const QUEUE: &str = "arn:aws:sqs:us-east-1:111111111111:security-alarms";

    fn topic(id: &str) -> String {
        format!("arn:aws:sns:us-east-1:{id}:trailhub-security-alarms")
    }

    fn setup(ids: &[&str]) -> (FakeAws, Vec<(AccountId, String)>) {
        let aws = FakeAws::new("111111111111", "us-east-1", Duration::ZERO);
        let mut w = aws.world();
        w.queue_world.add_queue(QUEUE);
        for id in ids {
            w.queue_world.add_topic(&topic(id), "111111111111");
        }
        drop(w);
        let topics = ids
            .iter()
            .map(|id| (id.parse().unwrap(), topic(id)))
            .collect();
        (aws, topics)
    }

    fn outcomes(o: &[TopicOutcome]) -> Vec<&SubscriptionOutcome> {
        o.iter().map(|t| &t.outcome).collect()
    }

    #[tokio::test]
    async fn each_topic_is_subscribed_once_and_a_second_run_makes_no_call() {
        let (aws, topics) = setup(&["222222222222", "333333333333"]);
        let o = subscribe_topics(&aws, QUEUE, &topics).await.unwrap();
        assert_eq!(outcomes(&o), [&SubscriptionOutcome::Subscribed; 2]);
        assert_eq!(aws.calls("Subscribe"), 2);
        let again = subscribe_topics(&aws, QUEUE, &topics).await.unwrap();
        assert_eq!(outcomes(&again), [&SubscriptionOutcome::Present; 2]);
        assert_eq!(
            aws.calls("Subscribe"),
            2,
            "the second run subscribes nothing"
        );
        assert_eq!(aws.calls("ListSubscriptions"), 2, "one page a run");
    }

    /// A subscription that waits for its confirmation is reported, not made again; other subscriptions of
    /// the topic (another endpoint) are left alone; a topic whose policy does not let the central account
    /// subscribe is that account's failure, and the others go on.
    #[tokio::test]
    async fn pending_and_refused_subscriptions_are_each_topics_outcome() {
        let (aws, topics) = setup(&["222222222222", "333333333333", "444444444444"]);
        {
            let mut w = aws.world();
            let q = &mut w.queue_world;
            q.subscriptions.push((
                "111111111111".into(),
                Subscription {
                    topic_arn: topic("222222222222"),
                    protocol: "sqs".into(),
                    endpoint: QUEUE.into(),
                    arn: None,
                },
            ));
            q.topics.insert(topic("444444444444"), None);
        }
        let o = subscribe_topics(&aws, QUEUE, &topics).await.unwrap();
        assert_eq!(o[0].outcome, SubscriptionOutcome::Pending);
        assert_eq!(o[1].outcome, SubscriptionOutcome::Subscribed);
        let SubscriptionOutcome::Failed { error, message } = &o[2].outcome else {
            panic!("{:?}", o[2]);
        };
        assert_eq!(error.code, "AuthorizationError");
        assert_eq!(
            error.account.as_ref().map(|a| a.as_str()),
            Some("444444444444")
        );
        assert!(
            message.contains("runbooks/alarm-queue.md#subscription-failed"),
            "{message}"
        );
        assert_eq!(aws.calls("Subscribe"), 2);
    }

    /// The fake's SNS: subscriptions the queue's owner makes need no confirmation; another account's wait
    /// for one (SNS-10); ListSubscriptions answers 100 a page (SNS-11).
    #[tokio::test]
    async fn only_the_queue_owners_subscription_needs_no_confirmation() {
        let ids: Vec<String> = (0..150)
            .map(|i| format!("{:012}", 200_000_000_000u64 + i))
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let (aws, topics) = setup(&refs);
        let o = subscribe_topics(&aws, QUEUE, &topics).await.unwrap();
        assert!(
            o.iter()
                .all(|t| t.outcome == SubscriptionOutcome::Subscribed)
        );
        subscribe_topics(&aws, QUEUE, &topics).await.unwrap();
        assert_eq!(aws.calls("ListSubscriptions"), 1 + 2);

        let other_queue = "arn:aws:sqs:us-east-1:999999999999:elsewhere";
        aws.world()
            .queue_world
            .topics
            .insert(topic("555555555555"), None);
        let member = aws.as_account("555555555555");
        assert_eq!(
            member
                .subscribe(&topic("555555555555"), other_queue)
                .await
                .unwrap(),
            None
        );
    }
}
