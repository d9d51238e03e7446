use super::*;

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
        assert_eq!(cloudtrail_denial(&m.policy, KEY, arn, None), None);
    }
    let other = TrailArn::parse("arn:aws:cloudtrail:eu-west-1:999999999999:trail/x").unwrap();
    assert!(cloudtrail_denial(&m.policy, KEY, &other, None).is_some());
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
        assert_eq!(cloudtrail_denial(&m.policy, KEY, &arn, None), None);
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
        assert_eq!(cloudtrail_denial(&m.policy, KEY, arn, None), None);
    }
    // once named by account, never by trail again: a trail of a named account is still allowed
    let back = merge(Some(&m.text), &trails(1), None).unwrap();
    assert!(back.form >= KeyForm::SourceAccount);
    assert!(!back.changed);

    let org = merge(None, &trails(3_000), Some("o-abc123def4")).unwrap();
    assert_eq!(org.form, KeyForm::Organization);
    let arn = &trails(3_000)[2_999].1;
    assert_eq!(
        cloudtrail_denial(&org.policy, KEY, arn, Some("o-abc123def4")),
        None
    );
    assert!(cloudtrail_denial(&org.policy, KEY, arn, None).is_some());

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
    let why = cloudtrail_denial(&m.policy, KEY, &t[0].1, None).unwrap();
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
