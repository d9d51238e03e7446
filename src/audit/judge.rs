//! The pure judge: the facts observed in one account in, its problems out (no I/O). Judges each trail
//! that delivers to the central bucket (settings, status, freshness, whether the bucket policy lets it
//! write, and with `[cloudwatch]` its delivery to CloudWatch Logs) and keeps the best; then, with
//! `[flow_logs]`, the account's flow logs (`logs`).

use std::time::Duration;

use serde_json::Value;

use super::logs;
use super::report::gaps;
use super::{Code, Problem, age};
use crate::aws::{EventSelectors, ObservedTrail, StopEvent, TrailStatus};
use crate::config::{Config, ScopedAccount};
use crate::model::{AccountId, TrailArn};
use crate::observe::audit::{Candidate, Facts, log_prefix};
use crate::plan::membership::Orgs;
use crate::plan::policy::CLOUDTRAIL;
use crate::plan::{AccountFailure, DeliveryState, delivery_denial, trail_delivery};
use crate::plan::{layout, selectors};

/// What the audit judges against: where logs must go and the policy in force.
pub(super) struct Judge<'a> {
    pub(super) cfg: &'a Config,
    /// The live bucket policy (`Value::Null` when there is none or it is not JSON).
    pub(super) policy: &'a Value,
    /// The organizations: the run's (with `source = "organizations"`, the policy's organization form names
    /// it), each account's own where it was learned, and the RCPs in force, as the plan judges with them.
    pub(super) orgs: Orgs<'a>,
    /// Said before a policy-denies message when the policy is missing or unreadable.
    pub(super) policy_note: Option<&'a str>,
    /// Seconds since the epoch.
    pub(super) now: i64,
    pub(super) max_age: Duration,
    /// The configured key (`kms_key`), as read.
    pub(super) key: Option<&'a super::kms::KeyFacts>,
}

/// The live bucket policy as the judge reads it, and what to say before a policy-denies message when it
/// is missing (`text` None) or not JSON (then the policy is `Value::Null`).
pub(super) fn live_policy(text: Option<&str>) -> (Value, Option<String>) {
    match text.map(serde_json::from_str::<Value>) {
        None => (Value::Null, Some("the bucket has no policy".to_owned())),
        Some(Err(e)) => (
            Value::Null,
            Some(format!("the bucket policy is not JSON ({e})")),
        ),
        Some(Ok(v)) => (v, None),
    }
}

/// Judges one in-scope account: the trail judged (the first candidate with no gap, else the one with the
/// fewest) and its problems, then its flow logs' problems.
pub(super) fn classify_account(
    j: &Judge,
    target: &ScopedAccount,
    facts: &Facts,
) -> (Option<String>, Vec<Problem>) {
    let (candidates, others, delivery) = match facts {
        Facts::Unreachable(f) => {
            return (
                None,
                vec![Problem::gap(
                    Code::Unreachable,
                    format!("{}: {}", f.code(), f.message()),
                )],
            );
        }
        Facts::Reached {
            candidates,
            others,
            delivery,
        } => (candidates, others, delivery),
    };
    let judged: Vec<(&Candidate, Vec<Problem>)> = candidates
        .iter()
        .map(|c| (c, judge_candidate(j, target, delivery, c)))
        .collect();
    let best = judged
        .iter()
        .enumerate()
        .min_by_key(|(i, (_, p))| (gaps(p), *i))
        .map(|(_, x)| x);
    let (arn, mut problems) = match best {
        Some((c, problems)) => (Some(c.trail.arn.clone()), problems.clone()),
        None => (None, vec![no_trail(j.cfg, others)]),
    };
    problems.extend(logs::flow_problems(j, target, delivery));
    problems.extend(super::boundary::problems(j, target, delivery));
    let judged = best.map(|(c, _)| &c.trail);
    problems.extend(super::alarms::problems(j, target, judged, delivery));
    (arn, problems)
}

/// The gap of an account where no trail delivers to the bucket, naming where its trails deliver instead.
fn no_trail(cfg: &Config, others: &[ObservedTrail]) -> Problem {
    let central = &cfg.central;
    let prefix = central.key_prefix.as_ref().map(|k| k.as_str());
    let target = layout::s3_url(central.bucket.as_str(), prefix);
    let mut msg = format!("no trail delivers to {target}");
    if !others.is_empty() {
        let seen: Vec<String> = others
            .iter()
            .map(|t| {
                let to = match &t.bucket {
                    Some(b) => layout::s3_url(b, t.key_prefix.as_deref()),
                    None => "(no bucket)".to_owned(),
                };
                format!("{} -> {to}", t.name)
            })
            .collect();
        msg.push_str(&format!(" (trails seen: {})", seen.join(", ")));
    }
    Problem::gap(Code::NoTrail, msg)
}

/// The problems of one candidate trail for the account, in the report's order: its status and settings,
/// then how fresh its logs are, then whether the policy lets it deliver, then its delivery to CloudWatch
/// Logs.
fn judge_candidate(
    j: &Judge,
    target: &ScopedAccount,
    d: &DeliveryState,
    c: &Candidate,
) -> Vec<Problem> {
    let account = &target.id;
    let mut out = Vec::new();
    let status = match &c.status {
        Ok(s) => Some(s),
        Err(e) => {
            out.push(Problem::gap(
                Code::Unreachable,
                format!(
                    "cannot read the status of trail {}: {}",
                    c.trail.name,
                    e.describe()
                ),
            ));
            None
        }
    };
    out.extend(settings_problems(&c.trail, status, c.stopped.as_ref()));
    out.extend(selector_problems(&c.trail, &c.selectors));
    out.extend(freshness_problems(j, account, c, status));
    if let Some(denied) = policy_denial(j, account, c) {
        out.push(Problem::gap(Code::PolicyDenies, denied));
    }
    out.extend(logs::trail_problems(j, target, d, c, status));
    out.extend(super::kms::trail_problems(j, &c.trail));
    out
}

/// A trail that does not log every management event, read and write, with no event source left out (a
/// trail with no selectors at all logs nothing), or whose selectors cannot be read.
fn selector_problems(
    t: &ObservedTrail,
    s: &Result<EventSelectors, AccountFailure>,
) -> Option<Problem> {
    match s {
        Ok(s) if selectors::management(s).all() => None,
        Ok(s) => Some(Problem::gap(
            Code::ManagementEventsOff,
            format!(
                "trail {} logs {}, not every management event",
                t.name,
                selectors::describe(s)
            ),
        )),
        Err(e) => Some(Problem::gap(
            Code::Unreachable,
            format!(
                "cannot read the event selectors of trail {}: {}",
                t.name,
                e.describe()
            ),
        )),
    }
}

/// What is wrong with a trail's settings and the status CloudTrail reports for it (None: not read).
/// A time in seconds since the epoch as RFC 3339, to the second (`2026-12-07T23:04:37Z`).
fn timestamp(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// `stopped`: the StopLogging event that stopped it, when LookupEvents found it.
fn settings_problems(
    t: &ObservedTrail,
    status: Option<&TrailStatus>,
    stopped: Option<&StopEvent>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(s) = status
        && !s.is_logging
    {
        let by = stopped
            .map(|e| format!(": stopped by {} at {}", e.by, timestamp(e.at)))
            .unwrap_or_default();
        out.push(Problem::gap(
            Code::NotLogging,
            format!("trail {} exists but is not logging{by}", t.name),
        ));
    }
    if !t.multi_region {
        out.push(Problem::gap(
            Code::NotMultiRegion,
            format!(
                "trail {} logs only its home region {}",
                t.name,
                t.home_region.as_deref().unwrap_or("(unknown)")
            ),
        ));
    }
    if !t.log_validation {
        out.push(Problem::warning(
            Code::NoLogValidation,
            format!(
                "trail {} has log file validation off: its files cannot be proven untampered",
                t.name
            ),
        ));
    }
    if !t.global_events {
        out.push(Problem::gap(
            Code::NoGlobalEvents,
            format!(
                "trail {} does not include global service events (IAM, STS, CloudFront)",
                t.name
            ),
        ));
    }
    if let Some(e) = status.and_then(|s| s.latest_delivery_error.as_deref()) {
        out.push(Problem::gap(
            Code::DeliveryError,
            format!(
                "CloudTrail reports a delivery error for trail {}: {e}",
                t.name
            ),
        ));
    }
    out
}

/// Whether the trail's logs for `account` are fresh: by CloudTrail's latest delivery and by the newest log
/// file in each region folder (none at all is only a warning while the trail is new; a region with none while
/// others are fresh is a warning that names it).
fn freshness_problems(
    j: &Judge,
    account: &AccountId,
    c: &Candidate,
    status: Option<&TrailStatus>,
) -> Vec<Problem> {
    let max_age = i64::try_from(j.max_age.as_secs()).unwrap_or(i64::MAX);
    let place = format!(
        "s3://{}/{}",
        j.cfg.central.bucket,
        log_prefix(j.cfg, c.org_id.as_deref(), account.as_str())
    );
    let regions = match &c.delivery {
        Ok(r) => r,
        Err(f) => {
            return vec![Problem::gap(
                Code::Unreachable,
                format!("cannot list the log files under {place}: {}", f.describe()),
            )];
        }
    };
    let mut stale = Vec::new();
    if let Some(d) = status.and_then(|s| s.latest_delivery_time)
        && j.now - d > max_age
    {
        stale.push(format!(
            "CloudTrail's latest delivery was {} ago",
            age(j.now - d)
        ));
    }
    let newest = regions.iter().filter_map(|r| r.newest).max();
    let stale_regions: Vec<&str> = regions
        .iter()
        .filter(|r| r.newest.is_none_or(|n| j.now - n > max_age))
        .map(|r| r.region.as_str())
        .collect();
    let mut out = Vec::new();
    match newest {
        _ if regions.is_empty() => out.push(no_delivery(j, status, &place, max_age)),
        None => stale.push(format!(
            "no log file under {place} in the day folders of the last {} days (regions: {})",
            (max_age + 86_399) / 86_400 + 1,
            stale_regions.join(", ")
        )),
        Some(o) if j.now - o > max_age => stale.push(format!(
            "the newest log file under {place} is {} old",
            age(j.now - o)
        )),
        Some(_) if !stale_regions.is_empty() => out.push(Problem::warning(
            Code::StaleDelivery,
            format!(
                "no log file within --max-age from {} under {place}, while other regions are fresh",
                stale_regions.join(", ")
            ),
        )),
        Some(_) => {}
    }
    if !stale.is_empty() {
        out.push(Problem::gap(
            Code::StaleDelivery,
            format!("{} (--max-age {})", stale.join("; "), age(max_age)),
        ));
    }
    out
}

/// No log file at all under the account's prefix: a warning while the trail is new, else a gap.
fn no_delivery(j: &Judge, status: Option<&TrailStatus>, place: &str, max_age: i64) -> Problem {
    let started = status.and_then(|s| s.start_logging_time);
    let recent =
        status.is_some_and(|s| s.is_logging) && started.is_some_and(|st| j.now - st <= max_age);
    let msg = format!("no object under {place}");
    if recent {
        Problem::warning(
            Code::NoDelivery,
            format!(
                "{msg}; the trail started logging {} ago, within --max-age",
                age(j.now - started.unwrap_or(j.now))
            ),
        )
    } else {
        Problem::gap(Code::NoDelivery, msg)
    }
}

/// Why the policy does not let this trail deliver this account's logs, or None when it does.
fn policy_denial(j: &Judge, account: &AccountId, c: &Candidate) -> Option<String> {
    let arn = TrailArn::parse(&c.trail.arn)?;
    let target = match c.org_id.as_deref() {
        // the account's own trail, with the account's own organization (as the plan judges it)
        None => j
            .orgs
            .source(account)
            .on(trail_delivery(j.cfg, account, &arn, None, None)),
        // an organization trail writes under AWSLogs/<org-id>/<account>/, as its own account
        Some(o) => trail_delivery(j.cfg, account, &arn, Some(o), Some(o)),
    };
    let why = delivery_denial(j.policy, &target, &j.orgs.facts.rcps, CLOUDTRAIL)?;
    Some(match j.policy_note {
        Some(note) => format!("{note}: trail {} cannot deliver ({why})", c.trail.arn),
        None => format!(
            "the bucket policy does not let trail {} deliver: {why}",
            c.trail.arn
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Severity;
    use crate::audit::fixtures::*;
    use crate::aws::AwsError;
    use crate::plan::policy::CLOUDTRAIL;
    use serde_json::json;

    fn codes(j: &Judge, facts: Facts) -> Vec<(Code, Severity)> {
        let (_, p) = classify_account(j, &dev(), &facts);
        p.iter().map(|p| (p.code, p.severity)).collect()
    }

    #[test]
    fn a_healthy_trail_has_no_problem() {
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let (arn, problems) = classify_account(&j, &dev(), &reached(vec![healthy(DEV_ARN)]));
        assert_eq!(arn.as_deref(), Some(DEV_ARN));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn each_setting_and_status_problem() {
        use Severity::*;
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let mut c = healthy(DEV_ARN);
        c.trail.multi_region = false;
        c.trail.global_events = false;
        c.trail.log_validation = false;
        let s = c.status.as_mut().unwrap();
        s.is_logging = false;
        s.latest_delivery_error = Some("AccessDenied".into());
        assert_eq!(
            codes(&j, reached(vec![c])),
            [
                (Code::NotLogging, Gap),
                (Code::NotMultiRegion, Gap),
                (Code::NoLogValidation, Warning),
                (Code::NoGlobalEvents, Gap),
                (Code::DeliveryError, Gap),
            ]
        );
        assert_eq!(
            codes(
                &j,
                Facts::Unreachable(AccountFailure::Aws(AwsError::new(
                    "AssumeRole",
                    "AccessDenied",
                    "no"
                )))
            ),
            [(Code::Unreachable, Gap)]
        );
        let mut c = healthy(DEV_ARN);
        c.status = Err(AccountFailure::Aws(AwsError::new(
            "GetTrailStatus",
            "Throttling",
            "slow down",
        )));
        assert_eq!(codes(&j, reached(vec![c])), [(Code::Unreachable, Gap)]);
        // no event selectors at all (how moto leaves a new trail): it logs nothing
        let mut c = healthy(DEV_ARN);
        c.selectors = Ok(crate::aws::EventSelectors::default());
        let (_, p) = classify_account(&j, &dev(), &reached(vec![c]));
        assert_eq!(
            p.iter().map(|p| (p.code, p.severity)).collect::<Vec<_>>(),
            [(Code::ManagementEventsOff, Gap)]
        );
        assert!(
            p[0].message
                .contains("logs nothing (it has no event selectors), not every management event"),
            "{p:?}"
        );
        // a listing of the bucket that fails is that account's problem, not the end of the audit
        let mut c = healthy(DEV_ARN);
        c.delivery = Err(AccountFailure::Aws(AwsError::new(
            "ListObjectsV2",
            "SlowDown",
            "reduce your request rate",
        )));
        let (_, p) = classify_account(&j, &dev(), &reached(vec![c]));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].code, p[0].severity), (Code::Unreachable, Gap));
        assert!(p[0].message.contains("cannot list the log files under s3://sec-log/AWSLogs/222222222222/CloudTrail/: ListObjectsV2: SlowDown"), "{p:?}");
    }

    #[test]
    fn freshness_by_delivery_time_and_by_objects() {
        use Severity::*;
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let mut old_delivery = healthy(DEV_ARN);
        old_delivery.status.as_mut().unwrap().latest_delivery_time = Some(NOW - 2 * DAY);
        assert_eq!(
            codes(&j, reached(vec![old_delivery])),
            [(Code::StaleDelivery, Gap)]
        );

        let mut old_object = healthy(DEV_ARN);
        old_object.delivery = Ok(vec![region(Some(NOW - DAY - 1))]);
        let (_, p2) = classify_account(&j, &dev(), &reached(vec![old_object]));
        assert_eq!(p2.len(), 1);
        assert_eq!(p2[0].code, Code::StaleDelivery);
        assert!(
            p2[0]
                .message
                .contains("s3://sec-log/AWSLogs/222222222222/CloudTrail/"),
            "{}",
            p2[0].message
        );

        // no object at all: a warning while the trail is new, a gap once it is older than --max-age
        let mut new_trail = healthy(DEV_ARN);
        new_trail.delivery = Ok(vec![]);
        new_trail.status.as_mut().unwrap().start_logging_time = Some(NOW - 3600);
        assert_eq!(
            codes(&j, reached(vec![new_trail.clone()])),
            [(Code::NoDelivery, Warning)]
        );
        let mut old_trail = new_trail.clone();
        old_trail.status.as_mut().unwrap().start_logging_time = Some(NOW - 2 * DAY);
        assert_eq!(
            codes(&j, reached(vec![old_trail])),
            [(Code::NoDelivery, Gap)]
        );
        let mut unknown_start = new_trail;
        unknown_start.status.as_mut().unwrap().start_logging_time = None;
        assert_eq!(
            codes(&j, reached(vec![unknown_start])),
            [(Code::NoDelivery, Gap)]
        );
    }

    #[test]
    fn no_trail_names_the_trails_seen() {
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let mut elsewhere = trail(DEV_ARN);
        elsewhere.bucket = Some("other".into());
        let facts = Facts::Reached {
            candidates: vec![],
            others: vec![elsewhere],
            delivery: Box::default(),
        };
        let (arn, problems) = classify_account(&j, &dev(), &facts);
        assert_eq!(arn, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, Code::NoTrail);
        assert!(
            problems[0].message.contains("DEV-CT -> s3://other/"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn policy_denies_judges_that_exact_trail() {
        let cfg = cfg();
        let other = "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/Renamed";
        let p = policy(&[(DEV, other)]);
        let j = judge(&cfg, &p);
        let (_, problems) = classify_account(&j, &dev(), &reached(vec![healthy(DEV_ARN)]));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, Code::PolicyDenies);
        assert!(problems[0].message.contains(DEV_ARN));

        let none = Value::Null;
        let j = Judge {
            policy_note: Some("the bucket has no policy"),
            ..judge(&cfg, &none)
        };
        let (_, problems) = classify_account(&j, &dev(), &reached(vec![healthy(DEV_ARN)]));
        assert!(
            problems[0].message.starts_with("the bucket has no policy"),
            "{problems:?}"
        );
    }

    #[test]
    fn any_delivering_trail_counts_the_best_is_judged() {
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let mut stopped = healthy(DEV_ARN);
        stopped.status.as_mut().unwrap().is_logging = false;
        let extra = "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/Extra";
        let p2 = policy(&[(DEV, DEV_ARN), (DEV, extra)]);
        let j2 = judge(&cfg, &p2);
        let (arn, problems) =
            classify_account(&j2, &dev(), &reached(vec![stopped.clone(), healthy(extra)]));
        assert_eq!(arn.as_deref(), Some(extra));
        assert!(problems.is_empty());
        // both broken: the one with the fewest gaps, the preferred one on a tie
        let (arn, _) = classify_account(&j, &dev(), &reached(vec![stopped, healthy(extra)]));
        assert_eq!(arn.as_deref(), Some(DEV_ARN));
    }

    #[test]
    fn an_organization_trail_writes_under_the_org_id() {
        let cfg = cfg();
        let org_arn = "arn:aws:cloudtrail:ap-northeast-2:111111111111:trail/ORG";
        let org_policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:GetBucketAcl",
             "Resource": "arn:aws:s3:::sec-log", "Condition": {"StringEquals": {"aws:SourceArn": org_arn}}},
            {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::sec-log/AWSLogs/o-abc123/*",
             "Condition": {"StringEquals": {"aws:SourceArn": org_arn}}}]});
        let j = judge(&cfg, &org_policy);
        let mut c = healthy(org_arn);
        c.trail.organization_trail = true;
        c.org_id = Some("o-abc123".into());
        assert_eq!(codes(&j, reached(vec![c.clone()])), []);
        c.delivery = Ok(vec![]);
        c.status.as_mut().unwrap().start_logging_time = Some(NOW - 2 * DAY);
        let (_, p) = classify_account(&j, &dev(), &reached(vec![c]));
        assert!(
            p[0].message
                .contains("s3://sec-log/AWSLogs/o-abc123/222222222222/CloudTrail/"),
            "{p:?}"
        );
        // the same trail judged as a plain trail would write under AWSLogs/<id>/: denied
        let (_, p) = classify_account(&j, &dev(), &reached(vec![healthy(org_arn)]));
        assert_eq!(p[0].code, Code::PolicyDenies);
    }
}
