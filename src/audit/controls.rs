//! What each audit code proves, in the terms of the frameworks security teams report against (pure): the
//! CIS AWS Foundations Benchmark (v3.0 to v5.0 numbering, and v6.0/v7.0, where logging is 4.x and
//! monitoring 5.x), the AWS Security Hub controls, Prowler's checks and the AWS Config managed rules, plus
//! the check's title and severity for the findings formats (`audit --format ocsf|asff|csv`). One exhaustive
//! `match`: a new code does not compile until it is mapped. docs/audit-codes.md is tested against it.

use super::codes::Code;

/// A finding's severity, as OCSF, ASFF and Prowler name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    /// OCSF's and Prowler's name (`High`).
    pub fn name(self) -> &'static str {
        match self {
            Level::Informational => "Informational",
            Level::Low => "Low",
            Level::Medium => "Medium",
            Level::High => "High",
            Level::Critical => "Critical",
        }
    }

    /// OCSF `severity_id`: 1 Informational to 5 Critical.
    pub fn ocsf_id(self) -> u8 {
        self as u8 + 1
    }

    /// ASFF `Severity.Label`.
    pub fn asff_label(self) -> &'static str {
        match self {
            Level::Informational => "INFORMATIONAL",
            Level::Low => "LOW",
            Level::Medium => "MEDIUM",
            Level::High => "HIGH",
            Level::Critical => "CRITICAL",
        }
    }
}

/// One code's mapping. An empty list maps to nothing in that framework; `note` says why where it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls {
    /// The check, said as what holds when it passes ("The account's trail is logging").
    pub title: &'static str,
    pub severity: Level,
    /// CIS AWS Foundations Benchmark v3.0.0 to v5.0.0 (logging 3.x, monitoring 4.x).
    pub cis: &'static [&'static str],
    /// CIS AWS Foundations Benchmark v6.0.0 and v7.0.0 (logging 4.x, monitoring 5.x).
    pub cis_v6: &'static [&'static str],
    pub security_hub: &'static [&'static str],
    pub prowler: &'static [&'static str],
    pub config_rules: &'static [&'static str],
    /// What the mapping leaves out, or why there is none.
    pub note: &'static str,
}

const NONE: &[&str] = &[];

const fn c(title: &'static str, severity: Level) -> Controls {
    Controls {
        title,
        severity,
        cis: NONE,
        cis_v6: NONE,
        security_hub: NONE,
        prowler: NONE,
        config_rules: NONE,
        note: "",
    }
}

/// The trail controls (CloudTrail.1, CIS 3.1 / 4.1): a multi-Region trail with read and write management
/// events that logs.
const MULTI_REGION: Controls = Controls {
    cis: &["3.1"],
    cis_v6: &["4.1"],
    security_hub: &["CloudTrail.1"],
    prowler: &[
        "cloudtrail_multi_region_enabled",
        "cloudtrail_multi_region_enabled_logging_management_events",
    ],
    config_rules: &["multi-region-cloudtrail-enabled"],
    ..c("", Level::High)
};

const FLOW_LOGS: Controls = Controls {
    cis: &["3.7"],
    cis_v6: &["4.7"],
    security_hub: &["EC2.6"],
    prowler: &["vpc_flow_logs_enabled"],
    config_rules: &["vpc-flow-logs-enabled"],
    ..c("", Level::Medium)
};

const KMS: Controls = Controls {
    cis: &["3.5"],
    cis_v6: &["4.5"],
    security_hub: &["CloudTrail.2"],
    prowler: &["cloudtrail_kms_encryption_enabled"],
    config_rules: &["cloud-trail-encryption-enabled"],
    ..c("", Level::Medium)
};

const CLOUDWATCH: Controls = Controls {
    prowler: &["cloudtrail_cloudwatch_logging_enabled"],
    note: "CIS removed the requirement in v3.0.0 (3.4 in v1.4.0), but every CIS monitoring control (4.1-4.15, v6/v7 5.1-5.15) reads the trail's log group; CloudTrail.5 and its Config rule only check that a group is set",
    ..c("", Level::Medium)
};

/// Delivery to the central bucket: what the frameworks take for granted once a trail exists.
const DELIVERY: Controls = Controls {
    note: "an outcome: the controls check the trail's settings, not that its files arrive (trailhub reads the bucket)",
    ..c("", Level::High)
};

const BOUNDARY: Controls = Controls {
    note: "least privilege of trailhub's own delivery roles; no framework control",
    ..c("", Level::Low)
};

/// The CIS monitoring controls (`[alarms]`): a gap's message names which one; the mapping lists them all.
const MONITORING: Controls = Controls {
    cis: &[
        "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11", "4.12",
        "4.13", "4.14", "4.15",
    ],
    cis_v6: &[
        "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "5.8", "5.9", "5.10", "5.11", "5.12",
        "5.13", "5.14", "5.15",
    ],
    security_hub: &[
        "CloudWatch.1",
        "CloudWatch.2",
        "CloudWatch.3",
        "CloudWatch.4",
        "CloudWatch.5",
        "CloudWatch.6",
        "CloudWatch.7",
        "CloudWatch.8",
        "CloudWatch.9",
        "CloudWatch.10",
        "CloudWatch.11",
        "CloudWatch.12",
        "CloudWatch.13",
        "CloudWatch.14",
    ],
    prowler: &[
        "cloudwatch_log_metric_filter_unauthorized_api_calls",
        "cloudwatch_log_metric_filter_sign_in_without_mfa",
        "cloudwatch_log_metric_filter_root_usage",
        "cloudwatch_log_metric_filter_policy_changes",
        "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
        "cloudwatch_log_metric_filter_authentication_failures",
        "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk",
        "cloudwatch_log_metric_filter_for_s3_bucket_policy_changes",
        "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
        "cloudwatch_log_metric_filter_security_group_changes",
        "cloudwatch_changes_to_network_acls_alarm_configured",
        "cloudwatch_changes_to_network_gateways_alarm_configured",
        "cloudwatch_changes_to_network_route_tables_alarm_configured",
        "cloudwatch_changes_to_vpcs_alarm_configured",
        "cloudwatch_log_metric_filter_aws_organizations_changes",
    ],
    note: "the message names the control; Security Hub scores CloudWatch.x only for CIS v1.2.0/v1.4.0 and has none for 4.15; no AWS Config managed rule",
    ..c("", Level::Medium)
};

/// Each code's mapping: the code's group, whose table holds its row (exhaustive, so a new code does not
/// compile until it is mapped).
pub fn controls(code: Code) -> Controls {
    use Code::*;
    match code {
        Unreachable | NoTrail | NotLogging | NotMultiRegion | ManagementEventsOff
        | NoGlobalEvents | NoLogValidation | DeliveryError | StaleDelivery | NoDelivery
        | PolicyDenies => trail(code),
        NoCloudwatch
        | CloudwatchError
        | CloudwatchStale
        | FlowLogsMissing
        | FlowLogsRegionUnread
        | FlowLogsRegionClosed
        | FlowLogsFailed
        | FlowLogsDenied
        | DeliveryRoleWithoutBoundary
        | BoundaryPolicyDiffers => logs(code),
        NoKms | KmsDenied | ForeignKmsKey | StalePolicyEntry | Unguarded => central(code),
        BucketNoAccessLogging
        | BucketNoRetention
        | BucketAllowsHttp
        | BucketPublicAccessOpen
        | BucketVersioningOff => bucket(code),
        AlarmFilterDrift
        | AlarmMissing
        | AlarmActionMissing
        | AlarmTopicDrift
        | AlarmsNoLogGroup
        | AlarmFiltersFull
        | AlarmSubscriptionMissing
        | AlarmSubscriptionPending
        | AlarmQueueDenied => alarms(code),
    }
}

/// The rows of the trail's: reached, logging everywhere, delivering codes.
fn trail(code: Code) -> Controls {
    use Code::*;
    let title = |base: Controls, title| Controls { title, ..base };
    match code {
        Unreachable => Controls {
            note: "the account could not be read: every other check of it is unknown",
            ..c(
                "The account's trailhub role can be assumed and read",
                Level::High,
            )
        },
        NoTrail => Controls {
            security_hub: &["CloudTrail.1", "CloudTrail.3"],
            prowler: &["cloudtrail_multi_region_enabled"],
            config_rules: &["multi-region-cloudtrail-enabled", "cloudtrail-enabled"],
            note: "stricter than the controls: the trail must deliver to the central bucket",
            ..title(
                MULTI_REGION,
                "A trail of the account delivers to the central bucket",
            )
        },
        NotLogging => Controls {
            prowler: &["cloudtrail_multi_region_enabled"],
            config_rules: &["multi-region-cloudtrail-enabled", "cloudtrail-enabled"],
            ..title(MULTI_REGION, "The account's trail is logging")
        },
        NotMultiRegion => Controls {
            prowler: &["cloudtrail_multi_region_enabled"],
            ..title(MULTI_REGION, "The account's trail records every Region")
        },
        ManagementEventsOff => Controls {
            prowler: &["cloudtrail_multi_region_enabled_logging_management_events"],
            ..title(
                MULTI_REGION,
                "The account's trail records read and write management events",
            )
        },
        NoGlobalEvents => Controls {
            prowler: NONE,
            note: "no control of its own: AWS refuses a multi-Region trail without global service events, so such a trail fails CIS 3.1 / 4.1 and CloudTrail.1",
            ..title(
                MULTI_REGION,
                "The account's trail records global service events",
            )
        },
        NoLogValidation => Controls {
            cis: &["3.2"],
            cis_v6: &["4.2"],
            security_hub: &["CloudTrail.4"],
            prowler: &["cloudtrail_log_file_validation_enabled"],
            config_rules: &["cloud-trail-log-file-validation-enabled"],
            ..c("The account's trail validates its log files", Level::Medium)
        },
        DeliveryError => title(DELIVERY, "The account's trail delivers without error"),
        StaleDelivery => title(DELIVERY, "The account's trail delivered recently"),
        NoDelivery => title(
            DELIVERY,
            "The account's log files are in the central bucket",
        ),
        PolicyDenies => title(DELIVERY, "The bucket policy lets the account's trail write"),
        _ => unreachable!("{code:?} is in another group"),
    }
}

/// The rows of CloudWatch Logs, the flow logs and the delivery roles' codes.
fn logs(code: Code) -> Controls {
    use Code::*;
    let title = |base: Controls, title| Controls { title, ..base };
    match code {
        NoCloudwatch => Controls {
            security_hub: &["CloudTrail.5"],
            config_rules: &["cloud-trail-cloud-watch-logs-enabled"],
            ..title(
                CLOUDWATCH,
                "The account's trail delivers to CloudWatch Logs",
            )
        },
        CloudwatchError => title(
            CLOUDWATCH,
            "The trail's delivery to CloudWatch Logs has no error",
        ),
        CloudwatchStale => title(
            CLOUDWATCH,
            "The trail delivered to CloudWatch Logs recently",
        ),
        FlowLogsMissing => title(FLOW_LOGS, "Every VPC of the account has its flow logs"),
        FlowLogsRegionUnread => Controls {
            note: "evidence missing: the controls cannot be shown to pass in that Region",
            ..title(FLOW_LOGS, "Every Region's VPCs could be read")
        },
        FlowLogsRegionClosed => Controls {
            note: "a Region closed by an SCP cannot be read by trailhub, Prowler or Config; its EC2.6 evidence is missing on purpose",
            ..c("Regions closed by an SCP are known", Level::Informational)
        },
        FlowLogsFailed => Controls {
            note: "the controls check that a flow log exists, not that it delivers",
            ..c(
                "The account's flow logs deliver without error",
                Level::Medium,
            )
        },
        FlowLogsDenied => Controls {
            note: "no control evaluates the bucket policy for delivery.logs",
            ..c(
                "The bucket policy lets the account's flow logs write",
                Level::High,
            )
        },
        DeliveryRoleWithoutBoundary => title(
            BOUNDARY,
            "trailhub's delivery roles have their permissions boundary",
        ),
        BoundaryPolicyDiffers => title(
            BOUNDARY,
            "The delivery roles' boundary policy is trailhub's",
        ),
        _ => unreachable!("{code:?} is in another group"),
    }
}

/// The rows of the key's, the bucket's and the SCP's codes.
fn central(code: Code) -> Controls {
    use Code::*;
    let title = |base: Controls, title| Controls { title, ..base };
    match code {
        NoKms => title(
            KMS,
            "The account's trail encrypts its logs with the team's KMS key",
        ),
        KmsDenied => Controls {
            note: "CIS 3.5 and CloudTrail.2 pass whenever a key is set; here the key policy refuses CloudTrail",
            ..c(
                "The key policy lets the account's trail use the key",
                Level::High,
            )
        },
        ForeignKmsKey => Controls {
            note: "such a trail passes CIS 3.5 and CloudTrail.2; the warning is about who can keep reading its logs",
            ..c(
                "The account's trail uses the team's key, not another",
                Level::Low,
            )
        },
        StalePolicyEntry => Controls {
            note: "least privilege of the bucket policy; no framework control",
            ..c("The bucket policy names only accounts in scope", Level::Low)
        },

        Unguarded => Controls {
            note: "prevention of tampering (as Control Tower's mandatory guardrails do); no CIS or Security Hub control",
            ..c("trailhub's SCP protects the account's logging", Level::High)
        },
        _ => unreachable!("{code:?} is in another group"),
    }
}

/// The rows of the central bucket's codes.
fn bucket(code: Code) -> Controls {
    use Code::*;
    match code {
        BucketNoAccessLogging => Controls {
            cis: &["3.4"],
            cis_v6: &["4.4"],
            security_hub: &["CloudTrail.7", "S3.9"],
            prowler: &[
                "cloudtrail_logs_s3_bucket_access_logging_enabled",
                "s3_bucket_server_access_logging_enabled",
            ],
            config_rules: &["s3-bucket-logging-enabled"],
            ..c(
                "The central bucket has server access logging",
                Level::Medium,
            )
        },
        BucketNoRetention => Controls {
            security_hub: &["S3.13", "S3.10"],
            prowler: &["s3_bucket_lifecycle_enabled"],
            config_rules: &[
                "s3-lifecycle-policy-check",
                "s3-version-lifecycle-policy-check",
            ],
            note: "no CIS requirement asks for retention; the controls pass for any lifecycle rule, trailhub checks its own",
            ..c(
                "The central bucket keeps log files for the retention period",
                Level::Low,
            )
        },
        BucketAllowsHttp => Controls {
            cis: &["2.1.1"],
            cis_v6: &["3.1.1"],
            security_hub: &["S3.5"],
            prowler: &["s3_bucket_secure_transport_policy"],
            config_rules: &["s3-bucket-ssl-requests-only"],
            ..c(
                "The central bucket denies requests without TLS",
                Level::Medium,
            )
        },
        BucketPublicAccessOpen => Controls {
            cis: &["2.1.4"],
            cis_v6: &["3.1.4"],
            security_hub: &["S3.8"],
            prowler: &["s3_bucket_level_public_access_block"],
            config_rules: &["s3-bucket-level-public-access-prohibited"],
            ..c("The central bucket blocks public access", Level::High)
        },
        BucketVersioningOff => Controls {
            security_hub: &["S3.14"],
            note: "S3.14 is a Foundational Security Best Practices control, not a CIS one",
            prowler: &["s3_bucket_object_versioning"],
            config_rules: &["s3-bucket-versioning-enabled"],
            ..c(
                "The central bucket keeps versions of its objects",
                Level::Medium,
            )
        },
        _ => unreachable!("{code:?} is in another group"),
    }
}

/// The rows of the CIS alarms' and the alarm queue's codes.
fn alarms(code: Code) -> Controls {
    use Code::*;
    let title = |base: Controls, title| Controls { title, ..base };
    match code {
        AlarmFilterDrift => title(
            MONITORING,
            "The CIS metric filters are on the trail's log group",
        ),
        AlarmMissing => title(MONITORING, "The CIS monitoring alarms are in place"),
        AlarmActionMissing => title(
            MONITORING,
            "The CIS monitoring alarms notify the alarm topic",
        ),
        AlarmTopicDrift => title(MONITORING, "The alarm topic and its policy are in place"),
        AlarmsNoLogGroup => Controls {
            severity: Level::Low,
            ..title(
                MONITORING,
                "The covering trail delivers to a log group in the account",
            )
        },
        AlarmFiltersFull => title(
            MONITORING,
            "The trail's log group has room for the CIS metric filters",
        ),
        AlarmSubscriptionMissing => Controls {
            note: "the alarms' delivery to the security team's queue; no framework checks it",
            ..c(
                "The account's alarm topic is subscribed to the team's queue",
                Level::Medium,
            )
        },
        AlarmSubscriptionPending => Controls {
            note: "the alarms' delivery to the security team's queue; no framework checks it",
            ..c(
                "The subscription of the account's alarm topic is confirmed",
                Level::Medium,
            )
        },
        AlarmQueueDenied => Controls {
            note: "the queue policy, proved with trailhub's evaluator; no framework checks it",
            ..c(
                "The queue policy lets the account's alarm topic send",
                Level::Medium,
            )
        },
        _ => unreachable!("{code:?} is in another group"),
    }
}

/// docs/audit-codes.md's table: one row per code, from this table (the test below keeps the two the same).
#[cfg(test)]
fn markdown_table() -> String {
    let cell = |ids: &[&str]| match ids {
        [] => "none".to_owned(),
        ids => ids.join(", "),
    };
    let code = |ids: &[&str]| match ids {
        [] => "none".to_owned(),
        ids => ids
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut out = String::from(
        "| audit code | CIS v3.0–v5.0 | CIS v6.0/v7.0 | Security Hub | Prowler | AWS Config | note |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for c in Code::ALL {
        let m = controls(c);
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            c.as_str(),
            cell(m.cis),
            cell(m.cis_v6),
            cell(m.security_hub),
            code(m.prowler),
            code(m.config_rules),
            m.note
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/audit-codes.md holds the table this one makes, as it is.
    #[test]
    fn the_docs_table_is_this_table() {
        let docs = include_str!("../../docs/audit-codes.md");
        let table = markdown_table();
        assert!(
            docs.contains(&table),
            "docs/audit-codes.md's table differs from src/audit/controls.rs; put this one in:\n{table}"
        );
    }

    #[test]
    fn every_code_has_a_title_and_says_why_when_it_maps_to_no_control() {
        for code in Code::ALL {
            let m = controls(code);
            assert!(!m.title.is_empty(), "{code:?}");
            if m.cis.is_empty() && m.security_hub.is_empty() {
                assert!(
                    !m.note.is_empty(),
                    "{code:?} maps to nothing and does not say why"
                );
            }
        }
    }

    #[test]
    fn severities_follow_ocsf() {
        assert_eq!(Level::Informational.ocsf_id(), 1);
        assert_eq!(Level::Critical.ocsf_id(), 5);
    }
}
