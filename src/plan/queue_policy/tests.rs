use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;

const QUEUE: &str = "arn:aws:sqs:ap-northeast-2:111111111111:security-alarms";

fn topics(n: usize) -> Vec<(AccountId, String)> {
    (0..n)
        .map(|i| {
            let id = format!("{:012}", 200_000_000_000u64 + i as u64);
            let topic = format!("arn:aws:sns:ap-northeast-2:{id}:trailhub-security-alarms");
            (id.parse().unwrap(), topic)
        })
        .collect()
}

fn input<'a>(topics: &'a [(AccountId, String)], org: Option<&'a str>) -> QueueInput<'a> {
    QueueInput {
        queue_arn: QUEUE,
        topics,
        org_id: org,
        prune: None,
    }
}

/// Another team's statements: a consumer role may receive, and a Deny of clear-text requests.
fn foreign() -> Value {
    json!({"Version": "2012-10-17", "Id": "team-queue", "Statement": [
        {"Sid": "ConsumerReads", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/soc"},
         "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": QUEUE},
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]})
}

fn stmts(v: &Value) -> &Vec<Value> {
    v["Statement"].as_array().unwrap()
}

#[test]
fn a_queue_without_a_policy_gets_one_statement_naming_exactly_the_topics() {
    let t = topics(3);
    let m = merge_queue_policy(None, &input(&t, None)).unwrap();
    assert!(m.changed);
    assert_eq!(m.form, QueueForm::Exact);
    let s = &stmts(&m.policy)[0];
    assert_eq!(s["Sid"], QUEUE_SID);
    assert_eq!(s["Principal"], json!({"Service": "sns.amazonaws.com"}));
    assert_eq!(s["Action"], "sqs:SendMessage");
    assert_eq!(s["Resource"], QUEUE);
    let named: BTreeSet<String> = strings(s["Condition"]["ArnEquals"].get("aws:SourceArn"))
        .into_iter()
        .collect();
    assert_eq!(named, t.iter().map(|(_, a)| a.clone()).collect());
    assert!(denials(Some(&m.policy), QUEUE, &t, None).is_empty());
    // a topic of another account, or of another name, may not send
    let other = [(
        "999999999999".parse().unwrap(),
        "arn:aws:sns:ap-northeast-2:999999999999:trailhub-security-alarms".to_owned(),
    )];
    assert_eq!(denials(Some(&m.policy), QUEUE, &other, None).len(), 1);
}

#[test]
fn others_statements_are_kept_verbatim_and_in_place() {
    let t = topics(2);
    let live = foreign().to_string();
    let m = merge_queue_policy(Some(&live), &input(&t, None)).unwrap();
    let before = foreign();
    assert_eq!(stmts(&m.policy)[..2], stmts(&before)[..]);
    assert_eq!(m.policy["Id"], "team-queue");
    assert_eq!(m.foreign, ["ConsumerReads", "#2"]);
    assert!(denials(Some(&m.policy), QUEUE, &t, None).is_empty());

    // a second merge over what was written changes nothing
    let again = merge_queue_policy(Some(&m.text), &input(&t, None)).unwrap();
    assert!(!again.changed);
    assert_eq!(again.policy, m.policy);
    // and trailhub's statement stays where it was when another writer appends after it
    let mut later = m.policy.clone();
    later["Statement"].as_array_mut().unwrap().push(json!({"Sid": "Later", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sqs:GetQueueAttributes", "Resource": QUEUE}));
    let more = topics(3);
    let m3 = merge_queue_policy(Some(&later.to_string()), &input(&more, None)).unwrap();
    assert_eq!(stmts(&m3.policy)[2]["Sid"], QUEUE_SID);
    assert_eq!(stmts(&m3.policy)[3]["Sid"], "Later");
    assert_eq!(m3.added, [more[2].1.clone()]);
}

#[test]
fn topics_already_named_are_kept_until_pruned() {
    let t = topics(3);
    let first = merge_queue_policy(None, &input(&t, None)).unwrap();
    let fewer = &t[..1];
    let m = merge_queue_policy(Some(&first.text), &input(fewer, None)).unwrap();
    assert!(!m.changed, "narrowing needs a prune");
    assert_eq!(m.kept.len(), 2);
    let in_scope: BTreeSet<String> = [t[0].0.to_string()].into();
    let kept = BTreeSet::new();
    let pruning = QueueInput {
        prune: Some(Gone::NotIn {
            in_scope: &in_scope,
            kept: &kept,
        }),
        ..input(fewer, None)
    };
    let p = merge_queue_policy(Some(&first.text), &pruning).unwrap();
    assert!(p.changed);
    assert_eq!(p.pruned.len(), 2);
    assert!(denials(Some(&p.policy), QUEUE, fewer, None).is_empty());
    assert_eq!(denials(Some(&p.policy), QUEUE, &t, None).len(), 2);
}

#[test]
fn many_topics_compact_to_their_accounts_then_to_the_organization() {
    // about 110 topic ARNs fit in 8,192 bytes; 300 accounts fit by account
    let t = topics(300);
    let m = merge_queue_policy(None, &input(&t, None)).unwrap();
    assert_eq!(m.form, QueueForm::Accounts);
    assert!(m.size <= MAX_QUEUE_POLICY);
    assert!(!m.evidence.is_global() || m.form != QueueForm::Exact);
    assert!(denials(Some(&m.policy), QUEUE, &t, None).is_empty());
    let stranger = [(
        "999999999999".parse().unwrap(),
        "arn:aws:sns:ap-northeast-2:999999999999:trailhub-security-alarms".to_owned(),
    )];
    assert_eq!(denials(Some(&m.policy), QUEUE, &stranger, None).len(), 1);

    // 10,000 accounts: only the organization form fits
    let t = topics(10_000);
    let m = merge_queue_policy(None, &input(&t, Some("o-abc123"))).unwrap();
    assert_eq!(m.form, QueueForm::Organization);
    assert!(m.size < 1_000, "{}", m.size);
    assert!(denials(Some(&m.policy), QUEUE, &t, Some("o-abc123")).is_empty());
    // a topic of the same name outside the organization may not send
    assert_eq!(
        denials(Some(&m.policy), QUEUE, &stranger, Some("o-other")).len(),
        1
    );
    // and once compacted, a later merge never goes back to a wider... narrower form it cannot prove
    let again = merge_queue_policy(Some(&m.text), &input(&t[..3], Some("o-abc123"))).unwrap();
    assert_eq!(again.form, QueueForm::Organization);
    assert!(!again.changed);
}

#[test]
fn too_many_topics_without_an_organization_is_refused_naming_the_queue() {
    let t = topics(10_000);
    let e = merge_queue_policy(None, &input(&t, None)).unwrap_err();
    assert!(
        matches!(
            e,
            QueuePolicyError::TooLarge {
                form: QueueForm::Accounts,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(QUEUE) && text.contains("runbooks/alarm-queue.md#queue-policy-too-large"),
        "{text}"
    );
}

#[test]
fn a_policy_that_is_not_json_or_has_20_statements_is_refused() {
    let t = topics(1);
    let e = merge_queue_policy(Some("{not json"), &input(&t, None)).unwrap_err();
    assert!(matches!(e, QueuePolicyError::NotJson { .. }));
    assert!(e.to_string().contains(QUEUE));
    assert!(matches!(
        merge_queue_policy(Some("[1]"), &input(&t, None)),
        Err(QueuePolicyError::NotJson { .. })
    ));
    let full: Vec<Value> = (0..20)
        .map(|i| json!({"Sid": format!("S{i}"), "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sqs:GetQueueUrl", "Resource": QUEUE}))
        .collect();
    let live = json!({"Version": "2012-10-17", "Statement": full}).to_string();
    let e = merge_queue_policy(Some(&live), &input(&t, None)).unwrap_err();
    assert!(
        matches!(e, QueuePolicyError::TooManyStatements { count: 21, .. }),
        "{e:?}"
    );
}

#[test]
fn a_statement_with_trailhubs_sid_but_another_shape_is_refused() {
    let live = json!({"Statement": [{"Sid": QUEUE_SID, "Effect": "Allow", "Principal": "*",
        "Action": "sqs:SendMessage", "Resource": QUEUE}]})
    .to_string();
    let t = topics(1);
    let e = merge_queue_policy(Some(&live), &input(&t, None)).unwrap_err();
    assert!(matches!(e, QueuePolicyError::NotOurShape { .. }), "{e:?}");
}

#[test]
fn nothing_to_name_writes_nothing() {
    let m = merge_queue_policy(None, &input(&[], None)).unwrap();
    assert!(!m.changed);
    let live = foreign().to_string();
    let m = merge_queue_policy(Some(&live), &input(&[], None)).unwrap();
    assert!(!m.changed);
    assert_eq!(m.policy, foreign());
}

#[test]
fn another_teams_deny_is_reported_as_refusing_the_topic() {
    let t = topics(1);
    let m = merge_queue_policy(None, &input(&t, None)).unwrap();
    let mut p = m.policy.clone();
    p["Statement"].as_array_mut().unwrap().push(json!({"Sid": "NoSns", "Effect": "Deny",
        "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": QUEUE}));
    let why = topic_denial(Some(&p), QUEUE, &t[0].1, None).unwrap();
    assert!(why.contains("NoSns"), "{why}");
    assert!(
        topic_denial(None, QUEUE, &t[0].1, None)
            .unwrap()
            .contains("no policy")
    );
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn statement() -> impl Strategy<Value = Value> {
        ("[A-Za-z]{1,8}", prop::bool::ANY, "sqs:[A-Z][a-z]{2,10}").prop_map(|(sid, allow, action)| {
            json!({"Sid": sid, "Effect": if allow {"Allow"} else {"Deny"},
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": action, "Resource": QUEUE})
        })
    }

    proptest! {
        // few cases: each merges up to 150 topics in three forms (CI is near its time budget)
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// Merging never loses a statement someone else wrote, lets every topic in scope send, and merging
        /// its own result again changes nothing.
        #[test]
        fn merging_keeps_others_statements_and_is_idempotent(
            others in prop::collection::vec(statement(), 0..8),
            n in 0usize..150,
        ) {
            let live = json!({"Version": "2012-10-17", "Statement": others}).to_string();
            let t = topics(n);
            let m = merge_queue_policy(Some(&live), &input(&t, Some("o-abc123"))).unwrap();
            for s in &others {
                prop_assert!(stmts(&m.policy).contains(s));
            }
            prop_assert!(m.size <= MAX_QUEUE_POLICY);
            let denied = denials(Some(&m.policy), QUEUE, &t, Some("o-abc123"));
            // another team's Deny may refuse SNS: only the topics nothing of theirs denies must pass
            let others_deny = others.iter().any(|s| s["Effect"] == "Deny" && s["Action"] == "sqs:SendMessage");
            prop_assert!(denied.is_empty() || others_deny);
            let again = merge_queue_policy(Some(&m.text), &input(&t, Some("o-abc123"))).unwrap();
            prop_assert!(!again.changed);
        }
    }
}
