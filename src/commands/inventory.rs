//! `trailhub inventory` (async, over the `aws` traits, read-only): every account the audit looks at,
//! observed as the audit observes it, then in one wave per account the status and event selectors of each
//! trail the observation did not read. Writes nothing; one account's failure is that account's row.

use anyhow::{Context, Result};
use futures::stream::{self, StreamExt};

use crate::aws::{AwsError, TrailStatus};
use crate::aws::{Central, EventSelectors, FlowLogDestination, ObservedFlowLog, ObservedTrail};
use crate::config::Config;
use crate::model::TrailArn;
use crate::observe::Observation;
use crate::observe::account::read_trail;
use crate::observe::audit::observe_all;
use crate::plan::{AccountState, DeliveryState, selectors};
use crate::progress::{Phase, Progress};
use crate::report::inventory::{
    AccountInventory, FlowLogEntry, InventoryReport, LogGroupEntry, TrailEntry, TrailKind,
};

/// Every account's inventory, `concurrency` accounts at once, each account told to `progress` as it is
/// observed. Err only when the organization's accounts cannot be listed.
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<InventoryReport> {
    progress.start(Phase::Observing, 0);
    let observed = observe_all(cfg, central, concurrency, progress).await;
    progress.finish();
    let (observed, _, _) = observed.context(
        "cannot list the organization's accounts (runbooks/troubleshooting.md#organizations)",
    )?;
    let accounts = stream::iter(observed)
        .map(|(o, managed)| account(cfg, o, managed))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    Ok(InventoryReport {
        region: cfg.central.region.to_string(),
        accounts,
    })
}

/// One account: its trails with their status and selectors (those the observation read, the rest read
/// now, all at once), its flow logs and the log groups they use.
async fn account<M: crate::aws::Member>(
    cfg: &Config,
    o: Observation<M>,
    managed: bool,
) -> AccountInventory {
    let mut inv = AccountInventory {
        id: o.target.id.to_string(),
        name: o.target.name.clone(),
        is_central: o.target.is_central,
        error: None,
        trails: vec![],
        flow_logs: None,
        log_groups: vec![],
    };
    let (AccountState::Observed { delivery, .. }, Some(member)) = (&o.state, &o.member) else {
        if let AccountState::Failed(f) = &o.state {
            inv.error = Some(format!("{}; {}", f.describe(), f.hint()));
        }
        return inv;
    };
    let region = cfg.central.region.as_str();
    let account = o.target.id.as_str();
    let o = &o;
    let reads = o.trails.iter().map(|t| async move {
        match already_read(o, t) {
            Some((s, sel)) => (Ok(s), Ok(sel)),
            None => read_trail(member, region, account, t).await,
        }
    });
    let read = futures::future::join_all(reads).await;
    inv.trails = (o.trails.iter().zip(read))
        .map(|(t, (s, sel))| trail_entry(t, kind(t, o, managed, region), s, sel))
        .collect();
    if cfg.flow_logs.is_some() && o.target.flow_logs {
        let flows = delivery.flow_logs.iter().map(flow_entry);
        inv.flow_logs = Some(flows.collect());
    }
    inv.log_groups = log_groups(&inv, delivery, region);
    inv
}

/// The status and selectors the observation already read for `t`: trailhub's trail's, or, without one,
/// each other trail's.
fn already_read<M>(o: &Observation<M>, t: &ObservedTrail) -> Option<(TrailStatus, EventSelectors)> {
    let AccountState::Observed {
        trail,
        selectors,
        others,
        ..
    } = &o.state
    else {
        return None;
    };
    if trail.as_ref().is_some_and(|m| m.arn == t.arn) {
        return Some((o.status.clone()?, selectors.clone()?));
    }
    let other = others.iter().find(|x| x.trail.arn == t.arn)?;
    Some((other.status.clone(), other.selectors.clone()))
}

/// What `t` is to the account: trailhub's own (the observation's trail, where `apply` manages the
/// account), an organization trail, a shadow of a trail homed in another region, or another.
fn kind<M>(t: &ObservedTrail, o: &Observation<M>, managed: bool, region: &str) -> TrailKind {
    let mine = matches!(&o.state, AccountState::Observed { trail: Some(m), .. } if m.arn == t.arn);
    if t.organization_trail {
        TrailKind::Organization
    } else if t.home_region.as_deref().is_some_and(|h| h != region) {
        TrailKind::Shadow
    } else if mine && managed {
        TrailKind::Trailhub
    } else {
        TrailKind::Other
    }
}

fn trail_entry(
    t: &ObservedTrail,
    kind: TrailKind,
    status: Result<TrailStatus, AwsError>,
    sel: Result<EventSelectors, AwsError>,
) -> TrailEntry {
    let errors: Vec<String> = [status.as_ref().err(), sel.as_ref().err()]
        .into_iter()
        .flatten()
        .map(|e| format!("{e}; {}", e.hint()))
        .collect();
    TrailEntry {
        name: t.name.clone(),
        arn: t.arn.clone(),
        kind,
        owner: TrailArn::parse(&t.arn)
            .map(|a| a.account.clone())
            .unwrap_or_default(),
        home_region: t.home_region.clone(),
        multi_region: t.multi_region,
        bucket: t.bucket.clone(),
        key_prefix: t.key_prefix.clone(),
        logging: status.ok().map(|s| s.is_logging),
        selectors: sel.ok().map(|s| selectors::describe(&s)),
        kms_key: t.kms_key_id.clone(),
        log_group: t.cloudwatch.as_ref().map(|c| c.log_group_arn.clone()),
        error: (!errors.is_empty()).then(|| errors.join("; ")),
    }
}

fn flow_entry(f: &ObservedFlowLog) -> FlowLogEntry {
    let destination = match &f.target {
        FlowLogDestination::S3 { arn, .. } => format!("s3 {arn}"),
        FlowLogDestination::CloudWatch { log_group, .. } => format!("cloudwatch {log_group}"),
        FlowLogDestination::Other { kind } => kind.clone(),
    };
    FlowLogEntry {
        region: f.region.clone(),
        id: f.id.clone(),
        resource: f.resource_id.clone(),
        destination,
        traffic_type: f.traffic_type.clone(),
        status: f.deliver_logs_status.clone(),
        managed: f.managed(),
    }
}

/// The log groups the account's trails and flow logs deliver to, by Region and name, with the retention
/// of those the observation read (trailhub's, under `[cloudwatch]` and `[flow_logs]`).
fn log_groups(inv: &AccountInventory, d: &DeliveryState, central: &str) -> Vec<LogGroupEntry> {
    let mut out: Vec<LogGroupEntry> = Vec::new();
    fn add(out: &mut Vec<LogGroupEntry>, region: String, name: String) -> &mut LogGroupEntry {
        let i = match out
            .iter()
            .position(|g| g.region == region && g.name == name)
        {
            Some(i) => i,
            None => {
                out.push(LogGroupEntry {
                    region,
                    name,
                    retention_days: None,
                    used_by: vec![],
                });
                out.len() - 1
            }
        };
        &mut out[i]
    }
    // an organization trail of the management account delivers to that account's group, not this one's
    for t in inv.trails.iter().filter(|t| t.owner == inv.id) {
        if let Some((region, name)) = t.log_group.as_deref().and_then(group_of_arn) {
            add(&mut out, region, name)
                .used_by
                .push(format!("trail {}", t.name));
        }
    }
    for f in inv.flow_logs.iter().flatten() {
        if let Some(name) = f.destination.strip_prefix("cloudwatch ") {
            let g = add(&mut out, f.region.clone(), name.to_owned());
            g.used_by.push(format!("flow log {}", f.id));
        }
    }
    for g in [&d.trail_group, &d.flow_group].into_iter().flatten() {
        add(&mut out, central.to_owned(), g.name.clone()).retention_days = Some(g.retention_days);
    }
    out.sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
    out
}

/// The Region and name of `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`.
fn group_of_arn(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.splitn(6, ':');
    let region = parts.nth(3)?.to_owned();
    let rest = parts.nth(1)?;
    let name = rest.strip_prefix("log-group:")?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    Some((region, name.to_owned()))
}

#[cfg(test)]
mod tests;
