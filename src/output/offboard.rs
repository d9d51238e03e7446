//! `trailhub offboard`: what will be taken out of the account and the policies, and what is left (shown
//! before the question), then what was done, or the step that failed (pure rendering).

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{Console, Render};
use crate::plan::offboard::{LeftReason, OffboardPlan, RegionalFlowLog};
use crate::report::OffboardReport;
use crate::world::MANAGED_TAG_KEY;

/// The one note for the account's flow logs to the bucket that carry no trailhub tag (VPC-9): left, and
/// the command that tags them once.
fn untagged_note(logs: &[RegionalFlowLog], q: &str) -> String {
    let ids: Vec<String> = logs.iter().map(ToString::to_string).collect();
    format!(
        "will be left: flow logs {q}{}{q} to the bucket: they have no {MANAGED_TAG_KEY} tag (an older trailhub or someone else made them), so trailhub may not delete them, and the bucket will no longer let them write. Delete them yourself, or tag them once and offboard again: {q}{}{q} (runbooks/vpc-flow-logs.md#a-flow-log-without-trailhubs-tag)",
        ids.join(", "),
        RegionalFlowLog::tag_command(logs)
    )
}

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
    writeln!(
        out,
        "offboard account {q}{}{q}: what will be done",
        p.account
    )?;
    if let Some(t) = &p.trail {
        writeln!(
            out,
            "  - trail {q}{t}{q}: will be deleted (its log files already in the bucket will stay)"
        )?;
    }
    for f in &p.flow_logs {
        writeln!(out, "  - flow log {q}{f}{q} to the bucket: will be deleted")?;
    }
    if !p.flow_logs_untagged.is_empty() {
        writeln!(out, "  {}", untagged_note(&p.flow_logs_untagged, q))?;
    }
    for (what, entries) in [("bucket", &p.bucket_entries), ("key", &p.key_entries)] {
        if !entries.is_empty() {
            writeln!(
                out,
                "  {what} policy: these entries will be removed from trailhub's statements:"
            )?;
        }
        for e in entries {
            writeln!(out, "    - {q}{e}{q}")?;
        }
    }
    for t in &p.trails_left {
        writeln!(out, "  will be left: trail {q}{}{q}, {}", t.name, t.reason)?;
    }
    if p.logs_left {
        writeln!(
            out,
            "  will be left: the CloudWatch Logs groups, their delivery roles and flow logs to CloudWatch Logs trailhub made there: they hold the account's logs (runbooks/offboard.md#what-stays)"
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

/// Why a trail is left, in the words the reports have always had.
impl fmt::Display for LeftReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeftReason::OrganizationTrail => {
                f.write_str("an organization trail: the management account's")
            }
            LeftReason::OtherNameToBucket { ours, bucket } => write!(
                f,
                "not trailhub's name ({ours}); it delivers to {bucket}, which will no longer let it write: delete it yourself if it should go"
            ),
            LeftReason::NotOurs => f.write_str("not trailhub's"),
            LeftReason::OtherBucket { to, bucket } => write!(
                f,
                "trailhub's name, but it delivers to {}, not {bucket}",
                to.as_deref().unwrap_or("no bucket")
            ),
        }
    }
}

/// JSON `reason`: the same words.
impl Serialize for LeftReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words are the ones the planner wrote before it returned a `LeftReason`.
    #[test]
    fn each_reason_in_its_words() {
        let bucket = "sec-log".to_owned();
        for (reason, words) in [
            (
                LeftReason::OrganizationTrail,
                "an organization trail: the management account's",
            ),
            (
                LeftReason::OtherNameToBucket {
                    ours: "DEV-CT".into(),
                    bucket: bucket.clone(),
                },
                "not trailhub's name (DEV-CT); it delivers to sec-log, which will no longer let it write: delete it yourself if it should go",
            ),
            (LeftReason::NotOurs, "not trailhub's"),
            (
                LeftReason::OtherBucket {
                    to: None,
                    bucket: bucket.clone(),
                },
                "trailhub's name, but it delivers to no bucket, not sec-log",
            ),
            (
                LeftReason::OtherBucket {
                    to: Some("other".into()),
                    bucket,
                },
                "trailhub's name, but it delivers to other, not sec-log",
            ),
        ] {
            assert_eq!(reason.to_string(), words);
            assert_eq!(serde_json::to_value(&reason).unwrap(), words);
        }
    }
}
