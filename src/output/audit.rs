//! `trailhub audit`: a table and the coverage line (text), the report itself (JSON, documented in
//! runbooks/scheduled-audit.md), a Markdown summary for a ticket or a chat message, a page to open in a
//! browser (`html`) or JUnit XML for CI (`junit`) (pure rendering).

mod asff;
mod csv;
mod html;
mod junit;
mod ocsf;

use std::io::{self, Write};

use serde_json::Value;

use super::{Console, Render, md_cell, print_table, table};
use crate::audit::{AccountKind, AccountReport, AuditReport, Problem, Severity, age, findings};
use crate::plan::layout::s3_url;

impl Render for AuditReport {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        let mut out = super::wrap::Fit::new(out);
        write_text(&mut out, self)?;
        out.finish()
    }

    fn json(&self) -> serde_json::Result<Value> {
        serde_json::to_value(self)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        let target = s3_url(&self.bucket, self.key_prefix.as_deref());
        writeln!(
            out,
            "### CloudTrail coverage of `{target}`\n\n**{}** ({})\n",
            coverage_line(self),
            self.generated_at
        )?;
        write_markdown_table(out, self)?;
        write_markdown_bucket(out, self)?;
        write_markdown_stale(out, self)
    }

    fn html(&self, out: &mut dyn Write) -> io::Result<()> {
        html::write(out, self, "")
    }

    fn junit(&self, out: &mut dyn Write) -> io::Result<()> {
        junit::write(out, self, "")
    }
}

/// The text: the table, each problem with what to do, and the coverage line.
fn write_text(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    let target = s3_url(&report.bucket, report.key_prefix.as_deref());
    writeln!(
        out,
        "audit of {target} at {} (max age {})",
        report.generated_at,
        age(i64::try_from(report.max_age_seconds).unwrap_or(i64::MAX))
    )?;
    writeln!(out)?;
    write_table(out, report)?;
    write_details(out, report, "")?;
    writeln!(out)?;
    writeln!(out, "{}", coverage_line(report))?;
    for o in &report.summary.by_ou {
        writeln!(out, "  {}: {}/{} accounts", o.ou, o.covered, o.accounts)?;
    }
    Ok(())
}

/// The audit's report with its runbook links under `runbooks`, a base URL (`audit --runbooks-url`) ending in
/// `/`; empty: paths from the root of a checkout (`runbooks/kms.md#no-kms`), as the report names them.
pub struct Linked<'a> {
    pub report: &'a AuditReport,
    pub runbooks: &'a str,
}

impl Render for Linked<'_> {
    fn text(&self, out: &mut dyn Write, console: &mut dyn Console) -> io::Result<()> {
        self.report.text(out, console)
    }

    fn json(&self) -> serde_json::Result<Value> {
        self.report.json()
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        self.report.markdown(out)
    }

    fn html(&self, out: &mut dyn Write) -> io::Result<()> {
        html::write(out, self.report, self.runbooks)
    }

    fn junit(&self, out: &mut dyn Write) -> io::Result<()> {
        junit::write(out, self.report, self.runbooks)
    }

    fn csv(&self, out: &mut dyn Write) -> io::Result<()> {
        csv::write(out, self.report, &findings(self.report), self.runbooks)
    }

    fn ocsf(&self) -> serde_json::Result<Value> {
        let ms = epoch_ms(&self.report.generated_at);
        let events = findings(self.report)
            .iter()
            .map(|f| ocsf::event(f, ms, self.runbooks))
            .collect();
        Ok(Value::Array(events))
    }

    fn asff(&self) -> serde_json::Result<Value> {
        let r = self.report;
        let at = &r.generated_at;
        let all = findings(r)
            .iter()
            .map(|f| asff::finding(r, f, at, self.runbooks))
            .collect();
        Ok(Value::Array(all))
    }
}

/// The findings' type, as Security Hub and Prowler name CIS checks (ASFF `Types`, OCSF `finding_info.types`).
const FINDING_TYPE: &str = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark";

/// `2027-01-15T08:00:00Z` in milliseconds since the epoch (0 if it does not parse: it is the report's own).
fn epoch_ms(rfc3339: &str) -> i64 {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(rfc3339, &format)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0))
        .unwrap_or(0)
}

/// An account's CIS monitoring controls (`[alarms]`) in one line: how many are in place, and each one that
/// is not with its CIS numbers, Security Hub ID and state; None without them.
fn controls_line(controls: &[crate::plan::alarms::ControlState]) -> Option<String> {
    use crate::plan::alarms::Health;
    if controls.is_empty() {
        return None;
    }
    let gaps: Vec<String> = (controls.iter())
        .filter(|c| c.state != Health::InPlace)
        .map(|c| format!("{} ({}): {}", c.control, c.label(), c.state.describe()))
        .collect();
    let in_place = controls.len() - gaps.len();
    let mut line = format!(
        "CIS monitoring controls: {in_place} of {} in place",
        controls.len()
    );
    if !gaps.is_empty() {
        line.push_str(&format!("; {}", gaps.join("; ")));
    }
    Some(line)
}

/// A runbook section's link: `runbook` (`runbooks/FILE.md#anchor`) under the base `runbooks`.
fn link(runbooks: &str, runbook: &str) -> String {
    format!("{runbooks}{runbook}")
}

/// One row per account: covered or not, and its problems' codes.
fn write_table(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    let mut t = table(&["ACCOUNT", "NAME", "COVERED", "PROBLEMS"]);
    for a in &report.accounts {
        t.add_row(vec![
            a.id.clone(),
            super::name_with_ou(name_cell(a), a.ou.as_deref()),
            covered_cell(a).to_owned(),
            problems_cell(a, code_label, ", "),
        ]);
    }
    print_table(out, &t)
}

/// Every problem with its message, the gaps first, then the warnings, after a blank line each (nothing
/// when there is none). A gap is marked `[GAP]`, a warning `[warning]`; each says the next step in one
/// line and its runbook section, linked under `runbooks` (a base URL ending in `/`, or empty: the path
/// from the root of a checkout).
fn write_details(out: &mut dyn Write, report: &AuditReport, runbooks: &str) -> io::Result<()> {
    let accounts = report
        .accounts
        .iter()
        .flat_map(|a| a.problems.iter().map(move |p| (a.id.as_str(), p)));
    let bucket = report.bucket_problems.iter().map(|p| ("bucket", p));
    let all: Vec<(&str, &Problem)> = accounts.chain(bucket).collect();
    for (severity, heading) in [
        (
            Severity::Gap,
            "gaps: coverage is missing here, fix these first",
        ),
        (Severity::Warning, "warnings"),
    ] {
        let these: Vec<_> = all.iter().filter(|(_, p)| p.severity == severity).collect();
        if these.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{heading} ({}):", these.len())?;
        for (whose, p) in these {
            let doc = p.code.doc();
            writeln!(
                out,
                "{} {whose} {}: {}",
                marker(p),
                p.code.as_str(),
                p.message
            )?;
            writeln!(out, "    next: {}", doc.remedy)?;
            writeln!(out, "    runbook: {runbooks}{}", doc.runbook)?;
        }
    }
    Ok(())
}

/// What sets a gap apart from a warning at a glance.
fn marker(p: &Problem) -> &'static str {
    match p.severity {
        Severity::Gap => "[GAP]",
        Severity::Warning => "[warning]",
    }
}

fn write_markdown_table(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    writeln!(
        out,
        "| account | name | covered | problems |\n|---|---|---|---|"
    )?;
    for a in &report.accounts {
        let problems = problems_cell(
            a,
            |p| format!("`{}`: {}", code_label(p), md_cell(&p.message)),
            "<br>",
        );
        let covered = match covered_cell(a) {
            "NO" => "**no**",
            c => c,
        };
        writeln!(
            out,
            "| {} | {} | {covered} | {problems} |",
            a.id,
            md_cell(name_cell(a))
        )?;
    }
    Ok(())
}

fn write_markdown_bucket(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    if report.bucket_problems.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nBucket `{}`:\n", report.bucket)?;
    for p in &report.bucket_problems {
        writeln!(out, "- `{}`: {}", code_label(p), md_cell(&p.message))?;
    }
    Ok(())
}

fn write_markdown_stale(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    if report.stale_policy_entries.is_empty() {
        return Ok(());
    }
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
    Ok(())
}

/// `coverage: 47/50 accounts (94.0%)`
fn coverage_line(report: &AuditReport) -> String {
    let s = &report.summary;
    let bucket = match bucket_gaps(report) {
        0 => String::new(),
        n => format!("; the bucket has {n} gap{}", if n == 1 { "" } else { "s" }),
    };
    format!(
        "coverage: {}/{} accounts ({:.1}%){bucket}",
        s.covered,
        s.accounts,
        percent(s.covered, s.accounts)
    )
}

/// `covered` of `accounts` in percent; 100 when there is none.
fn percent(covered: usize, accounts: usize) -> f64 {
    if accounts == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / accounts as f64
    }
}

fn bucket_gaps(report: &AuditReport) -> usize {
    report
        .bucket_problems
        .iter()
        .filter(|p| p.severity == Severity::Gap)
        .count()
}

/// `c`, or U+FFFD for a control character (but tab and line breaks) or a noncharacter: XML 1.0 forbids
/// most of them even escaped, and HTML parsers call them errors.
fn printable(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        c if c.is_control() => '\u{fffd}',
        '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
        c => c,
    }
}

/// Each of the account's problems as `each` renders it, joined by `sep`; `-` when there is none.
fn problems_cell(a: &AccountReport, each: impl Fn(&Problem) -> String, sep: &str) -> String {
    if a.problems.is_empty() {
        return "-".to_owned();
    }
    a.problems.iter().map(each).collect::<Vec<_>>().join(sep)
}

fn name_cell(a: &AccountReport) -> &str {
    if a.name.is_empty() { "-" } else { &a.name }
}

fn covered_cell(a: &AccountReport) -> &'static str {
    match (a.scope, a.covered) {
        (AccountKind::Stale, _) => "stale",
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
