//! Rendering reports as text, JSON or Markdown: the only code that writes results (to the writer it is
//! given, stdout in the binary). Each report renders in every format ([`Render`], one file per report);
//! notes for the person at the terminal go through the [`Console`]; logs go to stderr through `tracing`,
//! never here.

mod apply;
mod audit;
pub mod console;
mod plan;
mod policy;
mod restore;

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Value, json};

use crate::aws::Guard;
use crate::cli::Format;
use crate::discover::Rejected;
pub use console::{Console, Scripted, Terminal};
pub use restore::Previewed;

/// A report that renders in every `--format`.
pub trait Render {
    /// For people. Lines that must stay off stdout (so that it stays a document) go to `console`.
    fn text(&self, out: &mut dyn Write, console: &mut dyn Console) -> io::Result<()>;
    /// For machines: the fields are documented in docs/json.md.
    fn json(&self) -> serde_json::Result<Value>;
    /// For a ticket or a chat message.
    fn markdown(&self, out: &mut dyn Write) -> io::Result<()>;
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
    }
}

/// Writes `report` to `out` and, when `file` is given, the same bytes to that file (`audit --output`).
pub fn print_and_save(
    out: &mut dyn Write,
    console: &mut dyn Console,
    format: Format,
    report: &dyn Render,
    file: Option<&Path>,
) -> anyhow::Result<()> {
    let mut rendered = Vec::new();
    print(&mut rendered, console, format, report)?;
    out.write_all(&rendered)?;
    if let Some(path) = file {
        std::fs::write(path, &rendered)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
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

/// Text made safe for one cell of a Markdown table.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The account table of `plan` and `apply`: ACCOUNT, NAME, TRAIL and `last` (what happens to it), one row
/// per account, then the Organizations accounts left out, with `left_out` before their reason.
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
