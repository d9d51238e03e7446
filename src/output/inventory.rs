//! `trailhub inventory`: per account, its trails, flow logs and log groups as text, the report as JSON
//! (docs/json.md), Markdown tables, or CSV with one row per thing (pure rendering).

use std::io::{self, Write};

use serde_json::Value;

use super::{Console, Render, print_rows, table};
use crate::cli::Format;
use crate::report::inventory::{AccountInventory, InventoryReport, TrailEntry, TrailKind};

impl Render for InventoryReport {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        writeln!(out, "inventory (trails listed from {})", self.region)?;
        for a in &self.accounts {
            writeln!(out)?;
            write_account(out, Format::Text, a)?;
        }
        writeln!(out)?;
        writeln!(out, "{}", summary(self))
    }

    fn json(&self) -> serde_json::Result<Value> {
        serde_json::to_value(self)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "### Inventory (trails listed from {})", self.region)?;
        for a in &self.accounts {
            writeln!(out)?;
            write_account(out, Format::Markdown, a)?;
        }
        writeln!(out)?;
        writeln!(out, "**{}**", summary(self))
    }

    fn csv(&self, out: &mut dyn Write) -> io::Result<()> {
        super::csv::record(out, &CSV_HEADER)?;
        for a in &self.accounts {
            for row in csv_rows(a) {
                super::csv::record(out, &row)?;
            }
        }
        Ok(())
    }
}

/// `4 accounts: 6 trails (2 logging nowhere), 3 flow logs; 1 account could not be read`
fn summary(r: &InventoryReport) -> String {
    let trails: usize = r.accounts.iter().map(|a| a.trails.len()).sum();
    let stopped = (r.accounts.iter().flat_map(|a| &a.trails))
        .filter(|t| t.logging == Some(false))
        .count();
    let flows: usize = (r.accounts.iter().filter_map(|a| a.flow_logs.as_ref()))
        .map(Vec::len)
        .sum();
    let failed = r.accounts.iter().filter(|a| a.error.is_some()).count();
    let mut line = format!(
        "{} accounts: {} trails ({} not logging), {} flow logs",
        r.accounts.len(),
        trails,
        stopped,
        flows
    );
    if failed > 0 {
        line += &format!(
            "; {failed} account{} could not be read",
            if failed == 1 { "" } else { "s" }
        );
    }
    line
}

/// An account: its trails, flow logs and log groups, or why it could not be read.
fn write_account(out: &mut dyn Write, format: Format, a: &AccountInventory) -> io::Result<()> {
    let central = if a.is_central { " (central)" } else { "" };
    match format {
        Format::Markdown => writeln!(out, "#### {} {}{central}\n", a.id, a.name)?,
        _ => writeln!(out, "{} {}{central}", a.id, a.name)?,
    }
    if let Some(e) = &a.error {
        return writeln!(out, "  could not be read: {e}");
    }
    if a.trails.is_empty() {
        writeln!(out, "  trails: none")?;
    } else {
        let mut t = table(&[
            "TRAIL",
            "KIND",
            "HOME",
            "LOGGING",
            "BUCKET",
            "SELECTORS",
            "KMS KEY",
        ]);
        for trail in &a.trails {
            t.add_row(trail_row(&a.id, trail));
        }
        print_rows(out, format, &t)?;
        for trail in a.trails.iter().filter(|t| t.error.is_some()) {
            writeln!(
                out,
                "  {}: {}",
                trail.name,
                trail.error.as_deref().unwrap_or("")
            )?;
        }
    }
    write_flow_logs(out, format, a)?;
    write_log_groups(out, a)
}

/// The account's flow logs as a table, or why there is none.
fn write_flow_logs(out: &mut dyn Write, format: Format, a: &AccountInventory) -> io::Result<()> {
    match &a.flow_logs {
        None => writeln!(out, "  flow logs: not read ([flow_logs] does not apply)")?,
        Some(f) if f.is_empty() => writeln!(out, "  flow logs: none")?,
        Some(flows) => {
            let mut t = table(&[
                "FLOW LOG",
                "REGION",
                "RESOURCE",
                "DESTINATION",
                "TRAFFIC",
                "STATUS",
            ]);
            for f in flows {
                let id = if f.managed {
                    format!("{} (trailhub)", f.id)
                } else {
                    f.id.clone()
                };
                t.add_row(vec![
                    id,
                    f.region.clone(),
                    f.resource.clone(),
                    f.destination.clone(),
                    f.traffic_type.clone(),
                    f.status.clone().unwrap_or_else(|| "-".into()),
                ]);
            }
            print_rows(out, format, &t)?;
        }
    }
    Ok(())
}

/// One line per log group: its Region, retention and who delivers to it.
fn write_log_groups(out: &mut dyn Write, a: &AccountInventory) -> io::Result<()> {
    for g in &a.log_groups {
        let retention = match g.retention_days {
            Some(Some(d)) => format!(", retention {d} days"),
            Some(None) => ", never expires".to_owned(),
            None => String::new(),
        };
        let users = if g.used_by.is_empty() {
            "-".to_owned()
        } else {
            g.used_by.join(", ")
        };
        writeln!(
            out,
            "  log group {} in {}{retention}: {users}",
            g.name, g.region
        )?;
    }
    Ok(())
}

fn logging(t: &TrailEntry) -> &'static str {
    match t.logging {
        Some(true) => "on",
        Some(false) => "OFF",
        None => "?",
    }
}

/// A trail's row; an organization trail of another account (the management account's) names its owner.
fn trail_row(account: &str, t: &TrailEntry) -> Vec<String> {
    let kind = match t.kind {
        TrailKind::Organization if t.owner != account => format!("organization of {}", t.owner),
        k => k.as_str().to_owned(),
    };
    let bucket = match (&t.bucket, &t.key_prefix) {
        (Some(b), Some(p)) => format!("{b}/{p}"),
        (Some(b), None) => b.clone(),
        (None, _) => "-".to_owned(),
    };
    vec![
        t.name.clone(),
        kind,
        t.home_region.clone().unwrap_or_else(|| "-".into()),
        logging(t).to_owned(),
        bucket,
        t.selectors.clone().unwrap_or_else(|| "?".into()),
        t.kms_key.clone().unwrap_or_else(|| "none (SSE-S3)".into()),
    ]
}

const CSV_HEADER: [&str; 12] = [
    "account",
    "account_name",
    "type",
    "region",
    "name",
    "kind",
    "logging",
    "destination",
    "selectors",
    "kms_key",
    "status",
    "error",
];

/// One row per trail, flow log and log group of the account; one row with its error when it could not
/// be read.
fn csv_rows(a: &AccountInventory) -> Vec<[String; 12]> {
    let row = |ty: &str, region: &str, name: &str| {
        let mut r: [String; 12] = Default::default();
        r[0] = a.id.clone();
        r[1] = a.name.clone();
        r[2] = ty.to_owned();
        r[3] = region.to_owned();
        r[4] = name.to_owned();
        r
    };
    let mut rows = Vec::new();
    if let Some(e) = &a.error {
        let mut r = row("account", "", "");
        r[11] = e.clone();
        rows.push(r);
        return rows;
    }
    for t in &a.trails {
        let mut r = row("trail", t.home_region.as_deref().unwrap_or(""), &t.name);
        r[5] = t.kind.as_str().to_owned();
        r[6] = t.logging.map(|l| l.to_string()).unwrap_or_default();
        r[7] = t
            .bucket
            .as_ref()
            .map(|b| match &t.key_prefix {
                Some(p) => format!("s3://{b}/{p}"),
                None => format!("s3://{b}"),
            })
            .unwrap_or_default();
        r[8] = t.selectors.clone().unwrap_or_default();
        r[9] = t.kms_key.clone().unwrap_or_default();
        r[11] = t.error.clone().unwrap_or_default();
        rows.push(r);
    }
    for f in a.flow_logs.iter().flatten() {
        let mut r = row("flow-log", &f.region, &f.id);
        r[5] = if f.managed { "trailhub" } else { "other" }.to_owned();
        r[7] = f.destination.clone();
        r[8] = format!("{} of {}", f.traffic_type, f.resource);
        r[10] = f.status.clone().unwrap_or_default();
        rows.push(r);
    }
    for g in &a.log_groups {
        let mut r = row("log-group", &g.region, &g.name);
        r[7] = g.used_by.join(", ");
        r[10] = match g.retention_days {
            Some(Some(d)) => format!("retention {d} days"),
            Some(None) => "never expires".to_owned(),
            None => String::new(),
        };
        rows.push(r);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Command;

    /// `--format csv` is the inventory's only; the inventory takes no HTML, JUnit or CloudFormation.
    #[test]
    fn csv_is_for_the_inventory_only() {
        assert!(
            super::super::check_format(&Command::Inventory(Default::default()), Format::Csv)
                .is_ok()
        );
        let e = super::super::check_format(&Command::Policy(Default::default()), Format::Csv)
            .unwrap_err();
        assert!(
            e.starts_with("--format csv is for `trailhub audit` and `trailhub inventory` only"),
            "{e}"
        );
        for f in [Format::Html, Format::Junit, Format::Cloudformation] {
            assert!(
                super::super::check_format(&Command::Inventory(Default::default()), f).is_err()
            );
        }
    }
}
