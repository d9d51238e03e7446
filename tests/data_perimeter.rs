//! Data perimeters (issue 20, point 2): AWS's own resource control policies (aws-samples/
//! data-perimeter-policy-examples at 8e0d3c5, filled in for a test organization in
//! `tests/data/data_perimeter/`) as a corpus, over trailhub's evaluator.
//!
//! - The verdict table: for each corpus policy, in force as an RCP and carried in the bucket and key
//!   policies beside trailhub's own statements, the verdict AWS gives a member's trail, a trail of an
//!   account outside the organization, delivery.logs inside and outside it, a trusted third party and the
//!   central account's own trail, each with its reason from the AWS documentation.
//! - Zero loss: merging trailhub's statements into a bucket policy and a key policy that already hold the
//!   corpus statements keeps every one of them as it was (as JSON values), and the verdicts still let every
//!   account of the organization through.
//!
//! The second opinion on the same cases (`@cloud-copilot/iam-simulate`) is `tests/second_opinion.rs`.

use serde_json::{Value, json};
use trailhub::config::PolicyForm;
use trailhub::model::{AccountId, BucketName, Region, TrailArn, TrailName};
use trailhub::plan::evaluate::{
    Decision, Delivery, Request, Source, evaluate, evaluate_rcps, service_context,
};
use trailhub::plan::key_policy::{KeyInput, merge_key_policy};
use trailhub::plan::policy::{Entry, FlowLogAccounts, PolicyInput, merge};

pub const ORG: &str = "o-exampleorg1";
pub const ORG_PATH: &str = "o-exampleorg1/r-ex1/ou-ex1-members1/";
pub const CENTRAL: &str = "111111111111";
pub const MEMBER: &str = "222222222222";
pub const OUTSIDER: &str = "999999999999";
/// `<third-party-account-a>` of the corpus: a trusted third party, outside the organization.
pub const THIRD_PARTY: &str = "444444444444";
pub const BUCKET: &str = "sec-log";
pub const REGION: &str = "ap-northeast-2";
pub const KEY_ARN: &str =
    "arn:aws:kms:ap-northeast-2:111111111111:key/00000000-0000-4000-8000-000000000001";
pub const CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";
pub const LOG_DELIVERY: &str = "delivery.logs.amazonaws.com";
const CLOUDTRAIL_CONTEXT: &str = "kms:EncryptionContext:aws:cloudtrail:arn";

/// The corpus: each RCP's file name and document.
pub fn corpus() -> Vec<(&'static str, Value)> {
    macro_rules! rcp {
        ($name:literal) => {
            (
                $name,
                serde_json::from_str(include_str!(concat!(
                    "data/data_perimeter/",
                    $name,
                    ".json"
                )))
                .unwrap(),
            )
        };
    }
    vec![
        rcp!("identity_perimeter_rcp"),
        rcp!("network_perimeter_vpceorgid_rcp"),
        rcp!("network_perimeter_sourcevpc_rcp"),
        rcp!("data_perimeter_governance_rcp"),
    ]
}

fn statements(p: &Value) -> Vec<Value> {
    match &p["Statement"] {
        Value::Array(a) => a.clone(),
        o @ Value::Object(_) => vec![o.clone()],
        _ => vec![],
    }
}

/// The statements of `rcp` as a team carries them in a resource policy of `service` (`s3`, `kms`): each
/// statement with actions of that service, keeping only those (S3 and KMS refuse another service's
/// actions), its `Resource` set to `resources`.
fn carried(rcp: &Value, service: &str, resources: Value) -> Vec<Value> {
    let prefix = format!("{service}:");
    statements(rcp)
        .into_iter()
        .filter_map(|mut s| {
            let actions: Vec<Value> = match &s["Action"] {
                Value::String(a) => vec![json!(a)],
                Value::Array(a) => a.clone(),
                _ => vec![],
            };
            let ours: Vec<Value> = actions
                .into_iter()
                .filter(|a| a.as_str().is_some_and(|a| a.starts_with(&prefix)))
                .collect();
            if ours.is_empty() {
                return None;
            }
            s["Action"] = Value::Array(ours);
            s["Resource"] = resources.clone();
            Some(s)
        })
        .collect()
}

/// `rcp`'s statements carried in the bucket policy, scoped to the bucket and its objects.
pub fn for_bucket(rcp: &Value) -> Vec<Value> {
    let resources = json!([
        format!("arn:aws:s3:::{BUCKET}"),
        format!("arn:aws:s3:::{BUCKET}/*")
    ]);
    carried(rcp, "s3", resources)
}

/// `rcp`'s statements carried in the key policy, scoped to the key.
pub fn for_key(rcp: &Value) -> Vec<Value> {
    carried(rcp, "kms", json!(KEY_ARN))
}

/// One account whose logs go to the central bucket, as a service delivers them.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub name: &'static str,
    pub service: &'static str,
    pub account: &'static str,
    /// `aws:SourceOrgID` and `aws:SourceOrgPaths`: the account's organization, if any.
    pub org: Option<(&'static str, &'static str)>,
}

pub const CASES: [Case; 7] = [
    Case {
        name: "member trail inside the organization",
        service: CLOUDTRAIL,
        account: MEMBER,
        org: Some((ORG, ORG_PATH)),
    },
    Case {
        name: "trail of an account in no organization",
        service: CLOUDTRAIL,
        account: OUTSIDER,
        org: None,
    },
    Case {
        name: "trail of an account in another organization",
        service: CLOUDTRAIL,
        account: OUTSIDER,
        org: Some(("o-otherorg99", "o-otherorg99/r-zz99/")),
    },
    Case {
        name: "trail of a trusted third party",
        service: CLOUDTRAIL,
        account: THIRD_PARTY,
        org: None,
    },
    Case {
        name: "delivery.logs inside the organization",
        service: LOG_DELIVERY,
        account: MEMBER,
        org: Some((ORG, ORG_PATH)),
    },
    Case {
        name: "delivery.logs outside the organization",
        service: LOG_DELIVERY,
        account: OUTSIDER,
        org: None,
    },
    Case {
        name: "the central account's own trail",
        service: CLOUDTRAIL,
        account: CENTRAL,
        org: Some((ORG, "o-exampleorg1/r-ex1/")),
    },
];

impl Case {
    pub fn trail_arn(&self) -> String {
        format!(
            "arn:aws:cloudtrail:{REGION}:{}:trail/{}-CT",
            self.account, self.account
        )
    }

    /// What the service asks of the bucket (trailhub's own representation of the request).
    pub fn delivery(&self) -> Delivery {
        let flow_logs = self.service == LOG_DELIVERY;
        Delivery {
            partition: "aws".into(),
            bucket: BUCKET.into(),
            key_prefix: None,
            account_id: self.account.into(),
            source_arn: if flow_logs {
                format!(
                    "arn:aws:logs:{REGION}:{}:vpc-flow-log-delivery",
                    self.account
                )
            } else {
                self.trail_arn()
            },
            source_account: self.account.into(),
            org_id: self.org.map(|(o, _)| o.to_owned()),
            org_path: self.org.map(|(_, p)| p.to_owned()),
            service: self.service.into(),
            log_kind: if flow_logs {
                "vpcflowlogs"
            } else {
                "CloudTrail"
            }
            .into(),
            region: REGION.into(),
        }
    }

    /// Every request the delivery makes: the bucket's ACL check and the write, then the key's (CloudTrail:
    /// GenerateDataKey with its encryption context and DescribeKey; delivery.logs: GenerateDataKey for the
    /// bucket's default encryption), with the context `key_policy` builds for them.
    pub fn requests(&self) -> Vec<Request> {
        let d = self.delivery();
        let arn = self.trail_arn();
        let trail = self.service == CLOUDTRAIL;
        let source = Source {
            account: self.account,
            arn: trail.then_some(arn.as_str()),
            org_id: self.org.map(|(o, _)| o),
            org_path: self.org.map(|(_, p)| p),
        };
        let mut context = service_context(self.service, &source);
        let key = |action: &str, context: &std::collections::BTreeMap<String, String>| Request {
            principal_service: self.service.into(),
            action: action.into(),
            resource: KEY_ARN.into(),
            context: context.clone(),
        };
        let mut out = vec![d.acl_check_request(), d.write_request()];
        if trail {
            context.insert(CLOUDTRAIL_CONTEXT.into(), arn.clone());
            out.push(key("kms:GenerateDataKey", &context));
            out.push(key("kms:DescribeKey", &context));
        } else {
            out.push(key("kms:GenerateDataKey", &context));
        }
        out
    }
}

/// The accounts trailhub is configured for (the outsiders too: a static list may hold them).
const ACCOUNTS: [&str; 4] = [CENTRAL, MEMBER, OUTSIDER, THIRD_PARTY];

/// `account`'s trail, as [`Case::trail_arn`] names it.
pub fn trail_of(account: &str) -> TrailArn {
    let region: Region = REGION.parse().unwrap();
    let id: AccountId = account.parse().unwrap();
    let name: TrailName = format!("{account}-CT").parse().unwrap();
    TrailArn::new(&region, &id, &name)
}

fn trails() -> Vec<(AccountId, TrailArn)> {
    ACCOUNTS
        .iter()
        .map(|a| (a.parse().unwrap(), trail_of(a)))
        .collect()
}

fn ids() -> Vec<AccountId> {
    ACCOUNTS.iter().map(|a| a.parse().unwrap()).collect()
}

/// trailhub's bucket policy for every account, merged into `live`.
pub fn bucket_policy(live: Option<&Value>) -> Value {
    let bucket: BucketName = BUCKET.parse().unwrap();
    let entries: Vec<Entry> = trails()
        .into_iter()
        .map(|(a, t)| Entry::own(a, t))
        .collect();
    let accounts = ids();
    let input = PolicyInput {
        bucket: &bucket,
        partition: "aws",
        prefix: None,
        entries: &entries,
        form: PolicyForm::Auto,
        org: None,
        flow_logs: FlowLogAccounts {
            accounts: &accounts,
            region: REGION,
            hive: false,
        },
    };
    merge(live, &input).unwrap().policy
}

/// trailhub's key policy for every account, merged into `live`.
pub fn key_policy(live: Option<&Value>) -> Value {
    let bucket: BucketName = BUCKET.parse().unwrap();
    let central: AccountId = CENTRAL.parse().unwrap();
    let (trails, accounts) = (trails(), ids());
    let input = KeyInput {
        partition: "aws",
        central: &central,
        bucket: &bucket,
        trails: &trails,
        flow_log_accounts: &accounts,
        org_id: None,
        prune: None,
    };
    let text = live.map(Value::to_string);
    merge_key_policy(text.as_deref(), &input).unwrap().policy
}

/// `policy` with `extra` statements before its own (a team's, already there).
pub fn with_statements(policy: Option<Value>, extra: Vec<Value>) -> Value {
    let mut all = extra;
    all.extend(policy.as_ref().map(statements).unwrap_or_default());
    json!({"Version": "2012-10-17", "Statement": all})
}

/// Where the corpus policy is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Attached as an RCP (to the central account, its OU or the root).
    Rcp,
    /// Its statements carried in the bucket policy and the key policy.
    Carried,
}

/// Is every request of `case` allowed? `None` when so; else the Sid that refuses (or `"(implicit)"`).
pub fn verdict(rcp: &Value, placement: Placement, case: &Case) -> Option<String> {
    let (bucket, key, rcps) = match placement {
        Placement::Rcp => (bucket_policy(None), key_policy(None), vec![rcp.clone()]),
        Placement::Carried => (
            bucket_policy(Some(&with_statements(None, for_bucket(rcp)))),
            key_policy(Some(&with_statements(
                key_policy(None).into(),
                for_key(rcp),
            ))),
            vec![],
        ),
    };
    case.requests().into_iter().find_map(|req| {
        let policy = if req.resource == KEY_ARN {
            &key
        } else {
            &bucket
        };
        let decision = match evaluate_rcps(&rcps, &req) {
            Decision::ExplicitDeny { sid } => Decision::ExplicitDeny { sid },
            _ => evaluate(policy, &req),
        };
        match decision {
            Decision::Allow { .. } => None,
            Decision::ExplicitDeny { sid } => Some(sid.unwrap_or_else(|| "(no Sid)".into())),
            Decision::ImplicitDeny => Some("(implicit)".into()),
        }
    })
}

const DEPUTY: &str = "EnforceConfusedDeputyProtection";

/// The verdict AWS gives, with its reason (IAM User Guide, "AWS global condition context keys", and the
/// corpus' README; AWS-rules IAM-2 to IAM-6). `None`: allowed; `Some(sid)`: denied by that statement.
/// Every case is allowed by trailhub's own statements, so a denial is the perimeter's alone.
pub fn expected(policy: &str, case: &Case) -> (Option<&'static str>, &'static str) {
    let inside = case.org.is_some_and(|(o, _)| o == ORG);
    match policy {
        "identity_perimeter_rcp" if inside => (
            None,
            "EnforceOrgIdentities: the request carries aws:PrincipalIsAWSService = true (IAM-2), so its \
             BoolIfExists aws:PrincipalIsAWSService = false is false; EnforceConfusedDeputyProtection: \
             aws:SourceOrgID is the organization (IAM-3), so its StringNotEqualsIfExists is false",
        ),
        "identity_perimeter_rcp" if case.account == THIRD_PARTY => (
            None,
            "EnforceConfusedDeputyProtection: aws:SourceAccount is a listed third party, so \
             StringNotEqualsIfExists (every key must differ) is false",
        ),
        "identity_perimeter_rcp" => (
            Some(DEPUTY),
            "EnforceConfusedDeputyProtection: aws:SourceOrgID is absent (IfExists: true) or another \
             organization's, aws:SourceAccount is no listed third party, the bucket and key carry no \
             dp:exclude:identity tag, aws:SourceAccount is present (Null false) and the caller is a \
             service principal (Bool true): the Deny applies to s3:* and kms:*",
        ),
        "network_perimeter_vpceorgid_rcp" => (
            None,
            "EnforceNetworkPerimeterVpceOrgID: BoolIfExists aws:PrincipalIsAWSService = false is false \
             for a service principal, whatever the network keys (trailhub does not judge \
             NotIpAddressIfExists; a definite false elsewhere in the statement decides)",
        ),
        "network_perimeter_sourcevpc_rcp" => (
            None,
            "its statements name neither s3: nor kms: actions (and StringEquals aws:SourceVpc is false \
             without a VPC endpoint)",
        ),
        "data_perimeter_governance_rcp" => (None, "its one statement is for sts:TagSession only"),
        other => panic!("no expectation for {other}"),
    }
}

#[test]
fn trailhubs_own_statements_allow_every_case() {
    let none = json!({"Version": "2012-10-17", "Statement": []});
    for case in CASES {
        assert_eq!(verdict(&none, Placement::Rcp, &case), None, "{}", case.name);
    }
}

#[test]
fn the_corpus_verdict_table() {
    let mut rows = Vec::new();
    for (name, rcp) in corpus() {
        for case in CASES {
            let (want, why) = expected(name, &case);
            for placement in [Placement::Rcp, Placement::Carried] {
                let got = verdict(&rcp, placement, &case);
                assert_eq!(
                    got.as_deref(),
                    want,
                    "{name} {placement:?}, {}: AWS's verdict is {want:?} because {why}",
                    case.name
                );
            }
            rows.push(format!("{name} / {}: {want:?}", case.name));
        }
    }
    assert_eq!(rows.len(), 28);
}

#[test]
fn the_carried_statements_are_what_teams_write() {
    let [identity, vpceorgid, sourcevpc, governance] = corpus().try_into().unwrap();
    let sids = |v: Vec<Value>| -> Vec<String> {
        v.iter()
            .map(|s| s["Sid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        sids(for_bucket(&identity.1)),
        ["EnforceOrgIdentities", DEPUTY]
    );
    assert_eq!(sids(for_key(&identity.1)), ["EnforceOrgIdentities", DEPUTY]);
    assert_eq!(
        sids(for_bucket(&vpceorgid.1)),
        ["EnforceNetworkPerimeterVpceOrgID"]
    );
    assert!(for_bucket(&sourcevpc.1).is_empty() && for_key(&sourcevpc.1).is_empty());
    assert!(for_bucket(&governance.1).is_empty() && for_key(&governance.1).is_empty());
    for s in for_bucket(&identity.1) {
        assert_eq!(s["Action"], json!(["s3:*"]));
    }
}

/// Every statement of `team` is in `merged`, unchanged as a JSON value.
fn kept(team: &[Value], merged: &Value) -> Result<(), String> {
    let after = statements(merged);
    match team.iter().find(|s| !after.contains(s)) {
        Some(lost) => Err(format!("lost or changed: {lost}")),
        None => Ok(()),
    }
}

#[test]
fn apply_keeps_every_corpus_statement_in_the_bucket_policy() {
    let team: Vec<Value> = corpus().iter().flat_map(|(_, r)| for_bucket(r)).collect();
    let live = with_statements(None, team.clone());
    let merged = bucket_policy(Some(&live));
    kept(&team, &merged).unwrap();
    // merging again changes nothing
    assert_eq!(bucket_policy(Some(&merged)), merged);
    for case in CASES {
        let v = trailhub::plan::evaluate::check_delivery(&merged, &case.delivery());
        let (want, _) = expected("identity_perimeter_rcp", &case);
        assert_eq!(v.allowed(), want.is_none(), "{}: {v:?}", case.name);
    }
}

#[test]
fn apply_keeps_every_corpus_statement_in_the_key_policy() {
    let team: Vec<Value> = corpus().iter().flat_map(|(_, r)| for_key(r)).collect();
    let live = with_statements(Some(key_policy(None)), team.clone());
    let merged = key_policy(Some(&live));
    kept(&team, &merged).unwrap();
    assert_eq!(key_policy(Some(&merged)), merged);
    for (account, org, allowed) in [
        (MEMBER, Some(ORG), true),
        (CENTRAL, Some(ORG), true),
        (OUTSIDER, None, false),
    ] {
        let denial = trailhub::plan::key_policy::cloudtrail_denial(
            &merged,
            KEY_ARN,
            &trail_of(account),
            org,
            true,
        );
        assert_eq!(denial.is_none(), allowed, "{account}: {denial:?}");
        let id: AccountId = account.parse().unwrap();
        let denial = trailhub::plan::key_policy::log_delivery_denial(&merged, KEY_ARN, &id, org);
        assert_eq!(denial.is_none(), allowed, "{account}: {denial:?}");
    }
}
