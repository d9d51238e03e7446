//! trailhub's retention on the central bucket, planned (pure): the two lifecycle rules `retention_days` asks
//! for on the versioned bucket, whether the rules in force are them, and the older shape they replace
//! (docs/aws-rules.md S3-8, S3-12).
//!
//! On a versioned bucket `Expiration` only adds a delete marker: the data stays as a noncurrent version until
//! `NoncurrentVersionExpiration` removes it. So `retention_days` expires the current version after that many
//! days and the noncurrent copy one day later, and a second rule removes the delete marker then left alone
//! (`ExpiredObjectDeleteMarker`, which S3 refuses in a rule with `Days`). A log object is gone for good about
//! `retention_days` + 1 days after delivery.

use crate::config::Config;
use crate::world::{LifecycleRule, RetentionRule};

/// The ID of trailhub's rule that expires the log objects.
pub const RETENTION_RULE_ID: &str = "trailhub-retention";
/// The ID of trailhub's rule that removes the delete markers left behind.
pub const MARKERS_RULE_ID: &str = "trailhub-retention-markers";
/// Days a noncurrent copy stays after its expiration (`NoncurrentDays`: S3's smallest value, 1).
pub const NONCURRENT_DAYS: u32 = 1;

/// The prefix trailhub's retention rules expire: `[key_prefix/]AWSLogs/`.
pub fn retention_prefix(cfg: &Config) -> String {
    match &cfg.central.key_prefix {
        Some(k) => format!("{k}/AWSLogs/"),
        None => "AWSLogs/".to_owned(),
    }
}

/// The retention `retention_days` = `days` asks for.
pub fn desired(cfg: &Config, days: u32) -> RetentionRule {
    RetentionRule {
        id: RETENTION_RULE_ID.to_owned(),
        markers_id: MARKERS_RULE_ID.to_owned(),
        prefix: retention_prefix(cfg),
        days,
        noncurrent_days: NONCURRENT_DAYS,
        gone_after_days: days.saturating_add(NONCURRENT_DAYS),
    }
}

/// Whether the rules in force are trailhub's retention as `want` asks: both rules, enabled, on the plain
/// prefix, with these actions and no other of those trailhub reads.
pub fn in_force(rules: &[LifecycleRule], want: &RetentionRule) -> bool {
    let find = |id: &str| rules.iter().find(|r| r.id == id);
    find(&want.id).is_some_and(|r| {
        on_prefix(r, &want.prefix)
            && r.expiration_days == Some(want.days)
            && r.noncurrent_days == Some(want.noncurrent_days)
            && !r.expired_object_delete_marker
    }) && find(&want.markers_id).is_some_and(|r| {
        on_prefix(r, &want.prefix)
            && r.expired_object_delete_marker
            && r.expiration_days.is_none()
            && r.noncurrent_days.is_none()
    })
}

fn on_prefix(r: &LifecycleRule, prefix: &str) -> bool {
    r.enabled && !r.narrowed && r.prefix.as_deref() == Some(prefix)
}

/// trailhub's rules as they are now, in words: `none`, or each rule; for the rule trailhub wrote before
/// (one rule, noncurrent versions kept as long as current ones), when a log object was gone.
pub fn describe_now(rules: &[LifecycleRule], want: &RetentionRule) -> String {
    let ours: Vec<String> = rules
        .iter()
        .filter(|r| r.id == want.id || r.id == want.markers_id)
        .map(describe_rule)
        .collect();
    if ours.is_empty() {
        return "none".to_owned();
    }
    match older_shape(rules, want) {
        Some(gone) => format!(
            "{} (trailhub's older rule: the noncurrent copy stayed as long again, a log object was gone about {gone} days after delivery, and the delete markers stayed)",
            ours.join(", ")
        ),
        None => ours.join(", "),
    }
}

/// The rule trailhub wrote before: `Expiration.Days` N and `NoncurrentDays` N in one rule, no marker rule.
/// When a log object was then gone (2 N days), if that is what is in force.
fn older_shape(rules: &[LifecycleRule], want: &RetentionRule) -> Option<u32> {
    if rules.iter().any(|r| r.id == want.markers_id) {
        return None;
    }
    let r = rules.iter().find(|r| r.id == want.id)?;
    match (r.expiration_days, r.noncurrent_days) {
        (Some(e), Some(n)) if e == n && n > NONCURRENT_DAYS && r.enabled => {
            Some(e.saturating_add(n))
        }
        _ => None,
    }
}

/// A rule, in words.
pub fn describe_rule(r: &LifecycleRule) -> String {
    let days = |d: Option<u32>| match d {
        None => "never".to_owned(),
        Some(1) => "1 day".to_owned(),
        Some(d) => format!("{d} days"),
    };
    format!(
        "rule {} ({}, prefix {}, expire {}, noncurrent {}{})",
        r.id,
        if r.enabled { "enabled" } else { "disabled" },
        r.prefix.as_deref().unwrap_or("(filtered)"),
        days(r.expiration_days),
        days(r.noncurrent_days),
        if r.expired_object_delete_marker {
            ", expired delete markers removed"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests;
