//! The fake's central queue and the central account's SNS subscriptions to the members' topics, enforcing
//! the AWS rules trailhub relies on where moto does not (docs/aws-rules.md SQS-1..3, SNS-10..12; measured in
//! tests/MOTO-SQS.md): a queue policy over 8,192 bytes or 20 statements, or not JSON, is refused with
//! `InvalidAttributeValue` (moto takes any size, and answers a policy that is not JSON with an HTTP 500);
//! Subscribe needs the topic to exist and its topic policy to let the caller subscribe this queue (moto
//! lets anyone subscribe to anything); a subscription the queue's owner makes is confirmed at once, one
//! made by another account waits for its confirmation; ListSubscriptions answers in pages of 100.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::Value;

use super::FakeAws;
use crate::aws::{AwsError, CentralSns, QueueArn, Queues, Subscription};
use crate::plan::evaluate::{Request, evaluate};
use crate::plan::queue_policy::{MAX_QUEUE_POLICY, MAX_STATEMENTS};
use crate::world::topic_region;

/// SQS and SNS in the fake world.
#[derive(Debug, Default)]
pub struct QueueWorld {
    /// queue ARN -> its policy (None: no policy)
    pub queues: BTreeMap<String, Option<String>>,
    /// topic ARN -> its topic policy (None: SNS's default, which lets only the topic's own account
    /// subscribe). The members' topics trailhub's alarms make.
    pub topics: BTreeMap<String, Option<String>>,
    /// Every subscription, with the account that made it (its owner).
    pub subscriptions: Vec<(String, Subscription)>,
    /// For subscription ARNs.
    pub next_id: u64,
}

impl QueueWorld {
    /// A queue, with no policy.
    pub fn add_queue(&mut self, arn: &str) {
        self.queues.entry(arn.to_owned()).or_default();
    }

    /// A member's topic whose policy lets `subscriber` (an account ID) subscribe SQS queues to it, as the
    /// alarms' topic policy does.
    pub fn add_topic(&mut self, topic: &str, subscriber: &str) {
        let partition = topic.split(':').nth(1).unwrap_or("aws");
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "CentralSubscribes", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{partition}:iam::{subscriber}:root")},
            "Action": "sns:Subscribe", "Resource": topic,
            "Condition": {"StringEquals": {"sns:Protocol": "sqs"}}}]});
        self.topics
            .insert(topic.to_owned(), Some(policy.to_string()));
    }
}

fn invalid(op: &'static str, why: impl Into<String>) -> AwsError {
    AwsError::new(op, "InvalidAttributeValue", why)
}

/// SQS's checks of a queue policy (SQS-1, SQS-2).
fn check_queue_policy(policy: &str) -> Result<(), AwsError> {
    let op = "SetQueueAttributes";
    if policy.len() > MAX_QUEUE_POLICY {
        return Err(invalid(
            op,
            format!(
                "Invalid value for the parameter Policy. Reason: Policy size {} exceeds the maximum {MAX_QUEUE_POLICY}.",
                policy.len()
            ),
        ));
    }
    let doc: Value = serde_json::from_str(policy).map_err(|e| {
        invalid(
            op,
            format!("Invalid value for the parameter Policy. Reason: {e}"),
        )
    })?;
    let count = crate::plan::document::statements(&doc).len();
    if count > MAX_STATEMENTS {
        return Err(invalid(
            op,
            format!(
                "Invalid value for the parameter Policy. Reason: {count} statements exceed the maximum {MAX_STATEMENTS}."
            ),
        ));
    }
    Ok(())
}

impl FakeAws {
    /// The same fake, called with `account`'s credentials (SNS and SQS as another account sees them).
    pub fn as_account(&self, account: &str) -> FakeAws {
        FakeAws {
            account: Some(account.to_owned()),
            ..self.clone()
        }
    }

    fn caller_id(&self) -> String {
        self.account
            .clone()
            .unwrap_or_else(|| self.world().caller.clone())
    }
}

/// Whether the topic's policy lets `caller` subscribe `queue` (SNS-12): the topic's own account may, others
/// only by a statement of the topic policy (by the account's root ARN or its bare ID).
fn may_subscribe(topic: &str, policy: Option<&str>, caller: &str, queue: &str) -> bool {
    let owner = topic.split(':').nth(4).unwrap_or_default();
    if owner == caller {
        return true;
    }
    let Some(doc) = policy.and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
        return false;
    };
    let partition = topic.split(':').nth(1).unwrap_or("aws");
    [
        format!("arn:{partition}:iam::{caller}:root"),
        caller.to_owned(),
    ]
    .into_iter()
    .any(|principal| {
        let req = Request {
            principal_service: principal,
            action: "sns:Subscribe".into(),
            resource: topic.to_owned(),
            context: BTreeMap::from([
                ("sns:Protocol".to_owned(), "sqs".to_owned()),
                ("sns:Endpoint".to_owned(), queue.to_owned()),
                ("aws:PrincipalAccount".to_owned(), caller.to_owned()),
            ]),
        };
        evaluate(&doc, &req).is_allowed()
    })
}

#[async_trait]
impl Queues for FakeAws {
    async fn queue_url(&self, queue: &QueueArn) -> Result<Option<String>, AwsError> {
        self.call("GetQueueUrl").await;
        let w = self.world();
        Ok(w.queue_world
            .queues
            .contains_key(&queue.to_string())
            .then(|| {
                format!(
                    "https://sqs.{}.amazonaws.com/{}/{}",
                    queue.region, queue.account, queue.name
                )
            }))
    }

    async fn queue_policy(&self, queue: &QueueArn, _url: &str) -> Result<Option<String>, AwsError> {
        self.call("GetQueueAttributes").await;
        match self.world().queue_world.queues.get(&queue.to_string()) {
            Some(p) => Ok(p.clone()),
            None => Err(AwsError::new(
                "GetQueueAttributes",
                "QueueDoesNotExist",
                "The specified queue does not exist.",
            )),
        }
    }

    async fn put_queue_policy(
        &self,
        queue: &QueueArn,
        _url: &str,
        policy: &str,
    ) -> Result<(), AwsError> {
        self.call("SetQueueAttributes").await;
        let policy = (!policy.is_empty()).then_some(policy);
        if let Some(p) = policy {
            check_queue_policy(p)?;
        }
        match self.world().queue_world.queues.get_mut(&queue.to_string()) {
            Some(p) => {
                *p = policy.map(str::to_owned);
                Ok(())
            }
            None => Err(AwsError::new(
                "SetQueueAttributes",
                "QueueDoesNotExist",
                "The specified queue does not exist.",
            )),
        }
    }
}

#[async_trait]
impl CentralSns for FakeAws {
    async fn subscriptions(&self, region: &str) -> Result<Vec<Subscription>, AwsError> {
        let caller = self.caller_id();
        let mine: Vec<Subscription> = self
            .world()
            .queue_world
            .subscriptions
            .iter()
            .filter(|(owner, s)| *owner == caller && topic_region(&s.topic_arn) == Some(region))
            .map(|(_, s)| s.clone())
            .collect();
        // pages of 100, as SNS
        for _ in 0..mine.len().div_ceil(100).max(1) {
            self.call("ListSubscriptions").await;
        }
        Ok(mine)
    }

    async fn subscribe(
        &self,
        topic_arn: &str,
        queue_arn: &str,
    ) -> Result<Option<String>, AwsError> {
        self.call("Subscribe").await;
        let caller = self.caller_id();
        let mut w = self.world();
        // the members' topics the alarms' apply made (src/fake/alarms.rs) are the same SNS topics
        let made = (w.alarms.values())
            .find_map(|a| a.topics.get(topic_arn))
            .map(|p| Some(p.clone()));
        let q = &mut w.queue_world;
        let Some(policy) = q.topics.get(topic_arn).cloned().or(made) else {
            return Err(AwsError::new(
                "Subscribe",
                "NotFound",
                "Topic does not exist",
            ));
        };
        if !may_subscribe(topic_arn, policy.as_deref(), &caller, queue_arn) {
            return Err(AwsError::new(
                "Subscribe",
                "AuthorizationError",
                format!(
                    "User: arn:aws:iam::{caller}:root is not authorized to perform: SNS:Subscribe on resource: {topic_arn}"
                ),
            ));
        }
        let same = |(o, s): &&(String, Subscription)| {
            *o == caller
                && s.topic_arn == topic_arn
                && s.protocol == "sqs"
                && s.endpoint == queue_arn
        };
        if let Some((_, s)) = q.subscriptions.iter().find(same) {
            return Ok(s.arn.clone());
        }
        q.next_id += 1;
        // the queue's owner needs no confirmation; another account's subscription waits for it (SNS-10)
        let owner_of_queue = QueueArn::parse(queue_arn).is_some_and(|a| a.account == caller);
        let arn = owner_of_queue.then(|| format!("{topic_arn}:fake-{:08}", q.next_id));
        q.subscriptions.push((
            caller,
            Subscription {
                topic_arn: topic_arn.to_owned(),
                protocol: "sqs".into(),
                endpoint: queue_arn.to_owned(),
                arn: arn.clone(),
            },
        ));
        Ok(arn)
    }
}
