//! Issue 24 against moto, end to end through the real binary: `[alarms]` in the central account and one
//! member. One apply leaves every CIS monitoring control in place in both (read back with trailhub's own
//! SDK layer), a second apply writes nothing; an alarm deleted and a filter's pattern changed behind
//! trailhub's back are named by the audit for that account only, and the next apply repairs them.
//! One test only: the moto suite is near its time budget (tests/MOTO-ALARMS.md).

use crate::support;

use serde_json::Value;
use support::trailhub::{BUCKET, MEMBERS, REGION, World, static_config};
use trailhub::aws::sdk::{SdkCentral, SdkMember};
use trailhub::aws::{Alarms, Central, MetricFilter};
use trailhub::config::{Config, ScopedAccount};
use trailhub::world::alarms::{CONTROLS, NAME_PREFIX};

const GROUP: &str = "/trailhub/cloudtrail";

fn accounts(w: &World, cfg: &Config) -> Vec<(ScopedAccount, SdkMember)> {
    let central = SdkCentral::new(w.sdk.clone());
    let mut targets: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
    targets.extend(cfg.static_targets());
    let members = targets.into_iter().map(|t| {
        let m = w.rt.block_on(central.member(&t)).unwrap();
        (t, m)
    });
    members.collect()
}

/// Every control in place in the account, as an auditor reads it: the published pattern on the trail's
/// group, an alarm on its metric that notifies the account's topic, and the topic's policy.
fn assert_in_place(w: &World, id: &str, m: &SdkMember) {
    let topic = format!("arn:aws:sns:{REGION}:{id}:trailhub-security-alarms");
    w.rt.block_on(async {
        let filters = m.metric_filters(GROUP).await.unwrap();
        let alarms = m.metric_alarms(NAME_PREFIX).await.unwrap();
        for c in CONTROLS {
            let f = filters.iter().find(|f| f.name == c.resource_name());
            let f = f.unwrap_or_else(|| panic!("{id}: no filter for {}", c.name));
            assert_eq!(f.pattern, c.pattern, "{id} {}", c.name);
            let a = alarms.iter().find(|a| a.name == c.resource_name());
            let a = a.unwrap_or_else(|| panic!("{id}: no alarm for {}", c.name));
            assert_eq!(
                (a.metric_name.as_str(), a.namespace.as_str()),
                (f.metric_name.as_str(), f.namespace.as_str())
            );
            assert_eq!(
                (a.statistic.as_str(), a.period, a.threshold),
                ("Sum", 300, 1.0)
            );
            assert_eq!(a.actions, std::slice::from_ref(&topic), "{id}");
        }
        let t = m.topic(&topic).await.unwrap().expect("the topic");
        let policy: Value = serde_json::from_str(t.policy.as_deref().unwrap()).unwrap();
        let s = &policy["Statement"][0];
        assert_eq!(
            s["Principal"]["Service"], "cloudwatch.amazonaws.com",
            "{policy}"
        );
        assert_eq!(s["Condition"]["StringEquals"]["aws:SourceAccount"], id);
    });
}

/// The audit's `alarm...` codes for each account, with their messages.
fn alarm_gaps(w: &World) -> Vec<(String, String, String)> {
    let out = w.trailhub(&["audit", "--format", "json"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    let mut gaps = Vec::new();
    for a in v["accounts"].as_array().unwrap() {
        for p in a["problems"].as_array().unwrap() {
            let code = p["code"].as_str().unwrap();
            if code.starts_with("alarm") {
                let id = a["id"].as_str().unwrap().to_owned();
                gaps.push((
                    id,
                    code.to_owned(),
                    p["message"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    gaps
}

#[test]
fn apply_puts_every_cis_control_in_place_and_repairs_what_drifted() {
    let w = World::start();
    w.write_config(&(static_config(&MEMBERS[..1]) + "\n[cloudwatch]\n\n[alarms]\n"));
    w.create_bucket(BUCKET);
    let cfg = Config::load(&w.config_path()).unwrap();
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    let accounts = accounts(&w, &cfg);
    for (t, m) in &accounts {
        assert_in_place(&w, t.id.as_str(), m);
    }
    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("nothing to do"), "{again}");
    assert_eq!(alarm_gaps(&w), vec![]);

    // behind trailhub's back, in the member: the root-usage alarm deleted, a filter's pattern changed
    let (member, m) = &accounts[1];
    let id = member.id.as_str();
    let cw = aws_sdk_cloudwatch::Client::new(&w.account(id));
    w.rt.block_on(
        cw.delete_alarms()
            .alarm_names("trailhub-cis-5.3-root-usage")
            .send(),
    )
    .unwrap();
    let changed = MetricFilter {
        name: "trailhub-cis-5.4-iam-policy-changes".into(),
        log_group: GROUP.into(),
        pattern: "{$.eventName = PutRolePolicy}".into(),
        metric_name: "trailhub-cis-iam-policy-changes".into(),
        namespace: "trailhub/CIS".into(),
        metric_value: "1".into(),
    };
    w.rt.block_on(m.put_metric_filter(&changed)).unwrap();
    let gaps = alarm_gaps(&w);
    assert_eq!(gaps.len(), 2, "{gaps:#?}");
    assert!(
        gaps.iter().all(|(a, _, _)| a == id),
        "that account only: {gaps:#?}"
    );
    assert!(
        gaps.iter().any(|(_, c, m)| c == "alarm-missing"
            && m.contains("root-usage (CIS 4.3 / 5.3, Security Hub CloudWatch.1)")),
        "{gaps:#?}"
    );
    assert!(
        gaps.iter().any(|(_, c, m)| c == "alarm-filter-drift"
            && m.contains("iam-policy-changes (CIS 4.4 / 5.4, Security Hub CloudWatch.4)")),
        "{gaps:#?}"
    );

    let repair = w.apply();
    assert_eq!(repair.code, 0, "{repair}");
    assert_eq!(alarm_gaps(&w), vec![]);
    for (t, m) in &accounts {
        assert_in_place(&w, t.id.as_str(), m);
    }
    let third = w.apply();
    assert!(third.stdout.contains("nothing to do"), "{third}");
}
