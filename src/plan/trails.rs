//! Trails (pure): what each account's trail should be, and the changes that take the observed trail there.

use serde::Serialize;

use super::selectors;
use crate::model::KeyPrefix;
use crate::world::{DesiredTrail, EventSelectors, ObservedTrail, TrailLogs};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum TrailChange {
    /// CreateTrail, then GetEventSelectors, and PutEventSelectors only when the new trail does not log every
    /// management event (AWS's new trail does, with its default selector; an emulator's has none).
    Create,
    Update {
        changes: Vec<FieldChange>,
    },
    /// PutEventSelectors: the trail does not log every management event (`now` says what it logs); `put`
    /// logs them all and keeps the trail's data events.
    EventSelectors {
        now: String,
        put: EventSelectors,
    },
    StartLogging,
}

impl TrailChange {
    pub fn describe(&self) -> String {
        match self {
            TrailChange::Create => "create trail".to_owned(),
            TrailChange::StartLogging => "start logging".to_owned(),
            TrailChange::EventSelectors { now, .. } => {
                format!("event selectors: {now} -> all management events")
            }
            TrailChange::Update { changes } => {
                let parts: Vec<String> = changes
                    .iter()
                    .map(|c| format!("{}: {} -> {}", c.field, c.old, c.new))
                    .collect();
                format!("update trail ({})", parts.join(", "))
            }
        }
    }
}

/// The changes, in order, that take `observed` (None: no trail of that name) to `desired`.
/// `is_logging` is GetTrailStatus's answer for the observed trail, `selectors` GetEventSelectors' (None: not
/// read). Empty: nothing to do.
pub fn diff_trail(
    desired: &DesiredTrail,
    observed: Option<&ObservedTrail>,
    is_logging: bool,
    selectors: Option<&EventSelectors>,
) -> Vec<TrailChange> {
    let Some(o) = observed else {
        return vec![TrailChange::Create, TrailChange::StartLogging];
    };
    let show = |v: Option<&str>| v.map_or_else(|| "(none)".to_owned(), str::to_owned);
    let mut changes = Vec::new();
    if o.bucket.as_deref() != Some(desired.bucket.as_str()) {
        changes.push(FieldChange {
            field: "bucket",
            old: show(o.bucket.as_deref()),
            new: desired.bucket.to_string(),
        });
    }
    let want_prefix = desired.key_prefix.as_ref().map(KeyPrefix::as_str);
    if o.key_prefix.as_deref().filter(|p| !p.is_empty()) != want_prefix {
        changes.push(FieldChange {
            field: "key_prefix",
            old: show(o.key_prefix.as_deref()),
            new: show(want_prefix),
        });
    }
    for (field, have) in [
        ("multi_region", o.multi_region),
        ("global_service_events", o.global_events),
        ("log_file_validation", o.log_validation),
    ] {
        if !have {
            changes.push(FieldChange {
                field,
                old: "false".into(),
                new: "true".into(),
            });
        }
    }
    if let Some(want) = &desired.cloudwatch
        && !same_logs(o.cloudwatch.as_ref(), want)
    {
        changes.push(FieldChange {
            field: "cloudwatch_logs",
            old: o
                .cloudwatch
                .as_ref()
                .map_or_else(|| "(none)".to_owned(), describe_logs),
            new: describe_logs(want),
        });
    }
    if let Some(want) = &desired.kms_key_id {
        let have = o.kms_key_id.as_deref().filter(|k| !k.is_empty());
        let right = have.is_some_and(|h| h == want || desired.kms_key_names.iter().any(|n| n == h));
        if !right {
            changes.push(FieldChange {
                field: "kms_key",
                old: show(have),
                new: want.clone(),
            });
        }
    }
    let mut out = Vec::new();
    if !changes.is_empty() {
        out.push(TrailChange::Update { changes });
    }
    if let Some(s) = selectors.filter(|s| !selectors::management(s).all()) {
        out.push(TrailChange::EventSelectors {
            now: selectors::describe(s),
            put: selectors::restored(s),
        });
    }
    if !is_logging {
        out.push(TrailChange::StartLogging);
    }
    out
}

/// Whether the trail's CloudWatch Logs delivery is `want`: the same log group (with or without the `:*`
/// CloudTrail adds) and the same role.
fn same_logs(have: Option<&TrailLogs>, want: &TrailLogs) -> bool {
    let group = |arn: &str| arn.trim_end_matches(":*").to_owned();
    have.is_some_and(|h| {
        group(&h.log_group_arn) == group(&want.log_group_arn) && h.role_arn == want.role_arn
    })
}

/// `log group NAME, role NAME`, from the two ARNs.
fn describe_logs(l: &TrailLogs) -> String {
    let group = l.log_group_arn.trim_end_matches(":*");
    let group = group.split_once(":log-group:").map_or(group, |(_, g)| g);
    let role = l.role_arn.rsplit('/').next().unwrap_or(&l.role_arn);
    let role = if role.is_empty() { "(none)" } else { role };
    format!("log group {group}, role {role}")
}

/// Does this trail deliver to `bucket` under `prefix` (the audit's question, whatever the trail's name)?
pub fn delivers_to(o: &ObservedTrail, bucket: &str, prefix: Option<&str>) -> bool {
    o.bucket.as_deref() == Some(bucket)
        && o.key_prefix.as_deref().filter(|p| !p.is_empty()) == prefix
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TrailArn, TrailName};

    fn desired() -> DesiredTrail {
        let region = "ap-northeast-2".parse().unwrap();
        let name: TrailName = "DEV-CLOUDTRAIL".parse().unwrap();
        DesiredTrail {
            arn: TrailArn::new(&region, &"222222222222".parse().unwrap(), &name),
            name,
            bucket: "sec-log".parse().unwrap(),
            key_prefix: None,
            cloudwatch: None,
            kms_key_id: None,
            kms_key_names: vec![],
        }
    }

    fn right() -> ObservedTrail {
        ObservedTrail {
            name: "DEV-CLOUDTRAIL".into(),
            arn: desired().arn.to_string(),
            home_region: Some("ap-northeast-2".into()),
            bucket: Some("sec-log".into()),
            key_prefix: None,
            multi_region: true,
            global_events: true,
            log_validation: true,
            organization_trail: false,
            cloudwatch: None,
            kms_key_id: None,
        }
    }

    #[test]
    fn missing_trail_is_created_and_started() {
        assert_eq!(
            diff_trail(&desired(), None, false, None),
            [TrailChange::Create, TrailChange::StartLogging]
        );
    }

    #[test]
    fn right_trail_needs_nothing() {
        assert!(diff_trail(&desired(), Some(&right()), true, None).is_empty());
        assert_eq!(
            diff_trail(&desired(), Some(&right()), false, None),
            [TrailChange::StartLogging]
        );
    }

    #[test]
    fn a_trail_without_the_configured_cloudwatch_logs_is_updated() {
        let logs = TrailLogs {
            log_group_arn:
                "arn:aws:logs:ap-northeast-2:222222222222:log-group:/trailhub/cloudtrail:*".into(),
            role_arn: "arn:aws:iam::222222222222:role/TrailhubCloudTrailToLogs".into(),
        };
        let want = DesiredTrail {
            cloudwatch: Some(logs.clone()),
            ..desired()
        };
        let d = diff_trail(&want, Some(&right()), true, None);
        assert_eq!(
            d.iter().map(TrailChange::describe).collect::<Vec<_>>(),
            [
                "update trail (cloudwatch_logs: (none) -> log group /trailhub/cloudtrail, role TrailhubCloudTrailToLogs)"
            ]
        );
        // as DescribeTrails reports it once made (the group's ARN without its `:*`, say): nothing to do
        let made = ObservedTrail {
            cloudwatch: Some(TrailLogs {
                log_group_arn: logs.log_group_arn.trim_end_matches(":*").to_owned(),
                ..logs
            }),
            ..right()
        };
        assert!(diff_trail(&want, Some(&made), true, None).is_empty());
        // not configured: the trail's own setting is left as it is
        assert!(diff_trail(&desired(), Some(&made), true, None).is_empty());
    }

    #[test]
    fn other_bucket_is_updated() {
        let o = ObservedTrail {
            bucket: Some("elsewhere".into()),
            log_validation: false,
            ..right()
        };
        let d = diff_trail(&desired(), Some(&o), true, None);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].describe(),
            "update trail (bucket: elsewhere -> sec-log, log_file_validation: false -> true)"
        );
    }
}
