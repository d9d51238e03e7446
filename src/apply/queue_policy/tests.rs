//! The queue policy's writer over the fake: backup, write, read-back, a second run that writes nothing,
//! another writer in between, and the typed refusals.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::fake::FakeAws;
use crate::model::AccountId;
use crate::plan::queue_policy::{QUEUE_SID, denials};

const QUEUE: &str = "arn:aws:sqs:ap-northeast-2:111111111111:security-alarms";

fn setup(policy: Option<&str>) -> FakeAws {
    let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
    aws.world()
        .queue_world
        .queues
        .insert(QUEUE.into(), policy.map(Into::into));
    aws
}

fn topics(ids: &[&str]) -> Vec<(AccountId, String)> {
    ids.iter()
        .map(|id| {
            let t = format!("arn:aws:sns:ap-northeast-2:{id}:trailhub-security-alarms");
            (id.parse().unwrap(), t)
        })
        .collect()
}

fn input(t: &[(AccountId, String)]) -> QueueInput<'_> {
    QueueInput {
        queue_arn: QUEUE,
        topics: t,
        org_id: None,
        prune: None,
    }
}

fn in_force(aws: &FakeAws) -> Value {
    let text = aws.world().queue_world.queues[QUEUE].clone().unwrap();
    serde_json::from_str(&text).unwrap()
}

const TEAMS: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ConsumerReads","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/soc"},"Action":"sqs:ReceiveMessage","Resource":"arn:aws:sqs:ap-northeast-2:111111111111:security-alarms"}]}"#;

#[tokio::test]
async fn the_policy_is_backed_up_written_read_back_and_left_alone_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let aws = setup(Some(TEAMS));
    let t = topics(&["222222222222", "333333333333"]);
    let o = write_queue_policy(&aws, &input(&t), dir.path())
        .await
        .unwrap();
    assert!(o.written);
    assert_eq!(o.writes, 1);
    assert_eq!(o.added.len(), 2);
    let backup = o.backup.as_ref().expect("backed up");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), TEAMS);
    let now = in_force(&aws);
    assert_eq!(Some(&now), o.in_force.as_ref());
    let teams: Value = serde_json::from_str(TEAMS).unwrap();
    assert_eq!(
        now["Statement"][0], teams["Statement"][0],
        "the team's statement, verbatim"
    );
    assert_eq!(now["Statement"][1]["Sid"], QUEUE_SID);
    assert!(denials(Some(&now), QUEUE, &t, None).is_empty());
    assert_eq!(aws.calls("SetQueueAttributes"), 1);

    // the second run: read, merge, nothing to write
    let again = write_queue_policy(&aws, &input(&t), dir.path())
        .await
        .unwrap();
    assert!(!again.written && again.backup.is_none());
    assert_eq!(aws.calls("SetQueueAttributes"), 1);
    assert_eq!(again.in_force, Some(now));
}

#[tokio::test]
async fn a_queue_without_a_policy_is_written_without_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let aws = setup(None);
    let t = topics(&["222222222222"]);
    let o = write_queue_policy(&aws, &input(&t), dir.path())
        .await
        .unwrap();
    assert!(o.written && o.backup.is_none());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Another writer replaces the policy right after trailhub's write (the read-back differs): trailhub merges
/// again on top of theirs, so that both their statement and trailhub's are in force.
#[tokio::test]
async fn another_writer_in_between_is_merged_over() {
    let dir = tempfile::tempdir().unwrap();
    let aws = setup(None);
    let t = topics(&["222222222222"]);
    let racer = RacingQueue {
        aws: aws.clone(),
        replaced: std::sync::atomic::AtomicBool::new(false),
    };
    let o = write_queue_policy(&racer, &input(&t), dir.path())
        .await
        .unwrap();
    assert_eq!(o.writes, 2);
    let now = in_force(&aws);
    let sids: Vec<&str> = now["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(sids, ["ConsumerReads", QUEUE_SID]);
    assert!(
        o.backup.is_some(),
        "their version was backed up before it was replaced"
    );
}

/// The fake, but the first read-back finds another writer's policy (theirs replaced trailhub's).
struct RacingQueue {
    aws: FakeAws,
    replaced: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl Queues for RacingQueue {
    async fn queue_url(&self, queue: &QueueArn) -> Result<Option<String>, AwsError> {
        self.aws.queue_url(queue).await
    }
    async fn queue_policy(&self, queue: &QueueArn, url: &str) -> Result<Option<String>, AwsError> {
        self.aws.queue_policy(queue, url).await
    }
    async fn put_queue_policy(&self, q: &QueueArn, url: &str, p: &str) -> Result<(), AwsError> {
        self.aws.put_queue_policy(q, url, p).await?;
        if !self
            .replaced
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            self.aws.put_queue_policy(q, url, TEAMS).await?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_missing_queue_and_a_policy_that_is_not_json_are_typed_errors_naming_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
    let t = topics(&["222222222222"]);
    let e = write_queue_policy(&aws, &input(&t), dir.path())
        .await
        .unwrap_err();
    assert!(matches!(e, QueueError::NotFound { .. }), "{e:?}");
    assert!(
        e.to_string().contains(QUEUE)
            && e.to_string()
                .contains("runbooks/alarm-queue.md#queue-not-found")
    );

    let aws = setup(Some("{not json"));
    let e = write_queue_policy(&aws, &input(&t), dir.path())
        .await
        .unwrap_err();
    assert!(
        matches!(e, QueueError::Policy(QueuePolicyError::NotJson { .. })),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("runbooks/alarm-queue.md#queue-policy-not-json")
    );
    assert_eq!(aws.calls("SetQueueAttributes"), 0);
}

/// The fake refuses what SQS refuses (SQS-1, SQS-2): over 8,192 bytes, over 20 statements, not JSON; and
/// trailhub's error for it names the queue, SQS's answer and the runbook.
#[tokio::test]
async fn sqs_refuses_a_policy_too_large_too_long_or_not_json() {
    let aws = setup(None);
    let q = QueueArn::parse(QUEUE).unwrap();
    let url = aws.queue_url(&q).await.unwrap().unwrap();
    let big = json!({"Statement": [{"Sid": "x".repeat(8_200), "Effect": "Allow"}]}).to_string();
    let many: Vec<Value> = (0..21).map(|i| json!({"Sid": format!("S{i}")})).collect();
    let long = json!({"Statement": many}).to_string();
    for p in [big.as_str(), long.as_str(), "{not json"] {
        let e = aws.put_queue_policy(&q, &url, p).await.unwrap_err();
        assert_eq!(e.code, "InvalidAttributeValue", "{p:.40}");
        let typed = QueueError::Aws {
            queue: QUEUE.into(),
            error: e,
        };
        let text = typed.to_string();
        assert!(
            text.contains(QUEUE) && text.contains("InvalidAttributeValue"),
            "{text}"
        );
        assert!(text.contains("runbooks/alarm-queue.md#queue-policy-refused"));
    }
    assert_eq!(aws.world().queue_world.queues[QUEUE], None);
}
