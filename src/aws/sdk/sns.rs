//! One account's SNS topic for `[alarms]` through the SDK (I/O): read, created, its policy put.

use super::aws_err;
use crate::aws::{AwsError, ErrorKind, Topic};

/// GetTopicAttributes: the topic and its `Policy`, None when there is no such topic (SNS's `NotFound`).
pub(super) async fn topic(sns: &aws_sdk_sns::Client, arn: &str) -> Result<Option<Topic>, AwsError> {
    match sns.get_topic_attributes().topic_arn(arn).send().await {
        Ok(out) => Ok(Some(Topic {
            arn: arn.to_owned(),
            policy: out
                .attributes()
                .and_then(|a| a.get("Policy"))
                .filter(|p| !p.is_empty())
                .cloned(),
        })),
        Err(e) => {
            let e = aws_err("GetTopicAttributes", e);
            if e.kind == ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// CreateTopic: its ARN.
pub(super) async fn create_topic(
    sns: &aws_sdk_sns::Client,
    name: &str,
) -> Result<String, AwsError> {
    let out = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(|e| aws_err("CreateTopic", e))?;
    Ok(out.topic_arn().unwrap_or_default().to_owned())
}

/// SetTopicAttributes with `AttributeName` `Policy`.
pub(super) async fn set_policy(
    sns: &aws_sdk_sns::Client,
    arn: &str,
    policy: &str,
) -> Result<(), AwsError> {
    sns.set_topic_attributes()
        .topic_arn(arn)
        .attribute_name("Policy")
        .attribute_value(policy)
        .send()
        .await
        .map_err(|e| aws_err("SetTopicAttributes", e))?;
    Ok(())
}
