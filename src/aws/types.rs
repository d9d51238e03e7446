//! The plain values the `aws` traits take and give (pure): trails, their status, the bucket's guards and
//! the organization's accounts, in trailhub's own words. The planner and the judge read them; no SDK type
//! appears here.

use serde::Serialize;

use crate::model::{BucketName, KeyPrefix, TrailArn, TrailName};

/// The trail trailhub wants in an account: multi-region, global service events and log file validation
/// on, delivering to the central bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesiredTrail {
    pub name: TrailName,
    pub arn: TrailArn,
    pub bucket: BucketName,
    pub key_prefix: Option<KeyPrefix>,
}

/// A trail as DescribeTrails reports it, in plain values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ObservedTrail {
    pub name: String,
    pub arn: String,
    pub home_region: Option<String>,
    pub bucket: Option<String>,
    pub key_prefix: Option<String>,
    pub multi_region: bool,
    pub global_events: bool,
    pub log_validation: bool,
    pub organization_trail: bool,
}

/// GetTrailStatus, in plain values (times in seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TrailStatus {
    pub is_logging: bool,
    pub latest_delivery_time: Option<i64>,
    pub latest_delivery_error: Option<String>,
    pub start_logging_time: Option<i64>,
}

/// A protection the central bucket must have: trailhub turns on whichever is off, and never turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guard {
    BlockPublicAccess,
    Versioning,
    DefaultEncryption,
}

impl Guard {
    pub const ALL: [Guard; 3] = [
        Guard::BlockPublicAccess,
        Guard::Versioning,
        Guard::DefaultEncryption,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Guard::BlockPublicAccess => "Block Public Access",
            Guard::Versioning => "versioning",
            Guard::DefaultEncryption => "default encryption",
        }
    }
}

/// An account as AWS Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub active: bool,
}

/// One page of ListAccounts and the token of the next, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPage {
    pub accounts: Vec<OrgAccount>,
    pub next: Option<String>,
}
