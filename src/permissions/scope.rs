//! What the policies scope their writes to (pure, issue 21): the ARN patterns of trailhub's own trails and
//! log groups, a name template with `{id}` and `{name}` as IAM's `*` wildcard, so that a grant covers every
//! account's trail or group the template makes, and no other trail or group of the account; and trailhub's
//! flow logs, which EC2 names by ID, by the tag trailhub sets when it makes them.

use serde_json::{Value, json};

use super::calls::On;
use crate::config::{Config, FlowDestination};
use crate::world::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

/// The condition of a flow-log write (None for any other grant): CreateFlowLogs makes only flow logs with
/// trailhub's tag and no other tag (VPC-8); CreateTags, needed for the tag on create, tags only within
/// CreateFlowLogs (VPC-11), so that the role can never tag an existing flow log to make it deletable;
/// DeleteFlowLogs deletes only flow logs that carry the tag (VPC-9).
pub fn flow_log_condition(on: On) -> Option<Value> {
    let request_tag = format!("aws:RequestTag/{MANAGED_TAG_KEY}");
    let only_our_key = json!({"aws:TagKeys": [MANAGED_TAG_KEY]});
    match on {
        On::NewFlowLogs => Some(json!({
            "StringEquals": {request_tag: MANAGED_TAG_VALUE},
            "ForAllValues:StringEquals": only_our_key
        })),
        On::NewFlowLogTags => Some(json!({
            "StringEquals": {"ec2:CreateAction": "CreateFlowLogs", request_tag: MANAGED_TAG_VALUE},
            "ForAllValues:StringEquals": only_our_key
        })),
        On::OwnFlowLogs => Some(json!({
            "StringEquals": {format!("aws:ResourceTag/{MANAGED_TAG_KEY}"): MANAGED_TAG_VALUE}
        })),
        _ => None,
    }
}

/// A name template with `{id}` and `{name}` as `*` (runs of `*` made one).
pub fn wildcard(template: &str) -> String {
    let raw = template.replace("{id}", "*").replace("{name}", "*");
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if !(c == '*' && out.ends_with('*')) {
            out.push(c);
        }
    }
    out
}

/// Whether `name` matches `pattern`, where `*` is any run of characters (IAM's `*`; trail and log group
/// names hold no `?`, IAM's other wildcard).
pub fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| matches(rest, &tail[i..]))
        }
    }
}

/// The trail names trailhub writes in an account of `account` (`*` for a member, which may be any account;
/// the central account's ID for the central identity, whose own trail is `central.trail_name`): the
/// template of `[members]` and each `[[account]] trail_name` it does not cover, or `central.trail_name`.
pub fn trail_names(cfg: &Config, central: bool) -> Vec<String> {
    if central {
        return cfg
            .central
            .trail_name
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect();
    }
    let mut names = vec![wildcard(&cfg.members.trail_template)];
    for a in &cfg.accounts {
        let name = a.trail_name.as_str();
        if !names.iter().any(|p| matches(p, name)) {
            names.push(name.to_owned());
        }
    }
    names
}

/// The log group names trailhub writes: the `log_group` templates of `[cloudwatch]` and of `[flow_logs]` to
/// `cloudwatch`, wildcarded.
pub fn log_group_names(cfg: &Config) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let cloudwatch = cfg.cloudwatch.iter().map(|w| w.log_group.as_str());
    let flow = cfg
        .flow_logs
        .iter()
        .filter(|f| f.destinations.contains(&FlowDestination::Cloudwatch))
        .map(|f| f.log_group.as_str());
    for t in cloudwatch.chain(flow) {
        let name = wildcard(t);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_becomes_a_pattern_that_matches_what_it_makes() {
        assert_eq!(wildcard("{name}-CLOUDTRAIL"), "*-CLOUDTRAIL");
        assert_eq!(wildcard("trailhub-{id}"), "trailhub-*");
        assert_eq!(wildcard("{id}{name}"), "*");
        assert_eq!(wildcard("/trailhub/{id}/{name}"), "/trailhub/*/*");
        assert_eq!(wildcard("SEC"), "SEC");
        assert!(matches("*-CLOUDTRAIL", "DEV-CLOUDTRAIL"));
        assert!(matches("/trailhub/*/*", "/trailhub/1/DEV"));
        assert!(matches("SEC", "SEC"));
        assert!(!matches("SEC", "SEC2"));
        assert!(!matches("*-CLOUDTRAIL", "DEV-CLOUDTRAIL-2"));
        assert!(!matches("trailhub-*", "other"));
        assert!(matches("a*b*c", "aXbYbZc"));
    }

    #[test]
    fn an_account_trail_name_the_template_does_not_make_is_named_too() {
        let text = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
trail_name = "SEC"
[members]
trail_name = "{name}-CT"
[[account]]
id = "200000000000"
name = "M0"
[[account]]
id = "200000000001"
name = "M1"
trail_name = "legacy-{id}"
[[account]]
id = "200000000002"
name = "M2"
trail_name = "M2-CT"
[cloudwatch]
log_group = "/trailhub/{id}/cloudtrail"
[flow_logs]
destinations = ["s3", "cloudwatch"]
log_group = "/trailhub/{name}/flow"
"#;
        let cfg = Config::parse(std::path::Path::new("t.toml"), text).unwrap();
        assert_eq!(trail_names(&cfg, false), ["*-CT", "legacy-200000000001"]);
        assert_eq!(trail_names(&cfg, true), ["SEC"]);
        assert_eq!(
            log_group_names(&cfg),
            ["/trailhub/*/cloudtrail", "/trailhub/*/flow"]
        );
    }
}
