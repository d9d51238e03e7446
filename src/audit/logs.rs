//! The judge's checks of the other log deliveries (pure, facts in, problems out): the judged trail's
//! delivery to CloudWatch Logs (`[cloudwatch]`) and the account's VPC flow logs (`[flow_logs]`), against
//! what `plan` would make (`plan::cloudwatch`, `plan::flow_logs`) and the bucket policy in force.
//!
//! A trail trailhub manages must deliver to the configured log group with trailhub's role, both present.
//! Another trail that covers the account (an organization trail, or one made by hand) is not trailhub's to
//! change: any CloudWatch Logs group it delivers to counts, and only a trail with none is a gap.

use crate::aws::{DesiredFlowLog, FlowLogDestination, ObservedFlowLog, TrailLogs, TrailStatus};
use crate::config::{FlowDestination, ScopedAccount};
use crate::plan::cloudwatch::{self, LogsSetup};
use crate::plan::{
    DELIVERY_LOGS, DeliveryState, delivery_denial, flow_log_delivery, flow_logs, layout,
};

use super::judge::Judge;
use super::{Code, Problem, age};
use crate::observe::audit::Candidate;

const CLOUDWATCH_RUNBOOK: &str = "runbooks/cloudwatch-logs.md";
const FLOW_LOGS_RUNBOOK: &str = "runbooks/vpc-flow-logs.md";

/// The problems of candidate trail `c`'s delivery to CloudWatch Logs, when `[cloudwatch]` applies to the
/// account: `no-cloudwatch`, then `cloudwatch-error` and `cloudwatch-stale` from its status (None: not
/// read, already reported).
pub(super) fn trail_problems(
    j: &Judge,
    target: &ScopedAccount,
    d: &DeliveryState,
    c: &Candidate,
    status: Option<&TrailStatus>,
) -> Vec<Problem> {
    let setup = match cloudwatch::trail_setup(j.cfg, target) {
        None => return vec![],
        Some(Ok(s)) => s,
        Some(Err(why)) => {
            return vec![Problem::gap(
                Code::NoCloudwatch,
                format!(
                    "[cloudwatch] log_group makes no valid log group name for this account: {why} \
                     ({CLOUDWATCH_RUNBOOK}#log-group-name)"
                ),
            )];
        }
    };
    let t = &c.trail;
    let Some(have) = &t.cloudwatch else {
        let what = if c.managed {
            format!(
                "it should send to log group {} with role {}; run trailhub apply",
                setup.group, setup.role.name
            )
        } else {
            // apply never changes a trail it does not manage: the fix is that trail's owner's
            "it is not trailhub's: point it at a log group, or set cloudwatch = false for the account"
                .to_owned()
        };
        return vec![Problem::gap(
            Code::NoCloudwatch,
            format!(
                "trail {} does not deliver to CloudWatch Logs: {what} ({CLOUDWATCH_RUNBOOK}#no-cloudwatch)",
                t.name
            ),
        )];
    };
    let mut out = if c.managed {
        own_setup(t.name.as_str(), &setup, have, d)
    } else if have.role_arn.is_empty() {
        vec![no_role(&t.name, have)]
    } else {
        vec![]
    };
    if let Some(s) = status {
        out.extend(delivery_problems(j, &t.name, have, s));
    }
    out
}

/// trailhub's own trail: the configured group, present; trailhub's role, present (another role is only
/// a warning: it was not read, and `apply` points the trail back at trailhub's).
fn own_setup(trail: &str, want: &LogsSetup, have: &TrailLogs, d: &DeliveryState) -> Vec<Problem> {
    let gap = |m: String| {
        Problem::gap(
            Code::NoCloudwatch,
            format!("{m}; run trailhub apply ({CLOUDWATCH_RUNBOOK}#no-cloudwatch)"),
        )
    };
    let mut out = Vec::new();
    let group_arn = have.log_group_arn.trim_end_matches(":*");
    if group_arn != want.group_arn {
        out.push(gap(format!(
            "trail {trail} delivers to log group {}, not to {} ({})",
            group_name(group_arn),
            want.group,
            want.group_arn
        )));
    } else if d.trail_group.is_none() {
        out.push(gap(format!(
            "trail {trail} names log group {}, which does not exist",
            want.group
        )));
    }
    if have.role_arn.is_empty() {
        out.push(no_role(trail, have));
    } else if role_name(&have.role_arn) != want.role.name {
        out.push(Problem::warning(
            Code::NoCloudwatch,
            format!(
                "trail {trail} uses role {}, not trailhub's {}: that role is not checked, and \
                 trailhub apply points the trail at {} ({CLOUDWATCH_RUNBOOK}#no-cloudwatch)",
                have.role_arn, want.role.name, want.role.name
            ),
        ));
    } else if d.trail_role.is_none() {
        out.push(gap(format!(
            "trail {trail} sends to CloudWatch Logs with role {}, which does not exist",
            want.role.name
        )));
    }
    out
}

fn no_role(trail: &str, have: &TrailLogs) -> Problem {
    Problem::gap(
        Code::NoCloudwatch,
        format!(
            "trail {trail} names log group {} but no role: CloudTrail cannot deliver to it \
             ({CLOUDWATCH_RUNBOOK}#no-cloudwatch)",
            group_name(have.log_group_arn.trim_end_matches(":*"))
        ),
    )
}

/// What CloudTrail says of its deliveries to the group: an error, and how long ago the latest was.
fn delivery_problems(j: &Judge, trail: &str, have: &TrailLogs, s: &TrailStatus) -> Vec<Problem> {
    let group = group_name(have.log_group_arn.trim_end_matches(":*"));
    let mut out = Vec::new();
    if let Some(e) = &s.latest_cloudwatch_delivery_error {
        out.push(Problem::gap(
            Code::CloudwatchError,
            format!(
                "CloudTrail reports an error delivering trail {trail} to log group {group}: {e} \
                 ({CLOUDWATCH_RUNBOOK}#cloudwatch-error)"
            ),
        ));
    }
    let max_age = i64::try_from(j.max_age.as_secs()).unwrap_or(i64::MAX);
    match s.latest_cloudwatch_delivery_time {
        Some(at) if j.now - at > max_age => out.push(Problem::gap(
            Code::CloudwatchStale,
            format!(
                "CloudTrail's latest delivery of trail {trail} to log group {group} was {} ago \
                 (--max-age {}) ({CLOUDWATCH_RUNBOOK}#cloudwatch-stale)",
                age(j.now - at),
                age(max_age)
            ),
        )),
        Some(_) => {}
        None => out.push(Problem::warning(
            Code::CloudwatchStale,
            format!(
                "CloudTrail does not say when it last delivered trail {trail} to log group {group}: \
                 freshness unknown ({CLOUDWATCH_RUNBOOK}#cloudwatch-stale)"
            ),
        )),
    }
    out
}

/// The account's flow logs, when `[flow_logs]` applies to it: the log group and role of the `cloudwatch`
/// destination, each VPC's flow log to each destination (`flow-logs-missing`, `flow-logs-failed`), and
/// whether the bucket policy lets delivery.logs write the account's flow logs (`flow-logs-denied`).
pub(super) fn flow_problems(j: &Judge, target: &ScopedAccount, d: &DeliveryState) -> Vec<Problem> {
    let Some(fl) = j.cfg.flow_logs.as_ref().filter(|_| target.flow_logs) else {
        return vec![];
    };
    let mut out = Vec::new();
    let setup = match cloudwatch::flow_setup(j.cfg, target).transpose() {
        Ok(s) => s,
        Err(why) => {
            out.push(Problem::gap(
                Code::FlowLogsMissing,
                format!(
                    "[flow_logs] log_group makes no valid log group name for this account: {why}; no \
                     flow log can go to CloudWatch Logs ({CLOUDWATCH_RUNBOOK}#log-group-name)"
                ),
            ));
            None
        }
    };
    if let Some(s) = &setup {
        out.extend(flow_setup_problems(s, d));
    }
    let every = flow_logs::RegionScope::Every;
    let role_arn = setup.as_ref().map(|s| {
        d.flow_role
            .as_ref()
            .map_or_else(|| s.role_arn.clone(), |r| r.arn.clone())
    });
    let cw = setup.as_ref().zip(role_arn.as_deref());
    out.extend(region_problems(d));
    let wanted = flow_logs::desired(j.cfg, target, &d.vpcs, cw, every);
    if let Some(s) = &setup {
        for r in flow_logs::other_cloudwatch_regions(j.cfg, &wanted) {
            if d.flow_groups
                .iter()
                .any(|(g, group)| g == r && group.is_none())
            {
                out.push(Problem::gap(
                    Code::FlowLogsMissing,
                    format!(
                        "the flow logs' log group {} does not exist in {r}: the flow logs of {r} \
                         cannot deliver to CloudWatch Logs; run trailhub apply \
                         ({FLOW_LOGS_RUNBOOK}#flow-logs-missing)",
                        s.group
                    ),
                ));
            }
        }
    }
    for (dest, want) in wanted {
        let at_place: Vec<&ObservedFlowLog> = d
            .flow_logs
            .iter()
            .filter(|o| {
                o.region == want.region
                    && o.resource_id == want.vpc_id
                    && flow_logs::same_place(&o.target, &want.target)
            })
            .collect();
        let place = place(j, dest, &want.target);
        let right = at_place
            .iter()
            .any(|o| flow_logs::differences(o, &want).is_empty());
        if !right {
            let outside = !fl.regions.wants(&want.region);
            out.push(missing(&want, &place, at_place.first().copied(), outside));
        }
        out.extend(
            at_place
                .iter()
                .filter(|o| o.deliver_logs_status.as_deref() == Some("FAILED"))
                .map(|o| failed(o, &place)),
        );
    }
    if fl.destinations.contains(&FlowDestination::S3)
        && let Some(p) = denied(j, target)
    {
        out.push(p);
    }
    out
}

/// The account's Regions: those closed by policy, in one note; each one that could not be read, a gap.
fn region_problems(d: &DeliveryState) -> Vec<Problem> {
    let mut out = Vec::new();
    if !d.regions.closed.is_empty() {
        out.push(Problem::warning(
            Code::FlowLogsRegionClosed,
            format!(
                "Regions closed by policy (their reads refused, as an SCP denying a Region does): {}; \
                 not a failure ({FLOW_LOGS_RUNBOOK}#flow-logs-region-closed)",
                d.regions.closed.join(", ")
            ),
        ));
    }
    for (region, e) in &d.regions.failed {
        out.push(Problem::gap(
            Code::FlowLogsRegionUnread,
            format!(
                "the VPCs of {region} could not be read ({}: {}: {}): their flow logs are unknown \
                 ({FLOW_LOGS_RUNBOOK}#flow-logs-region-unread)",
                e.operation, e.code, e.message
            ),
        ));
    }
    out
}

/// The flow logs' log group and role (`cloudwatch` destination): both must exist.
fn flow_setup_problems(s: &LogsSetup, d: &DeliveryState) -> Vec<Problem> {
    let gap = |what: String| {
        Problem::gap(
            Code::FlowLogsMissing,
            format!(
                "{what}: flow logs cannot deliver to CloudWatch Logs; run trailhub apply \
                 ({FLOW_LOGS_RUNBOOK}#flow-logs-missing)"
            ),
        )
    };
    let mut out = Vec::new();
    if d.flow_group.is_none() {
        out.push(gap(format!(
            "the flow logs' log group {} does not exist",
            s.group
        )));
    }
    if d.flow_role.is_none() {
        out.push(gap(format!(
            "the flow logs' role {} does not exist",
            s.role.name
        )));
    }
    out
}

/// Where a flow log of this destination goes, as people read it.
fn place(j: &Judge, dest: FlowDestination, t: &FlowLogDestination) -> String {
    match t {
        FlowLogDestination::CloudWatch { log_group, .. } => format!("log group {log_group}"),
        _ => {
            let c = &j.cfg.central;
            let prefix = c.key_prefix.as_ref().map(|p| p.as_str());
            format!(
                "{} ({})",
                layout::s3_url(c.bucket.as_str(), prefix),
                dest.name()
            )
        }
    }
}

/// A VPC without the flow log trailhub wants at `place`: none there, or one with other settings.
/// `outside`: its Region is not in `[flow_logs] regions`, so apply will not make it.
fn missing(
    want: &DesiredFlowLog,
    place: &str,
    other: Option<&ObservedFlowLog>,
    outside: bool,
) -> Problem {
    let (vpc, region) = (&want.vpc_id, &want.region);
    let mut msg = match other {
        None => format!("VPC {vpc} in {region} has no flow log to {place}"),
        Some(o) => format!(
            "VPC {vpc}'s flow log {} in {region} to {place} has other settings ({}): trailhub apply replaces it",
            o.id,
            flow_logs::differences(o, want).join(", ")
        ),
    };
    if outside {
        msg.push_str(&format!(
            "; {region} is not in [flow_logs] regions: add it, or the VPC goes unlogged"
        ));
    }
    Problem::gap(
        Code::FlowLogsMissing,
        format!("{msg} ({FLOW_LOGS_RUNBOOK}#flow-logs-missing)"),
    )
}

fn failed(o: &ObservedFlowLog, place: &str) -> Problem {
    let why = o
        .deliver_logs_error
        .as_deref()
        .unwrap_or("AWS gives no message");
    Problem::gap(
        Code::FlowLogsFailed,
        format!(
            "flow log {} of VPC {} in {} to {place} fails to deliver (DeliverLogsStatus FAILED): {why} \
             ({FLOW_LOGS_RUNBOOK}#flow-logs-failed)",
            o.id, o.resource_id, o.region
        ),
    )
}

/// Why the bucket policy would not let delivery.logs write this account's flow logs, or None when it would.
fn denied(j: &Judge, target: &ScopedAccount) -> Option<Problem> {
    let delivery = j
        .orgs
        .source(&target.id)
        .on(flow_log_delivery(j.cfg, &target.id));
    let why = delivery_denial(j.policy, &delivery, &j.orgs.facts.rcps, DELIVERY_LOGS)?;
    let c = &j.cfg.central;
    let prefix = c.key_prefix.as_ref().map(|p| p.as_str());
    let folder = format!(
        "s3://{}/{}",
        c.bucket,
        layout::flow_log_prefix(
            prefix,
            target.id.as_str(),
            crate::plan::hive_flow_logs(j.cfg)
        )
    );
    let msg = match j.policy_note {
        Some(note) => {
            format!("{note}: {DELIVERY_LOGS} cannot write the flow logs under {folder} ({why})")
        }
        None => format!(
            "the bucket policy does not let {DELIVERY_LOGS} write the flow logs under {folder}: {why}"
        ),
    };
    Some(Problem::gap(
        Code::FlowLogsDenied,
        format!("{msg} ({FLOW_LOGS_RUNBOOK}#flow-logs-denied)"),
    ))
}

/// The name in a log group ARN (`arn:...:log-group:NAME`), or the text itself when it is not one.
fn group_name(arn: &str) -> &str {
    arn.split_once(":log-group:").map_or(arn, |(_, n)| n)
}

/// The name in a role ARN (`arn:...:role/[path/]NAME`).
fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Severity::{self, Gap, Warning};
    use crate::audit::fixtures::*;
    use crate::audit::judge::classify_account;
    use crate::aws::AwsError;
    use crate::observe::audit::Facts;
    use crate::plan::AccountFailure;
    use serde_json::{Value, json};

    /// The right world under [`LOGS_CFG`]: DEV's trail delivers to its group with trailhub's role, both
    /// there; its two VPCs have their flow logs to both destinations; the policy lets both services write.
    struct Right {
        cfg: crate::config::Config,
        policy: Value,
        candidate: Candidate,
        delivery: DeliveryState,
    }

    fn right() -> Right {
        let cfg = logs_cfg();
        let t = dev();
        Right {
            policy: flow_policy(&[(DEV, DEV_ARN)], &[DEV]),
            candidate: healthy_with_logs(&cfg, &t, DEV_ARN),
            delivery: applied_delivery(&cfg, &t, &["vpc-1", "vpc-2"]),
            cfg,
        }
    }

    impl Right {
        fn problems(&self) -> Vec<Problem> {
            self.problems_of(vec![self.candidate.clone()])
        }

        fn problems_of(&self, candidates: Vec<Candidate>) -> Vec<Problem> {
            let j = judge(&self.cfg, &self.policy);
            classify_account(&j, &dev(), &reached_with(candidates, self.delivery.clone())).1
        }

        fn codes(&self) -> Vec<(Code, Severity)> {
            self.problems()
                .iter()
                .map(|p| (p.code, p.severity))
                .collect()
        }
    }

    fn only(problems: &[Problem], code: Code, severity: Severity) -> &Problem {
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!((problems[0].code, problems[0].severity), (code, severity));
        &problems[0]
    }

    #[test]
    fn a_right_account_has_no_problem() {
        let r = right();
        assert_eq!(r.codes(), []);
        assert_eq!(r.delivery.flow_logs.len(), 4, "2 VPCs x 2 destinations");
        // without the sections nothing is judged, whatever the account holds
        let cfg = cfg();
        let p = policy(&[(DEV, DEV_ARN)]);
        let j = judge(&cfg, &p);
        let facts = reached_with(vec![healthy(DEV_ARN)], DeliveryState::default());
        assert_eq!(classify_account(&j, &dev(), &facts).1, []);
    }

    #[test]
    fn no_cloudwatch_when_the_trail_does_not_deliver_there() {
        let mut r = right();
        r.candidate.trail.cloudwatch = None;
        let p = r.problems();
        let p = only(&p, Code::NoCloudwatch, Gap);
        assert!(
            p.message
                .contains("trail DEV-CT does not deliver to CloudWatch Logs")
                && p.message
                    .contains("log group /trailhub/DEV with role TrailhubCloudTrailToLogs")
                && p.message.contains("cloudwatch-logs.md#no-cloudwatch"),
            "{p:?}"
        );

        let mut r = right();
        r.candidate.trail.cloudwatch.as_mut().unwrap().log_group_arn =
            "arn:aws:logs:ap-northeast-2:222222222222:log-group:/team/audit:*".into();
        let p = r.problems();
        let p = only(&p, Code::NoCloudwatch, Gap);
        assert!(
            p.message
                .contains("delivers to log group /team/audit, not to /trailhub/DEV"),
            "{p:?}"
        );
    }

    #[test]
    fn no_cloudwatch_when_the_group_or_the_role_is_missing() {
        let mut r = right();
        r.delivery.trail_group = None;
        let p = r.problems();
        let p = only(&p, Code::NoCloudwatch, Gap);
        assert!(
            p.message
                .contains("names log group /trailhub/DEV, which does not exist"),
            "{p:?}"
        );

        let mut r = right();
        r.delivery.trail_role = None;
        let p = r.problems();
        let p = only(&p, Code::NoCloudwatch, Gap);
        assert!(
            p.message
                .contains("with role TrailhubCloudTrailToLogs, which does not exist"),
            "{p:?}"
        );

        // a group without a role: CloudTrail cannot deliver
        let mut r = right();
        r.candidate.trail.cloudwatch.as_mut().unwrap().role_arn = String::new();
        let p = r.problems();
        assert!(
            only(&p, Code::NoCloudwatch, Gap)
                .message
                .contains("but no role")
        );

        // another role than trailhub's: not read, so only a warning
        let mut r = right();
        r.candidate.trail.cloudwatch.as_mut().unwrap().role_arn =
            "arn:aws:iam::222222222222:role/TeamRole".into();
        r.delivery.trail_role = None;
        let p = r.problems();
        let p = only(&p, Code::NoCloudwatch, Warning);
        assert!(
            p.message
                .contains("uses role arn:aws:iam::222222222222:role/TeamRole"),
            "{p:?}"
        );
    }

    #[test]
    fn another_trail_counts_with_any_log_group() {
        // an organization trail (or one made by hand) delivering to a group of its own: covered
        let mut r = right();
        r.delivery.trail_group = None;
        r.delivery.trail_role = None;
        r.candidate.managed = false;
        r.candidate.trail.cloudwatch.as_mut().unwrap().log_group_arn =
            "arn:aws:logs:ap-northeast-2:111111111111:log-group:org-trail:*".into();
        r.candidate.trail.cloudwatch.as_mut().unwrap().role_arn =
            "arn:aws:iam::111111111111:role/OrgTrailToLogs".into();
        assert_eq!(r.codes(), []);
        // ... and with none it is a gap that apply cannot fix: the message says so
        r.candidate.trail.cloudwatch = None;
        let p = r.problems();
        let p = only(&p, Code::NoCloudwatch, Gap);
        assert!(
            p.message.contains(
                "it is not trailhub's: point it at a log group, or set cloudwatch = false"
            ),
            "{p:?}"
        );
    }

    #[test]
    fn the_trail_that_delivers_to_cloudwatch_logs_is_the_one_judged() {
        let r = right();
        let mut mine = r.candidate.clone();
        mine.trail.cloudwatch = None;
        let extra = "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/Extra";
        let mut theirs = healthy_with_logs(&r.cfg, &dev(), extra);
        theirs.managed = false;
        let r = Right {
            policy: flow_policy(&[(DEV, DEV_ARN), (DEV, extra)], &[DEV]),
            ..r
        };
        let j = judge(&r.cfg, &r.policy);
        let facts = reached_with(vec![mine, theirs], r.delivery.clone());
        let (arn, problems) = classify_account(&j, &dev(), &facts);
        assert_eq!((arn.as_deref(), problems), (Some(extra), vec![]));
    }

    #[test]
    fn no_cloudwatch_is_not_judged_where_the_account_opts_out() {
        let text = LOGS_CFG.replace(
            "name = \"DEV\"\n",
            "name = \"DEV\"\ncloudwatch = false\nflow_logs = false\n",
        );
        let cfg = crate::config::Config::parse(std::path::Path::new("a.toml"), &text).unwrap();
        let t = cfg.static_targets().remove(0);
        let p = policy(&[(DEV, DEV_ARN)]);
        let j = judge(&cfg, &p);
        let facts = reached_with(vec![healthy(DEV_ARN)], DeliveryState::default());
        assert_eq!(classify_account(&j, &t, &facts).1, []);
    }

    #[test]
    fn a_log_group_name_the_template_cannot_make_is_said() {
        // "aws/logs" is reserved for AWS; the config's check with a probe name could not see it coming
        let text = LOGS_CFG
            .replace(
                "log_group = \"/trailhub/{name}\"",
                "log_group = \"{name}/logs\"",
            )
            .replace("name = \"DEV\"", "name = \"aws\"");
        let cfg = crate::config::Config::parse(std::path::Path::new("a.toml"), &text).unwrap();
        let t = cfg.static_targets().remove(0);
        let p = flow_policy(&[(DEV, DEV_ARN)], &[DEV]);
        let j = judge(&cfg, &p);
        let facts = reached_with(vec![healthy(DEV_ARN)], DeliveryState::default());
        let problems = classify_account(&j, &t, &facts).1;
        let codes: Vec<_> = problems.iter().map(|p| (p.code, p.severity)).collect();
        // the flow logs' group (no {name} in it) is fine; nothing was read of it here
        assert_eq!(
            codes,
            [
                (Code::NoCloudwatch, Gap),
                (Code::FlowLogsMissing, Gap),
                (Code::FlowLogsMissing, Gap)
            ],
            "{problems:#?}"
        );
        assert!(
            problems[0].message.contains("\"aws/logs\"")
                && problems[0]
                    .message
                    .ends_with("(runbooks/cloudwatch-logs.md#log-group-name)"),
            "{problems:?}"
        );
    }

    #[test]
    fn cloudwatch_error_with_aws_message() {
        let mut r = right();
        assert_eq!(r.codes(), []);
        r.candidate
            .status
            .as_mut()
            .unwrap()
            .latest_cloudwatch_delivery_error =
            Some("AccessDeniedException: not authorized to perform logs:PutLogEvents".into());
        let p = r.problems();
        let p = only(&p, Code::CloudwatchError, Gap);
        assert!(
            p.message.contains(
                "trail DEV-CT to log group /trailhub/DEV: AccessDeniedException: not authorized"
            ) && p.message.contains("#cloudwatch-error"),
            "{p:?}"
        );
    }

    #[test]
    fn cloudwatch_stale_by_delivery_time_or_unknown() {
        let mut r = right();
        r.candidate
            .status
            .as_mut()
            .unwrap()
            .latest_cloudwatch_delivery_time = Some(NOW - DAY + 60);
        assert_eq!(r.codes(), []);
        r.candidate
            .status
            .as_mut()
            .unwrap()
            .latest_cloudwatch_delivery_time = Some(NOW - 2 * DAY);
        let p = r.problems();
        let p = only(&p, Code::CloudwatchStale, Gap);
        assert!(
            p.message.contains("was 2d0h ago (--max-age 24h0m)"),
            "{p:?}"
        );
        // AWS does not say (moto never does): a warning, the account stays covered
        r.candidate
            .status
            .as_mut()
            .unwrap()
            .latest_cloudwatch_delivery_time = None;
        let p = r.problems();
        assert!(
            only(&p, Code::CloudwatchStale, Warning)
                .message
                .contains("does not say")
        );
        // a status that could not be read is unreachable, not stale
        r.candidate.status = Err(AccountFailure::Aws(AwsError::new(
            "GetTrailStatus",
            "Throttling",
            "slow",
        )));
        assert_eq!(r.codes(), [(Code::Unreachable, Gap)]);
    }

    #[test]
    fn flow_logs_missing_names_the_vpc_and_the_destination() {
        let mut r = right();
        r.delivery.flow_logs.retain(|f| {
            !(f.resource_id == "vpc-2" && matches!(f.target, FlowLogDestination::S3 { .. }))
        });
        let p = r.problems();
        let p = only(&p, Code::FlowLogsMissing, Gap);
        assert!(
            p.message
                .starts_with("VPC vpc-2 in ap-northeast-2 has no flow log to s3://sec-log/ (s3)"),
            "{p:?}"
        );

        let mut r = right();
        r.delivery.flow_logs.retain(|f| {
            !(f.resource_id == "vpc-1" && matches!(f.target, FlowLogDestination::CloudWatch { .. }))
        });
        let p = r.problems();
        let p = only(&p, Code::FlowLogsMissing, Gap);
        assert!(
            p.message.starts_with(
                "VPC vpc-1 in ap-northeast-2 has no flow log to log group /trailhub/vpc-flow-logs"
            ),
            "{p:?}"
        );

        // a flow log there with other settings
        let mut r = right();
        let f = &mut r.delivery.flow_logs[0];
        f.traffic_type = "REJECT".into();
        f.max_aggregation_interval = Some(60);
        let p = r.problems();
        let p = only(&p, Code::FlowLogsMissing, Gap);
        assert!(
            p.message.contains("VPC vpc-1's flow log fl-0 in ap-northeast-2 to s3://sec-log/ (s3) has other settings (traffic type REJECT -> ALL, interval 60 -> 600)"),
            "{p:?}"
        );
        // ... unless another one there is right
        let mut r = right();
        let mut other = r.delivery.flow_logs[0].clone();
        other.id = "fl-old".into();
        other.traffic_type = "REJECT".into();
        r.delivery.flow_logs.insert(0, other);
        assert_eq!(r.codes(), []);
        // a new VPC without any
        let mut r = right();
        r.delivery
            .vpcs
            .push(crate::world::Vpc::new("ap-northeast-2", "vpc-3"));
        assert_eq!(
            r.codes(),
            [(Code::FlowLogsMissing, Gap), (Code::FlowLogsMissing, Gap)]
        );
    }

    #[test]
    fn flow_logs_missing_when_their_group_or_role_is() {
        let mut r = right();
        r.delivery.flow_group = None;
        r.delivery.flow_role = None;
        let p = r.problems();
        let msgs: Vec<&str> = p.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            r.codes(),
            [(Code::FlowLogsMissing, Gap), (Code::FlowLogsMissing, Gap)]
        );
        assert!(
            msgs[0].starts_with("the flow logs' log group /trailhub/vpc-flow-logs does not exist"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].starts_with("the flow logs' role TrailhubFlowLogsToLogs does not exist"),
            "{msgs:?}"
        );
    }

    #[test]
    fn flow_logs_failed_with_aws_message() {
        let mut r = right();
        let f = &mut r.delivery.flow_logs[1];
        f.deliver_logs_status = Some("FAILED".into());
        f.deliver_logs_error = Some("Access error".into());
        let p = r.problems();
        let p = only(&p, Code::FlowLogsFailed, Gap);
        assert!(
            p.message.starts_with("flow log fl-1 of VPC vpc-1 in ap-northeast-2 to log group /trailhub/vpc-flow-logs fails to deliver (DeliverLogsStatus FAILED): Access error"),
            "{p:?}"
        );
        r.delivery.flow_logs[1].deliver_logs_status = Some("SUCCESS".into());
        assert_eq!(r.codes(), []);
        // a failing flow log elsewhere (not trailhub's place) is not trailhub's business
        let mut r = right();
        let mut theirs = r.delivery.flow_logs[0].clone();
        theirs.target = FlowLogDestination::S3 {
            arn: "arn:aws:s3:::team-bucket".into(),
            options: Default::default(),
        };
        theirs.deliver_logs_status = Some("FAILED".into());
        r.delivery.flow_logs.push(theirs);
        assert_eq!(r.codes(), []);
    }

    #[test]
    fn flow_logs_denied_by_the_policy_in_force() {
        // trailhub's CloudTrail statements alone do not let delivery.logs write
        let mut r = right();
        r.policy = policy(&[(DEV, DEV_ARN)]);
        let p = r.problems();
        let p = only(&p, Code::FlowLogsDenied, Gap);
        assert!(
            p.message.starts_with(
                "the bucket policy does not let delivery.logs.amazonaws.com write the flow logs under s3://sec-log/AWSLogs/222222222222/vpcflowlogs/: no statement allows s3:GetBucketAcl on the bucket; no statement allows s3:PutObject on its AWSLogs prefix"
            ) && p.message.ends_with("(runbooks/vpc-flow-logs.md#flow-logs-denied)"),
            "{p:?}"
        );
        // statements for another account only
        r.policy = flow_policy(&[(DEV, DEV_ARN)], &["333333333333"]);
        only(&r.problems(), Code::FlowLogsDenied, Gap);
        // someone's Deny on the account's folder is named
        r.policy = flow_policy(&[(DEV, DEV_ARN)], &[DEV]);
        r.policy["Statement"].as_array_mut().unwrap().push(
            json!({"Sid": "NoDevFlows", "Effect": "Deny",
            "Principal": "*", "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::sec-log/AWSLogs/222222222222/vpcflowlogs/*"}),
        );
        let p = r.problems();
        assert!(
            only(&p, Code::FlowLogsDenied, Gap)
                .message
                .contains("s3:PutObject on its AWSLogs prefix is denied by statement NoDevFlows"),
            "{p:?}"
        );
        // no policy at all
        let none = Value::Null;
        let j = Judge {
            policy_note: Some("the bucket has no policy"),
            ..judge(&r.cfg, &none)
        };
        let facts = reached_with(vec![r.candidate.clone()], r.delivery.clone());
        let (_, p) = classify_account(&j, &dev(), &facts);
        let p: Vec<&Problem> = p
            .iter()
            .filter(|p| p.code == Code::FlowLogsDenied)
            .collect();
        assert!(
            p[0].message
                .starts_with("the bucket has no policy: delivery.logs.amazonaws.com cannot write"),
            "{p:?}"
        );
        // the cloudwatch destination alone needs nothing of the bucket
        let text = LOGS_CFG.replace(
            "destinations = [\"s3\", \"cloudwatch\"]",
            "destinations = [\"cloudwatch\"]",
        );
        let cfg = crate::config::Config::parse(std::path::Path::new("a.toml"), &text).unwrap();
        let r = Right {
            policy: policy(&[(DEV, DEV_ARN)]),
            delivery: applied_delivery(&cfg, &dev(), &["vpc-1"]),
            cfg,
            candidate: r.candidate,
        };
        assert_eq!(r.codes(), []);
    }

    #[test]
    fn flow_logs_are_judged_without_a_delivering_trail_and_not_when_unreachable() {
        let r = right();
        let j = judge(&r.cfg, &r.policy);
        let mut d = r.delivery.clone();
        d.flow_logs.clear();
        let (_, p) = classify_account(&j, &dev(), &reached_with(vec![], d));
        let codes: Vec<Code> = p.iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            [
                Code::NoTrail,
                Code::FlowLogsMissing,
                Code::FlowLogsMissing,
                Code::FlowLogsMissing,
                Code::FlowLogsMissing
            ]
        );
        let down = Facts::Unreachable(AccountFailure::Aws(AwsError::new(
            "AssumeRole",
            "AccessDenied",
            "no",
        )));
        let (_, p) = classify_account(&j, &dev(), &down);
        assert_eq!(
            p.iter().map(|p| p.code).collect::<Vec<_>>(),
            [Code::Unreachable]
        );
    }
}
