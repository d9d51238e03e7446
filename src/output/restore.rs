//! `trailhub restore-policy`: the statements that go and come back, then the backup of the current policy,
//! the restore and the trails the restored policy does not let write; or that there was nothing to do, or
//! that it was not applied (pure rendering).

use std::io::{self, Write};

use serde_json::Value;

use super::{Console, Render};
use crate::report::{RestoreChanges, RestoreReport, RestoreRun};

/// The changes, as shown before the question.
impl Render for RestoreChanges {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        write_changes(out, self, Style::Text)
    }

    fn json(&self) -> serde_json::Result<Value> {
        serde_json::to_value(self)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        write_changes(out, self, Style::Markdown)
    }
}

impl Render for RestoreReport {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        write_outcome(out, self, Style::Text, false)
    }

    fn json(&self) -> serde_json::Result<Value> {
        serde_json::to_value(self)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        write_outcome(out, self, Style::Markdown, false)
    }
}

/// An outcome whose changes were already shown, before the question: in text and Markdown, what follows
/// them only; in JSON, the whole outcome.
pub struct Previewed<'a>(pub &'a RestoreReport);

impl Render for Previewed<'_> {
    fn text(&self, out: &mut dyn Write, _: &mut dyn Console) -> io::Result<()> {
        write_outcome(out, self.0, Style::Text, true)
    }

    fn json(&self) -> serde_json::Result<Value> {
        self.0.json()
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        write_outcome(out, self.0, Style::Markdown, true)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Text,
    Markdown,
}

impl Style {
    /// A file name, a Sid or a bucket: as it is, or as code.
    fn code(self, s: &str) -> String {
        match self {
            Style::Text => s.to_owned(),
            Style::Markdown => format!("`{s}`"),
        }
    }
}

fn write_outcome(
    out: &mut dyn Write,
    outcome: &RestoreReport,
    style: Style,
    previewed: bool,
) -> io::Result<()> {
    match outcome {
        RestoreReport::NothingToDo { bucket, backup } => writeln!(
            out,
            "nothing to do: bucket {} already has the policy of {}",
            style.code(bucket),
            style.code(&backup.display().to_string())
        ),
        RestoreReport::NotApplied(changes) => {
            if !previewed {
                write_changes(out, changes, style)?;
                if style == Style::Markdown {
                    writeln!(out)?;
                }
            }
            writeln!(out, "not applied")
        }
        RestoreReport::Restored(report) => {
            if !previewed {
                write_changes(out, &report.changes, style)?;
            }
            write_restored(out, report, style)
        }
    }
}

/// `restore bucket B's policy from F (N bytes)` and a line per statement that goes or comes back.
fn write_changes(out: &mut dyn Write, c: &RestoreChanges, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "restore bucket {}'s policy from {} ({} bytes)",
        style.code(&c.bucket),
        style.code(&c.backup.display().to_string()),
        c.size
    )?;
    let (going, coming) = match style {
        Style::Text => ("  -", "  +"),
        Style::Markdown => {
            writeln!(out)?;
            ("-", "-")
        }
    };
    let sid = |s: &Option<String>| style.code(s.as_deref().unwrap_or("(no Sid)"));
    for s in &c.statements_going {
        writeln!(out, "{going} statement {} (as it is now) goes", sid(s))?;
    }
    for s in &c.statements_coming_back {
        writeln!(out, "{coming} statement {} (as it was) comes back", sid(s))?;
    }
    Ok(())
}

/// The backup of the replaced policy, the restore, and the trails the restored policy does not let write.
fn write_restored(out: &mut dyn Write, r: &RestoreRun, style: Style) -> io::Result<()> {
    let mut lines = Vec::new();
    if let Some(path) = &r.current_backed_up_to {
        lines.push(format!(
            "policy: the current one backed up to {}",
            style.code(&path.display().to_string())
        ));
    }
    lines.push("policy: restored and read back".to_owned());
    if !r.trails_not_allowed.is_empty() {
        let trails: Vec<String> = r
            .trails_not_allowed
            .iter()
            .map(|t| format!("{} ({})", t.id, t.name))
            .collect();
        let warning = match style {
            Style::Text => "warning:",
            Style::Markdown => "**warning:**",
        };
        lines.push(format!(
            "{warning} the restored policy does not let these trails write: {}; `trailhub apply` adds them back",
            trails.join(", ")
        ));
    }
    match style {
        Style::Text => writeln!(out, "{}", lines.join("\n")),
        Style::Markdown => writeln!(out, "\n{}", lines.join("\n\n")),
    }
}
