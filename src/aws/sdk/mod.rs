//! The real implementation of the `aws` traits with the AWS SDK for Rust (I/O): the central account's
//! clients (`central`), a member's CloudTrail (`member`) reached through a renewing role session
//! (`session`). Each method is one SDK call (or a page loop), one conversion of the answer, one conversion of
//! the error, made here once ([`aws_err`]).

mod bucket_settings;
mod central;
mod central_sns;
mod cloudwatch;
mod ec2;
mod iam;
mod kms;
mod logs;
mod member;
mod organizations;
mod selectors;
mod session;
mod sns;
mod sqs;

pub use central::SdkCentral;
pub use member::SdkMember;

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use super::AwsError;
use crate::model::Region;

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

pub(crate) fn aws_err<E>(
    operation: &'static str,
    e: aws_sdk_s3::error::SdkError<E, HttpResponse>,
) -> AwsError
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

/// The retry token bucket of every client: unlimited. The SDK's default (500 tokens, 5 a retry, shared by
/// every client of a service) runs dry after ~100 retries under sustained throttling across hundreds of
/// accounts, after which nothing is retried at all. Each call stays bounded by max_attempts and its timeouts.
pub(crate) fn retry_partition(service: &'static str) -> RetryPartition {
    RetryPartition::custom(service)
        .token_bucket(TokenBucket::unlimited())
        .build()
}
