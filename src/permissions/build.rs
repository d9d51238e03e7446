//! The IAM policies of the central identity and of the member role, built from the catalogue for the
//! features configured (pure): only the calls the config makes needed, grouped into one statement per
//! resource (per service where the resource is `*`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::calls::{Access, BOUNDED, By, NEEDS, Need, On, When};
use super::queue::{alarm_queues, alarm_topic_name};
use super::scope::{flow_log_condition, log_group_names, trail_names};
use crate::config::{BOUNDARY_POLICY_NAME, Boundary, Config, FlowDestination, KmsKey, Source};

/// Whose policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// The identity trailhub runs as, in the central account.
    Central,
    /// The role trailhub assumes in each member account.
    Member,
}

/// Whether the config makes `need` needed at all.
pub fn needed(need: &Need, cfg: &Config) -> bool {
    let orgs = cfg.members.source == Source::Organizations;
    let flow = |d: FlowDestination| {
        cfg.flow_logs
            .as_ref()
            .is_some_and(|f| f.destinations.contains(&d))
    };
    let kms = cfg.central.kms_key.as_ref();
    match need.when {
        When::Always | When::Offboard => true,
        When::OffboardOrg => orgs,
        When::Guardrails => cfg.guardrails.is_some(),
        When::OrgList => orgs && !cfg.members.walks_ous(),
        When::OuWalk => orgs && cfg.members.walks_ous(),
        When::CloudWatch => cfg.cloudwatch.is_some(),
        When::LogGroups => cfg.cloudwatch.is_some() || flow(FlowDestination::Cloudwatch),
        When::FlowLogs => cfg.flow_logs.is_some(),
        When::FlowLogsS3 => flow(FlowDestination::S3),
        When::FlowLogsCloudWatch => flow(FlowDestination::Cloudwatch),
        When::Kms => kms.is_some(),
        When::KmsCreate => kms.is_some_and(KmsKey::creates),
        When::Retention => cfg.central.retention_days.is_some(),
        When::AccessLog => cfg.central.access_log_bucket.is_some(),
        When::Alarms => cfg.alarms.is_some(),
        When::BoundaryRead | When::BoundaryCreate => boundaries(cfg).any(|b| b.creates()),
        When::AlarmQueue => !alarm_queues(cfg).is_empty(),
    }
}

/// The permissions boundaries of the delivery roles configured: `[cloudwatch]`'s, and `[flow_logs]`'s
/// with the `cloudwatch` destination.
fn boundaries(cfg: &Config) -> impl Iterator<Item = &Boundary> {
    let cloudwatch = cfg.cloudwatch.iter().map(|w| &w.permissions_boundary);
    let flow = cfg
        .flow_logs
        .iter()
        .filter(|f| f.destinations.contains(&FlowDestination::Cloudwatch))
        .map(|f| &f.permissions_boundary);
    cloudwatch.chain(flow)
}

/// Where the boundary policy comes from, for the policy of the member role: trailhub makes it, or the
/// stack of `permissions --format cloudformation` does beside the role (then the role needs no
/// iam:CreatePolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundaryMaker {
    Trailhub,
    Template,
}

/// Whether `who` makes the call: the central identity makes the members' calls too in the central account,
/// all of them when it has its own trail (`central.trail_name`), else the reads of `audit`, which looks at
/// the central account all the same.
pub fn made_by(need: &Need, who: Principal, cfg: &Config) -> bool {
    match (need.by, who) {
        (By::Central, Principal::Central) | (By::Member | By::Both, Principal::Member) => true,
        (By::Both, Principal::Central) => {
            cfg.central.trail_name.is_some() || need.access == Access::Read
        }
        (By::Central, Principal::Member) | (By::Member, Principal::Central) => false,
    }
}

/// The catalogue's rows `who` needs under `cfg` (only the reads with `read_only`).
pub fn needs(cfg: &Config, who: Principal, read_only: bool) -> impl Iterator<Item = &'static Need> {
    NEEDS.iter().filter(move |n| {
        needed(n, cfg) && made_by(n, who, cfg) && (!read_only || n.access == Access::Read)
    })
}

/// The ARNs a grant on `on` covers, for `who` (empty when the config names no such thing).
pub fn resources(on: On, who: Principal, cfg: &Config) -> Vec<String> {
    let c = &cfg.central;
    let p = c.region.partition();
    // IAM calls act in the caller's own account: the central identity's are the central account's roles
    let account = match who {
        Principal::Central => c.account_id.to_string(),
        Principal::Member => "*".to_owned(),
    };
    let role = |name: &str| format!("arn:{p}:iam::{account}:role/{name}");
    match on {
        On::Any => vec!["*".to_owned()],
        // UpdatePolicy takes the policy; AttachPolicy and DetachPolicy the policy and the root or OU
        On::Scps => vec![
            format!("arn:{p}:organizations::*:policy/o-*/service_control_policy/p-*"),
            format!("arn:{p}:organizations::*:root/o-*/r-*"),
            format!("arn:{p}:organizations::*:ou/o-*/ou-*"),
        ],
        On::Bucket => vec![format!("arn:{p}:s3:::{}", c.bucket)],
        On::AccessLogBucket => c
            .access_log_bucket
            .iter()
            .map(|b| format!("arn:{p}:s3:::{b}"))
            .collect(),
        On::MemberRoles => member_roles(cfg),
        On::Key => match &c.kms_key {
            Some(KmsKey::Existing { arn, alias: false }) => vec![arn.clone()],
            Some(_) => vec![format!(
                "arn:{p}:kms:{}:{}:key/*",
                c.bucket_home(),
                c.account_id
            )],
            None => vec![],
        },
        On::Alias => match &c.kms_key {
            Some(KmsKey::Create { alias_arn }) => vec![alias_arn.clone()],
            _ => vec![],
        },
        On::CloudTrailRole => cfg.cloudwatch.iter().map(|w| role(&w.role_name)).collect(),
        On::FlowLogsRole => cfg.flow_logs.iter().map(|f| role(&f.role_name)).collect(),
        On::BoundaryPolicy => vec![format!(
            "arn:{p}:iam::{account}:policy/{BOUNDARY_POLICY_NAME}"
        )],
        On::AlarmLogGroups => vec![format!("arn:{p}:logs:*:{account}:log-group:*")],
        On::OwnAlarms => vec![format!(
            "arn:{p}:cloudwatch:*:{account}:alarm:{}*",
            crate::world::alarms::NAME_PREFIX
        )],
        On::AlarmTopic => cfg
            .alarms
            .iter()
            .map(|a| format!("arn:{p}:sns:*:{account}:{}", a.topic_name))
            .collect(),
        // the trail writes take the `trail` resource (docs/aws-rules.md CT-17); its ARN names the home Region,
        // the writes go to trailhub's trails by name in any Region
        On::OwnTrails => trail_names(cfg, who == Principal::Central)
            .into_iter()
            .map(|t| format!("arn:{p}:cloudtrail:*:{account}:trail/{t}"))
            .collect(),
        // CreateLogGroup and PutRetentionPolicy authorize the `log-group` resource; AWS spells its ARN both
        // with and without the trailing `:*` (docs/aws-rules.md CWL-5), so both are granted
        On::OwnLogGroups => log_group_names(cfg)
            .into_iter()
            .flat_map(|g| {
                let arn = format!("arn:{p}:logs:*:{account}:log-group:{g}");
                [format!("{arn}:*"), arn]
            })
            .collect(),
        // CreateFlowLogs names the VPC (VPC-10); trailhub makes flow logs for VPCs only, never for a subnet
        // or an interface
        On::FlowLogVpcs => vec![format!("arn:{p}:ec2:*:{account}:vpc/*")],
        // which flow logs is the condition's to say (trailhub's tag, VPC-8, VPC-9): their IDs are EC2's
        On::NewFlowLogs | On::NewFlowLogTags | On::OwnFlowLogs => {
            vec![format!("arn:{p}:ec2:*:{account}:vpc-flow-log/*")]
        }
        On::AlarmQueue => alarm_queues(cfg),
        // Subscribe authorizes the topic (a member's, any Region): by trailhub's topic name only
        On::AlarmTopics => vec![format!("arn:{p}:sns:*:*:{}", alarm_topic_name(cfg))],
    }
}

/// `members.role_name` in any account, and every `[[account]] role_arn` that names another role.
fn member_roles(cfg: &Config) -> Vec<String> {
    let p = cfg.central.region.partition();
    let mut roles = vec![format!("arn:{p}:iam::*:role/{}", cfg.members.role_name)];
    for a in &cfg.accounts {
        let arn = a.role_arn.to_string();
        let default = format!("arn:{p}:iam::{}:role/{}", a.id, cfg.members.role_name);
        if arn != default && !roles.contains(&arn) {
            roles.push(arn);
        }
    }
    roles
}

/// A statement's place and name: its resource, and the service and whether it writes when the resource is
/// `*` (and apart, the actions only `offboard` uses). A write on `*` is one AWS authorizes on no resource
/// at all (logs:CreateLogDelivery, ec2:CreateFlowLogs, kms:CreateKey): its own statement, so that nothing
/// scoped to a resource ever shares a `*` with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Group {
    offboard: bool,
    on: On,
    service: &'static str,
    write: bool,
    /// A role write granted only with the delivery role's permissions boundary ([`BOUNDED`]).
    bounded: bool,
}

impl Group {
    fn of(n: &Need, action: &'static str) -> Group {
        let (service, write) = match n.on {
            On::Any => (
                action.split(':').next().unwrap_or(action),
                n.access == Access::Write,
            ),
            _ => ("", false),
        };
        Group {
            offboard: matches!(n.when, When::Offboard | When::OffboardOrg),
            on: n.on,
            service,
            write,
            bounded: BOUNDED.contains(&action),
        }
    }

    fn sid(&self) -> String {
        let name = match (self.on, self.service, self.write) {
            (On::MemberRoles, _, _) => "AssumeMemberRoles",
            (On::Bucket, _, _) => "CentralBucket",
            (On::AccessLogBucket, _, _) => "AccessLogBucket",
            (On::Key, _, _) => "KmsKey",
            (On::Alias, _, _) => "KmsAlias",
            (On::CloudTrailRole, _, _) if self.bounded => "CloudTrailDeliveryRoleWithBoundary",
            (On::CloudTrailRole, _, _) => "CloudTrailDeliveryRole",
            (On::FlowLogsRole, _, _) if self.bounded => "FlowLogsDeliveryRoleWithBoundary",
            (On::FlowLogsRole, _, _) => "FlowLogsDeliveryRole",
            (On::BoundaryPolicy, _, _) => "DeliveryRoleBoundaryPolicy",
            (On::OwnTrails, _, _) => "Trails",
            (On::OwnLogGroups, _, _) => "LogGroups",
            (On::FlowLogVpcs, _, _) => "CreateFlowLogsOnVpcs",
            (On::NewFlowLogs, _, _) => "CreateTaggedFlowLogs",
            (On::NewFlowLogTags, _, _) => "TagFlowLogsOnCreate",
            (On::OwnFlowLogs, _, _) => "DeleteTaggedFlowLogs",
            (On::AlarmQueue, _, _) => "AlarmQueuePolicy",
            (On::AlarmTopics, _, _) => "SubscribeAlarmTopics",
            // ListSubscriptions takes no resource
            (On::Any, "sns", false) => "ListSubscriptions",
            (On::AlarmLogGroups, _, _) => "CisMetricFilters",
            (On::OwnAlarms, _, _) => "CisAlarms",
            (On::AlarmTopic, _, _) => "CisAlarmTopic",
            (On::Any, "cloudwatch", _) => "ReadAlarms",
            (On::Scps, _, _) => "ServiceControlPolicies",
            (On::Any, "organizations", true) => "CreateServiceControlPolicy",
            (On::Any, "organizations", _) => "Organizations",
            // DescribeTrails takes no resource; GetTrailStatus and GetEventSelectors read other trails too
            // (is another trail already logging management events?), so all three read any trail
            (On::Any, "cloudtrail", false) => "ReadTrails",
            // DescribeLogGroups takes no resource (it lists by prefix)
            (On::Any, "logs", false) => "DescribeLogGroups",
            // CreateLogDelivery and DeleteLogDelivery are permission-only actions with no resource
            (On::Any, "logs", true) => "LogDelivery",
            (On::Any, "ec2", false) => "ReadVpcsAndFlowLogs",
            (On::Any, "kms", _) => "KmsCreateKey",
            (On::Any, _, _) => "Other",
        };
        if self.offboard {
            format!("OffboardOnly{name}")
        } else {
            name.to_owned()
        }
    }
}

/// The IAM policy document `who` needs under `cfg` (only its reads with `read_only`: an audit identity).
pub fn policy(cfg: &Config, who: Principal, read_only: bool) -> Value {
    policy_for(cfg, who, read_only, BoundaryMaker::Trailhub)
}

/// [`policy`], with the boundary policy made by `maker`.
pub fn policy_for(cfg: &Config, who: Principal, read_only: bool, maker: BoundaryMaker) -> Value {
    let mut groups: BTreeMap<Group, (Vec<&'static str>, Vec<String>)> = BTreeMap::new();
    let needs = needs(cfg, who, read_only)
        .filter(|n| !(maker == BoundaryMaker::Template && n.when == When::BoundaryCreate));
    for n in needs {
        let Some(action) = n.action else { continue };
        let on = resources(n.on, who, cfg);
        if on.is_empty() {
            continue;
        }
        let (actions, res) = groups.entry(Group::of(n, action)).or_default();
        if !actions.contains(&action) {
            actions.push(action);
        }
        for r in on {
            if !res.contains(&r) {
                res.push(r);
            }
        }
    }
    let statements: Vec<Value> = groups
        .into_iter()
        .map(|(g, (mut actions, res))| {
            actions.sort_unstable();
            let mut s = json!({"Sid": g.sid(), "Effect": "Allow", "Action": one_or_many(actions), "Resource": one_or_many(res)});
            if let Some(c) = flow_log_condition(g.on) {
                s["Condition"] = c;
            }
            if g.bounded {
                s["Condition"] = boundary_condition(g.on, who, cfg);
            }
            s
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The condition of a role write: the request's or the role's `iam:PermissionsBoundary` is the delivery
/// role's boundary (`*` for the member's account, which may be any: a boundary is a policy of the role's
/// own account or AWS's, so the pattern matches the member's own policy only). IAM-11.
fn boundary_condition(on: On, who: Principal, cfg: &Config) -> Value {
    let account = match who {
        Principal::Central => cfg.central.account_id.to_string(),
        Principal::Member => "*".to_owned(),
    };
    let p = cfg.central.region.partition();
    let boundary = match on {
        On::CloudTrailRole => cfg.cloudwatch.as_ref().map(|w| &w.permissions_boundary),
        _ => cfg.flow_logs.as_ref().map(|f| &f.permissions_boundary),
    };
    let arn = boundary.map(|b| b.arn(p, &account)).unwrap_or_default();
    // the key is of type ARN (Service Authorization Reference): the ARN operators, as parliament wants
    let operator = if arn.contains('*') {
        "ArnLike"
    } else {
        "ArnEquals"
    };
    json!({operator: {"iam:PermissionsBoundary": arn}})
}

/// A lone value as itself, several as a list (as people write policies).
fn one_or_many<T: Into<Value>>(mut items: Vec<T>) -> Value {
    if items.len() == 1 {
        items.remove(0).into()
    } else {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}
