//! The central queue and the SNS subscriptions to it, in plain values (pure): what the central account's
//! ListSubscriptions says, and the parts of a queue ARN that SQS's calls need.

/// One subscription the caller owns, as ListSubscriptions lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub topic_arn: String,
    /// `sqs`, `email`, `https`...
    pub protocol: String,
    /// The queue's ARN for `sqs`.
    pub endpoint: String,
    /// The subscription's ARN; None while it waits for its confirmation (SNS says `PendingConfirmation`).
    pub arn: Option<String>,
}

impl Subscription {
    /// Whether it waits for its confirmation.
    pub fn pending(&self) -> bool {
        self.arn.is_none()
    }
}

/// A queue ARN's parts: `arn:<partition>:sqs:<region>:<account>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl QueueArn {
    /// The parts of `arn`; None when it is not an SQS queue ARN.
    pub fn parse(arn: &str) -> Option<QueueArn> {
        let mut p = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("sqs"), Some(region), Some(account), Some(name)) =
            (p.next(), p.next(), p.next(), p.next(), p.next(), p.next())
        else {
            return None;
        };
        let ok = !partition.is_empty()
            && !region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && !name.contains(':');
        ok.then(|| QueueArn {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl std::fmt::Display for QueueArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let QueueArn {
            partition,
            region,
            account,
            name,
        } = self;
        write!(f, "arn:{partition}:sqs:{region}:{account}:{name}")
    }
}

/// The Region of a topic ARN (`arn:<partition>:sns:<region>:<account>:<name>`), where its subscriptions are
/// made and listed.
pub fn topic_region(topic_arn: &str) -> Option<&str> {
    topic_arn.split(':').nth(3).filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_arn_reads_back_whole() {
        let arn = "arn:aws:sqs:ap-northeast-2:111111111111:security-alarms";
        let q = QueueArn::parse(arn).unwrap();
        assert_eq!(
            (q.region.as_str(), q.account.as_str()),
            ("ap-northeast-2", "111111111111")
        );
        assert_eq!(q.to_string(), arn);
        assert_eq!(
            QueueArn::parse("arn:aws:sns:us-east-1:111111111111:t"),
            None
        );
        assert_eq!(QueueArn::parse("arn:aws:sqs:us-east-1:1111:t"), None);
        assert_eq!(
            topic_region("arn:aws:sns:eu-west-1:222222222222:t"),
            Some("eu-west-1")
        );
    }
}
