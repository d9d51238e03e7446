//! The audit's report (pure): its schema, serialized as documented in `runbooks/scheduled-audit.md`, and
//! [`report`], which builds it from the facts of every account in scope and the live bucket policy.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::checks::{account_checks, bucket_checks};
use super::judge::{Judge, classify_account};
use super::stale::stale_entries;
use crate::observe::audit::{Audited, Facts};

pub use super::codes::Code;

/// A gap breaks an account's coverage; a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Gap,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    pub(super) fn gap(code: Code, message: impl Into<String>) -> Self {
        Problem {
            code,
            severity: Severity::Gap,
            message: message.into(),
        }
    }
    pub(super) fn warning(code: Code, message: impl Into<String>) -> Self {
        Problem {
            code,
            severity: Severity::Warning,
            message: message.into(),
        }
    }
}

/// Why an account is in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountKind {
    /// The central account: always audited, with or without `central.trail_name`.
    Central,
    /// A member, from accounts.toml or Organizations.
    Member,
    /// Not in scope, but the bucket policy still names it.
    Stale,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountReport {
    pub id: String,
    pub name: String,
    /// Its OU path (`Root/Workloads/Prod`), when the organization was walked by OU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ou: Option<String>,
    pub scope: AccountKind,
    /// No gap (in-scope accounts); always false for stale accounts, which are not counted.
    pub covered: bool,
    /// The trail judged for this account (the one that delivers to the bucket, best first), if any.
    pub trail_arn: Option<String>,
    pub problems: Vec<Problem>,
    /// The codes checked for it (`checks`): each absent one passed. Empty for stale accounts; only
    /// `unreachable` for an account that could not be read (the rest is unknown).
    #[serde(skip)]
    pub checked: Vec<Code>,
    /// `[alarms]`: each CIS monitoring control on the judged trail's log group, with its CIS numbers,
    /// Security Hub ID and state (`in-place`, `filter-missing`...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<crate::plan::alarms::ControlState>,
}

/// One value in trailhub's two CloudTrail statements that belongs to an account not in scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StaleEntry {
    pub account: String,
    /// The statement's Sid.
    pub statement: String,
    /// `aws:SourceArn` (a trail ARN in the condition) or `Resource` (a prefix the Write statement allows).
    pub field: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Accounts in scope (central and members).
    pub accounts: usize,
    /// In-scope accounts with no gap.
    pub covered: usize,
    /// Accounts the policy names that are not in scope.
    pub stale: usize,
    /// Coverage per OU path, when the organization was walked by OU (the central account's has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_ou: Vec<OuCoverage>,
}

/// The coverage of the in-scope accounts right in one OU (not below it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OuCoverage {
    pub ou: String,
    pub accounts: usize,
    pub covered: usize,
}

/// Coverage per OU path, in path order.
pub(super) fn by_ou(accounts: &[AccountReport]) -> Vec<OuCoverage> {
    let mut by: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for a in accounts.iter().filter(|a| a.scope != AccountKind::Stale) {
        if let Some(ou) = &a.ou {
            let e = by.entry(ou).or_default();
            e.0 += 1;
            e.1 += usize::from(a.covered);
        }
    }
    by.into_iter()
        .map(|(ou, (accounts, covered))| OuCoverage {
            ou: ou.to_owned(),
            accounts,
            covered,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub bucket: String,
    pub key_prefix: Option<String>,
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub max_age_seconds: u64,
    pub summary: Summary,
    pub accounts: Vec<AccountReport>,
    pub stale_policy_entries: Vec<StaleEntry>,
    /// The bucket's own findings (`bucket-no-access-logging`, `bucket-no-retention`), where configured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bucket_problems: Vec<Problem>,
    /// Where the findings formats place the central account and its bucket.
    #[serde(skip)]
    pub central: CentralPlace,
}

/// The central account, its Region and partition, and the bucket's ARN: the findings of the bucket, and the
/// product ARN of ASFF's findings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CentralPlace {
    pub account: String,
    pub region: String,
    pub partition: String,
    pub bucket_arn: String,
    /// The codes checked for the bucket (`checks`).
    pub bucket_checked: Vec<Code>,
}

impl AuditReport {
    /// 0 when every account in scope is covered and the bucket has no gap, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.summary.covered < self.summary.accounts || gaps(&self.bucket_problems) > 0)
    }
}

/// How many of these problems are gaps.
pub(super) fn gaps(p: &[Problem]) -> usize {
    p.iter().filter(|p| p.severity == Severity::Gap).count()
}

/// The whole report, from the facts (pure): the accounts in scope in their order, then one per account
/// the policy names that is not in scope.
pub(super) fn report(
    j: &Judge,
    audited: &[Audited],
    bucket_problems: Vec<Problem>,
    generated_at: String,
) -> AuditReport {
    let mut accounts: Vec<AccountReport> = audited.iter().map(|a| account_report(j, a)).collect();
    let in_scope: BTreeSet<String> = audited.iter().map(|a| a.target.id.to_string()).collect();
    // `--account`: the others' entries are not stale, only out of this run
    let stale = match j.cfg.members.only {
        Some(_) => Vec::new(),
        None => stale_entries(j.policy, &in_scope),
    };
    let stale_accounts = stale_accounts(&stale);
    let n_stale = stale_accounts.len();
    accounts.extend(stale_accounts);
    let in_scope_reports = accounts.iter().filter(|a| a.scope != AccountKind::Stale);
    let summary = Summary {
        accounts: audited.len(),
        covered: in_scope_reports.filter(|a| a.covered).count(),
        stale: n_stale,
        by_ou: by_ou(&accounts),
    };
    AuditReport {
        bucket: j.cfg.central.bucket.to_string(),
        key_prefix: j.cfg.central.key_prefix.as_ref().map(ToString::to_string),
        generated_at,
        max_age_seconds: j.max_age.as_secs(),
        summary,
        accounts,
        stale_policy_entries: stale,
        bucket_problems,
        central: central_place(j),
    }
}

fn central_place(j: &Judge) -> CentralPlace {
    let c = &j.cfg.central;
    let partition = c.region.partition();
    CentralPlace {
        account: c.account_id.to_string(),
        region: c.bucket_home().to_string(),
        partition: partition.to_owned(),
        bucket_arn: crate::plan::layout::bucket_arn(partition, c.bucket.as_str()),
        bucket_checked: bucket_checks(j.cfg),
    }
}

/// One in-scope account, judged.
fn account_report(j: &Judge, a: &Audited) -> AccountReport {
    let (trail_arn, problems) = classify_account(j, &a.target, &a.facts);
    let checked = match a.facts {
        Facts::Unreachable(_) => vec![Code::Unreachable],
        Facts::Reached { .. } => account_checks(j.cfg, &a.target),
    };
    let controls = match &a.facts {
        Facts::Reached {
            candidates,
            delivery,
            ..
        } => {
            let trail = (candidates.iter())
                .map(|c| &c.trail)
                .find(|t| Some(&t.arn) == trail_arn.as_ref());
            super::alarms::controls(j, &a.target, trail, delivery)
        }
        Facts::Unreachable(_) => vec![],
    };
    AccountReport {
        controls,
        id: a.target.id.to_string(),
        name: a.target.name.clone(),
        ou: a.target.ou.clone(),
        scope: if a.target.is_central {
            AccountKind::Central
        } else {
            AccountKind::Member
        },
        covered: gaps(&problems) == 0,
        trail_arn,
        problems,
        checked,
    }
}

/// One report per account that the stale entries name, by account ID, with a warning listing its entries.
fn stale_accounts(stale: &[StaleEntry]) -> Vec<AccountReport> {
    let mut by_account: BTreeMap<&str, Vec<&StaleEntry>> = BTreeMap::new();
    for e in stale {
        by_account.entry(&e.account).or_default().push(e);
    }
    by_account
        .into_iter()
        .map(|(account, entries)| {
            let listed: Vec<String> = entries
                .iter()
                .map(|e| format!("{} in {} of {}", e.value, e.field, e.statement))
                .collect();
            AccountReport {
                id: account.to_owned(),
                name: String::new(),
                ou: None,
                scope: AccountKind::Stale,
                covered: false,
                trail_arn: None,
                controls: vec![],
                problems: vec![Problem::warning(
                    Code::StalePolicyEntry,
                    format!(
                        "account {account} is not in scope, but the bucket policy still lets it deliver: {}",
                        listed.join("; ")
                    ),
                )],
                checked: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixtures::*;

    /// The text and Markdown print `as_str`, the JSON the serde name: one name per code.
    #[test]
    fn each_code_has_one_name() {
        for code in Code::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn report_counts_only_accounts_in_scope() {
        let cfg = cfg();
        let p = policy(&[
            (DEV, DEV_ARN),
            (
                "999999999999",
                "arn:aws:cloudtrail:ap-northeast-2:999999999999:trail/OLD",
            ),
        ]);
        let j = judge(&cfg, &p);
        let audited = vec![
            Audited {
                target: central(),
                facts: reached(vec![]),
            },
            Audited {
                target: dev(),
                facts: reached(vec![healthy(DEV_ARN)]),
            },
        ];
        let r = report(&j, &audited, vec![], "2027-01-15T08:00:00Z".into());
        assert_eq!(
            r.summary,
            Summary {
                accounts: 2,
                covered: 1,
                stale: 1,
                by_ou: vec![],
            }
        );
        assert_eq!(r.exit_code(), 1);
        let stale = &r.accounts[2];
        assert_eq!(
            (stale.id.as_str(), stale.scope, stale.covered),
            ("999999999999", AccountKind::Stale, false)
        );
        assert_eq!(stale.problems[0].severity, Severity::Warning);
        assert_eq!(r.stale_policy_entries.len(), 3);
    }
}
