//! What `[alarms]` needs of one account (async I/O over the `aws` traits, read only): the metric filters
//! of each log group a trail of the account delivers to (trailhub's `[cloudwatch]` group, and those of
//! the account's other trails that are in the account), and in each of their Regions trailhub's alarms
//! and its topic. All at once.

use futures::future::try_join_all;

use crate::aws::{AwsError, Member};
use crate::config::{Config, ScopedAccount};
use crate::plan::cloudwatch;
use crate::world::ObservedTrail;
use crate::world::alarms::{
    AlarmsState, GroupFilters, NAME_PREFIX, RegionAlarms, parse_group_arn, topic_arn,
};

/// The log groups (Region, name) the account's trails deliver to, in the account: the `[cloudwatch]`
/// group first.
pub fn candidate_groups(
    cfg: &Config,
    target: &ScopedAccount,
    trails: &[ObservedTrail],
) -> Vec<(String, String)> {
    let own = cloudwatch::trail_setup(cfg, target)
        .and_then(Result::ok)
        .map(|s| (cfg.central.region.to_string(), s.group));
    let theirs = trails
        .iter()
        .filter_map(|t| parse_group_arn(&t.cloudwatch.as_ref()?.log_group_arn))
        .filter(|(_, account, _)| *account == target.id.as_str())
        .map(|(region, _, name)| (region.to_owned(), name.to_owned()));
    let mut out: Vec<(String, String)> = Vec::new();
    for g in own.into_iter().chain(theirs) {
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

/// DescribeMetricFilters of every candidate group, DescribeAlarms (trailhub's prefix) and
/// GetTopicAttributes in each of their Regions; nothing without `[alarms]`.
pub async fn read_alarms<M: Member>(
    member: &M,
    cfg: &Config,
    target: &ScopedAccount,
    trails: &[ObservedTrail],
) -> Result<AlarmsState, AwsError> {
    let Some(a) = cfg.alarms.as_ref() else {
        return Ok(AlarmsState::default());
    };
    let groups = candidate_groups(cfg, target, trails);
    let mut regions: Vec<&str> = groups.iter().map(|(r, _)| r.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let partition = cfg.central.region.partition();
    let account = target.id.as_str();
    let filters = try_join_all(groups.iter().map(|(region, group)| async move {
        let filters = member.alarms_in(region).metric_filters(group).await?;
        Ok::<_, AwsError>(GroupFilters {
            region: region.clone(),
            log_group: group.clone(),
            filters,
        })
    }));
    let alarms = try_join_all(regions.iter().map(|region| async move {
        let m = member.alarms_in(region);
        let arn = topic_arn(partition, region, account, &a.topic_name);
        let (alarms, topic) = tokio::join!(m.metric_alarms(NAME_PREFIX), m.topic(&arn));
        Ok::<_, AwsError>(RegionAlarms {
            region: (*region).to_owned(),
            alarms: alarms?,
            topic: topic?,
        })
    }));
    let (groups, regions) = tokio::join!(filters, alarms);
    Ok(AlarmsState {
        groups: groups?,
        regions: regions?,
    })
}
