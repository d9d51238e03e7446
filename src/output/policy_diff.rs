//! `plan --diff` (and `apply --diff`): the plan, then the bucket policy's change as a unified diff of its
//! JSON, the live document against the one `apply` writes, both pretty-printed (pure rendering).

use std::io::{self, Write};

use serde_json::Value;

use super::{Console, Render};
use crate::report::PlanReport;

/// A plan shown with the diff of its bucket policy.
pub struct PolicyDiff<'a>(pub &'a PlanReport);

impl Render for PolicyDiff<'_> {
    fn text(&self, out: &mut dyn Write, console: &mut dyn Console) -> io::Result<()> {
        self.0.text(out, console)?;
        writeln!(out)?;
        match console.colour() {
            true => write_coloured(out, self.0),
            false => write_diff(out, self.0),
        }
    }

    /// The plan's document, with `policy_diff` (the unified diff, empty when nothing changes).
    fn json(&self) -> serde_json::Result<Value> {
        let mut v = self.0.json()?;
        v["policy_diff"] = Value::String(diff(self.0));
        if let Some(g) = &self.0.plan.guardrails {
            v["scp_diff"] = Value::String(super::guardrails::diff(g));
        }
        Ok(v)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        self.0.markdown(out)?;
        writeln!(out, "\n```diff")?;
        write_diff(out, self.0)?;
        writeln!(out, "```")
    }
}

fn write_diff(out: &mut dyn Write, r: &PlanReport) -> io::Result<()> {
    let d = diff(r);
    if d.is_empty() {
        writeln!(out, "bucket policy {}: no change", r.plan.bucket)?;
    } else {
        write!(out, "{d}")?;
    }
    write_scp_diff(out, r)
}

/// The diff of trailhub's SCP, when `[guardrails]` plans one.
fn write_scp_diff(out: &mut dyn Write, r: &PlanReport) -> io::Result<()> {
    let Some(g) = &r.plan.guardrails else {
        return Ok(());
    };
    let d = super::guardrails::diff(g);
    match d.is_empty() {
        true => writeln!(out, "scp {}: no change", g.policy_name),
        false => write!(out, "{d}"),
    }
}

/// The diff with its removed lines red, added lines green and hunk headers cyan (ANSI SGR).
fn write_coloured(out: &mut dyn Write, r: &PlanReport) -> io::Result<()> {
    let mut d = diff(r);
    if d.is_empty() {
        return write_diff(out, r);
    }
    if let Some(g) = &r.plan.guardrails {
        d.push_str(&super::guardrails::diff(g));
    }
    for line in d.lines() {
        let colour = match line.as_bytes().first() {
            Some(b'-') if !line.starts_with("---") => "31",
            Some(b'+') if !line.starts_with("+++") => "32",
            Some(b'@') => "36",
            _ => "",
        };
        match colour {
            "" => writeln!(out, "{line}")?,
            c => writeln!(out, "\x1b[{c}m{line}\x1b[0m")?,
        }
    }
    Ok(())
}

/// The unified diff of the live policy (pretty; none: empty) and the planned one; empty when the two are
/// the same document.
fn diff(r: &PlanReport) -> String {
    let live = r.live_policy.as_deref().map_or(String::new(), pretty);
    let mut planned = serde_json::to_string_pretty(&r.plan.policy.policy).unwrap_or_default();
    planned.push('\n');
    if live == planned {
        return String::new();
    }
    let bucket = &r.plan.bucket;
    similar::TextDiff::from_lines(&live, &planned)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("bucket policy of {bucket} (live)"),
            &format!("bucket policy of {bucket} (planned)"),
        )
        .to_string()
}

/// The unified diff of a live document (pretty; none: empty) against the planned one (`planned`: JSON,
/// pretty-printed here), labelled `what`; empty when they are the same document.
pub(super) fn unified(live: Option<&str>, planned: &str, what: &str) -> String {
    let live = live.map_or(String::new(), pretty);
    let planned = pretty(planned);
    if live == planned {
        return String::new();
    }
    similar::TextDiff::from_lines(&live, &planned)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{what} (live)"), &format!("{what} (planned)"))
        .to_string()
}

/// A policy's text pretty-printed, as the planned one is (its own text when it is not JSON).
fn pretty(text: &str) -> String {
    let mut out = serde_json::from_str::<Value>(text)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| text.to_owned());
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
