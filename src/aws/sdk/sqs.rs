//! SQS in the central account through the SDK (I/O): the queue the members' alarm topics send to, and its
//! policy, in the queue's Region.

use async_trait::async_trait;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::QueueAttributeName;

use super::{SdkCentral, aws_err, retry_partition};
use crate::aws::{AwsError, QueueArn, Queues};

/// The codes SQS answers GetQueueUrl with when there is no such queue: the JSON protocol's and the query
/// protocol's (SQS-3).
const NO_QUEUE: [&str; 2] = [
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

impl SdkCentral {
    fn sqs(&self, queue: &QueueArn) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&self.config_in(&queue.region))
                .retry_partition(retry_partition("trailhub-sqs"))
                .build(),
        )
    }
}

#[async_trait]
impl Queues for SdkCentral {
    async fn queue_url(&self, queue: &QueueArn) -> Result<Option<String>, AwsError> {
        let answer = self
            .sqs(queue)
            .get_queue_url()
            .queue_name(&queue.name)
            .queue_owner_aws_account_id(&queue.account)
            .send()
            .await;
        match answer {
            Ok(out) => Ok(out.queue_url),
            Err(e) if e.code().is_some_and(|c| NO_QUEUE.contains(&c)) => Ok(None),
            Err(e) => Err(aws_err("GetQueueUrl", e)),
        }
    }

    async fn queue_policy(&self, queue: &QueueArn, url: &str) -> Result<Option<String>, AwsError> {
        let out = self
            .sqs(queue)
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::Policy)
            .send()
            .await
            .map_err(|e| aws_err("GetQueueAttributes", e))?;
        Ok(out
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::Policy))
            .filter(|p| !p.is_empty()))
    }

    async fn put_queue_policy(
        &self,
        queue: &QueueArn,
        url: &str,
        policy: &str,
    ) -> Result<(), AwsError> {
        self.sqs(queue)
            .set_queue_attributes()
            .queue_url(url)
            .attributes(QueueAttributeName::Policy, policy)
            .send()
            .await
            .map_err(|e| aws_err("SetQueueAttributes", e))?;
        Ok(())
    }
}
