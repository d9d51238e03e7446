//! Issue 24 point 1, `[alarms] subscribe`: the central queue's policy and the subscriptions of the members'
//! alarm topics to it, through the entry points the apply and the audit call (`write_queue_policy`,
//! `subscribe_topics`, `read_queue`, `queue_problems`). Over the fake: a first run writes the policy and
//! subscribes every topic, the audit is clean, a second run writes nothing and subscribes nothing, and
//! drift behind trailhub's back is one account's gap, put back by the next run. Over moto, once: the same
//! first and second run through the real SDK (moto checks none of SQS's policy rules nor SNS's topic
//! policy: tests/MOTO-SQS.md).

use std::time::Duration;

use serde_json::Value;
use trailhub::apply::queue_policy::{apply_alarm_queue, write_queue_policy};
use trailhub::apply::subscriptions::{SubscriptionOutcome, subscribe_topics};
use trailhub::audit::subscriptions::{QueueFacts, queue_problems};
use trailhub::aws::sdk::SdkCentral;
use trailhub::fake::FakeAws;
use trailhub::model::AccountId;
use trailhub::observe::queue::read_queue;
use trailhub::plan::queue_policy::QueueInput;

use crate::support::{self, TEST_ACCOUNT_ID, TEST_REGION};

fn topics(region: &str, ids: &[&str]) -> Vec<(AccountId, String)> {
    ids.iter()
        .map(|id| {
            let t = format!("arn:aws:sns:{region}:{id}:trailhub-security-alarms");
            (id.parse().unwrap(), t)
        })
        .collect()
}

/// The codes the audit gives each account.
async fn audit<C>(central: &C, queue: &str, topics: &[(AccountId, String)]) -> Vec<(String, String)>
where
    C: trailhub::aws::Queues + trailhub::aws::CentralSns,
{
    let read = read_queue(central, queue, topics).await.unwrap();
    let facts = QueueFacts {
        queue_arn: queue,
        topics,
        policy: read.policy.as_ref(),
        subscriptions: &read.subscriptions,
        org_id: None,
    };
    queue_problems(&facts)
        .into_iter()
        .flat_map(|(a, ps)| {
            ps.into_iter()
                .map(move |p| (a.to_string(), p.code.as_str().to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn a_second_run_writes_nothing_and_drift_is_one_accounts_gap() {
    const QUEUE: &str = "arn:aws:sqs:us-east-1:111111111111:security-alarms";
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new("111111111111", "us-east-1", Duration::ZERO);
    let t = topics("us-east-1", &["222222222222", "333333333333"]);
    {
        let mut w = aws.world();
        w.queue_world.add_queue(QUEUE);
        for (_, topic) in &t {
            w.queue_world.add_topic(topic, "111111111111");
        }
    }
    let input = QueueInput {
        queue_arn: QUEUE,
        topics: &t,
        org_id: None,
        prune: None,
    };
    assert_eq!(
        audit(&aws, QUEUE, &t).await.len(),
        4,
        "nothing in place yet"
    );
    let first = apply_alarm_queue(&aws, &input, dir.path()).await.unwrap();
    assert!(first.policy.written);
    assert!(
        first
            .subscriptions
            .iter()
            .all(|s| s.outcome == SubscriptionOutcome::Subscribed)
    );
    assert_eq!(audit(&aws, QUEUE, &t).await, []);

    let (writes, subscribes) = (aws.calls("SetQueueAttributes"), aws.calls("Subscribe"));
    let again = write_queue_policy(&aws, &input, dir.path()).await.unwrap();
    let subs = subscribe_topics(&aws, QUEUE, &t).await.unwrap();
    assert!(!again.written);
    assert!(
        subs.iter()
            .all(|s| s.outcome == SubscriptionOutcome::Present)
    );
    assert_eq!(aws.calls("SetQueueAttributes"), writes);
    assert_eq!(aws.calls("Subscribe"), subscribes);

    // behind trailhub's back: the second topic's subscription is deleted
    aws.world()
        .queue_world
        .subscriptions
        .retain(|(_, s)| s.topic_arn != t[1].1);
    assert_eq!(
        audit(&aws, QUEUE, &t).await,
        [(
            "333333333333".to_owned(),
            "alarm-subscription-missing".to_owned()
        )]
    );
    subscribe_topics(&aws, QUEUE, &t).await.unwrap();
    assert_eq!(audit(&aws, QUEUE, &t).await, []);
}

/// Creates the queue in the central account and each member's topic with the member's credentials (moto's
/// AssumeRole), and says moto's queue ARN.
async fn seed_moto(config: &aws_config::SdkConfig, t: &[(AccountId, String)]) -> String {
    let sqs = aws_sdk_sqs::Client::new(config);
    let url = sqs
        .create_queue()
        .queue_name("security-alarms")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert!(url.ends_with("/security-alarms"));
    let sts = aws_sdk_sts::Client::new(config);
    for (account, _) in t {
        let creds = sts
            .assume_role()
            .role_arn(format!(
                "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
            ))
            .role_session_name("trailhub-test")
            .send()
            .await
            .unwrap()
            .credentials
            .unwrap();
        let member = config
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(
                        creds.access_key_id,
                        creds.secret_access_key,
                        Some(creds.session_token),
                        None,
                        "member",
                    ),
                ),
            )
            .build();
        aws_sdk_sns::Client::new(&member)
            .create_topic()
            .name("trailhub-security-alarms")
            .send()
            .await
            .unwrap();
    }
    format!("arn:aws:sqs:{TEST_REGION}:{TEST_ACCOUNT_ID}:security-alarms")
}

/// The one moto test: the policy written over another team's, read back through moto's own layout of the
/// document, every topic subscribed by the central account; the audit is clean; a second run makes no
/// SetQueueAttributes and no Subscribe (each outcome says so).
#[test]
fn over_moto_the_policy_and_subscriptions_are_made_once() {
    let moto = support::Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = support::sdk_config(&moto.url()).await;
        let t = topics(TEST_REGION, &["222222222222", "333333333333"]);
        let queue = seed_moto(&config, &t).await;
        let central = SdkCentral::new(config.clone());
        let sqs = aws_sdk_sqs::Client::new(&config);
        let url = format!("{}/{TEST_ACCOUNT_ID}/security-alarms", moto.url());
        let team = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"ConsumerReads","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{TEST_ACCOUNT_ID}:role/soc"}},"Action":"sqs:ReceiveMessage","Resource":"{queue}"}}]}}"#
        );
        sqs.set_queue_attributes()
            .queue_url(&url)
            .attributes(aws_sdk_sqs::types::QueueAttributeName::Policy, &team)
            .send()
            .await
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let input = QueueInput {
            queue_arn: &queue,
            topics: &t,
            org_id: None,
            prune: None,
        };
        let first = write_queue_policy(&central, &input, dir.path()).await.unwrap();
        assert!(first.written && first.backup.is_some(), "{first:?}");
        assert_eq!(first.writes, 1, "the read-back matched (as JSON)");
        let subs = subscribe_topics(&central, &queue, &t).await.unwrap();
        assert!(subs.iter().all(|s| s.outcome == SubscriptionOutcome::Subscribed), "{subs:?}");
        assert_eq!(audit(&central, &queue, &t).await, []);
        let policy: Value = first.in_force.clone().unwrap();
        assert_eq!(policy["Statement"][0]["Sid"], "ConsumerReads");

        let again = write_queue_policy(&central, &input, dir.path()).await.unwrap();
        assert!(!again.written, "{again:?}");
        let subs = subscribe_topics(&central, &queue, &t).await.unwrap();
        assert!(subs.iter().all(|s| s.outcome == SubscriptionOutcome::Present), "{subs:?}");
    });
}
