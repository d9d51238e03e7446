//! Pacing one account's mutating calls (async, time only): each service's writes spaced by that service's
//! request quota, each call taking one of the run's call permits for the call only, so that an account
//! waiting out an interval does not hold back the others.
//!
//! The quotas are per account and Region, and this run is not their only user: trailhub stays at or below
//! each service's sustained rate from an empty bucket, and the SDK retries a throttled call anyway.
//! - CloudTrail: 1 TPS per account and Region for every call but Get/Describe/List (CloudTrail quotas).
//! - CloudWatch Logs: its control-plane calls (CreateLogGroup, PutRetentionPolicy; DescribeLogGroups is
//!   documented at 5 TPS per account and Region) share a rate of about 5 TPS: 200 ms apart.
//! - IAM: global to the account, with no published TPS for CreateRole, PutRolePolicy or
//!   UpdateAssumeRolePolicy, and eventually consistent: writes 200 ms apart, as for CloudWatch Logs.
//! - EC2: a token bucket per API, account and Region; mutating actions such as CreateFlowLogs and
//!   DeleteFlowLogs refill at 5 tokens a second (EC2 API request throttling): 200 ms apart never empties it.
//! - CloudWatch: PutMetricAlarm is documented at 3 TPS per account and Region (CloudWatch service quotas,
//!   CW-7): 400 ms apart. PutMetricFilter is a CloudWatch Logs call (5 TPS, CWL-12): the logs interval.
//! - SNS: CreateTopic and SetTopicAttributes are far above this (SNS-5): 200 ms apart, as for the others.

use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The services whose writes an account paces, each on its own interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Service {
    CloudTrail,
    Logs,
    Iam,
    Ec2,
    /// PutMetricAlarm.
    CloudWatch,
    /// CreateTopic, SetTopicAttributes.
    Sns,
}

/// The least time between two mutating calls to each service in one account (CloudTrail's is
/// `ApplyOptions::mutation_interval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub logs: Duration,
    pub iam: Duration,
    pub ec2: Duration,
    pub cloudwatch: Duration,
    pub sns: Duration,
}

impl Default for Intervals {
    /// The quotas above.
    fn default() -> Self {
        Intervals {
            logs: Duration::from_millis(200),
            iam: Duration::from_millis(200),
            ec2: Duration::from_millis(200),
            cloudwatch: Duration::from_millis(400),
            sns: Duration::from_millis(200),
        }
    }
}

/// One account's pacing: the time of its last write to each service.
pub(super) struct Pacer<'a> {
    permits: &'a Semaphore,
    cloudtrail: Duration,
    intervals: Intervals,
    last: [Option<Instant>; 6],
}

impl<'a> Pacer<'a> {
    pub(super) fn new(permits: &'a Semaphore, cloudtrail: Duration, intervals: Intervals) -> Self {
        Pacer {
            permits,
            cloudtrail,
            intervals,
            last: [None; 6],
        }
    }

    /// A pacer with the same permits and intervals and no history: for the EC2 writes of another Region,
    /// whose request bucket is its own (EC2's throttling is per account and Region).
    pub(super) fn for_region(&self) -> Pacer<'a> {
        Pacer::new(self.permits, self.cloudtrail, self.intervals)
    }

    fn slot(&self, s: Service) -> (usize, Duration) {
        let i = &self.intervals;
        match s {
            Service::CloudTrail => (0, self.cloudtrail),
            Service::Logs => (1, i.logs),
            Service::Iam => (2, i.iam),
            Service::Ec2 => (3, i.ec2),
            Service::CloudWatch => (4, i.cloudwatch),
            Service::Sns => (5, i.sns),
        }
    }

    /// A mutating call to `service`, once its interval has passed since the last one, under a permit.
    pub(super) async fn call<T>(&mut self, service: Service, f: impl Future<Output = T>) -> T {
        let (slot, interval) = self.slot(service);
        if let Some(last) = self.last[slot] {
            tokio::time::sleep_until(last + interval).await;
        }
        let _permit = self.permits.acquire().await;
        self.last[slot] = Some(Instant::now());
        f.await
    }

    /// A read (GetBucketPolicy...): no pacing, but under a permit like every call.
    pub(super) async fn read<T>(&mut self, f: impl Future<Output = T>) -> T {
        let _permit = self.permits.acquire().await;
        f.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_service_keeps_its_own_interval() {
        let permits = Semaphore::new(1);
        let mut p = Pacer::new(&permits, Duration::from_secs(1), Intervals::default());
        let start = Instant::now();
        p.call(Service::CloudTrail, async {}).await;
        p.call(Service::Logs, async {}).await;
        p.call(Service::Logs, async {}).await;
        p.call(Service::Iam, async {}).await;
        assert_eq!(start.elapsed(), Duration::from_millis(200), "logs twice");
        p.call(Service::CloudTrail, async {}).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "CloudTrail's 1 TPS"
        );
    }
}
