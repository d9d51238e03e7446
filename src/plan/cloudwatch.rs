//! CloudWatch Logs deliveries (pure): the log group, its retention, and the IAM role a service assumes to
//! write to it, for the trail (`[cloudwatch]`, CloudTrail) and for flow logs (`[flow_logs]`, VPC Flow Logs);
//! the documents of the role, and the changes that take what was observed there.

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::{BOUNDARY_POLICY_NAME, Boundary, Config, ScopedAccount, fill_log_group};
use crate::plan::document;
use crate::plan::failure::AccountFailure;
use crate::world::{DesiredRole, LogGroup, ObservedRole, TrailLogs};

/// The inline policy trailhub puts on the trail's role.
pub const TRAIL_POLICY_NAME: &str = "trailhub-cloudtrail-to-logs";
/// The inline policy trailhub puts on the flow logs' role.
pub const FLOW_POLICY_NAME: &str = "trailhub-flow-logs-to-logs";
pub const CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";
pub const VPC_FLOW_LOGS: &str = "vpc-flow-logs.amazonaws.com";

/// A log group and the role that writes to it, as trailhub wants them in one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogsSetup {
    pub group: String,
    /// `arn:<p>:logs:<region>:<id>:log-group:<group>` (no `:*`).
    pub group_arn: String,
    pub retention_days: u32,
    pub role: DesiredRole,
    /// The role's ARN when it is created with no path (GetRole's, when the role exists).
    pub role_arn: String,
    /// The ARN of the role's permissions boundary (`permissions_boundary`).
    pub boundary_arn: String,
    /// With `permissions_boundary = "create"`: the document trailhub's boundary policy must hold.
    pub boundary_document: Option<String>,
}

/// One change to a log group or a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum SetupChange {
    /// CreateLogGroup, then PutRetentionPolicy.
    CreateLogGroup { name: String, retention_days: u32 },
    /// PutRetentionPolicy (`old`: None = never expire).
    SetRetention {
        name: String,
        old: Option<u32>,
        new: u32,
    },
    /// CreatePolicy: trailhub's permissions boundary of the delivery roles (`permissions_boundary =
    /// "create"`), before any role names it; never a new version of it.
    CreateBoundaryPolicy {
        name: String,
        #[serde(skip)]
        document: String,
    },
    /// CreateRole with the trust policy (`trust`, carried for apply, not shown) and the permissions
    /// boundary, then PutRolePolicy.
    CreateRole {
        name: String,
        #[serde(skip)]
        trust: String,
        boundary: String,
    },
    /// PutRolePermissionsBoundary: a role made without the boundary (an older trailhub, a person) gets it,
    /// before any other write to the role.
    PutBoundary { name: String, boundary: String },
    /// UpdateAssumeRolePolicy: the live trust policy with trailhub's statement added (the others kept).
    UpdateTrust { name: String, trust: String },
    /// PutRolePolicy: trailhub's inline policy (`policy`, carried for apply, not shown), created or put back.
    PutRolePolicy {
        name: String,
        policy_name: String,
        #[serde(skip)]
        policy: String,
    },
    /// A log group change (`CreateLogGroup`, `SetRetention`) in another Region than the central one: the
    /// flow logs' group of that Region (log groups are regional, CWL-6).
    InRegion {
        region: String,
        change: Box<SetupChange>,
    },
}

impl SetupChange {
    pub fn describe(&self) -> String {
        match self {
            SetupChange::CreateLogGroup {
                name,
                retention_days,
            } => format!("log group {name}: create ({retention_days} days)"),
            SetupChange::SetRetention { name, old, new } => {
                let old = old.map_or_else(|| "never expire".to_owned(), |d| format!("{d} days"));
                format!("log group {name}: retention {old} -> {new} days")
            }
            SetupChange::CreateBoundaryPolicy { name, .. } => {
                format!("boundary policy {name}: create")
            }
            SetupChange::CreateRole { name, .. } => format!("role {name}: create"),
            SetupChange::PutBoundary { name, boundary } => {
                format!("role {name}: permissions boundary: set to {boundary}")
            }
            SetupChange::UpdateTrust { name, .. } => {
                format!("role {name}: trust policy: add trailhub's statement")
            }
            SetupChange::PutRolePolicy {
                name, policy_name, ..
            } => {
                format!("role {name}: put policy {policy_name}")
            }
            SetupChange::InRegion { region, change } => format!("{region}: {}", change.describe()),
        }
    }
}

/// The changes in words, a new role and its policy said once: `role R: create (policy P)`.
pub fn describe_setup(changes: &[SetupChange]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        match (&changes[i], changes.get(i + 1)) {
            (
                SetupChange::CreateRole { name, .. },
                Some(SetupChange::PutRolePolicy {
                    name: same,
                    policy_name,
                    ..
                }),
            ) if name == same => {
                out.push(format!("role {name}: create (policy {policy_name})"));
                i += 2;
            }
            (c, _) => {
                out.push(c.describe());
                i += 1;
            }
        }
    }
    out
}

fn logs_arn(cfg: &Config, id: &str) -> String {
    let r = &cfg.central.region;
    format!("arn:{}:logs:{r}:{id}:log-group:", r.partition())
}

fn role_arn(cfg: &Config, id: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{id}:role/{name}",
        cfg.central.region.partition()
    )
}

fn boundary_arn(cfg: &Config, id: &str, b: &Boundary) -> String {
    b.arn(cfg.central.region.partition(), id)
}

fn boundary_document(cfg: &Config, id: &str, b: &Boundary) -> Option<String> {
    b.creates()
        .then(|| crate::config::boundary_document(cfg.central.region.partition(), id).to_string())
}

/// With `permissions_boundary = "create"`, what trailhub's boundary policy asks for, given its document
/// as read (`live`, None: missing): nothing when it holds exactly trailhub's document, CreatePolicy when it
/// is missing, and a refusal when it holds another (someone wrote it; trailhub never makes a new version,
/// so it does not use it, and the account's role writes wait: docs/aws-rules.md IAM-13).
pub fn boundary_policy(
    want: &LogsSetup,
    live: Option<&str>,
) -> Result<Option<SetupChange>, AccountFailure> {
    let Some(doc) = &want.boundary_document else {
        return Ok(None);
    };
    match live {
        None => Ok(Some(SetupChange::CreateBoundaryPolicy {
            name: BOUNDARY_POLICY_NAME.to_owned(),
            document: doc.clone(),
        })),
        Some(live) if same_json(Some(live), doc) => Ok(None),
        Some(_) => Err(AccountFailure::BoundaryPolicyDiffers {
            arn: want.boundary_arn.clone(),
        }),
    }
}

/// The trail's log group and role in this target (`[cloudwatch]`); None when not configured for it, or
/// when its name cannot make a log group name (the reason).
pub fn trail_setup(cfg: &Config, t: &ScopedAccount) -> Option<Result<LogsSetup, String>> {
    let cw = cfg.cloudwatch.as_ref().filter(|_| t.cloudwatch)?;
    Some(fill_log_group(&cw.log_group, &t.id, &t.name).map(|group| {
        let id = t.id.as_str();
        let region = cfg.central.region.as_str();
        let group_arn = format!("{}{group}", logs_arn(cfg, id));
        let streams = format!("{group_arn}:log-stream:{id}_CloudTrail_{region}*");
        let trust = trust(CLOUDTRAIL, None);
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "TrailhubCloudTrailToLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": streams,
            }],
        });
        LogsSetup {
            role_arn: role_arn(cfg, id, &cw.role_name),
            boundary_arn: boundary_arn(cfg, id, &cw.permissions_boundary),
            boundary_document: boundary_document(cfg, id, &cw.permissions_boundary),
            role: DesiredRole {
                name: cw.role_name.clone(),
                trust: trust.to_string(),
                policy_name: TRAIL_POLICY_NAME.to_owned(),
                policy: policy.to_string(),
            },
            group,
            group_arn,
            retention_days: cw.retention_days,
        }
    }))
}

/// The flow logs' log group and role in this target (`[flow_logs]` with the `cloudwatch` destination).
pub fn flow_setup(cfg: &Config, t: &ScopedAccount) -> Option<Result<LogsSetup, String>> {
    let fl = cfg.flow_logs.as_ref().filter(|_| t.flow_logs)?;
    if !fl
        .destinations
        .contains(&crate::config::FlowDestination::Cloudwatch)
    {
        return None;
    }
    Some(fill_log_group(&fl.log_group, &t.id, &t.name).map(|group| {
        let id = t.id.as_str();
        let r = &cfg.central.region;
        let group_arn = format!("{}{group}", logs_arn(cfg, id));
        // IAM is global: the one role serves the flow logs of every Region, each to the log group of its
        // own Region (log groups are regional, CWL-6): the trust names the account's flow logs of any
        // Region (VPC-16), the policy the group of that name in any Region
        let any_region_group = format!("arn:{}:logs:*:{id}:log-group:{group}", r.partition());
        let source = json!({
            "StringEquals": {"aws:SourceAccount": id},
            "ArnLike": {"aws:SourceArn": format!("arn:{}:ec2:*:{id}:vpc-flow-log/*", r.partition())},
        });
        // DescribeLogGroups takes no resource (the Service Authorization Reference lists no resource
        // type for it): granted on a group's ARN it never applies, so it has its own statement on `*`
        // (VPC-4). The writes stay on the group and its streams.
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "TrailhubFlowLogsToLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [any_region_group.clone(), format!("{any_region_group}:*")],
            }, {
                "Sid": "TrailhubFlowLogsListGroups",
                "Effect": "Allow",
                "Action": "logs:DescribeLogGroups",
                "Resource": "*",
            }],
        });
        LogsSetup {
            role_arn: role_arn(cfg, id, &fl.role_name),
            boundary_arn: boundary_arn(cfg, id, &fl.permissions_boundary),
            boundary_document: boundary_document(cfg, id, &fl.permissions_boundary),
            role: DesiredRole {
                name: fl.role_name.clone(),
                trust: trust(VPC_FLOW_LOGS, Some(source)).to_string(),
                policy_name: FLOW_POLICY_NAME.to_owned(),
                policy: policy.to_string(),
            },
            group,
            group_arn,
            retention_days: fl.retention_days,
        }
    }))
}

/// A trust policy with trailhub's one statement: `service` may assume the role, under `condition`.
fn trust(service: &str, condition: Option<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": [trust_statement(service, condition)]})
}

fn trust_statement(service: &str, condition: Option<Value>) -> Value {
    let mut s = json!({
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    });
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}

/// What the trail should name: the group's ARN in the `:*` form CloudTrail wants, and the role's ARN
/// (GetRole's when the role exists, so that a role with a path is named right).
pub fn trail_logs(setup: &LogsSetup, role: Option<&ObservedRole>) -> TrailLogs {
    TrailLogs {
        log_group_arn: format!("{}:*", setup.group_arn),
        role_arn: role.map_or_else(|| setup.role_arn.clone(), |r| r.arn.clone()),
    }
}

/// The changes that take the observed group and role to `want`, in order.
/// The flow logs' log group in each other Region where flow logs go to CloudWatch Logs (`regions`), as
/// read there (`groups`; a Region not read is left out): created, or its retention set.
pub fn diff_regional_groups(
    want: &LogsSetup,
    regions: &[&str],
    groups: &[(String, Option<LogGroup>)],
) -> Vec<SetupChange> {
    let mut out = Vec::new();
    for r in regions {
        let Some((_, group)) = groups.iter().find(|(g, _)| g == r) else {
            continue;
        };
        let change = match group {
            None => SetupChange::CreateLogGroup {
                name: want.group.clone(),
                retention_days: want.retention_days,
            },
            Some(g) if g.retention_days != Some(want.retention_days) => SetupChange::SetRetention {
                name: want.group.clone(),
                old: g.retention_days,
                new: want.retention_days,
            },
            Some(_) => continue,
        };
        out.push(SetupChange::InRegion {
            region: (*r).to_owned(),
            change: Box::new(change),
        });
    }
    out
}

pub fn diff_setup(
    want: &LogsSetup,
    group: Option<&LogGroup>,
    role: Option<&ObservedRole>,
) -> Vec<SetupChange> {
    let mut out = Vec::new();
    match group {
        None => out.push(SetupChange::CreateLogGroup {
            name: want.group.clone(),
            retention_days: want.retention_days,
        }),
        Some(g) if g.retention_days != Some(want.retention_days) => {
            out.push(SetupChange::SetRetention {
                name: want.group.clone(),
                old: g.retention_days,
                new: want.retention_days,
            })
        }
        Some(_) => {}
    }
    let name = want.role.name.clone();
    let put_policy = SetupChange::PutRolePolicy {
        name: name.clone(),
        policy_name: want.role.policy_name.clone(),
        policy: want.role.policy.clone(),
    };
    match role {
        None => {
            let trust = want.role.trust.clone();
            let boundary = want.boundary_arn.clone();
            out.push(SetupChange::CreateRole {
                name,
                trust,
                boundary,
            });
            out.push(put_policy);
        }
        Some(r) => {
            // first, so that the writes after it meet the condition on the role's boundary (IAM-11)
            if r.permissions_boundary.as_deref() != Some(want.boundary_arn.as_str()) {
                out.push(SetupChange::PutBoundary {
                    name: name.clone(),
                    boundary: want.boundary_arn.clone(),
                });
            }
            if let Some(trust) = merged_trust(&r.trust, &want.role.trust) {
                out.push(SetupChange::UpdateTrust { name, trust });
            }
            if !same_json(r.policy.as_deref(), &want.role.policy) {
                out.push(put_policy);
            }
        }
    }
    out
}

/// The live trust policy with trailhub's statement added, or None when it already has it. The role's
/// other statements are kept: another team's trust is never lost.
fn merged_trust(live: &str, want: &str) -> Option<String> {
    let want: Value = serde_json::from_str(want).ok()?;
    let ours = document::statements(&want).first().map(|s| (*s).clone())?;
    let mut live: Value = match serde_json::from_str(live) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Some(want.to_string()),
    };
    let has = document::statements(&live)
        .iter()
        .any(|s| without_sid(s) == without_sid(&ours));
    if has {
        return None;
    }
    let mut statements: Vec<Value> = document::statements(&live)
        .into_iter()
        .map(|s| Value::Object(s.clone()))
        .collect();
    statements.push(Value::Object(ours));
    live["Statement"] = Value::Array(statements);
    Some(live.to_string())
}

fn without_sid(s: &serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    let mut s = s.clone();
    s.remove("Sid");
    s
}

fn same_json(have: Option<&str>, want: &str) -> bool {
    let parse = |t: &str| serde_json::from_str::<Value>(t).ok();
    matches!((have.and_then(parse), parse(want)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
trail_name = "SEC"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
[[account]]
id = "333333333333"
name = "PRD"
cloudwatch = false
[cloudwatch]
log_group = "/trailhub/{name}"
retention_days = 400
"#;

    fn setup() -> (Config, Vec<ScopedAccount>) {
        let cfg = Config::parse(Path::new("a.toml"), CFG).unwrap();
        let t = cfg.static_targets();
        (cfg, t)
    }

    #[test]
    fn a_new_account_gets_group_and_role_then_nothing() {
        let (cfg, t) = setup();
        let want = trail_setup(&cfg, &t[0]).unwrap().unwrap();
        assert_eq!(want.group, "/trailhub/DEV");
        assert!(want.role.policy.contains(
            "log-group:/trailhub/DEV:log-stream:222222222222_CloudTrail_ap-northeast-2*"
        ));
        let changes = describe_setup(&diff_setup(&want, None, None));
        assert_eq!(
            changes,
            [
                "log group /trailhub/DEV: create (400 days)",
                "role TrailhubCloudTrailToLogs: create (policy trailhub-cloudtrail-to-logs)"
            ]
        );
        let group = LogGroup {
            name: want.group.clone(),
            arn: want.group_arn.clone(),
            retention_days: Some(400),
        };
        let role = ObservedRole {
            name: want.role.name.clone(),
            arn: want.role_arn.clone(),
            trust: want.role.trust.clone(),
            policy: Some(want.role.policy.clone()),
            permissions_boundary: Some(want.boundary_arn.clone()),
        };
        assert!(diff_setup(&want, Some(&group), Some(&role)).is_empty());
        assert!(trail_setup(&cfg, &t[1]).is_none(), "cloudwatch = false");
    }

    /// Issue 21, point 3: DescribeLogGroups takes no resource, so the flow logs' role is granted it on `*`
    /// in its own statement (VPC-4); a role that holds the old policy (all four on the group) gets the new
    /// one put, and then nothing changes.
    #[test]
    fn the_flow_role_lists_groups_on_star_and_an_old_policy_is_replaced() {
        let text = format!("{CFG}[flow_logs]\ndestinations = [\"cloudwatch\"]\n");
        let cfg = Config::parse(Path::new("a.toml"), &text).unwrap();
        let t = cfg.static_targets();
        let want = flow_setup(&cfg, &t[0]).unwrap().unwrap();
        let policy: Value = serde_json::from_str(&want.role.policy).unwrap();
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2, "{policy}");
        let list = &statements[1];
        assert_eq!(list["Action"], "logs:DescribeLogGroups");
        assert_eq!(list["Resource"], "*");
        let scoped = &statements[0];
        assert!(
            !scoped.to_string().contains("DescribeLogGroups"),
            "{scoped}"
        );
        assert!(
            !scoped["Resource"].to_string().contains("\"*\""),
            "{scoped}"
        );
        let group_arn = &want.group_arn;
        let old = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "TrailhubFlowLogsToLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups",
                "logs:DescribeLogStreams"],
            "Resource": [group_arn.clone(), format!("{group_arn}:*")],
        }]});
        let group = LogGroup {
            name: want.group.clone(),
            arn: want.group_arn.clone(),
            retention_days: Some(want.retention_days),
        };
        let role = ObservedRole {
            name: want.role.name.clone(),
            arn: want.role_arn.clone(),
            trust: want.role.trust.clone(),
            policy: Some(old.to_string()),
            permissions_boundary: Some(want.boundary_arn.clone()),
        };
        assert_eq!(
            describe_setup(&diff_setup(&want, Some(&group), Some(&role))),
            ["role TrailhubFlowLogsToLogs: put policy trailhub-flow-logs-to-logs"]
        );
        let role = ObservedRole {
            policy: Some(want.role.policy.clone()),
            ..role
        };
        assert!(diff_setup(&want, Some(&group), Some(&role)).is_empty());
    }

    #[test]
    fn another_trust_statement_is_kept() {
        let (cfg, t) = setup();
        let want = trail_setup(&cfg, &t[0]).unwrap().unwrap();
        let theirs = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}"#;
        let role = ObservedRole {
            name: want.role.name.clone(),
            arn: want.role_arn.clone(),
            trust: theirs.to_owned(),
            policy: Some(want.role.policy.clone()),
            permissions_boundary: Some(want.boundary_arn.clone()),
        };
        let group = LogGroup {
            name: want.group.clone(),
            arn: want.group_arn.clone(),
            retention_days: None,
        };
        let d = diff_setup(&want, Some(&group), Some(&role));
        assert_eq!(d.len(), 2);
        assert_eq!(
            d[0].describe(),
            "log group /trailhub/DEV: retention never expire -> 400 days"
        );
        let SetupChange::UpdateTrust { trust, .. } = &d[1] else {
            panic!("{d:?}")
        };
        assert!(trust.contains("111111111111:root") && trust.contains(CLOUDTRAIL));
        let role = ObservedRole {
            trust: trust.clone(),
            ..role
        };
        assert!(merged_trust(&role.trust, &want.role.trust).is_none());
    }
}
