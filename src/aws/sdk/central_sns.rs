//! SNS as the central account uses it, through the SDK (I/O): the subscriptions of the members' alarm topics
//! to the central queue, made by the queue's owner (so that they need no confirmation, SNS-10) and listed
//! with ListSubscriptions in each topic's Region.

use async_trait::async_trait;

use super::{SdkCentral, aws_err, retry_partition};
use crate::aws::{AwsError, CentralSns, Subscription};
use crate::world::topic_region;

/// What SNS says in place of a subscription's ARN while it waits for its confirmation (SNS-11).
pub(crate) const PENDING: &str = "PendingConfirmation";

impl SdkCentral {
    fn sns_in(&self, region: &str) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(&self.config_in(region))
                .retry_partition(retry_partition("trailhub-sns"))
                .build(),
        )
    }
}

/// A subscription's ARN as SNS gives it: None while pending (`PendingConfirmation`, or, as some answers
/// say it, `pending confirmation`).
fn confirmed(arn: Option<&str>) -> Option<String> {
    arn.filter(|a| a.starts_with("arn:") && !a.eq_ignore_ascii_case(PENDING))
        .map(str::to_owned)
}

#[async_trait]
impl CentralSns for SdkCentral {
    async fn subscriptions(&self, region: &str) -> Result<Vec<Subscription>, AwsError> {
        let sns = self.sns_in(region);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = sns
                .list_subscriptions()
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| aws_err("ListSubscriptions", e))?;
            out.extend(page.subscriptions().iter().map(|s| Subscription {
                topic_arn: s.topic_arn().unwrap_or_default().to_owned(),
                protocol: s.protocol().unwrap_or_default().to_owned(),
                endpoint: s.endpoint().unwrap_or_default().to_owned(),
                arn: confirmed(s.subscription_arn()),
            }));
            match page.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    async fn subscribe(
        &self,
        topic_arn: &str,
        queue_arn: &str,
    ) -> Result<Option<String>, AwsError> {
        let region = topic_region(topic_arn).unwrap_or_default();
        let out = self
            .sns_in(region)
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|e| aws_err("Subscribe", e))?;
        Ok(confirmed(out.subscription_arn()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_subscription_has_no_arn() {
        assert_eq!(confirmed(Some(PENDING)), None);
        assert_eq!(confirmed(Some("pending confirmation")), None);
        assert_eq!(confirmed(None), None);
        let arn = "arn:aws:sns:us-east-1:222222222222:t:0f3c";
        assert_eq!(confirmed(Some(arn)).as_deref(), Some(arn));
    }
}
