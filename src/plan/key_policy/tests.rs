use super::*;
use crate::plan::evaluate::{Decision, Request, evaluate};
use crate::plan::policy::Basis;

fn account(i: usize) -> AccountId {
    format!("{:012}", 200_000_000_000u64 + i as u64)
        .parse()
        .unwrap()
}

fn trails(n: usize) -> Vec<(AccountId, TrailArn)> {
    (0..n)
        .map(|i| {
            let a = account(i);
            let arn = TrailArn::parse(&format!(
                "arn:aws:cloudtrail:eu-west-1:{a}:trail/trailhub-{a}"
            ))
            .unwrap();
            (a, arn)
        })
        .collect()
}

const KEY: &str = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn merge(
    live: Option<&str>,
    t: &[(AccountId, TrailArn)],
    org: Option<&str>,
) -> Result<KeyMerged, KeyPolicyError> {
    let central: AccountId = "111111111111".parse().unwrap();
    let bucket: BucketName = "sec-log".parse().unwrap();
    let input = KeyInput {
        partition: "aws",
        central: &central,
        bucket: &bucket,
        trails: t,
        flow_log_accounts: &[],
        org_id: org,
        prune: None,
    };
    merge_key_policy(live, &input)
}

#[test]
fn a_new_key_lets_each_trail_encrypt_and_keeps_the_root() {
    let t = trails(3);
    let m = merge(None, &t, None).unwrap();
    assert!(m.changed);
    assert_eq!(m.form, KeyForm::Exact);
    assert!(keeps_admin(
        &m.policy,
        "aws",
        &"111111111111".parse().unwrap()
    ));
    for (_, arn) in &t {
        assert_eq!(cloudtrail_denial(&m.policy, KEY, arn, None, true), None);
    }
    let other = TrailArn::parse("arn:aws:cloudtrail:eu-west-1:999999999999:trail/x").unwrap();
    assert!(cloudtrail_denial(&m.policy, KEY, &other, None, true).is_some());
    assert_eq!(m.foreign, [ROOT_SID]);
    assert_eq!(m.size, m.text.len());
}

#[test]
fn foreign_statements_are_kept_and_a_second_merge_changes_nothing() {
    let live = r#"{"Version":"2012-10-17","Id":"key-consolepolicy-3","Statement":[
      {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
      {"Sid":"Allow use by the SIEM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/siem"},"Action":["kms:Decrypt"],"Resource":"*"},
      {"Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}"#;
    let t = trails(2);
    let m = merge(Some(live), &t, None).unwrap();
    assert!(m.changed);
    let stmts = m.policy["Statement"].as_array().unwrap();
    let live_v: Value = serde_json::from_str(live).unwrap();
    assert_eq!(
        &stmts[..3],
        live_v["Statement"].as_array().unwrap().as_slice()
    );
    assert_eq!(m.foreign, [ROOT_SID, "Allow use by the SIEM", "#3"]);
    let again = merge(Some(&m.text), &t, None).unwrap();
    assert!(!again.changed, "{}", again.text);
    assert_eq!(again.text, m.text);
}

#[test]
fn trails_already_named_are_kept_when_out_of_scope() {
    let first = merge(None, &trails(3), None).unwrap();
    let m = merge(Some(&first.text), &trails(1), None).unwrap();
    assert!(!m.changed);
    assert_eq!(m.kept.len(), 2);
    for (_, arn) in trails(3) {
        assert_eq!(cloudtrail_denial(&m.policy, KEY, &arn, None, true), None);
    }
}

#[test]
fn a_policy_without_the_roots_statement_is_never_written() {
    let live = r#"{"Statement":[{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}]}"#;
    let e = merge(Some(live), &trails(1), None).unwrap_err();
    assert!(matches!(e, KeyPolicyError::Lockout { .. }), "{e}");
    assert!(e.to_string().contains("arn:aws:iam::111111111111:root"));
    // a conditioned root statement does not count: the condition may not hold for the next PutKeyPolicy
    let conditioned = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
    assert!(merge(Some(conditioned), &trails(1), None).is_err());
    let bare = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":["kms:PutKeyPolicy","kms:GetKeyPolicy"],"Resource":"*"}]}"#;
    assert!(merge(Some(bare), &trails(1), None).is_ok());
}

#[test]
fn the_form_steps_down_to_fit_32_kb_and_never_back_up() {
    let many = trails(300);
    let m = merge(None, &many, None).unwrap();
    assert!(m.form > KeyForm::Exact, "{:?} {}", m.form, m.size);
    assert!(m.size <= MAX_KEY_POLICY);
    for (_, arn) in &many {
        assert_eq!(cloudtrail_denial(&m.policy, KEY, arn, None, true), None);
    }
    // once named by account, never by trail again: a trail of a named account is still allowed
    let back = merge(Some(&m.text), &trails(1), None).unwrap();
    assert!(back.form >= KeyForm::SourceAccount);
    assert!(!back.changed);

    assert_eq!(m.evidence.basis, Basis::Documented);
    let org = merge(None, &trails(3_000), Some("o-abc123def4")).unwrap();
    assert_eq!(org.form, KeyForm::Organization);
    // issue 20, point 7: no CloudTrail page documents aws:SourceOrgID for its use of a key
    assert_eq!(org.evidence.basis, Basis::GlobalConditionKey);
    assert_eq!(
        serde_json::to_value(&org).unwrap()["evidence"],
        "global-condition-key"
    );
    let arn = &trails(3_000)[2_999].1;
    assert_eq!(
        cloudtrail_denial(&org.policy, KEY, arn, Some("o-abc123def4"), true),
        None
    );
    assert!(cloudtrail_denial(&org.policy, KEY, arn, None, true).is_some());

    let e = merge(None, &trails(3_000), None).unwrap_err();
    assert!(
        matches!(
            e,
            KeyPolicyError::TooLarge {
                form: KeyForm::Accounts,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_statement_with_trailhubs_sid_but_another_shape_is_refused() {
    let live = r#"{"Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
      {"Sid":"TrailhubCloudTrailEncrypt","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*"}]}"#;
    let e = merge(Some(live), &trails(1), None).unwrap_err();
    assert!(matches!(e, KeyPolicyError::NotOurShape { .. }), "{e}");
    assert!(matches!(
        merge(Some("{not json"), &trails(1), None),
        Err(KeyPolicyError::NotJson(_))
    ));
}

#[test]
fn a_foreign_deny_is_found_by_the_evaluator() {
    let live = r#"{"Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
      {"Sid":"NoCloudTrail","Effect":"Deny","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:*","Resource":"*"}]}"#;
    let t = trails(1);
    let m = merge(Some(live), &t, None).unwrap();
    let why = cloudtrail_denial(&m.policy, KEY, &t[0].1, None, true).unwrap();
    assert!(why.contains("NoCloudTrail"), "{why}");
}

#[test]
fn flow_log_accounts_may_encrypt_with_the_buckets_key() {
    let central: AccountId = "111111111111".parse().unwrap();
    let bucket: BucketName = "sec-log".parse().unwrap();
    let accounts = [account(1), account(2)];
    let input = KeyInput {
        partition: "aws",
        central: &central,
        bucket: &bucket,
        trails: &trails(1),
        flow_log_accounts: &accounts,
        org_id: None,
        prune: None,
    };
    let m = merge_key_policy(None, &input).unwrap();
    for a in &accounts {
        assert_eq!(log_delivery_denial(&m.policy, KEY, a, None), None);
    }
    assert!(log_delivery_denial(&m.policy, KEY, &account(3), None).is_some());
}

/// KMS-9: a key policy of an older trailhub (no `TrailhubCloudTrailDecrypt`) is enough without the Bucket Key,
/// refused with it; a re-run adds the statement, and the run after changes nothing.
#[test]
fn an_older_policy_gains_cloudtrails_decrypt_and_keeps_it() {
    let t = trails(2);
    let now = merge(None, &t, None).unwrap();
    let mut older = now.policy.clone();
    older["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Sid"] != CLOUDTRAIL_DECRYPT);
    for (_, arn) in &t {
        assert_eq!(cloudtrail_denial(&older, KEY, arn, None, false), None);
        let why = cloudtrail_denial(&older, KEY, arn, None, true).unwrap();
        assert!(
            why.contains(
                "no statement allows kms:Decrypt (needed with the bucket's S3 Bucket Key)"
            ),
            "{why}"
        );
    }
    let upgraded = merge(Some(&older.to_string()), &t, None).unwrap();
    assert!(upgraded.changed);
    assert_eq!(upgraded.created, [CLOUDTRAIL_DECRYPT]);
    assert_eq!(
        upgraded.text, now.text,
        "the statement is where a new key has it"
    );
    for (_, arn) in &t {
        assert_eq!(
            cloudtrail_denial(&upgraded.policy, KEY, arn, None, true),
            None
        );
    }
    assert!(!merge(Some(&upgraded.text), &t, None).unwrap().changed);
    // scoped as the Encrypt statement is: another account's trail may not decrypt
    let other = TrailArn::parse("arn:aws:cloudtrail:eu-west-1:999999999999:trail/x").unwrap();
    let decrypt = Request {
        principal_service: CLOUDTRAIL.into(),
        action: "kms:Decrypt".into(),
        resource: KEY.into(),
        context: BTreeMap::from([
            (SOURCE_ARN.to_owned(), other.to_string()),
            (SOURCE_ACCOUNT.to_owned(), other.account.clone()),
        ]),
    };
    assert_eq!(evaluate(&upgraded.policy, &decrypt), Decision::ImplicitDeny);
}

/// The Decrypt statement follows the forms: the account form names the accounts, the organization form the
/// organization, and a trail of a named account (or of the organization) may decrypt.
#[test]
fn cloudtrails_decrypt_follows_the_form() {
    let many = trails(300);
    let m = merge(None, &many, None).unwrap();
    let decrypt = statement(&m.policy, CLOUDTRAIL_DECRYPT);
    let encrypt = statement(&m.policy, ENCRYPT);
    assert_eq!(
        decrypt["Condition"]["StringEquals"],
        encrypt["Condition"]["StringEquals"]
    );
    assert!(m.size <= MAX_KEY_POLICY);
    let org = merge(None, &trails(3_000), Some("o-abc123def4")).unwrap();
    assert_eq!(
        statement(&org.policy, CLOUDTRAIL_DECRYPT)["Condition"]["StringEquals"][SOURCE_ORG],
        "o-abc123def4"
    );
    let arn = &trails(3_000)[17].1;
    assert_eq!(
        cloudtrail_denial(&org.policy, KEY, arn, Some("o-abc123def4"), true),
        None
    );
}

/// A statement of others that denies CloudTrail's Decrypt: the proof names it once the Bucket Key is on.
#[test]
fn a_foreign_deny_of_decrypt_is_named() {
    let live = r#"{"Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
      {"Sid":"NoServiceDecrypt","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"aws:PrincipalIsAWSService":"true"}}}]}"#;
    let t = trails(1);
    let m = merge(Some(live), &t, None).unwrap();
    assert_eq!(
        cloudtrail_denial(&m.policy, KEY, &t[0].1, None, false),
        None
    );
    let source = crate::plan::evaluate::Source {
        account: t[0].0.as_str(),
        arn: None,
        org_id: None,
        org_path: None,
    };
    let context = crate::plan::evaluate::service_context(CLOUDTRAIL, &source);
    let req = Request {
        principal_service: CLOUDTRAIL.into(),
        action: "kms:Decrypt".into(),
        resource: KEY.into(),
        context,
    };
    assert_eq!(
        evaluate(&m.policy, &req),
        Decision::ExplicitDeny {
            sid: Some("NoServiceDecrypt".into())
        }
    );
    // a Deny of CloudTrail's Decrypt on the key is named in the proof
    let all = r#"{"Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
      {"Sid":"NoDecrypt","Effect":"Deny","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}]}"#;
    let m = merge(Some(all), &t, None).unwrap();
    let named = cloudtrail_denial(&m.policy, KEY, &t[0].1, None, true).unwrap();
    assert!(
        named.contains(
            "kms:Decrypt (needed with the bucket's S3 Bucket Key) is denied by statement NoDecrypt"
        ),
        "{named}"
    );
    assert_eq!(
        cloudtrail_denial(&m.policy, KEY, &t[0].1, None, false),
        None
    );
}

fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no {sid} in {policy}"))
}

/// KMS-10: what central readers' Decrypt carries, with and without the bucket's S3 Bucket Key, and the
/// evaluator's verdict on the key policy trailhub writes. S3 appends `aws:s3:arn` to the context the writer
/// gave (the object's ARN, or the bucket's with a Bucket Key); CloudTrail gives `aws:cloudtrail:arn`, which
/// stays. So `TrailhubDecryptLogs` (the CloudTrail context present) reads the log files either way, and
/// `TrailhubDecryptBucketObjects` (`aws:s3:arn` the bucket or under it) the flow logs either way.
#[test]
fn central_readers_decrypt_with_and_without_the_bucket_key() {
    let central: AccountId = "111111111111".parse().unwrap();
    let bucket: BucketName = "sec-log".parse().unwrap();
    let t = trails(1);
    let input = KeyInput {
        partition: "aws",
        central: &central,
        bucket: &bucket,
        trails: &t,
        flow_log_accounts: &[account(0)],
        org_id: None,
        prune: None,
    };
    // a key whose administrators may only manage it (no AWS default "kms:*" for the root, which would
    // allow every Decrypt as IAM allows): only trailhub's statements let readers decrypt
    let admin = r#"{"Statement":[{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":["kms:PutKeyPolicy","kms:GetKeyPolicy"],"Resource":"*"}]}"#;
    let m = merge_key_policy(Some(admin), &input).unwrap();
    let trail = t[0].1.to_string();
    let a = account(0);
    let log_file = format!(
        "arn:aws:s3:::sec-log/AWSLogs/{a}/CloudTrail/eu-west-1/2026/12/07/{a}_CloudTrail_eu-west-1_20261207T0000Z_x.json.gz"
    );
    let flow_log =
        format!("arn:aws:s3:::sec-log/AWSLogs/{a}/vpcflowlogs/eu-west-1/2026/12/07/x.log.gz");
    let read = |caller: &str, cloudtrail: Option<&str>, s3: &str| {
        let mut context = BTreeMap::from([
            ("kms:CallerAccount".to_owned(), caller.to_owned()),
            ("kms:EncryptionContext:aws:s3:arn".to_owned(), s3.to_owned()),
        ]);
        if let Some(c) = cloudtrail {
            context.insert(CLOUDTRAIL_CONTEXT.to_owned(), c.to_owned());
        }
        let req = Request {
            principal_service: format!("arn:aws:iam::{caller}:root"),
            action: "kms:Decrypt".into(),
            resource: KEY.into(),
            context,
        };
        evaluate(&m.policy, &req)
    };
    let allowed_by = |sid: &str| Decision::Allow {
        sid: Some(sid.to_owned()),
    };
    let c = central.as_str();
    // CloudTrail's log files: the trail's context, and the object's ARN (no Bucket Key) or the bucket's
    assert_eq!(read(c, Some(&trail), &log_file), allowed_by(DECRYPT));
    assert_eq!(
        read(c, Some(&trail), "arn:aws:s3:::sec-log"),
        allowed_by(DECRYPT)
    );
    // flow logs, under the bucket's default encryption: only aws:s3:arn
    assert_eq!(read(c, None, &flow_log), allowed_by(DECRYPT_OBJECTS));
    assert_eq!(
        read(c, None, "arn:aws:s3:::sec-log"),
        allowed_by(DECRYPT_OBJECTS)
    );
    // not another bucket's objects, nor another account's callers
    assert_eq!(
        read(c, None, "arn:aws:s3:::other-bucket"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        read(c, None, "arn:aws:s3:::sec-log-2/x"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        read("222222222222", None, "arn:aws:s3:::sec-log"),
        Decision::ImplicitDeny
    );
}
