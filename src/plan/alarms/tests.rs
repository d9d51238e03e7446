//! The `[alarms]` planner over plain values: from nothing, then again, then after drift.

use super::*;
use crate::world::alarms::{GroupFilters, RegionAlarms, Topic};

const CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "eu-west-1"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
[cloudwatch]
[alarms]
subscribe = ["arn:aws:sqs:eu-west-1:111111111111:sec-alarms"]
"#;

fn cfg() -> Config {
    Config::parse(std::path::Path::new("a.toml"), CFG).unwrap()
}

/// What AWS would hold once every change of `plan` was made.
fn made(plan: &AlarmsPlan, seen: &mut AlarmsState) {
    let AlarmsPlan::Changes {
        region,
        log_group,
        changes,
        topic_arn,
        ..
    } = plan
    else {
        panic!("{plan:?}")
    };
    if seen.filters(region, log_group).is_none() {
        seen.groups.push(GroupFilters {
            region: region.clone(),
            log_group: log_group.clone(),
            filters: vec![],
        });
    }
    if seen.region(region).is_none() {
        seen.regions.push(RegionAlarms {
            region: region.clone(),
            alarms: vec![],
            topic: None,
        });
    }
    for c in changes {
        match c {
            AlarmChange::CreateTopic { .. } => {
                seen.regions[0].topic = Some(Topic {
                    arn: topic_arn.clone(),
                    policy: Some(r#"{"Statement":[{"Sid":"__default_statement_ID"}]}"#.into()),
                })
            }
            AlarmChange::PutTopicPolicy { policy, .. } => {
                seen.regions[0].topic.as_mut().unwrap().policy = Some(policy.clone())
            }
            AlarmChange::PutMetricFilter { filter, .. } => {
                let g = &mut seen.groups[0].filters;
                g.retain(|f| f.name != filter.name);
                g.push(filter.clone());
            }
            AlarmChange::PutMetricAlarm { alarm, .. } => {
                let a = &mut seen.regions[0].alarms;
                a.retain(|x| x.name != alarm.name);
                a.push(alarm.clone());
            }
        }
    }
}

fn plan(cfg: &Config, seen: &AlarmsState) -> AlarmsPlan {
    let a = cfg.alarms.as_ref().unwrap();
    diff(
        &Wanted::new(cfg, a, "222222222222", "eu-west-1", "/trailhub/cloudtrail"),
        seen,
    )
}

#[test]
fn from_nothing_every_control_is_made_then_a_second_plan_is_empty() {
    let cfg = cfg();
    let mut seen = AlarmsState::default();
    let first = plan(&cfg, &seen);
    let AlarmsPlan::Changes {
        changes,
        controls,
        topic,
        topic_arn,
        ..
    } = &first
    else {
        panic!()
    };
    assert_eq!(*topic, TopicState::Missing);
    assert_eq!(
        topic_arn,
        "arn:aws:sns:eu-west-1:222222222222:trailhub-security-alarms"
    );
    // topic, its policy, 15 filters, 15 alarms
    assert_eq!(changes.len(), 2 + 15 + 15);
    assert!(controls.iter().all(|c| c.state == Health::FilterMissing));
    made(&first, &mut seen);
    let second = plan(&cfg, &seen);
    assert!(!second.has_changes(), "{second:?}");
    let AlarmsPlan::Changes {
        controls, topic, ..
    } = &second
    else {
        panic!()
    };
    assert_eq!(*topic, TopicState::InPlace);
    assert!(controls.iter().all(|c| c.state == Health::InPlace));
}

#[test]
fn drift_names_the_control_and_is_put_back_keeping_what_others_added() {
    let cfg = cfg();
    let mut seen = AlarmsState::default();
    made(&plan(&cfg, &seen), &mut seen);
    // a changed pattern, a deleted alarm, an alarm without its action (with another team's action)
    seen.groups[0].filters[0].pattern = "{$.eventName=Nothing}".into();
    seen.regions[0]
        .alarms
        .retain(|a| !a.name.contains("root-usage"));
    let other_action = "arn:aws:sns:eu-west-1:222222222222:team-pager";
    let vpc = seen.regions[0]
        .alarms
        .iter_mut()
        .find(|a| a.name.contains("vpc-changes"))
        .unwrap();
    vpc.actions = vec![other_action.into()];
    // another team's filter on the group, never touched
    let theirs = MetricFilter {
        name: "team-filter".into(),
        log_group: "/trailhub/cloudtrail".into(),
        pattern: "{$.x=1}".into(),
        metric_name: "m".into(),
        namespace: "team".into(),
        metric_value: "1".into(),
    };
    seen.groups[0].filters.push(theirs);
    let p = plan(&cfg, &seen);
    let AlarmsPlan::Changes {
        changes, controls, ..
    } = &p
    else {
        panic!()
    };
    let state = |n: &str| controls.iter().find(|c| c.control == n).unwrap().state;
    assert_eq!(state("unauthorized-api-calls"), Health::FilterChanged);
    assert_eq!(state("root-usage"), Health::AlarmMissing);
    assert_eq!(state("vpc-changes"), Health::ActionMissing);
    assert_eq!(changes.len(), 3, "{changes:?}");
    let vpc_put = changes.iter().find_map(|c| match c {
        AlarmChange::PutMetricAlarm {
            control: "vpc-changes",
            alarm,
        } => Some(alarm),
        _ => None,
    });
    assert_eq!(
        vpc_put.unwrap().actions,
        [
            "arn:aws:sns:eu-west-1:222222222222:trailhub-security-alarms",
            other_action
        ]
    );
    assert!(changes.iter().all(|c| !matches!(c, AlarmChange::PutMetricFilter { filter, .. } if filter.name == "team-filter")));
    let root = controls.iter().find(|c| c.control == "root-usage").unwrap();
    assert_eq!(root.label(), "CIS 4.3 / 5.3, Security Hub CloudWatch.1");
}

#[test]
fn a_group_near_its_100_filters_blocks_the_account() {
    let cfg = cfg();
    let mut seen = AlarmsState::default();
    let filters = (0..90)
        .map(|i| MetricFilter {
            name: format!("team-{i}"),
            log_group: "/trailhub/cloudtrail".into(),
            pattern: "{$.x=1}".into(),
            metric_name: "m".into(),
            namespace: "team".into(),
            metric_value: "1".into(),
        })
        .collect();
    seen.groups.push(GroupFilters {
        region: "eu-west-1".into(),
        log_group: "/trailhub/cloudtrail".into(),
        filters,
    });
    let p = plan(&cfg, &seen);
    assert_eq!(
        p,
        AlarmsPlan::TooManyFilters {
            log_group: "/trailhub/cloudtrail".into(),
            existing: 90,
            missing: 15
        }
    );
    assert!(p.is_blocked());
}

#[test]
fn the_topic_policy_lets_only_the_accounts_alarms_publish_and_the_central_queue_subscribe() {
    let cfg = cfg();
    let a = cfg.alarms.as_ref().unwrap();
    let w = Wanted::new(&cfg, a, "222222222222", "eu-west-1", "/g");
    let foreign = r#"{"Statement":[{"Sid":"__default_statement_ID","Effect":"Allow"},{"Sid":"Team","Effect":"Deny"}]}"#;
    let p = w.topic_policy(Some(foreign));
    let s = p["Statement"].as_array().unwrap();
    assert_eq!(
        s.len(),
        3,
        "trailhub's two, the team's kept, SNS's default gone"
    );
    assert_eq!(s[0]["Principal"]["Service"], "cloudwatch.amazonaws.com");
    assert_eq!(
        s[0]["Condition"]["StringEquals"]["aws:SourceAccount"],
        "222222222222"
    );
    assert_eq!(
        s[0]["Condition"]["ArnLike"]["aws:SourceArn"],
        "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:trailhub-cis-*"
    );
    assert_eq!(s[1]["Principal"]["AWS"], "arn:aws:iam::111111111111:root");
    assert_eq!(s[1]["Action"], "sns:Subscribe");
    assert_eq!(s[1]["Condition"]["StringEquals"]["sns:Protocol"], "sqs");
    assert_eq!(
        s[1]["Condition"]["StringEquals"]["sns:Endpoint"],
        json!(["arn:aws:sqs:eu-west-1:111111111111:sec-alarms"])
    );
    assert_eq!(s[2]["Sid"], "Team");
}

#[test]
fn an_adopted_trail_gives_its_group_only_when_it_is_in_the_account() {
    use crate::world::{ObservedTrail, TrailLogs, TrailStatus};
    let cfg = cfg();
    let t = &cfg.static_targets()[0];
    let mut trail =
        crate::fake::fake_trail(&"eu-west-1".parse().unwrap(), "222222222222", "Org", "b");
    let other = |trail: ObservedTrail| OtherTrail {
        trail,
        status: TrailStatus::default(),
        selectors: Default::default(),
    };
    let by = trail.arn.clone();
    let none = covering_group(t, &by, &[other(trail.clone())]).unwrap_err();
    assert!(
        none.contains("delivers to no CloudWatch Logs log group"),
        "{none}"
    );
    trail.cloudwatch = Some(TrailLogs {
        log_group_arn:
            "arn:aws:logs:us-east-1:222222222222:log-group:aws-controltower/CloudTrailLogs:*".into(),
        role_arn: String::new(),
    });
    let got = covering_group(t, &by, &[other(trail.clone())]).unwrap();
    assert_eq!(
        got,
        ("us-east-1".into(), "aws-controltower/CloudTrailLogs".into())
    );
    trail.cloudwatch.as_mut().unwrap().log_group_arn =
        "arn:aws:logs:us-east-1:999999999999:log-group:central".into();
    let e = covering_group(t, &by, &[other(trail)]).unwrap_err();
    assert!(e.contains("account 999999999999"), "{e}");
}
