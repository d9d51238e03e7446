//! Rendering results as text, JSON or Markdown: the only module that writes results (to the writer it is
//! given, stdout in the binary). Logs go to stderr through `tracing`, never here.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::json;

use crate::apply::{AccountResult, ApplyReport};
use crate::audit::{AccountReport, AuditReport, Problem, Scope, Severity};
use crate::cli::Format;
use crate::discover::Rejected;
use crate::plan::{AccountPlanStatus, BucketAction, Plan};

fn table(header: &[&str]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    t.set_header(
        header
            .iter()
            .map(comfy_table::Cell::new)
            .collect::<Vec<_>>(),
    );
    t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    t
}

fn print_table(out: &mut dyn Write, t: &comfy_table::Table) -> io::Result<()> {
    for line in t.lines() {
        writeln!(
            out,
            "{}",
            line.strip_prefix(' ').unwrap_or(&line).trim_end()
        )?;
    }
    Ok(())
}

/// A table as text, or as a Markdown table for a ticket or a chat message.
fn print_rows(out: &mut dyn Write, format: Format, t: &comfy_table::Table) -> io::Result<()> {
    if format != Format::Markdown {
        return print_table(out, t);
    }
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    if let Some(h) = t.header() {
        let names: Vec<String> = h.cell_iter().map(|c| cell(&c.content())).collect();
        writeln!(out, "| {} |", names.join(" | "))?;
        writeln!(out, "|{}", "---|".repeat(names.len()))?;
    }
    for row in t.row_iter() {
        let cells: Vec<String> = row.cell_iter().map(|c| cell(&c.content())).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

fn print_json(out: &mut dyn Write, v: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    writeln!(out)
}

/// `trailhub policy`: the policy document, pretty.
/// `trailhub policy`: the document itself (text), or the document with its form and size (JSON). In text,
/// the form goes to stderr so that stdout stays the document alone, ready for a pipe.
pub fn policy(out: &mut dyn Write, format: Format, plan: &Plan) -> io::Result<()> {
    if format == Format::Json {
        let mut v = serde_json::to_value(&plan.policy)?;
        v["policy"] = plan.policy.policy.clone();
        return print_json(out, &v);
    }
    eprintln!("policy form: {}", form_line(&plan.policy));
    print_json(out, &plan.policy.policy)
}

fn rejected_json(rejected: &[Rejected]) -> serde_json::Value {
    rejected
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "reason": r.reason}))
        .collect()
}

/// `trailhub plan` (and the plan `apply` shows before asking).
pub fn plan(
    out: &mut dyn Write,
    format: Format,
    plan: &Plan,
    rejected: &[Rejected],
) -> io::Result<()> {
    if format == Format::Json {
        let mut v = serde_json::to_value(plan)?;
        v["has_changes"] = json!(plan.has_changes());
        v["rejected_accounts"] = rejected_json(rejected);
        return print_json(out, &v);
    }
    let p = &plan.policy;
    let guards = plan
        .bucket_guards
        .iter()
        .map(|g| g.name())
        .collect::<Vec<_>>()
        .join(", ");
    match plan.bucket_action {
        BucketAction::Create => writeln!(out, "bucket {}: create ({guards} on)", plan.bucket)?,
        BucketAction::Exists if guards.is_empty() => {
            writeln!(out, "bucket {}: exists", plan.bucket)?
        }
        BucketAction::Exists => writeln!(out, "bucket {}: exists; turn on {guards}", plan.bucket)?,
    }
    if !plan.bucket_unknown.is_empty() {
        let names: Vec<&str> = plan.bucket_unknown.iter().map(|g| g.name()).collect();
        writeln!(
            out,
            "bucket {}: cannot tell whether {} is on (left as it is; -v says why)",
            plan.bucket,
            names.join(", ")
        )?;
    }
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
    writeln!(out)?;
    let mut t = table(&["ACCOUNT", "NAME", "TRAIL", "PLAN"]);
    let (mut change, mut same, mut bad) = (0, 0, rejected.len());
    for a in &plan.accounts {
        let what = match &a.status {
            AccountPlanStatus::Changes { changes } if changes.is_empty() => {
                same += 1;
                "nothing to do".to_owned()
            }
            AccountPlanStatus::Changes { changes } => {
                change += 1;
                changes
                    .iter()
                    .map(|c| c.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            AccountPlanStatus::Unreachable(f) => {
                bad += 1;
                format!(
                    "cannot plan: {} {}: {}; {}",
                    f.operation(),
                    f.code(),
                    f.message(),
                    f.hint()
                )
            }
            AccountPlanStatus::PolicyDenies { message } => {
                bad += 1;
                format!("blocked: the bucket policy would not allow this trail ({message})")
            }
        };
        t.add_row(vec![
            a.id.to_string(),
            a.name.clone(),
            a.trail_arn.name.clone(),
            what,
        ]);
    }
    for r in rejected {
        t.add_row(vec![
            r.id.clone(),
            r.name.clone(),
            "-".into(),
            format!("cannot plan: {}", r.reason),
        ]);
    }
    print_rows(out, format, &t)?;
    writeln!(out)?;
    writeln!(
        out,
        "summary: {change} accounts to change, {same} up to date, {bad} cannot be planned"
    )
}

/// `trailhub apply`: one line per account and a summary.
pub fn apply(
    out: &mut dyn Write,
    format: Format,
    report: &ApplyReport,
    rejected: &[Rejected],
) -> io::Result<()> {
    if format == Format::Json {
        let mut v = serde_json::to_value(report)?;
        v["rejected_accounts"] = rejected_json(rejected);
        v["exit_code"] = json!(exit_code(report, rejected));
        return print_json(out, &v);
    }
    let guards = report
        .guards_turned_on
        .iter()
        .map(|g| g.name())
        .collect::<Vec<_>>()
        .join(", ");
    if report.bucket_created {
        writeln!(out, "bucket {}: created ({guards} on)", report.bucket)?;
    } else if !guards.is_empty() {
        writeln!(out, "bucket {}: turned on {guards}", report.bucket)?;
    }
    if let Some(b) = &report.policy.backup {
        writeln!(out, "policy: backed up to {}", b.display())?;
    }
    if report.policy.written {
        let again = if report.policy.writes > 1 {
            format!(
                " ({} writes: another writer changed it meanwhile, merged)",
                report.policy.writes
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "policy: written and read back, {} bytes{again}",
            report.policy.size
        )?;
    } else if report.interrupted
        && report
            .accounts
            .iter()
            .all(|a| a.result == AccountResult::Skipped)
    {
        writeln!(
            out,
            "policy: not written (interrupted before the first write: nothing was changed)"
        )?;
    } else {
        writeln!(out, "policy: up to date")?;
    }
    if report.policy.rewrites_after_trails > 0 {
        writeln!(
            out,
            "policy: another apply had replaced it meanwhile without this run's entries: merged and written again"
        )?;
    }
    let mut t = table(&["ACCOUNT", "NAME", "TRAIL", "RESULT"]);
    let (mut changed, mut same, mut failed, mut skipped) = (0, 0, rejected.len(), 0);
    for a in &report.accounts {
        let what = match &a.result {
            AccountResult::Unchanged => {
                same += 1;
                "ok, nothing to do".to_owned()
            }
            AccountResult::Changed { done } => {
                changed += 1;
                format!("done: {}", done.join(", "))
            }
            AccountResult::Failed { failure: f, done } => {
                failed += 1;
                let before = if done.is_empty() {
                    String::new()
                } else {
                    format!(" (after: {})", done.join(", "))
                };
                format!(
                    "FAILED: {} {}: {}{before}; {}",
                    f.operation(),
                    f.code(),
                    f.message(),
                    f.hint()
                )
            }
            AccountResult::Skipped => {
                skipped += 1;
                "skipped (interrupted)".to_owned()
            }
        };
        t.add_row(vec![
            a.id.to_string(),
            a.name.clone(),
            a.trail_arn.name.clone(),
            what,
        ]);
    }
    for r in rejected {
        t.add_row(vec![
            r.id.clone(),
            r.name.clone(),
            "-".into(),
            format!("FAILED: {}", r.reason),
        ]);
    }
    print_rows(out, format, &t)?;
    writeln!(out)?;
    let total = report.accounts.len() + rejected.len();
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
    writeln!(out)
}

/// The exit code of an apply: 0 all converged, 1 some did not.
pub fn exit_code(report: &ApplyReport, rejected: &[Rejected]) -> i32 {
    if rejected.is_empty() {
        report.exit_code()
    } else {
        1
    }
}

/// "exact, 1289 of 20480 bytes" and, when a more specific form was passed over, why.
pub fn form_line(p: &crate::plan::policy::Merged) -> String {
    let mut line = format!(
        "{}, {} of {} bytes",
        p.form.name(),
        p.size,
        crate::plan::policy::SIZE_LIMIT
    );
    let passed: Vec<String> = p
        .form_sizes
        .iter()
        .filter(|f| f.form != p.form)
        .map(|f| match (&f.size, &f.unusable) {
            (Some(n), _) => format!("{} would be {n} bytes", f.form.name()),
            (None, Some(why)) => format!("{} cannot be used: {why}", f.form.name()),
            (None, None) => format!("{} not tried", f.form.name()),
        })
        .collect();
    if !passed.is_empty() {
        line += &format!(" (the most specific form that fits: {})", passed.join("; "));
    }
    line
}

/// `coverage: 47/50 accounts (94.0%)`
fn coverage_line(report: &AuditReport) -> String {
    let s = &report.summary;
    let pct = if s.accounts == 0 {
        100.0
    } else {
        s.covered as f64 * 100.0 / s.accounts as f64
    };
    format!(
        "coverage: {}/{} accounts ({pct:.1}%)",
        s.covered, s.accounts
    )
}

fn covered_cell(a: &AccountReport) -> &'static str {
    match (a.scope, a.covered) {
        (Scope::Stale, _) => "stale",
        (_, true) => "yes",
        (_, false) => "NO",
    }
}

fn code_label(p: &Problem) -> String {
    match p.severity {
        Severity::Gap => p.code.as_str().to_owned(),
        Severity::Warning => format!("{} (warning)", p.code.as_str()),
    }
}

/// `trailhub audit`: a table and the coverage line (text), the report itself (JSON), or a Markdown
/// summary for a ticket or a chat message.
pub fn audit(out: &mut dyn Write, format: Format, report: &AuditReport) -> io::Result<()> {
    match format {
        Format::Json => print_json(out, report),
        Format::Text => audit_text(out, report),
        Format::Markdown => audit_markdown(out, report),
    }
}

fn audit_text(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    let target = crate::plan::layout::s3_url(&report.bucket, report.key_prefix.as_deref());
    writeln!(
        out,
        "audit of {target} at {} (max age {})",
        report.generated_at,
        crate::audit::age(i64::try_from(report.max_age_seconds).unwrap_or(i64::MAX))
    )?;
    writeln!(out)?;
    let mut t = table(&["ACCOUNT", "NAME", "COVERED", "PROBLEMS"]);
    for a in &report.accounts {
        let problems = if a.problems.is_empty() {
            "-".to_owned()
        } else {
            a.problems
                .iter()
                .map(code_label)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let name = if a.name.is_empty() { "-" } else { &a.name };
        t.add_row(vec![
            a.id.clone(),
            name.to_owned(),
            covered_cell(a).to_owned(),
            problems,
        ]);
    }
    print_table(out, &t)?;
    let details: Vec<_> = report
        .accounts
        .iter()
        .flat_map(|a| a.problems.iter().map(move |p| (a, p)))
        .collect();
    if !details.is_empty() {
        writeln!(out)?;
        for (a, p) in details {
            writeln!(out, "{} {}: {}", a.id, code_label(p), p.message)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", coverage_line(report))
}

fn audit_markdown(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let target = crate::plan::layout::s3_url(&report.bucket, report.key_prefix.as_deref());
    writeln!(
        out,
        "### CloudTrail coverage of `{target}`\n\n**{}** ({})\n",
        coverage_line(report),
        report.generated_at
    )?;
    writeln!(
        out,
        "| account | name | covered | problems |\n|---|---|---|---|"
    )?;
    for a in &report.accounts {
        let problems = if a.problems.is_empty() {
            "-".to_owned()
        } else {
            a.problems
                .iter()
                .map(|p| format!("`{}`: {}", code_label(p), cell(&p.message)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let covered = match covered_cell(a) {
            "NO" => "**no**",
            c => c,
        };
        writeln!(
            out,
            "| {} | {} | {covered} | {problems} |",
            a.id,
            cell(if a.name.is_empty() { "-" } else { &a.name })
        )?;
    }
    if !report.stale_policy_entries.is_empty() {
        writeln!(
            out,
            "\nStale bucket policy entries (accounts not in scope):\n"
        )?;
        for e in &report.stale_policy_entries {
            writeln!(
                out,
                "- `{}`: `{}` in {} of `{}`",
                e.account, e.value, e.field, e.statement
            )?;
        }
    }
    Ok(())
}
