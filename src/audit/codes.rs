//! Every audit code, written once (pure): its stable name in the report, its meaning in one line and the
//! runbook section that says what to do. The enum, `Code::ALL` and the table are all generated from the one
//! list in [`codes!`]; the reports a person reads (`--format html`) take the meaning and the link from it.

use serde::{Serialize, Serializer};

/// One code's row. To add a column (a CIS control, a Security Hub control...), add a field here and write
/// it in every row below: the macro does not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRow {
    /// The stable `code` of the report (kebab-case).
    pub name: &'static str,
    /// What the problem means for a person, in one sentence.
    pub meaning: &'static str,
    /// The next step, in one line.
    pub remedy: &'static str,
    /// The runbook section that says what to do, as `runbooks/FILE.md#anchor` from the repository's root
    /// (the anchor is the name).
    pub runbook: &'static str,
}

/// A code's meaning for a person and where its section is (the columns of [`CodeRow`] the HTML report
/// shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeDoc {
    pub meaning: &'static str,
    pub remedy: &'static str,
    pub runbook: &'static str,
}

/// Declares `Code` with one variant per row, `Code::ALL` in that order, and `Code::row`, which reads the
/// row (a `const` table indexed by the variant).
macro_rules! codes {
    ($($variant:ident => $row:expr,)*) => {
        /// Every problem the audit can report. The kebab-case names are the stable `code`s of the report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order `Code` declares them.
            #[cfg(test)]
            pub(super) const ALL: [Code; [$(Code::$variant),*].len()] = [$(Code::$variant),*];

            /// This code's row of the table.
            pub fn row(self) -> &'static CodeRow {
                const ROWS: &[CodeRow] = &[$($row),*];
                &ROWS[self as usize]
            }
        }
    };
}

codes! {
    Unreachable => CodeRow {
        name: "unreachable",
        meaning: "The account could not be read (its role could not be assumed, or a read failed): nothing is known about its coverage.",
        remedy: "Check that the account's role exists and trusts the central account (trailhub permissions prints it), then run trailhub audit again.",
        runbook: "runbooks/scheduled-audit.md#unreachable",
    },
    NoTrail => CodeRow {
        name: "no-trail",
        meaning: "No trail of the account delivers to the central bucket: its API activity is recorded nowhere the security team reads.",
        remedy: "Run trailhub apply (trailhub plan shows the trail it makes first).",
        runbook: "runbooks/scheduled-audit.md#no-trail",
    },
    NotLogging => CodeRow {
        name: "not-logging",
        meaning: "The trail exists but logging is stopped: nothing is recorded.",
        remedy: "Run trailhub apply, then look for the StopLogging event in the account's CloudTrail to learn who stopped it.",
        runbook: "runbooks/scheduled-audit.md#not-logging",
    },
    NotMultiRegion => CodeRow {
        name: "not-multi-region",
        meaning: "The trail records its home region only: activity in every other region is lost.",
        remedy: "Run trailhub apply: it makes the trail multi-region again.",
        runbook: "runbooks/scheduled-audit.md#not-multi-region",
    },
    NoLogValidation => CodeRow {
        name: "no-log-validation",
        meaning: "Log file validation is off: the files arrive, but their integrity cannot be proven.",
        remedy: "Run trailhub apply: it turns log file validation back on.",
        runbook: "runbooks/scheduled-audit.md#no-log-validation",
    },
    NoGlobalEvents => CodeRow {
        name: "no-global-events",
        meaning: "The trail leaves out global service events: IAM, STS and CloudFront activity is not recorded.",
        remedy: "Run trailhub apply: it turns global service events back on.",
        runbook: "runbooks/scheduled-audit.md#no-global-events",
    },
    ManagementEventsOff => CodeRow {
        name: "management-events-off",
        meaning: "The trail's event selectors do not log every management event, read and write.",
        remedy: "Run trailhub apply: it puts the management event selectors back and keeps the data-event ones.",
        runbook: "runbooks/scheduled-audit.md#management-events-off",
    },
    DeliveryError => CodeRow {
        name: "delivery-error",
        meaning: "CloudTrail tried to write a log file and S3 refused it (bucket policy, KMS key, SCP) or the bucket is gone.",
        remedy: "Read the error, fix the bucket policy, key policy or SCP it names, then run trailhub plan and trailhub apply.",
        runbook: "runbooks/scheduled-audit.md#delivery-error",
    },
    StaleDelivery => CodeRow {
        name: "stale-delivery",
        meaning: "The account's newest log file is older than the maximum age; as a warning, only some of its regions are.",
        remedy: "Check the trail's status and delivery error (aws cloudtrail get-trail-status), then run trailhub apply.",
        runbook: "runbooks/scheduled-audit.md#stale-delivery",
    },
    NoDelivery => CodeRow {
        name: "no-delivery",
        meaning: "No log file of the account is in the bucket at all; as a warning, its trail started too recently to have delivered.",
        remedy: "Run trailhub apply, wait for the first log files (about 15 minutes), then run trailhub audit again.",
        runbook: "runbooks/scheduled-audit.md#no-delivery",
    },
    PolicyDenies => CodeRow {
        name: "policy-denies",
        meaning: "The bucket policy does not let this trail write its log files.",
        remedy: "Find the statement that denies it in the bucket policy; trailhub plan names it; remove or narrow it, then run trailhub apply.",
        runbook: "runbooks/scheduled-audit.md#policy-denies",
    },
    NoCloudwatch => CodeRow {
        name: "no-cloudwatch",
        meaning: "The trail does not deliver to the configured CloudWatch Logs group with trailhub's role.",
        remedy: "Run trailhub apply: it points the trail at the log group with trailhub's role.",
        runbook: "runbooks/cloudwatch-logs.md#no-cloudwatch",
    },
    CloudwatchError => CodeRow {
        name: "cloudwatch-error",
        meaning: "CloudTrail reports an error delivering to CloudWatch Logs.",
        remedy: "Check the delivery role's trust and policy and the log group, then run trailhub apply.",
        runbook: "runbooks/cloudwatch-logs.md#cloudwatch-error",
    },
    CloudwatchStale => CodeRow {
        name: "cloudwatch-stale",
        meaning: "No delivery to CloudWatch Logs within the maximum age; as a warning, AWS does not say when the last one was.",
        remedy: "Check the trail's CloudWatch Logs delivery error (aws cloudtrail get-trail-status), then run trailhub apply.",
        runbook: "runbooks/cloudwatch-logs.md#cloudwatch-stale",
    },
    FlowLogsMissing => CodeRow {
        name: "flow-logs-missing",
        meaning: "A VPC has no flow log to a configured destination, or one with other settings.",
        remedy: "Run trailhub apply: it creates (or replaces) the VPC's flow log.",
        runbook: "runbooks/vpc-flow-logs.md#flow-logs-missing",
    },
    FlowLogsRegionUnread => CodeRow {
        name: "flow-logs-region-unread",
        meaning: "The VPCs and flow logs of an enabled Region could not be read (for another reason than policy): that Region's coverage is unknown.",
        remedy: "Read the Region's error in the account's detail (a throttle or outage passes; a missing permission needs the member role updated), then run trailhub audit again.",
        runbook: "runbooks/vpc-flow-logs.md#flow-logs-region-unread",
    },
    FlowLogsRegionClosed => CodeRow {
        name: "flow-logs-region-closed",
        meaning: "A note: enabled Regions where policy (an SCP) refuses the reads; a closed Region cannot hold a VPC in use.",
        remedy: "Nothing, if the SCP closes the Region on purpose; if the Region is in use, open it to trailhub's member role and run trailhub apply.",
        runbook: "runbooks/vpc-flow-logs.md#flow-logs-region-closed",
    },
    FlowLogsFailed => CodeRow {
        name: "flow-logs-failed",
        meaning: "A flow log reports that it fails to deliver.",
        remedy: "Read the flow log's DeliverLogsErrorMessage, fix the bucket policy or role it names, then run trailhub apply.",
        runbook: "runbooks/vpc-flow-logs.md#flow-logs-failed",
    },
    FlowLogsDenied => CodeRow {
        name: "flow-logs-denied",
        meaning: "The bucket policy does not let the flow logs service write this account's flow logs.",
        remedy: "Find the statement that denies delivery.logs in the bucket policy, remove or narrow it, then run trailhub apply.",
        runbook: "runbooks/vpc-flow-logs.md#flow-logs-denied",
    },
    DeliveryRoleWithoutBoundary => CodeRow {
        name: "delivery-role-without-boundary",
        meaning: "A log delivery role lacks its permissions boundary: whoever may write it could give it any permission.",
        remedy: "Run trailhub apply: it puts the boundary on the role before any other write to it.",
        runbook: "runbooks/cloudwatch-logs.md#delivery-role-without-boundary",
    },
    BoundaryPolicyDiffers => CodeRow {
        name: "boundary-policy-differs",
        meaning: "trailhub's permissions boundary policy holds another document than trailhub's: someone changed it, and trailhub does not use it.",
        remedy: "Compare the policy with trailhub's document, set it back (or name your own in permissions_boundary), find who changed it in CloudTrail, then run trailhub apply.",
        runbook: "runbooks/cloudwatch-logs.md#boundary-policy-differs",
    },
    NoKms => CodeRow {
        name: "no-kms",
        meaning: "The trail does not encrypt with the configured KMS key.",
        remedy: "Run trailhub apply: it points the trail at the key.",
        runbook: "runbooks/kms.md#no-kms",
    },
    KmsDenied => CodeRow {
        name: "kms-denied",
        meaning: "The key policy would not let CloudTrail encrypt this trail's log files: its deliveries fail.",
        remedy: "Find the statement of the key policy that refuses CloudTrail, remove or narrow it, then run trailhub apply.",
        runbook: "runbooks/kms.md#kms-denied",
    },
    ForeignKmsKey => CodeRow {
        name: "foreign-kms-key",
        meaning: "The trail encrypts with a key that another account owns and can revoke.",
        remedy: "Set kms_key in accounts.toml to a key of the central account and run trailhub apply.",
        runbook: "runbooks/kms.md#foreign-kms-key",
    },
    BucketNoAccessLogging => CodeRow {
        name: "bucket-no-access-logging",
        meaning: "The bucket's server access logging is off, or goes to another bucket.",
        remedy: "Set access_log_bucket in accounts.toml and run trailhub apply.",
        runbook: "runbooks/kms.md#bucket-no-access-logging",
    },
    BucketNoRetention => CodeRow {
        name: "bucket-no-retention",
        meaning: "The bucket's retention rules (trailhub-retention, trailhub-retention-markers) are missing or differ from retention_days.",
        remedy: "Run trailhub apply: it writes trailhub's retention rules for retention_days.",
        runbook: "runbooks/kms.md#bucket-no-retention",
    },
    BucketAllowsHttp => CodeRow {
        name: "bucket-allows-http",
        meaning: "No statement of the bucket policy denies requests made without TLS (aws:SecureTransport false): log files may be read or written in clear text.",
        remedy: "Run trailhub apply: it adds the TLS-only Deny (TrailhubDenyInsecureTransport).",
        runbook: "runbooks/kms.md#bucket-allows-http",
    },
    BucketPublicAccessOpen => CodeRow {
        name: "bucket-public-access-open",
        meaning: "The bucket's Block Public Access is off, in part or whole: a policy or ACL could make the logs public.",
        remedy: "Run trailhub apply: it turns all four Block Public Access settings back on.",
        runbook: "runbooks/kms.md#bucket-public-access-open",
    },
    BucketVersioningOff => CodeRow {
        name: "bucket-versioning-off",
        meaning: "The bucket's versioning is off or suspended: a log file overwritten or deleted is gone for good.",
        remedy: "Run trailhub apply: it turns versioning back on.",
        runbook: "runbooks/kms.md#bucket-versioning-off",
    },
    StalePolicyEntry => CodeRow {
        name: "stale-policy-entry",
        meaning: "An account out of scope may still deliver into the bucket: the bucket policy names it.",
        remedy: "Run trailhub offboard ACCOUNT_ID, or trailhub apply --prune to remove the entries of every account gone.",
        runbook: "runbooks/scheduled-audit.md#stale-policy-entry",
    },
    AlarmSubscriptionMissing => CodeRow {
        name: "alarm-subscription-missing",
        meaning: "The account's alarm topic is not subscribed to the central queue of [alarms] subscribe: its alarms do not reach the security team.",
        remedy: "Run trailhub apply: the central account subscribes the queue to the topic.",
        runbook: "runbooks/alarm-queue.md#alarm-subscription-missing",
    },
    AlarmSubscriptionPending => CodeRow {
        name: "alarm-subscription-pending",
        meaning: "The subscription of the central queue to the account's alarm topic waits for its confirmation: no alarm reaches the queue.",
        remedy: "Delete the pending subscription and run trailhub apply, so that the central account (the queue's owner) subscribes, which needs no confirmation.",
        runbook: "runbooks/alarm-queue.md#alarm-subscription-pending",
    },
    AlarmQueueDenied => CodeRow {
        name: "alarm-queue-denied",
        meaning: "The central queue's policy does not let the account's alarm topic send to it: SNS drops the alarms.",
        remedy: "Run trailhub apply: it merges the topic into trailhub's queue policy statement; remove any Deny that refuses sns.amazonaws.com.",
        runbook: "runbooks/alarm-queue.md#alarm-queue-denied",
    },
    AlarmFilterDrift => CodeRow {
        name: "alarm-filter-drift",
        meaning: "A CIS monitoring control's metric filter is missing from the trail's log group, or its pattern or metric changed: those events raise no alarm.",
        remedy: "Run trailhub apply: it puts the filter back with the published pattern.",
        runbook: "runbooks/alarms.md#alarm-filter-drift",
    },
    AlarmMissing => CodeRow {
        name: "alarm-missing",
        meaning: "A CIS monitoring control's alarm is missing, or its metric, period or threshold changed: nobody is told when its events happen.",
        remedy: "Run trailhub apply: it puts the alarm back (>= 1 in 5 minutes).",
        runbook: "runbooks/alarms.md#alarm-missing",
    },
    AlarmActionMissing => CodeRow {
        name: "alarm-action-missing",
        meaning: "A CIS monitoring control's alarm does not notify the account's alarm topic (or its actions are disabled): it fires unheard.",
        remedy: "Run trailhub apply: it puts the topic back in the alarm's actions, keeping the others.",
        runbook: "runbooks/alarms.md#alarm-action-missing",
    },
    AlarmTopicDrift => CodeRow {
        name: "alarm-topic-drift",
        meaning: "The SNS topic the account's alarms notify is missing, or its policy no longer lets CloudWatch publish (or the central queue subscribe).",
        remedy: "Run trailhub apply: it makes the topic and puts trailhub's statements back in its policy.",
        runbook: "runbooks/alarms.md#alarm-topic-drift",
    },
    AlarmsNoLogGroup => CodeRow {
        name: "alarms-no-log-group",
        meaning: "The trail that covers the account delivers to no CloudWatch Logs log group in the account: there is nothing to put the CIS metric filters on.",
        remedy: "Send that trail to a log group in the account, or let trailhub's own trail cover the account ([cloudwatch]).",
        runbook: "runbooks/alarms.md#alarms-no-log-group",
    },
    AlarmFiltersFull => CodeRow {
        name: "alarm-filters-full",
        meaning: "The trail's log group cannot take the missing CIS metric filters: it would pass CloudWatch Logs' 100 filters a log group.",
        remedy: "Delete metric filters no longer used on that log group, or pick fewer controls in [alarms], then run trailhub apply.",
        runbook: "runbooks/alarms.md#alarm-filters-full",
    },
    Unguarded => CodeRow {
        name: "unguarded",
        meaning: "trailhub's service control policy is missing, detached from the account's root or OU, or its content differs: the account's administrators can stop its trail or delete its flow logs.",
        remedy: "Run trailhub apply: it writes the SCP and attaches it again (trailhub plan --diff shows the content's change).",
        runbook: "runbooks/guardrails.md#unguarded",
    },
}

impl Code {
    /// The stable name of the code in every report.
    pub fn as_str(self) -> &'static str {
        self.row().name
    }

    /// The meaning and the runbook section of this code.
    pub fn doc(self) -> CodeDoc {
        let row = self.row();
        CodeDoc {
            meaning: row.meaning,
            remedy: row.remedy,
            runbook: row.runbook,
        }
    }
}

/// Serialized as its name (`"no-trail"`), as `#[serde(rename_all = "kebab-case")]` did.
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name is the kebab-case of its variant (what serde's `rename_all` gave before the table), and
    /// no two codes share one.
    #[test]
    fn names_are_the_kebab_case_of_the_variants() {
        for code in Code::ALL {
            let mut kebab = String::new();
            for (i, c) in format!("{code:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    kebab.push('-');
                }
                kebab.push(c.to_ascii_lowercase());
            }
            assert_eq!(code.as_str(), kebab);
        }
        let names: std::collections::BTreeSet<&str> =
            Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
    }

    /// Every code has a meaning and a runbook section that exists: its heading is `` ### `code` `` in the
    /// runbook its link names.
    #[test]
    fn every_code_has_a_meaning_and_a_runbook_section() {
        let runbooks = [
            (
                "runbooks/scheduled-audit.md",
                include_str!("../../runbooks/scheduled-audit.md"),
            ),
            (
                "runbooks/cloudwatch-logs.md",
                include_str!("../../runbooks/cloudwatch-logs.md"),
            ),
            (
                "runbooks/vpc-flow-logs.md",
                include_str!("../../runbooks/vpc-flow-logs.md"),
            ),
            ("runbooks/kms.md", include_str!("../../runbooks/kms.md")),
            (
                "runbooks/alarm-queue.md",
                include_str!("../../runbooks/alarm-queue.md"),
            ),
            (
                "runbooks/alarms.md",
                include_str!("../../runbooks/alarms.md"),
            ),
            (
                "runbooks/guardrails.md",
                include_str!("../../runbooks/guardrails.md"),
            ),
        ];
        for code in Code::ALL {
            let doc = code.doc();
            assert!(
                doc.meaning.len() > 20 && doc.meaning.ends_with('.'),
                "{code:?}"
            );
            let (file, anchor) = doc.runbook.split_once('#').unwrap();
            assert_eq!(anchor, code.as_str(), "{code:?} links to another section");
            let (_, text) = runbooks
                .iter()
                .find(|(f, _)| *f == file)
                .unwrap_or_else(|| panic!("{code:?}: {file} is not a runbook"));
            assert!(
                text.contains(&format!("\n### `{}`\n", code.as_str())),
                "{code:?}: no section in {file}"
            );
        }
    }
}
