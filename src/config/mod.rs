//! `accounts.toml`: parsing and validation (pure apart from reading the file). Unknown keys, wrong
//! types and invalid values are errors that name the file, line and column, before any AWS call.

mod alarms;
mod boundary;
mod bucket;
mod guardrails;
mod logs;
mod ous;
mod policy_form;

pub use crate::world::{Access, FileFormat, S3Options, ScopedAccount};
pub use ous::check_ou_id;
pub use policy_form::{Form, PolicyForm};

pub use alarms::{Alarms, QueueArn, queue_arn};
pub use boundary::{BOUNDARY_POLICY_NAME, Boundary, document as boundary_document};
pub use bucket::{KEY_ALIAS, KmsKey, RETENTION_RANGE, check_alias};
pub use guardrails::{DEFAULT_POLICY_NAME as GUARDRAILS_POLICY_NAME, Guardrails};

pub use logs::{
    CloudWatch, DEFAULT_FORMAT, FlowDestination, FlowLogs, FlowRegions, RETENTION_DAYS,
    TrafficType, check_log_group_name, check_role_name, fill_log_group,
};

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::model::{
    AccountId, BucketName, KeyPrefix, Region, RoleArn, TrailName, fill_trail_template,
};

/// The default bound on calls under way at once (accounts worked on at once). 64, from BENCHMARKS.md
/// "Default concurrency": over the fake AWS at 50 ms a call, 1,000 accounts apply in 5.03 s at 64 against
/// 14.03 s at 16, and 256 gains little more (4.41 s; listing the organization, one page after the other, is
/// then the bound). Not higher because the AssumeRole calls, whose rate grows with it, count against the
/// central account's own STS request rate (shared with everything else that account runs), and each call
/// under way holds a connection; CloudTrail's quotas are per member account, so they do not limit this.
pub const DEFAULT_CONCURRENCY: usize = 64;
pub const MAX_CONCURRENCY: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid accounts file")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    #[default]
    Static,
    Organizations,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    central: RawCentral,
    members: Spanned<RawMembers>,
    #[serde(default, rename = "account")]
    accounts: Vec<Spanned<RawAccount>>,
    cloudwatch: Option<logs::RawCloudWatch>,
    flow_logs: Option<logs::RawFlowLogs>,
    alarms: Option<Spanned<alarms::RawAlarms>>,
    guardrails: Option<Spanned<guardrails::RawGuardrails>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCentral {
    account_id: Spanned<AccountId>,
    bucket: BucketName,
    region: Region,
    trail_name: Option<TrailName>,
    key_prefix: Option<KeyPrefix>,
    policy_form: Option<Spanned<PolicyForm>>,
    bucket_region: Option<Spanned<Region>>,
    kms_key: Option<Spanned<String>>,
    retention_days: Option<Spanned<i64>>,
    access_log_bucket: Option<Spanned<BucketName>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMembers {
    #[serde(default)]
    source: Source,
    role_name: Option<Spanned<String>>,
    trail_name: Spanned<String>,
    external_id: Option<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<AccountId>>,
    concurrency: Option<Spanned<usize>>,
    #[serde(default)]
    second_copy: SecondCopy,
    /// With `source = "organizations"`: only the accounts below these OUs (or roots).
    #[serde(default)]
    organizational_units: Vec<Spanned<String>>,
    /// ...and none below these.
    #[serde(default)]
    exclude_organizational_units: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    id: Spanned<AccountId>,
    name: Option<String>,
    role_arn: Option<Spanned<RoleArn>>,
    external_id: Option<Spanned<String>>,
    trail_name: Option<Spanned<String>>,
    /// `false` leaves this account out of `[cloudwatch]`.
    cloudwatch: Option<bool>,
    /// `false` leaves this account out of `[flow_logs]`.
    flow_logs: Option<bool>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub central: Central,
    pub members: Members,
    /// `[[account]]` entries, in file order (for `source = "static"`).
    pub accounts: Vec<StaticAccount>,
    /// `[cloudwatch]`: each trail also delivers to a log group in its account.
    pub cloudwatch: Option<CloudWatch>,
    /// `[flow_logs]`: every VPC of each account in `central.region` has flow logs.
    pub flow_logs: Option<FlowLogs>,
    /// `[alarms]`: the CIS monitoring controls on each account's trail log group (needs `[cloudwatch]`).
    pub alarms: Option<Alarms>,
    /// `[guardrails]`: the SCP trailhub owns protects what it makes (source = "organizations" only).
    pub guardrails: Option<Guardrails>,
}

#[derive(Debug, Clone)]
pub struct Central {
    pub account_id: AccountId,
    pub bucket: BucketName,
    pub region: Region,
    pub trail_name: Option<TrailName>,
    pub key_prefix: Option<KeyPrefix>,
    pub policy_form: PolicyForm,
    /// The bucket's own region, when it is not `region` (CloudTrail delivers to a bucket in any region of
    /// the partition). Without it, trailhub learns the region from HeadBucket.
    pub bucket_region: Option<Region>,
    /// `kms_key`: every trail in scope encrypts its log files with this key, and so does the bucket.
    pub kms_key: Option<KmsKey>,
    /// `retention_days`: log files are gone about this many days after delivery (plan::retention).
    pub retention_days: Option<u32>,
    /// `access_log_bucket`: the bucket's server access logs go to this bucket.
    pub access_log_bucket: Option<BucketName>,
}

impl Central {
    /// The bucket's region as configured: `bucket_region`, else `region`.
    pub fn bucket_home(&self) -> &Region {
        self.bucket_region.as_ref().unwrap_or(&self.region)
    }
}

#[derive(Debug, Clone)]
pub struct Members {
    pub source: Source,
    pub role_name: String,
    pub trail_template: String,
    pub external_id: Option<String>,
    pub exclude: BTreeSet<AccountId>,
    pub concurrency: usize,
    pub second_copy: SecondCopy,
    /// `organizational_units`: the OUs (or roots) whose accounts, at any depth, are in scope; empty: the
    /// whole organization, listed with ListAccounts.
    pub ous: Vec<String>,
    /// `exclude_organizational_units`: the OUs whose accounts, at any depth, are not.
    pub exclude_ous: Vec<String>,
    /// `--account` (not in the file): the run is limited to these accounts of the scope; None: all of them.
    pub only: Option<BTreeSet<AccountId>>,
}

impl Members {
    /// Whether the organization is listed by walking its OUs (and each account's OU path is known).
    pub fn walks_ous(&self) -> bool {
        !self.ous.is_empty() || !self.exclude_ous.is_empty()
    }

    /// Whether this run works on `id` (`--account`): every account of the scope without it.
    pub fn in_run(&self, id: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|a| a.as_str() == id))
    }
}

/// `[members] second_copy`: what to do in an account where another trail already logs management events
/// but delivers elsewhere (Control Tower's organization trail to its Log Archive bucket, say), so that
/// trailhub's trail would be a billed second copy of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SecondCopy {
    /// Create trailhub's trail all the same, and say so.
    #[default]
    Allow,
    /// Leave the account out: reported as blocked (exit 1).
    Refuse,
}

#[derive(Debug, Clone)]
pub struct StaticAccount {
    pub id: AccountId,
    pub name: String,
    pub role_arn: RoleArn,
    pub external_id: Option<String>,
    pub trail_name: TrailName,
    pub cloudwatch: bool,
    pub flow_logs: bool,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses and validates the text of an accounts file: every error names `path`, line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            unquoted_id(path, text, &e).unwrap_or_else(|| ConfigError::Parse {
                path: path.to_owned(),
                source: Box::new(e),
            })
        })?;
        let at = Locator { path, text };
        let policy_form_span = raw.central.policy_form.as_ref().map_or(0..0, |f| f.span());
        let central = central(&at, raw.central)?;
        let members_span = raw.members.span();
        let members = members(&at, &central, raw.members.into_inner())?;
        check_source(
            &at,
            &central,
            &members,
            &raw.accounts,
            members_span,
            policy_form_span,
        )?;
        let accounts = static_accounts(&at, &central, &members, raw.accounts)?;
        let bad = |(span, message): logs::Bad| at.at(span, message);
        let cloudwatch = raw
            .cloudwatch
            .map(logs::cloudwatch)
            .transpose()
            .map_err(bad)?;
        let flow_logs = raw
            .flow_logs
            .map(logs::flow_logs)
            .transpose()
            .map_err(bad)?;
        let alarms = read_alarms(&at, &central, cloudwatch.is_some(), raw.alarms)?;
        let organizations = members.source == Source::Organizations;
        let guardrails = raw
            .guardrails
            .map(|g| {
                let span = g.span();
                guardrails::guardrails(g.into_inner(), span, organizations)
            })
            .transpose()
            .map_err(bad)?;
        Ok(Config {
            path: path.to_owned(),
            central,
            members,
            accounts,
            cloudwatch,
            flow_logs,
            alarms,
            guardrails,
        })
    }

    /// The central account as a target, when it has a trail of its own to manage.
    pub fn central_target(&self) -> Option<ScopedAccount> {
        self.central
            .trail_name
            .clone()
            .filter(|_| self.members.in_run(self.central.account_id.as_str()))
            .map(|trail_name| ScopedAccount {
                id: self.central.account_id.clone(),
                name: "central".to_owned(),
                trail_name,
                access: Access::Own,
                is_central: true,
                cloudwatch: true,
                flow_logs: true,
                ou: None,
            })
    }

    /// The static members, as targets.
    pub fn static_targets(&self) -> Vec<ScopedAccount> {
        self.accounts
            .iter()
            .filter(|a| !self.members.exclude.contains(&a.id) && self.members.in_run(a.id.as_str()))
            .map(|a| ScopedAccount {
                id: a.id.clone(),
                name: a.name.clone(),
                trail_name: a.trail_name.clone(),
                access: Access::AssumeRole {
                    role_arn: a.role_arn.clone(),
                    external_id: a.external_id.clone(),
                },
                is_central: false,
                cloudwatch: a.cloudwatch,
                flow_logs: a.flow_logs,
                ou: None,
            })
            .collect()
    }

    /// A member found in AWS Organizations, as a target; fails when its name cannot make a valid trail name.
    pub fn org_target(&self, id: AccountId, name: String) -> Result<ScopedAccount, String> {
        let trail_name = fill_trail_template(&self.members.trail_template, &id, &name)?;
        let role_arn = RoleArn::new(
            self.central.region.partition(),
            &id,
            &self.members.role_name,
        )?;
        Ok(ScopedAccount {
            id,
            name,
            trail_name,
            access: Access::AssumeRole {
                role_arn,
                external_id: self.members.external_id.clone(),
            },
            is_central: false,
            cloudwatch: true,
            flow_logs: true,
            ou: None,
        })
    }
}

/// An account ID written without quotes that TOML cannot even read as a number (`id = 022222222222`: a
/// leading zero), told as such: "quote it", with the line and column of the digits. None for another error.
fn unquoted_id(path: &Path, text: &str, e: &toml::de::Error) -> Option<ConfigError> {
    let at = e.span()?.start;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let (_, value) = line.split_once('=')?;
    let digits = value
        .trim()
        .trim_start_matches('[')
        .split(|c: char| !c.is_ascii_digit())
        .find(|d| d.len() == 12 && d.starts_with('0'))?;
    let column = line.find(digits)? + 1;
    Some(ConfigError::Invalid {
        path: path.to_owned(),
        line: text[..line_start].matches('\n').count() + 1,
        column,
        message: format!(
            "{digits} is an account ID without quotes (TOML reads digits as a number, and a number cannot start with 0): quote it, as in \"{digits}\""
        ),
    })
}

/// `[alarms]`: only with `[cloudwatch]` (the metric filters are on the trail's log group).
fn read_alarms(
    at: &Locator,
    central: &Central,
    cloudwatch: bool,
    raw: Option<Spanned<alarms::RawAlarms>>,
) -> Result<Option<Alarms>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let span = raw.span();
    if !cloudwatch {
        let why = "[alarms] needs [cloudwatch]: the CIS metric filters and alarms are on the log group each trail delivers to; add a [cloudwatch] section";
        return Err(at.at(span, why.to_owned()));
    }
    let partition = central.region.partition();
    alarms::alarms(raw.into_inner(), partition, &central.account_id)
        .map(Some)
        .map_err(|(span, message)| at.at(span, message))
}

/// Turns a place in the accounts file into an error that names the file, line and column.
struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    fn at(&self, span: Range<usize>, message: String) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line,
            column,
            message,
        }
    }
}

/// `[central]`: its values are checked by their types while parsing.
fn central(at: &Locator, raw: RawCentral) -> Result<Central, ConfigError> {
    if let Some(b) = &raw.bucket_region
        && b.get_ref().partition() != raw.region.partition()
    {
        return Err(at.at(
            b.span(),
            format!(
                "bucket_region {} is not in the partition of region {} ({}): CloudTrail delivers only within a partition",
                b.get_ref(),
                raw.region,
                raw.region.partition()
            ),
        ));
    }
    let account_id = raw.account_id.into_inner();
    let bucket_home = raw
        .bucket_region
        .as_ref()
        .map_or(&raw.region, |b| b.get_ref());
    let kms_key = raw
        .kms_key
        .map(|k| {
            bucket::kms_key(k.get_ref().trim(), &account_id, bucket_home)
                .map_err(|m| at.at(k.span(), m))
        })
        .transpose()?;
    let retention_days = raw
        .retention_days
        .map(|d| bucket::retention_days(*d.get_ref()).map_err(|m| at.at(d.span(), m)))
        .transpose()?;
    let access_log_bucket = raw
        .access_log_bucket
        .map(|b| {
            let span = b.span();
            bucket::access_log_bucket(b.into_inner(), &raw.bucket).map_err(|m| at.at(span, m))
        })
        .transpose()?;
    Ok(Central {
        account_id,
        kms_key,
        retention_days,
        access_log_bucket,
        bucket: raw.bucket,
        region: raw.region,
        trail_name: raw.trail_name,
        key_prefix: raw.key_prefix,
        policy_form: raw.policy_form.map(Spanned::into_inner).unwrap_or_default(),
        bucket_region: raw.bucket_region.map(Spanned::into_inner),
    })
}

/// `[members]`: the role name, the trail name template, the external ID and the concurrency checked.
fn members(at: &Locator, central: &Central, raw: RawMembers) -> Result<Members, ConfigError> {
    let role_name = match &raw.role_name {
        Some(r) => {
            let name = r.get_ref().trim().to_owned();
            let partition = central.region.partition();
            RoleArn::new(partition, &central.account_id, &name).map_err(|_| {
                at.at(
                    r.span(),
                    format!("role_name {name:?} is not a valid IAM role name"),
                )
            })?;
            name
        }
        None => "OrganizationAccountAccessRole".to_owned(),
    };
    let template = raw.trail_name.get_ref().clone();
    check_template(&template).map_err(|m| at.at(raw.trail_name.span(), m))?;
    let external_id = raw.external_id.map(|e| external_id(at, e)).transpose()?;
    let ou_span = raw
        .organizational_units
        .iter()
        .chain(&raw.exclude_organizational_units)
        .map(Spanned::span)
        .next();
    if let (Some(span), Source::Static) = (ou_span, raw.source) {
        return Err(at.at(
            span,
            "organizational_units and exclude_organizational_units need source = \"organizations\""
                .to_owned(),
        ));
    }
    let bad = |(span, message): (Range<usize>, String)| at.at(span, message);
    let ous = ous::read_ids(raw.organizational_units).map_err(bad)?;
    let exclude_ous = ous::read_ids(raw.exclude_organizational_units).map_err(bad)?;
    let concurrency = match raw.concurrency {
        Some(c) if !(1..=MAX_CONCURRENCY).contains(c.get_ref()) => {
            return Err(at.at(
                c.span(),
                format!(
                    "concurrency must be 1 to {MAX_CONCURRENCY}, not {}",
                    c.get_ref()
                ),
            ));
        }
        Some(c) => c.into_inner(),
        None => DEFAULT_CONCURRENCY,
    };
    Ok(Members {
        source: raw.source,
        role_name,
        trail_template: template,
        external_id,
        exclude: raw.exclude.into_iter().map(Spanned::into_inner).collect(),
        concurrency,
        second_copy: raw.second_copy,
        ous,
        exclude_ous,
        only: None,
    })
}

/// What the source of the members allows: `[[account]]` entries only, and all of them, with
/// `source = "static"`; the organization form only with `source = "organizations"`.
fn check_source(
    at: &Locator,
    central: &Central,
    members: &Members,
    accounts: &[Spanned<RawAccount>],
    members_span: Range<usize>,
    policy_form_span: Range<usize>,
) -> Result<(), ConfigError> {
    if members.source == Source::Static
        && central.policy_form == PolicyForm::Pinned(Form::Organization)
    {
        return Err(at.at(
            policy_form_span,
            "policy_form = \"organization\" needs source = \"organizations\": only then is every account known to be in the organization".to_owned(),
        ));
    }
    if let (Source::Organizations, Some(first)) = (members.source, accounts.first()) {
        return Err(at.at(
            first.span(),
            "[[account]] entries are for source = \"static\"; with source = \"organizations\" the accounts come from AWS Organizations (use exclude to leave some out)".to_owned(),
        ));
    }
    if members.source == Source::Static && accounts.is_empty() {
        return Err(at.at(
            members_span,
            "source = \"static\" needs at least one [[account]] entry".to_owned(),
        ));
    }
    Ok(())
}

/// The `[[account]]` entries, in file order: each a member (not the central account), listed once.
fn static_accounts(
    at: &Locator,
    central: &Central,
    members: &Members,
    raw: Vec<Spanned<RawAccount>>,
) -> Result<Vec<StaticAccount>, ConfigError> {
    let mut seen: BTreeMap<AccountId, usize> = BTreeMap::new();
    let mut accounts = Vec::new();
    for entry in raw {
        let entry_span = entry.span();
        let a = entry.into_inner();
        let id = a.id.get_ref();
        if *id == central.account_id {
            return Err(at.at(
                a.id.span(),
                format!(
                    "account {id} is the central account; list only member accounts under [[account]]"
                ),
            ));
        }
        if let Some(line) = seen.get(id) {
            return Err(at.at(
                a.id.span(),
                format!("account {id} is listed twice (first on line {line})"),
            ));
        }
        seen.insert(id.clone(), line_col(at.text, entry_span.start).0);
        accounts.push(static_account(at, central, members, a)?);
    }
    Ok(accounts)
}

/// One `[[account]]` entry, its defaults taken from `[members]`.
fn static_account(
    at: &Locator,
    central: &Central,
    members: &Members,
    a: RawAccount,
) -> Result<StaticAccount, ConfigError> {
    let id = a.id.get_ref().clone();
    let name = a.name.unwrap_or_else(|| id.to_string());
    let trail_name = match &a.trail_name {
        Some(t) => fill_trail_template(t.get_ref(), &id, &name).map_err(|m| at.at(t.span(), m))?,
        None => fill_trail_template(&members.trail_template, &id, &name)
            .map_err(|m| at.at(a.id.span(), m))?,
    };
    let role_arn = match a.role_arn {
        Some(r) => r.into_inner(),
        None => RoleArn::new(central.region.partition(), &id, &members.role_name)
            .map_err(|m| at.at(a.id.span(), m))?,
    };
    let external_id = match a.external_id {
        Some(e) => Some(external_id(at, e)?),
        None => members.external_id.clone(),
    };
    Ok(StaticAccount {
        id,
        name,
        role_arn,
        external_id,
        trail_name,
        cloudwatch: a.cloudwatch.unwrap_or(true),
        flow_logs: a.flow_logs.unwrap_or(true),
    })
}

fn external_id(at: &Locator, e: Spanned<String>) -> Result<String, ConfigError> {
    check_external_id(e.get_ref())
        .map(str::to_owned)
        .map_err(|m| at.at(e.span(), m))
}

fn check_template(t: &str) -> Result<(), String> {
    let probe: AccountId = "000000000000".parse().map_err(|e: String| e)?;
    fill_trail_template(t, &probe, "x")
        .map(|_| ())
        .map_err(|e| format!("trail_name: {e}"))
}

fn check_external_id(e: &str) -> Result<&str, String> {
    let ok = (2..=1224).contains(&e.len())
        && e.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
    if ok {
        Ok(e)
    } else {
        Err("external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-_".to_owned())
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-cloudtrail-log"
region = "ap-northeast-2"
trail_name = "SEC-CLOUDTRAIL"

[members]
source = "static"
role_name = "OrganizationAccountAccessRole"
trail_name = "{name}-CLOUDTRAIL"

[[account]]
id = "222222222222"
name = "DEV"
"#;

    fn parse(s: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("accounts.toml"), s)
    }

    #[test]
    fn sample_is_accepted() {
        let c = parse(SAMPLE).unwrap();
        assert_eq!(c.central.account_id.as_str(), "111111111111");
        let t = c.static_targets();
        assert_eq!(t[0].trail_name.as_str(), "DEV-CLOUDTRAIL");
        assert_eq!(
            t[0].access,
            Access::AssumeRole {
                role_arn: "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
                    .parse()
                    .unwrap(),
                external_id: None
            }
        );
        assert_eq!(c.members.concurrency, DEFAULT_CONCURRENCY);
    }

    #[test]
    fn bucket_region_and_second_copy() {
        let with = |extra: &str, members: &str| {
            SAMPLE
                .replace(
                    "region = \"ap-northeast-2\"",
                    &format!("region = \"ap-northeast-2\"\n{extra}"),
                )
                .replace("[members]", &format!("[members]\n{members}"))
        };
        let c = parse(&with(
            "bucket_region = \"eu-west-1\"",
            "second_copy = \"refuse\"",
        ))
        .unwrap();
        assert_eq!(
            c.central.bucket_region.map(|r| r.to_string()).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(c.members.second_copy, SecondCopy::Refuse);
        let e = parse(&with("bucket_region = \"cn-north-1\"", ""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("accounts.toml:6:17") && e.contains("partition"),
            "{e}"
        );
        let e = parse(&with("", "second_copy = \"maybe\"")).unwrap_err();
        assert!(
            format!("{e:#}").contains("second_copy")
                || std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("maybe")),
            "{e}"
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let cases = [
            (
                SAMPLE.replace("\"222222222222\"", "\"2222\""),
                "14:6",
                "not 12 digits",
            ),
            (
                SAMPLE.replace("name = \"DEV\"", "name = \"DEV\"\ncolour = 1"),
                "16:1",
                "unknown field `colour`",
            ),
            (
                SAMPLE.replace(
                    "name = \"DEV\"",
                    "name = \"DEV\"\n[[account]]\nid = \"222222222222\"",
                ),
                "17:6",
                "listed twice",
            ),
            (
                SAMPLE.replace("\"{name}-CLOUDTRAIL\"", "\"{name} trail\""),
                "11:14",
                "not valid",
            ),
            (
                SAMPLE.replace("sec-cloudtrail-log", "Sec_Log"),
                "4:10",
                "bucket name",
            ),
            (SAMPLE.replace("ap-northeast-2", "mars-1"), "5:10", "region"),
            (
                SAMPLE.replace("\"static\"", "\"ldap\""),
                "9:10",
                "unknown variant",
            ),
        ];
        for (text, place, what) in cases {
            let err = parse(&text).unwrap_err();
            let msg = format!("{:#}", anyhow::Error::from(err));
            let (l, c) = place.split_once(':').unwrap();
            assert!(
                msg.contains(&format!("{l}:{c}")) || msg.contains(&format!("line {l}, column {c}")),
                "expected {place} in: {msg}"
            );
            assert!(msg.contains(what), "expected {what:?} in: {msg}");
        }
    }
}
