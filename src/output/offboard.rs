//! `trailhub offboard`: what will be taken out of the account and the policies, and what is left (shown
//! before the question), then what was done, or the step that failed (pure rendering).

use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::Value;

use super::{Console, Render};
use crate::plan::offboard::OffboardPlan;
use crate::report::OffboardReport;

impl Render for OffboardPlan {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        write_plan(out, self, "")
    }

    fn json(&self) -> serde_json::Result<Value> {
        serde_json::to_value(self)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        write_plan(out, self, "`")
    }
}

/// The outcome, after the plan was shown: what was done (JSON: the plan and what was done, whole).
impl Render for OffboardReport {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        write_outcome(out, self)
    }

    fn json(&self) -> serde_json::Result<Value> {
        serde_json::to_value(self)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        write_outcome(out, self)
    }
}

/// `q`: how a name is quoted (nothing in text, backticks in Markdown).
fn write_plan(out: &mut dyn Write, p: &OffboardPlan, q: &str) -> io::Result<()> {
    writeln!(out, "offboard account {q}{}{q}:", p.account)?;
    if let Some(t) = &p.trail {
        writeln!(
            out,
            "  - trail {q}{t}{q}: deleted (its log files already in the bucket stay)"
        )?;
    }
    for f in &p.flow_logs {
        writeln!(out, "  - flow log {q}{f}{q} to the bucket: deleted")?;
    }
    for (what, entries) in [("bucket", &p.bucket_entries), ("key", &p.key_entries)] {
        if !entries.is_empty() {
            writeln!(out, "  {what} policy, from trailhub's statements:")?;
        }
        for e in entries {
            writeln!(out, "    - {q}{e}{q}")?;
        }
    }
    for t in &p.trails_left {
        writeln!(out, "  left: trail {q}{}{q}, {}", t.name, t.reason)?;
    }
    if p.logs_left {
        writeln!(
            out,
            "  left: the CloudWatch Logs groups, their delivery roles and flow logs to CloudWatch Logs trailhub made there: they hold the account's logs (runbooks/offboard.md#what-stays)"
        )?;
    }
    if let Some(form) = p.still_allowed {
        writeln!(
            out,
            "  note: the bucket policy's {form} form names no account alone: while it stays in scope of that form, {}'s trails may still write",
            p.account
        )?;
    }
    Ok(())
}

fn write_outcome(out: &mut dyn Write, o: &OffboardReport) -> io::Result<()> {
    let (plan, done) = match o {
        OffboardReport::NotApplied(p) => {
            return writeln!(
                out,
                "not applied: nothing was done to account {}",
                p.account
            );
        }
        OffboardReport::Offboarded { plan, done } => (plan, done),
    };
    if let Some(t) = &done.trail_deleted {
        writeln!(out, "deleted trail {t} in account {}", plan.account)?;
    }
    if !done.flow_logs_deleted.is_empty() {
        writeln!(
            out,
            "deleted flow logs {}",
            done.flow_logs_deleted.join(", ")
        )?;
    }
    let policies = [
        (
            "bucket",
            plan.bucket_entries.len(),
            done.policy.as_ref().map(|p| &p.backup),
        ),
        (
            "key",
            plan.key_entries.len(),
            done.key.as_ref().map(|k| &k.backup),
        ),
    ];
    for (what, n, backup) in policies {
        if let Some(b) = backup {
            writeln!(
                out,
                "{what} policy: removed {n} {}{}",
                entries(n),
                backed_up(b)
            )?;
        }
    }
    match &done.failed {
        Some(e) => writeln!(
            out,
            "failed: {e}\nthe steps after it were not made; run offboard again once fixed (runbooks/offboard.md#a-step-failed)"
        ),
        None => writeln!(out, "account {} offboarded", plan.account),
    }
}

fn entries(n: usize) -> &'static str {
    if n == 1 { "entry" } else { "entries" }
}

fn backed_up(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!(" (the one replaced is backed up in {})", p.display()))
        .unwrap_or_default()
}
