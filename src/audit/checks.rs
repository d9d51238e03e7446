//! Which codes the audit checks, given the configuration (pure): each is one check whose finding passes
//! when its problem is absent (`audit --format ocsf|asff|csv` report PASS and FAIL both, so that a
//! dashboard shows coverage and not only gaps).

use super::codes::Code;
use crate::config::{Config, FlowDestination, ScopedAccount};

/// What every account is checked for: reaching it, and its trail's delivery to the central bucket.
const TRAIL: [Code; 11] = [
    Code::Unreachable,
    Code::NoTrail,
    Code::NotLogging,
    Code::NotMultiRegion,
    Code::NoLogValidation,
    Code::NoGlobalEvents,
    Code::ManagementEventsOff,
    Code::DeliveryError,
    Code::StaleDelivery,
    Code::NoDelivery,
    Code::PolicyDenies,
];

/// The codes checked for this in-scope account, in `Code`'s order.
pub(super) fn account_checks(cfg: &Config, target: &ScopedAccount) -> Vec<Code> {
    let mut out = TRAIL.to_vec();
    let cloudwatch = cfg.cloudwatch.is_some() && target.cloudwatch;
    if cloudwatch {
        out.extend([
            Code::NoCloudwatch,
            Code::CloudwatchError,
            Code::CloudwatchStale,
        ]);
    }
    let flow_logs = cfg.flow_logs.as_ref().filter(|_| target.flow_logs);
    if let Some(f) = flow_logs {
        out.extend([
            Code::FlowLogsMissing,
            Code::FlowLogsRegionUnread,
            Code::FlowLogsFailed,
        ]);
        if f.destinations.contains(&FlowDestination::S3) {
            out.push(Code::FlowLogsDenied);
        }
    }
    let roles = cloudwatch
        || flow_logs.is_some_and(|f| f.destinations.contains(&FlowDestination::Cloudwatch));
    if roles {
        out.extend([
            Code::DeliveryRoleWithoutBoundary,
            Code::BoundaryPolicyDiffers,
        ]);
    }
    if cloudwatch && cfg.alarms.is_some() {
        out.extend([
            Code::AlarmFilterDrift,
            Code::AlarmMissing,
            Code::AlarmActionMissing,
            Code::AlarmTopicDrift,
            Code::AlarmsNoLogGroup,
            Code::AlarmFiltersFull,
        ]);
        if cfg.alarms.as_ref().is_some_and(|a| !a.subscribe.is_empty()) {
            out.extend([
                Code::AlarmSubscriptionMissing,
                Code::AlarmSubscriptionPending,
                Code::AlarmQueueDenied,
            ]);
        }
    }
    // the management account is not affected by SCPs: it is not judged
    if cfg.guardrails.is_some() && !target.is_central {
        out.push(Code::Unguarded);
    }
    if cfg.central.kms_key.is_some() {
        out.extend([Code::NoKms, Code::KmsDenied, Code::ForeignKmsKey]);
    }
    out.sort();
    out
}

/// The codes checked for the central bucket.
pub(super) fn bucket_checks(cfg: &Config) -> Vec<Code> {
    let mut out = vec![
        Code::BucketAllowsHttp,
        Code::BucketPublicAccessOpen,
        Code::BucketVersioningOff,
    ];
    if cfg.central.access_log_bucket.is_some() {
        out.push(Code::BucketNoAccessLogging);
    }
    if cfg.central.retention_days.is_some() {
        out.push(Code::BucketNoRetention);
    }
    out.sort();
    out
}
