//! The fake's CloudTrail in each account (tests and benchmarks): trails, their status and event selectors,
//! enforcing what AWS enforces and moto does not (the bucket policy and key checks of CreateTrail and
//! UpdateTrail, the home region of writes, AWS's default selector on a new trail, and the management
//! account's organization trails shown in every account of the organization, read there only by ARN).

use async_trait::async_trait;

use super::{FakeMember, World};
use crate::aws::{AwsError, BasicSelector, DesiredTrail, EventSelectors, Member, ObservedTrail};
use crate::aws::{StopEvent, TrailStatus};
use crate::model::{Region, TrailArn};
use crate::plan::evaluate::Delivery;
use crate::plan::policy::CLOUDTRAIL;

impl FakeMember {
    fn with_trail<T>(
        &self,
        op: &'static str,
        name: &str,
        f: impl FnOnce(&mut (ObservedTrail, TrailStatus)) -> T,
    ) -> Result<T, AwsError> {
        let mut w = self.aws.world();
        let t = w
            .trails
            .entry(self.account.clone())
            .or_default()
            .iter_mut()
            .find(|(t, _)| t.name == name || t.arn == name);
        match t {
            Some(t) => Ok(f(t)),
            None => Err(AwsError::new(
                op,
                "TrailNotFoundException",
                format!("Unknown trail: {name}"),
            )),
        }
    }

    /// AWS puts aws:SourceOrgID in the request context of every account of an organization.
    fn source_org_in(&self, w: &World) -> Option<String> {
        w.source_org(&self.account).0
    }

    /// A trail as GetTrailStatus and GetEventSelectors find it among those the account sees (CT-16): by
    /// ARN, or by name only when the ARN names the account itself. A member names an organization trail
    /// of the management account by its ARN; by its name, AWS answers TrailNotFoundException.
    fn read<T>(
        &self,
        op: &'static str,
        name: &str,
        f: impl FnOnce(&ObservedTrail, &TrailStatus) -> T,
    ) -> Result<T, AwsError> {
        let w = self.aws.world();
        let found = visible(&w, &self.account)
            .find(|(t, _)| t.arn == name || (t.name == name && owned_by(t, &self.account)));
        match found {
            Some((t, s)) => Ok(f(t, s)),
            None => Err(AwsError::new(
                op,
                "TrailNotFoundException",
                format!("Unknown trail: {name} for the user: {}", self.account),
            )),
        }
    }

    fn source_org(&self) -> Option<String> {
        self.source_org_in(&self.aws.world())
    }

    fn policy_allows(&self, t: &DesiredTrail) -> bool {
        let w = self.aws.world();
        let Some(Some(text)) = w.buckets.get(t.bucket.as_str()) else {
            return false;
        };
        let Ok(policy) = serde_json::from_str(text) else {
            return false;
        };
        let target = Delivery {
            partition: t.arn.partition.clone(),
            bucket: t.bucket.to_string(),
            key_prefix: t.key_prefix.as_ref().map(ToString::to_string),
            account_id: self.account.clone(),
            source_arn: t.arn.to_string(),
            source_account: self.account.clone(),
            org_id: self.source_org_in(&w),
            org_path: w.source_org(&self.account).1,
            service: CLOUDTRAIL.to_owned(),
            log_kind: "CloudTrail".to_owned(),
            region: t.arn.region.clone(),
        };
        w.delivery_allowed(&policy, &target)
    }

    fn observed(&self, t: &DesiredTrail) -> ObservedTrail {
        ObservedTrail {
            name: t.name.to_string(),
            arn: t.arn.to_string(),
            home_region: Some(t.arn.region.clone()),
            bucket: Some(t.bucket.to_string()),
            key_prefix: t.key_prefix.as_ref().map(ToString::to_string),
            multi_region: true,
            global_events: true,
            log_validation: true,
            organization_trail: false,
            cloudwatch: t.cloudwatch.clone(),
            kms_key_id: None,
        }
    }
}

#[async_trait]
impl Member for FakeMember {
    async fn organization_id(&self) -> Result<Option<String>, AwsError> {
        self.aws.fake_organization_of(&self.account).await
    }

    async fn describe_trails(&self) -> Result<Vec<ObservedTrail>, AwsError> {
        self.aws.call("DescribeTrails").await;
        let w = self.aws.world();
        let seen = visible(&w, &self.account).map(|(t, _)| t.clone()).collect();
        Ok(seen)
    }

    async fn stop_logging_events(&self) -> Result<Vec<StopEvent>, AwsError> {
        self.aws.call("LookupEvents").await;
        let w = self.aws.world();
        let events = w
            .stop_events
            .get(&self.account)
            .cloned()
            .unwrap_or_default();
        // newest first, one page (MaxResults 50)
        Ok(events.into_iter().rev().take(50).collect())
    }

    async fn trail_status(&self, name: &str) -> Result<TrailStatus, AwsError> {
        self.aws.call("GetTrailStatus").await;
        self.read("GetTrailStatus", name, |_, s| s.clone())
    }

    async fn create_trail(&self, t: &DesiredTrail) -> Result<(), AwsError> {
        self.aws.call("CreateTrail").await;
        if !self.aws.world().buckets.contains_key(t.bucket.as_str()) {
            return Err(AwsError::new(
                "CreateTrail",
                "S3BucketDoesNotExistException",
                "S3 bucket does not exist",
            ));
        }
        if !self.policy_allows(t) {
            return Err(AwsError::new(
                "CreateTrail",
                "InsufficientS3BucketPolicyException",
                "Incorrect S3 bucket policy is detected for bucket",
            ));
        }
        self.check_trail_logs("CreateTrail", t)?;
        let kms = self.check_trail_key("CreateTrail", t, self.source_org().as_deref())?;
        let o = ObservedTrail {
            kms_key_id: kms,
            ..self.observed(t)
        };
        let mut w = self.aws.world();
        let list = w.trails.entry(self.account.clone()).or_default();
        if list.iter().any(|(x, _)| x.name == o.name) {
            return Err(AwsError::new(
                "CreateTrail",
                "TrailAlreadyExistsException",
                "Trail already exists",
            ));
        }
        // CT-6: a new trail has AWS's default selector (whatever a trail of that name had before)
        let arn = o.arn.clone();
        list.push((o, TrailStatus::default()));
        w.selectors.remove(&arn);
        Ok(())
    }

    async fn update_trail(&self, t: &DesiredTrail) -> Result<(), AwsError> {
        self.aws.call("UpdateTrail").await;
        if !self.policy_allows(t) {
            return Err(AwsError::new(
                "UpdateTrail",
                "InsufficientS3BucketPolicyException",
                "Incorrect S3 bucket policy",
            ));
        }
        self.check_trail_logs("UpdateTrail", t)?;
        let kms = self.check_trail_key("UpdateTrail", t, self.source_org().as_deref())?;
        let o = self.observed(t);
        self.with_trail("UpdateTrail", t.name.as_str(), |(x, _)| {
            let kept = x.cloudwatch.take();
            let kept_key = x.kms_key_id.take();
            *x = ObservedTrail {
                cloudwatch: o.cloudwatch.clone().or(kept),
                kms_key_id: kms.or(kept_key),
                ..o
            };
        })
    }

    async fn start_logging(&self, name: &str) -> Result<(), AwsError> {
        self.aws.call("StartLogging").await;
        self.with_trail("StartLogging", name, |(_, s)| {
            s.is_logging = true;
            s.start_logging_time = Some(0);
        })
    }

    async fn delete_trail(&self, name: &str) -> Result<(), AwsError> {
        self.aws.call("DeleteTrail").await;
        self.allowed("DeleteTrail")?;
        let region = self.aws.world().region.clone();
        let home = self.with_trail("DeleteTrail", name, |(t, _)| t.home_region.clone())?;
        // CT-9: only in its home region; an organization trail only from the management account
        if home.is_some_and(|h| h != region) {
            return Err(AwsError::new(
                "DeleteTrail",
                "InvalidHomeRegionException",
                format!("The trail {name} was not created in region {region}"),
            ));
        }
        let mut w = self.aws.world();
        if let Some(list) = w.trails.get_mut(&self.account) {
            list.retain(|(t, _)| t.name != name && t.arn != name);
        }
        Ok(())
    }

    async fn event_selectors(&self, trail: &str) -> Result<EventSelectors, AwsError> {
        self.aws.call("GetEventSelectors").await;
        let arn = self.read("GetEventSelectors", trail, |t, _| t.arn.clone())?;
        let w = self.aws.world();
        Ok(w.selectors
            .get(&arn)
            .cloned()
            .unwrap_or_else(aws_default_selectors))
    }

    async fn put_event_selectors(
        &self,
        trail: &str,
        selectors: &EventSelectors,
    ) -> Result<(), AwsError> {
        self.aws.call("PutEventSelectors").await;
        // AWS: either basic or advanced selectors, not both; at most 5 basic selectors
        let both = !selectors.basic.is_empty() && !selectors.advanced.is_empty();
        if both || selectors.basic.len() > 5 {
            return Err(AwsError::new(
                "PutEventSelectors",
                "InvalidEventSelectorsException",
                "use either basic (at most 5) or advanced event selectors, not both",
            ));
        }
        let arn = self.with_trail("PutEventSelectors", trail, |(t, _)| t.arn.clone())?;
        self.aws.world().selectors.insert(arn, selectors.clone());
        Ok(())
    }
}

/// The trails DescribeTrails shows in `account`: its own, then the organization trails of the other
/// accounts of its organization (each owned by the account whose ARN it bears), as AWS shows the
/// management account's organization trail in every member (CT-7, CT-16).
fn visible<'w>(
    w: &'w World,
    account: &'w str,
) -> impl Iterator<Item = &'w (ObservedTrail, TrailStatus)> + 'w {
    let own = w.trails.get(account).map(Vec::as_slice).unwrap_or_default();
    let shared = w
        .trails
        .iter()
        .filter(move |(owner, _)| *owner != account && w.in_org(account) && w.in_org(owner))
        .flat_map(|(owner, list)| {
            list.iter()
                .filter(move |(t, _)| t.organization_trail && owned_by(t, owner))
        })
        .filter(move |(t, _)| !own.iter().any(|(x, _)| x.arn == t.arn));
    own.iter().chain(shared)
}

/// Whether the trail's ARN names `account` (a trail whose ARN cannot be read counts as the account's).
fn owned_by(t: &ObservedTrail, account: &str) -> bool {
    TrailArn::parse(&t.arn).is_none_or(|a| a.account == account)
}

impl super::FakeAws {
    /// StopLogging of trail `name` (its name or ARN) in `account`, called by `by` at `at`: the trail stops
    /// logging and CloudTrail records the event, which LookupEvents then finds (CT-23). The test's stand-in
    /// for someone stopping a trail: trailhub never calls StopLogging.
    pub fn stop_logging(&self, account: &str, name: &str, by: &str, at: i64) {
        let mut w = self.world();
        let list = w.trails.entry(account.to_owned()).or_default();
        let found = list
            .iter_mut()
            .find(|(t, _)| t.name == name || t.arn == name);
        let Some((_, status)) = found else {
            panic!("no trail {name} in {account}");
        };
        status.is_logging = false;
        let event = StopEvent {
            trail: name.to_owned(),
            by: by.to_owned(),
            at,
        };
        w.stop_events
            .entry(account.to_owned())
            .or_default()
            .push(event);
    }
}

/// What AWS gives a new trail: one basic selector, all management events, read and write.
pub fn aws_default_selectors() -> EventSelectors {
    EventSelectors {
        basic: vec![BasicSelector {
            management: true,
            ..BasicSelector::default()
        }],
        advanced: vec![],
    }
}

/// A trail ARN for a fake's account, for tests that seed trails.
pub fn fake_trail(region: &Region, account: &str, name: &str, bucket: &str) -> ObservedTrail {
    let arn = format!(
        "arn:{}:cloudtrail:{}:{}:trail/{}",
        region.partition(),
        region,
        account,
        name
    );
    debug_assert!(TrailArn::parse(&arn).is_some());
    ObservedTrail {
        name: name.to_owned(),
        arn,
        home_region: Some(region.to_string()),
        bucket: Some(bucket.to_owned()),
        key_prefix: None,
        multi_region: true,
        global_events: true,
        log_validation: true,
        organization_trail: false,
        cloudwatch: None,
        kms_key_id: None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::aws::Central;
    use crate::fake::FakeAws;
    use crate::world::{Access, ScopedAccount};

    const MANAGEMENT: &str = "999999999999";
    const MEMBER: &str = "200000000000";

    fn account(id: &str) -> ScopedAccount {
        ScopedAccount {
            id: id.parse().unwrap(),
            name: format!("A{id}"),
            trail_name: "Trailhub".parse().unwrap(),
            access: Access::Own,
            is_central: false,
            cloudwatch: false,
            flow_logs: false,
            ou: None,
        }
    }

    /// The management account's organization trail and a trail of its own, in an organization of the
    /// caller (a delegated administrator), the management account and one member.
    fn world() -> (FakeAws, ObservedTrail) {
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        aws.set_organization("o-abc123", &[MANAGEMENT, MEMBER]);
        let region = "ap-northeast-2".parse().unwrap();
        let mut org = fake_trail(&region, MANAGEMENT, "OrgTrail", "sec-log");
        org.organization_trail = true;
        let local = fake_trail(&region, MANAGEMENT, "Local", "other");
        let logging = TrailStatus {
            is_logging: true,
            ..TrailStatus::default()
        };
        let mut w = aws.world();
        w.management_account = Some(MANAGEMENT.into());
        w.trails.insert(
            MANAGEMENT.into(),
            vec![(org.clone(), logging.clone()), (local, logging)],
        );
        drop(w);
        (aws, org)
    }

    /// CT-16: a member sees the management account's organization trail in DescribeTrails, and reads it
    /// only by its ARN; by name, TrailNotFoundException. The management account reads it either way.
    #[tokio::test]
    async fn a_member_reads_the_organization_trail_only_by_its_arn() {
        let (aws, org) = world();
        let member = aws.member(&account(MEMBER)).await.unwrap();
        let seen = member.describe_trails().await.unwrap();
        assert_eq!(
            seen,
            vec![org.clone()],
            "only the organization trail is shared"
        );
        for e in [
            member.trail_status("OrgTrail").await.unwrap_err(),
            member.event_selectors("OrgTrail").await.unwrap_err(),
        ] {
            assert_eq!(e.code, "TrailNotFoundException", "{e}");
        }
        assert!(member.trail_status(&org.arn).await.unwrap().is_logging);
        assert_eq!(
            member.event_selectors(&org.arn).await.unwrap(),
            aws_default_selectors()
        );
        let management = aws.member(&account(MANAGEMENT)).await.unwrap();
        assert_eq!(management.describe_trails().await.unwrap().len(), 2);
        assert!(management.trail_status("OrgTrail").await.is_ok());
        // the caller (a delegated administrator) sees it too, and DescribeOrganization names the owner
        let caller = aws.member(&account("111111111111")).await.unwrap();
        assert_eq!(caller.describe_trails().await.unwrap(), vec![org.clone()]);
        let described = aws.organization().await.unwrap().unwrap();
        assert_eq!(described.management_account, MANAGEMENT);
        // an account outside the organization sees nothing of it
        let outside = aws.member(&account("300000000000")).await.unwrap();
        assert!(outside.describe_trails().await.unwrap().is_empty());
        assert!(outside.trail_status(&org.arn).await.is_err());
    }
}
