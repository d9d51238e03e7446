//! Merging trailhub's statements into the live bucket policy (pure): the forms each family may be written
//! in, the most specific combination that fits, and, when none does, how many accounts would.

use std::collections::BTreeSet;

use serde_json::Value;

use super::error::PolicyError;
use super::family::{CLOUDTRAIL_FAMILY, Family, FormSpec, LOG_DELIVERY_FAMILY};
use super::fit::Fitter;
use super::input::{Entry, FlowLogAccounts, PolicyInput};
use super::live::{Live, read_live};
use super::report::{Merged, merged};
use crate::config::PolicyForm;
use crate::model::AccountId;

/// Merges trailhub's statements for `input` into `live` (None: the bucket has no policy), in the most
/// specific allowed combination of forms that fits.
pub fn merge(live: Option<&Value>, input: &PolicyInput) -> Result<Merged, PolicyError> {
    let l = read_live(live)?;
    let mut fit = Fitter::new(&l, input, forms(&l, input));
    if let Some(c) = fit.best() {
        return Ok(merged(&mut fit, c));
    }
    let (sizes, log_sizes) = fit.sizes_without_fit();
    let no_log_form = !fit.forms[1].is_empty() && log_sizes.iter().all(|s| s.size.is_none());
    if sizes.iter().all(|s| s.size.is_none()) || no_log_form {
        return Err(PolicyError::NoUsableForm(sizes, log_sizes));
    }
    let (accounts, fit) = how_many_fit(&l, input);
    Err(PolicyError::TooLarge {
        sizes,
        log_sizes,
        accounts,
        fit,
    })
}

/// The forms a `policy_form` setting allows a family, most specific first: `auto` all of them; a pinned
/// form the family's form of that name, or the one that stands for it.
fn candidates(family: &Family, p: PolicyForm) -> Vec<&FormSpec> {
    let allowed = |s: &&FormSpec| match p {
        PolicyForm::Auto => true,
        PolicyForm::Pinned(f) => s.form == f || s.stands_for == Some(f),
    };
    family.forms.iter().filter(allowed).collect()
}

/// Each family's forms to choose from: none for delivery.logs when the family is absent (no flow-log
/// account, no live statement of it).
fn forms(l: &Live, input: &PolicyInput) -> [Vec<&'static FormSpec>; 2] {
    let present =
        !input.flow_logs.accounts.is_empty() || l.found[1].slots.iter().any(Option::is_some);
    let log = if present {
        candidates(&LOG_DELIVERY_FAMILY, input.form)
    } else {
        vec![]
    };
    [candidates(&CLOUDTRAIL_FAMILY, input.form), log]
}

/// How many accounts (of trails and flow logs together, in account order) fit in the first allowed
/// combination of forms (for the error message), and how many there are.
fn how_many_fit(l: &Live, input: &PolicyInput) -> (usize, usize) {
    let accounts: Vec<&str> = input
        .entries
        .iter()
        .map(|e| e.account.as_str())
        .chain(input.flow_logs.accounts.iter().map(AccountId::as_str))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let first = forms(l, input).map(|f| f.into_iter().take(1).collect::<Vec<_>>());
    let fits = |k: usize| {
        let last = if k == 0 { "" } else { accounts[k - 1] };
        let entries: Vec<Entry> = input
            .entries
            .iter()
            .filter(|e| e.account.as_str() <= last)
            .cloned()
            .collect();
        let flow: Vec<AccountId> = input
            .flow_logs
            .accounts
            .iter()
            .filter(|a| a.as_str() <= last)
            .cloned()
            .collect();
        let sub = PolicyInput {
            entries: &entries,
            flow_logs: FlowLogAccounts {
                accounts: &flow,
                ..input.flow_logs
            },
            ..input.clone()
        };
        Fitter::new(l, &sub, first.clone()).best().is_some()
    };
    if !fits(0) {
        return (accounts.len(), 0);
    }
    let (mut lo, mut hi) = (0, accounts.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    (accounts.len(), lo)
}
