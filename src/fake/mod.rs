//! An in-memory AWS behind the same traits (for tests and benchmarks): buckets with policies, trails per
//! account, an organization, and a latency per call. Unlike moto it enforces what AWS enforces and trailhub
//! relies on: CreateTrail fails with `InsufficientS3BucketPolicyException` when the bucket policy does not
//! let the trail write, and S3 refuses a policy over 20 KB.

mod alarms;
mod iam;
pub use iam::FakePolicy;
mod kms;
mod lifecycle;
mod logs;
mod org;
mod regions;
mod scps;
mod sqs;
mod trails;

pub use alarms::FakeAlarms;
pub use kms::FakeKey;
pub use regions::{DEFAULT_REGIONS, OPT_IN_REGIONS};
pub use sqs::QueueWorld;
pub use trails::{aws_default_selectors, fake_trail};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use crate::aws::Guard;
use crate::aws::{AwsError, Central, Listing, OrgAccount, OrgPage, Organization};
use crate::aws::{EventSelectors, ObservedTrail, TrailStatus};
use crate::config::{Access, ScopedAccount};
use crate::model::{BucketName, Region};
use crate::plan::policy::SIZE_LIMIT;

#[derive(Debug, Default)]
pub struct World {
    pub caller: String,
    pub region: String,
    pub buckets: BTreeMap<String, Option<String>>,
    /// bucket -> key -> last modified (seconds)
    pub objects: BTreeMap<String, BTreeMap<String, i64>>,
    /// account -> its StopLogging events, oldest first (LookupEvents answers newest first)
    pub stop_events: BTreeMap<String, Vec<crate::aws::StopEvent>>,
    /// account -> trails with their status
    pub trails: BTreeMap<String, Vec<(ObservedTrail, TrailStatus)>>,
    /// trail ARN -> its event selectors; a trail with no entry has AWS's default for a new trail (one basic
    /// selector: all management events, read and write)
    pub selectors: BTreeMap<String, EventSelectors>,
    pub org_accounts: Vec<OrgAccount>,
    /// bucket -> the guards that are on
    pub guards: BTreeMap<String, BTreeSet<Guard>>,
    /// DescribeOrganization's ID; None: not in an organization
    pub org_id: Option<String>,
    /// DescribeOrganization's management account; None: the caller. Its organization trails show in every
    /// account of the organization, which may read them only by ARN (CT-16).
    pub management_account: Option<String>,
    /// accounts whose AssumeRole is refused
    pub deny_assume: BTreeSet<String>,
    /// every call made, by operation name
    pub calls: BTreeMap<&'static str, usize>,
    /// every (account, operation) called: the account whose credentials made it (`trailhub permissions`'
    /// tests hold these to the printed policies)
    pub made: BTreeSet<(String, &'static str)>,
    /// account (`<account>@<region>` in another Region than the world's) -> log group name -> retention in
    /// days (None: never expire)
    pub log_groups: BTreeMap<String, BTreeMap<String, Option<u32>>>,
    /// account -> role name -> the role
    pub roles: BTreeMap<String, BTreeMap<String, FakeRole>>,
    /// policy ARN -> a customer managed policy (IAM, every account)
    pub managed_policies: BTreeMap<String, iam::FakePolicy>,
    /// account -> its VPCs in the region; an account with no entry has AWS's one default VPC, `vpc-<id>`
    pub vpcs: BTreeMap<String, Vec<String>>,
    /// (account, Region) -> its VPCs in another Region than the world's; none set: the default VPC
    /// `vpc-<id>-<region>`
    pub region_vpcs: BTreeMap<(String, String), Vec<String>>,
    /// The Regions of the world, each with whether it is opt-in; empty: the world's Region alone (see
    /// `use_every_region`)
    pub regions: Vec<(String, bool)>,
    /// (account, Region): opt-in Regions the account opted into
    pub opted_in: BTreeSet<(String, String)>,
    /// (account, Region): Regions an SCP closes for the account (EC2 answers UnauthorizedOperation)
    pub closed_regions: BTreeSet<(String, String)>,
    /// (account, Region): Regions whose EC2 reads fail for another reason (InternalError, after retries)
    pub broken_regions: BTreeSet<(String, String)>,
    /// account -> its flow logs (each with its Region)
    pub flow_logs: BTreeMap<String, Vec<crate::aws::ObservedFlowLog>>,
    /// How long a new role cannot be used by CloudTrail (IAM's eventual consistency).
    pub role_propagation: Duration,
    /// The bucket owner's trap: when the bucket's own account creates a flow log to it, AWS replaces the
    /// bucket policy with its own (the documentation: it "overwrites any existing policy").
    pub owner_flow_log_overwrites_policy: bool,
    /// For IDs (flow logs).
    pub next_id: u64,
    /// The members hold the printed policy's flow-log writes (VPC-9): DeleteFlowLogs of a flow log without
    /// trailhub's tag (`trailhub:managed` = `true`) is refused as IAM refuses it (UnauthorizedOperation).
    /// Off: the members hold an administrator role, which may delete any flow log.
    pub flow_log_deletes_need_tag: bool,
    /// (account, operation): calls that account's credentials may not make (AccessDenied), as an SCP or
    /// a permission boundary would refuse them. Checked by the CloudWatch Logs, IAM and EC2 writes.
    pub deny_calls: BTreeSet<(String, String)>,
    /// The organization's OUs: (parent ID, the OU); the root is [`FAKE_ROOT`].
    pub org_ous: Vec<(String, crate::aws::OuNode)>,
    /// account -> its parent OU; an account with no entry is right below the root.
    pub org_parent: BTreeMap<String, String>,
    /// key ARN -> the key (KMS in the central account)
    pub keys: BTreeMap<String, FakeKey>,
    /// alias name (`alias/...`) -> key ARN
    pub aliases: BTreeMap<String, String>,
    /// bucket -> its default encryption, once set beyond the guard (SSE-KMS)
    pub encryption: BTreeMap<String, crate::aws::BucketEncryption>,
    /// bucket -> its lifecycle rules
    pub lifecycle: BTreeMap<String, Vec<crate::aws::LifecycleRule>>,
    /// bucket -> its lifecycle configuration's `TransitionDefaultMinimumObjectSize` (S3-11)
    pub lifecycle_min_size: BTreeMap<String, String>,
    /// bucket -> its server access logging
    pub logging: BTreeMap<String, crate::aws::AccessLogging>,
    /// bucket -> its Region; a bucket with no entry is in the world's region
    pub bucket_regions: BTreeMap<String, String>,
    /// account -> the ID of another organization it is in (not the world's): its DescribeOrganization
    pub other_orgs: BTreeMap<String, String>,
    /// policy ID -> a resource control policy of the organization
    pub rcps: BTreeMap<String, crate::aws::OrgPolicy>,
    /// root, OU or account ID -> the IDs of the RCPs attached right there
    pub rcp_attachments: BTreeMap<String, Vec<String>>,
    /// The central queue of `[alarms] subscribe`, the members' topics and the central account's
    /// subscriptions (SQS, SNS)
    pub queue_world: QueueWorld,
    /// (account, Region) -> its metric filters, alarms and SNS topics (`[alarms]`)
    pub alarms: BTreeMap<(String, String), alarms::FakeAlarms>,
    /// policy ID -> a service control policy made in the organization (`FullAWSAccess` is not here: it is
    /// attached at every root, OU and account, as AWS attaches it)
    pub scps: BTreeMap<String, crate::aws::OrgPolicy>,
    /// root, OU or account ID -> the IDs of the SCPs attached right there besides `FullAWSAccess`
    pub scp_attachments: BTreeMap<String, Vec<String>>,
    /// The organization's resource-based delegation policy (DescribeResourcePolicy)
    pub delegation_policy: Option<String>,
}

impl World {
    /// Whether `account` is in the organization (the caller is, when there is one).
    pub fn in_org(&self, account: &str) -> bool {
        self.org_id.is_some()
            && (self.caller == account || self.org_accounts.iter().any(|a| a.id == account))
    }

    /// The Region of a bucket: where it was created, else the world's region.
    pub fn region_of(&self, bucket: &str) -> String {
        self.bucket_regions
            .get(bucket)
            .cloned()
            .unwrap_or_else(|| self.region.clone())
    }
}

/// An IAM role in the fake.
#[derive(Debug, Clone)]
pub struct FakeRole {
    pub trust: String,
    pub policies: BTreeMap<String, String>,
    pub created: tokio::time::Instant,
    /// The ARN of its permissions boundary.
    pub boundary: Option<String>,
}

/// The fake organization's root ID.
pub const FAKE_ROOT: &str = "r-fake";

/// The fake. Clones share one world.
#[derive(Clone)]
pub struct FakeAws {
    world: Arc<Mutex<World>>,
    latency: Duration,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    /// The account whose credentials call (a member's clone); None: the caller's.
    account: Option<String>,
}

impl FakeAws {
    pub fn new(caller: &str, region: &str, latency: Duration) -> Self {
        let world = World {
            caller: caller.to_owned(),
            region: region.to_owned(),
            ..World::default()
        };
        FakeAws {
            world: Arc::new(Mutex::new(world)),
            latency,
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
            account: None,
        }
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An organization `org_id` of these active accounts, each named `A<id>`, all right below the root.
    pub fn set_organization(&self, org_id: &str, ids: &[&str]) {
        let mut w = self.world();
        w.org_id = Some(org_id.to_owned());
        w.org_accounts = ids
            .iter()
            .map(|id| OrgAccount {
                id: (*id).to_owned(),
                name: format!("A{id}"),
                active: true,
            })
            .collect();
    }

    pub fn calls(&self, op: &str) -> usize {
        self.world().calls.get(op).copied().unwrap_or(0)
    }

    pub fn total_calls(&self) -> usize {
        self.world().calls.values().sum()
    }

    /// The most calls that were under way at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    async fn call(&self, op: &'static str) {
        {
            let mut w = self.world();
            *w.calls.entry(op).or_default() += 1;
            let account = self.account.clone().unwrap_or_else(|| w.caller.clone());
            w.made.insert((account, op));
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Central for FakeAws {
    type Member = FakeMember;

    async fn caller_account(&self) -> Result<String, AwsError> {
        self.call("GetCallerIdentity").await;
        Ok(self.world().caller.clone())
    }

    async fn list_org_accounts_page(&self, token: Option<String>) -> Result<OrgPage, AwsError> {
        // pages of 20, as AWS
        self.call("ListAccounts").await;
        let start: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
        let w = self.world();
        let accounts: Vec<OrgAccount> = w
            .org_accounts
            .iter()
            .skip(start)
            .take(20)
            .cloned()
            .collect();
        let end = start + accounts.len();
        Ok(OrgPage {
            accounts,
            next: (end < w.org_accounts.len()).then(|| end.to_string()),
        })
    }

    async fn list_roots(&self) -> Result<Vec<crate::aws::OuNode>, AwsError> {
        self.call("ListRoots").await;
        Ok(vec![crate::aws::OuNode {
            id: FAKE_ROOT.to_owned(),
            name: "Root".to_owned(),
        }])
    }

    async fn list_child_ous(&self, parent: &str) -> Result<Vec<crate::aws::OuNode>, AwsError> {
        self.call("ListOrganizationalUnitsForParent").await;
        let w = self.world();
        let known = parent == FAKE_ROOT || w.org_ous.iter().any(|(_, o)| o.id == parent);
        if !known {
            return Err(AwsError::new(
                "ListOrganizationalUnitsForParent",
                "ParentNotFoundException",
                "We can't find a root or OU with the ParentId that you specified.",
            ));
        }
        Ok(w.org_ous
            .iter()
            .filter(|(p, _)| p == parent)
            .map(|(_, o)| o.clone())
            .collect())
    }

    async fn list_accounts_for_parent(&self, parent: &str) -> Result<Vec<OrgAccount>, AwsError> {
        let accounts: Vec<OrgAccount> = {
            let w = self.world();
            w.org_accounts
                .iter()
                .filter(|a| w.org_parent.get(&a.id).map_or(FAKE_ROOT, String::as_str) == parent)
                .cloned()
                .collect()
        };
        // pages of 20, as AWS: one call each
        for _ in 0..accounts.len().div_ceil(20).max(1) {
            self.call("ListAccountsForParent").await;
        }
        Ok(accounts)
    }

    async fn bucket_exists(&self, bucket: &BucketName) -> Result<bool, AwsError> {
        self.call("HeadBucket").await;
        Ok(self.world().buckets.contains_key(bucket.as_str()))
    }

    async fn bucket_region(&self, bucket: &BucketName) -> Result<Option<String>, AwsError> {
        self.call("HeadBucket").await;
        let w = self.world();
        Ok(w.buckets
            .contains_key(bucket.as_str())
            .then(|| w.region_of(bucket.as_str())))
    }

    async fn create_bucket(&self, bucket: &BucketName, region: &Region) -> Result<(), AwsError> {
        self.call("CreateBucket").await;
        let mut w = self.world();
        if !w.buckets.contains_key(bucket.as_str()) {
            w.buckets.insert(bucket.to_string(), None);
            w.bucket_regions
                .insert(bucket.to_string(), region.to_string());
        }
        Ok(())
    }

    async fn bucket_guards(
        &self,
        bucket: &BucketName,
    ) -> Result<Vec<(Guard, Option<bool>)>, AwsError> {
        self.call("GetBucketGuards").await;
        let w = self.world();
        let on = w.guards.get(bucket.as_str());
        Ok(Guard::ALL
            .iter()
            .map(|g| (*g, Some(on.is_some_and(|s| s.contains(g)))))
            .collect())
    }

    async fn turn_on(&self, bucket: &BucketName, guards: &[Guard]) -> Result<(), AwsError> {
        for g in guards {
            self.call(match g {
                Guard::BlockPublicAccess => "PutPublicAccessBlock",
                Guard::Versioning => "PutBucketVersioning",
                Guard::DefaultEncryption => "PutBucketEncryption",
            })
            .await;
            self.world()
                .guards
                .entry(bucket.to_string())
                .or_default()
                .insert(*g);
        }
        Ok(())
    }

    async fn get_bucket_policy(&self, bucket: &BucketName) -> Result<Option<String>, AwsError> {
        self.call("GetBucketPolicy").await;
        match self.world().buckets.get(bucket.as_str()) {
            Some(p) => Ok(p.clone()),
            None => Err(AwsError::new(
                "GetBucketPolicy",
                "NoSuchBucket",
                "The specified bucket does not exist",
            )),
        }
    }

    async fn put_bucket_policy(&self, bucket: &BucketName, policy: &str) -> Result<(), AwsError> {
        self.call("PutBucketPolicy").await;
        if policy.len() > SIZE_LIMIT {
            return Err(AwsError::new(
                "PutBucketPolicy",
                "PolicyTooLarge",
                "Policy exceeds the maximum allowed document size.",
            ));
        }
        if serde_json::from_str::<serde_json::Value>(policy).is_err() {
            return Err(AwsError::new(
                "PutBucketPolicy",
                "MalformedPolicy",
                "Policies must be valid JSON",
            ));
        }
        match self.world().buckets.get_mut(bucket.as_str()) {
            Some(p) => {
                *p = Some(policy.to_owned());
                Ok(())
            }
            None => Err(AwsError::new(
                "PutBucketPolicy",
                "NoSuchBucket",
                "The specified bucket does not exist",
            )),
        }
    }

    async fn list_objects(
        &self,
        bucket: &BucketName,
        prefix: &str,
        delimited: bool,
    ) -> Result<Listing, AwsError> {
        let listing = {
            let w = self.world();
            let empty = BTreeMap::new();
            let objects = w.objects.get(bucket.as_str()).unwrap_or(&empty);
            let mut l = Listing::default();
            let mut from = prefix.to_owned();
            // like S3's CommonPrefixes: a folder is listed once, and the keys below it are skipped over
            while let Some((key, t)) = objects.range(from.clone()..).next() {
                if !key.starts_with(prefix) {
                    break;
                }
                let rest = &key[prefix.len()..];
                match rest.find('/').filter(|_| delimited) {
                    Some(i) => {
                        let folder = format!("{prefix}{}", &rest[..=i]);
                        from = format!("{folder}{}", char::MAX);
                        l.folders.push(folder);
                    }
                    None => {
                        l.objects.push((key.clone(), *t));
                        from = format!("{key}\0");
                    }
                }
            }
            l
        };
        // one call a page of 1,000 keys and folders, as S3
        let pages = (listing.folders.len() + listing.objects.len())
            .div_ceil(1000)
            .max(1);
        for _ in 0..pages {
            self.call("ListObjectsV2").await;
        }
        Ok(listing)
    }

    async fn organization(&self) -> Result<Option<Organization>, AwsError> {
        self.call("DescribeOrganization").await;
        let w = self.world();
        Ok(w.org_id.clone().map(|id| Organization {
            id,
            management_account: w
                .management_account
                .clone()
                .unwrap_or_else(|| w.caller.clone()),
        }))
    }

    async fn describe_account(&self, id: &str) -> Result<Option<OrgAccount>, AwsError> {
        self.call("DescribeAccount").await;
        let w = self.world();
        if w.org_id.is_none() {
            return Err(AwsError::new(
                "DescribeAccount",
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
            ));
        }
        Ok(w.org_accounts.iter().find(|a| a.id == id).cloned())
    }

    async fn parent_of(&self, child: &str) -> Result<String, AwsError> {
        self.fake_parent_of(child).await
    }

    async fn rcps_attached(&self, target: &str) -> Result<Vec<(String, String)>, AwsError> {
        self.fake_rcps_attached(target).await
    }

    async fn describe_policy(&self, id: &str) -> Result<crate::aws::OrgPolicy, AwsError> {
        self.fake_describe_policy(id).await
    }

    async fn member(&self, target: &ScopedAccount) -> Result<FakeMember, AwsError> {
        if let Access::AssumeRole { .. } = &target.access {
            self.call("AssumeRole").await;
            if self.world().deny_assume.contains(target.id.as_str()) {
                return Err(AwsError::new(
                    "AssumeRole",
                    "AccessDenied",
                    "not authorized to perform: sts:AssumeRole",
                ));
            }
        }
        Ok(FakeMember {
            aws: FakeAws {
                account: Some(target.id.to_string()),
                ..self.clone()
            },
            account: target.id.to_string(),
            logs_region: None,
        })
    }
}

/// One account's CloudTrail in the fake.
pub struct FakeMember {
    aws: FakeAws,
    account: String,
    /// The Region of its CloudWatch Logs calls when not the world's (`Logs::logs_in`).
    logs_region: Option<String>,
}

/// The key CloudTrail gives one of `account`'s log files written at `at` (seconds since the epoch) in
/// `region`: `[PREFIX/]AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_
/// <region>_<YYYYMMDD>T<HHMM>Z_<id>.json.gz`, for tests and benchmarks that seed deliveries.
pub fn log_file_key(
    prefix: Option<&str>,
    org_id: Option<&str>,
    account: &str,
    region: &str,
    at: i64,
) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let base = crate::plan::layout::log_prefix(prefix, org_id, account, "CloudTrail");
    let (y, m, d) = (t.year(), u8::from(t.month()), t.day());
    format!(
        "{base}{region}/{y:04}/{m:02}/{d:02}/{account}_CloudTrail_{region}_{y:04}{m:02}{d:02}T{:02}{:02}Z_{at:x}.json.gz",
        t.hour(),
        t.minute()
    )
}
