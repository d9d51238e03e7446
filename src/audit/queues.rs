//! `[alarms] subscribe` in the audit (async, read-only, over the `aws` traits): each queue read
//! (`observe::queue::read_queue`), its subscriptions and policy judged (`subscriptions::queue_problems`)
//! for each account's alarm topic, and the problems put with those accounts.

use super::judge::Judge;
use super::report::AuditReport;
use super::subscriptions::{QueueFacts, queue_problems};
use super::{Code, Problem};
use crate::aws::Central;
use crate::model::AccountId;
use crate::observe::audit::{Audited, Facts};
use crate::observe::queue::read_queue;

/// Each audited account and its alarm topic (on the log group of the trail the report judged for it).
fn topics(j: &Judge, audited: &[Audited], report: &AuditReport) -> Vec<(AccountId, String)> {
    audited
        .iter()
        .filter_map(|a| {
            let judged = report
                .accounts
                .iter()
                .find(|r| r.id == a.target.id.as_str())?
                .trail_arn
                .as_deref()?;
            let Facts::Reached { candidates, .. } = &a.facts else {
                return None;
            };
            let trail = candidates.iter().find(|c| c.trail.arn == judged)?;
            let topic = super::alarms::topic_of(j, &a.target, Some(&trail.trail))?;
            Some((a.target.id.clone(), topic))
        })
        .collect()
}

/// Reads each queue of `[alarms] subscribe` and adds its problems to the accounts' (a queue that cannot be
/// read is a problem of every account whose topic it should get).
pub(super) async fn add_queue_problems<C: Central>(
    central: &C,
    j: &Judge<'_>,
    audited: &[Audited],
    org_id: Option<&str>,
    report: &mut AuditReport,
) {
    let Some(alarms) = &j.cfg.alarms else { return };
    if alarms.subscribe.is_empty() {
        return;
    }
    let topics = topics(j, audited, report);
    for queue in &alarms.subscribe {
        let found = match read_queue(central, &queue.arn, &topics).await {
            Ok(read) => queue_problems(&QueueFacts {
                queue_arn: &queue.arn,
                topics: &topics,
                policy: read.policy.as_ref(),
                subscriptions: &read.subscriptions,
                org_id,
            }),
            Err(e) => {
                let msg = format!("the alarm queue cannot be read: {e}");
                let p = Problem::gap(Code::AlarmQueueDenied, msg);
                topics
                    .iter()
                    .map(|(a, _)| (a.clone(), vec![p.clone()]))
                    .collect()
            }
        };
        for (account, problems) in found {
            if let Some(r) = report
                .accounts
                .iter_mut()
                .find(|r| r.id == account.as_str())
            {
                r.problems.extend(problems);
            }
        }
    }
}
