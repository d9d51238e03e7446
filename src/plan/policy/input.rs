//! What the bucket policy is for (pure): the bucket and its prefix, the trails and the flow-log accounts to
//! allow, the organization, the `policy_form` setting, and the resources and patterns they name.

use std::collections::BTreeSet;

use super::super::layout;
use crate::config::PolicyForm;
use crate::model::{AccountId, BucketName, KeyPrefix, TrailArn};

/// One trail the policy must let write: the account whose prefix it writes and its exact ARN; for an
/// organization trail, the organization's ID too (it writes under `AWSLogs/<org-id>/<account>/`, and its ARN
/// names the management account).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub account: AccountId,
    pub trail_arn: TrailArn,
    pub org_id: Option<String>,
}

impl Entry {
    /// trailhub's own kind: the account's own trail, writing under `AWSLogs/<account>/`.
    pub fn own(account: AccountId, trail_arn: TrailArn) -> Self {
        Entry {
            account,
            trail_arn,
            org_id: None,
        }
    }

    /// The account the trail belongs to (`aws:SourceAccount`): the management account for an organization
    /// trail.
    pub(super) fn source_account(&self) -> &str {
        &self.trail_arn.account
    }

    /// The folder after `AWSLogs/`: `<account>`, or `<org-id>/<account>`.
    fn folder(&self) -> String {
        match &self.org_id {
            Some(o) => format!("{o}/{}", self.account),
            None => self.account.to_string(),
        }
    }
}

/// The organization, when the accounts come from AWS Organizations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Org {
    pub id: String,
    /// Every account ID the organization listed.
    pub members: BTreeSet<String>,
}

/// The accounts whose VPC flow logs go to the bucket (`[flow_logs]` with the `s3` destination), and the
/// Region their flow logs are in (`central.region`): delivery.logs writes for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlowLogAccounts<'a> {
    pub accounts: &'a [AccountId],
    pub region: &'a str,
    /// Their flow logs write Hive-compatible keys (`hive_compatible_partitions`): each account's folder is
    /// `aws-account-id=<id>` (DL-6).
    pub hive: bool,
}

/// What the policy is for: the bucket, its optional key prefix, the trails and the flow-log accounts to
/// allow, and how to name them.
#[derive(Debug, Clone)]
pub struct PolicyInput<'a> {
    pub bucket: &'a BucketName,
    pub partition: &'a str,
    pub prefix: Option<&'a KeyPrefix>,
    pub entries: &'a [Entry],
    pub form: PolicyForm,
    pub org: Option<&'a Org>,
    pub flow_logs: FlowLogAccounts<'a>,
}

impl PolicyInput<'_> {
    pub fn bucket_arn(&self) -> String {
        layout::bucket_arn(self.partition, self.bucket.as_str())
    }
    fn logs_base(&self) -> String {
        layout::logs_root_arn(
            self.partition,
            self.bucket.as_str(),
            self.prefix.map(KeyPrefix::as_str),
        )
    }
    /// `arn:aws:s3:::BUCKET[/PREFIX]/AWSLogs/<account>/*` for each entry (the base formatted once: there can
    /// be tens of thousands of entries).
    pub(super) fn write_resources(&self) -> impl Iterator<Item = String> + '_ {
        let base = self.logs_base();
        self.entries
            .iter()
            .map(move |e| [base.as_str(), e.folder().as_str(), "/*"].concat())
    }
    /// `arn:aws:s3:::BUCKET[/PREFIX]/AWSLogs/*`
    pub fn shared_resource(&self) -> String {
        format!("{}*", self.logs_base())
    }
    /// `arn:<p>:logs:*:<account>:*`: any source of the account's logs in any Region. AWS's flow-log bucket
    /// policy names one Region (`arn:<p>:logs:<region>:<account>:*`); an account's flow logs come from
    /// every Region it has enabled, and `ArnLike` matches `*` across the Region's segment, which the
    /// evaluator proves for each Region (DL-7). One pattern an account: the policy's size does not grow
    /// with the Regions.
    pub(super) fn log_pattern(&self, account: &str) -> String {
        format!("arn:{}:logs:*:{account}:*", self.partition)
    }
    /// `arn:aws:s3:::BUCKET[/PREFIX]/AWSLogs/<account>/*` for each flow-log account;
    /// `.../AWSLogs/aws-account-id=<account>/*` with Hive-compatible partitions (DL-6).
    pub(super) fn log_write_resources(&self) -> impl Iterator<Item = String> + '_ {
        let base = self.logs_base();
        let hive = if self.flow_logs.hive {
            "aws-account-id="
        } else {
            ""
        };
        self.flow_logs
            .accounts
            .iter()
            .map(move |a| [base.as_str(), hive, a.as_str(), "/*"].concat())
    }
}
