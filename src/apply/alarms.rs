//! One account's `[alarms]` part of an apply (async, over the `aws` traits): the SNS topic and its policy,
//! then each control's metric filter and alarm, as planned, in the log group's Region; each write paced by
//! its service's quota. Only trailhub's own filters and alarms are written (the plan names no other).

use serde::Serialize;

use super::pacer::{Pacer, Service};
use super::report::PartStatus;
use crate::aws::{AwsError, Member};
use crate::plan::AccountFailure;
use crate::plan::alarms::{AlarmChange, AlarmsPlan};

/// The `[alarms]` part of an account's outcome. Its `result` is `unchanged`, `changed`, `failed` or
/// `skipped`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmsOutcome {
    #[serde(flatten)]
    pub result: PartStatus,
    /// The log group the filters are on, and its Region (None: no log group, see `note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The controls in place once the part is done.
    pub controls: usize,
    /// Why nothing was made, when no trail of the account delivers to a log group in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl AlarmsOutcome {
    /// The part of an account not started (Ctrl-C).
    pub(super) fn skipped() -> Self {
        AlarmsOutcome {
            result: PartStatus::Skipped,
            log_group: None,
            region: None,
            controls: 0,
            note: None,
        }
    }
}

/// The `[alarms]` part: None where `[alarms]` does not apply; made after the trail part (which makes the
/// log group), even when the trail part failed, since the group may exist already.
pub(super) async fn alarms_part<M: Member>(
    planned: Option<&AlarmsPlan>,
    member: Option<&M>,
    pacer: &mut Pacer<'_>,
) -> Option<AlarmsOutcome> {
    let mut outcome = AlarmsOutcome::skipped();
    match planned? {
        AlarmsPlan::NoLogGroup { reason } => {
            outcome.result = PartStatus::Unchanged;
            outcome.note = Some(reason.clone());
        }
        AlarmsPlan::TooManyFilters {
            log_group,
            existing,
            missing,
        } => {
            outcome.log_group = Some(log_group.clone());
            outcome.result = PartStatus::failed(AccountFailure::TooManyFilters {
                log_group: log_group.clone(),
                existing: *existing,
                missing: *missing,
            });
        }
        AlarmsPlan::Changes {
            region,
            log_group,
            changes,
            controls,
            ..
        } => {
            outcome.region = Some(region.clone());
            outcome.log_group = Some(log_group.clone());
            outcome.controls = controls.len();
            outcome.result = match member {
                None if !changes.is_empty() => PartStatus::failed(AccountFailure::NotObserved),
                None => PartStatus::Unchanged,
                Some(m) => make(&m.alarms_in(region), changes, pacer).await,
            };
        }
    }
    Some(outcome)
}

/// The changes in order, stopping at the first failure.
async fn make<M: Member>(m: &M, changes: &[AlarmChange], pacer: &mut Pacer<'_>) -> PartStatus {
    let mut done = Vec::new();
    for change in changes {
        if let Err(e) = make_one(m, change, pacer).await {
            return PartStatus::of(done, Some(AccountFailure::Aws(e)));
        }
        done.push(change.describe());
    }
    PartStatus::of(done, None)
}

async fn make_one<M: Member>(
    m: &M,
    change: &AlarmChange,
    pacer: &mut Pacer<'_>,
) -> Result<(), AwsError> {
    match change {
        AlarmChange::CreateTopic { name } => pacer
            .call(Service::Sns, m.create_topic(name))
            .await
            .map(drop),
        AlarmChange::PutTopicPolicy { topic_arn, policy } => {
            pacer
                .call(Service::Sns, m.set_topic_policy(topic_arn, policy))
                .await
        }
        AlarmChange::PutMetricFilter { filter, .. } => {
            pacer.call(Service::Logs, m.put_metric_filter(filter)).await
        }
        AlarmChange::PutMetricAlarm { alarm, .. } => {
            pacer
                .call(Service::CloudWatch, m.put_metric_alarm(alarm))
                .await
        }
    }
}
