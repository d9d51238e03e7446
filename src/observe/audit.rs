//! Gathering the audit's facts (async I/O over the `aws` traits, read only): everything in scope observed,
//! managed by `apply` or not, the organization trail the central account sees, and each account's
//! delivering trails with their status and newest log object. One account's failure is that account's
//! fact; only Organizations stops the gathering. The facts are plain values, judged by `audit` (pure).

use futures::stream::{self, StreamExt};

use super::account::read_trail;
use super::{Observation, observe, scope_and_observe};
use crate::aws::{AwsError, Central, Member};
use crate::aws::{EventSelectors, ObservedTrail, StopEvent, TrailStatus};
use crate::config::{Access, Config, ScopedAccount, Source};
use crate::interrupt::Interrupt;
use crate::model::{AccountId, RoleArn, TrailArn, TrailName};
use crate::plan::policy::Org;
use crate::plan::trails::delivers_to;
use crate::plan::{AccountFailure, AccountState, DeliveryState, layout};
use crate::progress::Progress;

/// A trail that delivers to the central bucket for an account, with what was read about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) trail: ObservedTrail,
    /// The trail trailhub manages in the account (its name, in the account's own list): held to the
    /// configured CloudWatch Logs group and role. Any other trail is not trailhub's to change.
    pub(crate) managed: bool,
    /// GetTrailStatus of the trail; Err: the call failed (`code: message`).
    pub(crate) status: Result<TrailStatus, AccountFailure>,
    /// GetEventSelectors of the trail, read in the same wave as its status; Err: the call failed.
    pub(crate) selectors: Result<EventSelectors, AccountFailure>,
    /// Set when the trail is an organization trail: its logs for the account go under
    /// `[PREFIX/]AWSLogs/<org-id>/<account>/`.
    pub(crate) org_id: Option<String>,
    /// The account's log files this trail wrote, per region folder under the account's `.../CloudTrail/`
    /// prefix: the newest file CloudTrail named for the account in the day folders `--max-age` spans (None:
    /// none there). Err: the listing failed.
    pub(crate) delivery: Result<Vec<RegionDelivery>, AccountFailure>,
    /// When the trail is not logging: the latest StopLogging event that stopped it, where the account's
    /// CloudTrail still has it (LookupEvents, the last 90 days); None when not found or not read.
    pub(crate) stopped: Option<StopEvent>,
}

/// One region folder of an account's CloudTrail prefix and its newest log file within the days listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegionDelivery {
    pub(crate) region: String,
    pub(crate) newest: Option<i64>,
}

/// What was seen in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Facts {
    Unreachable(AccountFailure),
    Reached {
        /// The trails that deliver to the central bucket and prefix, the preferred one first.
        candidates: Vec<Candidate>,
        /// The account's other trails (for the message when none delivers).
        others: Vec<ObservedTrail>,
        /// Its log groups, roles, VPCs and flow logs, as observed with the account (only where
        /// configured).
        delivery: Box<DeliveryState>,
    },
}

/// One in-scope account to put in the report: the account as in scope (its ID, name, and whether
/// `[cloudwatch]` and `[flow_logs]` apply to it) and what was seen there.
#[derive(Debug, Clone)]
pub(crate) struct Audited {
    pub(crate) target: ScopedAccount,
    pub(crate) facts: Facts,
}

/// An account in scope as observed, and whether `apply` manages it (its trail is trailhub's to judge
/// first).
type Observed<M> = (Observation<M>, bool);

/// A trail name for a target whose trail trailhub does not manage (the central account without
/// `central.trail_name`, an Organizations account whose name makes no valid trail name): only used to
/// look for a preferred trail, never created.
const UNMANAGED: &str = "trailhub-audit-unmanaged";

/// Everything in scope, observed: the members and the central account as [`scope_and_observe`] finds
/// them (`managed`), then the accounts `apply` does not manage, which are audited all the same: the
/// central account without a trail name, and the Organizations accounts the scope left out for their
/// names. An Organizations account whose ID is not 12 digits cannot be reached and is left out with a
/// warning on stderr. Err: the organization's accounts could not be listed.
pub(crate) async fn observe_all<C: Central>(
    cfg: &Config,
    central: &C,
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<(Vec<Observed<C::Member>>, Option<Org>, Placed), AwsError> {
    // the audit is read-only and stops at once on Ctrl-C: nothing to finish, so no interrupt to honour
    let interrupt = Interrupt::default();
    let (found, observed) =
        scope_and_observe(central, cfg, concurrency, &interrupt, progress).await?;
    let unmanaged = unmanaged_targets(cfg, &found.targets, found.rejected);
    let mut out: Vec<Observed<C::Member>> = observed.into_iter().map(|o| (o, true)).collect();
    out.extend(
        observe(central, cfg, &unmanaged, concurrency)
            .await
            .into_iter()
            .map(|o| (o, false)),
    );
    out.sort_by(|(a, _), (b, _)| a.target.report_order().cmp(&b.target.report_order()));
    Ok((out, found.org, found.placed))
}

/// Each account the OU walk placed: the root's ID, then each OU's above it ([`super::Scope::placed`]).
pub(crate) type Placed = std::collections::BTreeMap<String, Vec<String>>;

/// The targets of the accounts in scope that `apply` does not manage (see [`observe_all`]).
fn unmanaged_targets(
    cfg: &Config,
    found: &[ScopedAccount],
    rejected: Vec<super::Rejected>,
) -> Vec<ScopedAccount> {
    let unmanaged: TrailName = UNMANAGED.parse().expect("a valid trail name");
    let mut out: Vec<ScopedAccount> = Vec::new();
    let central = cfg.central.account_id.as_str();
    if !found.iter().any(|t| t.is_central) && cfg.members.in_run(central) {
        out.push(ScopedAccount {
            id: cfg.central.account_id.clone(),
            name: "central".to_owned(),
            trail_name: unmanaged.clone(),
            access: Access::Own,
            is_central: true,
            cloudwatch: true,
            flow_logs: true,
            ou: None,
        });
    }
    for r in rejected {
        let role = r.id.parse::<AccountId>().and_then(|id| {
            RoleArn::new(cfg.central.region.partition(), &id, &cfg.members.role_name)
                .map(|role| (id, role))
        });
        match role {
            Ok((id, role_arn)) => out.push(ScopedAccount {
                id,
                name: r.name,
                trail_name: unmanaged.clone(),
                access: Access::AssumeRole {
                    role_arn,
                    external_id: cfg.members.external_id.clone(),
                },
                is_central: false,
                cloudwatch: true,
                flow_logs: true,
                ou: r.ou,
            }),
            Err(_) => tracing::warn!(account = %r.id, "left out of the audit: {}", r.reason),
        }
    }
    out
}

/// A trail's status and event selectors as account `id` reads them (see [`read_trail`]), a failure of
/// either that account's.
async fn status_of<M: Member>(
    m: &M,
    cfg: &Config,
    id: &AccountId,
    t: &ObservedTrail,
) -> StatusAndSelectors {
    let (status, selectors) = read_trail(m, cfg.central.region.as_str(), id.as_str(), t).await;
    (
        status.map_err(AccountFailure::Aws),
        selectors.map_err(AccountFailure::Aws),
    )
}

type StatusAndSelectors = (
    Result<TrailStatus, AccountFailure>,
    Result<EventSelectors, AccountFailure>,
);

/// The trails account `id` shows that deliver to the central bucket and prefix: its own, and (when the
/// organization's ID is known) the organization trails it sees, whichever account made them.
fn own_delivering(
    cfg: &Config,
    id: &AccountId,
    trails: &[ObservedTrail],
    org_known: bool,
) -> Vec<ObservedTrail> {
    let prefix = cfg.central.key_prefix.as_ref().map(|p| p.as_str());
    trails
        .iter()
        .filter(|t| {
            delivers_to(t, cfg.central.bucket.as_str(), prefix)
                && TrailArn::parse(&t.arn).is_some_and(|a| {
                    a.account == id.as_str() || (t.organization_trail && org_known)
                })
        })
        .cloned()
        .collect()
}

/// An organization trail that delivers to the bucket, seen from the central account: it covers every
/// account of the organization.
pub(crate) struct OrgTrail {
    trail: ObservedTrail,
    status: StatusAndSelectors,
    /// The organization's ID: the trail writes under `[PREFIX/]AWSLogs/<org-id>/<account>/`.
    pub(crate) org_id: String,
}

/// The organization trail the central account sees delivering to the bucket, its status and the
/// organization's ID, found once. The trail is the central account's own (it is the management account),
/// or the management account's, which a delegated administrator sees (CT-16): DescribeOrganization names
/// that account, and gives the ID when `org` does not. None when there is none or the caller is in no
/// organization; Err when the organization cannot be read.
pub(crate) async fn org_trail<C: Central>(
    central: &C,
    cfg: &Config,
    observations: &[Observed<C::Member>],
    org: Option<&Org>,
) -> Result<Option<OrgTrail>, AwsError> {
    let Some((o, _)) = observations.iter().find(|(o, _)| o.target.is_central) else {
        return Ok(None);
    };
    let seen: Vec<ObservedTrail> = own_delivering(cfg, &o.target.id, &o.trails, true)
        .into_iter()
        .filter(|t| t.organization_trail)
        .collect();
    let Some(m) = o.member.as_ref().filter(|_| !seen.is_empty()) else {
        return Ok(None);
    };
    let owned_by = |account: &str| {
        seen.iter()
            .find(|t| TrailArn::parse(&t.arn).is_some_and(|a| a.account == account))
            .cloned()
    };
    let own = owned_by(o.target.id.as_str());
    // DescribeOrganization only when the scope did not give the ID, or the trail is not the central's
    let described = match (org, &own) {
        (Some(_), Some(_)) => None,
        _ => central.organization().await?,
    };
    let org_id = org.map(|g| g.id.clone());
    let Some(org_id) = org_id.or(described.as_ref().map(|d| d.id.clone())) else {
        return Ok(None);
    };
    let trail = own.or_else(|| described.and_then(|d| owned_by(&d.management_account)));
    let Some(trail) = trail else {
        return Ok(None);
    };
    let status = status_of(m, cfg, &o.target.id, &trail).await;
    Ok(Some(OrgTrail {
        trail,
        status,
        org_id,
    }))
}

/// The day folders the audit lists: from `today` (UTC) back `days` days, the days `--max-age` spans.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) today: time::Date,
    pub(crate) days: u32,
}

impl Window {
    pub(crate) fn new(now: time::OffsetDateTime, max_age: std::time::Duration) -> Self {
        let days = max_age.as_secs().div_ceil(86_400);
        Window {
            today: now.to_offset(time::UtcOffset::UTC).date(),
            days: u32::try_from(days).unwrap_or(u32::MAX).min(3660),
        }
    }
}

/// Every account's facts, at most `concurrency` accounts at once, in the order of `observations`;
/// `progress` hears of each account as its facts are in.
pub(crate) async fn gather<C: Central>(
    central: &C,
    cfg: &Config,
    observations: Vec<Observed<C::Member>>,
    org_trail: Option<&OrgTrail>,
    org_id: Option<&str>,
    window: Window,
    (concurrency, progress): (usize, &dyn Progress),
) -> Vec<Audited> {
    let mut gathered: Vec<(usize, Audited)> = stream::iter(observations.into_iter().enumerate())
        .map(|(i, (o, managed))| async move {
            let a = audited(central, cfg, &o, managed, (org_trail, org_id), window).await;
            progress.account_done(matches!(a.facts, Facts::Unreachable(_)));
            (i, a)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    gathered.sort_by_key(|(i, _)| *i);
    gathered.into_iter().map(|(_, a)| a).collect()
}

/// One account and its facts: unreachable, or its candidate trails (its own that deliver, the managed one
/// first, then the organization trail when it covers the account), its other trails, and what the
/// account's observation read for `[cloudwatch]` and `[flow_logs]` (no call of its own).
async fn audited<C: Central>(
    central: &C,
    cfg: &Config,
    o: &Observation<C::Member>,
    managed: bool,
    (org_trail, org_id): (Option<&OrgTrail>, Option<&str>),
    window: Window,
) -> Audited {
    let facts = match &o.state {
        AccountState::Failed(f) => Facts::Unreachable(f.clone()),
        AccountState::Observed {
            trail: mine,
            delivery,
            ..
        } => {
            let mine = mine.as_ref().filter(|_| managed);
            let mut candidates = own_candidates(central, cfg, o, mine, org_id, window).await;
            who_stopped(cfg, o, &mut candidates).await;
            if let Some(org_trail) = org_trail
                && !o.target.is_central
                && !candidates
                    .iter()
                    .any(|c| c.trail.arn == org_trail.trail.arn)
            {
                candidates
                    .extend(org_candidate(central, cfg, &o.target.id, org_trail, window).await);
            }
            let others = o
                .trails
                .iter()
                .filter(|t| !candidates.iter().any(|c| c.trail.arn == t.arn))
                .cloned()
                .collect();
            Facts::Reached {
                candidates,
                others,
                delivery: Box::new(delivery.clone()),
            }
        }
    };
    Audited {
        target: o.target.clone(),
        facts,
    }
}

/// The account's own trails that deliver to the bucket, `mine` (the managed trail) first, each with its
/// status (the one already read for `mine`) and its log files.
async fn own_candidates<C: Central>(
    central: &C,
    cfg: &Config,
    o: &Observation<C::Member>,
    mine: Option<&ObservedTrail>,
    org_id: Option<&str>,
    window: Window,
) -> Vec<Candidate> {
    let id = &o.target.id;
    let mut own = own_delivering(cfg, id, &o.trails, org_id.is_some());
    if let Some(mine) = mine {
        own.sort_by_key(|t| t.arn != mine.arn);
    }
    let mut candidates = Vec::new();
    for t in own {
        let (status, selectors) = match observed_read(o, mine, &t) {
            Some((s, sel)) => (Ok(s), Ok(sel)),
            None => match &o.member {
                Some(m) => status_of(m, cfg, id, &t).await,
                None => (
                    Err(AccountFailure::NotObserved),
                    Err(AccountFailure::NotObserved),
                ),
            },
        };
        let org_id = org_id.filter(|_| t.organization_trail).map(str::to_owned);
        let delivery = delivery(central, cfg, org_id.as_deref(), id, window).await;
        candidates.push(Candidate {
            managed: mine.is_some_and(|m| m.arn == t.arn),
            trail: t,
            status,
            selectors,
            org_id,
            delivery,
            stopped: None,
        });
    }
    candidates
}

/// For the account's own trails that are not logging, homed where its client is: who stopped each, from
/// one LookupEvents call for the account (only when one is stopped: CT-23 allows 2 calls a second per
/// account and region). A failed lookup (moto does not know the call) only leaves `stopped` unset.
async fn who_stopped<M: Member>(cfg: &Config, o: &Observation<M>, candidates: &mut [Candidate]) {
    let region = cfg.central.region.as_str();
    let account = o.target.id.as_str();
    let stopped = |c: &Candidate| {
        c.status.as_ref().is_ok_and(|s| !s.is_logging)
            && c.trail.owned_by(account)
            && !c.trail.organization_trail
            && c.trail.home_region.as_deref().is_none_or(|h| h == region)
    };
    let Some(m) = o.member.as_ref().filter(|_| candidates.iter().any(stopped)) else {
        return;
    };
    let events = match m.stop_logging_events().await {
        Ok(e) => e,
        Err(e) => {
            tracing::debug!(account, "who stopped the trail is not known: {e}");
            return;
        }
    };
    for c in candidates.iter_mut().filter(|c| stopped(c)) {
        c.stopped = events.iter().find(|e| e.stopped(&c.trail)).cloned();
    }
}

/// The status and event selectors already read with the account for trail `t` (trailhub's own when it
/// is `mine`, or one of the account's other trails), so that the audit does not read them again.
fn observed_read<M>(
    o: &Observation<M>,
    mine: Option<&ObservedTrail>,
    t: &ObservedTrail,
) -> Option<(TrailStatus, EventSelectors)> {
    let AccountState::Observed {
        selectors, others, ..
    } = &o.state
    else {
        return None;
    };
    if mine.is_some_and(|m| m.arn == t.arn) {
        return Some((o.status.clone()?, selectors.clone()?));
    }
    let other = others.iter().find(|x| x.trail.arn == t.arn)?;
    Some((other.status.clone(), other.selectors.clone()))
}

/// Another account's organization trail as a member's candidate: with Organizations as the source every
/// member is in the organization; with a static list, only when its logs are there.
async fn org_candidate<C: Central>(
    central: &C,
    cfg: &Config,
    id: &AccountId,
    org_trail: &OrgTrail,
    window: Window,
) -> Option<Candidate> {
    let delivery = delivery(central, cfg, Some(&org_trail.org_id), id, window).await;
    let from_org = cfg.members.source == Source::Organizations;
    let has_logs = delivery.as_ref().is_ok_and(|r| !r.is_empty());
    (from_org || has_logs).then(|| Candidate {
        trail: org_trail.trail.clone(),
        managed: false,
        status: org_trail.status.0.clone(),
        selectors: org_trail.status.1.clone(),
        org_id: Some(org_trail.org_id.clone()),
        delivery,
        stopped: None,
    })
}

/// The log files a trail wrote for `id`, listing only what the window needs: the region folders under the
/// account's prefix (one delimited listing), then in each region the day folders from today back, stopping
/// at the first that holds a file CloudTrail named for the account. At most 1 + regions x (days + 1)
/// ListObjectsV2 calls (a page each), whatever the account's history.
async fn delivery<C: Central>(
    central: &C,
    cfg: &Config,
    org_id: Option<&str>,
    id: &AccountId,
    window: Window,
) -> Result<Vec<RegionDelivery>, AccountFailure> {
    let bucket = &cfg.central.bucket;
    let base = log_prefix(cfg, org_id, id.as_str());
    let listed = |prefix: String, delimited| async move {
        central
            .list_objects(bucket, &prefix, delimited)
            .await
            .map_err(|e| AccountFailure::Aws(e.in_account(id)))
    };
    let mut out = Vec::new();
    for folder in listed(base.clone(), true).await?.folders {
        let region = folder[base.len()..].trim_end_matches('/').to_owned();
        let mut newest = None;
        for day in layout::day_folders(&base, &region, window.today, window.days) {
            let files = listed(day, false).await?;
            newest = files
                .objects
                .iter()
                .filter(|(key, _)| layout::is_cloudtrail_log(key, &base, id.as_str()))
                .map(|(_, t)| *t)
                .max();
            if newest.is_some() {
                break;
            }
        }
        out.push(RegionDelivery { region, newest });
    }
    Ok(out)
}

/// The key prefix under which a trail writes an account's log files:
/// `[PREFIX/]AWSLogs/[<org-id>/]<account>/CloudTrail/`.
pub(crate) fn log_prefix(cfg: &Config, org_id: Option<&str>, account: &str) -> String {
    let prefix = cfg.central.key_prefix.as_ref().map(|k| k.as_str());
    layout::log_prefix(prefix, org_id, account, "CloudTrail")
}
