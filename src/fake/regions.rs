//! The fake's Regions (tests and benchmarks): which Regions each account has enabled (DescribeRegions'
//! opt-in status, VPC-13), the default VPC AWS gives an account in each of them (VPC-14), and the Regions
//! an SCP closes (their EC2 reads answer `UnauthorizedOperation`, VPC-15). A Region the account has not
//! enabled answers `AuthFailure`, as AWS does.

use super::World;
use crate::aws::{AwsError, RegionInfo, Vpc};

/// The 17 Regions enabled by default in every account (`opt-in-not-required`), as DescribeRegions lists
/// them for an account created in 2026.
pub const DEFAULT_REGIONS: [&str; 17] = [
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Some of the Regions an account must opt into (`not-opted-in` until it does).
pub const OPT_IN_REGIONS: [&str; 4] = ["af-south-1", "ap-east-1", "eu-south-1", "me-south-1"];

impl World {
    /// Every Region of the world: [`DEFAULT_REGIONS`] and [`OPT_IN_REGIONS`] (the world's own Region is
    /// among the first). Without this, a world has its own Region only.
    pub fn use_every_region(&mut self) {
        self.regions = DEFAULT_REGIONS
            .iter()
            .map(|r| ((*r).to_owned(), false))
            .chain(OPT_IN_REGIONS.iter().map(|r| ((*r).to_owned(), true)))
            .collect();
    }

    /// The world's Regions: those set, else its own Region alone (enabled by default).
    fn all_regions(&self) -> Vec<(String, bool)> {
        if self.regions.is_empty() {
            return vec![(self.region.clone(), false)];
        }
        self.regions.clone()
    }

    /// DescribeRegions (`AllRegions`) for `account`: an opt-in Region is `opted-in` once the account opted
    /// into it (`opted_in`), else `not-opted-in`.
    pub(super) fn regions_of(&self, account: &str) -> Vec<RegionInfo> {
        self.all_regions()
            .into_iter()
            .map(|(name, opt_in)| {
                let status = match opt_in {
                    false => "opt-in-not-required",
                    true if self.opted_in.contains(&(account.to_owned(), name.clone())) => {
                        "opted-in"
                    }
                    true => "not-opted-in",
                };
                RegionInfo {
                    opt_in_status: status.to_owned(),
                    name,
                }
            })
            .collect()
    }

    /// Whether `account` may call EC2 in `region`: AWS's answer when it may not (an SCP closing the
    /// Region, or a Region the account has not enabled).
    pub(super) fn ec2_refusal(
        &self,
        account: &str,
        region: &str,
        op: &'static str,
    ) -> Option<AwsError> {
        let key = || (account.to_owned(), region.to_owned());
        if !self.closed_regions.is_empty() && self.closed_regions.contains(&key()) {
            let action = format!("ec2:{op}");
            return Some(AwsError::new(
                op,
                "UnauthorizedOperation",
                format!(
                    "You are not authorized to perform this operation. User: \
                     arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/trailhub is not \
                     authorized to perform: {action} with an explicit deny in a service control policy"
                ),
            ));
        }
        if !self.broken_regions.is_empty() && self.broken_regions.contains(&key()) {
            return Some(AwsError::new(
                op,
                "InternalError",
                "An internal error has occurred",
            ));
        }
        // as `regions_of` says, without making the whole list (every EC2 call asks)
        let enabled = if self.regions.is_empty() {
            region == self.region
        } else {
            match self.regions.iter().find(|(name, _)| name == region) {
                Some((_, false)) => true,
                Some((_, true)) => self.opted_in.contains(&key()),
                None => false,
            }
        };
        (!enabled).then(|| {
            AwsError::new(
                op,
                "AuthFailure",
                "AWS was not able to validate the provided access credentials",
            )
        })
    }

    /// The VPCs of `account` in `region`: those set (`vpcs` for the world's Region, `region_vpcs` for the
    /// others), else AWS's one default VPC (`vpc-<id>` in the world's Region, `vpc-<id>-<region>` in
    /// another).
    pub(super) fn vpcs_of(&self, account: &str, region: &str) -> Vec<Vpc> {
        let default_id = if region == self.region {
            format!("vpc-{account}")
        } else {
            format!("vpc-{account}-{region}")
        };
        let set = if region == self.region {
            self.vpcs.get(account)
        } else {
            self.region_vpcs
                .get(&(account.to_owned(), region.to_owned()))
        };
        let ids = set.cloned().unwrap_or_else(|| vec![default_id.clone()]);
        ids.into_iter()
            .map(|id| Vpc {
                region: region.to_owned(),
                is_default: id == default_id,
                id,
            })
            .collect()
    }
}
