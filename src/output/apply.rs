//! `trailhub apply`: what was done to the bucket and the policy, one line per account and a summary; or
//! that there was nothing to do, or that it was not applied (pure rendering).

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{
    Console, LogsWork, Render, account_table, guard_names, print_rows, rejected_json, vpcs,
};
use crate::apply::{AccountOutcome, ApplyRun, PartStatus};
use crate::cli::Format;
use crate::observe::Rejected;
use crate::report::ApplyReport;

impl Render for ApplyReport {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        let mut out = super::wrap::Fit::new(out);
        write_outcome(&mut out, Format::Text, self)?;
        out.finish()
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
            if let Some(g) = &report.guardrails {
                super::guardrails::write_outcome(out, g)?;
            }
            let (t, tally) = account_rows(report, rejected);
            if format == Format::Markdown {
                // a Markdown table does not interrupt the paragraph above it
                writeln!(out)?;
            }
            print_rows(out, format, &t)?;
            writeln!(out)?;
            write_untagged(out, report)?;
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

/// How an account ended, in one line (what was done is counted here and listed in `--format json`),
/// counted in `tally`: `ok, nothing to do`, `ok, covered by ...`, `done: N changes (...)`, `FAILED: ...`
/// (each part that failed, with what was done before) or `skipped (interrupted)`; then the second-copy
/// warning when there is one.
fn outcome_cell(a: &AccountOutcome, tally: &mut Tally) -> String {
    let mut parts = vec![("trail", &a.result)];
    if let Some(c) = &a.cloudwatch {
        tally.logs.add_setup(&c.setup);
        parts.push(("CloudWatch Logs", &c.result));
    }
    if let Some(f) = &a.flow_logs {
        tally.logs.add_setup(&f.setup);
        tally.logs.flow_logs += f.created.iter().filter(|m| m.replaces.is_none()).count();
        tally.logs.replaced += f.created.iter().filter(|m| m.replaces.is_some()).count();
        tally.logs.policy_restores += usize::from(f.policy_restored.is_some());
        parts.push(("flow logs", &f.result));
    }
    let alarms_note = a.alarms.as_ref().and_then(|al| al.note.as_deref());
    if let Some(al) = &a.alarms {
        parts.push(("CIS alarms", &al.result));
    }
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
    let mut line = outcome_line(&parts);
    if let Some(note) = alarms_note {
        line.push_str(&format!("; CIS alarms: none: {note}"));
    }
    super::plan::with_second_copy(line, a.second_copy_of.as_ref(), &mut tally.second_copies)
}

/// The line of an account's parts (its trail, CloudWatch Logs, flow logs) with how each ended.
fn outcome_line(parts: &[(&str, &PartStatus)]) -> String {
    let done = done_count(parts);
    let failures: Vec<String> = (parts.iter())
        .filter_map(|(part, status)| match status {
            PartStatus::Failed { failure: f, .. } => {
                let whose = if *part == "trail" {
                    String::new()
                } else {
                    format!("{part}: ")
                };
                Some(format!(
                    "FAILED: {whose}{} {}: {}; {}",
                    f.operation(),
                    f.code(),
                    f.message(),
                    f.hint()
                ))
            }
            _ => None,
        })
        .collect();
    if !failures.is_empty() {
        let before = done.map(|d| format!(" (done: {d})")).unwrap_or_default();
        return format!("{}{before}", failures.join("; "));
    }
    match (parts[0].1, done) {
        (PartStatus::Skipped, _) => "skipped (interrupted)".to_owned(),
        (PartStatus::Covered { by }, Some(d)) => format!("ok, covered by {by}; done: {d}"),
        (PartStatus::Covered { by }, None) => format!("ok, covered by {by}"),
        (_, Some(d)) => format!("done: {d}"),
        (_, None) => "ok, nothing to do".to_owned(),
    }
}

/// `2 changes to the trail`, or `46 changes (trail 2, CloudWatch Logs 3, flow logs 41)`: how many changes
/// each part made; None when none made any.
fn done_count(parts: &[(&str, &PartStatus)]) -> Option<String> {
    let each: Vec<(&str, usize)> = (parts.iter())
        .filter_map(|(part, status)| match status {
            PartStatus::Changed { done } | PartStatus::Failed { done, .. } if !done.is_empty() => {
                Some((*part, done.len()))
            }
            _ => None,
        })
        .collect();
    let changes = |n: usize| format!("{n} change{}", if n == 1 { "" } else { "s" });
    match each.as_slice() {
        [] => None,
        [("CloudWatch Logs", n)] => Some(format!("{} to CloudWatch Logs", changes(*n))),
        [(part, n)] => Some(format!("{} to the {part}", changes(*n))),
        _ => {
            let total = each.iter().map(|(_, n)| n).sum();
            let list: Vec<String> = each.iter().map(|(p, n)| format!("{p} {n}")).collect();
            Some(format!("{} ({})", changes(total), list.join(", ")))
        }
    }
}

/// After the table, a note for each account whose flow logs differ but carry no trailhub tag (kept as
/// they are), with the command that tags them.
fn write_untagged(out: &mut dyn Write, report: &ApplyRun) -> io::Result<()> {
    for a in &report.accounts {
        if let Some(f) = a.flow_logs.as_ref().filter(|f| !f.untagged.is_empty()) {
            writeln!(
                out,
                "account {}: {}",
                a.id,
                super::plan::untagged_note(&f.untagged)
            )?;
            writeln!(out)?;
        }
    }
    Ok(())
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
