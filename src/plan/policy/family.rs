//! The families of statements trailhub writes in the shared bucket policy, each described once as data
//! (pure): its Sids, its service principal, its actions, the source keys it manages, how it names a source
//! and its account, its resources and its forms. The algorithms that read, render, keep and fit a family's
//! statements are written once, over a [`Family`] (`content`, `render`, `live`, `fit`); a new family only
//! describes itself here.
//!
//! - [`CLOUDTRAIL_FAMILY`]: two statements found by the Sids of AWS's documentation, or trailhub's own
//!   beside the console's old default;
//! - [`LOG_DELIVERY_FAMILY`]: `delivery.logs.amazonaws.com`, when flow logs go to the bucket, under
//!   trailhub's own Sids. AWS documents the statements in the VPC User Guide, "Amazon S3 bucket permissions
//!   for flow logs" (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html): AWS
//!   attaches `AWSLogDeliveryWrite` and `AWSLogDeliveryAclCheck` itself, and those stay foreign statements,
//!   kept byte for byte. The AclCheck statement also allows `s3:ListBucket` (docs/aws-rules.md, DL-1).
//!
//! Each family has a Deny of writes into another account's folder (`render::deny_foreign_prefix`).

use std::collections::BTreeSet;

use super::evidence::{self, Documented};
use super::input::PolicyInput;
use crate::config::Form;
use crate::model::{TrailArn, is_account_id};

pub const ACL_SID: &str = "AWSCloudTrailAclCheck20150319";
pub const WRITE_SID: &str = "AWSCloudTrailWrite20150319";
/// trailhub's own Sids, used when a statement with the console's Sid is the console's old default (no
/// source condition): that one is kept as it is, and trailhub's statements go beside it.
pub const OWN_ACL_SID: &str = "TrailhubCloudTrailAclCheck";
pub const OWN_WRITE_SID: &str = "TrailhubCloudTrailWrite";
/// trailhub's Deny of CloudTrail writes into another account's folder.
pub const DENY_SID: &str = "TrailhubDenyCloudTrailIntoAnotherFolder";
pub const CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";
/// The service that delivers flow logs (and other vended logs) to S3.
pub const LOG_DELIVERY: &str = "delivery.logs.amazonaws.com";
/// trailhub's Sids for its two delivery.logs statements (not AWS's `AWSLogDelivery*`, which AWS writes).
pub const LOG_ACL_SID: &str = "TrailhubLogDeliveryAclCheck";
pub const LOG_WRITE_SID: &str = "TrailhubLogDeliveryWrite";
/// trailhub's Deny of delivery.logs writes into another account's folder.
pub const LOG_DENY_SID: &str = "TrailhubDenyLogDeliveryIntoAnotherFolder";
pub const SOURCE_ARN: &str = "aws:SourceArn";
pub const SOURCE_ACCOUNT: &str = "aws:SourceAccount";
pub const SOURCE_ORG: &str = "aws:SourceOrgID";
pub const ACL_KEY: &str = "s3:x-amz-acl";
pub const FULL_CONTROL: &str = "bucket-owner-full-control";
pub const WRITE_ACTION: &str = "s3:PutObject";
/// The delivery.logs AclCheck statement's actions: `s3:GetBucketAcl`, which AWS's example allows, and
/// `s3:ListBucket`, which CloudWatch Logs says to grant so that delivery.logs' checks of the bucket are not
/// refused (never AWS's other example's `s3:Get*`, `s3:List*`: more than delivery needs).
pub const ACL_ACTIONS: [&str; 2] = ["s3:GetBucketAcl", "s3:ListBucket"];

/// One of a family's two Allow statements (the AclCheck, then the Write).
#[derive(Debug)]
pub struct Slot {
    pub sid: &'static str,
    /// trailhub's own Sid, used when the statement with `sid` is the console's old default (an Allow for
    /// the service with no source condition), which is kept as it is. None: `sid` is trailhub's own.
    pub own: Option<&'static str>,
    /// Its actions: one is written as a string, several as a list.
    pub actions: &'static [&'static str],
    /// The Write statement: `s3:x-amz-acl` must be `bucket-owner-full-control`, and its resources are the
    /// folders (the AclCheck's is the bucket).
    pub is_write: bool,
}

/// The parts of a statement's source condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `StringEquals aws:SourceArn`: exact source ARNs.
    Arns,
    /// `ArnLike aws:SourceArn`: a pattern per account.
    Patterns,
    /// `StringEquals aws:SourceAccount`.
    Accounts,
    /// `StringEquals aws:SourceOrgID`.
    Org,
    /// `StringEquals s3:x-amz-acl` (the Write statement only).
    Acl,
}

/// What a form's source condition names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// each source's exact ARN
    Arns,
    /// each account's pattern
    Patterns,
    /// each account
    Accounts,
    /// each account and its pattern (AWS's documented flow-log shape)
    AccountsAndPatterns,
    /// the organization
    Organization,
}

/// One of a family's forms.
#[derive(Debug)]
pub struct FormSpec {
    pub form: Form,
    /// How far the form widens what may write, on one scale for every family: 0 names each source, 1 any
    /// source of a listed account in a part of it (a trail, a Region's logs), 2 any source of a listed
    /// account, 3 the same with one shared prefix, 4 the whole organization.
    pub width: u8,
    pub names: Names,
    /// One `AWSLogs/<id>/*` resource per account; otherwise the one shared `AWSLogs/*`.
    pub per_account_resources: bool,
    /// A pinned `policy_form` this form also stands for, in a family that has no form of that name.
    pub stands_for: Option<Form>,
}

/// What the config itself asks a family to allow.
#[derive(Debug, Default)]
pub struct Wanted {
    /// exact source ARNs (`aws:SourceArn`)
    pub arns: Vec<String>,
    /// the accounts that write (`aws:SourceAccount`)
    pub accounts: BTreeSet<String>,
    /// the folders they write in, `[PREFIX/]AWSLogs/<folder>/*`
    pub resources: Vec<String>,
}

/// A family of statements: everything in which one differs from another.
#[derive(Debug)]
pub struct Family {
    pub service: &'static str,
    pub slots: [Slot; 2],
    pub deny_sid: &'static str,
    /// What a source condition allows, for messages ("trail", "account").
    pub source: &'static str,
    /// Whether the family manages `StringEquals aws:SourceArn`, and how it finds such an ARN's account.
    pub arn_account: Option<fn(&str) -> Option<String>>,
    /// An account's `ArnLike aws:SourceArn` pattern, and the account of a pattern the family writes.
    pub pattern: fn(&PolicyInput, &str) -> String,
    pub pattern_account: fn(&str) -> Option<String>,
    /// A pattern allows its whole account (CloudTrail: any trail of it), rather than a part of what the
    /// account may write (delivery.logs: one Region's logs).
    pub pattern_is_account: bool,
    /// Parts of which only one group may stand in one statement (they AND together), and why not.
    pub apart: &'static [&'static [Part]],
    pub apart_why: &'static str,
    /// The order in which the parts are written into a statement's `Condition`.
    pub order: [Part; 5],
    /// Its forms, most specific first.
    pub forms: &'static [FormSpec],
    /// The page that documents the family's source keys (its `organization` form rests on IAM's global rule).
    pub documented: Documented,
    pub wanted: fn(&PolicyInput) -> Wanted,
}

pub static CLOUDTRAIL_FAMILY: Family = Family {
    service: CLOUDTRAIL,
    slots: [
        Slot {
            sid: ACL_SID,
            own: Some(OWN_ACL_SID),
            actions: &["s3:GetBucketAcl"],
            is_write: false,
        },
        Slot {
            sid: WRITE_SID,
            own: Some(OWN_WRITE_SID),
            actions: &[WRITE_ACTION],
            is_write: true,
        },
    ],
    deny_sid: DENY_SID,
    source: "trail",
    arn_account: Some(|a| TrailArn::parse(a).map(|t| t.account)),
    pattern: |input, account| trail_pattern(input.partition, account),
    pattern_account: trail_pattern_account,
    pattern_is_account: true,
    apart: &[
        &[Part::Arns, Part::Patterns],
        &[Part::Accounts],
        &[Part::Org],
    ],
    apart_why: "it combines several source conditions, which AND together",
    order: [
        Part::Arns,
        Part::Patterns,
        Part::Accounts,
        Part::Org,
        Part::Acl,
    ],
    forms: &[
        form(Form::Exact, 0, Names::Arns, true),
        form(Form::AccountArns, 1, Names::Patterns, true),
        form(Form::SourceAccount, 2, Names::Accounts, true),
        form(Form::SharedPrefix, 3, Names::Accounts, false),
        form(Form::Organization, 4, Names::Organization, false),
    ],
    documented: evidence::CLOUDTRAIL_BUCKET,
    wanted: |input| Wanted {
        arns: input
            .entries
            .iter()
            .map(|e| e.trail_arn.to_string())
            .collect(),
        accounts: input
            .entries
            .iter()
            .map(|e| e.source_account().to_owned())
            .collect(),
        resources: input.write_resources().collect(),
    },
};

pub static LOG_DELIVERY_FAMILY: Family = Family {
    service: LOG_DELIVERY,
    slots: [
        Slot {
            sid: LOG_ACL_SID,
            own: None,
            actions: &ACL_ACTIONS,
            is_write: false,
        },
        Slot {
            sid: LOG_WRITE_SID,
            own: None,
            actions: &[WRITE_ACTION],
            is_write: true,
        },
    ],
    deny_sid: LOG_DENY_SID,
    source: "account",
    arn_account: None,
    pattern: |input, account| input.log_pattern(account),
    pattern_account: logs_pattern_account,
    pattern_is_account: false,
    apart: &[&[Part::Accounts, Part::Patterns], &[Part::Org]],
    apart_why: "it combines an organization with accounts, which AND together",
    // AWS's documented shape: `StringEquals` first, then `ArnLike`
    order: [
        Part::Accounts,
        Part::Org,
        Part::Acl,
        Part::Patterns,
        Part::Arns,
    ],
    forms: &[
        // a pinned exact or account-arns form both name each account's own sources: this form
        FormSpec {
            stands_for: Some(Form::AccountArns),
            ..form(Form::Exact, 1, Names::AccountsAndPatterns, true)
        },
        form(Form::SourceAccount, 2, Names::Accounts, true),
        form(Form::SharedPrefix, 3, Names::Accounts, false),
        // AWS does not document that delivery.logs sends `aws:SourceOrgID` (docs/aws-rules.md, DL-3)
        form(Form::Organization, 4, Names::Organization, false),
    ],
    documented: evidence::LOG_DELIVERY_BUCKET,
    wanted: |input| Wanted {
        arns: vec![],
        accounts: input
            .flow_logs
            .accounts
            .iter()
            .map(ToString::to_string)
            .collect(),
        resources: input.log_write_resources().collect(),
    },
};

/// Both families, in the order their statements are placed and reported.
pub static FAMILIES: [&Family; 2] = [&CLOUDTRAIL_FAMILY, &LOG_DELIVERY_FAMILY];

const fn form(form: Form, width: u8, names: Names, per_account_resources: bool) -> FormSpec {
    FormSpec {
        form,
        width,
        names,
        per_account_resources,
        stands_for: None,
    }
}

/// `arn:<p>:cloudtrail:*:<account>:trail/*`: any trail of the account (the key policy's CloudTrail context
/// names them so too).
pub fn trail_pattern(partition: &str, account: &str) -> String {
    format!("arn:{partition}:cloudtrail:*:{account}:trail/*")
}

/// The account of an `arn:<p>:cloudtrail:*:<id>:trail/*` pattern.
fn trail_pattern_account(p: &str) -> Option<String> {
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "cloudtrail"
        && parts[3] == "*"
        && parts[5] == "trail/*";
    (ok && is_account_id(parts[4])).then(|| parts[4].to_owned())
}

/// The account of an `arn:<p>:logs:<region>:<id>:*` pattern (the Region may be `*`).
fn logs_pattern_account(p: &str) -> Option<String> {
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "logs"
        && !parts[3].is_empty()
        && parts[5] == "*";
    (ok && is_account_id(parts[4])).then(|| parts[4].to_owned())
}
