//! The printed policies against what trailhub does (issue 13, part 3): for each kind of accounts file,
//! `policy`, `plan`, `apply` and `audit` run over the fake, and every call the fake saw, by the account
//! whose credentials made it, must be in that principal's policy; every call of the audit in its read-only
//! policy.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::apply::ApplyOptions;
use crate::cli::AuditArgs;
use crate::config::Config;
use crate::fake::{FAKE_ROOT, FakeAws};
use crate::interrupt::Interrupt;
use crate::permissions::build::{Principal, needs, policy};

const CENTRAL: &str = "111111111111";
const MEMBERS: [&str; 2] = ["200000000000", "200000000001"];

const CENTRAL_SECTION: &str = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\n";
const STATIC: &str = "[members]\ntrail_name = \"{name}-CT\"\n[[account]]\nid = \"200000000000\"\nname = \"M0\"\n[[account]]\nid = \"200000000001\"\nname = \"M1\"\n";
const CLOUDWATCH: &str =
    "[cloudwatch]\nlog_group = \"/trailhub/cloudtrail\"\nretention_days = 365\n";

/// The accounts files: (what it shows, its text).
fn variants() -> Vec<(&'static str, String)> {
    let c = CENTRAL_SECTION;
    vec![
        ("static", format!("{c}{STATIC}")),
        (
            "organizations",
            format!("{c}[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\n"),
        ),
        (
            "ous",
            format!(
                "{c}[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\norganizational_units = [\"{FAKE_ROOT_ID}\"]\n"
            ),
        ),
        ("cloudwatch", format!("{c}{STATIC}{CLOUDWATCH}")),
        (
            "alarms",
            format!(
                "{c}{STATIC}{CLOUDWATCH}[alarms]\nsubscribe = [\"arn:aws:sqs:ap-northeast-2:111111111111:sec-alarms\"]\n"
            ),
        ),
        (
            "flow_logs s3",
            format!("{c}{STATIC}[flow_logs]\ndestinations = [\"s3\"]\n"),
        ),
        (
            "flow_logs cloudwatch",
            format!("{c}{STATIC}[flow_logs]\ndestinations = [\"cloudwatch\"]\n"),
        ),
        (
            "everything",
            format!(
                "{c}kms_key = \"create\"\nretention_days = 400\naccess_log_bucket = \"sec-access-logs\"\n{STATIC}{CLOUDWATCH}[flow_logs]\ndestinations = [\"s3\", \"cloudwatch\"]\n"
            ),
        ),
        (
            "no central trail",
            format!(
                "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\nkms_key = \"create\"\n{STATIC}{CLOUDWATCH}"
            ),
        ),
    ]
}

/// The fake's root, spelled as accounts.toml accepts it.
const FAKE_ROOT_ID: &str = "r-fake";

fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(1));
    aws.set_organization("o-fake12345", &[CENTRAL, MEMBERS[0], MEMBERS[1]]);
    // RCPs are read whenever the central account is in an organization (ListParents, ListPoliciesForTarget,
    // DescribePolicy)
    let full = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    aws.attach_rcp(
        "p-RCPFullAWSAccess",
        "RCPFullAWSAccess",
        full,
        crate::fake::FAKE_ROOT,
    );
    // the caller is a delegated administrator: RCPs do not affect the management account's resources
    aws.world().management_account = Some("999999999999".into());
    let mut w = aws.world();
    w.buckets.insert(
        "sec-access-logs".into(),
        Some(access_log_policy().to_string()),
    );
    (w.queue_world).add_queue("arn:aws:sqs:ap-northeast-2:111111111111:sec-alarms");
    drop(w);
    aws
}

fn access_log_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::sec-access-logs/*",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::sec-log"},
                      "StringEquals": {"aws:SourceAccount": CENTRAL}}}]})
}

/// The catalogue's names for what the fake records under one name.
fn operations(fake_op: &'static str) -> Vec<&'static str> {
    match fake_op {
        "GetBucketGuards" => vec![
            "GetPublicAccessBlock",
            "GetBucketVersioning",
            "GetBucketEncryption",
        ],
        op => vec![op],
    }
}

/// Every action a policy document grants.
fn actions(policy: &Value) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for s in policy["Statement"].as_array().unwrap() {
        match &s["Action"] {
            Value::String(a) => {
                all.insert(a.clone());
            }
            Value::Array(list) => all.extend(list.iter().map(|a| a.as_str().unwrap().to_owned())),
            other => panic!("Action {other}"),
        }
    }
    all
}

/// Every call the fake saw is one `cfg`'s policies grant to the account that made it: the catalogue has
/// it for that principal, and the printed policy holds each of its actions.
fn assert_granted(
    name: &str,
    aws: &FakeAws,
    cfg: &Config,
    read_only: bool,
) -> BTreeSet<&'static str> {
    let made = std::mem::take(&mut aws.world().made);
    let mut seen = BTreeSet::new();
    assert!(!made.is_empty(), "{name}: no call recorded");
    for (account, fake_op) in made {
        let who = if account == CENTRAL {
            Principal::Central
        } else {
            Principal::Member
        };
        let printed = actions(&policy(cfg, who, read_only));
        for op in operations(fake_op) {
            let rows: Vec<_> = needs(cfg, who, read_only)
                .filter(|n| n.operation == op)
                .collect();
            assert!(
                !rows.is_empty(),
                "{name}: {account} made {op}, which the {who:?} policy (read only: {read_only}) does not grant"
            );
            for a in rows.iter().filter_map(|n| n.action) {
                assert!(
                    printed.contains(a),
                    "{name}: {op} needs {a}, not in the {who:?} policy"
                );
            }
            seen.insert(op);
        }
    }
    seen
}

/// The resources of the statement `sid` of `who`'s policy (none when it has no such statement).
fn statement_resources(cfg: &Config, who: Principal, sid: &str) -> Vec<String> {
    let p = policy(cfg, who, false);
    let Some(s) = p["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
    else {
        return vec![];
    };
    match &s["Resource"] {
        Value::String(r) => vec![r.clone()],
        Value::Array(list) => list
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect(),
        other => panic!("Resource {other}"),
    }
}

/// Issue 21: every trail and log group the apply made is one the scoped writes (`Trails`, `LogGroups`) of
/// the account's principal cover, by IAM's wildcard matching of its ARN (the fake records no resource per
/// call; what apply made is what its writes named).
fn assert_scoped(name: &str, aws: &FakeAws, cfg: &Config) {
    use crate::permissions::scope::matches;
    let w = aws.world();
    let who = |account: &str| {
        if account == CENTRAL {
            Principal::Central
        } else {
            Principal::Member
        }
    };
    for (account, trails) in &w.trails {
        let allowed = statement_resources(cfg, who(account), "Trails");
        for (t, _) in trails {
            assert!(
                allowed.iter().any(|a| matches(a, &t.arn)),
                "{name}: {account}'s trail {} is not in {allowed:?}",
                t.arn
            );
        }
    }
    for (account, groups) in &w.log_groups {
        let allowed = statement_resources(cfg, who(account), "LogGroups");
        for group in groups.keys() {
            let arn = format!("arn:aws:logs:ap-northeast-2:{account}:log-group:{group}");
            assert!(
                allowed.iter().any(|a| matches(a, &arn)),
                "{name}: {account}'s log group {arn} is not in {allowed:?}"
            );
            assert!(
                allowed.iter().any(|a| matches(a, &format!("{arn}:*"))),
                "{name}: {account}'s log group {arn}:* is not in {allowed:?}"
            );
        }
    }
}

/// The decision of `who`'s printed policy (an identity policy: given the principal it is attached to, so
/// that the resource-policy evaluator judges it) on `action` on `resource`, with the request's `context`.
fn decide(
    cfg: &Config,
    who: Principal,
    action: &str,
    resource: &str,
    context: &[(&str, &str)],
) -> crate::plan::evaluate::Decision {
    use crate::plan::evaluate::{Request, evaluate};
    const CALLER: &str = "arn:aws:iam::200000000000:role/trailhub";
    let mut p = policy(cfg, who, false);
    for s in p["Statement"].as_array_mut().unwrap() {
        s["Principal"] = json!({"AWS": CALLER});
    }
    let req = Request {
        principal_service: CALLER.into(),
        action: action.into(),
        resource: resource.into(),
        context: context
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    evaluate(&p, &req)
}

/// Issue 21: every flow log the apply made carries trailhub's tag, and the printed policy of its account's
/// principal lets it be made (on the VPC, and as a new flow log with the tag in the request, the tag on
/// create included) and deleted (with the tag on the resource).
fn assert_flow_logs_scoped(name: &str, aws: &FakeAws, cfg: &Config) {
    use crate::world::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};
    let request_tag = format!("aws:RequestTag/{MANAGED_TAG_KEY}");
    let resource_tag = format!("aws:ResourceTag/{MANAGED_TAG_KEY}");
    let w = aws.world();
    for (account, logs) in &w.flow_logs {
        let who = if account == CENTRAL {
            Principal::Central
        } else {
            Principal::Member
        };
        for l in logs {
            assert!(
                l.managed(),
                "{name}: {account}'s flow log {} has no tag: {:?}",
                l.id,
                l.tags
            );
            let vpc = format!("arn:aws:ec2:ap-northeast-2:{account}:vpc/{}", l.resource_id);
            let fl = format!("arn:aws:ec2:ap-northeast-2:{account}:vpc-flow-log/{}", l.id);
            let tags: Vec<(&str, &str)> = l
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let create = [
                (request_tag.as_str(), MANAGED_TAG_VALUE),
                ("aws:TagKeys", MANAGED_TAG_KEY),
            ];
            let tag_on_create = [create[0], create[1], ("ec2:CreateAction", "CreateFlowLogs")];
            let delete: Vec<(&str, &str)> = tags
                .iter()
                .map(|(k, v)| {
                    (
                        if *k == MANAGED_TAG_KEY {
                            resource_tag.as_str()
                        } else {
                            k
                        },
                        *v,
                    )
                })
                .collect();
            for (action, resource, context) in [
                ("ec2:CreateFlowLogs", &vpc, &create[..]),
                ("ec2:CreateFlowLogs", &fl, &create[..]),
                ("ec2:CreateTags", &fl, &tag_on_create[..]),
                ("ec2:DeleteFlowLogs", &fl, &delete[..]),
            ] {
                let d = decide(cfg, who, action, resource, context);
                assert!(
                    d.is_allowed(),
                    "{name}: {who:?} may not {action} {resource} ({context:?}): {d:?}"
                );
            }
        }
    }
}

/// An action on a resource with the request's condition keys.
type Attempt<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

/// Issue 21: the flow-log writes leave other teams' flow logs alone. A flow log without trailhub's tag (or
/// with it set otherwise) cannot be deleted; no flow log can be made without the tag, or with another tag
/// key beside it; ec2:CreateTags works only within CreateFlowLogs, so the role cannot tag an existing flow
/// log to make it deletable.
#[test]
fn the_flow_log_writes_leave_other_flow_logs_alone() {
    let flow = "[flow_logs]\ndestinations = [\"s3\", \"cloudwatch\"]\n";
    let organizations = format!(
        "{CENTRAL_SECTION}[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\n{flow}"
    );
    for text in [format!("{CENTRAL_SECTION}{STATIC}{flow}"), organizations] {
        let cfg = Config::parse(Path::new("t.toml"), &text).unwrap();
        assert_flow_log_writes_leave_others_alone(&cfg);
        // the template holds the member policy's flow-log writes as printed (the template differs only in
        // the boundary policy, which it makes itself: no iam:CreatePolicy)
        let p = crate::permissions::Permissions::new(&cfg, false);
        let flow_log_writes = |policy: &serde_json::Value| -> Vec<serde_json::Value> {
            let sids = [
                "CreateFlowLogsOnVpcs",
                "CreateTaggedFlowLogs",
                "TagFlowLogsOnCreate",
                "DeleteTaggedFlowLogs",
            ];
            let all = policy["Statement"].as_array().unwrap();
            all.iter()
                .filter(|s| sids.contains(&s["Sid"].as_str().unwrap_or("")))
                .cloned()
                .collect()
        };
        let template = &p.template["Resources"]["TrailhubMemberRole"]["Properties"]["Policies"][0]
            ["PolicyDocument"];
        assert_eq!(flow_log_writes(template).len(), 4);
        assert_eq!(flow_log_writes(template), flow_log_writes(&p.member));
    }
}

fn assert_flow_log_writes_leave_others_alone(cfg: &Config) {
    use crate::world::MANAGED_TAG_KEY;
    let request_tag = format!("aws:RequestTag/{MANAGED_TAG_KEY}");
    let resource_tag = format!("aws:ResourceTag/{MANAGED_TAG_KEY}");
    for (who, account) in [
        (Principal::Member, MEMBERS[0]),
        (Principal::Central, CENTRAL),
    ] {
        let fl = format!("arn:aws:ec2:eu-west-1:{account}:vpc-flow-log/fl-0123456789abcdef0");
        let subnet = format!("arn:aws:ec2:eu-west-1:{account}:subnet/subnet-1");
        let refused: [Attempt; 8] = [
            // another team's flow log: no tag of trailhub's, another tag, or trailhub's key set otherwise
            ("ec2:DeleteFlowLogs", &fl, vec![]),
            (
                "ec2:DeleteFlowLogs",
                &fl,
                vec![("aws:ResourceTag/team", "network")],
            ),
            ("ec2:DeleteFlowLogs", &fl, vec![(&resource_tag, "false")]),
            // a flow log made without the tag, or with another key beside it
            ("ec2:CreateFlowLogs", &fl, vec![]),
            (
                "ec2:CreateFlowLogs",
                &fl,
                vec![(&request_tag, "true"), ("aws:TagKeys", "team")],
            ),
            // CreateTags on an existing flow log (no ec2:CreateAction), or within another action
            (
                "ec2:CreateTags",
                &fl,
                vec![(&request_tag, "true"), ("aws:TagKeys", MANAGED_TAG_KEY)],
            ),
            (
                "ec2:CreateTags",
                &fl,
                vec![
                    ("ec2:CreateAction", "RunInstances"),
                    (&request_tag, "true"),
                    ("aws:TagKeys", MANAGED_TAG_KEY),
                ],
            ),
            // trailhub makes flow logs for VPCs only
            ("ec2:CreateFlowLogs", &subnet, vec![]),
        ];
        for (action, resource, context) in refused {
            let d = decide(cfg, who, action, resource, &context);
            assert!(
                !d.is_allowed(),
                "{who:?}: {action} {resource} {context:?} allowed by {d:?}"
            );
        }
        let d = decide(
            cfg,
            who,
            "ec2:DeleteFlowLogs",
            &fl,
            &[(&resource_tag, "true")],
        );
        assert!(d.is_allowed(), "{who:?}: trailhub's own flow log: {d:?}");
    }
}

/// A trail or log group of another name, in a member or the central account: no scoped write covers it.
#[test]
fn the_scoped_writes_leave_other_trails_and_log_groups_alone() {
    use crate::permissions::scope::matches;
    let text = format!("{CENTRAL_SECTION}{STATIC}{CLOUDWATCH}");
    let cfg = Config::parse(Path::new("t.toml"), &text).unwrap();
    for (who, account) in [
        (Principal::Member, MEMBERS[0]),
        (Principal::Central, CENTRAL),
    ] {
        let trails = statement_resources(&cfg, who, "Trails");
        let groups = statement_resources(&cfg, who, "LogGroups");
        assert!(!trails.is_empty() && !groups.is_empty(), "{who:?}");
        for other in [
            "ControlTowerTrail",
            "M0-CT-old",
            "aws-controltower-BaselineCloudTrail",
        ] {
            let arn = format!("arn:aws:cloudtrail:ap-northeast-2:{account}:trail/{other}");
            assert!(
                !trails.iter().any(|a| matches(a, &arn)),
                "{who:?}: {arn} in {trails:?}"
            );
        }
        for other in ["/aws/lambda/x", "/trailhub/cloudtrail-other", "prod-app"] {
            let arn = format!("arn:aws:logs:ap-northeast-2:{account}:log-group:{other}:*");
            assert!(
                !groups.iter().any(|a| matches(a, &arn)),
                "{who:?}: {arn} in {groups:?}"
            );
        }
    }
}

/// The catalogue's calls the runs below do not make over the fake: GetCallerIdentity is made by the
/// binary's connection only.
const NOT_MADE_HERE: &[&str] = &["GetCallerIdentity"];

/// `offboard` of one member taken out of scope, over a world applied with `text`: its calls, by whom.
async fn offboard_calls(text: &str, dir: &Path) -> BTreeSet<&'static str> {
    let aws = world();
    let cfg = Config::parse(Path::new("t.toml"), text).unwrap();
    let opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    let mut yes = |_: &_| Ok(true);
    crate::commands::apply::run(&aws, &cfg, true, &opts, &mut yes)
        .await
        .unwrap();
    aws.world().made.clear();
    let out = text.replace(
        "[members]\n",
        &format!("[members]\nexclude = [\"{}\"]\n", MEMBERS[1]),
    );
    let cfg = Config::parse(Path::new("t.toml"), &out).unwrap();
    let args = crate::cli::OffboardArgs {
        account: MEMBERS[1].parse().unwrap(),
        trail: None,
        yes: true,
        backup_dir: dir.to_owned(),
        format: None,
    };
    let outcome = crate::commands::offboard::run(&aws, &cfg, &args, &mut |_| Ok(true))
        .await
        .unwrap();
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_granted("offboard", &aws, &cfg, false)
}

#[tokio::test(start_paused = true)]
async fn every_call_made_is_in_the_printed_policy_of_its_principal() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = BTreeSet::new();
    for (name, text) in variants() {
        let cfg =
            Config::parse(Path::new("t.toml"), &text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let aws = world();
        crate::commands::policy::run(&aws, &cfg).await.unwrap();
        let interrupt = Interrupt::default();
        let (_, p, _) = crate::fixtures::observe_and_plan(&aws, &cfg, 4, &interrupt)
            .await
            .unwrap();
        assert!(!p.accounts.is_empty(), "{name}");
        let opts = ApplyOptions::new(dir.path().to_owned(), 4, Interrupt::default());
        let mut yes = |_: &_| Ok(true);
        let outcome = crate::commands::apply::run(&aws, &cfg, true, &opts, &mut yes)
            .await
            .unwrap();
        assert_eq!(outcome.exit_code(), 0, "{name}");
        seen.extend(assert_granted(name, &aws, &cfg, false));
        assert_scoped(name, &aws, &cfg);
        assert_flow_logs_scoped(name, &aws, &cfg);
        assert_bounded(name, &aws, &cfg);
        // the audit, a read-only identity's whole job, of a world applied
        let args = AuditArgs {
            max_age: Duration::from_secs(86400),
            output: None,
            ..Default::default()
        };
        let now = time::OffsetDateTime::now_utc();
        crate::commands::audit::run(&aws, &cfg, &args, 4, Default::default(), now)
            .await
            .unwrap();
        seen.extend(assert_granted(&format!("{name} (audit)"), &aws, &cfg, true));
        // a second apply, over what the first made drifted (updates rather than creations)
        drift(&aws);
        // the audit of the drifted world: who stopped each trail (LookupEvents)
        crate::commands::audit::run(&aws, &cfg, &args, 4, Default::default(), now)
            .await
            .unwrap();
        seen.extend(assert_granted(
            &format!("{name} (drifted audit)"),
            &aws,
            &cfg,
            true,
        ));
        crate::commands::apply::run(&aws, &cfg, true, &opts, &mut yes)
            .await
            .unwrap();
        seen.extend(assert_granted(
            &format!("{name} (drifted)"),
            &aws,
            &cfg,
            false,
        ));
        assert_bounded(&format!("{name} (drifted)"), &aws, &cfg);
    }
    // offboard, with an organization (DescribeAccount) and with a key and flow logs to the bucket
    // (PutKeyPolicy, DeleteFlowLogs)
    let c = CENTRAL_SECTION;
    let org = format!(
        "{c}kms_key = \"create\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\n[flow_logs]\ndestinations = [\"s3\"]\n"
    );
    seen.extend(offboard_calls(&org, dir.path()).await);
    seen.extend(guardrails_calls(dir.path()).await);
    let unseen: Vec<_> = crate::permissions::calls::operations()
        .into_iter()
        .filter(|o| !seen.contains(o) && !NOT_MADE_HERE.contains(o))
        .collect();
    assert!(
        unseen.is_empty(),
        "calls of the catalogue no run made: {unseen:?}"
    );
}

/// `[guardrails]` from a delegated administrator: the first apply (DescribeResourcePolicy, ListPolicies,
/// CreatePolicy, AttachPolicy), then `apply --prune` over trailhub's SCP edited by hand, detached from the
/// root and attached to an OU out of scope (ListTargetsForPolicy, UpdatePolicy, AttachPolicy,
/// DetachPolicy), then the audit: each call in the printed policy of its principal.
async fn guardrails_calls(dir: &Path) -> BTreeSet<&'static str> {
    const GONE: &str = "ou-fake-gone0001";
    let aws = world();
    {
        let mut w = aws.world();
        w.delegation_policy = Some(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{CENTRAL}:root"}},"Action":"organizations:*","Resource":"*"}}]}}"#
        ));
        let gone = crate::aws::OuNode {
            id: GONE.into(),
            name: "Gone".into(),
        };
        w.org_ous = vec![(FAKE_ROOT.to_owned(), gone)];
    }
    let c = CENTRAL_SECTION;
    let text = format!(
        "{c}[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\nrole_name = \"TrailhubMember\"\norganizational_units = [\"{FAKE_ROOT_ID}\"]\n[guardrails]\n"
    );
    let cfg = Config::parse(Path::new("t.toml"), &text).unwrap();
    let mut opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    let mut yes = |_: &_| Ok(true);
    let outcome = crate::commands::apply::run(&aws, &cfg, true, &opts, &mut yes)
        .await
        .unwrap();
    assert_eq!(outcome.exit_code(), 0, "guardrails");
    let mut seen = assert_granted("guardrails", &aws, &cfg, false);
    {
        let mut w = aws.world();
        let id = w.scps.keys().next().unwrap().clone();
        w.scps.get_mut(&id).unwrap().content = r#"{"Version":"2012-10-17","Statement":[]}"#.into();
        w.scp_attachments.insert(FAKE_ROOT.to_owned(), vec![]);
        w.scp_attachments.insert(GONE.to_owned(), vec![id]);
    }
    opts.prune = crate::plan::prune::Prune::from_flag(true);
    crate::commands::apply::run(&aws, &cfg, true, &opts, &mut yes)
        .await
        .unwrap();
    assert!(aws.world().scp_attachments[GONE].is_empty());
    seen.extend(assert_granted("guardrails (--prune)", &aws, &cfg, false));
    let args = AuditArgs {
        max_age: Duration::from_secs(86400),
        output: None,
        ..Default::default()
    };
    let now = time::OffsetDateTime::now_utc();
    crate::commands::audit::run(&aws, &cfg, &args, 4, Default::default(), now)
        .await
        .unwrap();
    seen.extend(assert_granted("guardrails (audit)", &aws, &cfg, true));
    seen
}

/// Everything the first apply made, changed behind trailhub's back: every trail single-region, stopped,
/// without selectors; every flow log of other traffic; every delivery role trusting no one.
fn drift(aws: &FakeAws) {
    let mut w = aws.world();
    let w = &mut *w;
    for (t, status) in w.trails.values_mut().flatten() {
        t.multi_region = false;
        status.is_logging = false;
        w.selectors.insert(t.arn.clone(), Default::default());
    }
    for f in w.flow_logs.values_mut().flatten() {
        f.traffic_type = "REJECT".into();
    }
    for r in w.roles.values_mut().flat_map(|r| r.values_mut()) {
        r.trust = json!({"Version": "2012-10-17", "Statement": []}).to_string();
        // as an older trailhub made them (issue 21, point 2)
        r.boundary = None;
    }
}

/// Issue 21, point 2: every delivery role the fake holds after an apply has its configured permissions
/// boundary, and trailhub's boundary policy holds exactly trailhub's document, in one version.
fn assert_bounded(name: &str, aws: &FakeAws, cfg: &Config) {
    let p = cfg.central.region.partition();
    let w = aws.world();
    let mut roles = 0;
    for (account, by_name) in &w.roles {
        for (role, r) in by_name {
            let boundary = match (&cfg.cloudwatch, &cfg.flow_logs) {
                (Some(c), _) if &c.role_name == role => &c.permissions_boundary,
                (_, Some(f)) if &f.role_name == role => &f.permissions_boundary,
                _ => panic!("{name}: {account} holds a role trailhub does not make: {role}"),
            };
            let arn = boundary.arn(p, account);
            assert_eq!(r.boundary.as_ref(), Some(&arn), "{name}: {account} {role}");
            if boundary.creates() {
                let made = &w.managed_policies[&arn];
                let want = crate::config::boundary_document(p, account);
                assert_eq!(made.versions.len(), 1, "{name}: {arn}");
                let have: Value = serde_json::from_str(made.document().unwrap()).unwrap();
                assert_eq!(have, want, "{name}: {arn}");
            }
            roles += 1;
        }
    }
    let configured = cfg.cloudwatch.is_some()
        || cfg.flow_logs.as_ref().is_some_and(|f| {
            f.destinations
                .contains(&crate::config::FlowDestination::Cloudwatch)
        });
    assert_eq!(roles > 0, configured, "{name}: {roles} roles");
}

/// The fake's root must be the one the OU variant names.
#[test]
fn the_ou_variant_walks_the_fakes_root() {
    assert_eq!(FAKE_ROOT, FAKE_ROOT_ID);
}

/// Least privilege: a feature's calls are in the policies only when it is configured.
#[test]
fn a_feature_not_configured_adds_nothing() {
    let plain = Config::parse(Path::new("t.toml"), &format!("{CENTRAL_SECTION}{STATIC}")).unwrap();
    for who in [Principal::Central, Principal::Member] {
        let a = actions(&policy(&plain, who, false));
        for absent in [
            "kms:",
            "logs:",
            "ec2:",
            "iam:",
            "organizations:ListAccounts",
            "s3:PutLifecycleConfiguration",
            "s3:PutBucketLogging",
        ] {
            assert!(
                a.iter().all(|x| !x.starts_with(absent)),
                "{who:?}: {absent} in {a:?}"
            );
        }
    }
    let central = actions(&policy(&plain, Principal::Central, false));
    assert!(
        central.contains("cloudtrail:CreateTrail"),
        "the central account's own trail"
    );
    let member = actions(&policy(&plain, Principal::Member, false));
    assert!(
        !member
            .iter()
            .any(|a| a.starts_with("s3:") || a.starts_with("sts:")),
        "{member:?}"
    );
    let read = actions(&policy(&plain, Principal::Member, true));
    assert!(
        read.iter()
            .all(|a| [":Describe", ":Get", ":List", ":Lookup"]
                .iter()
                .any(|verb| a.contains(verb))),
        "{read:?}"
    );
}
