//! The `[alarms]` line of an account's plan and apply cells (rendering only): the CIS monitoring controls
//! on the account's trail log group, what is to change or was done, and why there are none.

use crate::plan::alarms::{AlarmChange, AlarmsPlan, Health};

/// The plan's line, and whether the part is blocked.
pub(super) fn plan_line(p: &AlarmsPlan) -> (String, bool) {
    match p {
        AlarmsPlan::NoLogGroup { reason } => (format!("CIS alarms: none: {reason}"), false),
        AlarmsPlan::TooManyFilters {
            log_group,
            existing,
            missing,
        } => (
            format!(
                "CIS alarms: blocked: log group {log_group} has {existing} metric filters, {missing} more would pass its 100 (runbooks/alarms.md#too-many-metric-filters)"
            ),
            true,
        ),
        AlarmsPlan::Changes {
            region,
            log_group,
            controls,
            changes,
            ..
        } => {
            let in_place = controls
                .iter()
                .filter(|c| c.state == Health::InPlace)
                .count();
            let head = format!(
                "CIS alarms ({log_group}, {region}): {in_place} of {} controls in place",
                controls.len()
            );
            if changes.is_empty() {
                return (head, false);
            }
            let gaps: Vec<String> = controls
                .iter()
                .filter(|c| c.state != Health::InPlace)
                .map(|c| format!("{} ({}): {}", c.control, c.label(), c.state.describe()))
                .collect();
            let count = |f: fn(&AlarmChange) -> bool| changes.iter().filter(|c| f(c)).count();
            let filters = count(|c| matches!(c, AlarmChange::PutMetricFilter { .. }));
            let alarms = count(|c| matches!(c, AlarmChange::PutMetricAlarm { .. }));
            let topic = count(|c| matches!(c, AlarmChange::CreateTopic { .. }));
            let policy = count(|c| matches!(c, AlarmChange::PutTopicPolicy { .. }));
            let mut todo = vec![format!("{filters} filters"), format!("{alarms} alarms")];
            if topic > 0 {
                todo.insert(0, "topic: create".to_owned());
            }
            if policy > 0 {
                todo.push("topic policy".to_owned());
            }
            let mut line = format!("{head}; to put: {}", todo.join(", "));
            if in_place > 0 {
                line.push_str(&format!(" ({})", super::plan::at_most(&gaps)));
            }
            (line, false)
        }
    }
}
