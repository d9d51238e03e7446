//! The retention rules as planned: their shape, the upgrade from trailhub's older rule, and a second plan
//! that changes nothing.

use serde_json::Value;

use super::*;
use crate::fixtures::{config_text, parse};
use crate::plan::bucket_settings::{BucketChange, SettingsState, settings_plan};

fn cfg(central: &str) -> Config {
    parse(&config_text(central, "", 1))
}

fn rule(id: &str, expire: Option<u32>, noncurrent: Option<u32>, markers: bool) -> LifecycleRule {
    LifecycleRule {
        id: id.to_owned(),
        enabled: true,
        prefix: Some("AWSLogs/".to_owned()),
        narrowed: false,
        expiration_days: expire,
        noncurrent_days: noncurrent,
        expired_object_delete_marker: markers,
    }
}

/// The rules trailhub writes for `days`, as S3 gives them back.
fn written(days: u32) -> Vec<LifecycleRule> {
    vec![
        rule(RETENTION_RULE_ID, Some(days), Some(NONCURRENT_DAYS), false),
        rule(MARKERS_RULE_ID, None, None, true),
    ]
}

fn plan(cfg: &Config, rules: Vec<LifecycleRule>) -> Vec<BucketChange> {
    let state = SettingsState {
        lifecycle: Some(rules),
        ..SettingsState::default()
    };
    settings_plan(cfg, &state, None, &[], &Value::Null).changes
}

#[test]
fn retention_days_expires_the_current_version_then_its_copy_a_day_later_then_the_marker() {
    let c = cfg("key_prefix = \"org\"\nretention_days = 400\n");
    let want = desired(&c, 400);
    assert_eq!(
        want,
        RetentionRule {
            id: "trailhub-retention".into(),
            markers_id: "trailhub-retention-markers".into(),
            prefix: "org/AWSLogs/".into(),
            days: 400,
            noncurrent_days: 1,
            gone_after_days: 401,
        }
    );
    let changes = plan(&c, vec![]);
    assert_eq!(
        changes,
        [BucketChange::Retention {
            now: "none".into(),
            rule: want.clone()
        }]
    );
    assert_eq!(
        changes[0].describe(),
        "retention: none -> objects under org/AWSLogs/ expire after 400 days, their noncurrent copies 1 day later, then the delete markers (rules trailhub-retention and trailhub-retention-markers)"
    );
    let json = serde_json::to_value(&changes[0]).unwrap();
    assert_eq!(json["rule"]["gone_after_days"], 401, "{json}");
    assert_eq!(json["rule"]["noncurrent_days"], 1, "{json}");
}

#[test]
fn the_rules_in_force_are_left_alone_and_other_rules_do_not_count() {
    let c = cfg("retention_days = 30\n");
    let mut rules = vec![rule("team-glacier", Some(90), None, false)];
    rules.extend(written(30));
    assert!(plan(&c, rules).is_empty());
}

#[test]
fn trailhubs_older_rule_is_upgraded_and_the_plan_says_what_it_did() {
    let c = cfg("retention_days = 400\n");
    let older = vec![rule(RETENTION_RULE_ID, Some(400), Some(400), false)];
    let changes = plan(&c, older);
    let [BucketChange::Retention { now, rule: r }] = changes.as_slice() else {
        panic!("{changes:?}");
    };
    assert_eq!(
        now,
        "rule trailhub-retention (enabled, prefix AWSLogs/, expire 400 days, noncurrent 400 days) (trailhub's older rule: the noncurrent copy stayed as long again, a log object was gone about 800 days after delivery, and the delete markers stayed)"
    );
    assert_eq!(
        (r.days, r.noncurrent_days, r.gone_after_days),
        (400, 1, 401)
    );
    // once written, the next plan has nothing to do
    assert!(plan(&c, written(400)).is_empty());
}

#[test]
fn any_part_that_differs_is_planned_again() {
    let c = cfg("retention_days = 30\n");
    let want = desired(&c, 30);
    let mut disabled = written(30);
    disabled[1].enabled = false;
    let mut other_days = written(30);
    other_days[0].expiration_days = Some(31);
    let mut kept_copy = written(30);
    kept_copy[0].noncurrent_days = Some(30);
    let mut narrowed = written(30);
    narrowed[0].narrowed = true;
    let mut no_markers = written(30);
    no_markers.pop();
    for rules in [disabled, other_days, kept_copy, narrowed, no_markers] {
        assert!(!in_force(&rules, &want), "{rules:?}");
        assert_eq!(plan(&c, rules).len(), 1);
    }
}

#[test]
fn a_one_day_retention_is_not_taken_for_the_older_rule() {
    let c = cfg("retention_days = 1\n");
    let only_expiry = vec![rule(RETENTION_RULE_ID, Some(1), Some(1), false)];
    let now = describe_now(&only_expiry, &desired(&c, 1));
    assert_eq!(
        now,
        "rule trailhub-retention (enabled, prefix AWSLogs/, expire 1 day, noncurrent 1 day)"
    );
}
