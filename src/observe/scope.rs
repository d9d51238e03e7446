//! Which accounts are in scope (async I/O over the `aws` traits, read only): the central account's own
//! trail, then the members from accounts.toml or from AWS Organizations (every page of ListAccounts, or a
//! walk by OU), each handed on as soon as it is listed.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::{AwsError, Central, OrgAccount};
use crate::config::{Config, ScopedAccount, Source};
use crate::model::AccountId;
use crate::plan::policy::Org;

/// An Organizations account that is in scope but cannot be worked on (its name gives no valid trail name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub id: String,
    pub name: String,
    pub reason: String,
    /// Its OU path, when the organization was walked by OU.
    pub ou: Option<String>,
}

/// What a run covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Central first (when it has a trail), then members sorted by account ID.
    pub targets: Vec<ScopedAccount>,
    /// Organizations accounts in scope that cannot be worked on.
    pub rejected: Vec<Rejected>,
    /// The organization, with `source = "organizations"`.
    pub org: Option<Org>,
    /// Each account the OU walk placed (`organizational_units`): the root's ID, then each OU's above it.
    pub placed: BTreeMap<String, Vec<String>>,
}

/// Every account in scope: from accounts.toml, or from AWS Organizations (every page of ListAccounts, with
/// DescribeOrganization alongside for the organization's ID).
pub async fn scope<C: Central>(central: &C, cfg: &Config) -> Result<Scope, AwsError> {
    scope_streaming(central, cfg, |_| {}).await
}

/// An Organizations account: in scope (a target), left out (None), or in scope but unworkable. `ou`: its
/// OU path, when the organization is walked by OU.
fn classify(
    cfg: &Config,
    a: &OrgAccount,
    ou: Option<&str>,
) -> Option<Result<ScopedAccount, Rejected>> {
    if !a.active || a.id == cfg.central.account_id.as_str() || !cfg.members.in_run(&a.id) {
        return None;
    }
    let target = a.id.parse::<AccountId>().and_then(|id| {
        if cfg.members.exclude.contains(&id) {
            Ok(None)
        } else {
            cfg.org_target(id, a.name.clone()).map(Some)
        }
    });
    match target {
        Ok(t) => t.map(|t| {
            Ok(ScopedAccount {
                ou: ou.map(str::to_owned),
                ..t
            })
        }),
        Err(reason) => Some(Err(Rejected {
            id: a.id.clone(),
            name: a.name.clone(),
            reason,
            ou: ou.map(str::to_owned),
        })),
    }
}

/// Lists the scope, handing each target to `found` as soon as its page arrives (so that work on the first
/// accounts overlaps the listing of the next pages). Targets come back central first, then by account ID.
pub(super) async fn scope_streaming<C: Central>(
    central: &C,
    cfg: &Config,
    mut found: impl FnMut(&ScopedAccount),
) -> Result<Scope, AwsError> {
    let mut targets: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
    if cfg.members.source == Source::Static {
        targets.extend(cfg.static_targets());
        targets.iter().for_each(&mut found);
        return Ok(Scope {
            targets,
            rejected: vec![],
            org: None,
            placed: BTreeMap::new(),
        });
    }
    targets.iter().for_each(&mut found);
    if cfg.members.walks_ous() {
        return scope_by_ou(central, cfg, targets, found).await;
    }
    let list = async {
        let mut members = BTreeSet::new();
        let mut rejected = Vec::new();
        let mut token = None;
        loop {
            let page = central.list_org_accounts_page(token).await?;
            for a in &page.accounts {
                members.insert(a.id.clone());
                match classify(cfg, a, None) {
                    Some(Ok(t)) => {
                        found(&t);
                        targets.push(t);
                    }
                    Some(Err(r)) => rejected.push(r),
                    None => {}
                }
            }
            token = page.next;
            if token.is_none() {
                return Ok::<_, AwsError>((members, rejected));
            }
        }
    };
    let (listed, org_id) = tokio::join!(list, central.organization_id());
    let (members, rejected) = listed?;
    Ok(scope_of(
        targets,
        rejected,
        org_id?,
        members,
        BTreeMap::new(),
    ))
}

/// The scope, its targets in report order, with the organization of `org_id` listing `members`.
fn scope_of(
    mut targets: Vec<ScopedAccount>,
    rejected: Vec<Rejected>,
    org_id: Option<String>,
    members: BTreeSet<String>,
    placed: BTreeMap<String, Vec<String>>,
) -> Scope {
    targets.sort_by(|a, b| a.report_order().cmp(&b.report_order()));
    Scope {
        targets,
        rejected,
        org: org_id.map(|id| Org { id, members }),
        placed,
    }
}

/// The scope from a walk of the organization by OU: the accounts below `organizational_units` (all, when
/// only exclusions are given) and below none of `exclude_organizational_units`, each with its OU path. An
/// OU named in the config that the walk did not find is an error: a typo would otherwise leave accounts out.
async fn scope_by_ou<C: Central>(
    central: &C,
    cfg: &Config,
    mut targets: Vec<ScopedAccount>,
    mut found: impl FnMut(&ScopedAccount),
) -> Result<Scope, AwsError> {
    let m = &cfg.members;
    let mut members = BTreeSet::new();
    let mut placed = BTreeMap::new();
    let mut rejected = Vec::new();
    let walk = super::org_tree::walk(central, m.concurrency, |p| {
        members.insert(p.account.id.clone());
        placed.insert(p.account.id.clone(), p.ancestors.clone());
        let wanted = m.ous.is_empty() || p.ancestors.iter().any(|a| m.ous.contains(a));
        let excluded = p.ancestors.iter().any(|a| m.exclude_ous.contains(a));
        if !wanted || excluded {
            return;
        }
        match classify(cfg, &p.account, Some(&p.path)) {
            Some(Ok(t)) => {
                found(&t);
                targets.push(t);
            }
            Some(Err(r)) => rejected.push(r),
            None => {}
        }
    });
    let (seen, org_id) = tokio::join!(walk, central.organization_id());
    let seen = seen?;
    if let Some(missing) = m
        .ous
        .iter()
        .chain(&m.exclude_ous)
        .find(|o| !seen.contains(o))
    {
        return Err(AwsError::new(
            "ListOrganizationalUnitsForParent",
            "OrganizationalUnitNotFound",
            format!(
                "{missing} (in organizational_units or exclude_organizational_units) is not a root or OU of this organization; check the ID in the AWS Organizations console"
            ),
        ));
    }
    Ok(scope_of(targets, rejected, org_id?, members, placed))
}
