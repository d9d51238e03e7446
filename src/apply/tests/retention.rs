//! Issue 20, point 10 over the in-memory fake: `retention_days` on a bucket that already has trailhub's older
//! rule, a team's rule and a team's `TransitionDefaultMinimumObjectSize` (which S3 resets when a write leaves
//! it out, S3-11): apply upgrades the rule, keeps the rest, and a second apply changes nothing.

use std::path::Path;
use std::time::Duration;

use crate::apply::*;
use crate::aws::LifecycleRule;
use crate::fake::FakeAws;
use crate::fixtures;
use crate::interrupt::Interrupt;
use crate::plan::bucket_settings::BucketChange;

fn config() -> Config {
    fixtures::parse(&fixtures::config_text("retention_days = 400\n", "", 2))
}

fn rule(id: &str, prefix: &str, expire: Option<u32>, noncurrent: Option<u32>) -> LifecycleRule {
    LifecycleRule {
        id: id.to_owned(),
        enabled: true,
        prefix: Some(prefix.to_owned()),
        narrowed: false,
        expiration_days: expire,
        noncurrent_days: noncurrent,
        expired_object_delete_marker: false,
    }
}

/// The bucket as an older trailhub left it: its one rule (current and noncurrent versions after 400 days),
/// beside a team's rule, in a configuration whose minimum object size the team set.
fn world() -> FakeAws {
    let aws = FakeAws::new(
        fixtures::CENTRAL,
        "ap-northeast-2",
        Duration::from_millis(10),
    );
    let mut w = aws.world();
    w.buckets.insert("sec-log".into(), None);
    w.lifecycle.insert(
        "sec-log".into(),
        vec![
            rule("team-exports", "exports/", Some(30), None),
            rule("trailhub-retention", "AWSLogs/", Some(400), Some(400)),
        ],
    );
    w.lifecycle_min_size
        .insert("sec-log".into(), "varies_by_storage_class".into());
    drop(w);
    aws
}

async fn run(aws: &FakeAws, cfg: &Config, dir: &Path) -> (crate::plan::Plan, ApplyRun) {
    let opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    fixtures::plan_and_apply(aws, cfg, &opts).await
}

#[tokio::test(start_paused = true)]
async fn the_older_rule_is_upgraded_the_rest_kept_and_a_second_apply_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config();
    let (p, r) = run(&aws, &cfg, dir.path()).await;
    assert_eq!(r.exit_code(), 0, "{r:#?}");
    let [BucketChange::Retention { now, rule }] = p.settings.changes.as_slice() else {
        panic!("{:#?}", p.settings);
    };
    assert!(now.contains("trailhub's older rule"), "{now}");
    assert_eq!((rule.days, rule.gone_after_days), (400, 401));

    let (rules, min_size) = aws.lifecycle_configuration("sec-log");
    assert_eq!(
        rules,
        [
            rule_of("team-exports", "exports/", Some(30), None, false),
            rule_of("trailhub-retention", "AWSLogs/", Some(400), Some(1), false),
            rule_of("trailhub-retention-markers", "AWSLogs/", None, None, true),
        ]
    );
    assert_eq!(min_size.as_deref(), Some("varies_by_storage_class"));

    let writes = aws.calls("PutBucketLifecycleConfiguration");
    let (p2, r2) = run(&aws, &cfg, dir.path()).await;
    assert!(p2.settings.changes.is_empty(), "{:#?}", p2.settings);
    assert_eq!(r2.exit_code(), 0);
    assert_eq!(aws.calls("PutBucketLifecycleConfiguration"), writes);
}

#[tokio::test(start_paused = true)]
async fn without_the_read_back_value_s3_would_reset_the_teams_minimum_object_size() {
    // the fake is S3 here: a write that leaves the value out resets it (what trailhub must not do)
    let aws = world();
    let (rules, _) = aws.lifecycle_configuration("sec-log");
    aws.put_lifecycle_configuration("sec-log", rules, None)
        .unwrap();
    let (_, min_size) = aws.lifecycle_configuration("sec-log");
    assert_eq!(min_size.as_deref(), Some("all_storage_classes_128K"));
}

fn rule_of(
    id: &str,
    prefix: &str,
    expire: Option<u32>,
    noncurrent: Option<u32>,
    markers: bool,
) -> LifecycleRule {
    LifecycleRule {
        expired_object_delete_marker: markers,
        ..rule(id, prefix, expire, noncurrent)
    }
}
