//! `[guardrails]` in the plan and apply texts (pure rendering): trailhub's SCP, where it is attached, what
//! blocks it and what a person should know; and its document's change as a unified diff (`--diff`).

use std::io::{self, Write};

use crate::apply::GuardrailsOutcome;
use crate::plan::guardrails::{Blocked, GuardrailsPlan, PolicyWrite};

/// The plan's lines for the SCP: `scp NAME: create, attach to r-...`, or `as it should be`.
pub(super) fn write_plan(out: &mut dyn Write, g: &GuardrailsPlan) -> io::Result<()> {
    let name = &g.policy_name;
    let mut parts = Vec::new();
    match &g.write {
        PolicyWrite::Create => parts.push("create".to_owned()),
        PolicyWrite::Update { id } => parts.push(format!(
            "update {id} (its content differs; --diff shows how)"
        )),
        PolicyWrite::Keep { .. } => {}
    }
    if !g.attach.is_empty() {
        parts.push(format!("attach to {}", g.attach.join(", ")));
    }
    if !g.detach.is_empty() {
        parts.push(format!(
            "detach from {} (--prune: no longer in scope)",
            g.detach.join(", ")
        ));
    }
    if parts.is_empty() && g.blocked.is_empty() {
        parts.push(format!(
            "as it should be, attached to {}",
            g.attached.join(", ")
        ));
    }
    if !parts.is_empty() {
        writeln!(out, "scp {name}: {}", parts.join("; "))?;
    }
    write_blocked(out, name, &g.blocked)?;
    write_warnings(out, &g.warnings)
}

/// What apply did to the SCP.
pub(super) fn write_outcome(out: &mut dyn Write, g: &GuardrailsOutcome) -> io::Result<()> {
    let name = &g.policy_name;
    let mut parts = Vec::new();
    if g.created {
        parts.push("created".to_owned());
    }
    if g.updated {
        let saved = g
            .backup
            .as_ref()
            .map(|p| format!(" (was saved to {})", p.display()));
        parts.push(format!("updated{}", saved.unwrap_or_default()));
    }
    if !g.attached.is_empty() {
        parts.push(format!("attached to {}", g.attached.join(", ")));
    }
    if !g.detached.is_empty() {
        parts.push(format!("detached from {}", g.detached.join(", ")));
    }
    if !parts.is_empty() {
        writeln!(out, "scp {name}: {}", parts.join("; "))?;
    }
    if let Some(e) = &g.error {
        writeln!(out, "scp {name}: FAILED: {e}")?;
    }
    write_blocked(out, name, &g.blocked)?;
    write_warnings(out, &g.warnings)
}

fn write_blocked(out: &mut dyn Write, name: &str, blocked: &[Blocked]) -> io::Result<()> {
    for b in blocked {
        match b {
            Blocked::NotAuthorized { reason } => writeln!(
                out,
                "scp {name}: blocked: {reason} (runbooks/guardrails.md#not-authorized)"
            )?,
            Blocked::TooLarge { characters } => writeln!(
                out,
                "scp {name}: blocked: the document is {characters} characters, over AWS's 5,120 (shorten the log group or trail names; runbooks/guardrails.md#too-large)"
            )?,
            Blocked::TargetFull { target, attached } => writeln!(
                out,
                "scp {name}: blocked at {target}: it already holds 5 SCPs ({}), AWS's limit; detach one to make room (runbooks/guardrails.md#target-full)",
                attached.join(", ")
            )?,
        }
    }
    Ok(())
}

fn write_warnings(out: &mut dyn Write, warnings: &[String]) -> io::Result<()> {
    for w in warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

/// The unified diff of the SCP as it is (pretty; none: empty) against the one apply writes; empty when
/// they say the same.
pub(super) fn diff(g: &GuardrailsPlan) -> String {
    let live = g.live.as_ref().map(|p| p.content.as_str());
    super::policy_diff::unified(live, &g.document, &format!("scp {}", g.policy_name))
}
