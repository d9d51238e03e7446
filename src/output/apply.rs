//! `trailhub apply`: what was done to the bucket and the policy, one line per account and a summary; or
//! that there was nothing to do, or that it was not applied (pure rendering).

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{
    Console, LogsWork, Render, account_table, closed_note, guard_names, print_rows, rejected_json,
    vpcs, vpcs_in,
};
use crate::apply::{AccountOutcome, ApplyRun, PartStatus};
use crate::cli::Format;
use crate::observe::Rejected;
use crate::report::ApplyReport;

impl Render for ApplyReport {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        write_outcome(out, Format::Text, self)
    }

    fn json(&self) -> serde_json::Result<Value> {
        let mut v = Map::new();
        v.insert("outcome".into(), json!(outcome_name(self)));
        match self {
            ApplyReport::NothingToDo {
                bucket,
                trails,
                vpcs,
                untagged,
            } => {
                v.insert("bucket".into(), json!(bucket));
                v.insert("trails".into(), json!(trails));
                if let Some(n) = vpcs {
                    v.insert("vpcs".into(), json!(n));
                }
                if !untagged.is_empty() {
                    v.insert("untagged_flow_logs".into(), serde_json::to_value(untagged)?);
                }
            }
            ApplyReport::NotApplied => {}
            ApplyReport::StalePlan { plan_file, changes } => {
                v.insert("plan_file".into(), json!(plan_file));
                v.insert("changes".into(), json!(changes));
            }
            ApplyReport::Applied { report, rejected } => {
                if let Value::Object(fields) = serde_json::to_value(report)? {
                    v.extend(fields);
                }
                v.insert("rejected_accounts".into(), rejected_json(rejected));
            }
        }
        v.insert("exit_code".into(), json!(self.exit_code()));
        Ok(Value::Object(v))
    }

    /// The text, with the account table as a Markdown table.
    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        write_outcome(out, Format::Markdown, self)
    }
}

/// The `outcome` field of the JSON document.
fn outcome_name(outcome: &ApplyReport) -> &'static str {
    match outcome {
        ApplyReport::NothingToDo { .. } => "nothing-to-do",
        ApplyReport::NotApplied => "not-applied",
        ApplyReport::StalePlan { .. } => "stale-plan",
        ApplyReport::Applied { .. } => "applied",
    }
}

fn write_outcome(out: &mut dyn Write, format: Format, outcome: &ApplyReport) -> io::Result<()> {
    match outcome {
        ApplyReport::NothingToDo {
            trails, vpcs: None, ..
        } => writeln!(
            out,
            "nothing to do: the bucket, its policy and {trails} trails are as they should be"
        ),
        ApplyReport::NothingToDo {
            trails,
            vpcs: Some(n),
            untagged,
            ..
        } => {
            writeln!(
                out,
                "nothing to do: the bucket, its policy, {trails} trails and the flow logs of {} are as they should be{}",
                vpcs(*n),
                if untagged.is_empty() {
                    ""
                } else {
                    ", but for the flow logs below"
                }
            )?;
            if !untagged.is_empty() {
                writeln!(out, "{}", super::plan::untagged_note(untagged))?;
            }
            Ok(())
        }
        ApplyReport::NotApplied => writeln!(out, "not applied"),
        ApplyReport::StalePlan { plan_file, changes } => {
            writeln!(
                out,
                "refused: {plan_file} is stale, nothing was changed. Since it was saved:"
            )?;
            for c in changes {
                writeln!(out, "  - {c}")?;
            }
            writeln!(
                out,
                "Make the plan again (trailhub plan --out {plan_file}), review it, then apply it."
            )
        }
        ApplyReport::Applied { report, rejected } => {
            write_bucket(out, report)?;
            write_policy(out, report)?;
            super::bucket::write_key_and_settings(out, report)?;
            let (t, tally) = account_rows(report, rejected);
            if format == Format::Markdown {
                // a Markdown table does not interrupt the paragraph above it
                writeln!(out)?;
            }
            print_rows(out, format, &t)?;
            writeln!(out)?;
            super::alarm_queues::write_queue_outcomes(out, &report.alarm_queues)?;
            write_summary(out, &tally)
        }
    }
}

/// `bucket B: created (...)` or `turned on ...`; nothing when the bucket was left as it was.
fn write_bucket(out: &mut dyn Write, report: &ApplyRun) -> io::Result<()> {
    let guards = guard_names(&report.guards_turned_on);
    if report.bucket_created {
        writeln!(out, "bucket {}: created ({guards} on)", report.bucket)?;
    } else if !guards.is_empty() {
        writeln!(out, "bucket {}: turned on {guards}", report.bucket)?;
    }
    Ok(())
}

/// The backup, the write (and the writes another writer caused), or why nothing was written.
fn write_policy(out: &mut dyn Write, report: &ApplyRun) -> io::Result<()> {
    let policy = &report.policy;
    if let Some(b) = &policy.backup {
        writeln!(out, "policy: backed up to {}", b.display())?;
    }
    if policy.written {
        let again = if policy.writes > 1 {
            format!(
                " ({} writes: another writer changed it meanwhile, merged)",
                policy.writes
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "policy: written and read back, {} bytes{again}",
            policy.size
        )?;
    } else if report.interrupted
        && report
            .accounts
            .iter()
            .all(|a| a.result == PartStatus::Skipped)
    {
        writeln!(
            out,
            "policy: not written (interrupted before the first write: nothing was changed)"
        )?;
    } else {
        writeln!(out, "policy: up to date")?;
    }
    if policy.rewrites_after_trails > 0 {
        writeln!(
            out,
            "policy: another apply had replaced it meanwhile without this run's entries: merged and written again"
        )?;
    }
    Ok(())
}

/// Accounts by how their apply ended, and the log groups, roles and flow logs made.
#[derive(Default)]
struct Tally {
    changed: usize,
    same: usize,
    failed: usize,
    skipped: usize,
    covered: usize,
    second_copies: usize,
    logs: LogsWork,
}

/// One row per account (the rejected ones last, as failed) and the tally of the summary line.
fn account_rows(report: &ApplyRun, rejected: &[Rejected]) -> (comfy_table::Table, Tally) {
    let mut tally = Tally {
        failed: rejected.len(),
        ..Tally::default()
    };
    let rows = report.accounts.iter().map(|a| {
        [
            a.id.to_string(),
            a.name.clone(),
            a.trail_arn.name.clone(),
            outcome_cell(a, &mut tally),
        ]
    });
    let t = account_table("RESULT", rows, rejected, "FAILED");
    (t, tally)
}

/// How an account ended, counted in `tally`: the trail's line (with the second-copy warning when there is
/// one), then, where they have something to say, a line for the trail's CloudWatch Logs part and one for
/// the flow logs (the first line then starts `trail: `).
fn outcome_cell(a: &AccountOutcome, tally: &mut Tally) -> String {
    let trail = result_cell(&a.result);
    let trail =
        super::plan::with_second_copy(trail, a.second_copy_of.as_ref(), &mut tally.second_copies);
    let mut lines = Vec::new();
    if let Some(c) = &a.cloudwatch {
        tally.logs.add_setup(&c.setup);
        if c.result != PartStatus::Unchanged {
            lines.push(format!("CloudWatch Logs: {}", result_cell(&c.result)));
        }
    }
    if let Some(f) = &a.flow_logs {
        tally.logs.add_setup(&f.setup);
        tally.logs.flow_logs += f.created.iter().filter(|m| m.replaces.is_none()).count();
        tally.logs.replaced += f.created.iter().filter(|m| m.replaces.is_some()).count();
        tally.logs.policy_restores += usize::from(f.policy_restored.is_some());
        if f.result != PartStatus::Unchanged {
            lines.push(format!(
                "flow logs ({}): {}{}",
                vpcs_in(f.vpcs, &f.regions),
                result_cell(&f.result),
                closed_note(&f.closed)
            ));
        }
        if !f.untagged.is_empty() {
            lines.push(super::plan::untagged_note(&f.untagged));
        }
    }
    lines.extend(a.alarms.as_ref().and_then(super::alarms::apply_line));
    if let PartStatus::Covered { .. } = a.result {
        tally.covered += 1;
    }
    if a.result == PartStatus::Skipped {
        tally.skipped += 1;
    } else if a.is_bad() {
        tally.failed += 1;
    } else if a.changed() {
        tally.changed += 1;
    } else {
        tally.same += 1;
    }
    if lines.is_empty() {
        return trail;
    }
    lines.insert(0, format!("trail: {trail}"));
    lines.join("\n")
}

/// `ok, nothing to do`, `ok, covered by ...`, `done: ...`, `FAILED: ...` or `skipped (interrupted)`.
pub(super) fn result_cell(result: &PartStatus) -> String {
    match result {
        PartStatus::Unchanged => "ok, nothing to do".to_owned(),
        PartStatus::Covered { by } => format!("ok, covered by {by}"),
        PartStatus::Changed { done } => format!("done: {}", super::plan::at_most(done)),
        PartStatus::Failed { failure: f, done } => {
            let before = if done.is_empty() {
                String::new()
            } else {
                format!(" (done: {})", super::plan::at_most(done))
            };
            format!(
                "FAILED: {} {}: {}{before}; {}",
                f.operation(),
                f.code(),
                f.message(),
                f.hint()
            )
        }
        PartStatus::Skipped => "skipped (interrupted)".to_owned(),
    }
}

/// `summary: N accounts: C converged (...), F failed[, S skipped (...)]`, and what was made of log groups,
/// roles and flow logs.
fn write_summary(out: &mut dyn Write, tally: &Tally) -> io::Result<()> {
    let Tally {
        changed,
        same,
        failed,
        skipped,
        covered,
        second_copies,
        ref logs,
    } = *tally;
    let total = changed + same + failed + skipped;
    write!(
        out,
        "summary: {total} accounts: {} converged ({changed} changed, {same} unchanged), {failed} failed",
        changed + same
    )?;
    if skipped > 0 {
        write!(
            out,
            ", {skipped} skipped (interrupted; run apply again to finish)"
        )?;
    }
    super::plan::write_existing(out, covered, second_copies)?;
    if let Some(line) = logs.line(["created", "set", "updated", "replaced"]) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
