//! Property tests of the KMS key policy merge (issue 12), over generated key policies: like the bucket
//! policy's (tests/properties.rs),
//!
//! - merging never drops, reorders or alters a statement trailhub did not write;
//! - merging is idempotent: the second merge says nothing changed and writes the same text;
//! - every trail in scope, and every trail an earlier merge named, may encrypt (the evaluator's proof), in
//!   whatever form was chosen to fit 32 KB, and the policy fits;
//! - a policy that keeps the root's statement is never refused as a lockout, and one without it always is.

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Value, json};
use trailhub::model::{AccountId, BucketName, TrailArn};
use trailhub::plan::key_policy::{
    KeyInput, KeyPolicyError, MAX_KEY_POLICY, OURS, cloudtrail_denial, merge_key_policy,
};

const KEY: &str = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ORG: &str = "o-abc123defg";

fn trails(ids: &[u64]) -> Vec<(AccountId, TrailArn)> {
    ids.iter()
        .map(|i| {
            let a: AccountId = format!("{:012}", 200_000_000_000 + i).parse().unwrap();
            let arn = format!("arn:aws:cloudtrail:eu-west-1:{a}:trail/trailhub-{i}");
            (a, TrailArn::parse(&arn).unwrap())
        })
        .collect()
}

fn root() -> Value {
    json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"})
}

/// A statement someone else wrote: any Sid that is not trailhub's (or none), any effect, principal and
/// action, sometimes a condition.
fn foreign() -> impl Strategy<Value = Value> {
    (
        prop::option::of("[A-Za-z0-9 ]{1,20}"),
        prop::bool::ANY,
        prop_oneof![
            Just(json!({"AWS": "arn:aws:iam::111111111111:role/siem"})),
            Just(json!({"Service": "cloudtrail.amazonaws.com"})),
            Just(json!("*")),
            Just(json!({"AWS": ["arn:aws:iam::222222222222:root", "333333333333"]})),
        ],
        prop_oneof![
            Just(json!("kms:Decrypt")),
            Just(json!(["kms:Encrypt", "kms:GenerateDataKey*"])),
            Just(json!("kms:ScheduleKeyDeletion")),
        ],
        prop::option::of(Just(json!({"Bool": {"aws:SecureTransport": "true"}}))),
    )
        .prop_filter_map("not trailhub's Sid", |(sid, allow, p, a, c)| {
            if sid.as_deref().is_some_and(|s| OURS.contains(&s)) {
                return None;
            }
            let mut s = json!({"Effect": if allow { "Allow" } else { "Deny" }, "Principal": p,
                "Action": a, "Resource": "*"});
            if let Some(sid) = sid {
                s["Sid"] = json!(sid);
            }
            if let Some(c) = c {
                s["Condition"] = c;
            }
            // a Deny of CloudTrail's encryption would make the proofs fail by design: keep to others
            let denies_cloudtrail =
                !allow && s["Principal"] != json!({"AWS": "arn:aws:iam::111111111111:role/siem"});
            (!denies_cloudtrail).then_some(s)
        })
}

#[derive(Debug)]
struct Case {
    live: Option<String>,
    earlier: Vec<(AccountId, TrailArn)>,
    now: Vec<(AccountId, TrailArn)>,
    org: Option<&'static str>,
    with_root: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(foreign(), 0..6),
        prop::bool::weighted(0.9),
        prop::collection::btree_set(0u64..3_000, 0..40),
        prop::collection::btree_set(0u64..3_000, 1..40),
        prop::sample::select(vec![1usize, 1, 1, 20, 120]),
        prop::option::of(Just(ORG)),
        prop::bool::ANY,
    )
        .prop_map(|(stmts, with_root, earlier, now, scale, org, has_live)| {
            let grow = |s: &std::collections::BTreeSet<u64>| -> Vec<u64> {
                s.iter()
                    .flat_map(|i| (0..scale as u64).map(move |k| i * 200 + k))
                    .collect()
            };
            let mut all = stmts;
            if with_root {
                all.insert(0, root());
            }
            let live = (has_live || !with_root)
                .then(|| json!({"Version": "2012-10-17", "Statement": all}).to_string());
            Case {
                live,
                earlier: trails(&grow(&earlier)),
                now: trails(&grow(&now)),
                org,
                with_root,
            }
        })
}

fn merge(
    live: Option<&str>,
    t: &[(AccountId, TrailArn)],
    org: Option<&str>,
) -> Result<trailhub::plan::key_policy::KeyMerged, KeyPolicyError> {
    let central: AccountId = "111111111111".parse().unwrap();
    let bucket: BucketName = "sec-log".parse().unwrap();
    merge_key_policy(
        live,
        &KeyInput {
            partition: "aws",
            central: &central,
            bucket: &bucket,
            trails: t,
            flow_log_accounts: &[],
            org_id: org,
            prune: None,
        },
    )
}

fn foreign_of(policy: &Value) -> Vec<Value> {
    policy["Statement"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|s| !s["Sid"].as_str().is_some_and(|x| OURS.contains(&x)))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_key_policy_merge_keeps_others_converges_and_allows_every_trail(c in case()) {
        // an earlier run named `earlier` (over the live policy); this run names `now`
        let first = match merge(c.live.as_deref(), &c.earlier, c.org) {
            Ok(m) => Some(m),
            Err(KeyPolicyError::Lockout { .. }) => {
                prop_assert!(!c.with_root);
                return Ok(());
            }
            Err(KeyPolicyError::TooLarge { .. }) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        };
        prop_assert!(c.with_root || c.live.is_none(), "a policy without the root's statement was merged");
        let base = first.as_ref().map(|m| m.text.clone());
        let m = match merge(base.as_deref(), &c.now, c.org) {
            Ok(m) => m,
            Err(KeyPolicyError::TooLarge { size, .. }) => {
                prop_assert!(size > MAX_KEY_POLICY);
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        };
        prop_assert!(m.size <= MAX_KEY_POLICY);
        if let Some(live) = &c.live {
            let live: Value = serde_json::from_str(live).unwrap();
            prop_assert_eq!(foreign_of(&live), foreign_of(&m.policy));
        }
        let again = merge(Some(&m.text), &c.now, c.org).unwrap();
        prop_assert!(!again.changed);
        prop_assert_eq!(&again.text, &m.text);
        for (_, arn) in c.earlier.iter().chain(&c.now) {
            let why = cloudtrail_denial(&m.policy, KEY, arn, c.org, true);
            prop_assert!(why.is_none(), "{} in the {} form: {:?}", arn, m.form.name(), why);
        }
    }
}
