//! The guardrails' planner: the SCP denies an administrator the calls that undo coverage on trailhub's
//! resources, never trailhub's role nor other teams' resources (proved with the policy evaluator), stays
//! within 5,120 characters in the worst case, and the plan keeps AWS's 5-a-target limit.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::*;
use crate::plan::evaluate::Decision;
use crate::world::PolicySummary;

const HEAD: &str =
    "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"us-east-1\"\n";

fn config(members: &str, rest: &str) -> Config {
    let text = format!(
        "{HEAD}[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\n{members}\n{rest}\n[guardrails]\n"
    );
    Config::parse(Path::new("a.toml"), &text).unwrap()
}

fn full() -> Config {
    config(
        "role_name = \"TrailhubMember\"",
        "[cloudwatch]\n[flow_logs]\ndestinations = [\"s3\", \"cloudwatch\"]\n",
    )
}

/// How AWS judges a call against the SCP: its statements apply to every principal of the account (an SCP
/// has no `Principal`), and what no statement denies is allowed by `FullAWSAccess`.
fn denied(
    scp: &Value,
    principal: &str,
    action: &str,
    resource: &str,
    tags: &[(&str, &str)],
) -> bool {
    let mut scp = scp.clone();
    for s in scp["Statement"].as_array_mut().unwrap() {
        s["Principal"] = Value::String("*".to_owned());
    }
    let mut context = BTreeMap::from([("aws:PrincipalArn".to_owned(), principal.to_owned())]);
    for (k, v) in tags {
        context.insert(format!("aws:ResourceTag/{k}"), (*v).to_owned());
    }
    let req = Request {
        principal_service: principal.to_owned(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        context,
    };
    matches!(evaluate(&scp, &req), Decision::ExplicitDeny { .. })
}

const ADMIN: &str = "arn:aws:iam::222222222222:role/Admin";
const TRAILHUB: &str = "arn:aws:iam::222222222222:role/TrailhubMember";

#[test]
fn an_administrator_is_denied_on_trailhubs_trails_but_not_trailhubs_role_nor_other_trails() {
    let scp = scp_document(&Protected::from_config(&full()));
    let ours = "arn:aws:cloudtrail:eu-west-1:222222222222:trail/DEV-CT";
    let theirs = "arn:aws:cloudtrail:eu-west-1:222222222222:trail/team-audit";
    for action in [
        "cloudtrail:StopLogging",
        "cloudtrail:DeleteTrail",
        "cloudtrail:UpdateTrail",
        "cloudtrail:PutEventSelectors",
        "cloudtrail:PutInsightSelectors",
    ] {
        assert!(denied(&scp, ADMIN, action, ours, &[]), "{action}");
        assert!(!denied(&scp, TRAILHUB, action, ours, &[]), "{action}");
        assert!(!denied(&scp, ADMIN, action, theirs, &[]), "{action}");
    }
    assert!(!denied(&scp, ADMIN, "cloudtrail:StartLogging", ours, &[]));
}

#[test]
fn flow_logs_log_groups_and_roles_are_protected_only_when_trailhubs() {
    let scp = scp_document(&Protected::from_config(&full()));
    let flow = "arn:aws:ec2:us-east-1:222222222222:vpc-flow-log/fl-1";
    let tagged = [("trailhub:managed", "true")];
    assert!(denied(&scp, ADMIN, "ec2:DeleteFlowLogs", flow, &tagged));
    assert!(!denied(&scp, TRAILHUB, "ec2:DeleteFlowLogs", flow, &tagged));
    assert!(!denied(
        &scp,
        ADMIN,
        "ec2:DeleteFlowLogs",
        flow,
        &[("trailhub:managed", "no")]
    ));
    // a flow log without the tag: AWS's StringEquals on a missing key is false, so the Deny does not apply;
    // the evaluator, which is not told a resource's tags, would call it unsure (and an unsure Deny denies)
    let group = "arn:aws:logs:us-east-1:222222222222:log-group:/trailhub/cloudtrail";
    for action in [
        "logs:DeleteLogGroup",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:DeleteMetricFilter",
        "logs:DeleteSubscriptionFilter",
    ] {
        for arn in [group.to_owned(), format!("{group}:*")] {
            assert!(denied(&scp, ADMIN, action, &arn, &[]), "{action} {arn}");
            assert!(!denied(&scp, TRAILHUB, action, &arn, &[]), "{action}");
        }
        let theirs = "arn:aws:logs:us-east-1:222222222222:log-group:/team/app";
        assert!(!denied(&scp, ADMIN, action, theirs, &[]), "{action}");
    }
    let protected = Protected::from_config(&full());
    assert_eq!(protected.roles.len(), 2, "{protected:?}");
    for role in &protected.roles {
        let arn = format!("arn:aws:iam::222222222222:role/{role}");
        for action in [
            "iam:DeleteRole",
            "iam:PutRolePolicy",
            "iam:DeleteRolePermissionsBoundary",
        ] {
            assert!(denied(&scp, ADMIN, action, &arn, &[]), "{action} {arn}");
            assert!(!denied(&scp, TRAILHUB, action, &arn, &[]), "{action}");
        }
    }
    let boundary = "arn:aws:iam::222222222222:policy/trailhub-delivery-boundary";
    assert!(denied(
        &scp,
        ADMIN,
        "iam:CreatePolicyVersion",
        boundary,
        &[]
    ));
    for other in [
        "arn:aws:iam::222222222222:role/TeamRole",
        "arn:aws:iam::222222222222:policy/Team",
    ] {
        assert!(!denied(&scp, ADMIN, "iam:DeleteRole", other, &[]));
        assert!(!denied(&scp, ADMIN, "iam:DeletePolicy", other, &[]));
    }
}

#[test]
fn without_cloudwatch_or_flow_logs_only_the_trails_are_named() {
    let cfg = config("role_name = \"TrailhubMember\"", "");
    let scp = minified(&scp_document(&Protected::from_config(&cfg)));
    assert!(
        scp.contains("trail/*-CT") && !scp.contains("logs:") && !scp.contains("ec2:"),
        "{scp}"
    );
}

#[test]
fn the_worst_case_document_fits_in_5120_characters() {
    let group = format!("/{}", "g".repeat(511));
    let group2 = format!("/{}", "h".repeat(511));
    let trail = format!("{{id}}{}", "t".repeat(116));
    let text = format!(
        "{HEAD}trail_name = \"{central}\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{trail}\"\nrole_name = \"{role}\"\n[cloudwatch]\nlog_group = \"{group}\"\nrole_name = \"{r1}\"\n[flow_logs]\ndestinations = [\"s3\", \"cloudwatch\"]\nlog_group = \"{group2}\"\nrole_name = \"{r2}\"\n[alarms]\ntopic_name = \"{topic}\"\n[guardrails]\n",
        topic = "s".repeat(256),
        central = "c".repeat(128),
        role = "m".repeat(64),
        r1 = "a".repeat(64),
        r2 = "b".repeat(64),
    );
    let cfg = Config::parse(Path::new("a.toml"), &text).unwrap();
    let scp = minified(&scp_document(&Protected::from_config(&cfg)));
    assert!(
        scp.chars().count() <= SCP_SIZE_LIMIT,
        "{} characters",
        scp.chars().count()
    );
}

fn authority_of(caller: &str, delegation: Option<&str>) -> PolicyAuthority {
    PolicyAuthority {
        caller: caller.to_owned(),
        management_account: "999999999999".to_owned(),
        org_id: "o-abc".to_owned(),
        delegation: delegation.map(str::to_owned),
    }
}

/// The shape of AWS's example delegation policy for SCP management.
const DELEGATION: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["organizations:Describe*","organizations:List*"],"Resource":"*"},{"Sid":"Scps","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["organizations:CreatePolicy","organizations:UpdatePolicy","organizations:DeletePolicy","organizations:AttachPolicy","organizations:DetachPolicy"],"Resource":"*","Condition":{"StringEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}}]}"#;

#[test]
fn the_management_account_or_a_delegated_administrator_may_manage_the_scp() {
    assert_eq!(
        authority(&authority_of("999999999999", None), "aws"),
        Authority::Management
    );
    assert_eq!(
        authority(&authority_of("111111111111", Some(DELEGATION)), "aws"),
        Authority::Delegated
    );
    let Authority::Neither { reason } = authority(&authority_of("111111111111", None), "aws")
    else {
        panic!("not refused");
    };
    assert!(reason.contains("999999999999"), "{reason}");
    let other = DELEGATION.replace("111111111111", "333333333333");
    assert!(matches!(
        authority(&authority_of("111111111111", Some(&other)), "aws"),
        Authority::Neither { .. }
    ));
    let partial = DELEGATION.replace("\"organizations:AttachPolicy\",", "");
    let Authority::Neither { reason } =
        authority(&authority_of("111111111111", Some(&partial)), "aws")
    else {
        panic!("not refused");
    };
    assert!(reason.contains("organizations:AttachPolicy"), "{reason}");
}

fn summary(id: &str, name: &str) -> PolicySummary {
    PolicySummary {
        id: id.to_owned(),
        name: name.to_owned(),
        aws_managed: id == "p-FullAWSAccess",
    }
}

fn observed(policy: Option<OrgPolicy>, targets: Vec<TargetPolicies>) -> GuardrailsObserved {
    GuardrailsObserved {
        authority: authority_of("111111111111", Some(DELEGATION)),
        policy,
        targets,
        attached_to: Vec::new(),
    }
}

#[test]
fn a_first_plan_creates_and_attaches_a_second_writes_nothing() {
    let cfg = full();
    let root = |attached| TargetPolicies {
        target: "r-root".to_owned(),
        attached,
    };
    let first = plan(
        &cfg,
        "trailhub-protect-logging",
        &observed(
            None,
            vec![root(vec![summary("p-FullAWSAccess", "FullAWSAccess")])],
        ),
        false,
    );
    assert_eq!(first.write, PolicyWrite::Create);
    assert_eq!(first.attach, ["r-root"]);
    assert!(first.has_changes() && first.blocked.is_empty());
    let ours = OrgPolicy {
        id: "p-ours".to_owned(),
        name: "trailhub-protect-logging".to_owned(),
        content: first.document.clone(),
    };
    let targets = vec![root(vec![
        summary("p-FullAWSAccess", "FullAWSAccess"),
        summary("p-ours", "trailhub-protect-logging"),
    ])];
    let second = plan(
        &cfg,
        "trailhub-protect-logging",
        &observed(Some(ours.clone()), targets.clone()),
        false,
    );
    assert!(!second.has_changes(), "{second:?}");
    let changed = OrgPolicy {
        content: ours.content.replace("StopLogging", "StartLogging"),
        ..ours
    };
    let third = plan(
        &cfg,
        "trailhub-protect-logging",
        &observed(Some(changed), targets),
        false,
    );
    assert_eq!(
        third.write,
        PolicyWrite::Update {
            id: "p-ours".to_owned()
        }
    );
}

#[test]
fn a_target_with_five_scps_blocks_its_attachment_and_says_so() {
    let full_target = TargetPolicies {
        target: "ou-full".to_owned(),
        attached: (0..5)
            .map(|i| summary(&format!("p-{i}"), &format!("team-{i}")))
            .collect(),
    };
    let free = TargetPolicies {
        target: "ou-free".to_owned(),
        attached: vec![summary("p-FullAWSAccess", "FullAWSAccess")],
    };
    let p = plan(
        &full(),
        "trailhub-protect-logging",
        &observed(None, vec![full_target, free]),
        false,
    );
    assert_eq!(p.attach, ["ou-free"]);
    assert!(
        matches!(&p.blocked[..], [Blocked::TargetFull { target, attached }] if target == "ou-full" && attached.len() == 5)
    );
    assert!(!p.stopped());
}

#[test]
fn the_admin_role_and_the_management_account_are_warned_of() {
    let cfg = config("", "");
    let mut seen = observed(None, Vec::new());
    seen.authority.caller = "999999999999".to_owned();
    let p = plan(&cfg, "trailhub-protect-logging", &seen, false);
    assert_eq!(p.authority, Authority::Management);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("OrganizationAccountAccessRole")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("SCPs do not apply")),
        "{:?}",
        p.warnings
    );
    let refused = plan(
        &cfg,
        "x",
        &{
            let mut s = observed(None, Vec::new());
            s.authority.delegation = None;
            s
        },
        false,
    );
    assert!(refused.stopped());
}

#[test]
fn prune_detaches_trailhubs_scp_only_from_targets_no_longer_in_scope() {
    let cfg = full();
    let ours = OrgPolicy {
        id: "p-ours".to_owned(),
        name: "trailhub-protect-logging".to_owned(),
        content: minified(&scp_document(&Protected::from_config(&cfg))),
    };
    let target = TargetPolicies {
        target: "ou-kept".to_owned(),
        attached: vec![summary("p-ours", "trailhub-protect-logging")],
    };
    let mut seen = observed(Some(ours), vec![target]);
    seen.attached_to = vec!["ou-kept".to_owned(), "ou-gone".to_owned()];
    let kept = plan(&cfg, "trailhub-protect-logging", &seen, false);
    assert!(kept.detach.is_empty() && !kept.has_changes());
    let pruned = plan(&cfg, "trailhub-protect-logging", &seen, true);
    assert_eq!(pruned.detach, ["ou-gone"]);
}

#[test]
fn the_cis_alarms_and_their_topic_are_protected_only_when_trailhubs() {
    let cfg = config(
        "role_name = \"TrailhubMember\"",
        "[cloudwatch]\n[alarms]\ntopic_name = \"sec-alarms\"",
    );
    let scp = scp_document(&Protected::from_config(&cfg));
    let ours = "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:trailhub-cis-5.3-root-usage";
    let theirs = "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:team-cpu-high";
    for action in [
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DisableAlarmActions",
        "cloudwatch:PutMetricAlarm",
    ] {
        assert!(denied(&scp, ADMIN, action, ours, &[]), "{action}");
        assert!(!denied(&scp, TRAILHUB, action, ours, &[]), "{action}");
        assert!(!denied(&scp, ADMIN, action, theirs, &[]), "{action}");
    }
    let topic = "arn:aws:sns:eu-west-1:222222222222:sec-alarms";
    let other = "arn:aws:sns:eu-west-1:222222222222:team-topic";
    for action in ["sns:DeleteTopic", "sns:SetTopicAttributes"] {
        assert!(denied(&scp, ADMIN, action, topic, &[]), "{action}");
        assert!(!denied(&scp, TRAILHUB, action, topic, &[]), "{action}");
        assert!(!denied(&scp, ADMIN, action, other, &[]), "{action}");
    }
    assert!(!denied(&scp, ADMIN, "cloudwatch:DescribeAlarms", ours, &[]));
}
