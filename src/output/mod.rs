//! Rendering reports as text, JSON, Markdown, HTML or JUnit XML: the only code that writes results (to the
//! writer it is given, stdout in the binary, or a file for `audit --output`). Each report renders in every
//! format it has ([`Render`], one file per report); notes for the person at the terminal go through the
//! [`Console`]; logs go to stderr through `tracing`, never here (`progress_bar` draws the bar on stderr
//! and lifts it for each log line).

mod alarm_queues;
mod alarms;
mod apply;
mod audit;
mod bucket;
pub mod console;
mod csv;
mod denial;
mod guardrails;
mod inventory;
mod offboard;
mod permissions;
pub mod pipe;
mod plan;
mod policy;
mod policy_diff;
pub mod progress_bar;
mod restore;
mod wrap;

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Value, json};

use crate::aws::Guard;
use crate::cli::{Command, Format};
use crate::observe::Rejected;
use crate::plan::cloudwatch::SetupChange;
use crate::plan::flow_logs::FlowLogChange;
pub use audit::Linked;
pub use console::{Console, Scripted, Terminal};
pub use policy_diff::PolicyDiff;
pub use restore::Previewed;

/// A report that renders in every `--format`.
pub trait Render {
    /// For people. Lines that must stay off stdout (so that it stays a document) go to `console`.
    fn text(&self, out: &mut dyn Write, console: &mut dyn Console) -> io::Result<()>;
    /// For machines: the fields are documented in docs/json.md.
    fn json(&self) -> serde_json::Result<Value>;
    /// For a ticket or a chat message.
    fn markdown(&self, out: &mut dyn Write) -> io::Result<()>;
    /// One self-contained page to open in a browser: only the audit has one ([`check_format`]).
    fn html(&self, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no HTML form"))
    }
    /// JUnit XML for CI: only the audit has one ([`check_format`]).
    fn junit(&self, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no JUnit form"))
    }
    /// CSV, one record a line: `inventory` and `audit` have one ([`check_format`]).
    fn csv(&self, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no CSV form"))
    }
    /// OCSF Detection Findings: only the audit has them ([`check_format`]).
    fn ocsf(&self) -> serde_json::Result<Value> {
        Err(serde_json::Error::io(io::Error::new(
            io::ErrorKind::Unsupported,
            "no OCSF form",
        )))
    }
    /// AWS Security Finding Format: only the audit has it ([`check_format`]).
    fn asff(&self) -> serde_json::Result<Value> {
        Err(serde_json::Error::io(io::Error::new(
            io::ErrorKind::Unsupported,
            "no ASFF form",
        )))
    }
    /// A CloudFormation template: only `permissions` has one ([`check_format`]). Notes about it go to
    /// `console`, so that `out` stays a template.
    fn cloudformation(&self, _out: &mut dyn Write, _console: &mut dyn Console) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no CloudFormation form",
        ))
    }
}

/// Whether `command`'s report renders in `format`: `html` and `junit` are the audit's only,
/// `cloudformation` is `permissions`' only. The message for `--format` when it does not.
pub fn check_format(command: &Command, format: Format) -> Result<(), String> {
    let (name, owners): (&str, &[&str]) = match format {
        Format::Html => ("html", &["audit"]),
        Format::Junit => ("junit", &["audit"]),
        Format::Ocsf => ("ocsf", &["audit"]),
        Format::Asff => ("asff", &["audit"]),
        Format::Cloudformation => ("cloudformation", &["permissions"]),
        Format::Csv => ("csv", &["audit", "inventory"]),
        Format::Text | Format::Json | Format::Markdown => return Ok(()),
    };
    let this = match command {
        Command::Audit(_) => "audit",
        Command::Permissions(_) => "permissions",
        Command::Inventory(_) => "inventory",
        _ => "",
    };
    if owners.contains(&this) {
        return Ok(());
    }
    let which: Vec<String> = owners.iter().map(|o| format!("`trailhub {o}`")).collect();
    Err(format!(
        "--format {name} is for {} only: use text, json or markdown for this command",
        which.join(" and ")
    ))
}

/// Writes `report` to `out` in `format`.
pub fn print(
    out: &mut dyn Write,
    console: &mut dyn Console,
    format: Format,
    report: &dyn Render,
) -> io::Result<()> {
    match format {
        Format::Text => report.text(out, console),
        Format::Json => print_json(out, &report.json()?),
        Format::Markdown => report.markdown(out),
        Format::Html => report.html(out),
        Format::Junit => report.junit(out),
        Format::Cloudformation => report.cloudformation(out, console),
        Format::Csv => report.csv(out),
        Format::Ocsf => print_json(out, &report.ocsf()?),
        Format::Asff => print_json(out, &report.asff()?),
    }
}

/// Writes `report` to `out`, or, when `file` is given, to that file instead (`audit --output`): rendered
/// whole first, then written to a temporary file beside it and renamed over it, so that a reader of `file`
/// sees the previous report or the new one, never half of one.
pub fn print_to(
    out: &mut dyn Write,
    console: &mut dyn Console,
    format: Format,
    report: &dyn Render,
    file: Option<&Path>,
) -> anyhow::Result<()> {
    let Some(path) = file else {
        return Ok(print(out, console, format, report)?);
    };
    let mut rendered = Vec::new();
    print(&mut rendered, console, format, report)?;
    write_atomically(path, &rendered)
        .with_context(|| format!("cannot write the report to {}", path.display()))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".trailhub-report-");
    // the mode a plain create gives (0666 less the umask), not a temporary file's 0600
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn print_json(out: &mut dyn Write, v: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    writeln!(out)
}

/// A table with no borders, its columns as wide as their widest cell.
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

/// A table as text, its last column wrapped to the room the others leave of 100 columns ([`wrap`]).
fn print_table(out: &mut dyn Write, t: &comfy_table::Table) -> io::Result<()> {
    for line in fitted(t).lines() {
        writeln!(
            out,
            "{}",
            line.strip_prefix(' ').unwrap_or(&line).trim_end()
        )?;
    }
    Ok(())
}

/// `t` with its last column's cells wrapped so that each line of the table fits [`wrap::WIDTH`]: the
/// columns before it keep their width (a column is as wide as its widest line, and two spaces apart).
fn fitted(t: &comfy_table::Table) -> comfy_table::Table {
    let header: Vec<String> = t
        .header()
        .map_or_else(Vec::new, |h| h.cell_iter().map(|c| c.content()).collect());
    let rows: Vec<Vec<String>> = (t.row_iter())
        .map(|r| r.cell_iter().map(|c| c.content()).collect())
        .collect();
    let columns = header
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0));
    let widest = |col: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .filter_map(|r| r.get(col))
            .flat_map(|c| c.lines())
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    };
    let offset: usize = (0..columns.saturating_sub(1)).map(|c| widest(c) + 2).sum();
    let width = wrap::last_column(offset);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut fitted = table(&header);
    for mut row in rows {
        if row.len() == columns
            && let Some(last) = row.last_mut()
        {
            *last = wrap::cell(last, width);
        }
        fitted.add_row(row);
    }
    fitted
}

/// A table as text, or as a Markdown table for a ticket or a chat message.
fn print_rows(out: &mut dyn Write, format: Format, t: &comfy_table::Table) -> io::Result<()> {
    if format != Format::Markdown {
        return print_table(out, t);
    }
    if let Some(h) = t.header() {
        let names: Vec<String> = h.cell_iter().map(|c| md_cell(&c.content())).collect();
        writeln!(out, "| {} |", names.join(" | "))?;
        writeln!(out, "|{}", "---|".repeat(names.len()))?;
    }
    for row in t.row_iter() {
        let cells: Vec<String> = row.cell_iter().map(|c| md_cell(&c.content())).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Text made safe for one cell of a Markdown table; a cell's lines (an account's parts) as `<br>`.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

/// The account table of `plan` and `apply`: ACCOUNT, NAME, TRAIL and `last` (what happens to it), one row
/// per account, then the Organizations accounts left out, with `left_out` before their reason.
/// An account's name, with its OU path on a second line when it is known.
fn name_with_ou(name: &str, ou: Option<&str>) -> String {
    match ou {
        Some(ou) => format!("{name}\n{ou}"),
        None => name.to_owned(),
    }
}

fn account_table(
    last: &str,
    rows: impl IntoIterator<Item = [String; 4]>,
    rejected: &[Rejected],
    left_out: &str,
) -> comfy_table::Table {
    let mut t = table(&["ACCOUNT", "NAME", "TRAIL", last]);
    for row in rows {
        t.add_row(row);
    }
    for r in rejected {
        t.add_row(vec![
            r.id.clone(),
            r.name.clone(),
            "-".into(),
            format!("{left_out}: {}", r.reason),
        ]);
    }
    t
}

/// `Block Public Access, versioning, default encryption`
fn guard_names(guards: &[Guard]) -> String {
    guards
        .iter()
        .map(|g| g.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Organizations accounts left out, as `plan` and `apply` report them in JSON.
fn rejected_json(rejected: &[Rejected]) -> Value {
    rejected
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "reason": r.reason}))
        .collect()
}

/// The log groups, roles and flow logs an apply would make or made, counted for the summary.
#[derive(Debug, Default)]
struct LogsWork {
    log_groups: usize,
    retentions: usize,
    roles: usize,
    role_updates: usize,
    boundaries: usize,
    flow_logs: usize,
    replaced: usize,
    policy_restores: usize,
}

impl LogsWork {
    /// One log group and role setup: a role counts once, created or updated.
    fn add_setup(&mut self, changes: &[SetupChange]) {
        let mut created = false;
        let mut updated = false;
        let regional = |c: &SetupChange| match c {
            SetupChange::InRegion { change, .. } => change.as_ref().clone(),
            c => c.clone(),
        };
        for c in changes.iter().map(regional) {
            match c {
                SetupChange::CreateLogGroup { .. } => self.log_groups += 1,
                SetupChange::SetRetention { .. } => self.retentions += 1,
                SetupChange::CreateBoundaryPolicy { .. } => self.boundaries += 1,
                SetupChange::CreateRole { .. } => created = true,
                SetupChange::UpdateTrust { .. }
                | SetupChange::PutRolePolicy { .. }
                | SetupChange::PutBoundary { .. } => updated = true,
                SetupChange::InRegion { .. } => {}
            }
        }
        if created {
            self.roles += 1;
        } else if updated {
            self.role_updates += 1;
        }
    }

    fn add_flow_log(&mut self, c: &FlowLogChange) {
        match c {
            FlowLogChange::Create { .. } => self.flow_logs += 1,
            FlowLogChange::Replace { .. } => self.replaced += 1,
        }
    }

    /// `logs: 2 log groups to create, 1 flow log to replace` (`to create`, `created`: `verbs` gives the
    /// words of each action); None when there is nothing.
    fn line(&self, verbs: [&str; 4]) -> Option<String> {
        let [create, set, update, replace] = verbs;
        let mut parts = Vec::new();
        let mut count = |n: usize, one: &str, many: &str, verb: &str| {
            if n > 0 {
                parts.push(format!("{n} {} {verb}", if n == 1 { one } else { many }));
            }
        };
        count(self.log_groups, "log group", "log groups", create);
        count(self.retentions, "retention", "retentions", set);
        count(self.roles, "role", "roles", create);
        count(self.role_updates, "role", "roles", update);
        count(
            self.boundaries,
            "boundary policy",
            "boundary policies",
            create,
        );
        count(self.flow_logs, "flow log", "flow logs", create);
        count(self.replaced, "flow log", "flow logs", replace);
        if self.policy_restores > 0 {
            parts.push(format!(
                "bucket policy restored {} after AWS replaced it (runbooks/vpc-flow-logs.md#2-the-bucket-owners-trap-the-central-accounts-own-vpcs)",
                times(self.policy_restores)
            ));
        }
        (!parts.is_empty()).then(|| format!("logs: {}", parts.join(", ")))
    }
}

fn times(n: usize) -> String {
    match n {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

/// `1 VPC`, `2 VPCs`.
fn vpcs(n: usize) -> String {
    format!("{n} VPC{}", if n == 1 { "" } else { "s" })
}

/// `3 VPCs`, or `17 VPCs in 17 Regions` when the VPCs are in more than one Region (each Region's count
/// is in the JSON report).
fn vpcs_in(n: usize, regions: &[crate::plan::RegionVpcs]) -> String {
    match regions.len() {
        0 | 1 => vpcs(n),
        r => format!("{} in {r} Regions", vpcs(n)),
    }
}

/// `; closed by policy: ap-east-1, me-south-1` when Regions are closed (a note), else nothing.
fn closed_note(closed: &[String]) -> String {
    if closed.is_empty() {
        return String::new();
    }
    format!("; closed by policy: {}", closed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_wraps_its_last_column_in_the_room_the_others_leave() {
        let arn = "arn:aws:cloudtrail:ap-northeast-2:123456789012:trail/OrganizationTrail";
        let mut t = table(&["ACCOUNT", "NAME", "TRAIL", "PLAN"]);
        t.add_row([
            "123456789012",
            "central",
            "SEC-CLOUDTRAIL",
            &format!("covered by {arn}"),
        ]);
        let items = ["create vpc-0123456789abcdef0 (s3)"; 5].join(", ");
        t.add_row([
            "222222222222",
            "DEV",
            "DEV-CLOUDTRAIL",
            &format!("flow logs: {items}"),
        ]);
        let mut out = Vec::new();
        print_table(&mut out, &t).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let under = " ".repeat(39);
        assert_eq!(
            lines[1], "123456789012  central  SEC-CLOUDTRAIL  covered by",
            "{text}"
        );
        assert_eq!(lines[2], format!("{under}  {arn}"), "{text}");
        assert!(lines[3].starts_with("222222222222  DEV      DEV-CLOUDTRAIL  flow logs: create"));
        assert!(
            lines[4..]
                .iter()
                .all(|l| l.starts_with(&format!("{under}  create"))),
            "{text}"
        );
        assert!(
            lines[3..].iter().all(|l| l.chars().count() <= wrap::WIDTH),
            "{text}"
        );
    }
}
