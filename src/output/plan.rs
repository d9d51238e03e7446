//! `trailhub plan` (and the plan `apply` shows before asking): the bucket, the policy and each account's
//! trail, as `apply` would change them (pure rendering).

use std::io::{self, Write};

use serde_json::{Value, json};

use super::policy::form_line;
use super::{
    Console, LogsWork, Render, account_table, closed_note, guard_names, print_rows, rejected_json,
    vpcs_in,
};
use crate::cli::Format;
use crate::plan::cloudwatch::describe_setup;
use crate::plan::flow_logs::{FlowLogChange, UntaggedFlowLog};
use crate::plan::policy::Merged;
use crate::plan::rcp::RcpState;
use crate::plan::trails::TrailChange;
use crate::plan::{AccountPlan, AccountPlanStatus, BucketAction, FlowLogsPlan, Plan};
use crate::report::PlanReport;
use crate::world::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

impl Render for PlanReport {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        let mut out = super::wrap::Fit::new(out);
        write_plan(&mut out, Format::Text, self)?;
        out.finish()
    }

    fn json(&self) -> serde_json::Result<Value> {
        let mut v = serde_json::to_value(&self.plan)?;
        v["has_changes"] = json!(self.plan.has_changes());
        v["rejected_accounts"] = rejected_json(&self.rejected);
        Ok(v)
    }

    /// The text, with the account table as a Markdown table (for a change ticket).
    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        write_plan(out, Format::Markdown, self)
    }
}

fn write_plan(out: &mut dyn Write, format: Format, r: &PlanReport) -> io::Result<()> {
    write_bucket(out, &r.plan)?;
    write_policy(out, &r.plan.policy)?;
    write_rcps(out, &r.plan.rcps)?;
    super::bucket::write_key_plan(out, &r.plan)?;
    super::bucket::write_settings_plan(out, &r.plan)?;
    if let Some(g) = &r.plan.guardrails {
        super::guardrails::write_plan(out, g)?;
    }
    super::alarm_queues::write_queue_plans(out, &r.plan.alarm_queues)?;
    writeln!(out)?;
    let (t, tally) = account_rows(r);
    print_rows(out, format, &t)?;
    writeln!(out)?;
    write!(
        out,
        "summary: {} accounts to change, {} up to date, {} cannot be planned",
        tally.change, tally.same, tally.bad
    )?;
    write_existing(out, tally.covered, tally.second_copies)?;
    if let Some(line) = tally
        .logs
        .line(["to create", "to set", "to update", "to replace"])
    {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `, N covered by another trail, M second copies of management events` (each only when not zero), and the
/// end of the summary line.
pub(super) fn write_existing(
    out: &mut dyn Write,
    covered: usize,
    second_copies: usize,
) -> io::Result<()> {
    if covered > 0 {
        write!(out, ", {covered} covered by another trail")?;
    }
    if second_copies > 0 {
        write!(
            out,
            ", {second_copies} would be a second copy of management events (billed)"
        )?;
    }
    writeln!(out)
}

/// `bucket B: create (...)`, `exists` or `exists; turn on ...`, and the guards that could not be read.
fn write_bucket(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let guards = guard_names(&plan.bucket_guards);
    match plan.bucket_action {
        BucketAction::Create => writeln!(out, "bucket {}: create ({guards} on)", plan.bucket)?,
        BucketAction::Exists if guards.is_empty() => {
            writeln!(out, "bucket {}: exists", plan.bucket)?
        }
        BucketAction::Exists => writeln!(out, "bucket {}: exists; turn on {guards}", plan.bucket)?,
    }
    if !plan.bucket_unknown.is_empty() {
        writeln!(
            out,
            "bucket {}: cannot tell whether {} is on (left as it is; -v says why)",
            plan.bucket,
            guard_names(&plan.bucket_unknown)
        )?;
    }
    Ok(())
}

/// The resource control policies in force on the central account, each once with where it is attached,
/// or the one note that they could not be read; nothing when the account is in no organization.
fn write_rcps(out: &mut dyn Write, rcps: &RcpState) -> io::Result<()> {
    match rcps {
        RcpState::Read { .. } => {
            let named: Vec<String> = rcps
                .policies()
                .iter()
                .map(|(p, at)| format!("{} ({}) at {}", p.id, p.name, at.join(", ")))
                .collect();
            if named.is_empty() {
                return Ok(());
            }
            writeln!(
                out,
                "resource control policies: {} (every delivery judged with them)",
                named.join("; ")
            )
        }
        RcpState::Unreadable { reason } => writeln!(
            out,
            "note: cannot read the resource control policies in force on the central account ({reason}); the plan does not prove they let the deliveries through (runbooks/troubleshooting.md#resource-control-policies-not-read)"
        ),
        RcpState::NotRead | RcpState::NoOrganization | RcpState::ManagementAccount => Ok(()),
    }
}

/// `policy: change (...)` or `up to date`, its form, and its entries: `+` added, `=` kept, `~` rewritten.
fn write_policy(out: &mut dyn Write, p: &Merged) -> io::Result<()> {
    if p.changed {
        let mut what = Vec::new();
        if !p.created_statements.is_empty() {
            what.push(format!(
                "add statements {}",
                p.created_statements.join(", ")
            ));
        }
        if p.normalized_statement_list {
            what.push("write Statement as a list".to_owned());
        }
        what.push(format!(
            "{} sources and {} prefixes added",
            p.added_sources.len(),
            p.added_resources.len()
        ));
        if !p.pruned.is_empty() {
            what.push(format!(
                "{} entries of accounts out of scope removed (--prune)",
                p.pruned.len()
            ));
        }
        writeln!(out, "policy: change ({})", what.join("; "))?;
    } else {
        writeln!(out, "policy: up to date")?;
    }
    writeln!(out, "policy form: {}", form_line(p))?;
    for a in p.added_sources.iter().chain(&p.added_resources) {
        writeln!(out, "  + {a}")?;
    }
    for k in p.kept_sources.iter().chain(&p.kept_resources) {
        writeln!(out, "  = {k} (kept, not managed here)")?;
    }
    for k in &p.pruned {
        writeln!(
            out,
            "  - {k} (account no longer in scope: removed, --prune)"
        )?;
    }
    for r in p.rewritten_sources.iter().chain(&p.rewritten_resources) {
        writeln!(out, "  ~ {r} (now written in the {} form)", p.form.name())?;
    }
    for sid in &p.legacy_statements {
        writeln!(
            out,
            "  warning: statement {sid} (the console's old default) has no source condition: any trail of any account may use it (confused deputy); kept as it is, trailhub's statements are beside it. Narrow it with aws:SourceArn, or remove it once trailhub's cover the same trails (runbooks/troubleshooting.md#legacy-statement)"
        )?;
    }
    Ok(())
}

/// Accounts by what their plan is, and the log groups, roles and flow logs to make.
#[derive(Default)]
struct Tally {
    change: usize,
    same: usize,
    bad: usize,
    covered: usize,
    second_copies: usize,
    logs: LogsWork,
}

/// One row per account (the rejected ones last) and the tally of the summary line.
fn account_rows(r: &PlanReport) -> (comfy_table::Table, Tally) {
    let mut tally = Tally {
        bad: r.rejected.len(),
        ..Tally::default()
    };
    let rows = r.plan.accounts.iter().map(|a| {
        [
            a.id.to_string(),
            super::name_with_ou(&a.name, a.ou.as_deref()),
            a.trail_arn.name.clone(),
            plan_cell(a, &mut tally),
        ]
    });
    let t = account_table("PLAN", rows, &r.rejected, "cannot plan");
    (t, tally)
}

/// What an account's plan is, counted in `tally`: its trail's line (`nothing to do`, the changes, `cannot
/// plan: ...` or `blocked: ...`), then, where they have something to say, a line for the trail's
/// CloudWatch Logs setup and one for the flow logs (the first line then starts `trail: `).
fn plan_cell(a: &AccountPlan, tally: &mut Tally) -> String {
    let (trail, blocked) = status_cell(&a.status);
    let trail = with_second_copy(trail, a.second_copy_of.as_ref(), &mut tally.second_copies);
    let mut lines = Vec::new();
    if !a.cloudwatch.is_empty() {
        tally.logs.add_setup(&a.cloudwatch);
        lines.push(format!(
            "CloudWatch Logs: {}",
            describe_setup(&a.cloudwatch).join(", ")
        ));
    }
    let flow_blocked = flow_logs_line(a.flow_logs.as_ref(), tally, &mut lines);
    if let Some(FlowLogsPlan::Changes { untagged, .. }) = &a.flow_logs
        && !untagged.is_empty()
    {
        lines.push(untagged_note(untagged));
    }
    if let Some((key, owner)) = &a.foreign_kms_key {
        lines.push(format!(
            "warning: the trail encrypts with key {key} of account {owner}, which can revoke it (runbooks/kms.md#foreign-kms-key)"
        ));
    }
    let alarms = a.alarms.as_ref().map(super::alarms::plan_line);
    let alarms_blocked = alarms.as_ref().is_some_and(|(_, b)| *b);
    lines.extend(alarms.map(|(line, _)| line));
    if let AccountPlanStatus::Covered { .. } = a.status {
        tally.covered += 1;
    }
    if blocked || flow_blocked || alarms_blocked {
        tally.bad += 1;
    } else if a.has_changes() {
        tally.change += 1;
    } else {
        tally.same += 1;
    }
    if lines.is_empty() {
        return trail;
    }
    lines.insert(0, format!("trail: {trail}"));
    lines.join("\n")
}

/// The flow logs' line of an account's plan cell, when it has something to say, counted in `tally`;
/// whether the flow logs are blocked (or a Region could not be read).
fn flow_logs_line(
    flow_logs: Option<&FlowLogsPlan>,
    tally: &mut Tally,
    lines: &mut Vec<String>,
) -> bool {
    let mut flow_blocked = false;
    match flow_logs {
        Some(FlowLogsPlan::Blocked { failure }) => {
            flow_blocked = true;
            lines.push(format!(
                "flow logs: blocked: {} {}: {}; {}",
                failure.operation(),
                failure.code(),
                failure.message(),
                failure.hint()
            ));
        }
        Some(
            f @ FlowLogsPlan::Changes {
                vpcs: n,
                regions,
                closed,
                failed,
                setup,
                changes,
                ..
            },
        ) if f.has_changes() || !failed.is_empty() => {
            tally.logs.add_setup(setup);
            changes.iter().for_each(|c| tally.logs.add_flow_log(c));
            let mut all = describe_setup(setup);
            all.extend(by_region(changes, regions.len() > 1));
            all.extend(failed.iter().map(|r| {
                let f = &r.failure;
                format!(
                    "{}: not read: {} {}: {}",
                    r.region,
                    f.operation(),
                    f.code(),
                    f.message()
                )
            }));
            lines.push(format!(
                "flow logs ({}): {}{}",
                vpcs_in(*n, regions),
                at_most(&all),
                closed_note(closed)
            ));
            flow_blocked |= !failed.is_empty();
        }
        _ => {}
    }
    flow_blocked
}

/// The flow log changes, a Region at a time when the account's flow logs are in several
/// (`eu-west-1: create vpc-1 (s3), create vpc-2 (s3)`), else each as is.
fn by_region(changes: &[FlowLogChange], several: bool) -> Vec<String> {
    let mut regions: Vec<&str> = changes.iter().map(FlowLogChange::region).collect();
    regions.sort_unstable();
    regions.dedup();
    if !several && regions.len() <= 1 {
        return changes.iter().map(FlowLogChange::short).collect();
    }
    regions
        .into_iter()
        .map(|r| {
            let here: Vec<String> = (changes.iter())
                .filter(|c| c.region() == r)
                .map(FlowLogChange::short)
                .collect();
            format!("{r}: {}", here.join(", "))
        })
        .collect()
}

/// The items of a cell a person reads, joined: the first few, then how many more, once a change spans
/// many Regions (a first apply with 17 Regions has some 60). `--format json` lists each.
pub(super) fn at_most(items: &[String]) -> String {
    const SHOWN: usize = 6;
    if items.len() <= SHOWN + 1 {
        return items.join(", ");
    }
    format!(
        "{}, and {} more ({} in all; --format json lists each)",
        items[..SHOWN].join(", "),
        items.len() - SHOWN,
        items.len()
    )
}

fn describe_all<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}

/// A plan or apply cell, with the warning when trailhub's trail is a billed second copy (counted).
pub(super) fn with_second_copy(
    cell: String,
    second_copy_of: Option<&(String, String)>,
    count: &mut usize,
) -> String {
    match second_copy_of {
        Some((arn, to)) => {
            *count += 1;
            format!(
                "{cell} (warning: a billed second copy: {arn} already logs management events to {to})"
            )
        }
        None => cell,
    }
}

/// The trail's line, and whether the trail cannot be planned or is blocked.
fn status_cell(status: &AccountPlanStatus) -> (String, bool) {
    match status {
        AccountPlanStatus::Covered { by } => (format!("covered by {by}"), false),
        AccountPlanStatus::SecondCopy { of, to } => (
            format!(
                "blocked: {of} already logs management events to {to}, and second_copy = \"refuse\""
            ),
            true,
        ),
        AccountPlanStatus::Changes { changes } if changes.is_empty() => {
            ("nothing to do".to_owned(), false)
        }
        AccountPlanStatus::Changes { changes } => {
            (describe_all(changes, TrailChange::describe), false)
        }
        AccountPlanStatus::Unreachable(f) => (
            format!(
                "cannot plan: {} {}: {}; {}",
                f.operation(),
                f.code(),
                f.message(),
                f.hint()
            ),
            true,
        ),
        AccountPlanStatus::KeyDenies { message } => (format!("blocked: {message}"), true),
        AccountPlanStatus::PolicyDenies { denial } => (
            format!("blocked: the bucket policy would not allow this trail ({denial})"),
            true,
        ),
    }
}

/// The one note for an account's flow logs that differ but carry no trailhub tag: kept as they are, and the
/// command that tags them once (VPC-9), on lines of its own so that it can be copied whole.
pub(super) fn untagged_note(untagged: &[UntaggedFlowLog]) -> String {
    let each: Vec<String> = untagged
        .iter()
        .map(|u| {
            format!(
                "{} on {} ({}: {})",
                u.id,
                u.vpc,
                u.destination.name(),
                u.why
            )
        })
        .collect();
    let ids: Vec<(&str, &str)> = (untagged.iter())
        .map(|u| (u.region.as_str(), u.id.as_str()))
        .collect();
    format!(
        "note: flow logs {} differ but have no {MANAGED_TAG_KEY} tag (an older trailhub or someone else made them), so trailhub may not replace them; they keep delivering as they are (runbooks/vpc-flow-logs.md#a-flow-log-without-trailhubs-tag). To let trailhub manage them, tag them once, then apply again:\n{}",
        each.join(", "),
        tag_commands(&ids)
    )
}

/// `aws ec2 create-tags` for the flow logs `ids` (Region, ID), one command a Region, each on short lines
/// continued with ` \` so that it fits a narrow column and still pastes into a shell as one command.
fn tag_commands(ids: &[(&str, &str)]) -> String {
    let mut regions: Vec<&str> = ids.iter().map(|(r, _)| *r).collect();
    regions.sort_unstable();
    regions.dedup();
    let commands: Vec<String> = (regions.iter())
        .map(|region| {
            let here: Vec<&str> = (ids.iter().filter(|(r, _)| r == region))
                .map(|(_, id)| *id)
                .collect();
            // one --resources takes every ID: three a line, the next lines under the first
            let resources: Vec<String> = (here.chunks(3).enumerate())
                .map(|(n, c)| {
                    let flag = if n == 0 { "--resources" } else { "           " };
                    format!("    {flag} {} \\", c.join(" "))
                })
                .collect();
            format!(
                "  aws ec2 create-tags --region {region} \\\n{}\n    --tags Key={MANAGED_TAG_KEY},Value={MANAGED_TAG_VALUE}",
                resources.join("\n")
            )
        })
        .collect();
    commands.join("\n")
}
