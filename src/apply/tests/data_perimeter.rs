//! Issue 20, point 2, over the in-memory fake: an organization whose bucket and key policies already hold
//! AWS's data-perimeter statements (the corpus of `tests/data/data_perimeter/`, carried in the policies as
//! teams write them). Plan and apply onboard every member, trails and flow logs, and keep every one of
//! those statements as it was. The fake's CreateTrail, CreateFlowLogs and key checks judge with the request
//! context AWS builds for a service principal (`evaluate::service_context`: `aws:PrincipalIsAWSService`,
//! `aws:SourceOrgID`...), so the perimeter's Deny statements are in play.

use std::time::Duration;

use serde_json::{Value, json};

use crate::apply::*;
use crate::fake::{FakeAws, FakeKey};
use crate::fixtures;
use crate::interrupt::Interrupt;

const CENTRAL: &str = "111111111111";
const MEMBERS: [&str; 2] = ["222222222222", "333333333333"];
const ORG: &str = "o-exampleorg1";
const KEY_ARN: &str =
    "arn:aws:kms:ap-northeast-2:111111111111:key/00000000-0000-4000-8000-000000000001";

fn rcp(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The corpus' statements with actions of `service`, only those actions kept, scoped to `resources`.
fn carried(service: &str, resources: Value) -> Vec<Value> {
    let corpus = [
        rcp(include_str!(
            "../../../tests/data/data_perimeter/identity_perimeter_rcp.json"
        )),
        rcp(include_str!(
            "../../../tests/data/data_perimeter/network_perimeter_vpceorgid_rcp.json"
        )),
    ];
    let prefix = format!("{service}:");
    let mut out = Vec::new();
    for doc in corpus {
        for mut s in doc["Statement"].as_array().unwrap().clone() {
            let actions: Vec<Value> = match &s["Action"] {
                Value::Array(a) => a.clone(),
                a => vec![a.clone()],
            };
            let ours: Vec<Value> = actions
                .into_iter()
                .filter(|a| a.as_str().is_some_and(|a| a.starts_with(&prefix)))
                .collect();
            if !ours.is_empty() {
                s["Action"] = Value::Array(ours);
                s["Resource"] = resources.clone();
                out.push(s);
            }
        }
    }
    out
}

fn statements(text: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["Statement"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn an_organization_with_data_perimeter_policies_onboards_every_member_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(10));
    let mut ids = vec![CENTRAL];
    ids.extend(MEMBERS);
    aws.set_organization(ORG, &ids);
    let bucket_team = carried(
        "s3",
        json!(["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"]),
    );
    let key_team = carried("kms", json!(KEY_ARN));
    let root = json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{CENTRAL}:root")}, "Action": "kms:*", "Resource": "*"});
    let mut key_statements = vec![root];
    key_statements.extend(key_team.clone());
    {
        let mut w = aws.world();
        let policy = json!({"Version": "2012-10-17", "Statement": bucket_team});
        w.buckets.insert("sec-log".into(), Some(policy.to_string()));
        let key = FakeKey {
            info: crate::aws::KeyInfo {
                arn: KEY_ARN.into(),
                id: "00000000-0000-4000-8000-000000000001".into(),
                account: CENTRAL.into(),
                enabled: true,
                symmetric: true,
                customer_managed: true,
            },
            policy: json!({"Version": "2012-10-17", "Statement": key_statements}).to_string(),
        };
        w.keys.insert(KEY_ARN.into(), key);
    }
    let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\n"
        .to_owned()
        + &format!("kms_key = \"{KEY_ARN}\"\n")
        + "[members]\nsource = \"organizations\"\ntrail_name = \"{name}-CT\"\n"
        + "[flow_logs]\ndestinations = [\"s3\"]\ntraffic_type = \"ALL\"\n";
    let cfg = fixtures::parse(&text);
    let opts = ApplyOptions::new(dir.path().to_owned(), 4, Interrupt::default());
    let (plan, run) = fixtures::plan_and_apply(&aws, &cfg, &opts).await;
    assert_eq!(plan.accounts.len(), 3, "{:#?}", plan.accounts);
    assert_eq!(run.exit_code(), 0, "{run:#?}");
    assert_eq!(aws.calls("CreateTrail"), 3);
    for id in ids {
        let flow_logs = aws.world().flow_logs.get(id).cloned().unwrap_or_default();
        assert_eq!(flow_logs.len(), 1, "{id}: {flow_logs:?}");
    }
    let w = aws.world();
    let bucket = statements(w.buckets["sec-log"].as_deref().unwrap());
    for s in &bucket_team {
        assert!(bucket.contains(s), "the bucket policy lost {s}");
    }
    let key = statements(&w.keys[KEY_ARN].policy);
    for s in &key_team {
        assert!(key.contains(s), "the key policy lost {s}");
    }
    assert!(
        key.len() > key_team.len() + 1,
        "trailhub's key statements are in"
    );
}
