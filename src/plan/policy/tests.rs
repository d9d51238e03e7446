//! Scenario tests of the bucket policy's merge: both families, their forms, what is kept and the size limit.

use serde_json::{Value, json};

use super::*;
use crate::config::PolicyForm;
use crate::model::{AccountId, BucketName, KeyPrefix, TrailArn};

fn entries(ids: &[&str]) -> Vec<Entry> {
    let region = "ap-northeast-2".parse().unwrap();
    ids.iter()
        .map(|id| {
            let account: AccountId = id.parse().unwrap();
            let name = format!("T{id}").parse().unwrap();
            Entry::own(account.clone(), TrailArn::new(&region, &account, &name))
        })
        .collect()
}

fn input<'a>(
    bucket: &'a BucketName,
    prefix: Option<&'a KeyPrefix>,
    e: &'a [Entry],
) -> PolicyInput<'a> {
    PolicyInput {
        bucket,
        partition: "aws",
        prefix,
        entries: e,
        form: PolicyForm::Auto,
        org: None,
        flow_logs: FlowLogAccounts::default(),
    }
}

fn many(n: u64) -> Vec<Entry> {
    let ids: Vec<String> = (0..n)
        .map(|i| format!("{:012}", 100000000000u64 + i))
        .collect();
    entries(&ids.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn fresh_policy_snapshot() {
    let b: BucketName = "sec-log".parse().unwrap();
    let p: KeyPrefix = "org".parse().unwrap();
    let e = entries(&["222222222222", "111111111111"]);
    let m = merge(None, &input(&b, Some(&p), &e)).unwrap();
    // the snapshots of plan/policy.rs, where these tests were first written
    insta::with_settings!({snapshot_path => "../snapshots"}, {
        insta::assert_json_snapshot!(m.policy);
    });
    assert!(m.changed);
    assert_eq!(m.form, Form::Exact);
    assert_eq!(
        m.created_statements,
        [ACL_SID, WRITE_SID, DENY_SID, TLS_SID]
    );
}

#[test]
fn merge_keeps_foreign_statements_and_console_entries() {
    let b: BucketName = "sec-log".parse().unwrap();
    let live = parse_live(r#"{"Version":"2012-10-17","Id":"x","Statement":[
      {"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::sec-log","arn:aws:s3:::sec-log/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
      {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudtrail:us-east-1:999999999999:trail/old"}}},
      {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudtrail:us-east-1:999999999999:trail/old","s3:x-amz-acl":"bucket-owner-full-control"}}},
      {"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::sec-log/*"}]}"#).unwrap();
    let e = entries(&["222222222222"]);
    let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
    let st = m.policy["Statement"].as_array().unwrap();
    assert_eq!(
        st.len(),
        5,
        "extended in place, not duplicated; the Deny added"
    );
    assert_eq!(st[4]["Sid"], DENY_SID);
    assert_eq!(st[0], live["Statement"][0]);
    assert_eq!(st[3], live["Statement"][3]);
    assert_eq!(m.policy["Id"], "x");
    assert_eq!(
        st[1]["Condition"]["StringEquals"]["aws:SourceArn"],
        json!([
            "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/T222222222222",
            "arn:aws:cloudtrail:us-east-1:999999999999:trail/old"
        ])
    );
    assert_eq!(
        m.kept_sources,
        ["arn:aws:cloudtrail:us-east-1:999999999999:trail/old"]
    );
    assert_eq!(
        m.kept_resources,
        ["arn:aws:s3:::sec-log/AWSLogs/999999999999/*"]
    );
    assert_eq!(
        m.added_resources,
        ["arn:aws:s3:::sec-log/AWSLogs/222222222222/*"]
    );
    assert_eq!(
        m.added_sources,
        ["arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/T222222222222"]
    );

    // merging again changes nothing
    let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
    assert!(!again.changed, "{again:#?}");
    assert_eq!(again.policy, m.policy);
    assert!(again.added_sources.is_empty() && again.added_resources.is_empty());
}

#[test]
fn a_kept_entry_rewritten_into_a_smaller_form_is_kept_not_added() {
    let b: BucketName = "sec-log".parse().unwrap();
    let old = "arn:aws:cloudtrail:us-east-1:999999999999:trail/old";
    let live = parse_live(&format!(r#"{{"Version":"2012-10-17","Statement":[
      {{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{{"StringEquals":{{"aws:SourceArn":"{old}"}}}}}},
      {{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{{"StringEquals":{{"aws:SourceArn":"{old}","s3:x-amz-acl":"bucket-owner-full-control"}}}}}}]}}"#)).unwrap();
    let e = entries(&["222222222222"]);
    let inp = PolicyInput {
        form: PolicyForm::Pinned(Form::AccountArns),
        ..input(&b, None, &e)
    };
    let m = merge(Some(&live), &inp).unwrap();
    assert_eq!(m.form, Form::AccountArns);
    assert_eq!(m.rewritten_sources, [old]);
    assert_eq!(m.kept_sources.len(), 1, "{m:#?}");
    assert!(m.kept_sources[0].contains("999999999999"), "{m:#?}");
    // only the configured account is added; the kept one is not listed twice
    assert_eq!(m.added_sources.len(), 1, "{m:#?}");
    assert!(m.added_sources[0].contains("222222222222"), "{m:#?}");
}

#[test]
fn a_console_policy_already_right_is_not_rewritten() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222"]);
    let arn = e[0].trail_arn.to_string();
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{{"StringEquals":{{"AWS:SourceArn":"{arn}"}}}}}},{{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/222222222222/*","Condition":{{"StringEquals":{{"AWS:SourceArn":"{arn}","s3:x-amz-acl":"bucket-owner-full-control"}}}}}}]}}"#
    );
    let m = merge(Some(&parse_live(&text).unwrap()), &input(&b, None, &e)).unwrap();
    // only trailhub's Denies are added; the two statements already right are not rewritten
    assert_eq!(m.created_statements, [DENY_SID, TLS_SID]);
    let live = parse_live(&text).unwrap();
    assert_eq!(m.policy["Statement"][0], live["Statement"][0]);
    assert_eq!(m.policy["Statement"][1], live["Statement"][1]);
    let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
    assert!(!again.changed, "{again:#?}");
}

#[test]
fn single_statement_object_is_normalized() {
    let b: BucketName = "sec-log".parse().unwrap();
    let live = parse_live(r#"{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::sec-log"}}"#).unwrap();
    let e = entries(&["222222222222"]);
    let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
    assert!(m.normalized_statement_list);
    assert_eq!(m.policy["Statement"][0], live["Statement"]);
}

/// Issue 10, point 6: in the forms that grant sources and prefixes as two lists, a listed account's
/// trail could choose the key prefix `AWSLogs/<B>/CloudTrail` and write into account B's folder; the
/// Deny closes that, and lets every trail write at its own place.
#[test]
fn no_trail_writes_into_another_accounts_folder() {
    use crate::plan::evaluate::{Delivery, check_delivery};
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222", "333333333333"]);
    let shared = PolicyInput {
        form: PolicyForm::Pinned(Form::SharedPrefix),
        ..input(&b, None, &e)
    };
    let m = merge(None, &shared).unwrap();
    let target = |prefix: Option<&str>| Delivery {
        partition: "aws".into(),
        bucket: "sec-log".into(),
        key_prefix: prefix.map(str::to_owned),
        account_id: "222222222222".into(),
        source_arn: e[0].trail_arn.to_string(),
        source_account: "222222222222".into(),
        org_id: None,
        org_path: None,
        service: CLOUDTRAIL.into(),
        log_kind: "CloudTrail".into(),
        region: "ap-northeast-2".into(),
    };
    assert!(check_delivery(&m.policy, &target(None)).allowed());
    let into_b = check_delivery(&m.policy, &target(Some("AWSLogs/333333333333/CloudTrail")));
    assert!(!into_b.allowed());
    assert_eq!(into_b.write.sid(), Some(DENY_SID));
    // with a bucket key prefix too
    let org: KeyPrefix = "org".parse().unwrap();
    let m = merge(
        None,
        &PolicyInput {
            prefix: Some(&org),
            ..shared.clone()
        },
    )
    .unwrap();
    assert!(check_delivery(&m.policy, &target(Some("org"))).allowed());
    let into_b = check_delivery(&m.policy, &target(Some("org/AWSLogs/333333333333")));
    assert!(!into_b.allowed());
}

/// Issue 10, point 5: the console's old default statements (its Sids, no source condition) are kept as
/// they are, trailhub's go beside them under its own Sids, the plan warns, and a second merge changes
/// nothing.
#[test]
fn legacy_console_statements_are_kept_and_trailhubs_go_beside_them() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222"]);
    let legacy = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log"},
        {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;
    let live = parse_live(legacy).unwrap();
    let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
    assert_eq!(m.legacy_statements, [ACL_SID, WRITE_SID]);
    assert_eq!(
        m.created_statements,
        [OWN_ACL_SID, OWN_WRITE_SID, DENY_SID, TLS_SID]
    );
    assert_eq!(m.policy["Statement"][0], live["Statement"][0]);
    assert_eq!(m.policy["Statement"][1], live["Statement"][1]);
    let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
    assert!(!again.changed, "{again:?}");
    assert_eq!(again.legacy_statements, [ACL_SID, WRITE_SID]);
}

#[test]
fn bad_live_policies_are_errors() {
    assert!(matches!(
        parse_live("{not json"),
        Err(PolicyError::NotJson(_))
    ));
    assert_eq!(parse_live("[]"), Err(PolicyError::NotObject));
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222"]);
    let m = |t: &str| merge(Some(&parse_live(t).unwrap()), &input(&b, None, &e));
    assert_eq!(
        m(r#"{"Statement":"x"}"#),
        Err(PolicyError::BadStatements("a string"))
    );
    assert_eq!(
        m(r#"{"Statement":[1]}"#),
        Err(PolicyError::StatementNotObject { index: 0 })
    );
    for bad in [
        r#"{"Sid":"AWSCloudTrailWrite20150319","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}"#,
        r#"{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","NotPrincipal":{"Service":"x"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceArn":"a"}}}"#,
        r#"{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:*:trail/*"}}}"#,
    ] {
        let r = m(&format!(r#"{{"Statement":[{bad}]}}"#));
        assert!(
            matches!(r, Err(PolicyError::SidConflict { .. })),
            "{bad}: {r:?}"
        );
    }
}

#[test]
fn unknown_conditions_on_managed_statements_are_kept() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222"]);
    let live = parse_live(r#"{"Statement":[{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceArn":["arn:aws:cloudtrail:us-east-1:999999999999:trail/old"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#).unwrap();
    let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
    assert_eq!(
        m.policy["Statement"][0]["Condition"]["IpAddress"],
        json!({"aws:SourceIp": "10.0.0.0/8"})
    );
}

#[test]
fn forms_step_down_as_the_organization_grows() {
    let b: BucketName = "sec-log".parse().unwrap();
    for (n, form) in [
        (50, Form::Exact),
        (120, Form::AccountArns),
        (200, Form::SourceAccount),
        (600, Form::SharedPrefix),
    ] {
        let e = many(n);
        let m = merge(None, &input(&b, None, &e)).unwrap();
        assert_eq!(m.form, form, "{n} accounts: {:?}", m.form_sizes);
        assert!(m.size <= SIZE_LIMIT);
    }
    let e = many(10_000);
    let err = merge(None, &input(&b, None, &e)).unwrap_err();
    assert!(
        err.to_string().contains("organization cannot be used"),
        "{err}"
    );
    let org = Org {
        id: "o-abc123defg".into(),
        members: e.iter().map(|x| x.account.to_string()).collect(),
    };
    let m = merge(
        None,
        &PolicyInput {
            org: Some(&org),
            ..input(&b, None, &e)
        },
    )
    .unwrap();
    assert_eq!(m.form, Form::Organization);
    assert!(m.size < 1000);
}

#[test]
fn a_pinned_form_that_does_not_fit_is_an_error_that_says_how_many_fit() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = many(200);
    let err = merge(
        None,
        &PolicyInput {
            form: PolicyForm::Pinned(Form::Exact),
            ..input(&b, None, &e)
        },
    )
    .unwrap_err();
    let PolicyError::TooLarge { fit, accounts, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(accounts, 200);
    assert!((80..130).contains(&fit), "{fit}");
    let exact = |k: usize| {
        merge(
            None,
            &PolicyInput {
                form: PolicyForm::Pinned(Form::Exact),
                ..input(&b, None, &e[..k])
            },
        )
    };
    assert!(exact(fit).is_ok());
    assert!(exact(fit + 1).is_err());
}

#[test]
fn a_shared_prefix_is_not_narrowed_so_the_next_run_changes_nothing() {
    // Found by tests/properties.rs: a policy near the limit stepped down to the shared prefix (the
    // source-account form was 2 bytes over); the next run found a per-account form that kept the shared
    // prefix as well (smaller, since the kept accounts' own prefixes had been folded into it), chose it,
    // and changed the policy again. A per-account form cannot keep `AWSLogs/*` without narrowing it.
    let b: BucketName = "sec-log".parse().unwrap();
    let live = parse_live(r#"{"Statement":[{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceAccount":["100000000000","999999999999"]}}},{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":["arn:aws:s3:::sec-log/AWSLogs/*"],"Condition":{"StringEquals":{"aws:SourceAccount":["100000000000","999999999999"],"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#).unwrap();
    let e = many(1);
    let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
    assert_eq!(m.form, Form::SharedPrefix, "{:?}", m.form_sizes);
    assert_eq!(
        m.created_statements,
        [DENY_SID, TLS_SID],
        "{:?}",
        m.form_sizes
    );
    let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
    assert!(!again.changed, "{:?}", again.form_sizes);
}

#[test]
fn stepping_down_keeps_what_the_live_policy_allowed() {
    let b: BucketName = "sec-log".parse().unwrap();
    let live = parse_live(r#"{"Statement":[{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:999999999999:trail/old"}}}]}"#).unwrap();
    let e = many(120);
    let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
    assert_eq!(m.form, Form::AccountArns);
    assert!(
        m.kept_sources
            .contains(&"arn:aws:cloudtrail:*:999999999999:trail/*".to_owned()),
        "{:?}",
        m.kept_sources
    );
    // and once in a wider form, the narrower one is no longer possible: never narrow silently
    let m2 = merge(
        Some(&m.policy),
        &PolicyInput {
            form: PolicyForm::Pinned(Form::Exact),
            ..input(&b, None, &e[..2])
        },
    );
    assert!(matches!(m2, Err(PolicyError::NoUsableForm(..))), "{m2:?}");
}

// ---------------------------------------------------------------------------------------------
// The delivery.logs statements (issue 11)

fn ids(e: &[Entry]) -> Vec<AccountId> {
    e.iter().map(|x| x.account.clone()).collect()
}

/// `input` with flow logs for `flow` in ap-northeast-2.
fn with_flow<'a>(inp: PolicyInput<'a>, flow: &'a [AccountId]) -> PolicyInput<'a> {
    PolicyInput {
        flow_logs: FlowLogAccounts {
            accounts: flow,
            region: "ap-northeast-2",
            hive: false,
        },
        ..inp
    }
}

/// What delivery.logs asks when it writes `account`'s flow logs (a concrete `aws:SourceArn`, as AWS
/// sends; `org` as `aws:SourceOrgID`).
fn flow_target(
    account: &str,
    prefix: Option<&str>,
    org: Option<&str>,
) -> crate::plan::evaluate::Delivery {
    crate::plan::evaluate::Delivery {
        partition: "aws".into(),
        bucket: "sec-log".into(),
        key_prefix: prefix.map(str::to_owned),
        account_id: account.into(),
        source_arn: format!("arn:aws:logs:ap-northeast-2:{account}:vpc-flow-log-delivery"),
        source_account: account.into(),
        org_id: org.map(str::to_owned),
        org_path: None,
        service: LOG_DELIVERY.into(),
        log_kind: "vpcflowlogs".into(),
        region: "ap-northeast-2".into(),
    }
}

fn allowed(policy: &Value, t: &crate::plan::evaluate::Delivery) -> bool {
    crate::plan::evaluate::check_delivery(policy, t).allowed()
}

#[test]
fn flow_logs_exact_form_snapshot() {
    let b: BucketName = "sec-log".parse().unwrap();
    let p: KeyPrefix = "org".parse().unwrap();
    let e = entries(&["222222222222", "111111111111"]);
    let flow = ids(&e);
    let m = merge(None, &with_flow(input(&b, Some(&p), &e), &flow)).unwrap();
    // the snapshots of plan/policy.rs, where these tests were first written
    insta::with_settings!({snapshot_path => "../snapshots"}, {
        insta::assert_json_snapshot!(m.policy);
    });
    assert_eq!(m.form, Form::Exact);
    let d = m.log_delivery.as_ref().unwrap();
    assert_eq!(d.form, Form::Exact);
    assert_eq!(
        m.created_statements,
        [
            ACL_SID,
            WRITE_SID,
            DENY_SID,
            LOG_ACL_SID,
            LOG_WRITE_SID,
            LOG_DENY_SID,
            TLS_SID
        ]
    );
    assert_eq!(
        d.added_sources,
        [
            "111111111111",
            "222222222222",
            "arn:aws:logs:*:111111111111:*",
            "arn:aws:logs:*:222222222222:*"
        ]
    );
    for a in ["111111111111", "222222222222"] {
        assert!(
            allowed(&m.policy, &flow_target(a, Some("org"), None)),
            "{a}"
        );
        // issue 22, DL-7: the Region wildcard lets the account's flow logs of every Region through, and
        // no other account's
        for region in ["us-east-1", "eu-west-1", "af-south-1"] {
            let t = crate::plan::evaluate::Delivery {
                source_arn: format!("arn:aws:logs:{region}:{a}:vpc-flow-log-delivery"),
                region: region.into(),
                ..flow_target(a, Some("org"), None)
            };
            assert!(allowed(&m.policy, &t), "{a} {region}");
            let other = crate::plan::evaluate::Delivery {
                source_arn: format!("arn:aws:logs:{region}:333333333333:vpc-flow-log-delivery"),
                ..t
            };
            assert!(
                !allowed(&m.policy, &other),
                "{a} {region}: another account's source"
            );
        }
    }
    // another account, the wrong prefix, or a key under another account's folder: no (another Region of
    // the same account: yes, issue 22)
    assert!(!allowed(
        &m.policy,
        &flow_target("333333333333", Some("org"), None)
    ));
    let other_region = crate::plan::evaluate::Delivery {
        source_arn: "arn:aws:logs:us-east-1:111111111111:vpc-flow-log-delivery".into(),
        ..flow_target("111111111111", Some("org"), None)
    };
    assert!(allowed(&m.policy, &other_region));
    assert!(!allowed(
        &m.policy,
        &flow_target("111111111111", None, None)
    ));
    let into_other = flow_target("111111111111", Some("org/AWSLogs/222222222222"), None);
    let v = crate::plan::evaluate::check_delivery(&m.policy, &into_other);
    assert_eq!(v.write.sid(), Some(LOG_DENY_SID), "{v:?}");
    // idempotent
    let again = merge(Some(&m.policy), &with_flow(input(&b, Some(&p), &e), &flow)).unwrap();
    assert!(!again.changed, "{again:#?}");
    assert_eq!(again.text, m.text);
}

/// Without `[flow_logs]` (or without its `s3` destination) the policy is what it was before issue 11.
#[test]
fn no_flow_logs_no_delivery_statements() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222"]);
    let m = merge(None, &input(&b, None, &e)).unwrap();
    assert!(m.log_delivery.is_none());
    assert!(!m.text.contains(LOG_DELIVERY));
}

/// Flow logs are not trails: an account whose trail is someone else's (no CloudTrail entry of
/// trailhub's) still gets the delivery.logs statements, and the merge needs no trail at all.
#[test]
fn flow_logs_without_trails() {
    let b: BucketName = "sec-log".parse().unwrap();
    let flow: Vec<AccountId> = vec!["222222222222".parse().unwrap()];
    let m = merge(None, &with_flow(input(&b, None, &[]), &flow)).unwrap();
    assert_eq!(
        m.created_statements,
        [LOG_ACL_SID, LOG_WRITE_SID, LOG_DENY_SID, TLS_SID]
    );
    assert!(allowed(&m.policy, &flow_target("222222222222", None, None)));
    assert!(!m.text.contains(CLOUDTRAIL));
}

/// AWS attaches `AWSLogDeliveryWrite` and `AWSLogDeliveryAclCheck` itself: they are someone else's
/// statements, kept byte for byte; trailhub's go beside them under its own Sids.
#[test]
fn aws_own_log_delivery_statements_are_kept_as_foreign() {
    let b: BucketName = "sec-log".parse().unwrap();
    let live = parse_live(r#"{"Version":"2012-10-17","Statement":[
      {"Sid":"AWSLogDeliveryWrite","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999","s3:x-amz-acl":"bucket-owner-full-control"},"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:999999999999:*"}}},
      {"Sid":"AWSLogDeliveryAclCheck","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"},"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:999999999999:*"}}}]}"#).unwrap();
    let e = entries(&["222222222222"]);
    let flow = ids(&e);
    let inp = with_flow(input(&b, None, &e), &flow);
    let m = merge(Some(&live), &inp).unwrap();
    let st = m.policy["Statement"].as_array().unwrap();
    assert_eq!(st[0], live["Statement"][0]);
    assert_eq!(st[1], live["Statement"][1]);
    assert_eq!(
        st.len(),
        9,
        "AWS's two, trailhub's three and three, its TLS Deny"
    );
    let d = m.log_delivery.as_ref().unwrap();
    assert!(d.kept_sources.is_empty(), "AWS's are not trailhub's: {d:?}");
    assert!(allowed(&m.policy, &flow_target("222222222222", None, None)));
    let again = merge(Some(&m.policy), &inp).unwrap();
    assert!(!again.changed, "{again:#?}");
}

#[test]
fn a_log_delivery_statement_of_another_shape_is_a_sid_conflict() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222"]);
    let flow = ids(&e);
    let cond = r#""Condition":{"StringEquals":{"aws:SourceAccount":"222222222222"}}"#;
    let p = r#""Principal":{"Service":"delivery.logs.amazonaws.com"}"#;
    for bad in [
        format!(
            r#"{{"Sid":"TrailhubLogDeliveryWrite","Effect":"Deny",{p},"Action":"s3:PutObject","Resource":"*",{cond}}}"#
        ),
        format!(
            r#"{{"Sid":"TrailhubLogDeliveryWrite","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"*",{cond}}}"#
        ),
        format!(
            r#"{{"Sid":"TrailhubLogDeliveryAclCheck","Effect":"Allow",{p},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log",{cond}}}"#
        ),
        format!(
            r#"{{"Sid":"TrailhubLogDeliveryAclCheck","Effect":"Allow",{p},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"arn:aws:s3:::sec-log"}}"#
        ),
        format!(
            r#"{{"Sid":"TrailhubLogDeliveryAclCheck","Effect":"Allow",{p},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"arn:aws:s3:::sec-log","Condition":{{"ArnLike":{{"aws:SourceArn":"arn:aws:logs:*:*:*"}}}}}}"#
        ),
        format!(
            r#"{{"Sid":"TrailhubLogDeliveryWrite","Effect":"Allow",{p},"Action":"s3:PutObject","Resource":"*","Condition":{{"StringEquals":{{"aws:SourceAccount":"222222222222","s3:x-amz-acl":"private"}}}}}}"#
        ),
        format!(
            r#"{{"Sid":"TrailhubLogDeliveryWrite","Effect":"Allow",{p},"Action":"s3:PutObject","Resource":"*","Condition":{{"StringEquals":{{"aws:SourceAccount":"222222222222","aws:SourceOrgID":"o-abc"}}}}}}"#
        ),
        r#"{"Sid":"TrailhubDenyLogDeliveryIntoAnotherFolder","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"},{"Sid":"TrailhubDenyLogDeliveryIntoAnotherFolder","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}"#.to_owned(),
    ] {
        let live = parse_live(&format!(r#"{{"Statement":[{bad}]}}"#)).unwrap();
        let r = merge(Some(&live), &with_flow(input(&b, None, &e), &flow));
        assert!(
            matches!(r, Err(PolicyError::SidConflict { .. })),
            "{bad}: {r:?}"
        );
    }
}

/// Values in trailhub's delivery.logs statements that the config does not name are kept, whatever the
/// form; a form that would narrow them cannot be used.
#[test]
fn log_delivery_values_the_config_does_not_name_are_kept() {
    let b: BucketName = "sec-log".parse().unwrap();
    let old = "arn:aws:logs:us-east-1:999999999999:*";
    let live = parse_live(&format!(r#"{{"Statement":[
      {{"Sid":"TrailhubLogDeliveryAclCheck","Effect":"Allow","Principal":{{"Service":"delivery.logs.amazonaws.com"}},"Action":["s3:ListBucket","s3:GetBucketAcl"],"Resource":"arn:aws:s3:::sec-log","Condition":{{"StringEquals":{{"aws:SourceAccount":"999999999999"}},"ArnLike":{{"aws:SourceArn":"{old}"}}}}}},
      {{"Sid":"TrailhubLogDeliveryWrite","Effect":"Allow","Principal":{{"Service":"delivery.logs.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{{"StringEquals":{{"aws:SourceAccount":"999999999999","s3:x-amz-acl":"bucket-owner-full-control"}},"ArnLike":{{"aws:SourceArn":"{old}"}},"IpAddress":{{"aws:SourceIp":"10.0.0.0/8"}}}}}}]}}"#)).unwrap();
    let e = entries(&["222222222222"]);
    let flow = ids(&e);
    let inp = with_flow(input(&b, None, &e), &flow);
    let m = merge(Some(&live), &inp).unwrap();
    let d = m.log_delivery.as_ref().unwrap();
    assert_eq!(d.form, Form::Exact);
    assert_eq!(d.kept_sources, ["999999999999", old]);
    assert_eq!(
        d.kept_resources,
        ["arn:aws:s3:::sec-log/AWSLogs/999999999999/*"]
    );
    assert_eq!(
        d.added_sources,
        ["222222222222", "arn:aws:logs:*:222222222222:*"]
    );
    assert!(m.created_statements == [ACL_SID, WRITE_SID, DENY_SID, LOG_DENY_SID, TLS_SID]);
    // in place, the condition trailhub does not manage kept
    assert_eq!(
        m.policy["Statement"][1]["Condition"]["IpAddress"],
        json!({"aws:SourceIp": "10.0.0.0/8"})
    );
    let again = merge(Some(&m.policy), &inp).unwrap();
    assert!(!again.changed, "{again:#?}");

    // smaller forms fold the kept logs ARN into its account; once whole accounts are allowed, the exact
    // form (which names logs ARNs) would narrow them and cannot be used
    let pinned = PolicyInput {
        form: PolicyForm::Pinned(Form::SourceAccount),
        ..inp.clone()
    };
    let m = merge(Some(&m.policy), &pinned).unwrap();
    let d = m.log_delivery.as_ref().unwrap();
    assert_eq!(d.form, Form::SourceAccount);
    assert_eq!(d.kept_sources, ["999999999999"]);
    assert!(d.rewritten_sources.contains(&old.to_owned()), "{d:?}");
    let back = merge(Some(&m.policy), &inp).unwrap();
    let d = back.log_delivery.as_ref().unwrap();
    assert_eq!(d.form, Form::SourceAccount, "{:?}", d.form_sizes);
    assert!(
        d.form_sizes[0]
            .unusable
            .as_deref()
            .is_some_and(|w| w.contains("whole accounts")),
        "{:?}",
        d.form_sizes
    );
    // the delivery.logs statements stay as they are (the CloudTrail ones go back to the exact form)
    let sid = |p: &Value, sid: &str| {
        p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .cloned()
    };
    for s in [LOG_ACL_SID, LOG_WRITE_SID] {
        assert_eq!(sid(&back.policy, s), sid(&m.policy, s), "{s}");
    }
}

/// One 20 KB for both families: flow logs for the same accounts make the CloudTrail statements step
/// down sooner, and each combination is the most specific that fits (the widest family as narrow as
/// possible first).
#[test]
fn both_families_share_one_size_budget() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = many(60);
    let alone = merge(None, &input(&b, None, &e)).unwrap();
    assert_eq!(alone.form, Form::Exact);
    let flow = ids(&e);
    let both = merge(None, &with_flow(input(&b, None, &e), &flow)).unwrap();
    assert_eq!(both.form, Form::AccountArns, "{:?}", both.form_sizes);
    assert!(both.size <= SIZE_LIMIT);
    // the CloudTrail exact form passed over: too large with the delivery.logs statements in their form
    assert!(both.form_sizes[0].size.unwrap() > SIZE_LIMIT);
    assert!(alone.form_sizes[0].size.unwrap() <= SIZE_LIMIT);
    let d = both.log_delivery.as_ref().unwrap();
    assert_eq!(d.form, Form::Exact);
    assert_eq!(d.form_sizes.last().unwrap().size, Some(both.size));
    assert_eq!(both.text.len(), both.size);
}

#[test]
fn combinations_step_down_as_the_accounts_grow() {
    let b: BucketName = "sec-log".parse().unwrap();
    use Form as D;
    for (n, ct, dl) in [
        (30, Form::Exact, D::Exact),
        (60, Form::AccountArns, D::Exact),
        (69, Form::Exact, D::SourceAccount),
        (80, Form::AccountArns, D::SourceAccount),
        (100, Form::SourceAccount, D::SourceAccount),
        (150, Form::SourceAccount, D::SharedPrefix),
        (250, Form::SharedPrefix, D::SharedPrefix),
    ] {
        let e = many(n);
        let flow = ids(&e);
        let inp = with_flow(input(&b, None, &e), &flow);
        let m = merge(None, &inp).unwrap();
        let d = m.log_delivery.as_ref().unwrap();
        assert_eq!(
            (m.form, d.form),
            (ct, dl),
            "{n}: {:?} {:?}",
            m.form_sizes,
            d.form_sizes
        );
        assert!(m.size <= SIZE_LIMIT);
        for x in [&e[0], &e[e.len() - 1]] {
            assert!(allowed(
                &m.policy,
                &flow_target(x.account.as_str(), None, None)
            ));
        }
        let again = merge(Some(&m.policy), &inp).unwrap();
        assert!(!again.changed, "{n}");
    }
    // past that, only an organization fits
    let e = many(1_000);
    let flow = ids(&e);
    let err = merge(None, &with_flow(input(&b, None, &e), &flow)).unwrap_err();
    let PolicyError::TooLarge { log_sizes, fit, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(log_sizes.len(), family::LOG_DELIVERY_FAMILY.forms.len());
    assert!((20..60).contains(fit), "{err}");
    assert!(
        err.to_string()
            .contains("the delivery.logs statements: exact is"),
        "{err}"
    );
    let org = Org {
        id: "o-abc123defg".into(),
        members: e.iter().map(|x| x.account.to_string()).collect(),
    };
    let inp = PolicyInput {
        org: Some(&org),
        ..with_flow(input(&b, None, &e), &flow)
    };
    let m = merge(None, &inp).unwrap();
    let d = m.log_delivery.as_ref().unwrap();
    assert_eq!((m.form, d.form), (Form::Organization, D::Organization));
    assert!(m.size < 2_000, "{}", m.size);
    let member = flow_target(e[500].account.as_str(), None, Some("o-abc123defg"));
    assert!(allowed(&m.policy, &member));
    // without aws:SourceOrgID in the request (if delivery.logs does not send it), refused: it shows
    assert!(!allowed(
        &m.policy,
        &flow_target(e[500].account.as_str(), None, None)
    ));
}

/// A pinned `policy_form` pins the delivery.logs statements to its counterpart.
#[test]
fn a_pinned_form_pins_both_families() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = many(3);
    let flow = ids(&e);
    for (pin, dl) in [
        (PolicyForm::Pinned(Form::Exact), Form::Exact),
        (PolicyForm::Pinned(Form::AccountArns), Form::Exact),
        (PolicyForm::Pinned(Form::SourceAccount), Form::SourceAccount),
        (PolicyForm::Pinned(Form::SharedPrefix), Form::SharedPrefix),
    ] {
        let inp = PolicyInput {
            form: pin,
            ..with_flow(input(&b, None, &e), &flow)
        };
        let m = merge(None, &inp).unwrap();
        assert_eq!(m.log_delivery.unwrap().form, dl, "{pin:?}");
    }
}

/// Issue 20, point 9 (DL-6): with Hive-compatible partitions delivery.logs writes
/// `AWSLogs/aws-account-id=<id>/aws-service=vpcflowlogs/...`; every form grants that layout (the per-account
/// forms name `aws-account-id=<id>/*`, the compact ones `AWSLogs/*`), and the evaluator judges the Hive key.
#[test]
fn hive_partitions_are_granted_in_every_form() {
    let b: BucketName = "sec-log".parse().unwrap();
    let p: KeyPrefix = "org".parse().unwrap();
    let e = many(3);
    let flow = ids(&e);
    let org = Org {
        id: "o-abc123defg".into(),
        members: e.iter().map(|x| x.account.to_string()).collect(),
    };
    let hive_target = |account: &str, org: Option<&str>| crate::plan::evaluate::Delivery {
        log_kind: crate::plan::layout::HIVE_FLOW_LOGS.into(),
        ..flow_target(account, Some("org"), org)
    };
    let key = hive_target("100000000001", None).object_key();
    assert_eq!(
        key,
        "org/AWSLogs/aws-account-id=100000000001/aws-service=vpcflowlogs/aws-region=ap-northeast-2/year=2026/month=01/day=01/100000000001_vpcflowlogs_ap-northeast-2_fl-x_20260101T0000Z_x.log.gz"
    );
    for (pin, per_account) in [
        (Form::Exact, true),
        (Form::SourceAccount, true),
        (Form::SharedPrefix, false),
        (Form::Organization, false),
    ] {
        let base = with_flow(input(&b, Some(&p), &e), &flow);
        let inp = PolicyInput {
            form: PolicyForm::Pinned(pin),
            org: Some(&org),
            flow_logs: FlowLogAccounts {
                hive: true,
                ..base.flow_logs
            },
            ..base
        };
        let m = merge(None, &inp).unwrap();
        assert_eq!(m.log_delivery.as_ref().unwrap().form, pin);
        let org_id = (pin == Form::Organization).then_some("o-abc123defg");
        for x in &e {
            let a = x.account.as_str();
            assert!(allowed(&m.policy, &hive_target(a, org_id)), "{pin:?} {a}");
            let folder = format!("arn:aws:s3:::sec-log/org/AWSLogs/aws-account-id={a}/*");
            assert_eq!(m.text.contains(&folder), per_account, "{pin:?}: {}", m.text);
        }
        // a per-account form written for the plain layout does not let the Hive keys through
        if per_account {
            let plain = merge(
                None,
                &PolicyInput {
                    form: PolicyForm::Pinned(pin),
                    ..with_flow(input(&b, Some(&p), &e), &flow)
                },
            )
            .unwrap();
            assert!(
                !allowed(&plain.policy, &hive_target("100000000001", None)),
                "{pin:?}"
            );
        }
        let again = merge(Some(&m.policy), &inp).unwrap();
        assert!(!again.changed, "{pin:?}");
    }
}

/// DL-6 at scale: with Hive-compatible partitions, 10,000 accounts still fit in 20 KB in the organization
/// form (its one `AWSLogs/*` resource covers the Hive keys), and a member's Hive key is allowed.
#[test]
fn hive_partitions_at_10000_accounts_fit_in_the_organization_form() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = many(10_000);
    let flow = ids(&e);
    let org = Org {
        id: "o-abc123defg".into(),
        members: e.iter().map(|x| x.account.to_string()).collect(),
    };
    let base = with_flow(input(&b, None, &e), &flow);
    let inp = PolicyInput {
        org: Some(&org),
        flow_logs: FlowLogAccounts {
            hive: true,
            ..base.flow_logs
        },
        ..base
    };
    let m = merge(None, &inp).unwrap();
    let d = m.log_delivery.as_ref().unwrap();
    assert_eq!((m.form, d.form), (Form::Organization, Form::Organization));
    assert!(m.size <= SIZE_LIMIT, "{}", m.size);
    let member = crate::plan::evaluate::Delivery {
        log_kind: crate::plan::layout::HIVE_FLOW_LOGS.into(),
        ..flow_target(e[9_999].account.as_str(), None, Some("o-abc123defg"))
    };
    assert!(allowed(&m.policy, &member));
}

/// Issue 20, point 7: `auto` takes the documented forms while they fit; a fit that needs the organization form
/// for delivery.logs says that those statements rest on IAM's global rule only (in the JSON too), while the
/// CloudTrail statements, still in a documented form, do not.
#[test]
fn the_organization_form_rests_on_the_global_rule_and_says_so() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = many(5);
    let few = ids(&e);
    let m = merge(None, &with_flow(input(&b, None, &e), &few)).unwrap();
    let d = m.log_delivery.as_ref().unwrap();
    assert_eq!(
        (m.evidence.basis, d.evidence.basis),
        (Basis::Documented, Basis::Documented)
    );
    assert_eq!(m.evidence.rule, "CT-1");
    assert_eq!(
        d.evidence.page,
        "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html"
    );
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["evidence"], "documented");
    assert_eq!(json["log_delivery"]["evidence"], "documented");

    // a thousand accounts' flow logs, five trails: only the organization fits for delivery.logs
    let flow = ids(&many(1_000));
    let org = Org {
        id: "o-abc123defg".into(),
        members: flow.iter().map(ToString::to_string).collect(),
    };
    let inp = PolicyInput {
        org: Some(&org),
        ..with_flow(input(&b, None, &e), &flow)
    };
    let m = merge(None, &inp).unwrap();
    let d = m.log_delivery.as_ref().unwrap();
    assert_eq!(d.form, Form::Organization);
    assert!(m.form < Form::Organization, "{:?}", m.form);
    assert_eq!(m.evidence.basis, Basis::Documented);
    assert_eq!(d.evidence.basis, Basis::GlobalConditionKey);
    assert_eq!(
        (d.evidence.page, d.evidence.rule),
        (evidence::GLOBAL_PAGE, "DL-3")
    );
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["evidence"], "documented");
    assert_eq!(json["log_delivery"]["evidence"], "global-condition-key");
    assert_eq!(json["log_delivery"]["evidence_rule"], "DL-3");
}

/// The TLS-only Deny (S3-14): what a new policy holds, what a policy of an older trailhub gains on the next
/// apply, and that a second merge changes nothing.
#[test]
fn the_tls_deny_is_added_once_and_an_older_policy_gains_it() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222"]);
    let m = merge(None, &input(&b, None, &e)).unwrap();
    let tls = |p: &Value| -> Vec<Value> {
        p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Sid"] == TLS_SID)
            .cloned()
            .collect()
    };
    assert_eq!(
        tls(&m.policy),
        [
            json!({"Sid": TLS_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
        ]
    );
    let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
    assert!(!again.changed);
    assert!(again.created_statements.is_empty());
    assert_eq!(again.policy, m.policy);

    // a policy an older trailhub wrote (no TLS Deny) gains it, and only it
    let mut older = m.policy.clone();
    older["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Sid"] != TLS_SID);
    let upgraded = merge(Some(&older), &input(&b, None, &e)).unwrap();
    assert!(upgraded.changed);
    assert_eq!(upgraded.created_statements, [TLS_SID]);
    assert_eq!(upgraded.policy, m.policy);

    // trailhub's own, edited by someone: set right in place
    let mut edited = m.policy.clone();
    let at = edited["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["Sid"] == TLS_SID)
        .unwrap();
    edited["Statement"][at]["Resource"] = json!("arn:aws:s3:::sec-log/*");
    let fixed = merge(Some(&edited), &input(&b, None, &e)).unwrap();
    assert!(fixed.changed && fixed.created_statements.is_empty());
    assert_eq!(fixed.policy, m.policy);
}

/// Another team's equivalent Deny (any Sid, `Bool` or `BoolIfExists`, `s3:*` over the bucket and its
/// objects) counts as present: kept byte for byte, and no second one is added; a narrower one (objects
/// only) does not count.
#[test]
fn a_foreign_tls_deny_counts_and_a_narrower_one_does_not() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222"]);
    let foreign = json!({"Sid": "AllowSSLRequestsOnly", "Action": "s3:*", "Effect": "Deny",
        "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
        "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}, "Principal": {"AWS": "*"}});
    let live = json!({"Version": "2012-10-17", "Statement": [foreign]});
    let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
    assert_eq!(m.policy["Statement"][0], foreign);
    assert!(!m.created_statements.contains(&TLS_SID.to_owned()));
    let sids: Vec<&Value> = m.policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["Sid"])
        .collect();
    assert!(!sids.contains(&&json!(TLS_SID)), "{sids:?}");
    assert!(
        !merge(Some(&m.policy), &input(&b, None, &e))
            .unwrap()
            .changed
    );

    let mut narrower = foreign.clone();
    narrower["Resource"] = json!("arn:aws:s3:::sec-log/*");
    let live = json!({"Version": "2012-10-17", "Statement": [narrower]});
    let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
    assert_eq!(m.policy["Statement"][0], narrower, "kept as it is");
    assert!(m.created_statements.contains(&TLS_SID.to_owned()));
}

/// The fitter counts the TLS Deny: the size it reports is the size of the text written, Deny included.
#[test]
fn the_fitter_counts_the_tls_deny() {
    let b: BucketName = "sec-log".parse().unwrap();
    let e = many(40);
    let m = merge(None, &input(&b, None, &e)).unwrap();
    assert_eq!(m.size, m.text.len());
    assert!(m.text.contains(TLS_SID));
}

/// The services deliver over TLS (`Delivery` sends `aws:SecureTransport` = true): trailhub's TLS Deny never
/// refuses CloudTrail's or delivery.logs' ACL check or write, and would refuse the same requests made
/// without TLS.
#[test]
fn the_tls_deny_never_refuses_the_services() {
    use crate::plan::evaluate::{Decision, Delivery, evaluate};
    let b: BucketName = "sec-log".parse().unwrap();
    let e = entries(&["222222222222", "111111111111"]);
    let flow = ids(&e);
    let m = merge(None, &with_flow(input(&b, None, &e), &flow)).unwrap();
    assert!(m.text.contains(TLS_SID));
    let trail = Delivery {
        source_arn: "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/T222222222222".into(),
        service: CLOUDTRAIL.into(),
        log_kind: "CloudTrail".into(),
        ..flow_target("222222222222", None, None)
    };
    let flow_log = flow_target("111111111111", None, None);
    for t in [&trail, &flow_log] {
        assert!(allowed(&m.policy, t), "{t:?}");
        for mut req in [t.acl_check_request(), t.write_request()] {
            assert_eq!(req.context["aws:SecureTransport"], "true");
            req.context
                .insert("aws:SecureTransport".into(), "false".into());
            assert_eq!(
                evaluate(&m.policy, &req),
                Decision::ExplicitDeny {
                    sid: Some(TLS_SID.into())
                },
                "{req:?}"
            );
        }
    }
}
