//! Issue 20, point 10 against moto, through the real binary: a bucket that already holds trailhub's older
//! retention rule (current and noncurrent versions both after `retention_days`) beside a team's rule with
//! tags and a transition. `plan` says what changes and when data goes (text and JSON), `apply` writes the two
//! rules and keeps the team's rule exactly, and a second `apply` has nothing to do.
//!
//! moto takes `TransitionDefaultMinimumObjectSize` but ignores it (every read says
//! `all_storage_classes_128K`, tests/MOTO-KMS.md), so keeping a team's value is shown over the fake
//! (src/apply/tests/retention.rs) and in the SDK layer's unit test (src/aws/sdk/bucket_settings.rs).

use crate::support;

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration, Tag, Transition,
    TransitionStorageClass,
};
use serde_json::Value;
use support::trailhub::{BUCKET, MEMBERS, World, static_config};

fn config() -> String {
    static_config(&MEMBERS[..1]).replacen("[members]", "retention_days = 400\n\n[members]", 1)
}

/// A team's rule: an `And` filter with a prefix and a tag, and a transition.
fn team_rule() -> LifecycleRule {
    let and = LifecycleRuleAndOperator::builder()
        .prefix("archive/")
        .tags(Tag::builder().key("team").value("siem").build().unwrap())
        .build();
    LifecycleRule::builder()
        .id("team-archive")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().and(and).build())
        .transitions(
            Transition::builder()
                .days(30)
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        )
        .build()
        .unwrap()
}

/// The rule an older trailhub wrote.
fn older_rule() -> LifecycleRule {
    LifecycleRule::builder()
        .id("trailhub-retention")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("AWSLogs/").build())
        .expiration(LifecycleExpiration::builder().days(400).build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(400)
                .build(),
        )
        .build()
        .unwrap()
}

fn rules(w: &World) -> Vec<LifecycleRule> {
    w.rt.block_on(
        w.s3()
            .get_bucket_lifecycle_configuration()
            .bucket(BUCKET)
            .send(),
    )
    .unwrap()
    .rules
    .unwrap_or_default()
}

#[test]
fn the_older_rule_is_upgraded_and_a_teams_rule_kept_exactly() {
    let w = World::start();
    w.write_config(&config());
    w.create_bucket(BUCKET);
    let older = BucketLifecycleConfiguration::builder()
        .rules(team_rule())
        .rules(older_rule())
        .build()
        .unwrap();
    w.rt.block_on(
        w.s3()
            .put_bucket_lifecycle_configuration()
            .bucket(BUCKET)
            .lifecycle_configuration(older)
            .send(),
    )
    .unwrap();

    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    for line in [
        format!(
            "bucket {BUCKET}: retention: rule trailhub-retention (enabled, prefix AWSLogs/, expire 400 days, noncurrent 400 days) (trailhub's older rule:"
        ),
        "  so a log object under AWSLogs/ is gone for good about 401 days after delivery"
            .to_owned(),
    ] {
        assert!(support::says(&plan.stdout, &line), "{line}\n{plan}");
    }
    let json = w.trailhub(&["plan", "--format", "json"]);
    let report: Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {json}"));
    let rule = &report["settings"]["changes"][0]["rule"];
    assert_eq!(rule["days"], 400, "{report}");
    assert_eq!(rule["noncurrent_days"], 1, "{report}");
    assert_eq!(rule["gone_after_days"], 401, "{report}");
    assert_eq!(rule["markers_id"], "trailhub-retention-markers", "{report}");

    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    let after = rules(&w);
    assert_eq!(after.len(), 3, "{after:#?}");
    assert_eq!(after[0], team_rule());
    let ours = &after[1];
    assert_eq!(ours.id(), Some("trailhub-retention"));
    assert_eq!(ours.expiration().and_then(|e| e.days()), Some(400));
    assert_eq!(
        ours.noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days()),
        Some(1)
    );
    let markers = &after[2];
    assert_eq!(markers.id(), Some("trailhub-retention-markers"));
    assert_eq!(
        markers
            .expiration()
            .and_then(|e| e.expired_object_delete_marker()),
        Some(true)
    );
    assert_eq!(markers.expiration().and_then(|e| e.days()), None);

    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.starts_with("nothing to do"), "{again}");
}
