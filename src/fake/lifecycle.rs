//! The fake's bucket lifecycle configuration, as S3 keeps it (tests only): the whole configuration replaced by
//! each write, and the rules trailhub relies on that moto does not enforce (docs/aws-rules.md S3-8, S3-11,
//! S3-12): positive `Days` and `NoncurrentDays`, `ExpiredObjectDeleteMarker` never beside `Days`
//! (`MalformedXML`), and `TransitionDefaultMinimumObjectSize` set to `all_storage_classes_128K` when a write
//! leaves it out.

use super::FakeAws;
use crate::aws::{AwsError, LifecycleRule, RetentionRule};

const OP: &str = "PutBucketLifecycleConfiguration";
/// The value S3 sets when a write leaves `TransitionDefaultMinimumObjectSize` out.
pub const DEFAULT_MIN_SIZE: &str = "all_storage_classes_128K";
const MIN_SIZES: [&str; 2] = [DEFAULT_MIN_SIZE, "varies_by_storage_class"];

impl FakeAws {
    /// GetBucketLifecycleConfiguration: the rules and `TransitionDefaultMinimumObjectSize` (None when the
    /// bucket has no configuration).
    pub fn lifecycle_configuration(&self, bucket: &str) -> (Vec<LifecycleRule>, Option<String>) {
        let w = self.world();
        let rules = w.lifecycle.get(bucket).cloned().unwrap_or_default();
        let min_size = match (w.lifecycle_min_size.get(bucket), rules.is_empty()) {
            (_, true) => None,
            (Some(m), false) => Some(m.clone()),
            (None, false) => Some(DEFAULT_MIN_SIZE.to_owned()),
        };
        (rules, min_size)
    }

    /// PutBucketLifecycleConfiguration as S3 takes it: checked, then the whole configuration replaced, with
    /// `all_storage_classes_128K` when `min_size` is left out (S3-11).
    pub fn put_lifecycle_configuration(
        &self,
        bucket: &str,
        rules: Vec<LifecycleRule>,
        min_size: Option<String>,
    ) -> Result<(), AwsError> {
        for r in &rules {
            check_rule(r)?;
        }
        let min_size = min_size.unwrap_or_else(|| DEFAULT_MIN_SIZE.to_owned());
        if !MIN_SIZES.contains(&min_size.as_str()) {
            return Err(AwsError::new(
                OP,
                "InvalidArgument",
                format!("Invalid TransitionDefaultMinimumObjectSize: {min_size}"),
            ));
        }
        let mut w = self.world();
        w.lifecycle.insert(bucket.to_owned(), rules);
        w.lifecycle_min_size.insert(bucket.to_owned(), min_size);
        Ok(())
    }

    /// trailhub's write of its retention rules (the `BucketSettings` call): read, trailhub's two rules put in
    /// place of those of their IDs, written back whole with the minimum object size as read.
    pub(super) fn put_retention(&self, bucket: &str, rule: &RetentionRule) -> Result<(), AwsError> {
        let (mut rules, min_size) = self.lifecycle_configuration(bucket);
        rules.retain(|r| r.id != rule.id && r.id != rule.markers_id);
        rules.extend(retention_rules(rule));
        self.put_lifecycle_configuration(bucket, rules, min_size)
    }
}

/// trailhub's two rules, as S3 would give them back.
fn retention_rules(rule: &RetentionRule) -> [LifecycleRule; 2] {
    let on_prefix = |id: &str| LifecycleRule {
        id: id.to_owned(),
        enabled: true,
        prefix: Some(rule.prefix.clone()),
        narrowed: false,
        expiration_days: None,
        noncurrent_days: None,
        expired_object_delete_marker: false,
    };
    [
        LifecycleRule {
            expiration_days: Some(rule.days),
            noncurrent_days: Some(rule.noncurrent_days),
            ..on_prefix(&rule.id)
        },
        LifecycleRule {
            expired_object_delete_marker: true,
            ..on_prefix(&rule.markers_id)
        },
    ]
}

/// S3's checks of one rule (S3-8, S3-12), with AWS's codes.
fn check_rule(r: &LifecycleRule) -> Result<(), AwsError> {
    if r.expiration_days == Some(0) {
        return Err(AwsError::new(
            OP,
            "InvalidArgument",
            "'Days' for Expiration action must be a positive integer",
        ));
    }
    if r.noncurrent_days == Some(0) {
        return Err(AwsError::new(
            OP,
            "InvalidArgument",
            "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
        ));
    }
    if r.expired_object_delete_marker && r.expiration_days.is_some() {
        return Err(AwsError::new(
            OP,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rule(id: &str) -> LifecycleRule {
        LifecycleRule {
            id: id.to_owned(),
            enabled: true,
            prefix: Some("AWSLogs/".to_owned()),
            narrowed: false,
            expiration_days: Some(30),
            noncurrent_days: None,
            expired_object_delete_marker: false,
        }
    }

    fn fake() -> FakeAws {
        FakeAws::new("111111111111", "eu-west-1", Duration::from_millis(1))
    }

    #[test]
    fn a_write_without_the_minimum_object_size_resets_it_as_s3_does() {
        let aws = fake();
        aws.put_lifecycle_configuration(
            "b",
            vec![rule("a")],
            Some("varies_by_storage_class".into()),
        )
        .unwrap();
        assert_eq!(
            aws.lifecycle_configuration("b").1.as_deref(),
            Some("varies_by_storage_class")
        );
        aws.put_lifecycle_configuration("b", vec![rule("a")], None)
            .unwrap();
        assert_eq!(
            aws.lifecycle_configuration("b").1.as_deref(),
            Some(DEFAULT_MIN_SIZE)
        );
    }

    #[test]
    fn days_beside_expired_object_delete_marker_is_malformed_xml() {
        let both = LifecycleRule {
            expired_object_delete_marker: true,
            ..rule("a")
        };
        let e = fake()
            .put_lifecycle_configuration("b", vec![both], None)
            .unwrap_err();
        assert_eq!(e.code, "MalformedXML");
        let zero = LifecycleRule {
            noncurrent_days: Some(0),
            ..rule("a")
        };
        let e = fake()
            .put_lifecycle_configuration("b", vec![zero], None)
            .unwrap_err();
        assert_eq!(e.code, "InvalidArgument");
    }
}
