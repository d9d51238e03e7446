//! The audit of `[guardrails]` (pure): `unguarded` for each account that trailhub's SCP does not protect
//! as written: the SCP is missing, its content differs, or it is attached to none of the targets above the
//! account (its root or the OUs of `organizational_units`).

use super::Code;
use super::report::{AccountKind, AccountReport, AuditReport, Problem, by_ou, gaps};
use crate::observe::audit::Placed;
use crate::plan::guardrails::{Authority, Blocked, GuardrailsPlan, PolicyWrite};

/// Why one account is not protected, None when it is. `ancestors`: the root and OUs above it, when the
/// organization was walked by OU (else every target is the root, above every account).
pub(super) fn unguarded(plan: &GuardrailsPlan, ancestors: Option<&[String]>) -> Option<String> {
    if let Authority::Neither { reason } = &plan.authority {
        return Some(format!("cannot read the SCPs: {reason}"));
    }
    let name = &plan.policy_name;
    match &plan.write {
        PolicyWrite::Create => return Some(format!("the SCP {name} does not exist")),
        PolicyWrite::Update { id } => {
            return Some(format!(
                "the SCP {name} ({id}) says something else than what trailhub writes"
            ));
        }
        PolicyWrite::Keep { .. } => {}
    }
    let full = plan.blocked.iter().filter_map(|b| match b {
        Blocked::TargetFull { target, .. } => Some(target),
        _ => None,
    });
    let above = |t: &String| ancestors.is_none_or(|a| a.contains(t));
    let targets: Vec<&String> = plan
        .attach
        .iter()
        .chain(full)
        .filter(|t| above(t))
        .collect();
    let covered = plan.attached.iter().any(above);
    match (covered, targets.is_empty()) {
        (false, false) => Some(format!(
            "the SCP {name} is not attached to {}",
            targets
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

/// Adds `unguarded` to each member account the SCP does not protect (the central account too, unless it is
/// the management account, which no SCP affects), and counts the accounts covered again.
pub(super) fn add_unguarded(report: &mut AuditReport, plan: &GuardrailsPlan, placed: &Placed) {
    for a in &mut report.accounts {
        let skip = a.scope == AccountKind::Stale
            || (a.scope == AccountKind::Central && plan.authority == Authority::Management);
        if skip {
            continue;
        }
        let ancestors = placed.get(&a.id).map(Vec::as_slice);
        if let Some(why) = unguarded(plan, ancestors) {
            a.problems.push(Problem::gap(
                Code::Unguarded,
                format!(
                    "{why}: the account's administrators can stop its trail or delete its flow logs"
                ),
            ));
            a.covered = gaps(&a.problems) == 0;
        }
    }
    let in_scope = report
        .accounts
        .iter()
        .filter(|a: &&AccountReport| a.scope != AccountKind::Stale);
    report.summary.covered = in_scope.filter(|a| a.covered).count();
    report.summary.by_ou = by_ou(&report.accounts);
}
