//! The real implementation of the `aws` traits with the AWS SDK for Rust (I/O). Each method is one SDK
//! call (or a page loop), one conversion of the answer, one conversion of the error.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use super::{AwsError, Central, Member, OrgAccount, OrgPage, emulator};
use crate::aws::Guard;
use crate::aws::{DesiredTrail, ObservedTrail, TrailStatus};
use crate::config::{Access, Target};
use crate::model::{BucketName, Region};

/// How to reach AWS: the standard credential chain, with these overrides.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    pub profile: Option<String>,
    pub region: Option<Region>,
    pub endpoint_url: Option<String>,
    pub max_attempts: u32,
}

/// Loads the SDK configuration: env, profiles, SSO; `AWS_ENDPOINT_URL` is honoured by the SDK itself.
pub async fn load_config(opts: &ClientOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(opts.max_attempts.max(1))
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(20)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(180))
                .build(),
        );
    if let Some(p) = &opts.profile {
        // an explicit --profile wins over AWS_ACCESS_KEY_ID in the environment, which the default chain reads first
        let creds = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_name(p)
            .build();
        loader = loader.profile_name(p).credentials_provider(creds);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(aws_config::Region::new(r.to_string()));
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    loader.load().await
}

fn aws_err<E>(operation: &'static str, e: aws_sdk_s3::error::SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::SdkError;
    if let (Some(code), message) = (e.code(), e.message()) {
        return AwsError::new(operation, code, message.unwrap_or_default());
    }
    let message = chain_message(&e);
    let status = e.raw_response().map(|r| r.status().as_u16());
    let code = match &e {
        SdkError::ServiceError(_) if status == Some(403) => "Forbidden",
        SdkError::ServiceError(_) if status == Some(404) => "NotFound",
        SdkError::DispatchFailure(_) if message.contains("credential") => "NoCredentials",
        SdkError::TimeoutError(_) => "Timeout",
        SdkError::DispatchFailure(d) if d.is_timeout() => "Timeout",
        SdkError::DispatchFailure(_) => "NetworkError",
        SdkError::ResponseError(_) => "ResponseError",
        SdkError::ConstructionFailure(_) => "ConstructionFailure",
        _ => "UnknownError",
    };
    AwsError::new(operation, code, message)
}

/// The Display of an error and its sources, joined; the SDK's Debug dumps of raw responses are left out.
fn chain_message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if parts.last().is_none_or(|p| !p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// The central account's clients.
#[derive(Clone)]
pub struct SdkCentral {
    config: SdkConfig,
    sts: aws_sdk_sts::Client,
    s3: aws_sdk_s3::Client,
    orgs: aws_sdk_organizations::Client,
    expected_owner: Option<String>,
    page_size: Option<i32>,
}

/// The retry token bucket of every client: unlimited. The SDK's default (500 tokens, 5 a retry, shared by
/// every client of a service) runs dry after ~100 retries under sustained throttling across hundreds of
/// accounts, after which nothing is retried at all. Each call stays bounded by max_attempts and its timeouts.
fn retry_partition(service: &'static str) -> RetryPartition {
    RetryPartition::custom(service)
        .token_bucket(TokenBucket::unlimited())
        .build()
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
        }
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
        let accounts = page
            .accounts()
            .iter()
            .filter_map(|a| {
                let active = a.status().is_none_or(|s| s.as_str() == "ACTIVE");
                Some(OrgAccount {
                    id: a.id()?.to_owned(),
                    name: a.name().unwrap_or_default().to_owned(),
                    active,
                })
            })
            .collect();
        Ok(OrgPage {
            accounts,
            next: page.next_token.filter(|t| !t.is_empty()),
        })
    }

    async fn bucket_exists(&self, bucket: &BucketName) -> Result<bool, AwsError> {
        match self
            .s3
            .head_bucket()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => {
                let mut err = aws_err("HeadBucket", e);
                if err.code == "Forbidden" {
                    err.message = "S3 answered 403: the caller lacks s3:ListBucket on the bucket, or a bucket of that name belongs to another account (bucket names are global)".into();
                }
                Err(err)
            }
        }
    }

    async fn create_bucket(&self, bucket: &BucketName, region: &Region) -> Result<(), AwsError> {
        let location = (region.as_str() != "us-east-1").then(|| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build()
        });
        self.s3
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
            self.s3
                .get_public_access_block()
                .bucket(b)
                .set_expected_bucket_owner(owner.clone())
                .send(),
            self.s3
                .get_bucket_versioning()
                .bucket(b)
                .set_expected_bucket_owner(owner.clone())
                .send(),
            self.s3
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
            Err(e) => unknown("GetBucketVersioning", &aws_err("GetBucketVersioning", e)),
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
                    self.s3
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
                    self.s3
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
                    self.s3
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
        self.s3
            .put_bucket_policy()
            .bucket(bucket.as_str())
            .policy(policy)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await
            .map_err(|e| aws_err("PutBucketPolicy", e))?;
        Ok(())
    }

    async fn newest_object(
        &self,
        bucket: &BucketName,
        prefix: &str,
    ) -> Result<Option<i64>, AwsError> {
        let mut newest: Option<i64> = None;
        let mut token = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket.as_str())
                .prefix(prefix)
                .set_continuation_token(token)
                .set_expected_bucket_owner(self.expected_owner.clone())
                .send()
                .await
                .map_err(|e| aws_err("ListObjectsV2", e))?;
            for o in page.contents() {
                if let Some(t) = o.last_modified() {
                    newest = newest.max(Some(t.secs()));
                }
            }
            token = page
                .next_continuation_token
                .filter(|_| page.is_truncated == Some(true));
            if token.is_none() {
                return Ok(newest);
            }
        }
    }

    async fn organization_id(&self) -> Result<Option<String>, AwsError> {
        match self.orgs.describe_organization().send().await {
            Ok(out) => Ok(out.organization.and_then(|o| o.id)),
            Err(e) if e.code() == Some("AWSOrganizationsNotInUseException") => Ok(None),
            Err(e) => Err(aws_err("DescribeOrganization", e)),
        }
    }

    async fn member(&self, target: &Target) -> Result<SdkMember, AwsError> {
        let config = match &target.access {
            Access::Own => self.config.clone(),
            Access::AssumeRole {
                role_arn,
                external_id,
            } => {
                let session = RoleSession {
                    sts: self.sts.clone(),
                    role_arn: role_arn.to_string(),
                    external_id: external_id.clone(),
                    current: std::sync::Mutex::new(None),
                };
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
        })
    }
}

/// A member's role session (session name `trailhub`). The SDK's identity cache asks it for credentials
/// again shortly before they expire (1 hour after AssumeRole, the role's default); it then assumes the
/// role again, so a run that outlasts its first credentials (a plan left waiting at the confirmation
/// prompt, a very large organization) goes on instead of failing every account with `ExpiredToken`.
#[derive(Debug)]
struct RoleSession {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
    current: std::sync::Mutex<Option<Credentials>>,
}

/// Credentials this close to their expiry are replaced (the SDK's identity cache asks 10 s before it).
const REFRESH_BEFORE: Duration = Duration::from_secs(60);

impl RoleSession {
    fn still_fresh(&self, now: SystemTime) -> Option<Credentials> {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        match current.expiry() {
            Some(expiry) if expiry < now + REFRESH_BEFORE => None,
            _ => Some(current),
        }
    }

    async fn refresh(&self) -> Result<Credentials, AwsError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name("trailhub")
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| aws_err("AssumeRole", e))?;
        let c = out.credentials.ok_or_else(|| {
            AwsError::new(
                "AssumeRole",
                "NoCredentials",
                "the answer held no credentials",
            )
        })?;
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            SystemTime::try_from(*c.expiration()).ok(),
            "trailhub-assume-role",
        );
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(creds.clone());
        Ok(creds)
    }
}

impl ProvideCredentials for RoleSession {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            if let Some(c) = self.still_fresh(SystemTime::now()) {
                return Ok(c);
            }
            tracing::info!(role = %self.role_arn, "role session about to expire: assuming the role again");
            self.refresh()
                .await
                .map_err(|e| CredentialsError::provider_error(e.to_string()))
        })
    }
}

/// CloudTrail in one account.
#[derive(Clone)]
pub struct SdkMember {
    trail: aws_sdk_cloudtrail::Client,
}

#[async_trait]
impl Member for SdkMember {
    async fn describe_trails(&self) -> Result<Vec<ObservedTrail>, AwsError> {
        let out = self
            .trail
            .describe_trails()
            .send()
            .await
            .map_err(|e| aws_err("DescribeTrails", e))?;
        Ok(out
            .trail_list()
            .iter()
            .map(|t| ObservedTrail {
                name: t.name().unwrap_or_default().to_owned(),
                arn: t.trail_arn().unwrap_or_default().to_owned(),
                home_region: t.home_region().map(str::to_owned),
                bucket: t.s3_bucket_name().map(str::to_owned),
                key_prefix: t.s3_key_prefix().map(str::to_owned),
                multi_region: t.is_multi_region_trail().unwrap_or(false),
                global_events: t.include_global_service_events().unwrap_or(false),
                log_validation: t.log_file_validation_enabled().unwrap_or(false),
                organization_trail: t.is_organization_trail().unwrap_or(false),
            })
            .collect())
    }

    async fn trail_status(&self, name: &str) -> Result<TrailStatus, AwsError> {
        let out = self
            .trail
            .get_trail_status()
            .name(name)
            .send()
            .await
            .map_err(|e| aws_err("GetTrailStatus", e))?;
        Ok(TrailStatus {
            is_logging: out.is_logging().unwrap_or(false),
            latest_delivery_time: out.latest_delivery_time().map(|t| t.secs()),
            latest_delivery_error: out
                .latest_delivery_error()
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
            start_logging_time: out.start_logging_time().map(|t| t.secs()),
        })
    }

    async fn create_trail(&self, t: &DesiredTrail) -> Result<(), AwsError> {
        self.trail
            .create_trail()
            .name(t.name.as_str())
            .s3_bucket_name(t.bucket.as_str())
            .set_s3_key_prefix(t.key_prefix.as_ref().map(ToString::to_string))
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true)
            .send()
            .await
            .map_err(|e| aws_err("CreateTrail", e))?;
        Ok(())
    }

    async fn update_trail(&self, t: &DesiredTrail) -> Result<(), AwsError> {
        self.trail
            .update_trail()
            .name(t.name.as_str())
            .s3_bucket_name(t.bucket.as_str())
            // an empty prefix clears one the trail had
            .s3_key_prefix(
                t.key_prefix
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true)
            .send()
            .await
            .map_err(|e| aws_err("UpdateTrail", e))?;
        Ok(())
    }

    async fn start_logging(&self, name: &str) -> Result<(), AwsError> {
        // by name, not ARN (see aws::emulator)
        self.trail
            .start_logging()
            .name(name)
            .send()
            .await
            .map_err(|e| aws_err("StartLogging", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expiry: Option<SystemTime>) -> RoleSession {
        // never called: these tests only ask whether the credentials in hand are still good
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                .region(aws_sdk_sts::config::Region::new("us-east-1"))
                .build(),
        );
        RoleSession {
            sts,
            role_arn: "arn:aws:iam::222222222222:role/R".into(),
            external_id: None,
            current: std::sync::Mutex::new(
                expiry.map(|e| Credentials::new("AKID", "SECRET", None, Some(e), "test")),
            ),
        }
    }

    #[test]
    fn a_role_session_is_assumed_again_shortly_before_it_expires() {
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        assert!(session(Some(now + hour)).still_fresh(now).is_some());
        assert!(
            session(Some(now + REFRESH_BEFORE + Duration::from_secs(5)))
                .still_fresh(now)
                .is_some()
        );
        // within the last minute, or past: assume again
        assert!(
            session(Some(now + Duration::from_secs(30)))
                .still_fresh(now)
                .is_none()
        );
        assert!(session(Some(now - hour)).still_fresh(now).is_none());
        // nothing assumed yet
        assert!(session(None).still_fresh(now).is_none());
    }
}
