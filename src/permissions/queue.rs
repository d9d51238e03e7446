//! What the central identity's grants for the alarm queue cover (pure): the SQS queues of
//! `[alarms] subscribe` (the queue's policy: GetQueueUrl, GetQueueAttributes, SetQueueAttributes) and the
//! members' alarm topics by trailhub's topic name (sns:Subscribe).
//! Both read `[alarms]` (src/config/alarms.rs).

use crate::config::Config;

/// The default name of each member's alarm topic (`[alarms] topic_name`).
pub const DEFAULT_TOPIC_NAME: &str = "trailhub-security-alarms";

/// The endpoints of `[alarms] subscribe`.
fn subscribe_endpoints(cfg: &Config) -> Vec<String> {
    (cfg.alarms.iter())
        .flat_map(|a| a.subscribe.iter().map(|q| q.arn.clone()))
        .collect()
}

/// `[alarms] topic_name`.
pub fn alarm_topic_name(cfg: &Config) -> &str {
    cfg.alarms
        .as_ref()
        .map_or(DEFAULT_TOPIC_NAME, |a| a.topic_name.as_str())
}

/// The SQS queues among the endpoints of `[alarms] subscribe`.
pub fn alarm_queues(cfg: &Config) -> Vec<String> {
    queues_of(&subscribe_endpoints(cfg))
}

/// The endpoints that are SQS queue ARNs, once each, in order.
pub fn queues_of(endpoints: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in endpoints {
        if crate::world::QueueArn::parse(e).is_some() && !out.contains(e) {
            out.push(e.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_queue_arns_are_granted() {
        let endpoints = [
            "arn:aws:sqs:us-east-1:111111111111:alarms".to_owned(),
            "arn:aws:sqs:us-east-1:111111111111:alarms".to_owned(),
            "https://hooks.example.com/alarms".to_owned(),
            "arn:aws:sns:us-east-1:111111111111:t".to_owned(),
        ];
        assert_eq!(
            queues_of(&endpoints),
            ["arn:aws:sqs:us-east-1:111111111111:alarms"]
        );
    }
}
