//! `[alarms]` in accounts.toml (pure): the CIS monitoring controls on each account's trail log group, their
//! metric namespace, the SNS topic the alarms notify, and where every account's alarms go (`subscribe`).
//! Valid only with `[cloudwatch]`; each bad value is refused with its line and column.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::model::{AccountId, Region};
use crate::world::alarms::{CONTROLS, Control, DEFAULT_NAMESPACE, DEFAULT_TOPIC, control};

/// `[alarms]`: the controls to put in place in every account, and where their alarms go.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarms {
    /// `controls`: every CIS monitoring control unless a subset is named, in the catalogue's order.
    pub controls: Vec<&'static Control>,
    /// `namespace`: the metrics' namespace.
    pub namespace: String,
    /// `topic_name`: the SNS topic in each account the alarms notify.
    pub topic_name: String,
    /// `subscribe`: SQS queues of the central account that get every account's alarms.
    pub subscribe: Vec<QueueArn>,
}

/// An SQS queue of the central account, by its ARN (`arn:<partition>:sqs:<region>:<central id>:<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueArn {
    pub arn: String,
    pub region: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlarms {
    controls: Option<Spanned<Vec<Spanned<String>>>>,
    namespace: Option<Spanned<String>>,
    topic_name: Option<Spanned<String>>,
    #[serde(default)]
    subscribe: Vec<Spanned<String>>,
}

/// A value that is wrong, and where it is in the file.
type Bad = (Range<usize>, String);

/// `[alarms]` checked; `partition` and `central` are those of `[central]` (a queue must be the central
/// account's, in its partition).
pub(super) fn alarms(raw: RawAlarms, partition: &str, central: &AccountId) -> Result<Alarms, Bad> {
    Ok(Alarms {
        controls: controls(raw.controls)?,
        namespace: namespace(raw.namespace)?,
        topic_name: topic_name(raw.topic_name)?,
        subscribe: raw
            .subscribe
            .into_iter()
            .map(|s| {
                let span = s.span();
                queue_arn(s.get_ref().trim(), partition, central).map_err(|m| (span, m))
            })
            .collect::<Result<_, _>>()?,
    })
}

/// `controls`: a non-empty list of the catalogue's names, each once; every control without it.
fn controls(raw: Option<Spanned<Vec<Spanned<String>>>>) -> Result<Vec<&'static Control>, Bad> {
    let Some(raw) = raw else {
        return Ok(CONTROLS.iter().collect());
    };
    let span = raw.span();
    let list = raw.into_inner();
    if list.is_empty() {
        let why = "controls is an empty list: leave it out for every CIS monitoring control";
        return Err((span, why.to_owned()));
    }
    let mut picked: Vec<&'static Control> = Vec::new();
    for name in &list {
        let c = control(name.get_ref().trim()).ok_or_else(|| {
            let known: Vec<&str> = CONTROLS.iter().map(|c| c.name).collect();
            let why = format!(
                "controls: {:?} is not a CIS monitoring control trailhub knows; one of: {}",
                name.get_ref(),
                known.join(", ")
            );
            (name.span(), why)
        })?;
        if picked.iter().any(|p| p.name == c.name) {
            return Err((name.span(), format!("controls lists {} twice", c.name)));
        }
        picked.push(c);
    }
    picked.sort_by_key(|c| CONTROLS.iter().position(|k| k.name == c.name));
    Ok(picked)
}

/// `namespace`: CloudWatch's rule for a namespace (1 to 255 characters, not starting with `AWS/`; CW-5).
fn namespace(raw: Option<Spanned<String>>) -> Result<String, Bad> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_NAMESPACE.to_owned());
    };
    let ns = raw.get_ref().trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#:".contains(c);
    if ns.is_empty() || ns.len() > 255 || !ns.chars().all(allowed) || ns.starts_with("AWS/") {
        let why = format!(
            "namespace {ns:?} is not a CloudWatch namespace: 1 to 255 letters, digits or . - _ / # :, not starting with AWS/"
        );
        return Err((raw.span(), why));
    }
    Ok(ns.to_owned())
}

/// `topic_name`: SNS's rule for a standard topic's name (1 to 256 letters, digits, `-` or `_`; SNS-1).
fn topic_name(raw: Option<Spanned<String>>) -> Result<String, Bad> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_TOPIC.to_owned());
    };
    let name = raw.get_ref().trim();
    if !valid_name(name, 256) {
        let why = format!(
            "topic_name {name:?} is not an SNS topic name: 1 to 256 letters, digits, - or _ (a standard topic: no .fifo)"
        );
        return Err((raw.span(), why));
    }
    Ok(name.to_owned())
}

fn valid_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// One `subscribe` entry: an SQS queue ARN of the central account in its partition; a standard queue
/// (a standard SNS topic cannot deliver to a FIFO queue, SNS-4).
pub fn queue_arn(text: &str, partition: &str, central: &AccountId) -> Result<QueueArn, String> {
    let accepted = format!(
        "subscribe accepts SQS queue ARNs of the central account, arn:{partition}:sqs:<region>:{central}:<queue name>"
    );
    let parts: Vec<&str> = text.split(':').collect();
    let [arn, p, service, region, account, name] = parts[..] else {
        return Err(format!("{text:?} is not an ARN: {accepted}"));
    };
    if arn != "arn" || service != "sqs" {
        return Err(format!("{text:?} is not an SQS queue ARN: {accepted}"));
    }
    if p != partition {
        return Err(format!(
            "{text:?} is in partition {p}, not {partition} (the central region's): {accepted}"
        ));
    }
    let parsed: Region = region
        .parse()
        .map_err(|e| format!("{text:?}: Region {region:?}: {e}; {accepted}"))?;
    if parsed.partition() != partition {
        return Err(format!(
            "{text:?}: Region {region} is not in partition {partition}: {accepted}"
        ));
    }
    if account != central.as_str() {
        return Err(format!(
            "{text:?} is a queue of account {account}, not of the central account: {accepted}"
        ));
    }
    if name.ends_with(".fifo") {
        return Err(format!(
            "{text:?} is a FIFO queue: a standard SNS topic delivers only to standard queues; {accepted}"
        ));
    }
    if !valid_name(name, 80) {
        return Err(format!(
            "{text:?}: {name:?} is not a queue name (1 to 80 letters, digits, - or _): {accepted}"
        ));
    }
    Ok(QueueArn {
        arn: text.to_owned(),
        region: region.to_owned(),
        name: name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn central() -> AccountId {
        "111111111111".parse().unwrap()
    }

    #[test]
    fn a_queue_of_the_central_account_is_accepted_and_anything_else_says_what_is() {
        let q = queue_arn(
            "arn:aws:sqs:eu-west-1:111111111111:alarms",
            "aws",
            &central(),
        )
        .unwrap();
        assert_eq!(
            (q.region.as_str(), q.name.as_str()),
            ("eu-west-1", "alarms")
        );
        for bad in [
            "https://sqs.eu-west-1.amazonaws.com/111111111111/alarms",
            "arn:aws:sns:eu-west-1:111111111111:alarms",
            "arn:aws:sqs:eu-west-1:222222222222:alarms",
            "arn:aws-cn:sqs:cn-north-1:111111111111:alarms",
            "arn:aws:sqs:eu-west-1:111111111111:alarms.fifo",
            "arn:aws:sqs:nowhere:111111111111:alarms",
            "security@example.com",
        ] {
            let e = queue_arn(bad, "aws", &central()).unwrap_err();
            assert!(
                e.contains("arn:aws:sqs:<region>:111111111111:<queue name>"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_namespace_and_topic_name_follow_aws_rules() {
        let s = |t: &str| Some(Spanned::new(0..1, t.to_owned()));
        assert_eq!(namespace(None).unwrap(), DEFAULT_NAMESPACE);
        assert!(namespace(s("AWS/Logs")).is_err());
        assert!(namespace(s("")).is_err());
        assert_eq!(topic_name(None).unwrap(), DEFAULT_TOPIC);
        assert!(topic_name(s("a.fifo")).is_err());
        assert!(topic_name(s("sec alarms")).is_err());
    }

    const BASE: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "eu-west-1"

[members]
source = "static"
trail_name = "{name}-CT"

[[account]]
id = "222222222222"
name = "DEV"
"#;

    fn parse(extra: &str) -> Result<crate::config::Config, crate::config::ConfigError> {
        crate::config::Config::parse(std::path::Path::new("a.toml"), &format!("{BASE}{extra}"))
    }

    #[test]
    fn alarms_need_cloudwatch_and_say_where() {
        let e = parse("[alarms]\n").unwrap_err().to_string();
        assert!(e.starts_with("a.toml:14:"), "{e}");
        assert!(e.contains("[alarms] needs [cloudwatch]"), "{e}");
        let c = parse("[cloudwatch]\n[alarms]\n").unwrap();
        let a = c.alarms.unwrap();
        assert_eq!(a.controls.len(), 15);
        assert_eq!(a.topic_name, DEFAULT_TOPIC);
        assert!(a.subscribe.is_empty());
    }

    #[test]
    fn controls_are_checked_by_name_and_kept_in_catalogue_order() {
        let c = parse("[cloudwatch]\n[alarms]\ncontrols = [\"vpc-changes\", \"root-usage\"]\n")
            .unwrap();
        let names: Vec<&str> = c.alarms.unwrap().controls.iter().map(|c| c.name).collect();
        assert_eq!(names, ["root-usage", "vpc-changes"]);
        let e = parse("[cloudwatch]\n[alarms]\ncontrols = [\"root\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a.toml:16:13:"), "{e}");
        assert!(e.contains("one of: unauthorized-api-calls"), "{e}");
        let e = parse(
            "[cloudwatch]\n[alarms]\nsubscribe = [\"arn:aws:sqs:eu-west-1:222222222222:q\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not of the central account"), "{e}");
    }
}
