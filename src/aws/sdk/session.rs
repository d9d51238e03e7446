//! A member's role session (I/O): AssumeRole, renewed shortly before the credentials expire.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};

use super::aws_err;
use crate::aws::AwsError;

/// A member's role session. The SDK's identity cache asks it for credentials again shortly before they
/// expire (1 hour after AssumeRole, the role's default); it then assumes the role again, so a run that
/// outlasts its first credentials (a plan left waiting at the confirmation prompt, a very large
/// organization) goes on instead of failing every account with `ExpiredToken`. Its session name names who
/// ran trailhub ([`session_name`]), so the member's own CloudTrail shows it.
#[derive(Debug)]
pub(super) struct RoleSession {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
    session_name: String,
    current: std::sync::Mutex<Option<Credentials>>,
}

/// The role session name for a caller: `trailhub-<who>`, where `<who>` is the last part of the caller's ARN
/// (an IAM user's name, or the session name of an assumed role such as an SSO user's e-mail), kept to the
/// characters and the 64 characters AWS allows in a session name (`[\w+=,.@-]`). `trailhub` alone when the
/// caller is not known.
pub(super) fn session_name(caller_arn: Option<&str>) -> String {
    let who: String = caller_arn
        .and_then(|a| a.rsplit(['/', ':']).next())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .collect();
    if who.is_empty() {
        return "trailhub".to_owned();
    }
    let mut name = format!("trailhub-{who}");
    name.truncate(64);
    name
}

/// Credentials this close to their expiry are replaced (the SDK's identity cache asks 10 s before it).
const REFRESH_BEFORE: Duration = Duration::from_secs(60);

impl RoleSession {
    pub(super) fn new(
        sts: aws_sdk_sts::Client,
        role_arn: String,
        external_id: Option<String>,
        session_name: String,
    ) -> Self {
        RoleSession {
            sts,
            role_arn,
            external_id,
            session_name,
            current: std::sync::Mutex::new(None),
        }
    }

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

    pub(super) async fn refresh(&self) -> Result<Credentials, AwsError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
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
            session_name: "trailhub".into(),
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

    #[test]
    fn the_session_names_who_ran_trailhub() {
        let sso =
            "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com";
        assert_eq!(session_name(Some(sso)), "trailhub-alice@example.com");
        assert_eq!(
            session_name(Some("arn:aws:iam::111111111111:user/ops/bob")),
            "trailhub-bob"
        );
        assert_eq!(
            session_name(Some("arn:aws:iam::111111111111:root")),
            "trailhub-root"
        );
        assert_eq!(session_name(None), "trailhub");
        assert_eq!(session_name(Some("arn:aws:iam::1:user/%%%")), "trailhub");
        let long = format!("arn:aws:iam::1:user/{}", "x".repeat(100));
        assert_eq!(session_name(Some(&long)).len(), 64);
    }
}
