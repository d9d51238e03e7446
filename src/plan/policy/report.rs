//! What a merge did (pure): the merged policy, the form each family is written in and the sizes of the forms
//! tried, and, per family, the entries added, kept and rewritten against the live statements ([`Merged`],
//! [`LogDelivery`]).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::super::document::{statements, strings};
use super::content::read_managed;
use super::error::FormSize;
use super::evidence::Evidence;
use super::family::{FAMILIES, FormSpec};
use super::fit::{Combination, Fitter};
use super::render::{config_resources, wanted_sources};
use crate::config::Form;

/// The merged policy and what the merge did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merged {
    #[serde(skip)]
    pub policy: Value,
    /// The minified text that would be written.
    #[serde(skip)]
    pub text: String,
    pub size: usize,
    pub changed: bool,
    /// The form the two statements are written in, and the size of each form tried.
    pub form: Form,
    /// What the form rests on: a key CloudTrail's page documents, or IAM's global rule only (`organization`).
    #[serde(flatten)]
    pub evidence: Evidence,
    pub form_sizes: Vec<FormSize>,
    /// Statements trailhub adds because they were not there.
    pub created_statements: Vec<String>,
    /// Source entries (ARNs, account IDs or patterns, organization) and resources added.
    pub added_sources: Vec<String>,
    pub added_resources: Vec<String>,
    /// With `--prune`: the entries taken out of trailhub's statements, each naming an account no longer in
    /// scope.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pruned: Vec<String>,
    /// Entries already in the two statements that the config does not name: kept, not managed here.
    pub kept_sources: Vec<String>,
    pub kept_resources: Vec<String>,
    /// Entries of the live statements that the chosen form writes differently (a trail ARN that becomes its
    /// account's pattern or ID, a prefix covered by the shared one, or back to exact ARNs for accounts all
    /// in the config).
    pub rewritten_sources: Vec<String>,
    pub rewritten_resources: Vec<String>,
    /// True when the live `Statement` was a single object and is now written as a list of one.
    pub normalized_statement_list: bool,
    /// The console's old default statements (its Sid, no source condition), kept as they are: any trail
    /// of any account may write what they allow (confused deputy).
    pub legacy_statements: Vec<String>,
    /// The delivery.logs statements (flow logs to the bucket): their form, sizes and entries; None when the
    /// policy has none and the config wants none. `form_sizes` above are the sizes with these in their
    /// chosen form.
    pub log_delivery: Option<LogDelivery>,
}

/// What the merge did to the delivery.logs statements (`Merged::log_delivery`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogDelivery {
    /// The form the two statements are written in, and the size of the whole policy in each form tried
    /// (with the CloudTrail statements in their chosen form); the chosen one is last.
    pub form: Form,
    /// What the form rests on: a key the flow-log page documents, or IAM's global rule only (`organization`).
    #[serde(flatten)]
    pub evidence: Evidence,
    pub form_sizes: Vec<FormSize>,
    /// The accounts whose flow logs the config sends to the bucket.
    pub accounts: usize,
    /// Source entries (account IDs, `arn:<p>:logs:<region>:<id>:*` patterns, organization) and resources
    /// added.
    pub added_sources: Vec<String>,
    pub added_resources: Vec<String>,
    /// Entries already in the two statements that the config does not name: kept, not managed here.
    pub kept_sources: Vec<String>,
    pub kept_resources: Vec<String>,
    /// Entries of the live statements that the chosen form writes differently.
    pub rewritten_sources: Vec<String>,
    pub rewritten_resources: Vec<String>,
}

/// The merged policy in the combination `c` that fits, and what the merge added, kept and rewrote.
pub(super) fn merged(fit: &mut Fitter, c: Combination) -> Merged {
    let (i, j) = c;
    // the more specific forms of each family, with the other in its chosen form: each was tried before
    // this combination (see `fit::order`), so none fits or can be used
    let form_sizes: Vec<FormSize> = (0..=i).map(|k| fit.form_size(0, (k, j))).collect();
    let log_sizes: Vec<FormSize> = j
        .map(|j| (0..=j).map(|k| fit.form_size(1, (i, Some(k)))).collect())
        .unwrap_or_default();
    let (policy, size, changed) = fit.assemble(c);
    let text = policy.to_string();
    debug_assert_eq!(
        text.len(),
        size,
        "the sizes of the parts add up to the whole"
    );
    let trail = Diff::of_family(fit, 0, fit.forms[0][i], &policy);
    let log_delivery = j.map(|j| {
        let d = Diff::of_family(fit, 1, fit.forms[1][j], &policy);
        LogDelivery {
            form: fit.forms[1][j].form,
            evidence: FAMILIES[1].documented.of(fit.forms[1][j].form),
            form_sizes: log_sizes,
            accounts: fit.input.flow_logs.accounts.len(),
            added_sources: d.added_sources,
            added_resources: d.added_resources,
            kept_sources: d.kept_sources,
            kept_resources: d.kept_resources,
            rewritten_sources: d.rewritten_sources,
            rewritten_resources: d.rewritten_resources,
        }
    });
    Merged {
        added_sources: trail.added_sources,
        rewritten_sources: trail.rewritten_sources,
        kept_sources: trail.kept_sources,
        added_resources: trail.added_resources,
        rewritten_resources: trail.rewritten_resources,
        kept_resources: trail.kept_resources,
        policy,
        text,
        size,
        changed,
        form: fit.forms[0][i].form,
        evidence: FAMILIES[0].documented.of(fit.forms[0][i].form),
        form_sizes,
        created_statements: fit.skeleton.created.clone(),
        legacy_statements: fit.l.legacy.clone(),
        normalized_statement_list: fit.l.normalized,
        log_delivery,
        pruned: vec![],
    }
}

/// How a family's entries compare between the live statements and the merged ones.
struct Diff {
    added_sources: Vec<String>,
    added_resources: Vec<String>,
    kept_sources: Vec<String>,
    kept_resources: Vec<String>,
    rewritten_sources: Vec<String>,
    rewritten_resources: Vec<String>,
}

type Sets<'a> = (
    &'a BTreeSet<String>,
    &'a BTreeSet<String>,
    &'a BTreeSet<String>,
);

impl Diff {
    /// Family `f`'s statements in `policy`, in `spec`'s form, against the live ones.
    fn of_family(fit: &Fitter, f: usize, spec: &FormSpec, policy: &Value) -> Diff {
        let (family, found, input) = (FAMILIES[f], &fit.l.found[f], fit.input);
        let mut live_sources = BTreeSet::new();
        let mut live_resources = BTreeSet::new();
        for (slot, live) in family.slots.iter().zip(found.contents()) {
            if let Some(live) = live {
                live_sources.extend(live.sources());
                if slot.is_write {
                    live_resources.extend(live.resources.iter().cloned());
                }
            }
        }
        let statements = statements(policy);
        let find = |sid: &str| {
            statements
                .iter()
                .find(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
        };
        let new_sources = find(found.sids[0])
            .and_then(|s| read_managed(family, &family.slots[0], found.sids[0], s).ok())
            .map(|c| c.sources())
            .unwrap_or_default();
        let new_resources: BTreeSet<String> = find(found.sids[1])
            .map(|s| strings(s.get("Resource")).into_iter().collect())
            .unwrap_or_default();
        let wanted = &fit.wanted[f];
        Diff::of(
            (
                &live_sources,
                &new_sources,
                &wanted_sources(family, spec, input, wanted),
            ),
            (
                &live_resources,
                &new_resources,
                &config_resources(spec, input, wanted),
            ),
        )
    }

    /// `(live, new, wanted)` sources and resources: an entry kept from the live policy but written in the
    /// new form's shape is kept, not added (its old spelling shows as rewritten).
    fn of(sources: Sets, resources: Sets) -> Diff {
        let (live_s, new_s, wanted_s) = sources;
        let (live_r, new_r, wanted_r) = resources;
        let v = |i: std::collections::btree_set::Difference<'_, String>| i.cloned().collect();
        Diff {
            added_sources: new_s
                .difference(live_s)
                .filter(|s| wanted_s.contains(*s))
                .cloned()
                .collect(),
            rewritten_sources: v(live_s.difference(new_s)),
            kept_sources: v(new_s.difference(wanted_s)),
            added_resources: v(new_r.difference(live_r)),
            rewritten_resources: v(live_r.difference(new_r)),
            kept_resources: v(new_r.difference(wanted_r)),
        }
    }
}
