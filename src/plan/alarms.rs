//! `[alarms]` (pure): for one account, the log group its covering trail delivers to, the CIS metric
//! filters and alarms trailhub wants there, the SNS topic they notify and its policy; and the changes that
//! take what was observed there. Only trailhub's own filters and alarms (named `trailhub-cis-...`) are ever
//! changed; every other one on the group is left as it is and counts against the group's 100 filters.

use serde::Serialize;
use serde_json::{Value, json};

use super::cloudwatch;
use super::coverage::OtherTrail;
use super::observed::AccountState;
use super::planned::AccountPlanStatus;
use crate::config::{Alarms, Config, QueueArn, ScopedAccount};
use crate::world::alarms::{
    AlarmsState, COMPARISON, Control, EVALUATION_PERIODS, MAX_FILTERS_PER_GROUP, MetricAlarm,
    MetricFilter, NAME_PREFIX, PERIOD, STATISTIC, THRESHOLD, parse_group_arn, topic_arn,
};

/// The Sid of the statement that lets CloudWatch alarms of the account publish to the topic.
pub const PUBLISH_SID: &str = "TrailhubCloudWatchAlarmsPublish";
/// The Sid of the statement that lets the central account subscribe its queues (`subscribe`).
pub const SUBSCRIBE_SID: &str = "TrailhubCentralQueueSubscribe";
/// The statement SNS puts in every new topic's policy (SNS-2): it lets every principal of the account
/// publish, so trailhub's topic policy replaces it.
pub const DEFAULT_SID: &str = "__default_statement_ID";

/// The `[alarms]` part of an account's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum AlarmsPlan {
    /// The controls on the account's trail log group, each with its state, and the changes to make
    /// (empty when every control is in place).
    Changes {
        region: String,
        log_group: String,
        topic_arn: String,
        topic: TopicState,
        controls: Vec<ControlState>,
        changes: Vec<AlarmChange>,
    },
    /// No trail of the account delivers to a log group in the account: nothing to put the filters on
    /// (trailhub does not make a second trail for it).
    NoLogGroup { reason: String },
    /// The log group would hold more than CloudWatch Logs' 100 metric filters (CWL-9): nothing is made.
    TooManyFilters {
        log_group: String,
        existing: usize,
        missing: usize,
    },
}

impl AlarmsPlan {
    pub fn has_changes(&self) -> bool {
        matches!(self, AlarmsPlan::Changes { changes, .. } if !changes.is_empty())
    }

    pub fn is_blocked(&self) -> bool {
        matches!(self, AlarmsPlan::TooManyFilters { .. })
    }
}

/// One control in one account, as found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlState {
    pub control: &'static str,
    pub cis: &'static str,
    pub cis_v6: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<&'static str>,
    pub state: Health,
}

impl ControlState {
    /// `CIS 4.1 / 5.1, Security Hub CloudWatch.2`.
    pub fn label(&self) -> String {
        let hub = self.security_hub.map_or_else(
            || "no Security Hub control".to_owned(),
            |h| format!("Security Hub {h}"),
        );
        format!("CIS {} / {}, {hub}", self.cis, self.cis_v6)
    }
}

/// What was found of a control's filter and alarm, the first gap of: the filter, then the alarm, then its
/// action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    InPlace,
    FilterMissing,
    /// Its pattern, metric, namespace or value changed.
    FilterChanged,
    AlarmMissing,
    /// Its metric, statistic, period, threshold or comparison changed.
    AlarmChanged,
    /// The alarm does not notify the topic, or its actions are disabled.
    ActionMissing,
}

impl Health {
    pub fn describe(self) -> &'static str {
        match self {
            Health::InPlace => "in place",
            Health::FilterMissing => "metric filter missing",
            Health::FilterChanged => "metric filter changed (pattern or metric)",
            Health::AlarmMissing => "alarm missing",
            Health::AlarmChanged => "alarm changed (metric, period or threshold)",
            Health::ActionMissing => "alarm does not notify the topic",
        }
    }
}

/// The topic, as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopicState {
    InPlace,
    Missing,
    /// Its policy lacks trailhub's statements as they should be (or has SNS's default one).
    PolicyDiffers,
}

/// One write of the `[alarms]` part, in the plan's Region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum AlarmChange {
    /// CreateTopic (it answers the existing topic's ARN when there is one).
    CreateTopic { name: String },
    /// SetTopicAttributes `Policy`: trailhub's statements, the others kept (`policy` carried, not shown).
    PutTopicPolicy {
        topic_arn: String,
        #[serde(skip)]
        policy: String,
    },
    /// PutMetricFilter: made, or put back as it should be.
    PutMetricFilter {
        control: &'static str,
        #[serde(skip)]
        filter: MetricFilter,
    },
    /// PutMetricAlarm: made, or put back as it should be.
    PutMetricAlarm {
        control: &'static str,
        #[serde(skip)]
        alarm: MetricAlarm,
    },
}

impl AlarmChange {
    pub fn describe(&self) -> String {
        match self {
            AlarmChange::CreateTopic { name } => format!("topic {name}: create"),
            AlarmChange::PutTopicPolicy { .. } => {
                "topic policy: put trailhub's statements".to_owned()
            }
            AlarmChange::PutMetricFilter { filter, .. } => {
                format!("metric filter {}: put", filter.name)
            }
            AlarmChange::PutMetricAlarm { alarm, .. } => format!("alarm {}: put", alarm.name),
        }
    }
}

/// The `[alarms]` part of an account's plan: None without `[alarms]`, or when the account's trail part
/// cannot be done (its failure is said there).
pub fn account_alarms(
    cfg: &Config,
    t: &ScopedAccount,
    status: &AccountPlanStatus,
    state: Option<&AccountState>,
) -> Option<AlarmsPlan> {
    let a = cfg.alarms.as_ref()?;
    let Some(AccountState::Observed {
        others, delivery, ..
    }) = state
    else {
        return None;
    };
    let place = match status {
        AccountPlanStatus::Changes { .. } => match cloudwatch::trail_setup(cfg, t)? {
            Ok(setup) => Ok((cfg.central.region.to_string(), setup.group)),
            Err(_) => return None,
        },
        AccountPlanStatus::Covered { by } => covering_group(t, by, others),
        _ => return None,
    };
    let (region, log_group) = match place {
        Ok(p) => p,
        Err(reason) => return Some(AlarmsPlan::NoLogGroup { reason }),
    };
    let want = Wanted::new(cfg, a, t.id.as_str(), &region, &log_group);
    Some(diff(&want, &delivery.alarms))
}

/// The log group of the trail that covers the account, when it is in the account; else why there is none.
fn covering_group(
    t: &ScopedAccount,
    by: &str,
    others: &[OtherTrail],
) -> Result<(String, String), String> {
    let trail = others.iter().find(|o| o.trail.arn == by).map(|o| &o.trail);
    let arn = trail
        .and_then(|t| t.cloudwatch.as_ref())
        .map(|c| &c.log_group_arn);
    match arn.and_then(|a| parse_group_arn(a)) {
        Some((region, account, name)) if account == t.id.as_str() => {
            Ok((region.to_owned(), name.to_owned()))
        }
        Some((_, account, _)) => Err(format!(
            "the trail that covers the account, {by}, delivers to a log group of account {account}: the CIS metric filters must be on a log group in the account (trailhub makes no second trail)"
        )),
        None => Err(format!(
            "the trail that covers the account, {by}, delivers to no CloudWatch Logs log group: nothing to put the CIS metric filters on (trailhub makes no second trail)"
        )),
    }
}

/// Everything trailhub wants in one account for `[alarms]`.
pub struct Wanted<'a> {
    pub region: String,
    pub log_group: String,
    pub topic_name: String,
    pub topic_arn: String,
    pub controls: Vec<(&'static Control, MetricFilter, MetricAlarm)>,
    partition: &'a str,
    account: &'a str,
    central: String,
    queues: &'a [QueueArn],
}

impl<'a> Wanted<'a> {
    pub fn new(
        cfg: &'a Config,
        a: &'a Alarms,
        account: &'a str,
        region: &str,
        group: &str,
    ) -> Self {
        let partition = cfg.central.region.partition();
        let topic = topic_arn(partition, region, account, &a.topic_name);
        let controls = a
            .controls
            .iter()
            .map(|c| (*c, filter(c, a, group), alarm(c, a, &topic)))
            .collect();
        Wanted {
            region: region.to_owned(),
            log_group: group.to_owned(),
            topic_name: a.topic_name.clone(),
            topic_arn: topic,
            controls,
            partition,
            account,
            central: cfg.central.account_id.to_string(),
            queues: &a.subscribe,
        }
    }

    /// The topic policy: trailhub's statements first, then every other statement of `live` as it is (SNS's
    /// default statement left out).
    pub fn topic_policy(&self, live: Option<&str>) -> Value {
        let (p, region, account) = (self.partition, &self.region, self.account);
        let mut statements = vec![json!({
            "Sid": PUBLISH_SID,
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": self.topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": format!("arn:{p}:cloudwatch:{region}:{account}:alarm:{NAME_PREFIX}*")},
            },
        })];
        if !self.queues.is_empty() {
            let endpoints: Vec<&str> = self.queues.iter().map(|q| q.arn.as_str()).collect();
            statements.push(json!({
                "Sid": SUBSCRIBE_SID,
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{p}:iam::{}:root", self.central)},
                "Action": "sns:Subscribe",
                "Resource": self.topic_arn,
                "Condition": {"StringEquals": {"sns:Protocol": "sqs", "sns:Endpoint": endpoints}},
            }));
        }
        let live: Option<Value> = live.and_then(|l| serde_json::from_str(l).ok());
        let kept = live
            .as_ref()
            .and_then(|l| l.get("Statement"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|s| {
                let sid = s.get("Sid").and_then(Value::as_str).unwrap_or_default();
                ![PUBLISH_SID, SUBSCRIBE_SID, DEFAULT_SID].contains(&sid)
            })
            .cloned();
        statements.extend(kept);
        json!({"Version": "2012-10-17", "Statement": statements})
    }
}

fn filter(c: &Control, a: &Alarms, group: &str) -> MetricFilter {
    MetricFilter {
        name: c.resource_name(),
        log_group: group.to_owned(),
        pattern: c.pattern.to_owned(),
        metric_name: c.metric_name(),
        namespace: a.namespace.clone(),
        metric_value: "1".to_owned(),
    }
}

fn alarm(c: &Control, a: &Alarms, topic: &str) -> MetricAlarm {
    MetricAlarm {
        name: c.resource_name(),
        description: format!(
            "{}: {} (made by trailhub; runbooks/alarms.md)",
            c.label(),
            c.title
        ),
        metric_name: c.metric_name(),
        namespace: a.namespace.clone(),
        statistic: STATISTIC.to_owned(),
        period: PERIOD,
        evaluation_periods: EVALUATION_PERIODS,
        threshold: THRESHOLD,
        comparison: COMPARISON.to_owned(),
        actions: vec![topic.to_owned()],
        actions_enabled: true,
    }
}

/// What is wanted against what was found: each control's state and the writes that put it right (the
/// topic first, then each control's filter and alarm, so that the two services' paced writes interleave).
pub fn diff(want: &Wanted, seen: &AlarmsState) -> AlarmsPlan {
    let filters = seen
        .filters(&want.region, &want.log_group)
        .unwrap_or_default();
    let region = seen.region(&want.region);
    let alarms = region.map(|r| r.alarms.as_slice()).unwrap_or_default();
    let mut changes = Vec::new();
    let (topic, policy_change) = topic_changes(want, region.and_then(|r| r.topic.as_ref()));
    if topic == TopicState::Missing {
        let name = want.topic_name.clone();
        changes.push(AlarmChange::CreateTopic { name });
    }
    changes.extend(policy_change);
    let mut controls = Vec::new();
    let mut missing_filters = 0;
    for (c, f, a) in &want.controls {
        let found_f = filters.iter().find(|x| x.name == f.name);
        let found_a = alarms.iter().find(|x| x.name == a.name);
        let state = health(f, found_f, a, found_a, &want.topic_arn);
        if found_f != Some(f) {
            missing_filters += usize::from(found_f.is_none());
            let filter = f.clone();
            changes.push(AlarmChange::PutMetricFilter {
                control: c.name,
                filter,
            });
        }
        if !alarm_right(a, found_a, &want.topic_arn) {
            let alarm = keep_actions(a, found_a);
            changes.push(AlarmChange::PutMetricAlarm {
                control: c.name,
                alarm,
            });
        }
        controls.push(ControlState {
            control: c.name,
            cis: c.cis,
            cis_v6: c.cis_v6,
            security_hub: c.security_hub,
            state,
        });
    }
    if filters.len() + missing_filters > MAX_FILTERS_PER_GROUP {
        return AlarmsPlan::TooManyFilters {
            log_group: want.log_group.clone(),
            existing: filters.len(),
            missing: missing_filters,
        };
    }
    AlarmsPlan::Changes {
        region: want.region.clone(),
        log_group: want.log_group.clone(),
        topic_arn: want.topic_arn.clone(),
        topic,
        controls,
        changes,
    }
}

/// The topic's state and the policy write it needs.
fn topic_changes(
    want: &Wanted,
    topic: Option<&crate::world::alarms::Topic>,
) -> (TopicState, Option<AlarmChange>) {
    let live = topic.and_then(|t| t.policy.as_deref());
    let policy = want.topic_policy(live);
    let live_value: Option<Value> = live.and_then(|l| serde_json::from_str(l).ok());
    let state = match (topic, live_value) {
        (None, _) => TopicState::Missing,
        (Some(_), Some(v)) if v == policy => return (TopicState::InPlace, None),
        (Some(_), _) => TopicState::PolicyDiffers,
    };
    let change = AlarmChange::PutTopicPolicy {
        topic_arn: want.topic_arn.clone(),
        policy: policy.to_string(),
    };
    (state, Some(change))
}

fn health(
    f: &MetricFilter,
    found_f: Option<&MetricFilter>,
    a: &MetricAlarm,
    found_a: Option<&MetricAlarm>,
    topic: &str,
) -> Health {
    match (found_f, found_a) {
        (None, _) => Health::FilterMissing,
        (Some(x), _) if x != f => Health::FilterChanged,
        (_, None) => Health::AlarmMissing,
        (_, Some(x)) if !same_condition(a, x) => Health::AlarmChanged,
        (_, Some(x)) if !notifies(x, topic) => Health::ActionMissing,
        _ => Health::InPlace,
    }
}

/// The alarm's metric and condition as trailhub wants them (its description and other actions aside).
fn same_condition(want: &MetricAlarm, found: &MetricAlarm) -> bool {
    want.metric_name == found.metric_name
        && want.namespace == found.namespace
        && want.statistic == found.statistic
        && want.period == found.period
        && want.evaluation_periods == found.evaluation_periods
        && (want.threshold - found.threshold).abs() < f64::EPSILON
        && want.comparison == found.comparison
}

fn notifies(found: &MetricAlarm, topic: &str) -> bool {
    found.actions_enabled && found.actions.iter().any(|a| a == topic)
}

fn alarm_right(want: &MetricAlarm, found: Option<&MetricAlarm>, topic: &str) -> bool {
    found.is_some_and(|f| same_condition(want, f) && notifies(f, topic))
}

/// The alarm to put: trailhub's, with every other action someone added to it kept.
fn keep_actions(want: &MetricAlarm, found: Option<&MetricAlarm>) -> MetricAlarm {
    let mut alarm = want.clone();
    for other in found.into_iter().flat_map(|f| &f.actions) {
        if !alarm.actions.contains(other) {
            alarm.actions.push(other.clone());
        }
    }
    alarm
}

#[cfg(test)]
mod tests;
