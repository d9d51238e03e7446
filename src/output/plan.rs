//! `trailhub plan` (and the plan `apply` shows before asking): the bucket, the policy and each account's
//! trail, as `apply` would change them (pure rendering).

use std::io::{self, Write};

use serde_json::{Value, json};

use super::policy::form_line;
use super::{Console, Render, account_table, guard_names, print_rows, rejected_json};
use crate::cli::Format;
use crate::commands::plan::PlanReport;
use crate::plan::policy::Merged;
use crate::plan::{AccountPlan, AccountPlanStatus, BucketAction, Plan};

impl Render for PlanReport {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        write_plan(out, Format::Text, self)
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
    writeln!(out)?;
    let (t, tally) = account_rows(r);
    print_rows(out, format, &t)?;
    writeln!(out)?;
    write!(
        out,
        "summary: {} accounts to change, {} up to date, {} cannot be planned",
        tally.change, tally.same, tally.bad
    )?;
    write_existing(out, tally.covered, tally.second_copies)
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

/// Accounts by what their plan is.
#[derive(Default)]
struct Tally {
    change: usize,
    same: usize,
    bad: usize,
    covered: usize,
    second_copies: usize,
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
            a.name.clone(),
            a.trail_arn.name.clone(),
            plan_cell(a, &mut tally),
        ]
    });
    let t = account_table("PLAN", rows, &r.rejected, "cannot plan");
    (t, tally)
}

/// `nothing to do`, the changes, `cannot plan: ...` or `blocked: ...`, counted in `tally`.
fn plan_cell(a: &AccountPlan, tally: &mut Tally) -> String {
    let cell = status_cell(&a.status, tally);
    with_second_copy(cell, a.second_copy_of.as_ref(), &mut tally.second_copies)
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

fn status_cell(status: &AccountPlanStatus, tally: &mut Tally) -> String {
    match status {
        AccountPlanStatus::Covered { by } => {
            tally.same += 1;
            tally.covered += 1;
            format!("covered by {by}")
        }
        AccountPlanStatus::SecondCopy { of, to } => {
            tally.bad += 1;
            format!(
                "blocked: {of} already logs management events to {to}, and second_copy = \"refuse\""
            )
        }
        AccountPlanStatus::Changes { changes } if changes.is_empty() => {
            tally.same += 1;
            "nothing to do".to_owned()
        }
        AccountPlanStatus::Changes { changes } => {
            tally.change += 1;
            changes
                .iter()
                .map(|c| c.describe())
                .collect::<Vec<_>>()
                .join(", ")
        }
        AccountPlanStatus::Unreachable(f) => {
            tally.bad += 1;
            format!(
                "cannot plan: {} {}: {}; {}",
                f.operation(),
                f.code(),
                f.message(),
                f.hint()
            )
        }
        AccountPlanStatus::PolicyDenies { message } => {
            tally.bad += 1;
            format!("blocked: the bucket policy would not allow this trail ({message})")
        }
    }
}
