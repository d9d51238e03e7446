//! What each audit code means, in one line, and the runbook section that says what to do (pure): the one
//! table the reports a person reads (`--format html`) take both from.

use super::report::Code;

/// A code's meaning for a person and where its section is, as `runbooks/FILE.md#anchor` from the
/// repository's root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeDoc {
    pub meaning: &'static str,
    pub runbook: &'static str,
}

impl Code {
    /// The meaning and the runbook section of this code (every code has both: the match is exhaustive).
    pub fn doc(self) -> CodeDoc {
        use Code::*;
        let (meaning, runbook) = match self {
            Unreachable => (
                "The account could not be read (its role could not be assumed, or a read failed): nothing is known about its coverage.",
                "runbooks/scheduled-audit.md#unreachable",
            ),
            NoTrail => (
                "No trail of the account delivers to the central bucket: its API activity is recorded nowhere the security team reads.",
                "runbooks/scheduled-audit.md#no-trail",
            ),
            NotLogging => (
                "The trail exists but logging is stopped: nothing is recorded.",
                "runbooks/scheduled-audit.md#not-logging",
            ),
            NotMultiRegion => (
                "The trail records its home region only: activity in every other region is lost.",
                "runbooks/scheduled-audit.md#not-multi-region",
            ),
            NoLogValidation => (
                "Log file validation is off: the files arrive, but their integrity cannot be proven.",
                "runbooks/scheduled-audit.md#no-log-validation",
            ),
            NoGlobalEvents => (
                "The trail leaves out global service events: IAM, STS and CloudFront activity is not recorded.",
                "runbooks/scheduled-audit.md#no-global-events",
            ),
            ManagementEventsOff => (
                "The trail's event selectors do not log every management event, read and write.",
                "runbooks/scheduled-audit.md#management-events-off",
            ),
            DeliveryError => (
                "CloudTrail tried to write a log file and S3 refused it (bucket policy, KMS key, SCP) or the bucket is gone.",
                "runbooks/scheduled-audit.md#delivery-error",
            ),
            StaleDelivery => (
                "The account's newest log file is older than the maximum age; as a warning, only some of its regions are.",
                "runbooks/scheduled-audit.md#stale-delivery",
            ),
            NoDelivery => (
                "No log file of the account is in the bucket at all; as a warning, its trail started too recently to have delivered.",
                "runbooks/scheduled-audit.md#no-delivery",
            ),
            PolicyDenies => (
                "The bucket policy does not let this trail write its log files.",
                "runbooks/scheduled-audit.md#policy-denies",
            ),
            NoCloudwatch => (
                "The trail does not deliver to the configured CloudWatch Logs group with trailhub's role.",
                "runbooks/cloudwatch-logs.md#no-cloudwatch",
            ),
            CloudwatchError => (
                "CloudTrail reports an error delivering to CloudWatch Logs.",
                "runbooks/cloudwatch-logs.md#cloudwatch-error",
            ),
            CloudwatchStale => (
                "No delivery to CloudWatch Logs within the maximum age; as a warning, AWS does not say when the last one was.",
                "runbooks/cloudwatch-logs.md#cloudwatch-stale",
            ),
            FlowLogsMissing => (
                "A VPC has no flow log to a configured destination, or one with other settings.",
                "runbooks/vpc-flow-logs.md#flow-logs-missing",
            ),
            FlowLogsFailed => (
                "A flow log reports that it fails to deliver.",
                "runbooks/vpc-flow-logs.md#flow-logs-failed",
            ),
            FlowLogsDenied => (
                "The bucket policy does not let the flow logs service write this account's flow logs.",
                "runbooks/vpc-flow-logs.md#flow-logs-denied",
            ),
            NoKms => (
                "The trail does not encrypt with the configured KMS key.",
                "runbooks/kms.md#no-kms",
            ),
            KmsDenied => (
                "The key policy would not let CloudTrail encrypt this trail's log files: its deliveries fail.",
                "runbooks/kms.md#kms-denied",
            ),
            ForeignKmsKey => (
                "The trail encrypts with a key that another account owns and can revoke.",
                "runbooks/kms.md#foreign-kms-key",
            ),
            BucketNoAccessLogging => (
                "The bucket's server access logging is off, or goes to another bucket.",
                "runbooks/kms.md#bucket-no-access-logging",
            ),
            BucketNoRetention => (
                "The bucket's retention rule (trailhub-retention) is missing or differs from retention_days.",
                "runbooks/kms.md#bucket-no-retention",
            ),
            StalePolicyEntry => (
                "An account out of scope may still deliver into the bucket: the bucket policy names it.",
                "runbooks/scheduled-audit.md#stale-policy-entry",
            ),
        };
        CodeDoc { meaning, runbook }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Code::ALL` is every variant: as many as `Code` declares (read from its source), in its order.
    #[test]
    fn all_is_every_code() {
        let source = include_str!("report.rs");
        let body = source
            .split_once("pub enum Code {")
            .and_then(|(_, rest)| rest.split_once('}'))
            .unwrap()
            .0;
        let declared: Vec<&str> = body
            .lines()
            .map(|l| l.trim().trim_end_matches(','))
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .collect();
        let listed: Vec<String> = Code::ALL.iter().map(|c| format!("{c:?}")).collect();
        assert_eq!(listed, declared);
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
