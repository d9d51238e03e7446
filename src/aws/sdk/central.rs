//! The central (SEC) account through the SDK (I/O): STS, Organizations and the central bucket in S3.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::head_bucket::{HeadBucketError, HeadBucketOutput};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};

use super::session::{RoleSession, session_name};
use super::{SdkMember, aws_err, organizations, retry_partition};
use crate::aws::{
    AwsError, Central, Guard, Listing, OrgAccount, OrgPage, OrgPolicy, Organization, OuNode,
    emulator,
};
use crate::model::{BucketName, Region};
use crate::world::{Access, ScopedAccount};

/// The central account's clients.
#[derive(Clone)]
pub struct SdkCentral {
    config: SdkConfig,
    sts: aws_sdk_sts::Client,
    s3: aws_sdk_s3::Client,
    pub(super) orgs: aws_sdk_organizations::Client,
    pub(super) expected_owner: Option<String>,
    page_size: Option<i32>,
    /// The caller's ARN, from GetCallerIdentity: member role sessions are named after it.
    caller_arn: std::sync::OnceLock<String>,
    /// An S3 client for the bucket's own region, once HeadBucket has said it is not the trails' region
    /// (CloudTrail delivers to a bucket in any region of the partition; S3 answers only in the bucket's).
    bucket_s3: std::sync::Arc<std::sync::OnceLock<aws_sdk_s3::Client>>,
    /// KMS in the bucket's region, where the CloudTrail key must be (KMS-3); set by [`Self::set_key_region`].
    kms: std::sync::Arc<std::sync::OnceLock<aws_sdk_kms::Client>>,
}

impl SdkCentral {
    pub fn new(config: SdkConfig) -> Self {
        let s3 = s3_client(&config);
        SdkCentral {
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-sts"))
                    .build(),
            ),
            orgs: aws_sdk_organizations::Client::from_conf(
                aws_sdk_organizations::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-organizations"))
                    .build(),
            ),
            s3,
            config,
            expected_owner: None,
            page_size: None,
            caller_arn: std::sync::OnceLock::new(),
            bucket_s3: Default::default(),
            kms: Default::default(),
        }
    }

    /// KMS calls go to `region` (the bucket's, where the key is).
    pub fn set_key_region(&self, region: &Region) {
        let config = self
            .config
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        let client = aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::config::Builder::from(&config)
                .retry_partition(retry_partition("trailhub-kms"))
                .build(),
        );
        let _ = self.kms.set(client);
    }

    /// The KMS client: in the bucket's region once set, else in the trails' region.
    pub(super) fn kms(&self) -> &aws_sdk_kms::Client {
        self.kms.get_or_init(|| {
            aws_sdk_kms::Client::from_conf(
                aws_sdk_kms::config::Builder::from(&self.config)
                    .retry_partition(retry_partition("trailhub-kms"))
                    .build(),
            )
        })
    }

    /// The SDK configuration with calls going to `region` (the queue's, a topic's).
    pub(super) fn config_in(&self, region: &str) -> SdkConfig {
        self.config
            .to_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .build()
    }

    /// The bucket lives in `region` (`central.bucket_region`): talk to it there from the first call.
    pub fn set_bucket_region(&self, bucket: &BucketName, region: &Region) {
        self.talk_to_bucket_in(bucket, region.as_str());
    }

    /// The S3 client for the central bucket: in the bucket's region once it is known to differ.
    pub(super) fn s3(&self) -> &aws_sdk_s3::Client {
        self.bucket_s3.get().unwrap_or(&self.s3)
    }

    /// Talks to the bucket in `region` from now on, when that is not the region of the client in use. True when
    /// the client changed.
    fn talk_to_bucket_in(&self, bucket: &BucketName, region: &str) -> bool {
        let in_use = self.s3().config().region().map(|r| r.as_ref().to_owned());
        if in_use.as_deref() == Some(region) || self.bucket_s3.get().is_some() {
            return false;
        }
        tracing::info!(bucket = %bucket, region, "the bucket is in another region than the trails: talking to it there");
        let config = self
            .config
            .to_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        self.bucket_s3.set(s3_client(&config)).is_ok()
    }

    /// Bucket calls will carry ExpectedBucketOwner, so a bucket of the same name in another account is refused.
    pub fn expect_bucket_owner(&mut self, account: &str) {
        self.expected_owner = Some(account.to_owned());
    }

    /// ListAccounts page size (AWS returns at most 20; tests force small pages).
    pub fn set_page_size(&mut self, n: Option<i32>) {
        self.page_size = n;
    }
}

fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let path_style = emulator::s3_path_style(config.endpoint_url().is_some());
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(path_style)
            .retry_partition(retry_partition("trailhub-s3"))
            .build(),
    )
}

/// An Organizations account in plain values. State (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED,
/// PENDING_ACTIVATION) replaces Status, which AWS retired in September 2026 and no longer sends; Status only
/// when State is absent (ORG-2).
fn org_account(a: &aws_sdk_organizations::types::Account) -> Option<OrgAccount> {
    let active = match a.state() {
        Some(state) => state.as_str() == "ACTIVE",
        None => a.status().is_none_or(|s| s.as_str() == "ACTIVE"),
    };
    Some(OrgAccount {
        id: a.id()?.to_owned(),
        name: a.name().unwrap_or_default().to_owned(),
        active,
    })
}

#[async_trait]
impl Central for SdkCentral {
    type Member = SdkMember;

    async fn caller_account(&self) -> Result<String, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| aws_err("GetCallerIdentity", e))?;
        if let Some(arn) = &out.arn {
            let _ = self.caller_arn.set(arn.clone());
        }
        out.account.ok_or_else(|| {
            AwsError::new(
                "GetCallerIdentity",
                "NoAccount",
                "the answer named no account",
            )
        })
    }

    async fn list_org_accounts_page(&self, token: Option<String>) -> Result<OrgPage, AwsError> {
        let page = self
            .orgs
            .list_accounts()
            .set_max_results(self.page_size)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| aws_err("ListAccounts", e))?;
        let accounts = page.accounts().iter().filter_map(org_account).collect();
        Ok(OrgPage {
            accounts,
            next: page.next_token.filter(|t| !t.is_empty()),
        })
    }

    async fn list_roots(&self) -> Result<Vec<OuNode>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .orgs
                .list_roots()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_err("ListRoots", e))?;
            out.extend(page.roots().iter().filter_map(|r| {
                Some(OuNode {
                    id: r.id()?.to_owned(),
                    name: r.name().unwrap_or("Root").to_owned(),
                })
            }));
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn list_child_ous(&self, parent: &str) -> Result<Vec<OuNode>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .orgs
                .list_organizational_units_for_parent()
                .parent_id(parent)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_err("ListOrganizationalUnitsForParent", e))?;
            out.extend(page.organizational_units().iter().filter_map(|o| {
                Some(OuNode {
                    id: o.id()?.to_owned(),
                    name: o.name().unwrap_or_default().to_owned(),
                })
            }));
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn list_accounts_for_parent(&self, parent: &str) -> Result<Vec<OrgAccount>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .orgs
                .list_accounts_for_parent()
                .parent_id(parent)
                .set_max_results(self.page_size)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_err("ListAccountsForParent", e))?;
            out.extend(page.accounts().iter().filter_map(org_account));
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn bucket_exists(&self, bucket: &BucketName) -> Result<bool, AwsError> {
        // at most twice: once more after learning that the bucket lives in another region
        for _ in 0..2 {
            let (head, region) = head_bucket(self.s3(), bucket, &self.expected_owner).await;
            let moved = region.is_some_and(|r| self.talk_to_bucket_in(bucket, &r));
            match head {
                Ok(_) => return Ok(true),
                Err(_) if moved => continue,
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
                    return Ok(false);
                }
                Err(e) => {
                    let mut err = aws_err("HeadBucket", e);
                    if err.code == "Forbidden" {
                        err.message = "S3 answered 403: the caller lacks s3:ListBucket on the bucket, or a bucket of that name belongs to another account (bucket names are global)".into();
                    }
                    return Err(err);
                }
            }
        }
        Err(AwsError::new(
            "HeadBucket",
            "PermanentRedirect",
            "S3 keeps redirecting to another region",
        ))
    }

    async fn bucket_region(&self, bucket: &BucketName) -> Result<Option<String>, AwsError> {
        let mut client = self.s3.clone();
        // at most twice: once more in the Region S3 names when asked in another
        for _ in 0..2 {
            let asked_in = client.config().region().map(|r| r.as_ref().to_owned());
            let (head, region) = head_bucket(&client, bucket, &self.expected_owner).await;
            match head {
                Ok(_) => return Ok(region.or(asked_in)),
                Err(_) if region.is_some() && region != asked_in => {
                    let config = self
                        .config
                        .to_builder()
                        .region(region.map(aws_config::Region::new))
                        .build();
                    client = s3_client(&config);
                }
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
                    return Ok(None);
                }
                Err(e) => return Err(aws_err("HeadBucket", e)),
            }
        }
        Err(AwsError::new(
            "HeadBucket",
            "PermanentRedirect",
            "S3 keeps redirecting to another region",
        ))
    }

    async fn create_bucket(&self, bucket: &BucketName, region: &Region) -> Result<(), AwsError> {
        let location = (region.as_str() != "us-east-1").then(|| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build()
        });
        self.s3()
            .create_bucket()
            .bucket(bucket.as_str())
            .set_create_bucket_configuration(location)
            .send()
            .await
            .map_err(|e| aws_err("CreateBucket", e))?;
        Ok(())
    }

    async fn bucket_guards(
        &self,
        bucket: &BucketName,
    ) -> Result<Vec<(Guard, Option<bool>)>, AwsError> {
        let b = bucket.as_str();
        let owner = self.expected_owner.clone();
        let (pab, versioning, encryption) = tokio::join!(
            self.s3()
                .get_public_access_block()
                .bucket(b)
                .set_expected_bucket_owner(owner.clone())
                .send(),
            self.s3()
                .get_bucket_versioning()
                .bucket(b)
                .set_expected_bucket_owner(owner.clone())
                .send(),
            self.s3()
                .get_bucket_encryption()
                .bucket(b)
                .set_expected_bucket_owner(owner)
                .send(),
        );
        // An answer that cannot be read (an emulator's, or a permission the caller lacks) is "unknown":
        // trailhub then leaves that guard alone rather than guess.
        let unknown = |op: &str, e: &dyn std::fmt::Display| {
            tracing::info!(bucket = b, "{op}: cannot tell ({e}); leaving it as it is");
            None
        };
        let pab = match pab {
            Ok(out) => Some(out.public_access_block_configuration.is_some_and(|c| {
                [
                    c.block_public_acls,
                    c.ignore_public_acls,
                    c.block_public_policy,
                    c.restrict_public_buckets,
                ]
                .iter()
                .all(|f| *f == Some(true))
            })),
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Some(false),
            Err(e) => unknown("GetPublicAccessBlock", &aws_err("GetPublicAccessBlock", e)),
        };
        let versioning = match versioning {
            Ok(out) => Some(out.status == Some(BucketVersioningStatus::Enabled)),
            Err(e) => {
                // moto's answer, which the SDK cannot read (S3-15), is read here
                let moto = e.raw_response().and_then(|r| r.body().bytes());
                moto.and_then(emulator::moto_versioning)
                    .or_else(|| unknown("GetBucketVersioning", &aws_err("GetBucketVersioning", e)))
            }
        };
        let encryption = match encryption {
            Ok(out) => Some(
                out.server_side_encryption_configuration
                    .is_some_and(|c| !c.rules.is_empty()),
            ),
            Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {
                Some(false)
            }
            Err(e) => unknown("GetBucketEncryption", &aws_err("GetBucketEncryption", e)),
        };
        Ok(vec![
            (Guard::BlockPublicAccess, pab),
            (Guard::Versioning, versioning),
            (Guard::DefaultEncryption, encryption),
        ])
    }

    async fn turn_on(&self, bucket: &BucketName, guards: &[Guard]) -> Result<(), AwsError> {
        let b = bucket.as_str();
        for g in guards {
            match g {
                Guard::BlockPublicAccess => {
                    let block = PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build();
                    self.s3()
                        .put_public_access_block()
                        .bucket(b)
                        .public_access_block_configuration(block)
                        .send()
                        .await
                        .map_err(|e| aws_err("PutPublicAccessBlock", e))?;
                }
                Guard::Versioning => {
                    let on = VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build();
                    self.s3()
                        .put_bucket_versioning()
                        .bucket(b)
                        .versioning_configuration(on)
                        .send()
                        .await
                        .map_err(|e| aws_err("PutBucketVersioning", e))?;
                }
                Guard::DefaultEncryption => {
                    let construction = |e: aws_sdk_s3::error::BuildError| {
                        AwsError::new("PutBucketEncryption", "ConstructionFailure", e.to_string())
                    };
                    let by_default = ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::Aes256)
                        .build()
                        .map_err(construction)?;
                    let sse = ServerSideEncryptionConfiguration::builder()
                        .rules(
                            ServerSideEncryptionRule::builder()
                                .apply_server_side_encryption_by_default(by_default)
                                .build(),
                        )
                        .build()
                        .map_err(construction)?;
                    self.s3()
                        .put_bucket_encryption()
                        .bucket(b)
                        .server_side_encryption_configuration(sse)
                        .send()
                        .await
                        .map_err(|e| aws_err("PutBucketEncryption", e))?;
                }
            }
        }
        Ok(())
    }

    async fn get_bucket_policy(&self, bucket: &BucketName) -> Result<Option<String>, AwsError> {
        match self
            .s3
            .get_bucket_policy()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await
        {
            Ok(out) => Ok(out.policy),
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => Ok(None),
            Err(e) => Err(aws_err("GetBucketPolicy", e)),
        }
    }

    async fn put_bucket_policy(&self, bucket: &BucketName, policy: &str) -> Result<(), AwsError> {
        self.s3()
            .put_bucket_policy()
            .bucket(bucket.as_str())
            .policy(policy)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await
            .map_err(|e| aws_err("PutBucketPolicy", e))?;
        Ok(())
    }

    async fn list_objects(
        &self,
        bucket: &BucketName,
        prefix: &str,
        delimited: bool,
    ) -> Result<Listing, AwsError> {
        let mut listing = Listing::default();
        let mut token = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket.as_str())
                .prefix(prefix)
                .set_delimiter(delimited.then(|| "/".to_owned()))
                .set_continuation_token(token)
                .set_expected_bucket_owner(self.expected_owner.clone())
                .send()
                .await
                .map_err(|e| aws_err("ListObjectsV2", e))?;
            listing.folders.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            );
            listing.objects.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| Some((o.key()?.to_owned(), o.last_modified()?.secs()))),
            );
            token = page
                .next_continuation_token
                .filter(|_| page.is_truncated == Some(true));
            if token.is_none() {
                return Ok(listing);
            }
        }
    }

    async fn organization(&self) -> Result<Option<Organization>, AwsError> {
        match self.orgs.describe_organization().send().await {
            Ok(out) => Ok(out.organization.and_then(|o| {
                Some(Organization {
                    id: o.id?,
                    management_account: o.master_account_id.unwrap_or_default(),
                })
            })),
            Err(e) if e.code() == Some("AWSOrganizationsNotInUseException") => Ok(None),
            Err(e) => Err(aws_err("DescribeOrganization", e)),
        }
    }

    async fn describe_account(&self, id: &str) -> Result<Option<OrgAccount>, AwsError> {
        match self.orgs.describe_account().account_id(id).send().await {
            Ok(out) => Ok(out.account.as_ref().and_then(org_account)),
            Err(e) if e.code() == Some("AccountNotFoundException") => Ok(None),
            Err(e) => Err(aws_err("DescribeAccount", e)),
        }
    }

    async fn parent_of(&self, child: &str) -> Result<String, AwsError> {
        organizations::parent_of(&self.orgs, child).await
    }

    async fn rcps_attached(&self, target: &str) -> Result<Vec<(String, String)>, AwsError> {
        organizations::rcps_attached(&self.orgs, target).await
    }

    async fn describe_policy(&self, id: &str) -> Result<OrgPolicy, AwsError> {
        organizations::describe_policy(&self.orgs, id).await
    }

    async fn member(&self, target: &ScopedAccount) -> Result<SdkMember, AwsError> {
        let config = match &target.access {
            Access::Own => self.config.clone(),
            Access::AssumeRole {
                role_arn,
                external_id,
            } => {
                let session = RoleSession::new(
                    self.sts.clone(),
                    role_arn.to_string(),
                    external_id.clone(),
                    session_name(self.caller_arn.get().map(String::as_str)),
                );
                // assumed now, so that a role that cannot be assumed is this account's error, not a
                // credentials failure inside its first CloudTrail call
                session.refresh().await?;
                self.config
                    .to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(session))
                    .build()
            }
        };
        Ok(SdkMember {
            trail: aws_sdk_cloudtrail::Client::from_conf(
                aws_sdk_cloudtrail::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-cloudtrail"))
                    .build(),
            ),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-logs"))
                    .build(),
            ),
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-iam"))
                    .build(),
            ),
            ec2: aws_sdk_ec2::Client::from_conf(
                aws_sdk_ec2::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-ec2"))
                    .build(),
            ),
            regional: Default::default(),
            orgs: aws_sdk_organizations::Client::from_conf(
                aws_sdk_organizations::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-organizations"))
                    .build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-cloudwatch"))
                    .build(),
            ),
            sns: aws_sdk_sns::Client::from_conf(
                aws_sdk_sns::config::Builder::from(&config)
                    .retry_partition(retry_partition("trailhub-sns"))
                    .build(),
            ),
        })
    }
}

/// HeadBucket, and the Region S3 names for the bucket: in its answer, or in the `x-amz-bucket-region`
/// header of its refusal (a redirect, or a 403 for a bucket of another Region).
async fn head_bucket(
    client: &aws_sdk_s3::Client,
    bucket: &BucketName,
    owner: &Option<String>,
) -> (
    Result<HeadBucketOutput, SdkError<HeadBucketError, HttpResponse>>,
    Option<String>,
) {
    let head = client
        .head_bucket()
        .bucket(bucket.as_str())
        .set_expected_bucket_owner(owner.clone())
        .send()
        .await;
    let region = match &head {
        Ok(out) => out.bucket_region().map(str::to_owned),
        Err(e) => e
            .raw_response()
            .and_then(|r| r.headers().get("x-amz-bucket-region"))
            .map(str::to_owned),
    };
    (head, region)
}
