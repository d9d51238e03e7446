//! Scenario tests of the planner: `build` over whole configs and observed states.

use std::collections::BTreeMap;
use std::path::Path;

use super::prune::Prune;
use super::trails::TrailChange;
use super::*;
use crate::config::{Config, ScopedAccount};
use crate::model::AccountId;
use crate::world::{Guard, ObservedTrail};

const CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
trail_name = "SEC"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
[[account]]
id = "333333333333"
name = "PRD"
"#;

fn existing() -> BucketState {
    BucketState {
        settings: Default::default(),
        key: None,
        organizations: Default::default(),
        exists: true,
        guards: Guard::ALL.iter().map(|g| (*g, Some(true))).collect(),
    }
}

#[test]
fn a_half_made_bucket_is_hardened_and_unknown_guards_are_left_alone() {
    let (cfg, targets) = setup();
    let bucket = BucketState {
        settings: Default::default(),
        key: None,
        organizations: Default::default(),
        exists: true,
        guards: vec![
            (Guard::BlockPublicAccess, Some(true)),
            (Guard::Versioning, Some(false)),
            (Guard::DefaultEncryption, None),
        ],
    };
    let p = build(
        &cfg,
        &Prune::Off,
        &targets,
        None,
        &bucket,
        None,
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(p.bucket_action, BucketAction::Exists);
    assert_eq!(p.bucket_guards, [Guard::Versioning]);
    assert!(p.has_changes());
    let new = build(
        &cfg,
        &Prune::Off,
        &targets,
        None,
        &BucketState::default(),
        None,
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(new.bucket_guards, Guard::ALL);
}

fn setup() -> (Config, Vec<ScopedAccount>) {
    let cfg = Config::parse(Path::new("a.toml"), CFG).unwrap();
    let mut t: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
    t.extend(cfg.static_targets());
    (cfg, t)
}

#[test]
fn planning_from_scratch_then_again_is_a_no_op() {
    let (cfg, targets) = setup();
    let states: BTreeMap<_, _> = targets
        .iter()
        .map(|t| {
            (
                t.id.clone(),
                AccountState::Observed {
                    trail: None,
                    is_logging: false,
                    selectors: None,
                    others: vec![],
                    delivery: DeliveryState::default(),
                },
            )
        })
        .collect();
    let p = build(
        &cfg,
        &Prune::Off,
        &targets,
        None,
        &BucketState::default(),
        None,
        &states,
    )
    .unwrap();
    assert_eq!(p.bucket_action, BucketAction::Create);
    assert!(
        p.accounts
            .iter()
            .all(|a| a.changes() == [TrailChange::Create, TrailChange::StartLogging])
    );
    insta::assert_json_snapshot!(p, { ".policy.size" => "[size]", ".policy.form_sizes[].size" => "[size]" });

    // the world after apply: planning again changes nothing
    let states: BTreeMap<_, _> = targets
        .iter()
        .map(|t| {
            let d = desired_trail(&cfg, t);
            let o = ObservedTrail {
                name: d.name.to_string(),
                arn: d.arn.to_string(),
                home_region: Some("ap-northeast-2".into()),
                bucket: Some("sec-log".into()),
                key_prefix: None,
                multi_region: true,
                global_events: true,
                log_validation: true,
                organization_trail: false,
                cloudwatch: None,
                kms_key_id: None,
            };
            (
                t.id.clone(),
                AccountState::Observed {
                    trail: Some(o),
                    is_logging: true,
                    selectors: None,
                    others: vec![],
                    delivery: DeliveryState::default(),
                },
            )
        })
        .collect();
    let again = build(
        &cfg,
        &Prune::Off,
        &targets,
        None,
        &existing(),
        Some(&p.policy.text),
        &states,
    )
    .unwrap();
    assert!(!again.has_changes(), "{again:#?}");
}

#[test]
fn a_foreign_deny_blocks_only_its_account() {
    let (cfg, targets) = setup();
    let live = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDev","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/222222222222/*"}]}"#;
    let states: BTreeMap<_, _> = targets
        .iter()
        .map(|t| {
            (
                t.id.clone(),
                AccountState::Observed {
                    trail: None,
                    is_logging: false,
                    selectors: None,
                    others: vec![],
                    delivery: DeliveryState::default(),
                },
            )
        })
        .collect();
    let p = build(
        &cfg,
        &Prune::Off,
        &targets,
        None,
        &existing(),
        Some(live),
        &states,
    )
    .unwrap();
    let dev = p
        .accounts
        .iter()
        .find(|a| a.id.as_str() == "222222222222")
        .unwrap();
    assert!(
        matches!(&dev.status, AccountPlanStatus::PolicyDenies { denial } if denial.to_string().contains("NoDev"))
    );
    assert_eq!(
        p.accounts
            .iter()
            .filter(|a| !a.changes().is_empty())
            .count(),
        2
    );
}

/// Issue 5: at 100, 1,000 and 10,000 generated accounts the policy fits in 20 KB and lets every
/// planned trail write. A static list fits up to about 650 accounts (shared-prefix: an account ID
/// twice); beyond that only the organization form fits, so those accounts come from an organization.
#[test]
fn every_trail_is_allowed_at_scale() {
    for (n, from_org, form) in [
        (100, false, policy::Form::AccountArns),
        (600, false, policy::Form::SharedPrefix),
        (1_000, true, policy::Form::Organization),
        (10_000, true, policy::Form::Organization),
    ] {
        let (_, _, _, p) = plan_at_scale(n, from_org, "");
        assert_eq!(p.policy.form, form, "{n}: {:?}", p.policy.form_sizes);
        assert!(
            p.policy.size <= policy::SIZE_LIMIT,
            "{n}: {}",
            p.policy.size
        );
        let denied = p
            .accounts
            .iter()
            .filter(|a| matches!(a.status, AccountPlanStatus::PolicyDenies { .. }))
            .count();
        assert_eq!(denied, 0, "{n} accounts");
    }
}

const FLOW_LOGS: &str = "[flow_logs]\ndestinations = [\"s3\"]\n";

/// A plan for `n` generated accounts (IDs from 200000000000, names `A<id>`), listed statically or from an
/// organization (`from_org`), with `extra` sections appended to the accounts file: the config, the
/// targets, the organization and the plan.
fn plan_at_scale(
    n: u64,
    from_org: bool,
    extra: &str,
) -> (Config, Vec<ScopedAccount>, Option<policy::Org>, Plan) {
    let mut text = String::from(
        "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\ntrail_name = \"{name}-CLOUDTRAIL\"\n",
    );
    let ids: Vec<String> = (0..n)
        .map(|i| format!("{:012}", 200_000_000_000u64 + i))
        .collect();
    if from_org {
        text += "source = \"organizations\"\n";
    } else {
        for id in &ids {
            text += &format!("[[account]]\nid = \"{id}\"\nname = \"A{id}\"\n");
        }
    }
    text += extra;
    let cfg = Config::parse(Path::new("a.toml"), &text).unwrap();
    let targets: Vec<ScopedAccount> = if from_org {
        ids.iter()
            .map(|id| {
                cfg.org_target(id.parse().unwrap(), format!("A{id}"))
                    .unwrap()
            })
            .collect()
    } else {
        cfg.static_targets()
    };
    let org = from_org.then(|| policy::Org {
        id: "o-abcdef1234".into(),
        members: ids.iter().cloned().collect(),
    });
    let p = build(
        &cfg,
        &Prune::Off,
        &targets,
        org.as_ref(),
        &existing(),
        None,
        &BTreeMap::new(),
    )
    .unwrap();
    (cfg, targets, org, p)
}

fn observed(targets: &[ScopedAccount]) -> BTreeMap<AccountId, AccountState> {
    targets
        .iter()
        .map(|t| {
            let state = AccountState::Observed {
                trail: None,
                is_logging: false,
                selectors: None,
                others: vec![],
                delivery: DeliveryState {
                    vpcs: vec![crate::world::Vpc::new(
                        "ap-northeast-2",
                        &format!("vpc-{}", t.id),
                    )],
                    ..DeliveryState::default()
                },
            };
            (t.id.clone(), state)
        })
        .collect()
}

/// Issue 11: the merged policy lets delivery.logs write every flow-log account's flow logs (central
/// included), so the flow logs are planned, not blocked; a foreign Deny still blocks its account only.
#[test]
fn flow_logs_are_planned_once_the_policy_allows_them() {
    let text = format!("{CFG}{FLOW_LOGS}");
    let cfg = Config::parse(Path::new("a.toml"), &text).unwrap();
    let mut targets: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
    targets.extend(cfg.static_targets());
    let states = observed(&targets);
    let p = build(
        &cfg,
        &Prune::Off,
        &targets,
        None,
        &existing(),
        None,
        &states,
    )
    .unwrap();
    assert_eq!(p.flow_log_accounts.len(), 3);
    for a in &p.accounts {
        assert!(
            matches!(&a.flow_logs, Some(FlowLogsPlan::Changes { changes, .. }) if changes.len() == 1),
            "{}: {:?}",
            a.id,
            a.flow_logs
        );
    }
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDevFlowLogs","Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/222222222222/*"}]}"#;
    let p = build(
        &cfg,
        &Prune::Off,
        &targets,
        None,
        &existing(),
        Some(deny),
        &states,
    )
    .unwrap();
    for a in &p.accounts {
        let blocked = matches!(&a.flow_logs, Some(FlowLogsPlan::Blocked { failure: AccountFailure::FlowLogsDenied { denial } }) if denial.to_string().contains("NoDevFlowLogs"));
        assert_eq!(
            blocked,
            a.id.as_str() == "222222222222",
            "{:?}",
            a.flow_logs
        );
    }
    // without the s3 destination, no delivery.logs statement
    let cw = CFG.to_owned() + "[flow_logs]\ndestinations = [\"cloudwatch\"]\n";
    let cfg = Config::parse(Path::new("a.toml"), &cw).unwrap();
    let p = build(
        &cfg,
        &Prune::Off,
        &targets,
        None,
        &existing(),
        None,
        &states,
    )
    .unwrap();
    assert!(p.flow_log_accounts.is_empty());
    assert!(p.policy.log_delivery.is_none());
}

/// Issue 11: with flow logs for every account, the policy fits in 20 KB and lets every trail and every
/// account's flow logs write: a static list up to a few hundred accounts, an organization beyond (both
/// families then in the organization form).
#[test]
fn every_trail_and_flow_log_is_allowed_at_scale() {
    use policy::{Form as D, Form as F};
    for (n, from_org, forms) in [
        (1, false, (F::Exact, D::Exact)),
        (100, false, (F::SourceAccount, D::SourceAccount)),
        (1_000, true, (F::Organization, D::Organization)),
        (10_000, true, (F::Organization, D::Organization)),
    ] {
        let (cfg, targets, org, p) = plan_at_scale(n, from_org, FLOW_LOGS);
        let d = p.policy.log_delivery.as_ref().unwrap();
        assert_eq!(
            (p.policy.form, d.form),
            forms,
            "{n}: {:?} {:?}",
            p.policy.form_sizes,
            d.form_sizes
        );
        assert!(
            p.policy.size <= policy::SIZE_LIMIT,
            "{n}: {}",
            p.policy.size
        );
        eprintln!("{n} accounts with flow logs: {} bytes", p.policy.size);
        assert_eq!(d.accounts, n as usize);
        let denied = p
            .accounts
            .iter()
            .filter(|a| matches!(a.status, AccountPlanStatus::PolicyDenies { .. }))
            .count();
        assert_eq!(denied, 0, "{n} accounts");
        for t in &targets {
            let v = flow_logs_verdict(&cfg, &p.policy.policy, org.as_ref(), &t.id);
            assert!(v.allowed(), "{n}: {} {v:?}", t.id);
        }
    }
}
