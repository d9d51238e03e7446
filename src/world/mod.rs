//! The world's plain vocabulary (pure): trails, event selectors, the bucket's settings, log groups, roles,
//! flow logs, the organization, an account in scope and a failed AWS call, in trailhub's own words. The
//! planner and the judge read these values and the AWS edge (`aws`) produces them; neither owns them, so
//! both import them from here and `plan` imports nothing from `aws`. No SDK type appears here.

pub mod account;
pub mod alarms;
pub mod bucket;
pub mod error;
pub mod guardrails;
pub mod logs;
pub mod org;
pub mod queue;
pub mod selectors;
pub mod trail;

pub use account::{Access, ScopedAccount};
pub use bucket::{
    AccessLogging, BucketEncryption, Guard, KeyInfo, LifecycleRule, Listing, RetentionRule,
};
pub use error::{AwsError, ErrorKind};
pub use guardrails::{PolicyAuthority, PolicySummary, TargetPolicies};
pub use logs::{
    DesiredFlowLog, DesiredRole, FileFormat, FlowLogDestination, LogGroup, MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE, ObservedFlowLog, ObservedRole, RegionInfo, RegionsSeen, S3Options, Vpc,
    closed_by_policy,
};
pub use org::{Membership, OrgAccount, OrgPage, OrgPolicy, Organization, OuNode};
pub use queue::{QueueArn, Subscription, topic_region};
pub use selectors::{AdvancedSelector, BasicSelector, EventSelectors, FieldSelector, ReadWrite};
pub use trail::{DesiredTrail, ObservedTrail, StopEvent, TrailLogs, TrailStatus};
