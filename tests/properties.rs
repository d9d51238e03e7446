//! Property tests of the policy merge and the evaluator (issue 4), over thousands of generated policies:
//!
//! - merging never drops or alters a statement trailhub does not own, nor the policy's other fields;
//! - merging is idempotent: merge(merge(x)) == merge(x), and the second merge says nothing changed;
//! - the evaluator says yes for every trail the planner put in, in whatever form was chosen (the number of
//!   accounts varies so the forms step down; the organization form with an Org);
//! - no statement trailhub writes has a `*` principal or lacks a source condition.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Map, Value, json};
use trailhub::config::PolicyForm;
use trailhub::model::{AccountId, BucketName, KeyPrefix, Region, TrailArn, TrailName};
use trailhub::plan::evaluate::{DeliveryTarget, check_delivery};
use trailhub::plan::policy::{
    ACL_SID, DENY_SID, Entry, Form, Merged, OWN_ACL_SID, OWN_WRITE_SID, Org, PolicyError,
    PolicyInput, SIZE_LIMIT, WRITE_SID, merge, parse_live,
};

const BUCKET: &str = "sec-log";
const ORG_ID: &str = "o-abc123defg";

fn is_trailhubs(s: &Value) -> bool {
    matches!(
        s.get("Sid").and_then(Value::as_str),
        Some(ACL_SID | WRITE_SID | OWN_ACL_SID | OWN_WRITE_SID | DENY_SID)
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

/// A statement that cannot stand between CloudTrail and the bucket: an Allow, or a Deny of actions
/// delivery does not use.
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

/// A live policy: foreign statements, maybe trailhub's two from an earlier run for other accounts (in a
/// random form), at random places; maybe an `Id`; maybe `Statement` a single object.
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
            PolicyForm::Exact,
            PolicyForm::AccountArns,
            PolicyForm::SourceAccount,
            PolicyForm::SharedPrefix,
        ]),
        any::<prop::sample::Index>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mut stmts, earlier, form, at, with_id, single)| {
            if let Some(earlier) = earlier {
                let bucket: BucketName = BUCKET.parse().unwrap();
                let m = merge(
                    None,
                    &PolicyInput {
                        bucket: &bucket,
                        partition: "aws",
                        prefix: None,
                        entries: &earlier,
                        form,
                        org: None,
                        flow_logs: Default::default(),
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
        })
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

/// Every statement trailhub wrote: Allow, CloudTrail only, a non-empty source condition; and its one Deny
/// (issue 10, point 6) denies CloudTrail only the keys with a second `AWSLogs/` segment.
fn check_ours(m: &Merged) -> Result<(), TestCaseError> {
    for s in statements(&m.policy)
        .iter()
        .filter(|s| s["Sid"] == DENY_SID)
    {
        prop_assert_eq!(&s["Effect"], "Deny");
        prop_assert_eq!(
            &s["Principal"],
            &json!({"Service": "cloudtrail.amazonaws.com"})
        );
        for r in s["Resource"].as_array().into_iter().flatten() {
            prop_assert_eq!(
                r.as_str().unwrap_or_default().matches("AWSLogs/").count(),
                2,
                "{:#}",
                s
            );
        }
    }
    let allows = statements(&m.policy);
    for s in allows
        .iter()
        .filter(|s| is_trailhubs(s) && s["Sid"] != DENY_SID)
    {
        prop_assert_eq!(&s["Effect"], "Allow");
        prop_assert!(s.get("NotPrincipal").is_none(), "{s:#}");
        prop_assert_eq!(
            &s["Principal"],
            &json!({"Service": "cloudtrail.amazonaws.com"})
        );
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
        let target = DeliveryTarget {
            partition: "aws".into(),
            bucket: BUCKET.into(),
            key_prefix: prefix.map(ToString::to_string),
            account_id: e.account.to_string(),
            source_arn: e.trail_arn.to_string(),
            source_account: e.account.to_string(),
            org_id: org.map(|o| o.id.clone()),
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
        PolicyForm::Exact,
        PolicyForm::AccountArns,
        PolicyForm::SourceAccount,
        PolicyForm::SharedPrefix,
        PolicyForm::Organization,
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

/// The live policy's earlier trailhub entries are accounts too: an organization must hold them to be used.
fn org_for_all(entries: &[Entry], live: &Value, with_org: bool) -> Option<Org> {
    let mut org = org_for(entries, with_org)?;
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

    /// Merging never drops or alters a statement trailhub does not own, its result is idempotent, and
    /// what trailhub writes is CloudTrail-only with a source condition.
    #[test]
    fn merge_keeps_foreign_statements_and_is_idempotent(
        live in live_policy(foreign_statement()),
        entries in some_entries(),
        prefix in prefix(),
        form in form(),
        with_org in any::<bool>(),
    ) {
        let bucket: BucketName = BUCKET.parse().unwrap();
        let org = org_for_all(&entries, &live.policy, with_org);
        let inp = input(&bucket, prefix.as_ref(), &entries, form, org.as_ref());
        match merge(Some(&live.policy), &inp) {
            Ok(m) => {
                prop_assert!(m.size <= SIZE_LIMIT);
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

    /// With statements that cannot stand in the way, the evaluator lets every trail the planner put in
    /// write, in whatever form was chosen.
    #[test]
    fn evaluator_allows_every_trail_the_planner_put_in(
        live in live_policy(benign_statement()),
        entries in some_entries(),
        prefix in prefix(),
        form in form(),
        with_org in any::<bool>(),
    ) {
        let bucket: BucketName = BUCKET.parse().unwrap();
        let org = org_for_all(&entries, &live.policy, with_org);
        let inp = input(&bucket, prefix.as_ref(), &entries, form, org.as_ref());
        match merge(Some(&live.policy), &inp) {
            Ok(m) => {
                check_every_trail_allowed(&m, &entries, prefix.as_ref(), org.as_ref())?;
                check_ours(&m)?;
            }
            Err(e) => prop_assert!(acceptable(&e) || form != PolicyForm::Auto, "{e}"),
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), ..ProptestConfig::default() })]

    /// From no policy at all, auto always finds a form (with an organization, whatever the size), and
    /// every trail is allowed.
    #[test]
    fn from_nothing_auto_always_fits_with_an_org(
        entries in some_entries(),
        prefix in prefix(),
    ) {
        let bucket: BucketName = BUCKET.parse().unwrap();
        let org = org_for(&entries, true);
        let inp = input(&bucket, prefix.as_ref(), &entries, PolicyForm::Auto, org.as_ref());
        let m = merge(None, &inp).unwrap();
        prop_assert!(m.size <= SIZE_LIMIT);
        check_every_trail_allowed(&m, &entries, prefix.as_ref(), org.as_ref())?;
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
