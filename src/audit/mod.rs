//! `trailhub audit`: does every account's CloudTrail still reach the central bucket? Strictly read-only.
//!
//! The classification ([`classify_account`], [`stale_entries`], [`report`]) is pure: observed facts in
//! plain values, problems out. [`audit`] gathers those facts over the `aws` traits, at most `concurrency`
//! accounts at once, and never writes. The report's fields are documented in `runbooks/scheduled-audit.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::aws::{AwsError, Central, Member};
use crate::aws::{ObservedTrail, TrailStatus};
use crate::config::{Access, Config, Target};
use crate::discover::{self, Observation, observe};
use crate::interrupt::Interrupt;
use crate::model::{AccountId, RoleArn, TrailArn, TrailName, is_account_id};
use crate::plan::document::{statements, strings};
use crate::plan::evaluate::check_delivery;
use crate::plan::layout;
use crate::plan::policy::{ACL_SID, Org, SOURCE_ACCOUNT, SOURCE_ARN, WRITE_SID};
use crate::plan::trails::delivers_to;
use crate::plan::{AccountFailure, AccountState, delivery_verdict, denial_message, trail_delivery};

/// Every problem the audit can report. The kebab-case names are the stable `code`s of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    Unreachable,
    NoTrail,
    NotLogging,
    NotMultiRegion,
    NoLogValidation,
    NoGlobalEvents,
    DeliveryError,
    StaleDelivery,
    NoDelivery,
    PolicyDenies,
    StalePolicyEntry,
}

impl Code {
    pub const ALL: [Code; 11] = [
        Code::Unreachable,
        Code::NoTrail,
        Code::NotLogging,
        Code::NotMultiRegion,
        Code::NoLogValidation,
        Code::NoGlobalEvents,
        Code::DeliveryError,
        Code::StaleDelivery,
        Code::NoDelivery,
        Code::PolicyDenies,
        Code::StalePolicyEntry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unreachable => "unreachable",
            Code::NoTrail => "no-trail",
            Code::NotLogging => "not-logging",
            Code::NotMultiRegion => "not-multi-region",
            Code::NoLogValidation => "no-log-validation",
            Code::NoGlobalEvents => "no-global-events",
            Code::DeliveryError => "delivery-error",
            Code::StaleDelivery => "stale-delivery",
            Code::NoDelivery => "no-delivery",
            Code::PolicyDenies => "policy-denies",
            Code::StalePolicyEntry => "stale-policy-entry",
        }
    }
}

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
    fn gap(code: Code, message: impl Into<String>) -> Self {
        Problem {
            code,
            severity: Severity::Gap,
            message: message.into(),
        }
    }
    fn warning(code: Code, message: impl Into<String>) -> Self {
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
pub enum Scope {
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
    pub scope: Scope,
    /// No gap (in-scope accounts); always false for stale accounts, which are not counted.
    pub covered: bool,
    /// The trail judged for this account (the one that delivers to the bucket, best first), if any.
    pub trail_arn: Option<String>,
    pub problems: Vec<Problem>,
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
}

impl AuditReport {
    /// 0 when every account in scope is covered, 1 when at least one has a gap.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.summary.covered < self.summary.accounts)
    }
}

/// The audit could not run: nothing can be said about coverage (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "cannot list the organization's accounts: {0} (runbooks/troubleshooting.md#organizations)"
    )]
    Organizations(#[source] AwsError),
    #[error(
        "the central bucket {bucket} does not exist: run `trailhub apply` (runbooks/scheduled-audit.md#exit-codes)"
    )]
    NoBucket { bucket: String },
    #[error("cannot read the central bucket {bucket}: {source}; {hint}", hint = source.hint())]
    Bucket {
        bucket: String,
        #[source]
        source: AwsError,
    },
    #[error(
        "the central account has an organization trail, but the organization's ID cannot be read: {0}"
    )]
    OrganizationId(#[source] AwsError),
}

/// Parses a humane duration: one or more `<number><unit>` with units s, m, h, d, w (`24h`, `90m`, `1d12h`).
pub fn parse_max_age(s: &str) -> Result<Duration, String> {
    let bad =
        || format!("{s:?} is not a duration like 24h, 90m, 2d or 1d12h (units: s, m, h, d, w)");
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut units = 0;
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
        digits.clear();
        units += 1;
    }
    if units == 0 || !digits.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(format!("{s:?}: the maximum age must be more than zero"));
    }
    Ok(Duration::from_secs(total))
}

// ---------------------------------------------------------------------------------------------------
// The pure part.

/// What the audit judges against: where logs must go and the policy in force.
pub struct Judge<'a> {
    pub cfg: &'a Config,
    /// The live bucket policy (`Value::Null` when there is none or it is not JSON).
    pub policy: &'a Value,
    /// The organization, with `source = "organizations"` (the policy's organization form names it).
    pub org: Option<&'a Org>,
    /// Said before a policy-denies message when the policy is missing or unreadable.
    pub policy_note: Option<&'a str>,
    /// Seconds since the epoch.
    pub now: i64,
    pub max_age: Duration,
}

/// A trail that delivers to the central bucket for an account, with what was read about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub trail: ObservedTrail,
    /// GetTrailStatus of the trail; Err: the call failed (`code: message`).
    pub status: Result<TrailStatus, AccountFailure>,
    /// Set when the trail is an organization trail: its logs for the account go under
    /// `[PREFIX/]AWSLogs/<org-id>/<account>/`.
    pub org_id: Option<String>,
    /// The newest object's time under the account's `.../CloudTrail/` prefix for this trail.
    pub newest_object: Option<i64>,
}

/// What was seen in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facts {
    Unreachable(AccountFailure),
    Reached {
        /// The trails that deliver to the central bucket and prefix, the preferred one first.
        candidates: Vec<Candidate>,
        /// The account's other trails (for the message when none delivers).
        others: Vec<ObservedTrail>,
    },
}

/// The key prefix under which a trail writes an account's log files:
/// `[PREFIX/]AWSLogs/[<org-id>/]<account>/CloudTrail/`.
pub fn log_prefix(cfg: &Config, org_id: Option<&str>, account: &str) -> String {
    let prefix = cfg.central.key_prefix.as_ref().map(|k| k.as_str());
    layout::log_prefix(prefix, org_id, account, "CloudTrail")
}

/// A duration in seconds, for people: `45s`, `90m` -> `1h30m`, `2d3h`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        s if s >= 2 * 86_400 => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The problems of one candidate trail for `account`.
fn judge_candidate(j: &Judge, account: &AccountId, c: &Candidate) -> Vec<Problem> {
    let t = &c.trail;
    let mut out = Vec::new();
    let max_age = i64::try_from(j.max_age.as_secs()).unwrap_or(i64::MAX);
    let status = match &c.status {
        Ok(s) => Some(s),
        Err(e) => {
            out.push(Problem::gap(
                Code::Unreachable,
                format!(
                    "cannot read the status of trail {}: {}: {}: {}",
                    t.name,
                    e.operation(),
                    e.code(),
                    e.message()
                ),
            ));
            None
        }
    };
    if let Some(s) = status
        && !s.is_logging
    {
        out.push(Problem::gap(
            Code::NotLogging,
            format!("trail {} exists but is not logging", t.name),
        ));
    }
    if !t.multi_region {
        out.push(Problem::gap(
            Code::NotMultiRegion,
            format!(
                "trail {} logs only its home region {}",
                t.name,
                t.home_region.as_deref().unwrap_or("(unknown)")
            ),
        ));
    }
    if !t.log_validation {
        out.push(Problem::warning(
            Code::NoLogValidation,
            format!(
                "trail {} has log file validation off: its files cannot be proven untampered",
                t.name
            ),
        ));
    }
    if !t.global_events {
        out.push(Problem::gap(
            Code::NoGlobalEvents,
            format!(
                "trail {} does not include global service events (IAM, STS, CloudFront)",
                t.name
            ),
        ));
    }
    if let Some(e) = status.and_then(|s| s.latest_delivery_error.as_deref()) {
        out.push(Problem::gap(
            Code::DeliveryError,
            format!(
                "CloudTrail reports a delivery error for trail {}: {e}",
                t.name
            ),
        ));
    }
    let prefix = log_prefix(j.cfg, c.org_id.as_deref(), account.as_str());
    let mut stale = Vec::new();
    if let Some(d) = status.and_then(|s| s.latest_delivery_time)
        && j.now - d > max_age
    {
        stale.push(format!(
            "CloudTrail's latest delivery was {} ago",
            age(j.now - d)
        ));
    }
    match c.newest_object {
        Some(o) if j.now - o > max_age => stale.push(format!(
            "the newest object under s3://{}/{prefix} is {} old",
            j.cfg.central.bucket,
            age(j.now - o)
        )),
        Some(_) => {}
        None => {
            let started = status.and_then(|s| s.start_logging_time);
            let recent = status.is_some_and(|s| s.is_logging)
                && started.is_some_and(|st| j.now - st <= max_age);
            let msg = format!("no object under s3://{}/{prefix}", j.cfg.central.bucket);
            if recent {
                out.push(Problem::warning(
                    Code::NoDelivery,
                    format!(
                        "{msg}; the trail started logging {} ago, within --max-age",
                        age(j.now - started.unwrap_or(j.now))
                    ),
                ));
            } else {
                out.push(Problem::gap(Code::NoDelivery, msg));
            }
        }
    }
    if !stale.is_empty() {
        out.push(Problem::gap(
            Code::StaleDelivery,
            format!("{} (--max-age {})", stale.join("; "), age(max_age)),
        ));
    }
    if let Some(denied) = policy_denial(j, account, c) {
        out.push(Problem::gap(Code::PolicyDenies, denied));
    }
    out
}

/// Why the policy does not let this trail deliver this account's logs, or None when it does.
fn policy_denial(j: &Judge, account: &AccountId, c: &Candidate) -> Option<String> {
    let arn = TrailArn::parse(&c.trail.arn)?;
    let verdict = match c.org_id.as_deref() {
        None => delivery_verdict(j.cfg, j.policy, j.org, account, &arn),
        // an organization trail writes under AWSLogs/<org-id>/<account>/, as its own account
        Some(o) => check_delivery(
            j.policy,
            &trail_delivery(j.cfg, account, &arn, Some(o), Some(o)),
        ),
    };
    if verdict.allowed() {
        return None;
    }
    let why = denial_message(j.policy, &verdict);
    Some(match j.policy_note {
        Some(note) => format!("{note}: trail {} cannot deliver ({why})", c.trail.arn),
        None => format!(
            "the bucket policy does not let trail {} deliver: {why}",
            c.trail.arn
        ),
    })
}

fn gaps(p: &[Problem]) -> usize {
    p.iter().filter(|p| p.severity == Severity::Gap).count()
}

/// Judges one in-scope account: the trail judged (the first candidate with no gap, else the one with the
/// fewest) and its problems.
pub fn classify_account(
    j: &Judge,
    account: &AccountId,
    facts: &Facts,
) -> (Option<String>, Vec<Problem>) {
    let (candidates, others) = match facts {
        Facts::Unreachable(f) => {
            return (
                None,
                vec![Problem::gap(
                    Code::Unreachable,
                    format!("{}: {}", f.code(), f.message()),
                )],
            );
        }
        Facts::Reached { candidates, others } => (candidates, others),
    };
    let judged: Vec<(&Candidate, Vec<Problem>)> = candidates
        .iter()
        .map(|c| (c, judge_candidate(j, account, c)))
        .collect();
    let best = judged
        .iter()
        .enumerate()
        .min_by_key(|(i, (_, p))| (gaps(p), *i))
        .map(|(_, x)| x);
    match best {
        Some((c, problems)) => (Some(c.trail.arn.clone()), problems.clone()),
        None => {
            let central = &j.cfg.central;
            let prefix = central.key_prefix.as_ref().map(|k| k.as_str());
            let target = layout::s3_url(central.bucket.as_str(), prefix);
            let mut msg = format!("no trail delivers to {target}");
            if !others.is_empty() {
                let seen: Vec<String> = others
                    .iter()
                    .map(|t| {
                        let to = match &t.bucket {
                            Some(b) => layout::s3_url(b, t.key_prefix.as_deref()),
                            None => "(no bucket)".to_owned(),
                        };
                        format!("{} -> {to}", t.name)
                    })
                    .collect();
                msg.push_str(&format!(" (trails seen: {})", seen.join(", ")));
            }
            (None, vec![Problem::gap(Code::NoTrail, msg)])
        }
    }
}

/// The account a policy value belongs to: the account of a trail ARN, or the first 12-digit segment
/// after `AWSLogs/` of a Resource (so `AWSLogs/<org-id>/<account>/*` names the account too).
fn account_of(field: &str, value: &str) -> Option<String> {
    let is_id = is_account_id;
    if field == SOURCE_ARN {
        return value
            .split(':')
            .nth(4)
            .filter(|a| is_id(a))
            .map(str::to_owned);
    }
    if field == SOURCE_ACCOUNT {
        return Some(value.to_owned()).filter(|a| is_id(a));
    }
    let (_, rest) = value.split_once("AWSLogs/")?;
    rest.split('/')
        .take(2)
        .find(|s| is_id(s))
        .map(str::to_owned)
}

/// Trail ARNs (`aws:SourceArn`, key matched case-insensitively, under any condition operator) of the two
/// CloudTrail statements and prefixes in the Write statement's Resource that belong to an account not in
/// `in_scope`, sorted.
pub fn stale_entries(policy: &Value, in_scope: &BTreeSet<String>) -> Vec<StaleEntry> {
    let mut out = BTreeSet::new();
    for s in statements(policy) {
        let Some(sid) = s.get("Sid").and_then(Value::as_str) else {
            continue;
        };
        if sid != ACL_SID && sid != WRITE_SID {
            continue;
        }
        let mut values: Vec<(&str, String)> = Vec::new();
        if let Some(Value::Object(ops)) = s.get("Condition") {
            for keys in ops.values().filter_map(Value::as_object) {
                for (k, v) in keys {
                    // every form trailhub writes: trail ARNs, account patterns (ArnLike) and account IDs
                    for key in [SOURCE_ARN, SOURCE_ACCOUNT] {
                        if k.eq_ignore_ascii_case(key) {
                            values.extend(strings(Some(v)).into_iter().map(|x| (key, x)));
                        }
                    }
                }
            }
        }
        if sid == WRITE_SID {
            values.extend(
                strings(s.get("Resource"))
                    .into_iter()
                    .map(|x| ("Resource", x)),
            );
        }
        for (field, value) in values {
            if let Some(account) = account_of(field, &value)
                && !in_scope.contains(&account)
            {
                out.insert(StaleEntry {
                    account,
                    statement: sid.to_owned(),
                    field: field.to_owned(),
                    value,
                });
            }
        }
    }
    out.into_iter().collect()
}

/// One in-scope account to put in the report.
#[derive(Debug, Clone)]
pub struct Audited {
    pub id: AccountId,
    pub name: String,
    pub is_central: bool,
    pub facts: Facts,
}

/// The whole report, from the facts (pure).
pub fn report(j: &Judge, audited: &[Audited], generated_at: String) -> AuditReport {
    let mut accounts: Vec<AccountReport> = audited
        .iter()
        .map(|a| {
            let (trail_arn, problems) = classify_account(j, &a.id, &a.facts);
            AccountReport {
                id: a.id.to_string(),
                name: a.name.clone(),
                scope: if a.is_central {
                    Scope::Central
                } else {
                    Scope::Member
                },
                covered: gaps(&problems) == 0,
                trail_arn,
                problems,
            }
        })
        .collect();
    let in_scope: BTreeSet<String> = audited.iter().map(|a| a.id.to_string()).collect();
    let stale = stale_entries(j.policy, &in_scope);
    let mut by_account: BTreeMap<&str, Vec<&StaleEntry>> = BTreeMap::new();
    for e in &stale {
        by_account.entry(&e.account).or_default().push(e);
    }
    let n_stale = by_account.len();
    for (account, entries) in by_account {
        let listed: Vec<String> = entries
            .iter()
            .map(|e| format!("{} in {} of {}", e.value, e.field, e.statement))
            .collect();
        accounts.push(AccountReport {
            id: account.to_owned(),
            name: String::new(),
            scope: Scope::Stale,
            covered: false,
            trail_arn: None,
            problems: vec![Problem::warning(
                Code::StalePolicyEntry,
                format!(
                    "account {account} is not in scope, but the bucket policy still lets it deliver: {}",
                    listed.join("; ")
                ),
            )],
        });
    }
    let in_scope_reports = accounts.iter().filter(|a| a.scope != Scope::Stale);
    let summary = Summary {
        accounts: audited.len(),
        covered: in_scope_reports.filter(|a| a.covered).count(),
        stale: n_stale,
    };
    AuditReport {
        bucket: j.cfg.central.bucket.to_string(),
        key_prefix: j.cfg.central.key_prefix.as_ref().map(ToString::to_string),
        generated_at,
        max_age_seconds: j.max_age.as_secs(),
        summary,
        accounts,
        stale_policy_entries: stale,
    }
}

// ---------------------------------------------------------------------------------------------------
// The async part: gathering the facts, read-only.

#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub concurrency: usize,
    pub max_age: Duration,
}

/// A trail name for a target whose trail trailhub does not manage (the central account without
/// `central.trail_name`, an Organizations account whose name makes no valid trail name): only used to
/// look for a preferred trail, never created.
const UNMANAGED: &str = "trailhub-audit-unmanaged";

/// Everything in scope, observed: the members and the central account as `discover` finds them
/// (`managed`), observed while later ListAccounts pages are still being listed, then the accounts
/// `apply` does not manage, which are audited all the same: the central account without a trail name,
/// and the Organizations accounts `discover` left out for their names. An Organizations account whose ID
/// is not 12 digits cannot be reached and is left out with a warning on stderr.
async fn scope_and_observe<C: Central>(
    cfg: &Config,
    central: &C,
    concurrency: usize,
) -> Result<(Vec<(Observation<C::Member>, bool)>, Option<Org>), AuditError> {
    // the audit is read-only and stops at once on Ctrl-C: nothing to finish, so no interrupt to honour
    let (found, observed) =
        discover::scope_and_observe(central, cfg, concurrency, &Interrupt::default())
            .await
            .map_err(AuditError::Organizations)?;
    let unmanaged = unmanaged_targets(cfg, &found.targets, found.rejected);
    let mut out: Vec<(Observation<C::Member>, bool)> =
        observed.into_iter().map(|o| (o, true)).collect();
    out.extend(
        observe(central, cfg, &unmanaged, concurrency)
            .await
            .into_iter()
            .map(|o| (o, false)),
    );
    out.sort_by(|(a, _), (b, _)| a.target.report_order().cmp(&b.target.report_order()));
    Ok((out, found.org))
}

/// The targets of the accounts in scope that `apply` does not manage (see [`scope_and_observe`]).
fn unmanaged_targets(
    cfg: &Config,
    found: &[Target],
    rejected: Vec<discover::Rejected>,
) -> Vec<Target> {
    let unmanaged: TrailName = UNMANAGED.parse().expect("a valid trail name");
    let mut out: Vec<Target> = Vec::new();
    if !found.iter().any(|t| t.is_central) {
        out.push(Target {
            id: cfg.central.account_id.clone(),
            name: "central".to_owned(),
            trail_name: unmanaged.clone(),
            access: Access::Own,
            is_central: true,
        });
    }
    for r in rejected {
        let role = r.id.parse::<AccountId>().and_then(|id| {
            RoleArn::new(cfg.central.region.partition(), &id, &cfg.members.role_name)
                .map(|role| (id, role))
        });
        match role {
            Ok((id, role_arn)) => out.push(Target {
                id,
                name: r.name,
                trail_name: unmanaged.clone(),
                access: Access::AssumeRole {
                    role_arn,
                    external_id: cfg.members.external_id.clone(),
                },
                is_central: false,
            }),
            Err(_) => tracing::warn!(account = %r.id, "left out of the audit: {}", r.reason),
        }
    }
    out
}

/// The status of a trail: by name in its home region, by ARN when it is homed elsewhere.
async fn status_of<M: Member>(
    m: &M,
    cfg: &Config,
    t: &ObservedTrail,
) -> Result<TrailStatus, AccountFailure> {
    let home = t
        .home_region
        .as_deref()
        .is_none_or(|r| r == cfg.central.region.as_str());
    let id = if home { &t.name } else { &t.arn };
    m.trail_status(id).await.map_err(AccountFailure::Aws)
}

/// Runs the audit. Err only when it cannot run at all (exit 2); every account's failure is in the report.
pub async fn audit<C: Central>(
    central: &C,
    cfg: &Config,
    opts: &AuditOptions,
    now: time::OffsetDateTime,
) -> Result<AuditReport, AuditError> {
    let bucket = &cfg.central.bucket;
    let bucket_err = |source| AuditError::Bucket {
        bucket: bucket.to_string(),
        source,
    };
    let concurrency = opts.concurrency.max(1);
    let read_bucket = async {
        if !central.bucket_exists(bucket).await.map_err(bucket_err)? {
            return Err(AuditError::NoBucket {
                bucket: bucket.to_string(),
            });
        }
        central.get_bucket_policy(bucket).await.map_err(bucket_err)
    };
    let (scoped, live) = tokio::join!(scope_and_observe(cfg, central, concurrency), read_bucket);
    let (observations, org) = scoped?;
    let live = live?;
    let (policy, policy_note) = match live.as_deref().map(serde_json::from_str::<Value>) {
        None => (Value::Null, Some("the bucket has no policy".to_owned())),
        Some(Err(e)) => (
            Value::Null,
            Some(format!("the bucket policy is not JSON ({e})")),
        ),
        Some(Ok(v)) => (v, None),
    };

    let prefix = cfg.central.key_prefix.as_ref().map(|p| p.as_str());
    let own_delivering = |id: &AccountId, trails: &[ObservedTrail]| -> Vec<ObservedTrail> {
        trails
            .iter()
            .filter(|t| {
                delivers_to(t, bucket.as_str(), prefix)
                    && TrailArn::parse(&t.arn).is_some_and(|a| a.account == id.as_str())
            })
            .cloned()
            .collect()
    };

    // An organization trail of the central account that delivers to the bucket covers every account of
    // the organization: find it, its status and the organization's ID once.
    let mut org_trail: Option<(ObservedTrail, Result<TrailStatus, AccountFailure>, String)> = None;
    if let Some((o, _)) = observations.iter().find(|(o, _)| o.target.is_central)
        && let Some(t) = own_delivering(&o.target.id, &o.trails)
            .into_iter()
            .find(|t| t.organization_trail)
        && let Some(m) = &o.member
    {
        let org_id = match &org {
            Some(o) => Some(o.id.clone()),
            None => central
                .organization_id()
                .await
                .map_err(AuditError::OrganizationId)?,
        };
        if let Some(org_id) = org_id {
            let status = status_of(m, cfg, &t).await;
            org_trail = Some((t, status, org_id));
        }
    }
    let org_trail = &org_trail;
    let from_org = cfg.members.source == crate::config::Source::Organizations;

    let mut gathered: Vec<(usize, Result<Audited, AuditError>)> =
        stream::iter(observations.into_iter().enumerate())
            .map(|(i, (o, managed))| async move {
                let facts = match &o.state {
                    AccountState::Failed(f) => Facts::Unreachable(f.clone()),
                    AccountState::Observed { trail: mine, .. } => {
                        let id = &o.target.id;
                        let mut own = own_delivering(id, &o.trails);
                        // the managed trail first, when it delivers
                        if let Some(mine) = mine.as_ref().filter(|_| managed) {
                            own.sort_by_key(|t| t.arn != mine.arn);
                        }
                        let mut candidates = Vec::new();
                        for t in own {
                            let status = match (&o.status, mine) {
                                (Some(s), Some(m)) if managed && m.arn == t.arn => Ok(s.clone()),
                                _ => match &o.member {
                                    Some(m) => status_of(m, cfg, &t).await,
                                    None => Err(AccountFailure::NotObserved),
                                },
                            };
                            let org_id = org_trail
                                .as_ref()
                                .filter(|_| t.organization_trail)
                                .map(|(_, _, o)| o.clone());
                            let newest = central
                                .newest_object(
                                    bucket,
                                    &log_prefix(cfg, org_id.as_deref(), id.as_str()),
                                )
                                .await;
                            let newest = match newest {
                                Ok(n) => n,
                                Err(e) => return (i, Err(bucket_err(e))),
                            };
                            candidates.push(Candidate {
                                trail: t,
                                status,
                                org_id,
                                newest_object: newest,
                            });
                        }
                        // another account's organization trail covers a member: with Organizations as the
                        // source every member is in the organization; with a static list, only when its
                        // logs are there
                        if let Some((t, status, org_id)) = org_trail
                            && !o.target.is_central
                        {
                            let newest = match central
                                .newest_object(bucket, &log_prefix(cfg, Some(org_id), id.as_str()))
                                .await
                            {
                                Ok(n) => n,
                                Err(e) => return (i, Err(bucket_err(e))),
                            };
                            if from_org || newest.is_some() {
                                candidates.push(Candidate {
                                    trail: t.clone(),
                                    status: status.clone(),
                                    org_id: Some(org_id.clone()),
                                    newest_object: newest,
                                });
                            }
                        }
                        let others = o
                            .trails
                            .iter()
                            .filter(|t| !candidates.iter().any(|c| c.trail.arn == t.arn))
                            .cloned()
                            .collect();
                        Facts::Reached { candidates, others }
                    }
                };
                let audited = Audited {
                    id: o.target.id.clone(),
                    name: o.target.name.clone(),
                    is_central: o.target.is_central,
                    facts,
                };
                (i, Ok(audited))
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
    gathered.sort_by_key(|(i, _)| *i);
    let mut out = Vec::with_capacity(gathered.len());
    for (_, a) in gathered {
        out.push(a?);
    }

    let judge = Judge {
        cfg,
        policy: &policy,
        org: org.as_ref(),
        policy_note: policy_note.as_deref(),
        now: now.unix_timestamp(),
        max_age: opts.max_age,
    };
    let generated_at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string());
    Ok(report(&judge, &out, generated_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::policy::CLOUDTRAIL;
    use serde_json::json;
    use std::path::Path;

    const CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
"#;
    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;
    const DEV: &str = "222222222222";
    const DEV_ARN: &str = "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/DEV-CT";

    fn cfg() -> Config {
        Config::parse(Path::new("a.toml"), CFG).unwrap()
    }

    /// The policy `trailhub apply` writes for these (account, trail ARN) pairs.
    fn policy(entries: &[(&str, &str)]) -> Value {
        let arns: Vec<&str> = entries.iter().map(|(_, a)| *a).collect();
        let res: Vec<String> = entries
            .iter()
            .map(|(id, _)| format!("arn:aws:s3:::sec-log/AWSLogs/{id}/*"))
            .collect();
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": ACL_SID, "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL},
             "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::sec-log",
             "Condition": {"StringEquals": {"aws:SourceArn": arns}}},
            {"Sid": WRITE_SID, "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL},
             "Action": "s3:PutObject", "Resource": res,
             "Condition": {"StringEquals": {"AWS:SourceArn": arns,
                 "s3:x-amz-acl": "bucket-owner-full-control"}}}]})
    }

    fn trail(arn: &str) -> ObservedTrail {
        let a = TrailArn::parse(arn).unwrap();
        ObservedTrail {
            name: a.name,
            arn: arn.to_owned(),
            home_region: Some("ap-northeast-2".into()),
            bucket: Some("sec-log".into()),
            key_prefix: None,
            multi_region: true,
            global_events: true,
            log_validation: true,
            organization_trail: false,
        }
    }

    fn healthy(arn: &str) -> Candidate {
        Candidate {
            trail: trail(arn),
            status: Ok(TrailStatus {
                is_logging: true,
                latest_delivery_time: Some(NOW - 600),
                latest_delivery_error: None,
                start_logging_time: Some(NOW - 30 * DAY),
            }),
            org_id: None,
            newest_object: Some(NOW - 300),
        }
    }

    fn judge<'a>(cfg: &'a Config, policy: &'a Value) -> Judge<'a> {
        Judge {
            cfg,
            policy,
            org: None,
            policy_note: None,
            now: NOW,
            max_age: Duration::from_secs(DAY as u64),
        }
    }

    fn codes(j: &Judge, facts: Facts) -> Vec<(Code, Severity)> {
        let (_, p) = classify_account(j, &DEV.parse().unwrap(), &facts);
        p.iter().map(|p| (p.code, p.severity)).collect()
    }

    fn reached(c: Vec<Candidate>) -> Facts {
        Facts::Reached {
            candidates: c,
            others: vec![],
        }
    }

    #[test]
    fn a_healthy_trail_has_no_problem() {
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let (arn, problems) =
            classify_account(&j, &DEV.parse().unwrap(), &reached(vec![healthy(DEV_ARN)]));
        assert_eq!(arn.as_deref(), Some(DEV_ARN));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn each_setting_and_status_problem() {
        use Severity::*;
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let mut c = healthy(DEV_ARN);
        c.trail.multi_region = false;
        c.trail.global_events = false;
        c.trail.log_validation = false;
        let s = c.status.as_mut().unwrap();
        s.is_logging = false;
        s.latest_delivery_error = Some("AccessDenied".into());
        assert_eq!(
            codes(&j, reached(vec![c])),
            [
                (Code::NotLogging, Gap),
                (Code::NotMultiRegion, Gap),
                (Code::NoLogValidation, Warning),
                (Code::NoGlobalEvents, Gap),
                (Code::DeliveryError, Gap),
            ]
        );
        assert_eq!(
            codes(
                &j,
                Facts::Unreachable(AccountFailure::Aws(AwsError::new(
                    "AssumeRole",
                    "AccessDenied",
                    "no"
                )))
            ),
            [(Code::Unreachable, Gap)]
        );
        let mut c = healthy(DEV_ARN);
        c.status = Err(AccountFailure::Aws(AwsError::new(
            "GetTrailStatus",
            "Throttling",
            "slow down",
        )));
        assert_eq!(codes(&j, reached(vec![c])), [(Code::Unreachable, Gap)]);
    }

    #[test]
    fn freshness_by_delivery_time_and_by_objects() {
        use Severity::*;
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let mut old_delivery = healthy(DEV_ARN);
        old_delivery.status.as_mut().unwrap().latest_delivery_time = Some(NOW - 2 * DAY);
        assert_eq!(
            codes(&j, reached(vec![old_delivery])),
            [(Code::StaleDelivery, Gap)]
        );

        let mut old_object = healthy(DEV_ARN);
        old_object.newest_object = Some(NOW - DAY - 1);
        let (_, p2) = classify_account(&j, &DEV.parse().unwrap(), &reached(vec![old_object]));
        assert_eq!(p2.len(), 1);
        assert_eq!(p2[0].code, Code::StaleDelivery);
        assert!(
            p2[0]
                .message
                .contains("s3://sec-log/AWSLogs/222222222222/CloudTrail/"),
            "{}",
            p2[0].message
        );

        // no object at all: a warning while the trail is new, a gap once it is older than --max-age
        let mut new_trail = healthy(DEV_ARN);
        new_trail.newest_object = None;
        new_trail.status.as_mut().unwrap().start_logging_time = Some(NOW - 3600);
        assert_eq!(
            codes(&j, reached(vec![new_trail.clone()])),
            [(Code::NoDelivery, Warning)]
        );
        let mut old_trail = new_trail.clone();
        old_trail.status.as_mut().unwrap().start_logging_time = Some(NOW - 2 * DAY);
        assert_eq!(
            codes(&j, reached(vec![old_trail])),
            [(Code::NoDelivery, Gap)]
        );
        let mut unknown_start = new_trail;
        unknown_start.status.as_mut().unwrap().start_logging_time = None;
        assert_eq!(
            codes(&j, reached(vec![unknown_start])),
            [(Code::NoDelivery, Gap)]
        );
    }

    #[test]
    fn no_trail_names_the_trails_seen() {
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let mut elsewhere = trail(DEV_ARN);
        elsewhere.bucket = Some("other".into());
        let facts = Facts::Reached {
            candidates: vec![],
            others: vec![elsewhere],
        };
        let (arn, problems) = classify_account(&j, &DEV.parse().unwrap(), &facts);
        assert_eq!(arn, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, Code::NoTrail);
        assert!(
            problems[0].message.contains("DEV-CT -> s3://other/"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn policy_denies_judges_that_exact_trail() {
        let cfg = cfg();
        let other = "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/Renamed";
        let p = policy(&[(DEV, other)]);
        let j = judge(&cfg, &p);
        let (_, problems) =
            classify_account(&j, &DEV.parse().unwrap(), &reached(vec![healthy(DEV_ARN)]));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, Code::PolicyDenies);
        assert!(problems[0].message.contains(DEV_ARN));

        let none = Value::Null;
        let j = Judge {
            policy_note: Some("the bucket has no policy"),
            ..judge(&cfg, &none)
        };
        let (_, problems) =
            classify_account(&j, &DEV.parse().unwrap(), &reached(vec![healthy(DEV_ARN)]));
        assert!(
            problems[0].message.starts_with("the bucket has no policy"),
            "{problems:?}"
        );
    }

    #[test]
    fn any_delivering_trail_counts_the_best_is_judged() {
        let (cfg, p) = (cfg(), policy(&[(DEV, DEV_ARN)]));
        let j = judge(&cfg, &p);
        let mut stopped = healthy(DEV_ARN);
        stopped.status.as_mut().unwrap().is_logging = false;
        let extra = "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/Extra";
        let p2 = policy(&[(DEV, DEV_ARN), (DEV, extra)]);
        let j2 = judge(&cfg, &p2);
        let (arn, problems) = classify_account(
            &j2,
            &DEV.parse().unwrap(),
            &reached(vec![stopped.clone(), healthy(extra)]),
        );
        assert_eq!(arn.as_deref(), Some(extra));
        assert!(problems.is_empty());
        // both broken: the one with the fewest gaps, the preferred one on a tie
        let (arn, _) = classify_account(
            &j,
            &DEV.parse().unwrap(),
            &reached(vec![stopped, healthy(extra)]),
        );
        assert_eq!(arn.as_deref(), Some(DEV_ARN));
    }

    #[test]
    fn an_organization_trail_writes_under_the_org_id() {
        let cfg = cfg();
        let org_arn = "arn:aws:cloudtrail:ap-northeast-2:111111111111:trail/ORG";
        let org_policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:GetBucketAcl",
             "Resource": "arn:aws:s3:::sec-log", "Condition": {"StringEquals": {"aws:SourceArn": org_arn}}},
            {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::sec-log/AWSLogs/o-abc123/*",
             "Condition": {"StringEquals": {"aws:SourceArn": org_arn}}}]});
        let j = judge(&cfg, &org_policy);
        let mut c = healthy(org_arn);
        c.trail.organization_trail = true;
        c.org_id = Some("o-abc123".into());
        assert_eq!(codes(&j, reached(vec![c.clone()])), []);
        c.newest_object = None;
        c.status.as_mut().unwrap().start_logging_time = Some(NOW - 2 * DAY);
        let (_, p) = classify_account(&j, &DEV.parse().unwrap(), &reached(vec![c]));
        assert!(
            p[0].message
                .contains("s3://sec-log/AWSLogs/o-abc123/222222222222/CloudTrail/"),
            "{p:?}"
        );
        // the same trail judged as a plain trail would write under AWSLogs/<id>/: denied
        let (_, p) = classify_account(&j, &DEV.parse().unwrap(), &reached(vec![healthy(org_arn)]));
        assert_eq!(p[0].code, Code::PolicyDenies);
    }

    #[test]
    fn stale_entries_from_both_statements() {
        let p = policy(&[
            (DEV, DEV_ARN),
            (
                "999999999999",
                "arn:aws:cloudtrail:ap-northeast-2:999999999999:trail/OLD",
            ),
        ]);
        let in_scope = BTreeSet::from(["111111111111".to_owned(), DEV.to_owned()]);
        let stale = stale_entries(&p, &in_scope);
        let got: Vec<(&str, &str, &str)> = stale
            .iter()
            .map(|e| (e.account.as_str(), e.statement.as_str(), e.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("999999999999", ACL_SID, SOURCE_ARN),
                ("999999999999", WRITE_SID, "Resource"),
                ("999999999999", WRITE_SID, SOURCE_ARN),
            ]
        );
        // other statements, org-form prefixes of in-scope accounts and non-account values are ignored
        let other = json!({"Statement": [
            {"Sid": "Mine", "Effect": "Allow", "Principal": "*", "Action": "s3:*",
             "Resource": "arn:aws:s3:::sec-log/AWSLogs/999999999999/*"},
            {"Sid": WRITE_SID, "Resource": ["arn:aws:s3:::sec-log/AWSLogs/o-abc/222222222222/*",
                "arn:aws:s3:::sec-log/AWSLogs/o-abc/*"]}]});
        assert!(stale_entries(&other, &in_scope).is_empty());
    }

    #[test]
    fn stale_entries_in_the_account_forms() {
        let p = json!({"Statement": [
            {"Sid": ACL_SID, "Condition": {"StringEquals": {"aws:SourceAccount": ["111111111111", "999999999999"]}}},
            {"Sid": WRITE_SID, "Resource": "arn:aws:s3:::b/AWSLogs/*",
             "Condition": {"ArnLike": {"aws:SourceArn": ["arn:aws:cloudtrail:*:888888888888:trail/*"]}}}
        ]});
        let in_scope: BTreeSet<String> = ["111111111111".to_owned()].into();
        let got: Vec<String> = stale_entries(&p, &in_scope)
            .into_iter()
            .map(|e| e.account)
            .collect();
        assert_eq!(got, ["888888888888", "999999999999"]);
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
                id: "111111111111".parse().unwrap(),
                name: "central".into(),
                is_central: true,
                facts: reached(vec![]),
            },
            Audited {
                id: DEV.parse().unwrap(),
                name: "DEV".into(),
                is_central: false,
                facts: reached(vec![healthy(DEV_ARN)]),
            },
        ];
        let r = report(&j, &audited, "2027-01-15T08:00:00Z".into());
        assert_eq!(
            r.summary,
            Summary {
                accounts: 2,
                covered: 1,
                stale: 1
            }
        );
        assert_eq!(r.exit_code(), 1);
        let stale = &r.accounts[2];
        assert_eq!(
            (stale.id.as_str(), stale.scope, stale.covered),
            ("999999999999", Scope::Stale, false)
        );
        assert_eq!(stale.problems[0].severity, Severity::Warning);
        assert_eq!(r.stale_policy_entries.len(), 3);
    }

    #[test]
    fn max_age_parsing() {
        let secs = |s| parse_max_age(s).map(|d| d.as_secs());
        assert_eq!(secs("24h"), Ok(86_400));
        assert_eq!(secs("90m"), Ok(5400));
        assert_eq!(secs("2d"), Ok(172_800));
        assert_eq!(secs("1d12h"), Ok(129_600));
        assert_eq!(secs("45s"), Ok(45));
        assert_eq!(secs("1w"), Ok(604_800));
        for bad in [
            "",
            "24",
            "h",
            "1x",
            "-1h",
            "0h",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(parse_max_age(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod fake_tests {
    //! The async part over the in-memory fake: scope, the organization trail and the concurrency bound.
    use super::*;
    use crate::aws::OrgAccount;
    use crate::fake::{FakeAws, fake_trail};
    use crate::plan::policy::CLOUDTRAIL;
    use std::path::Path;

    const ORG_CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
[members]
source = "organizations"
trail_name = "{name}-CT"
concurrency = 3
"#;

    fn now() -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[tokio::test]
    async fn an_organization_trail_covers_every_account_within_the_bound() {
        let cfg = Config::parse(Path::new("a.toml"), ORG_CFG).unwrap();
        let region: crate::model::Region = "ap-northeast-2".parse().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(5));
        let org_arn = "arn:aws:cloudtrail:ap-northeast-2:111111111111:trail/ORG";
        let ids: Vec<String> = (2..=13).map(|i| format!("{i:012}")).collect();
        {
            let mut w = aws.world();
            w.org_id = Some("o-abc123".into());
            w.org_accounts = ids
                .iter()
                .map(|id| OrgAccount {
                    id: id.clone(),
                    name: format!("A{id}"),
                    active: true,
                })
                .collect();
            let policy = serde_json::json!({"Statement": [
                {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:GetBucketAcl",
                 "Resource": "arn:aws:s3:::sec-log",
                 "Condition": {"StringEquals": {"aws:SourceArn": org_arn}}},
                {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::sec-log/AWSLogs/o-abc123/*",
                 "Condition": {"StringEquals": {"aws:SourceArn": org_arn}}}]});
            w.buckets.insert("sec-log".into(), Some(policy.to_string()));
            let mut t = fake_trail(&region, "111111111111", "ORG", "sec-log");
            t.organization_trail = true;
            let status = TrailStatus {
                is_logging: true,
                start_logging_time: Some(1_799_000_000),
                ..Default::default()
            };
            w.trails.insert("111111111111".into(), vec![(t, status)]);
            let objects = w.objects.entry("sec-log".into()).or_default();
            // every account but the last has fresh logs under the organization's prefix
            for id in std::iter::once("111111111111")
                .chain(ids[..ids.len() - 1].iter().map(String::as_str))
            {
                objects.insert(
                    format!("AWSLogs/o-abc123/{id}/CloudTrail/ap-northeast-2/x.json.gz"),
                    1_799_999_000,
                );
            }
        }
        let opts = AuditOptions {
            concurrency: cfg.members.concurrency,
            max_age: Duration::from_secs(86_400),
        };
        let r = audit(&aws, &cfg, &opts, now()).await.unwrap();
        assert_eq!(
            r.summary,
            Summary {
                accounts: 13,
                covered: 12,
                stale: 0
            }
        );
        assert_eq!(r.accounts[0].scope, Scope::Central);
        assert!(
            r.accounts
                .iter()
                .all(|a| a.trail_arn.as_deref() == Some(org_arn))
        );
        let last = r.accounts.last().unwrap();
        assert_eq!(last.id, ids[ids.len() - 1]);
        assert_eq!(
            last.problems.iter().map(|p| p.code).collect::<Vec<_>>(),
            [Code::NoDelivery]
        );
        // at most 3 accounts' calls at once; the central account's listing, DescribeOrganization and bucket
        // read run alongside them, outside that bound
        assert!(aws.max_in_flight() <= 3 + 3, "{}", aws.max_in_flight());
        assert_eq!(aws.calls("DescribeOrganization"), 1);
        for write in [
            "CreateTrail",
            "UpdateTrail",
            "StartLogging",
            "PutBucketPolicy",
            "CreateBucket",
        ] {
            assert_eq!(aws.calls(write), 0, "{write}");
        }
    }

    #[tokio::test]
    async fn a_missing_bucket_stops_the_audit_and_an_unassumable_role_does_not() {
        let cfg = Config::parse(Path::new("a.toml"), ORG_CFG).unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        aws.world().org_accounts = vec![OrgAccount {
            id: "222222222222".into(),
            name: "DEV".into(),
            active: true,
        }];
        let opts = AuditOptions {
            concurrency: 2,
            max_age: Duration::from_secs(86_400),
        };
        let e = audit(&aws, &cfg, &opts, now()).await.unwrap_err();
        assert!(matches!(e, AuditError::NoBucket { .. }), "{e}");

        aws.world().buckets.insert("sec-log".into(), None);
        aws.world().deny_assume.insert("222222222222".into());
        let r = audit(&aws, &cfg, &opts, now()).await.unwrap();
        let codes: Vec<(&str, Vec<Code>)> = r
            .accounts
            .iter()
            .map(|a| (a.id.as_str(), a.problems.iter().map(|p| p.code).collect()))
            .collect();
        assert_eq!(
            codes,
            [
                ("111111111111", vec![Code::NoTrail]),
                ("222222222222", vec![Code::Unreachable]),
            ]
        );
        assert!(
            r.accounts[1].problems[0]
                .message
                .starts_with("AccessDenied")
        );
        assert_eq!(r.exit_code(), 1);
    }
}
