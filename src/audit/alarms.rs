//! `[alarms]` judged (pure): on the log group the account's best trail delivers to, is every configured
//! CIS monitoring control in place (its metric filter as published, its alarm, the alarm's action to the
//! topic), and does the topic exist with trailhub's policy? Each gap names the control (CIS in both
//! numberings, the Security Hub control) and the account.

use super::judge::Judge;
use super::{Code, Problem};
use crate::config::ScopedAccount;
use crate::plan::DeliveryState;
use crate::plan::alarms::{AlarmsPlan, ControlState, Health, TopicState, Wanted, diff};
use crate::world::ObservedTrail;
use crate::world::alarms::parse_group_arn;

/// The problems of `[alarms]` in one account, judged on the log group of `trail` (the trail the audit
/// judged for it); none without `[alarms]`.
pub(super) fn problems(
    j: &Judge,
    target: &ScopedAccount,
    trail: Option<&ObservedTrail>,
    delivery: &DeliveryState,
) -> Vec<Problem> {
    match wanted(j, target, trail) {
        None => vec![],
        Some(Err(p)) => vec![p],
        Some(Ok(want)) => judge(&want, diff(&want, &delivery.alarms)),
    }
}

/// Each configured control's state in the account, for the report (none without `[alarms]` or without a
/// log group in the account).
pub(super) fn controls(
    j: &Judge,
    target: &ScopedAccount,
    trail: Option<&ObservedTrail>,
    delivery: &DeliveryState,
) -> Vec<ControlState> {
    match wanted(j, target, trail) {
        Some(Ok(want)) => match diff(&want, &delivery.alarms) {
            AlarmsPlan::Changes { controls, .. } => controls,
            _ => vec![],
        },
        _ => vec![],
    }
}

/// The account's alarm topic (in the Region of the log group `trail` delivers to); None without `[alarms]`
/// or without such a log group.
pub(super) fn topic_of(
    j: &Judge,
    target: &ScopedAccount,
    trail: Option<&ObservedTrail>,
) -> Option<String> {
    wanted(j, target, trail)?.ok().map(|w| w.topic_arn)
}

/// What `[alarms]` wants on the log group of `trail`, or the warning that there is none in the account;
/// None without `[alarms]`.
fn wanted<'a>(
    j: &Judge<'a>,
    target: &'a ScopedAccount,
    trail: Option<&'a ObservedTrail>,
) -> Option<Result<Wanted<'a>, Problem>> {
    let a = j.cfg.alarms.as_ref()?;
    let account = target.id.as_str();
    let group = trail
        .and_then(|t| parse_group_arn(&t.cloudwatch.as_ref()?.log_group_arn))
        .filter(|(_, owner, _)| *owner == account);
    let Some((region, _, group)) = group else {
        let by = trail.map_or_else(|| "no trail".to_owned(), |t| t.arn.clone());
        let msg = format!(
            "no CIS metric filters or alarms can be checked: the account's trail ({by}) delivers to no CloudWatch Logs log group in the account"
        );
        return Some(Err(Problem::warning(Code::AlarmsNoLogGroup, msg)));
    };
    Some(Ok(Wanted::new(j.cfg, a, account, region, group)))
}

fn judge(want: &Wanted, plan: AlarmsPlan) -> Vec<Problem> {
    let (topic, controls) = match plan {
        AlarmsPlan::Changes {
            topic, controls, ..
        } => (topic, controls),
        AlarmsPlan::TooManyFilters {
            log_group,
            existing,
            missing,
        } => {
            let msg = format!(
                "log group {log_group} has {existing} metric filters: the {missing} missing CIS filters would pass its 100"
            );
            return vec![Problem::gap(Code::AlarmFiltersFull, msg)];
        }
        AlarmsPlan::NoLogGroup { .. } => return vec![],
    };
    let mut out = Vec::new();
    let topic_arn = &want.topic_arn;
    match topic {
        TopicState::InPlace => {}
        TopicState::Missing => out.push(Problem::gap(
            Code::AlarmTopicDrift,
            format!("the alarms' SNS topic {topic_arn} does not exist: no alarm reaches anyone"),
        )),
        TopicState::PolicyDiffers => out.push(Problem::gap(
            Code::AlarmTopicDrift,
            format!(
                "the topic policy of {topic_arn} lacks trailhub's statements (CloudWatch's publish, the central queue's subscribe) or has SNS's default statement"
            ),
        )),
    }
    for c in controls {
        let code = match c.state {
            Health::InPlace => continue,
            Health::FilterMissing | Health::FilterChanged => Code::AlarmFilterDrift,
            Health::AlarmMissing | Health::AlarmChanged => Code::AlarmMissing,
            Health::ActionMissing => Code::AlarmActionMissing,
        };
        let msg = format!(
            "{} ({}) on {} in {}: {}",
            c.control,
            c.label(),
            want.log_group,
            want.region,
            c.state.describe()
        );
        out.push(Problem::gap(code, msg));
    }
    out
}
