//! What was seen before planning: each account's state and the central bucket's. Pure values, filled in by
//! the observers and read by the planner.

use super::bucket_settings::SettingsState;
use super::coverage::OtherTrail;
use super::failure::AccountFailure;
use super::kms::KeyState;
use super::membership::OrgFacts;
use crate::world::alarms::AlarmsState;
use crate::world::{
    EventSelectors, Guard, LogGroup, ObservedFlowLog, ObservedRole, ObservedTrail, RegionsSeen, Vpc,
};

/// What was seen in one account before planning.
// one value a run (or an account): boxing the large variant would buy nothing
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AccountState {
    /// The account was reached. `trail` is the trail with trailhub's name for it, if any.
    Observed {
        trail: Option<ObservedTrail>,
        is_logging: bool,
        /// The event selectors of that trail (None: no trail, or not read).
        selectors: Option<EventSelectors>,
        /// The account's other trails, with their status and event selectors: read only when it has no
        /// trailhub trail (whether one covers it, or logs its management events elsewhere).
        others: Vec<OtherTrail>,
        /// Its CloudWatch Logs groups, roles, VPCs and flow logs (read only where configured).
        delivery: DeliveryState,
    },
    /// The account could not be reached or read (AssumeRole or DescribeTrails failed, or it was not
    /// started).
    Failed(AccountFailure),
}

/// What was read of an account for `[cloudwatch]` and `[flow_logs]`; each part only where configured
/// for the account (None: missing, or not read).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryState {
    /// `[cloudwatch]`: the trail's log group and role.
    pub trail_group: Option<LogGroup>,
    pub trail_role: Option<ObservedRole>,
    /// `[flow_logs]`: the VPCs in every Region read and every flow log there, and what became of each
    /// enabled Region (read, closed by policy, failed).
    pub vpcs: Vec<Vpc>,
    pub flow_logs: Vec<ObservedFlowLog>,
    pub regions: RegionsSeen,
    /// `[flow_logs]` with the `cloudwatch` destination: the flow logs' log group and role.
    pub flow_group: Option<LogGroup>,
    pub flow_role: Option<ObservedRole>,
    /// `permissions_boundary = "create"` in either section: the document of trailhub's boundary policy
    /// (None: missing, or not read).
    pub boundary_policy: Option<String>,
    /// The same group as each Region read holds it (log groups are regional); the central Region's is
    /// also `flow_group`.
    pub flow_groups: Vec<(String, Option<LogGroup>)>,
    /// `[alarms]`: the metric filters of the log groups the account's trails deliver to, and trailhub's
    /// alarms and topic in their Regions.
    pub alarms: AlarmsState,
}

/// What was seen of the central bucket: whether it exists, and for each guard whether it is on (None:
/// could not tell, and then trailhub leaves it alone).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BucketState {
    pub exists: bool,
    pub guards: Vec<(Guard, Option<bool>)>,
    /// Its encryption, lifecycle and logging, as far as `[central]` asks for them.
    pub settings: SettingsState,
    /// The configured KMS key (`kms_key`); None without it.
    pub key: Option<KeyState>,
    /// Who may write to it as the organizations decide: the RCPs in force on the central account, and each
    /// writer's own organization, where learned.
    pub organizations: OrgFacts,
}

impl BucketState {
    /// The guards to turn on: every one for a bucket that does not exist, those found off otherwise.
    pub fn missing(&self) -> Vec<Guard> {
        if !self.exists {
            return Guard::ALL.to_vec();
        }
        self.guards
            .iter()
            .filter(|(_, on)| *on == Some(false))
            .map(|(g, _)| *g)
            .collect()
    }

    /// The guards whose state could not be read (left as they are).
    pub fn unknown(&self) -> Vec<Guard> {
        self.guards
            .iter()
            .filter(|(_, on)| on.is_none())
            .map(|(g, _)| *g)
            .collect()
    }
}
