//! The service control policy trailhub owns (pure): Deny statements on the calls that undo trailhub's
//! coverage, on trailhub's own resources only, for every principal but trailhub's member role (issue 25).
//! Written minified: an SCP holds at most 5,120 characters (ORG-11).

use serde_json::{Value, json};

use crate::config::{BOUNDARY_POLICY_NAME, Config, FlowDestination};
use crate::world::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

/// AWS's limit on an SCP's document, in characters (ORG-11).
pub const SCP_SIZE_LIMIT: usize = 5120;

/// What the SCP protects, in the names trailhub gives its resources (`*` where a name holds an account's
/// ID or name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    pub partition: String,
    /// `members.role_name`: the one role the SCP lets through.
    pub member_role: String,
    /// Trail name patterns (`*-CT`).
    pub trails: Vec<String>,
    /// Whether trailhub makes flow logs (each carries the tag `trailhub:managed` = `true`).
    pub flow_logs: bool,
    /// Log group name patterns.
    pub log_groups: Vec<String>,
    /// The delivery roles' names.
    pub roles: Vec<String>,
    /// The boundary policy trailhub makes (`trailhub-delivery-boundary`), when it makes one.
    pub boundary: Option<String>,
    /// `[alarms]`: the alarms' SNS topic (`topic_name`); the alarms are `trailhub-cis-*`.
    pub alarm_topic: Option<String>,
}

impl Protected {
    /// Everything `cfg` makes trailhub create in a member account.
    pub fn from_config(cfg: &Config) -> Protected {
        let mut p = Protected {
            partition: cfg.central.region.partition().to_owned(),
            member_role: cfg.members.role_name.clone(),
            trails: vec![pattern(&cfg.members.trail_template)],
            flow_logs: false,
            log_groups: Vec::new(),
            roles: Vec::new(),
            boundary: None,
            alarm_topic: cfg.alarms.as_ref().map(|a| a.topic_name.clone()),
        };
        if let Some(name) = &cfg.central.trail_name {
            p.trails.push(name.as_str().to_owned());
        }
        let mut boundary = false;
        if let Some(cw) = &cfg.cloudwatch {
            p.log_groups.push(pattern(&cw.log_group));
            p.roles.push(cw.role_name.clone());
            boundary |= cw.permissions_boundary.creates();
        }
        if let Some(f) = &cfg.flow_logs {
            p.flow_logs = true;
            if f.destinations.contains(&FlowDestination::Cloudwatch) {
                p.log_groups.push(pattern(&f.log_group));
                p.roles.push(f.role_name.clone());
                boundary |= f.permissions_boundary.creates();
            }
        }
        p.boundary = boundary.then(|| BOUNDARY_POLICY_NAME.to_owned());
        for list in [&mut p.trails, &mut p.log_groups, &mut p.roles] {
            list.sort();
            list.dedup();
            // a pattern that covers another makes it redundant (`*-CT` covers `central-CT`)
            let all = list.clone();
            list.retain(|n| !all.iter().any(|o| o != n && o.contains('*') && glob(o, n)));
        }
        p
    }
}

/// A name template with each `{id}` and `{name}` as `*` (runs of `*` made one).
fn pattern(template: &str) -> String {
    let mut out = template.replace("{id}", "*").replace("{name}", "*");
    while out.contains("**") {
        out = out.replace("**", "*");
    }
    out
}

/// Whether `text` matches `pat`, where `*` is any run of characters.
fn glob(pat: &str, text: &str) -> bool {
    match pat.split_once('*') {
        None => pat == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob(rest, &tail[i..]))
        }
    }
}

/// The SCP's document: one Deny statement for each kind of resource trailhub makes.
pub fn document(p: &Protected) -> Value {
    let mut statements = vec![trail_statement(p)];
    statements.extend(flow_log_statement(p));
    statements.extend(log_group_statement(p));
    statements.extend(role_statements(p));
    statements.extend(alarm_statements(p));
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The trails of trailhub's names: not stopped, deleted, changed, nor their selectors narrowed.
fn trail_statement(p: &Protected) -> Value {
    let part = &p.partition;
    deny(
        p,
        "TrailhubTrails",
        &[
            "cloudtrail:StopLogging",
            "cloudtrail:DeleteTrail",
            "cloudtrail:UpdateTrail",
            "cloudtrail:PutEventSelectors",
            "cloudtrail:PutInsightSelectors",
        ],
        p.trails
            .iter()
            .map(|t| format!("arn:{part}:cloudtrail:*:*:trail/{t}"))
            .collect(),
        None,
    )
}

/// The flow logs that carry trailhub's tag: not deleted.
fn flow_log_statement(p: &Protected) -> Option<Value> {
    p.flow_logs.then(|| {
        deny(
            p,
            "TrailhubFlowLogs",
            &["ec2:DeleteFlowLogs"],
            vec![format!("arn:{}:ec2:*:*:vpc-flow-log/*", p.partition)],
            Some(json!({"StringEquals": {
                format!("aws:ResourceTag/{MANAGED_TAG_KEY}"): MANAGED_TAG_VALUE
            }})),
        )
    })
}

/// trailhub's log groups: not deleted, their retention not changed, their filters not removed.
fn log_group_statement(p: &Protected) -> Option<Value> {
    let part = &p.partition;
    (!p.log_groups.is_empty()).then(|| {
        deny(
            p,
            "TrailhubLogGroups",
            &[
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:DeleteMetricFilter",
                "logs:DeleteSubscriptionFilter",
            ],
            p.log_groups
                .iter()
                .flat_map(|g| {
                    let arn = format!("arn:{part}:logs:*:*:log-group:{g}");
                    [format!("{arn}:*"), arn]
                })
                .collect(),
            None,
        )
    })
}

/// The delivery roles (not deleted, their trust, policies and boundary not changed) and trailhub's boundary
/// policy (no new version, not deleted).
fn role_statements(p: &Protected) -> Vec<Value> {
    let part = &p.partition;
    let mut out = Vec::new();
    if !p.roles.is_empty() {
        out.push(deny(
            p,
            "TrailhubRoles",
            &[
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:DeleteRolePermissionsBoundary",
            ],
            p.roles
                .iter()
                .map(|r| format!("arn:{part}:iam::*:role/{r}"))
                .collect(),
            None,
        ));
    }
    if let Some(b) = &p.boundary {
        out.push(deny(
            p,
            "TrailhubBoundary",
            &[
                "iam:DeletePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
            ],
            vec![format!("arn:{part}:iam::*:policy/{b}")],
            None,
        ));
    }
    out
}

/// `[alarms]`: trailhub's CIS alarms (`trailhub-cis-*`) not deleted, disabled or changed, and their SNS topic
/// not deleted nor its policy changed (the metric filters are protected with the log groups).
fn alarm_statements(p: &Protected) -> Vec<Value> {
    let part = &p.partition;
    let Some(topic) = &p.alarm_topic else {
        return Vec::new();
    };
    // one statement for both (a CloudWatch action never matches the topic, nor SNS's an alarm): the SCP's
    // 5,120 characters hold the worst case only so
    vec![deny(
        p,
        "TrailhubAlarms",
        &[
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DisableAlarmActions",
            "cloudwatch:PutMetricAlarm",
            "sns:DeleteTopic",
            "sns:SetTopicAttributes",
        ],
        vec![
            format!(
                "arn:{part}:cloudwatch:*:*:alarm:{}*",
                crate::world::alarms::NAME_PREFIX
            ),
            format!("arn:{part}:sns:*:*:{topic}"),
        ],
        None,
    )]
}

/// A Deny of `actions` on `resources` for every principal but the member role (`aws:PrincipalArn`),
/// with `extra` conditions.
pub fn deny(
    p: &Protected,
    sid: &str,
    actions: &[&str],
    resources: Vec<String>,
    extra: Option<Value>,
) -> Value {
    let mut condition = extra.unwrap_or_else(|| json!({}));
    condition["ArnNotLike"] = json!({
        "aws:PrincipalArn": format!("arn:{}:iam::*:role/{}", p.partition, p.member_role)
    });
    json!({
        "Sid": sid,
        "Effect": "Deny",
        "Action": actions,
        "Resource": resources,
        "Condition": condition,
    })
}

/// The document as written: minified JSON.
pub fn minified(doc: &Value) -> String {
    doc.to_string()
}

/// Whether the live content says what trailhub writes (the same JSON, whatever its spacing).
pub fn same_content(live: &str, planned: &Value) -> bool {
    serde_json::from_str::<Value>(live).is_ok_and(|v| v == *planned)
}
