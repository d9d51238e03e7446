//! Property tests of the policy merge and the evaluator (issues 4 and 11), over thousands of generated
//! policies, with and without flow-log accounts (the delivery.logs statements):
//!
//! - merging never drops or alters a statement trailhub does not own (AWS's own `AWSLogDelivery*` among
//!   them), nor the policy's other fields;
//! - merging is idempotent: merge(merge(x)) == merge(x), and the second merge says nothing changed;
//! - the evaluator says yes for every trail and every flow-log account the planner put in, in whatever
//!   forms were chosen (the number of accounts varies so the forms step down; the organization forms with
//!   an Org);
//! - no statement trailhub writes has a `*` principal or lacks a source condition.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Map, Value, json};
use trailhub::config::PolicyForm;
use trailhub::model::{AccountId, BucketName, KeyPrefix, Region, TrailArn, TrailName};
use trailhub::plan::evaluate::{Delivery, check_delivery};
use trailhub::plan::policy::{
    ACL_SID, DENY_SID, Entry, FlowLogAccounts, Form, LOG_ACL_SID, LOG_DELIVERY, LOG_DENY_SID,
    LOG_WRITE_SID, Merged, OWN_ACL_SID, OWN_WRITE_SID, Org, PolicyError, PolicyInput, SIZE_LIMIT,
    TLS_SID, WRITE_SID, denies_insecure_transport, merge, parse_live,
};

const BUCKET: &str = "sec-log";
const ORG_ID: &str = "o-abc123defg";
/// The Region of the flow logs (`central.region`).
const REGION: &str = "ap-northeast-2";
const CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";

fn is_trailhubs(s: &Value) -> bool {
    matches!(
        s.get("Sid").and_then(Value::as_str),
        Some(
            ACL_SID
                | WRITE_SID
                | OWN_ACL_SID
                | OWN_WRITE_SID
                | DENY_SID
                | LOG_ACL_SID
                | LOG_WRITE_SID
                | LOG_DENY_SID
                | TLS_SID
        )
    )
}

fn statements(p: &Value) -> Vec<Value> {
    match &p["Statement"] {
        Value::Array(a) => a.clone(),
        o @ Value::Object(_) => vec![o.clone()],
        _ => vec![],
    }
}

fn foreign(p: &Value) -> Vec<Value> {
    statements(p)
        .into_iter()
        .filter(|s| !is_trailhubs(s))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Generators

fn account_id() -> impl Strategy<Value = String> {
    "[0-9]{12}"
}

fn trail_name() -> impl Strategy<Value = String> {
    "[A-Z][A-Za-z0-9]{2,20}"
}

fn region() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["ap-northeast-2", "us-east-1", "eu-west-1"]).prop_map(str::to_owned)
}

/// Entries for `n` distinct accounts, sorted as the planner makes them.
fn entries(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<Entry>> {
    (
        prop::collection::btree_set(account_id(), n),
        trail_name(),
        region(),
        any::<bool>(),
    )
        .prop_map(|(ids, name, region, per_account_name)| {
            let region: Region = region.parse().unwrap();
            let mut e: Vec<Entry> = ids
                .into_iter()
                .map(|id| {
                    let account: AccountId = id.parse().unwrap();
                    let n = if per_account_name {
                        format!("{name}-{id}")
                    } else {
                        name.clone()
                    };
                    let name: TrailName = n.parse().unwrap();
                    Entry::own(account.clone(), TrailArn::new(&region, &account, &name))
                })
                .collect();
            e.sort();
            e
        })
}

/// Mostly a few accounts, sometimes enough for the forms to step down.
fn some_entries() -> impl Strategy<Value = Vec<Entry>> {
    prop_oneof![
        24 => entries(1..=12),
        4 => entries(80..=260),
        1 => entries(500..=700),
    ]
}

/// The flow-log accounts for these entries: none (no `[flow_logs]` to S3), all of them, every other one,
/// or all of them and accounts with no trail of trailhub's (covered by another trail).
#[derive(Debug, Clone, Copy)]
enum FlowLogs {
    None,
    All,
    Some,
    More,
}

fn flow_logs() -> impl Strategy<Value = (FlowLogs, BTreeSet<String>)> {
    (
        prop_oneof![
            2 => Just(FlowLogs::None),
            3 => Just(FlowLogs::All),
            1 => Just(FlowLogs::Some),
            1 => Just(FlowLogs::More),
        ],
        prop::collection::btree_set(account_id(), 1..4),
    )
}

/// The flow-log accounts, sorted as the planner makes them.
fn flow_accounts(
    entries: &[Entry],
    (mode, extra): &(FlowLogs, BTreeSet<String>),
) -> Vec<AccountId> {
    let ids = entries.iter().map(|e| e.account.to_string());
    let out: BTreeSet<String> = match mode {
        FlowLogs::None => BTreeSet::new(),
        FlowLogs::All => ids.collect(),
        FlowLogs::Some => ids.step_by(2).collect(),
        FlowLogs::More => ids.chain(extra.iter().cloned()).collect(),
    };
    out.into_iter().map(|a| a.parse().unwrap()).collect()
}

fn action() -> BoxedStrategy<Value> {
    prop::sample::select(vec![
        "s3:PutObject",
        "s3:GetBucketAcl",
        "s3:GetObject",
        "s3:*",
        "s3:DeleteBucket",
        "*",
    ])
    .prop_map(|s| json!(s))
    .boxed()
}

fn string_or_list(s: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![
        s.clone(),
        prop::collection::vec(s, 1..4).prop_map(Value::Array)
    ]
    .boxed()
}

fn principal() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(json!("*")),
        Just(json!({"Service": ["delivery.logs.amazonaws.com", "cloudtrail.amazonaws.com"]})),
        account_id().prop_map(|a| json!({"AWS": format!("arn:aws:iam::{a}:root")})),
        Just(json!({"AWS": "*"})),
        Just(json!({"Service": "cloudtrail.amazonaws.com"})),
        Just(json!({"Service": "delivery.logs.amazonaws.com"})),
    ]
    .boxed()
}

fn resource() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(json!(format!("arn:aws:s3:::{BUCKET}"))),
        Just(json!(format!("arn:aws:s3:::{BUCKET}/*"))),
        account_id().prop_map(|a| json!(format!("arn:aws:s3:::{BUCKET}/AWSLogs/{a}/*"))),
        "[a-z]{1,8}".prop_map(|p| json!(format!("arn:aws:s3:::{BUCKET}/{p}/*"))),
        Just(json!("*")),
    ]
    .boxed()
}

fn condition() -> BoxedStrategy<Value> {
    let op = prop::sample::select(vec![
        "StringEquals",
        "StringLike",
        "ArnLike",
        "Bool",
        "IpAddress",
        "DateGreaterThan",
        "ForAnyValue:StringEquals",
    ]);
    let key = prop::sample::select(vec![
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SecureTransport",
        "aws:SourceIp",
        "s3:x-amz-acl",
        "aws:PrincipalOrgID",
    ]);
    let value = prop_oneof![
        "[a-z0-9:*/-]{1,30}".prop_map(|s| json!(s)),
        account_id().prop_map(|s| json!(s)),
        Just(json!("false")),
        Just(json!(["a", "b"])),
    ];
    prop::collection::btree_map(op, prop::collection::btree_map(key, value, 1..3), 1..3)
        .prop_map(|m| {
            Value::Object(
                m.into_iter()
                    .map(|(op, keys)| {
                        (
                            op.to_owned(),
                            Value::Object(
                                keys.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                            ),
                        )
                    })
                    .collect(),
            )
        })
        .boxed()
}

/// Any statement someone else may have written: random Sid (none, a team's, one close to trailhub's),
/// effect, principal or NotPrincipal, action or NotAction, resource or NotResource, conditions, and
/// fields trailhub has never heard of.
fn foreign_statement() -> BoxedStrategy<Value> {
    let sid = prop_oneof![
        Just(None),
        "[A-Za-z0-9]{1,24}".prop_map(Some),
        Just(Some("awscloudtrailwrite20150319".to_owned())),
        Just(Some("AWSCloudTrailAclCheck".to_owned())),
        Just(Some("AWSLogDeliveryWrite".to_owned())),
        Just(Some("AWSLogDeliveryAclCheck".to_owned())),
        Just(Some("trailhublogdeliverywrite".to_owned())),
    ];
    (
        sid,
        prop::sample::select(vec!["Allow", "Deny"]),
        (any::<bool>(), principal()),
        (any::<bool>(), string_or_list(action())),
        (any::<bool>(), string_or_list(resource())),
        prop::option::of(condition()),
        prop::option::of("[a-z ]{0,12}"),
    )
        .prop_map(|(sid, effect, (np, p), (na, a), (nr, r), cond, extra)| {
            let mut s = Map::new();
            if let Some(sid) = sid {
                s.insert("Sid".into(), json!(sid));
            }
            s.insert("Effect".into(), json!(effect));
            s.insert(if np { "NotPrincipal" } else { "Principal" }.into(), p);
            s.insert(if na { "NotAction" } else { "Action" }.into(), a);
            s.insert(if nr { "NotResource" } else { "Resource" }.into(), r);
            if let Some(c) = cond {
                s.insert("Condition".into(), c);
            }
            if let Some(x) = extra {
                s.insert("XTeamNote".into(), json!(x));
            }
            Value::Object(s)
        })
        .boxed()
}

/// The statements AWS attaches itself when an account creates a flow log to a bucket it owns (VPC User
/// Guide, "Amazon S3 bucket permissions for flow logs"): someone else's, for trailhub.
fn aws_log_delivery_statement() -> BoxedStrategy<Value> {
    (account_id(), any::<bool>(), any::<bool>())
        .prop_map(|(a, write, list_actions)| {
            let cond = |acl: bool| {
                let mut eq = json!({"aws:SourceAccount": a});
                if acl {
                    eq["s3:x-amz-acl"] = json!("bucket-owner-full-control");
                }
                json!({"StringEquals": eq, "ArnLike": {"aws:SourceArn": format!("arn:aws:logs:us-east-1:{a}:*")}})
            };
            if write {
                json!({"Sid": "AWSLogDeliveryWrite", "Effect": "Allow",
                    "Principal": {"Service": LOG_DELIVERY}, "Action": "s3:PutObject",
                    "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/{a}/*"), "Condition": cond(true)})
            } else {
                let action = if list_actions {
                    json!(["s3:GetBucketAcl", "s3:ListBucket"])
                } else {
                    json!(["s3:Get*", "s3:List*"])
                };
                json!({"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow",
                    "Principal": {"Service": LOG_DELIVERY}, "Action": action,
                    "Resource": format!("arn:aws:s3:::{BUCKET}"), "Condition": cond(false)})
            }
        })
        .boxed()
}

/// Someone else's statement: any shape, or the ones AWS attaches for flow logs.
fn others_statement() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => foreign_statement(),
        1 => aws_log_delivery_statement(),
    ]
    .boxed()
}

/// A statement that cannot stand between CloudTrail or delivery.logs and the bucket: an Allow, or a Deny of
/// actions delivery does not use.
fn benign_statement() -> BoxedStrategy<Value> {
    (foreign_statement(), any::<bool>())
        .prop_map(|(mut s, deny)| {
            let m = s.as_object_mut().unwrap();
            if deny {
                m.remove("NotAction");
                m.insert(
                    "Action".into(),
                    json!(["s3:DeleteBucket", "s3:PutBucketPolicy"]),
                );
            } else {
                m.insert("Effect".into(), json!("Allow"));
            }
            s
        })
        .boxed()
}

/// A live policy: foreign statements, maybe trailhub's from an earlier run for other accounts (in a random
/// form, with their flow logs or not), at random places; maybe an `Id`; maybe `Statement` a single object.
#[derive(Debug, Clone)]
struct Live {
    policy: Value,
}

fn live_policy(
    statement: impl Strategy<Value = Value> + Clone + 'static,
) -> impl Strategy<Value = Live> {
    (
        prop::collection::vec(statement, 0..6),
        prop::option::of(entries(1..=5)),
        prop::sample::select(vec![
            PolicyForm::Pinned(Form::Exact),
            PolicyForm::Pinned(Form::AccountArns),
            PolicyForm::Pinned(Form::SourceAccount),
            PolicyForm::Pinned(Form::SharedPrefix),
        ]),
        any::<prop::sample::Index>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(mut stmts, earlier, form, at, with_id, single, with_flow_logs)| {
                if let Some(earlier) = earlier {
                    let bucket: BucketName = BUCKET.parse().unwrap();
                    let flow: Vec<AccountId> = if with_flow_logs {
                        earlier.iter().map(|e| e.account.clone()).collect()
                    } else {
                        vec![]
                    };
                    let m = merge(
                        None,
                        &PolicyInput {
                            bucket: &bucket,
                            partition: "aws",
                            prefix: None,
                            entries: &earlier,
                            form,
                            org: None,
                            flow_logs: FlowLogAccounts {
                                accounts: &flow,
                                region: REGION,
                                hive: false,
                            },
                        },
                    )
                    .unwrap();
                    let ours = statements(&m.policy);
                    let i = at.index(stmts.len() + 1);
                    for (k, s) in ours.into_iter().enumerate() {
                        stmts.insert((i + k).min(stmts.len()), s);
                    }
                }
                let mut p = Map::new();
                p.insert("Version".into(), json!("2012-10-17"));
                if with_id {
                    p.insert("Id".into(), json!("team-policy"));
                }
                if single && stmts.len() == 1 {
                    p.insert("Statement".into(), stmts.pop().unwrap());
                } else {
                    p.insert("Statement".into(), Value::Array(stmts));
                }
                Live {
                    policy: Value::Object(p),
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Checks

fn input<'a>(
    bucket: &'a BucketName,
    prefix: Option<&'a KeyPrefix>,
    entries: &'a [Entry],
    form: PolicyForm,
    org: Option<&'a Org>,
) -> PolicyInput<'a> {
    PolicyInput {
        bucket,
        partition: "aws",
        prefix,
        entries,
        form,
        org,
        flow_logs: Default::default(),
    }
}

/// `inp` with flow logs for `flow` in [`REGION`].
fn with_flow<'a>(inp: PolicyInput<'a>, flow: &'a [AccountId]) -> PolicyInput<'a> {
    PolicyInput {
        flow_logs: FlowLogAccounts {
            accounts: flow,
            region: REGION,
            hive: false,
        },
        ..inp
    }
}

/// The one service each of trailhub's statements is for.
fn service_of(s: &Value) -> &'static str {
    match s["Sid"].as_str() {
        Some(LOG_ACL_SID | LOG_WRITE_SID | LOG_DENY_SID) => LOG_DELIVERY,
        _ => CLOUDTRAIL,
    }
}

/// Every statement trailhub wrote: Allow, one service only (CloudTrail or delivery.logs), a non-empty
/// source condition; and its Denies (issue 10, point 6) deny their service only the keys with a second
/// `AWSLogs/` segment.
fn check_ours(m: &Merged) -> Result<(), TestCaseError> {
    for s in statements(&m.policy)
        .iter()
        .filter(|s| s["Sid"] == DENY_SID || s["Sid"] == LOG_DENY_SID)
    {
        prop_assert_eq!(&s["Effect"], "Deny");
        prop_assert_eq!(&s["Principal"], &json!({"Service": service_of(s)}));
        for r in s["Resource"].as_array().into_iter().flatten() {
            prop_assert_eq!(
                r.as_str().unwrap_or_default().matches("AWSLogs/").count(),
                2,
                "{:#}",
                s
            );
        }
    }
    // every merged policy refuses requests without TLS, with trailhub's Deny or another writer's, never two
    let bucket = format!("arn:aws:s3:::{BUCKET}");
    prop_assert!(denies_insecure_transport(&m.policy, &bucket));
    let tls = statements(&m.policy)
        .iter()
        .filter(|s| s["Sid"] == TLS_SID)
        .count();
    prop_assert!(tls <= 1, "{:#}", m.policy);
    let allows = statements(&m.policy);
    for s in allows.iter().filter(|s| {
        is_trailhubs(s) && s["Sid"] != DENY_SID && s["Sid"] != LOG_DENY_SID && s["Sid"] != TLS_SID
    }) {
        prop_assert_eq!(&s["Effect"], "Allow");
        prop_assert!(s.get("NotPrincipal").is_none(), "{s:#}");
        prop_assert_eq!(&s["Principal"], &json!({"Service": service_of(s)}));
        let cond = s["Condition"].as_object();
        prop_assert!(cond.is_some(), "no condition: {s:#}");
        let mut sources = 0;
        for (op, block) in cond.unwrap() {
            for (k, v) in block.as_object().into_iter().flatten() {
                let k = k.to_ascii_lowercase();
                if matches!(op.as_str(), "StringEquals" | "ArnLike")
                    && ["aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid"]
                        .contains(&k.as_str())
                {
                    let n = match v {
                        Value::String(x) => usize::from(x != "*"),
                        Value::Array(a) => a.iter().filter(|x| *x != "*").count(),
                        _ => 0,
                    };
                    sources += n;
                }
            }
        }
        prop_assert!(sources > 0, "no source condition: {s:#}");
    }
    Ok(())
}

fn check_foreign_kept(live: &Value, m: &Merged) -> Result<(), TestCaseError> {
    prop_assert_eq!(foreign(&m.policy), foreign(live));
    for (k, v) in live.as_object().unwrap() {
        if k != "Statement" {
            prop_assert_eq!(&m.policy[k], v, "top-level {}", k);
        }
    }
    prop_assert!(m.policy["Statement"].is_array());
    // and the text written is the policy
    prop_assert_eq!(&parse_live(&m.text).unwrap(), &m.policy);
    Ok(())
}

fn check_idempotent(m: &Merged, inp: &PolicyInput) -> Result<(), TestCaseError> {
    let again = merge(Some(&m.policy), inp);
    prop_assert!(again.is_ok(), "the second merge failed: {again:?}");
    let again = again.unwrap();
    prop_assert!(
        !again.changed,
        "changed the second time: {:?}",
        again.form_sizes
    );
    prop_assert_eq!(&again.policy, &m.policy);
    prop_assert_eq!(&again.text, &m.text);
    prop_assert_eq!(again.form, m.form);
    prop_assert_eq!(
        again.log_delivery.map(|d| d.form),
        m.log_delivery.as_ref().map(|d| d.form)
    );
    Ok(())
}

fn check_every_trail_allowed(
    m: &Merged,
    entries: &[Entry],
    prefix: Option<&KeyPrefix>,
    org: Option<&Org>,
) -> Result<(), TestCaseError> {
    // a spread of the entries (first, last and between): every one costs a pass over lists as long as the
    // account list, so checking all 700 of a large case would be quadratic
    let step = (entries.len() / 8).max(1);
    let sample = entries.iter().step_by(step).chain(entries.last());
    for e in sample {
        let target = Delivery {
            partition: "aws".into(),
            bucket: BUCKET.into(),
            key_prefix: prefix.map(ToString::to_string),
            account_id: e.account.to_string(),
            source_arn: e.trail_arn.to_string(),
            source_account: e.account.to_string(),
            org_id: org.map(|o| o.id.clone()),
            org_path: None,
            service: "cloudtrail.amazonaws.com".into(),
            log_kind: "CloudTrail".into(),
            region: e.trail_arn.region.clone(),
        };
        let v = check_delivery(&m.policy, &target);
        prop_assert!(
            v.allowed(),
            "{} in form {:?} is not allowed: {:?}\n{:#}",
            e.trail_arn,
            m.form,
            v,
            m.policy
        );
    }
    Ok(())
}

/// delivery.logs may write the flow logs of every flow-log account the planner put in (a spread of them,
/// as for trails), with a concrete `aws:SourceArn` of the documented shape.
fn check_every_flow_log_allowed(
    m: &Merged,
    flow: &[AccountId],
    prefix: Option<&KeyPrefix>,
    org: Option<&Org>,
) -> Result<(), TestCaseError> {
    if flow.is_empty() {
        return Ok(());
    }
    let d = m.log_delivery.as_ref();
    prop_assert!(
        d.is_some(),
        "no delivery.logs statements for {} accounts",
        flow.len()
    );
    let step = (flow.len() / 8).max(1);
    for a in flow.iter().step_by(step).chain(flow.last()) {
        let target = Delivery {
            partition: "aws".into(),
            bucket: BUCKET.into(),
            key_prefix: prefix.map(ToString::to_string),
            account_id: a.to_string(),
            source_arn: format!("arn:aws:logs:{REGION}:{a}:vpc-flow-log-delivery"),
            source_account: a.to_string(),
            org_id: org.map(|o| o.id.clone()),
            org_path: None,
            service: LOG_DELIVERY.into(),
            log_kind: "vpcflowlogs".into(),
            region: REGION.into(),
        };
        let v = check_delivery(&m.policy, &target);
        prop_assert!(
            v.allowed(),
            "the flow logs of {} in form {:?} are not allowed: {:?}\n{:#}",
            a,
            d.map(|d| d.form),
            v,
            m.policy
        );
    }
    Ok(())
}

fn prefix() -> impl Strategy<Value = Option<KeyPrefix>> {
    prop::option::of(
        prop::sample::select(vec!["org", "a/b", "logs.ct"]).prop_map(|p| p.parse().unwrap()),
    )
}

fn form() -> impl Strategy<Value = PolicyForm> {
    prop::sample::select(vec![
        PolicyForm::Auto,
        PolicyForm::Auto,
        PolicyForm::Auto,
        PolicyForm::Pinned(Form::Exact),
        PolicyForm::Pinned(Form::AccountArns),
        PolicyForm::Pinned(Form::SourceAccount),
        PolicyForm::Pinned(Form::SharedPrefix),
        PolicyForm::Pinned(Form::Organization),
    ])
}

/// The organization of these entries, or not.
fn org_for(entries: &[Entry], with_org: bool) -> Option<Org> {
    with_org.then(|| Org {
        id: ORG_ID.into(),
        members: entries
            .iter()
            .map(|e| e.account.to_string())
            .collect::<BTreeSet<_>>(),
    })
}

/// The live policy's earlier trailhub entries and the flow-log accounts are accounts too: an organization
/// must hold them to be used.
fn org_for_all(entries: &[Entry], flow: &[AccountId], live: &Value, with_org: bool) -> Option<Org> {
    let mut org = org_for(entries, with_org)?;
    org.members.extend(flow.iter().map(ToString::to_string));
    let text = live.to_string();
    for w in text.split(|c: char| !c.is_ascii_digit()) {
        if w.len() == 12 {
            org.members.insert(w.to_owned());
        }
    }
    Some(org)
}

/// Errors the generated inputs may legitimately meet: a policy too large for any allowed form.
fn acceptable(e: &PolicyError) -> bool {
    matches!(e, PolicyError::TooLarge { .. })
}

/// Cases per property: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(800), ..ProptestConfig::default() })]

    /// Merging (with flow-log accounts or not) never drops or alters a statement trailhub does not own,
    /// its result is idempotent, and what trailhub writes is for one service with a source condition.
    #[test]
    fn merge_keeps_foreign_statements_and_is_idempotent(
        live in live_policy(others_statement()),
        entries in some_entries(),
        flow in flow_logs(),
        prefix in prefix(),
        form in form(),
        with_org in any::<bool>(),
    ) {
        let bucket: BucketName = BUCKET.parse().unwrap();
        let flow = flow_accounts(&entries, &flow);
        let org = org_for_all(&entries, &flow, &live.policy, with_org);
        let inp = with_flow(input(&bucket, prefix.as_ref(), &entries, form, org.as_ref()), &flow);
        match merge(Some(&live.policy), &inp) {
            Ok(m) => {
                prop_assert!(m.size <= SIZE_LIMIT);
                prop_assert_eq!(m.text.len(), m.size);
                check_foreign_kept(&live.policy, &m)?;
                check_ours(&m)?;
                check_idempotent(&m, &inp)?;
            }
            Err(e) => prop_assert!(acceptable(&e) || form != PolicyForm::Auto, "{e}"),
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(600), ..ProptestConfig::default() })]

    /// With statements that cannot stand in the way, the evaluator lets every trail and every flow-log
    /// account the planner put in write, in whatever forms were chosen.
    #[test]
    fn evaluator_allows_every_trail_and_flow_log_the_planner_put_in(
        live in live_policy(benign_statement()),
        entries in some_entries(),
        flow in flow_logs(),
        prefix in prefix(),
        form in form(),
        with_org in any::<bool>(),
    ) {
        let bucket: BucketName = BUCKET.parse().unwrap();
        let flow = flow_accounts(&entries, &flow);
        let org = org_for_all(&entries, &flow, &live.policy, with_org);
        let inp = with_flow(input(&bucket, prefix.as_ref(), &entries, form, org.as_ref()), &flow);
        match merge(Some(&live.policy), &inp) {
            Ok(m) => {
                check_every_trail_allowed(&m, &entries, prefix.as_ref(), org.as_ref())?;
                check_every_flow_log_allowed(&m, &flow, prefix.as_ref(), org.as_ref())?;
                check_ours(&m)?;
            }
            Err(e) => prop_assert!(acceptable(&e) || form != PolicyForm::Auto, "{e}"),
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), ..ProptestConfig::default() })]

    /// From no policy at all, auto always finds forms (with an organization, whatever the size), and
    /// every trail and flow-log account is allowed.
    #[test]
    fn from_nothing_auto_always_fits_with_an_org(
        entries in some_entries(),
        flow in flow_logs(),
        prefix in prefix(),
    ) {
        let bucket: BucketName = BUCKET.parse().unwrap();
        let flow = flow_accounts(&entries, &flow);
        let org = org_for_all(&entries, &flow, &json!({}), true);
        let inp = with_flow(
            input(&bucket, prefix.as_ref(), &entries, PolicyForm::Auto, org.as_ref()),
            &flow,
        );
        let m = merge(None, &inp).unwrap();
        prop_assert!(m.size <= SIZE_LIMIT);
        check_every_trail_allowed(&m, &entries, prefix.as_ref(), org.as_ref())?;
        check_every_flow_log_allowed(&m, &flow, prefix.as_ref(), org.as_ref())?;
        check_ours(&m)?;
        check_idempotent(&m, &inp)?;
    }
}

/// The forms step down as the accounts grow (exact → account-arns → source-account → shared-prefix →
/// organization), and in each the evaluator allows every trail.
#[test]
fn forms_step_down_and_each_allows_every_trail() {
    let bucket: BucketName = BUCKET.parse().unwrap();
    let region: Region = "ap-northeast-2".parse().unwrap();
    let make = |n: u64| -> Vec<Entry> {
        let mut e: Vec<Entry> = (0..n)
            .map(|i| {
                let account: AccountId = format!("{:012}", 100000000000u64 + i * 7919)
                    .parse()
                    .unwrap();
                let name: TrailName = format!("ORG-TRAIL-{i}").parse().unwrap();
                Entry::own(account.clone(), TrailArn::new(&region, &account, &name))
            })
            .collect();
        e.sort();
        e
    };
    let mut seen = Vec::new();
    for (n, with_org) in [
        (10, false),
        (110, false),
        (200, false),
        (600, false),
        (2000, true),
    ] {
        let e = make(n);
        let org = org_for(&e, with_org);
        let m = merge(
            None,
            &input(&bucket, None, &e, PolicyForm::Auto, org.as_ref()),
        )
        .unwrap();
        check_every_trail_allowed(&m, &e, None, org.as_ref()).unwrap();
        check_ours(&m).unwrap();
        seen.push(m.form);
    }
    assert_eq!(
        seen,
        [
            Form::Exact,
            Form::AccountArns,
            Form::SourceAccount,
            Form::SharedPrefix,
            Form::Organization
        ]
    );
}

/// With flow logs for every account, the two families step down together, the widest as narrow as possible
/// first, and in each combination the evaluator allows every trail and every account's flow logs.
#[test]
fn combinations_step_down_and_each_allows_every_trail_and_flow_log() {
    let bucket: BucketName = BUCKET.parse().unwrap();
    let region: Region = REGION.parse().unwrap();
    let make = |n: u64| -> Vec<Entry> {
        let mut e: Vec<Entry> = (0..n)
            .map(|i| {
                let account: AccountId = format!("{:012}", 100000000000u64 + i * 7919)
                    .parse()
                    .unwrap();
                let name: TrailName = format!("ORG-TRAIL-{i}").parse().unwrap();
                Entry::own(account.clone(), TrailArn::new(&region, &account, &name))
            })
            .collect();
        e.sort();
        e
    };
    let mut seen = Vec::new();
    for (n, with_org) in [(10, false), (90, false), (250, false), (2000, true)] {
        let e = make(n);
        let flow: Vec<AccountId> = e.iter().map(|x| x.account.clone()).collect();
        let org = org_for(&e, with_org);
        let inp = with_flow(
            input(&bucket, None, &e, PolicyForm::Auto, org.as_ref()),
            &flow,
        );
        let m = merge(None, &inp).unwrap();
        check_every_trail_allowed(&m, &e, None, org.as_ref()).unwrap();
        check_every_flow_log_allowed(&m, &flow, None, org.as_ref()).unwrap();
        check_ours(&m).unwrap();
        check_idempotent(&m, &inp).unwrap();
        seen.push((m.form, m.log_delivery.unwrap().form));
    }
    assert_eq!(
        seen,
        [
            (Form::Exact, Form::Exact),
            // 90 accounts: with the TLS-only Deny's bytes counted (S3-14), account-arns no longer fits
            (Form::SourceAccount, Form::SourceAccount),
            (Form::SharedPrefix, Form::SharedPrefix),
            (Form::Organization, Form::Organization),
        ]
    );
}
