//! The shared bucket policy (pure): build trailhub's statements, merge them into the live policy without
//! touching anything else, and keep the result under S3's 20 KB limit.
//!
//! trailhub owns two families of statements: two for CloudTrail, found by the Sids of AWS's documentation,
//! and, when flow logs go to the bucket, two for `delivery.logs.amazonaws.com` under trailhub's own Sids
//! ([`log_delivery`]); each family has a Deny of writes into another account's folder. Every other statement
//! is kept as it was, in its order. Entries already in trailhub's statements are kept too (removing accounts
//! is an explicit, separate act), so a merge only ever widens what they allow.
//!
//! Each family names what may write in one of several forms, from the most specific to the smallest
//! ([`Form`], [`DeliveryForm`]). With `policy_form = "auto"` the most specific combination that fits in
//! 20 KB is chosen (see [`width`]); none of the forms drops the source condition or uses a `*` principal.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::document::strings;
use super::layout;
use crate::config::PolicyForm;
use crate::model::{AccountId, BucketName, KeyPrefix, TrailArn, is_account_id};

pub mod log_delivery;
mod statement;

pub use log_delivery::{
    DeliveryForm, LOG_ACL_SID, LOG_DELIVERY, LOG_DENY_SID, LOG_WRITE_SID, LogDelivery,
};

pub const ACL_SID: &str = "AWSCloudTrailAclCheck20150319";
pub const WRITE_SID: &str = "AWSCloudTrailWrite20150319";
/// trailhub's own Sids, used when a statement with the console's Sid is the console's old default (no
/// source condition): that one is kept as it is, and trailhub's statements go beside it.
pub const OWN_ACL_SID: &str = "TrailhubCloudTrailAclCheck";
pub const OWN_WRITE_SID: &str = "TrailhubCloudTrailWrite";
/// trailhub's Deny of CloudTrail writes into another account's folder (see [`deny_foreign_prefix`]).
pub const DENY_SID: &str = "TrailhubDenyCloudTrailIntoAnotherFolder";
pub const CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";
pub const SOURCE_ARN: &str = "aws:SourceArn";
pub const SOURCE_ACCOUNT: &str = "aws:SourceAccount";
pub const SOURCE_ORG: &str = "aws:SourceOrgID";
pub const ACL_KEY: &str = "s3:x-amz-acl";
pub const FULL_CONTROL: &str = "bucket-owner-full-control";
/// S3 refuses bucket policies larger than 20 KB.
pub const SIZE_LIMIT: usize = 20 * 1024;

/// How the two statements name what may write, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// `StringEquals aws:SourceArn` = every trail ARN; one `AWSLogs/<id>/*` resource per account (AWS's
    /// documented layout; about 100 accounts fit).
    Exact,
    /// `ArnLike aws:SourceArn` = `arn:aws:cloudtrail:*:<id>:trail/*` per account (any trail of a listed
    /// account); per-account resources.
    AccountArns,
    /// `StringEquals aws:SourceAccount` = every account ID; per-account resources.
    SourceAccount,
    /// `StringEquals aws:SourceAccount` = every account ID; one `AWSLogs/*` resource. A listed account's
    /// trail could write under another listed account's prefix by choosing its own key prefix.
    SharedPrefix,
    /// `StringEquals aws:SourceOrgID` = the organization; one `AWSLogs/*` resource. Constant size; every
    /// account of the organization may write. Only with `source = "organizations"`.
    Organization,
}

impl Form {
    pub const ALL: [Form; 5] = [
        Form::Exact,
        Form::AccountArns,
        Form::SourceAccount,
        Form::SharedPrefix,
        Form::Organization,
    ];

    fn per_account_resources(self) -> bool {
        matches!(self, Form::Exact | Form::AccountArns | Form::SourceAccount)
    }

    pub fn name(self) -> &'static str {
        match self {
            Form::Exact => "exact",
            Form::AccountArns => "account-arns",
            Form::SourceAccount => "source-account",
            Form::SharedPrefix => "shared-prefix",
            Form::Organization => "organization",
        }
    }

    /// How far the form widens what may write: 0 names each trail, 1 any trail of a listed account, 2 any
    /// source of a listed account, 3 the same with one shared prefix, 4 the whole organization. The
    /// delivery.logs forms are on the same scale ([`DeliveryForm`]).
    fn width(self) -> u8 {
        match self {
            Form::Exact => 0,
            Form::AccountArns => 1,
            Form::SourceAccount => 2,
            Form::SharedPrefix => 3,
            Form::Organization => 4,
        }
    }
}

/// A form's name, for messages.
pub trait FormName: Copy {
    fn form_name(self) -> &'static str;
}

impl FormName for Form {
    fn form_name(self) -> &'static str {
        self.name()
    }
}

impl FormName for DeliveryForm {
    fn form_name(self) -> &'static str {
        self.name()
    }
}

/// The forms a `policy_form` setting allows, most specific first.
fn candidates(p: PolicyForm) -> Vec<Form> {
    match p {
        PolicyForm::Auto => Form::ALL.to_vec(),
        PolicyForm::Exact => vec![Form::Exact],
        PolicyForm::AccountArns => vec![Form::AccountArns],
        PolicyForm::SourceAccount => vec![Form::SourceAccount],
        PolicyForm::SharedPrefix => vec![Form::SharedPrefix],
        PolicyForm::Organization => vec![Form::Organization],
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error(
        "the live bucket policy is not JSON ({0}); trailhub will not replace a policy it cannot read (runbooks/troubleshooting.md#policy-is-not-json)"
    )]
    NotJson(String),
    #[error(
        "the live bucket policy is not a JSON object (runbooks/troubleshooting.md#policy-is-not-a-json-object)"
    )]
    NotObject,
    #[error(
        "the live bucket policy's \"Statement\" is {0}, not a list of statements (runbooks/troubleshooting.md#statement-is-not-a-list)"
    )]
    BadStatements(&'static str),
    #[error(
        "statement {index} of the live bucket policy is not a JSON object (runbooks/troubleshooting.md#statement-is-not-an-object)"
    )]
    StatementNotObject { index: usize },
    #[error(
        "the live statement {sid:?} has the Sid trailhub manages but another shape ({why}); trailhub will not change it (runbooks/troubleshooting.md#sid-conflict)"
    )]
    SidConflict { sid: String, why: String },
    /// Neither family can be written in any allowed form (the second list: the delivery.logs forms, empty
    /// when there are none).
    #[error(
        "no allowed policy form can be used: {}{}; choose another policy_form (runbooks/troubleshooting.md#policy-too-large)",
        describe_sizes(.0),
        describe_log_sizes(.1)
    )]
    NoUsableForm(Vec<FormSize>, Vec<FormSize<DeliveryForm>>),
    /// Each form with the other family in its smallest usable form: none fits.
    #[error(
        "the merged bucket policy fits in no allowed form: {}{}; {fit} of the {accounts} accounts fit in the {} form (runbooks/troubleshooting.md#policy-too-large)",
        describe_sizes(.sizes),
        describe_log_sizes(.log_sizes),
        .sizes.first().map_or("first", |s| s.form.name())
    )]
    TooLarge {
        sizes: Vec<FormSize>,
        log_sizes: Vec<FormSize<DeliveryForm>>,
        accounts: usize,
        fit: usize,
    },
}

fn describe_sizes<F: FormName>(sizes: &[FormSize<F>]) -> String {
    sizes
        .iter()
        .map(|s| match (&s.size, &s.unusable) {
            (Some(n), _) => format!("{} is {n} bytes (limit {SIZE_LIMIT})", s.form.form_name()),
            (None, Some(why)) => format!("{} cannot be used ({why})", s.form.form_name()),
            (None, None) => format!("{} not tried", s.form.form_name()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_log_sizes(sizes: &[FormSize<DeliveryForm>]) -> String {
    if sizes.is_empty() {
        return String::new();
    }
    format!("; the delivery.logs statements: {}", describe_sizes(sizes))
}

/// One trail the policy must let write: the account whose prefix it writes and its exact ARN; for an
/// organization trail, the organization's ID too (it writes under `AWSLogs/<org-id>/<account>/`, and its ARN
/// names the management account).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub account: AccountId,
    pub trail_arn: TrailArn,
    pub org_id: Option<String>,
}

impl Entry {
    /// trailhub's own kind: the account's own trail, writing under `AWSLogs/<account>/`.
    pub fn own(account: AccountId, trail_arn: TrailArn) -> Self {
        Entry {
            account,
            trail_arn,
            org_id: None,
        }
    }

    /// The account the trail belongs to (`aws:SourceAccount`): the management account for an organization
    /// trail.
    fn source_account(&self) -> &str {
        &self.trail_arn.account
    }

    /// The folder after `AWSLogs/`: `<account>`, or `<org-id>/<account>`.
    fn folder(&self) -> String {
        match &self.org_id {
            Some(o) => format!("{o}/{}", self.account),
            None => self.account.to_string(),
        }
    }
}

/// The organization, when the accounts come from AWS Organizations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Org {
    pub id: String,
    /// Every account ID the organization listed.
    pub members: BTreeSet<String>,
}

/// The accounts whose VPC flow logs go to the bucket (`[flow_logs]` with the `s3` destination), and the
/// Region their flow logs are in (`central.region`): delivery.logs writes for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlowLogAccounts<'a> {
    pub accounts: &'a [AccountId],
    pub region: &'a str,
}

/// What the policy is for: the bucket, its optional key prefix, the trails and the flow-log accounts to
/// allow, and how to name them.
#[derive(Debug, Clone)]
pub struct PolicyInput<'a> {
    pub bucket: &'a BucketName,
    pub partition: &'a str,
    pub prefix: Option<&'a KeyPrefix>,
    pub entries: &'a [Entry],
    pub form: PolicyForm,
    pub org: Option<&'a Org>,
    pub flow_logs: FlowLogAccounts<'a>,
}

impl PolicyInput<'_> {
    pub fn bucket_arn(&self) -> String {
        layout::bucket_arn(self.partition, self.bucket.as_str())
    }
    fn logs_base(&self) -> String {
        layout::logs_root_arn(
            self.partition,
            self.bucket.as_str(),
            self.prefix.map(KeyPrefix::as_str),
        )
    }
    /// `arn:aws:s3:::BUCKET[/PREFIX]/AWSLogs/<account>/*` for each entry (the base formatted once: there can
    /// be tens of thousands of entries, and every form is rendered to learn its size).
    fn write_resources(&self) -> impl Iterator<Item = String> + '_ {
        let base = self.logs_base();
        self.entries
            .iter()
            .map(move |e| [base.as_str(), e.folder().as_str(), "/*"].concat())
    }
    /// `arn:aws:s3:::BUCKET[/PREFIX]/AWSLogs/*`
    pub fn shared_resource(&self) -> String {
        format!("{}*", self.logs_base())
    }
    fn account_pattern(&self, account: &str) -> String {
        format!("arn:{}:cloudtrail:*:{account}:trail/*", self.partition)
    }
    /// `arn:<p>:logs:<region>:<account>:*`: any source of the account's logs in the flow logs' Region, as
    /// AWS's flow-log bucket policy names it.
    fn log_pattern(&self, account: &str) -> String {
        format!(
            "arn:{}:logs:{}:{account}:*",
            self.partition, self.flow_logs.region
        )
    }
    /// `arn:aws:s3:::BUCKET[/PREFIX]/AWSLogs/<account>/*` for each flow-log account.
    fn log_write_resources(&self) -> impl Iterator<Item = String> + '_ {
        let base = self.logs_base();
        self.flow_logs
            .accounts
            .iter()
            .map(move |a| [base.as_str(), a.as_str(), "/*"].concat())
    }
}

/// The size of the policy in one form, or why that form cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormSize<F = Form> {
    pub form: F,
    pub size: Option<usize>,
    pub unusable: Option<String>,
}

/// The merged policy and what the merge did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merged {
    #[serde(skip)]
    pub policy: Value,
    /// The minified text that would be written.
    #[serde(skip)]
    pub text: String,
    pub size: usize,
    pub changed: bool,
    /// The form the two statements are written in, and the size of each form tried.
    pub form: Form,
    pub form_sizes: Vec<FormSize>,
    /// Statements trailhub adds because they were not there.
    pub created_statements: Vec<String>,
    /// Source entries (ARNs, account IDs or patterns, organization) and resources added.
    pub added_sources: Vec<String>,
    pub added_resources: Vec<String>,
    /// With `--prune`: the entries taken out of trailhub's statements, each naming an account no longer in
    /// scope.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pruned: Vec<String>,
    /// Entries already in the two statements that the config does not name: kept, not managed here.
    pub kept_sources: Vec<String>,
    pub kept_resources: Vec<String>,
    /// Entries of the live statements that the chosen form writes differently (a trail ARN that becomes its
    /// account's pattern or ID, a prefix covered by the shared one, or back to exact ARNs for accounts all
    /// in the config).
    pub rewritten_sources: Vec<String>,
    pub rewritten_resources: Vec<String>,
    /// True when the live `Statement` was a single object and is now written as a list of one.
    pub normalized_statement_list: bool,
    /// The console's old default statements (its Sid, no source condition), kept as they are: any trail
    /// of any account may write what they allow (confused deputy).
    pub legacy_statements: Vec<String>,
    /// The delivery.logs statements (flow logs to the bucket): their form, sizes and entries; None when the
    /// policy has none and the config wants none. `form_sizes` above are the sizes with these in their
    /// chosen form.
    pub log_delivery: Option<LogDelivery>,
}

/// Parses the live policy text as S3 returns it.
pub fn parse_live(text: &str) -> Result<Value, PolicyError> {
    let v: Value = serde_json::from_str(text).map_err(|e| PolicyError::NotJson(e.to_string()))?;
    if !v.is_object() {
        return Err(PolicyError::NotObject);
    }
    Ok(v)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn list(items: &BTreeSet<String>) -> Value {
    Value::Array(items.iter().map(|s| json!(s)).collect())
}

/// What one of trailhub's statements says, whatever its form: the parts trailhub manages as sets, and the
/// conditions it does not manage, kept verbatim (they are ANDed, so they can only narrow).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Content {
    arns: BTreeSet<String>,
    /// account IDs allowed through `ArnLike arn:*:cloudtrail:*:<id>:trail/*`
    account_patterns: BTreeSet<String>,
    accounts: BTreeSet<String>,
    orgs: BTreeSet<String>,
    resources: BTreeSet<String>,
    extra: Map<String, Value>,
}

fn is_managed_key(op: &str, key: &str, is_write: bool) -> bool {
    let k = key.to_ascii_lowercase();
    match op {
        "StringEquals" => {
            k == SOURCE_ARN.to_ascii_lowercase()
                || k == SOURCE_ACCOUNT.to_ascii_lowercase()
                || k == SOURCE_ORG.to_ascii_lowercase()
                || (is_write && k == ACL_KEY)
        }
        "ArnLike" => k == SOURCE_ARN.to_ascii_lowercase(),
        _ => false,
    }
}

/// The account of an `arn:<p>:cloudtrail:*:<id>:trail/*` pattern.
fn pattern_account(p: &str) -> Option<String> {
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "cloudtrail"
        && parts[3] == "*"
        && parts[5] == "trail/*";
    (ok && is_account_id(parts[4])).then(|| parts[4].to_owned())
}

/// Reads one of trailhub's statements. A statement with trailhub's Sid but another shape is an error: trailhub
/// will not rewrite what it does not understand.
fn read_managed(
    sid: &str,
    action: &str,
    stmt: &Map<String, Value>,
    is_write: bool,
) -> Result<Content, PolicyError> {
    let refused = |why: String| PolicyError::SidConflict {
        sid: sid.to_owned(),
        why,
    };
    let conflict = |why: &str| Err(refused(why.to_owned()));
    statement::check_frame(stmt, CLOUDTRAIL).map_err(refused)?;
    if strings(stmt.get("Action")) != [action] {
        return conflict(&format!("its Action is not {action}"));
    }
    let mut c = Content {
        resources: statement::resources(stmt).map_err(refused)?,
        ..Content::default()
    };
    let Some(cond) = stmt.get("Condition").and_then(Value::as_object) else {
        return conflict(
            "it has no source condition: adding one would cut off every trail it allows now",
        );
    };
    let mut extra = Map::new();
    let managed = |op: &str, key: &str| is_managed_key(op, key, is_write);
    statement::walk_condition(cond, managed, &mut extra, |op, key, values| {
        match (op, key) {
            ("StringEquals", "aws:sourcearn") => c.arns.extend(values),
            ("StringEquals", "aws:sourceaccount") => c.accounts.extend(values),
            ("StringEquals", "aws:sourceorgid") => c.orgs.extend(values),
            _ => {
                for p in values {
                    match pattern_account(&p) {
                        Some(a) => {
                            c.account_patterns.insert(a);
                        }
                        None if !p.contains(['*', '?']) => {
                            c.arns.insert(p);
                        }
                        None => {
                            return Err(format!(
                                "its ArnLike pattern {p:?} is not one trailhub writes"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    })
    .map_err(refused)?;
    c.extra = extra;
    let sources = c.arns.len() + c.account_patterns.len() + c.accounts.len() + c.orgs.len();
    let mixed = [
        !c.arns.is_empty() || !c.account_patterns.is_empty(),
        !c.accounts.is_empty(),
        !c.orgs.is_empty(),
    ];
    if sources == 0 {
        return conflict(
            "it has no source condition: adding one would cut off every trail it allows now",
        );
    }
    if mixed.iter().filter(|m| **m).count() > 1 {
        // several source keys in one statement AND together: a narrowing trailhub cannot keep while widening
        return conflict("it combines several source conditions, which AND together");
    }
    Ok(c)
}

/// What must be kept from the live statements, beyond what the config asks for.
#[derive(Debug, Default)]
struct Kept {
    arns: BTreeSet<String>,
    accounts: BTreeSet<String>,
    orgs: BTreeSet<String>,
    resources: BTreeSet<String>,
}

/// The source condition of both statements in `form`: the trails, accounts or organization that may write,
/// the config's and those kept from the live policy; or why the form cannot express what must be kept.
fn sources(form: Form, input: &PolicyInput, kept: &Kept) -> Result<Content, String> {
    let arn_account = |a: &String| TrailArn::parse(a).map(|t| t.account);
    let mut accounts: BTreeSet<String> = input
        .entries
        .iter()
        .map(|e| e.source_account().to_owned())
        .collect();
    accounts.extend(kept.accounts.iter().cloned());
    accounts.extend(kept.arns.iter().filter_map(arn_account));

    let mut sources = Content::default();
    match form {
        Form::Exact => {
            if !kept.accounts.is_empty() || !kept.orgs.is_empty() {
                return Err("the live statements allow whole accounts or an organization; naming trails would narrow that".into());
            }
            sources.arns = input
                .entries
                .iter()
                .map(|e| e.trail_arn.to_string())
                .chain(kept.arns.iter().cloned())
                .collect();
        }
        Form::AccountArns | Form::SourceAccount | Form::SharedPrefix => {
            if !kept.orgs.is_empty() {
                return Err(
                    "the live statements allow an organization; naming accounts would narrow that"
                        .into(),
                );
            }
            if kept.arns.iter().any(|a| arn_account(a).is_none()) {
                return Err("the live statements name a source ARN that is not a trail's".into());
            }
            if form == Form::AccountArns {
                sources.account_patterns = accounts;
            } else {
                sources.accounts = accounts;
            }
        }
        Form::Organization => {
            let Some(org) = input.org else {
                return Err(
                    "the accounts do not come from AWS Organizations (source = \"organizations\")"
                        .into(),
                );
            };
            if kept.orgs.iter().any(|o| o != &org.id) {
                return Err("the live statements allow another organization".into());
            }
            if let Some(outside) = accounts.iter().find(|a| !org.members.contains(*a)) {
                return Err(format!(
                    "account {outside} is not in organization {}",
                    org.id
                ));
            }
            sources.orgs = BTreeSet::from([org.id.clone()]);
        }
    }
    Ok(sources)
}

/// Builds the content of both statements in `form`, or says why that form cannot express what must be kept.
fn render(form: Form, input: &PolicyInput, kept: &Kept) -> Result<(Content, Content), String> {
    let sources = sources(form, input, kept)?;
    let shared = input.shared_resource();
    if form.per_account_resources() && kept.resources.contains(&shared) {
        // the live statement lets its sources write anywhere under AWSLogs/: per-account prefixes would narrow
        // that, and a per-account form that kept it would only add bytes (and, near the limit, make the next
        // run choose differently from this one)
        return Err(format!(
            "the live statements allow {shared}; per-account prefixes would narrow that"
        ));
    }
    let mut write = Content {
        resources: kept.resources.clone(),
        ..sources.clone()
    };
    if form.per_account_resources() {
        write.resources.extend(input.write_resources());
    } else {
        let base = shared.trim_end_matches('*').to_owned();
        write.resources.retain(|r| !r.starts_with(&base));
        write.resources.insert(shared);
    }
    let acl = Content {
        resources: BTreeSet::from([input.bucket_arn()]),
        ..sources
    };
    Ok((acl, write))
}

/// The Deny that closes the other side of per-account prefixes: the sources and the prefixes are granted as
/// two lists, so a listed account's trail could set its own S3 key prefix to `[PREFIX/]AWSLogs/<B>/...` and
/// write into account B's folder. CloudTrail always adds `AWSLogs/<its account>/` after a trail's prefix, so
/// such a key has a second `AWSLogs/` segment, which none of the keys CloudTrail writes for a trail
/// delivering at its own place has. Constant size, whatever the number of accounts.
fn deny_foreign_prefix(input: &PolicyInput) -> Value {
    let bucket = input.bucket_arn();
    json!({
        "Sid": DENY_SID,
        "Effect": "Deny",
        "Principal": {"Service": CLOUDTRAIL},
        "Action": "s3:PutObject",
        "Resource": [
            format!("{bucket}/AWSLogs/*/AWSLogs/*"),
            format!("{bucket}/*/AWSLogs/*/AWSLogs/*"),
        ],
    })
}

fn statement(sid: &str, action: &str, c: &Content, is_write: bool, input: &PolicyInput) -> Value {
    let mut cond = c.extra.clone();
    let mut op = |name: &str, key: &str, v: Value| {
        let m = cond.entry(name.to_owned()).or_insert_with(|| json!({}));
        m[key] = v;
    };
    if !c.arns.is_empty() {
        op("StringEquals", SOURCE_ARN, list(&c.arns));
    }
    if !c.account_patterns.is_empty() {
        let patterns = c
            .account_patterns
            .iter()
            .map(|a| input.account_pattern(a))
            .collect();
        op("ArnLike", SOURCE_ARN, list(&patterns));
    }
    if !c.accounts.is_empty() {
        op("StringEquals", SOURCE_ACCOUNT, list(&c.accounts));
    }
    if let Some(org) = c.orgs.first() {
        op("StringEquals", SOURCE_ORG, json!(org));
    }
    if is_write {
        op("StringEquals", ACL_KEY, json!(FULL_CONTROL));
    }
    let resource = if c.resources.len() == 1 && !is_write {
        json!(c.resources.first())
    } else {
        list(&c.resources)
    };
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": CLOUDTRAIL},
        "Action": action,
        "Resource": resource,
        "Condition": Value::Object(cond),
    })
}

/// `ArnLike` content holds patterns; `account_patterns` keeps the account IDs, so turn them back for display.
fn source_entries(c: &Content, input: &PolicyInput) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = c
        .arns
        .iter()
        .chain(&c.accounts)
        .chain(&c.orgs)
        .cloned()
        .collect();
    out.extend(c.account_patterns.iter().map(|a| input.account_pattern(a)));
    out
}

struct Live {
    doc: Map<String, Value>,
    statements: Vec<Value>,
    normalized: bool,
    /// index and content of the AclCheck and Write statements, when present
    acl: Option<(usize, Content)>,
    write: Option<(usize, Content)>,
    /// the Sid of each of trailhub's statements: the console's, or trailhub's own when the console's is
    /// taken by a legacy statement
    sids: [&'static str; 2],
    /// the legacy statements kept as they are (the console's Sid, no source condition)
    legacy: Vec<String>,
    /// index of trailhub's Deny of writes into another account's folder, when present
    deny: Option<usize>,
    /// index and content of trailhub's delivery.logs AclCheck and Write statements, and of its Deny
    log_acl: Option<(usize, log_delivery::Content)>,
    log_write: Option<(usize, log_delivery::Content)>,
    log_deny: Option<usize>,
}

/// The two statements trailhub manages: (console's Sid, trailhub's own Sid, action, is it the Write one).
const SLOTS: [(&str, &str, &str, bool); 2] = [
    (ACL_SID, OWN_ACL_SID, "s3:GetBucketAcl", false),
    (WRITE_SID, OWN_WRITE_SID, "s3:PutObject", true),
];

/// The console's old default CloudTrail statement: Allow for `cloudtrail.amazonaws.com` with no source
/// condition, so any trail of any account may use it (confused deputy).
fn is_console_default(stmt: &Map<String, Value>) -> bool {
    let cloudtrail = stmt
        .get("Principal")
        .and_then(Value::as_object)
        .is_some_and(|p| strings(p.get("Service")) == [CLOUDTRAIL]);
    stmt.get("Effect").and_then(Value::as_str) == Some("Allow")
        && cloudtrail
        && !has_source_condition(stmt)
}

/// Whether a statement names who may write by a source key (`aws:SourceArn`, `aws:SourceAccount`,
/// `aws:SourceOrgID`) under any operator. The console's old default statements have none.
fn has_source_condition(stmt: &Map<String, Value>) -> bool {
    let Some(cond) = stmt.get("Condition").and_then(Value::as_object) else {
        return false;
    };
    cond.values().filter_map(Value::as_object).any(|keys| {
        keys.keys().any(|k| {
            [SOURCE_ARN, SOURCE_ACCOUNT, SOURCE_ORG]
                .iter()
                .any(|s| k.eq_ignore_ascii_case(s))
        })
    })
}

/// `Some(index)` once: a second statement with the same Sid is a conflict.
fn once<T>(found: &mut Option<T>, sid: &str, value: T) -> Result<(), PolicyError> {
    if found.is_some() {
        return Err(PolicyError::SidConflict {
            sid: sid.to_owned(),
            why: "two statements have this Sid".into(),
        });
    }
    *found = Some(value);
    Ok(())
}

fn read_live(live: Option<&Value>) -> Result<Live, PolicyError> {
    let mut doc = match live {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(PolicyError::NotObject),
        None => Map::from_iter([("Version".to_owned(), json!("2012-10-17"))]),
    };
    let mut normalized = false;
    let statements = match doc.remove("Statement") {
        None => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(o @ Value::Object(_)) => {
            normalized = true;
            vec![o]
        }
        Some(other) => return Err(PolicyError::BadStatements(json_kind(&other))),
    };
    let mut found = [None, None];
    let mut sids = [ACL_SID, WRITE_SID];
    let mut legacy = Vec::new();
    let (mut deny, mut log_acl, mut log_write, mut log_deny) = (None, None, None, None);
    for (index, s) in statements.iter().enumerate() {
        let Value::Object(stmt) = s else {
            return Err(PolicyError::StatementNotObject { index });
        };
        let sid = stmt.get("Sid").and_then(Value::as_str);
        match sid {
            Some(DENY_SID) => once(&mut deny, DENY_SID, index)?,
            Some(LOG_DENY_SID) => once(&mut log_deny, LOG_DENY_SID, index)?,
            Some(LOG_ACL_SID) => {
                let c = log_delivery::read_managed(LOG_ACL_SID, stmt, false)?;
                once(&mut log_acl, LOG_ACL_SID, (index, c))?;
            }
            Some(LOG_WRITE_SID) => {
                let c = log_delivery::read_managed(LOG_WRITE_SID, stmt, true)?;
                once(&mut log_write, LOG_WRITE_SID, (index, c))?;
            }
            _ => read_trail_slot(stmt, index, &mut found, &mut sids, &mut legacy)?,
        }
    }
    let [acl, write] = found;
    Ok(Live {
        doc,
        statements,
        normalized,
        acl,
        write,
        sids,
        legacy,
        deny,
        log_acl,
        log_write,
        log_deny,
    })
}

/// Finds one of the CloudTrail statements: by the console's Sid (or trailhub's own, when the console's is a
/// legacy statement kept as it is).
fn read_trail_slot(
    stmt: &Map<String, Value>,
    index: usize,
    found: &mut [Option<(usize, Content)>; 2],
    sids: &mut [&'static str; 2],
    legacy: &mut Vec<String>,
) -> Result<(), PolicyError> {
    let sid = stmt.get("Sid").and_then(Value::as_str);
    for (slot, (console, own, action, is_write)) in SLOTS.into_iter().enumerate() {
        if sid == Some(console) && is_console_default(stmt) {
            // the console's old default: kept as it is, trailhub's statement goes beside it
            legacy.push(console.to_owned());
            sids[slot] = own;
            continue;
        }
        if sid != Some(console) && sid != Some(own) {
            continue;
        }
        let sid = if sid == Some(own) { own } else { console };
        if found[slot].is_some() {
            let why = if sids[slot] == sid {
                "two statements have this Sid".to_owned()
            } else {
                format!("statement {} is trailhub's too", sids[slot])
            };
            return Err(PolicyError::SidConflict {
                sid: sid.to_owned(),
                why,
            });
        }
        found[slot] = Some((index, read_managed(sid, action, stmt, is_write)?));
        sids[slot] = sid;
    }
    Ok(())
}

/// Merges trailhub's statements for `input` into `live` (None: the bucket has no policy), in the most
/// specific allowed combination of forms that fits.
pub fn merge(live: Option<&Value>, input: &PolicyInput) -> Result<Merged, PolicyError> {
    let l = read_live(live)?;
    let mut fit = Fitter::new(&l, input, candidates(input.form), log_candidates(&l, input));
    if let Some((i, j)) = fit.best() {
        return Ok(fit.assemble(i, j));
    }
    let (sizes, log_sizes) = fit.sizes_without_fit();
    let no_log_form = !fit.log_forms.is_empty() && log_sizes.iter().all(|s| s.size.is_none());
    if sizes.iter().all(|s| s.size.is_none()) || no_log_form {
        return Err(PolicyError::NoUsableForm(sizes, log_sizes));
    }
    let (accounts, fit) = how_many_fit(&l, input);
    Err(PolicyError::TooLarge {
        sizes,
        log_sizes,
        accounts,
        fit,
    })
}

/// The delivery.logs forms to choose from: none when the family is absent (no flow-log account, no live
/// statement of it).
fn log_candidates(l: &Live, input: &PolicyInput) -> Vec<DeliveryForm> {
    let present =
        !input.flow_logs.accounts.is_empty() || l.log_acl.is_some() || l.log_write.is_some();
    if present {
        log_delivery::candidates(input.form)
    } else {
        vec![]
    }
}

/// The order in which combinations of the two families' forms are tried: a policy is only as specific as
/// its widest family, so the widest is kept as narrow as possible first; then the two together as narrow
/// as possible; then, between two equally wide combinations, CloudTrail (the audit trail itself) the more
/// specific. With no delivery.logs statements this is the CloudTrail forms' own order.
fn order(ct: Form, log: Option<DeliveryForm>) -> (u8, u8, u8) {
    let (c, d) = (ct.width(), log.map_or(0, DeliveryForm::width));
    (c.max(d), c + d, c)
}

/// How many accounts (of trails and flow logs together, in account order) fit in the first allowed
/// combination of forms (for the error message), and how many there are.
fn how_many_fit(l: &Live, input: &PolicyInput) -> (usize, usize) {
    let accounts: Vec<&str> = input
        .entries
        .iter()
        .map(|e| e.account.as_str())
        .chain(input.flow_logs.accounts.iter().map(AccountId::as_str))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let ct = vec![candidates(input.form)[0]];
    let log: Vec<DeliveryForm> = log_candidates(l, input).into_iter().take(1).collect();
    let fits = |k: usize| {
        let last = if k == 0 { "" } else { accounts[k - 1] };
        let entries: Vec<Entry> = input
            .entries
            .iter()
            .filter(|e| e.account.as_str() <= last)
            .cloned()
            .collect();
        let flow: Vec<AccountId> = input
            .flow_logs
            .accounts
            .iter()
            .filter(|a| a.as_str() <= last)
            .cloned()
            .collect();
        let sub = PolicyInput {
            entries: &entries,
            flow_logs: FlowLogAccounts {
                accounts: &flow,
                ..input.flow_logs
            },
            ..input.clone()
        };
        Fitter::new(l, &sub, ct.clone(), log.clone())
            .best()
            .is_some()
    };
    if !fits(0) {
        return (accounts.len(), 0);
    }
    let (mut lo, mut hi) = (0, accounts.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    (accounts.len(), lo)
}

/// Counts the bytes written to it: a form's size is measured without holding its text.
#[derive(Default)]
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bytes of `v` written minified.
fn json_size(v: &Value) -> usize {
    let mut size = ByteCount::default();
    serde_json::to_writer(&mut size, v).expect("a JSON value serializes");
    size.0
}

/// One family's two statements in one form, as they would be written: a live statement that already says
/// exactly this is kept as it is, so a second run writes nothing.
#[derive(Default)]
struct Placed {
    /// the AclCheck and Write statements; None where the family has none
    statements: [Option<Value>; 2],
    /// their minified bytes
    size: usize,
    changed: bool,
}

impl Placed {
    fn put(&mut self, slot: usize, value: Value, changed: bool) {
        self.size += json_size(&value);
        self.changed |= changed;
        self.statements[slot] = Some(value);
    }
}

/// The policy's statements with a place for each of trailhub's four Allow statements: the live statements,
/// trailhub's Denies as they must be, and `null` where an Allow statement goes (in place, else at the end).
/// Which statements there are does not depend on the forms, so neither do the bytes of the rest.
struct Skeleton {
    statements: Vec<Value>,
    /// the places of the CloudTrail AclCheck and Write, then the delivery.logs AclCheck and Write
    slots: [Option<usize>; 4],
    /// the bytes of the policy without the four statements
    fixed: usize,
    /// the document changes whatever the forms (a list written for a single statement, a Deny added or set
    /// right)
    changed: bool,
    created: Vec<String>,
}

impl Skeleton {
    fn new(l: &Live, input: &PolicyInput) -> Skeleton {
        let mut statements = l.statements.clone();
        let mut changed = l.normalized || l.doc.get("Version").is_none() && l.statements.is_empty();
        let mut created = Vec::new();
        let mut slots = [None; 4];
        let trails = !input.entries.is_empty();
        let flow_logs = !input.flow_logs.accounts.is_empty();
        let families = [
            (
                trails,
                [
                    (l.sids[0], l.acl.as_ref().map(|f| f.0)),
                    (l.sids[1], l.write.as_ref().map(|f| f.0)),
                ],
                l.deny,
                DENY_SID,
            ),
            (
                flow_logs,
                [
                    (LOG_ACL_SID, l.log_acl.as_ref().map(|f| f.0)),
                    (LOG_WRITE_SID, l.log_write.as_ref().map(|f| f.0)),
                ],
                l.log_deny,
                LOG_DENY_SID,
            ),
        ];
        for (family, (wanted, allows, deny, deny_sid)) in families.into_iter().enumerate() {
            for (k, (sid, at)) in allows.into_iter().enumerate() {
                slots[family * 2 + k] = match at {
                    Some(i) => Some(i),
                    None if wanted => {
                        statements.push(Value::Null);
                        created.push(sid.to_owned());
                        changed = true;
                        Some(statements.len() - 1)
                    }
                    None => None,
                };
            }
            if !wanted && deny.is_none() {
                continue;
            }
            let want = if family == 0 {
                deny_foreign_prefix(input)
            } else {
                log_delivery::deny_foreign_prefix(input)
            };
            match deny {
                Some(i) if statements[i] == want => {}
                Some(i) => {
                    statements[i] = want;
                    changed = true;
                }
                None => {
                    statements.push(want);
                    created.push(deny_sid.to_owned());
                    changed = true;
                }
            }
        }
        for i in slots.iter().flatten() {
            statements[*i] = Value::Null;
        }
        let mut doc = l.doc.clone();
        doc.insert("Statement".into(), Value::Array(statements));
        let with_nulls = json_size(&Value::Object(doc.clone()));
        let Some(Value::Array(statements)) = doc.remove("Statement") else {
            unreachable!("just inserted")
        };
        Skeleton {
            statements,
            slots,
            fixed: with_nulls - "null".len() * slots.iter().flatten().count(),
            changed,
            created,
        }
    }
}

/// Chooses the forms of the two families: each family's statements in each allowed form, rendered when
/// first needed, and the bytes of every combination.
struct Fitter<'a> {
    l: &'a Live,
    input: &'a PolicyInput<'a>,
    skeleton: Skeleton,
    kept: Kept,
    log_kept: log_delivery::Kept,
    forms: Vec<Form>,
    /// empty when the policy has no delivery.logs statements and the config wants none
    log_forms: Vec<DeliveryForm>,
    trail: Vec<Option<Result<Placed, String>>>,
    log: Vec<Option<Result<Placed, String>>>,
}

impl<'a> Fitter<'a> {
    fn new(
        l: &'a Live,
        input: &'a PolicyInput<'a>,
        forms: Vec<Form>,
        log_forms: Vec<DeliveryForm>,
    ) -> Self {
        let log_kept = log_delivery::Kept::of(
            l.log_acl.as_ref().map(|f| &f.1),
            l.log_write.as_ref().map(|f| &f.1),
            input,
        );
        Fitter {
            skeleton: Skeleton::new(l, input),
            kept: trail_kept(l, input),
            log_kept,
            trail: forms.iter().map(|_| None).collect(),
            log: log_forms.iter().map(|_| None).collect(),
            forms,
            log_forms,
            l,
            input,
        }
    }

    /// The CloudTrail statements in the `i`th form.
    fn trail(&mut self, i: usize) -> Result<&Placed, &str> {
        if self.trail[i].is_none() {
            let placed = self.place_trail(self.forms[i]);
            self.trail[i] = Some(placed);
        }
        match self.trail[i].as_ref() {
            Some(Ok(p)) => Ok(p),
            Some(Err(why)) => Err(why),
            None => unreachable!("just placed"),
        }
    }

    /// The delivery.logs statements in the `j`th form; nothing when the family is absent.
    fn log(&mut self, j: Option<usize>) -> Result<Option<&Placed>, &str> {
        let Some(j) = j else { return Ok(None) };
        if self.log[j].is_none() {
            let placed = self.place_log(self.log_forms[j]);
            self.log[j] = Some(placed);
        }
        match self.log[j].as_ref() {
            Some(Ok(p)) => Ok(Some(p)),
            Some(Err(why)) => Err(why),
            None => unreachable!("just placed"),
        }
    }

    fn place_trail(&self, form: Form) -> Result<Placed, String> {
        let (l, input) = (self.l, self.input);
        let (acl, write) = render(form, input, &self.kept)?;
        let mut placed = Placed::default();
        let slots = [
            ("s3:GetBucketAcl", false, acl, &l.acl),
            ("s3:PutObject", true, write, &l.write),
        ];
        for (k, (action, is_write, mut content, found)) in slots.into_iter().enumerate() {
            if self.skeleton.slots[k].is_none() {
                continue;
            }
            if let Some((i, live)) = found {
                content.extra = live.extra.clone();
                if *live == content {
                    placed.put(k, l.statements[*i].clone(), false);
                    continue;
                }
            }
            let value = statement(l.sids[k], action, &content, is_write, input);
            placed.put(k, value, true);
        }
        Ok(placed)
    }

    fn place_log(&self, form: DeliveryForm) -> Result<Placed, String> {
        let l = self.l;
        let (acl, write) = log_delivery::render(form, self.input, &self.log_kept)?;
        let mut placed = Placed::default();
        let slots = [
            (LOG_ACL_SID, false, acl, &l.log_acl),
            (LOG_WRITE_SID, true, write, &l.log_write),
        ];
        for (k, (sid, is_write, mut content, found)) in slots.into_iter().enumerate() {
            if self.skeleton.slots[2 + k].is_none() {
                continue;
            }
            if let Some((i, live)) = found {
                content.extra = live.extra.clone();
                if *live == content {
                    placed.put(k, l.statements[*i].clone(), false);
                    continue;
                }
            }
            placed.put(k, log_delivery::statement(sid, &content, is_write), true);
        }
        Ok(placed)
    }

    /// The policy's bytes with the CloudTrail statements in the `i`th form and the delivery.logs ones in
    /// the `j`th; or why one of them cannot be used.
    fn size(&mut self, i: usize, j: Option<usize>) -> Result<usize, String> {
        let trail = self.trail(i).map_err(str::to_owned)?.size;
        let log = self.log(j).map_err(str::to_owned)?.map_or(0, |p| p.size);
        Ok(self.skeleton.fixed + trail + log)
    }

    /// Every combination, in the order they are tried ([`order`]).
    fn combinations(&self) -> Vec<(usize, Option<usize>)> {
        let logs: Vec<Option<usize>> = if self.log_forms.is_empty() {
            vec![None]
        } else {
            (0..self.log_forms.len()).map(Some).collect()
        };
        let mut all: Vec<(usize, Option<usize>)> = (0..self.forms.len())
            .flat_map(|i| logs.iter().map(move |j| (i, *j)))
            .collect();
        all.sort_by_key(|(i, j)| order(self.forms[*i], j.map(|j| self.log_forms[j])));
        all
    }

    /// The first combination that can be used and fits.
    fn best(&mut self) -> Option<(usize, Option<usize>)> {
        self.combinations()
            .into_iter()
            .find(|(i, j)| self.size(*i, *j).is_ok_and(|n| n <= SIZE_LIMIT))
    }

    fn form_size<F>(&mut self, form: F, i: usize, j: Option<usize>) -> FormSize<F> {
        match self.size(i, j) {
            Ok(n) => FormSize {
                form,
                size: Some(n),
                unusable: None,
            },
            Err(why) => FormSize {
                form,
                size: None,
                unusable: Some(why),
            },
        }
    }

    /// When nothing fits: each form's size with the other family in its smallest usable form.
    fn sizes_without_fit(&mut self) -> (Vec<FormSize>, Vec<FormSize<DeliveryForm>>) {
        let smallest_log = (0..self.log_forms.len())
            .filter_map(|j| Some((self.log(Some(j)).ok()??.size, j)))
            .min()
            .map(|(_, j)| j);
        let smallest_trail = (0..self.forms.len())
            .filter_map(|i| Some((self.trail(i).ok()?.size, i)))
            .min()
            .map(|(_, i)| i);
        let mut sizes = Vec::new();
        for i in 0..self.forms.len() {
            let mut s = self.form_size(self.forms[i], i, smallest_log);
            if smallest_log.is_none() && !self.log_forms.is_empty() && s.unusable.is_none() {
                s.size = None;
            }
            sizes.push(s);
        }
        let mut log_sizes = Vec::new();
        for j in 0..self.log_forms.len() {
            let s = match smallest_trail {
                Some(i) => self.form_size(self.log_forms[j], i, Some(j)),
                None => FormSize {
                    form: self.log_forms[j],
                    size: None,
                    unusable: self.log(Some(j)).err().map(str::to_owned),
                },
            };
            log_sizes.push(s);
        }
        (sizes, log_sizes)
    }

    /// The merged policy with the CloudTrail statements in the `i`th form and the delivery.logs ones in the
    /// `j`th, and what the merge added, kept and rewrote.
    fn assemble(&mut self, i: usize, j: Option<usize>) -> Merged {
        // the more specific forms of each family, with the other in its chosen form: each was tried before
        // this combination (see `order`), so none fits or can be used
        let form_sizes: Vec<FormSize> = (0..=i)
            .map(|k| self.form_size(self.forms[k], k, j))
            .collect();
        let log_sizes: Vec<FormSize<DeliveryForm>> = j
            .map(|j| {
                (0..=j)
                    .map(|k| self.form_size(self.log_forms[k], i, Some(k)))
                    .collect()
            })
            .unwrap_or_default();
        let size = self.size(i, j).expect("the chosen combination can be used");
        let mut statements = self.skeleton.statements.clone();
        let mut changed = self.skeleton.changed;
        let trail = self.trail[i]
            .take()
            .and_then(Result::ok)
            .unwrap_or_default();
        let log = j
            .and_then(|j| self.log[j].take())
            .and_then(Result::ok)
            .unwrap_or_default();
        for (k, placed) in [(0, &trail), (2, &log)] {
            changed |= placed.changed;
            for (slot, value) in placed.statements.iter().enumerate() {
                if let (Some(at), Some(v)) = (self.skeleton.slots[k + slot], value) {
                    statements[at] = v.clone();
                }
            }
        }
        let mut doc = self.l.doc.clone();
        doc.insert("Statement".into(), Value::Array(statements));
        let policy = Value::Object(doc);
        let text = policy.to_string();
        debug_assert_eq!(
            text.len(),
            size,
            "the sizes of the parts add up to the whole"
        );
        let form = self.forms[i];
        let log_delivery = j.map(|j| self.log_report(&policy, self.log_forms[j], log_sizes));
        let mut m = trail_report(self.l, self.input, form, &policy);
        m.form_sizes = form_sizes;
        m.size = size;
        m.changed = changed;
        m.created_statements = self.skeleton.created.clone();
        m.log_delivery = log_delivery;
        m.text = text;
        m.policy = policy;
        m
    }

    /// What the merge did to the delivery.logs statements, in `form`.
    fn log_report(
        &self,
        policy: &Value,
        form: DeliveryForm,
        form_sizes: Vec<FormSize<DeliveryForm>>,
    ) -> LogDelivery {
        let (l, input) = (self.l, self.input);
        let mut live_sources = BTreeSet::new();
        let mut live_resources = BTreeSet::new();
        for (is_write, found) in [(false, &l.log_acl), (true, &l.log_write)] {
            if let Some((_, live)) = found {
                live_sources.extend(live.sources());
                if is_write {
                    live_resources.extend(live.resources.iter().cloned());
                }
            }
        }
        let find = |sid: &str| {
            super::document::statements(policy)
                .into_iter()
                .find(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
        };
        let new_sources = find(LOG_ACL_SID)
            .and_then(|s| log_delivery::read_managed(LOG_ACL_SID, s, false).ok())
            .map(|c| c.sources())
            .unwrap_or_default();
        let new_resources: BTreeSet<String> = find(LOG_WRITE_SID)
            .map(|s| strings(s.get("Resource")).into_iter().collect())
            .unwrap_or_default();
        let wanted = log_delivery::wanted_sources(form, input);
        let config_resources = log_delivery::config_resources(form, input);
        let diff = Diff::of(
            (&live_sources, &new_sources, &wanted),
            (&live_resources, &new_resources, &config_resources),
        );
        LogDelivery {
            form,
            form_sizes,
            accounts: input.flow_logs.accounts.len(),
            added_sources: diff.added_sources,
            added_resources: diff.added_resources,
            kept_sources: diff.kept_sources,
            kept_resources: diff.kept_resources,
            rewritten_sources: diff.rewritten_sources,
            rewritten_resources: diff.rewritten_resources,
        }
    }
}

/// What must be kept of the live CloudTrail statements: what they allow beyond the config's entries.
fn trail_kept(l: &Live, input: &PolicyInput) -> Kept {
    let mut kept = Kept::default();
    for (_, c) in l.acl.iter().chain(&l.write) {
        kept.arns.extend(c.arns.iter().cloned());
        kept.accounts
            .extend(c.accounts.iter().chain(&c.account_patterns).cloned());
        kept.orgs.extend(c.orgs.iter().cloned());
    }
    if let Some((_, w)) = &l.write {
        kept.resources = w.resources.clone();
    }
    // the config's own entries are not "kept": they are wanted
    for e in input.entries {
        kept.arns.remove(&e.trail_arn.to_string());
        kept.accounts.remove(e.source_account());
    }
    kept
}

/// How a family's entries compare between the live statements and the merged ones.
struct Diff {
    added_sources: Vec<String>,
    added_resources: Vec<String>,
    kept_sources: Vec<String>,
    kept_resources: Vec<String>,
    rewritten_sources: Vec<String>,
    rewritten_resources: Vec<String>,
}

type Sets<'a> = (
    &'a BTreeSet<String>,
    &'a BTreeSet<String>,
    &'a BTreeSet<String>,
);

impl Diff {
    /// `(live, new, wanted)` sources and resources: an entry kept from the live policy but written in the
    /// new form's shape is kept, not added (its old spelling shows as rewritten).
    fn of(sources: Sets, resources: Sets) -> Diff {
        let (live_s, new_s, wanted_s) = sources;
        let (live_r, new_r, wanted_r) = resources;
        let v = |i: std::collections::btree_set::Difference<'_, String>| i.cloned().collect();
        Diff {
            added_sources: new_s
                .difference(live_s)
                .filter(|s| wanted_s.contains(*s))
                .cloned()
                .collect(),
            rewritten_sources: v(live_s.difference(new_s)),
            kept_sources: v(new_s.difference(wanted_s)),
            added_resources: v(new_r.difference(live_r)),
            rewritten_resources: v(live_r.difference(new_r)),
            kept_resources: v(new_r.difference(wanted_r)),
        }
    }
}

/// The merged policy's CloudTrail part, in `form`: what the merge added, kept and rewrote (the caller fills
/// in the sizes, the text and the delivery.logs part).
fn trail_report(l: &Live, input: &PolicyInput, form: Form, policy: &Value) -> Merged {
    // what the config itself needs, in this form's terms
    let wanted_sources: BTreeSet<String> = match form {
        Form::Exact => input
            .entries
            .iter()
            .map(|e| e.trail_arn.to_string())
            .collect(),
        Form::AccountArns => input
            .entries
            .iter()
            .map(|e| input.account_pattern(e.source_account()))
            .collect(),
        Form::SourceAccount | Form::SharedPrefix => input
            .entries
            .iter()
            .map(|e| e.source_account().to_owned())
            .collect(),
        Form::Organization => input.org.map(|o| o.id.clone()).into_iter().collect(),
    };
    let config_resources: BTreeSet<String> = if form.per_account_resources() {
        input.write_resources().collect()
    } else {
        BTreeSet::from([input.shared_resource()])
    };
    let mut live_sources = BTreeSet::new();
    let mut live_resources = BTreeSet::new();
    for (is_write, found) in [(false, &l.acl), (true, &l.write)] {
        if let Some((_, live)) = found {
            live_sources.extend(source_entries(live, input));
            if is_write {
                live_resources.extend(live.resources.iter().cloned());
            }
        }
    }
    let statements = super::document::statements(policy);
    let find = |sid: &str| {
        statements
            .iter()
            .find(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
    };
    let new_sources = find(l.sids[0])
        .and_then(|s| read_managed(l.sids[0], "s3:GetBucketAcl", s, false).ok())
        .map(|c| source_entries(&c, input))
        .unwrap_or_default();
    let new_resources: BTreeSet<String> = find(l.sids[1])
        .map(|s| strings(s.get("Resource")).into_iter().collect())
        .unwrap_or_default();
    let diff = Diff::of(
        (&live_sources, &new_sources, &wanted_sources),
        (&live_resources, &new_resources, &config_resources),
    );
    Merged {
        added_sources: diff.added_sources,
        rewritten_sources: diff.rewritten_sources,
        kept_sources: diff.kept_sources,
        added_resources: diff.added_resources,
        rewritten_resources: diff.rewritten_resources,
        kept_resources: diff.kept_resources,
        policy: Value::Null,
        text: String::new(),
        size: 0,
        changed: false,
        form,
        form_sizes: vec![],
        created_statements: vec![],
        legacy_statements: l.legacy.clone(),
        normalized_statement_list: l.normalized,
        log_delivery: None,
        pruned: vec![],
    }
}

/// The policy that puts back what another writer's replacement lost ([`restore_lost`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub policy: Value,
    /// The statements of the policy trailhub wrote that were gone: their Sids, or `statement N (no Sid)`.
    pub lost: Vec<String>,
    /// The statements of the policy in force that trailhub had not written (AWS's own `AWSLogDelivery*`,
    /// say): kept beside them, by Sid or `statement N (no Sid)`.
    pub kept: Vec<String>,
    /// Kept statements whose Sid the restored policy already had, renamed `(from, to)`: Sids must be unique
    /// in a policy, and mean nothing to S3.
    pub renamed: Vec<(String, String)>,
}

/// When `current` (the policy in force, None: no policy) lost any statement of `wrote` (the policy trailhub
/// wrote): `wrote` again, followed by every statement of `current` that `wrote` does not have, so that
/// nothing is lost either way. None when every statement of `wrote` is still there. Pure.
pub fn restore_lost(wrote: &Value, current: Option<&Value>) -> Option<Restored> {
    let listed = |p: Option<&Value>| -> Vec<Value> {
        match p.and_then(|p| p.get("Statement")) {
            Some(Value::Array(a)) => a.clone(),
            Some(o @ Value::Object(_)) => vec![o.clone()],
            _ => vec![],
        }
    };
    let ours = listed(Some(wrote));
    let theirs = listed(current);
    let name = |s: &Value, i: usize| match s.get("Sid").and_then(Value::as_str) {
        Some(sid) => sid.to_owned(),
        None => format!("statement {} (no Sid)", i + 1),
    };
    let lost: Vec<String> = ours
        .iter()
        .enumerate()
        .filter(|(_, s)| !theirs.contains(s))
        .map(|(i, s)| name(s, i))
        .collect();
    if lost.is_empty() {
        return None;
    }
    let mut sids: BTreeSet<String> = ours
        .iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let (mut kept, mut renamed) = (Vec::new(), Vec::new());
    let mut statements = ours.clone();
    for (i, s) in theirs.iter().enumerate() {
        if ours.contains(s) {
            continue;
        }
        let mut s = s.clone();
        if let Some(sid) = s.get("Sid").and_then(Value::as_str).map(str::to_owned) {
            if sids.contains(&sid) {
                let free = (2..)
                    .map(|n| format!("{sid}{n}"))
                    .find(|c| !sids.contains(c))
                    .expect("a free Sid");
                s["Sid"] = json!(free);
                renamed.push((sid, free.clone()));
                sids.insert(free);
            } else {
                sids.insert(sid);
            }
        }
        kept.push(name(&s, i));
        statements.push(s);
    }
    let mut policy = wrote.clone();
    policy["Statement"] = Value::Array(statements);
    Some(Restored {
        policy,
        lost,
        kept,
        renamed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(ids: &[&str]) -> Vec<Entry> {
        let region = "ap-northeast-2".parse().unwrap();
        ids.iter()
            .map(|id| {
                let account: AccountId = id.parse().unwrap();
                let name = format!("T{id}").parse().unwrap();
                Entry::own(account.clone(), TrailArn::new(&region, &account, &name))
            })
            .collect()
    }

    fn input<'a>(
        bucket: &'a BucketName,
        prefix: Option<&'a KeyPrefix>,
        e: &'a [Entry],
    ) -> PolicyInput<'a> {
        PolicyInput {
            bucket,
            partition: "aws",
            prefix,
            entries: e,
            form: PolicyForm::Auto,
            org: None,
            flow_logs: FlowLogAccounts::default(),
        }
    }

    fn many(n: u64) -> Vec<Entry> {
        let ids: Vec<String> = (0..n)
            .map(|i| format!("{:012}", 100000000000u64 + i))
            .collect();
        entries(&ids.iter().map(String::as_str).collect::<Vec<_>>())
    }

    #[test]
    fn fresh_policy_snapshot() {
        let b: BucketName = "sec-log".parse().unwrap();
        let p: KeyPrefix = "org".parse().unwrap();
        let e = entries(&["222222222222", "111111111111"]);
        let m = merge(None, &input(&b, Some(&p), &e)).unwrap();
        insta::assert_json_snapshot!(m.policy);
        assert!(m.changed);
        assert_eq!(m.form, Form::Exact);
        assert_eq!(m.created_statements, [ACL_SID, WRITE_SID, DENY_SID]);
    }

    #[test]
    fn merge_keeps_foreign_statements_and_console_entries() {
        let b: BucketName = "sec-log".parse().unwrap();
        let live = parse_live(r#"{"Version":"2012-10-17","Id":"x","Statement":[
          {"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::sec-log","arn:aws:s3:::sec-log/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
          {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudtrail:us-east-1:999999999999:trail/old"}}},
          {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudtrail:us-east-1:999999999999:trail/old","s3:x-amz-acl":"bucket-owner-full-control"}}},
          {"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::sec-log/*"}]}"#).unwrap();
        let e = entries(&["222222222222"]);
        let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
        let st = m.policy["Statement"].as_array().unwrap();
        assert_eq!(
            st.len(),
            5,
            "extended in place, not duplicated; the Deny added"
        );
        assert_eq!(st[4]["Sid"], DENY_SID);
        assert_eq!(st[0], live["Statement"][0]);
        assert_eq!(st[3], live["Statement"][3]);
        assert_eq!(m.policy["Id"], "x");
        assert_eq!(
            st[1]["Condition"]["StringEquals"]["aws:SourceArn"],
            json!([
                "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/T222222222222",
                "arn:aws:cloudtrail:us-east-1:999999999999:trail/old"
            ])
        );
        assert_eq!(
            m.kept_sources,
            ["arn:aws:cloudtrail:us-east-1:999999999999:trail/old"]
        );
        assert_eq!(
            m.kept_resources,
            ["arn:aws:s3:::sec-log/AWSLogs/999999999999/*"]
        );
        assert_eq!(
            m.added_resources,
            ["arn:aws:s3:::sec-log/AWSLogs/222222222222/*"]
        );
        assert_eq!(
            m.added_sources,
            ["arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/T222222222222"]
        );

        // merging again changes nothing
        let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
        assert!(!again.changed, "{again:#?}");
        assert_eq!(again.policy, m.policy);
        assert!(again.added_sources.is_empty() && again.added_resources.is_empty());
    }

    #[test]
    fn a_kept_entry_rewritten_into_a_smaller_form_is_kept_not_added() {
        let b: BucketName = "sec-log".parse().unwrap();
        let old = "arn:aws:cloudtrail:us-east-1:999999999999:trail/old";
        let live = parse_live(&format!(r#"{{"Version":"2012-10-17","Statement":[
          {{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{{"StringEquals":{{"aws:SourceArn":"{old}"}}}}}},
          {{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{{"StringEquals":{{"aws:SourceArn":"{old}","s3:x-amz-acl":"bucket-owner-full-control"}}}}}}]}}"#)).unwrap();
        let e = entries(&["222222222222"]);
        let inp = PolicyInput {
            form: PolicyForm::AccountArns,
            ..input(&b, None, &e)
        };
        let m = merge(Some(&live), &inp).unwrap();
        assert_eq!(m.form, Form::AccountArns);
        assert_eq!(m.rewritten_sources, [old]);
        assert_eq!(m.kept_sources.len(), 1, "{m:#?}");
        assert!(m.kept_sources[0].contains("999999999999"), "{m:#?}");
        // only the configured account is added; the kept one is not listed twice
        assert_eq!(m.added_sources.len(), 1, "{m:#?}");
        assert!(m.added_sources[0].contains("222222222222"), "{m:#?}");
    }

    #[test]
    fn a_console_policy_already_right_is_not_rewritten() {
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222"]);
        let arn = e[0].trail_arn.to_string();
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{{"StringEquals":{{"AWS:SourceArn":"{arn}"}}}}}},{{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/222222222222/*","Condition":{{"StringEquals":{{"AWS:SourceArn":"{arn}","s3:x-amz-acl":"bucket-owner-full-control"}}}}}}]}}"#
        );
        let m = merge(Some(&parse_live(&text).unwrap()), &input(&b, None, &e)).unwrap();
        // only trailhub's Deny is added; the two statements already right are not rewritten
        assert_eq!(m.created_statements, [DENY_SID]);
        let live = parse_live(&text).unwrap();
        assert_eq!(m.policy["Statement"][0], live["Statement"][0]);
        assert_eq!(m.policy["Statement"][1], live["Statement"][1]);
        let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
        assert!(!again.changed, "{again:#?}");
    }

    #[test]
    fn single_statement_object_is_normalized() {
        let b: BucketName = "sec-log".parse().unwrap();
        let live = parse_live(r#"{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::sec-log"}}"#).unwrap();
        let e = entries(&["222222222222"]);
        let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
        assert!(m.normalized_statement_list);
        assert_eq!(m.policy["Statement"][0], live["Statement"]);
    }

    /// Issue 10, point 6: in the forms that grant sources and prefixes as two lists, a listed account's
    /// trail could choose the key prefix `AWSLogs/<B>/CloudTrail` and write into account B's folder; the
    /// Deny closes that, and lets every trail write at its own place.
    #[test]
    fn no_trail_writes_into_another_accounts_folder() {
        use crate::plan::evaluate::{Delivery, check_delivery};
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222", "333333333333"]);
        let shared = PolicyInput {
            form: PolicyForm::SharedPrefix,
            ..input(&b, None, &e)
        };
        let m = merge(None, &shared).unwrap();
        let target = |prefix: Option<&str>| Delivery {
            partition: "aws".into(),
            bucket: "sec-log".into(),
            key_prefix: prefix.map(str::to_owned),
            account_id: "222222222222".into(),
            source_arn: e[0].trail_arn.to_string(),
            source_account: "222222222222".into(),
            org_id: None,
            service: CLOUDTRAIL.into(),
            log_kind: "CloudTrail".into(),
            region: "ap-northeast-2".into(),
        };
        assert!(check_delivery(&m.policy, &target(None)).allowed());
        let into_b = check_delivery(&m.policy, &target(Some("AWSLogs/333333333333/CloudTrail")));
        assert!(!into_b.allowed());
        assert_eq!(into_b.write.sid(), Some(DENY_SID));
        // with a bucket key prefix too
        let org: KeyPrefix = "org".parse().unwrap();
        let m = merge(
            None,
            &PolicyInput {
                prefix: Some(&org),
                ..shared.clone()
            },
        )
        .unwrap();
        assert!(check_delivery(&m.policy, &target(Some("org"))).allowed());
        let into_b = check_delivery(&m.policy, &target(Some("org/AWSLogs/333333333333")));
        assert!(!into_b.allowed());
    }

    /// Issue 10, point 5: the console's old default statements (its Sids, no source condition) are kept as
    /// they are, trailhub's go beside them under its own Sids, the plan warns, and a second merge changes
    /// nothing.
    #[test]
    fn legacy_console_statements_are_kept_and_trailhubs_go_beside_them() {
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222"]);
        let legacy = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log"},
            {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;
        let live = parse_live(legacy).unwrap();
        let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
        assert_eq!(m.legacy_statements, [ACL_SID, WRITE_SID]);
        assert_eq!(m.created_statements, [OWN_ACL_SID, OWN_WRITE_SID, DENY_SID]);
        assert_eq!(m.policy["Statement"][0], live["Statement"][0]);
        assert_eq!(m.policy["Statement"][1], live["Statement"][1]);
        let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
        assert!(!again.changed, "{again:?}");
        assert_eq!(again.legacy_statements, [ACL_SID, WRITE_SID]);
    }

    #[test]
    fn bad_live_policies_are_errors() {
        assert!(matches!(
            parse_live("{not json"),
            Err(PolicyError::NotJson(_))
        ));
        assert_eq!(parse_live("[]"), Err(PolicyError::NotObject));
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222"]);
        let m = |t: &str| merge(Some(&parse_live(t).unwrap()), &input(&b, None, &e));
        assert_eq!(
            m(r#"{"Statement":"x"}"#),
            Err(PolicyError::BadStatements("a string"))
        );
        assert_eq!(
            m(r#"{"Statement":[1]}"#),
            Err(PolicyError::StatementNotObject { index: 0 })
        );
        for bad in [
            r#"{"Sid":"AWSCloudTrailWrite20150319","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}"#,
            r#"{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","NotPrincipal":{"Service":"x"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceArn":"a"}}}"#,
            r#"{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:*:trail/*"}}}"#,
        ] {
            let r = m(&format!(r#"{{"Statement":[{bad}]}}"#));
            assert!(
                matches!(r, Err(PolicyError::SidConflict { .. })),
                "{bad}: {r:?}"
            );
        }
    }

    #[test]
    fn unknown_conditions_on_managed_statements_are_kept() {
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222"]);
        let live = parse_live(r#"{"Statement":[{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceArn":["arn:aws:cloudtrail:us-east-1:999999999999:trail/old"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#).unwrap();
        let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
        assert_eq!(
            m.policy["Statement"][0]["Condition"]["IpAddress"],
            json!({"aws:SourceIp": "10.0.0.0/8"})
        );
    }

    #[test]
    fn forms_step_down_as_the_organization_grows() {
        let b: BucketName = "sec-log".parse().unwrap();
        for (n, form) in [
            (50, Form::Exact),
            (120, Form::AccountArns),
            (200, Form::SourceAccount),
            (600, Form::SharedPrefix),
        ] {
            let e = many(n);
            let m = merge(None, &input(&b, None, &e)).unwrap();
            assert_eq!(m.form, form, "{n} accounts: {:?}", m.form_sizes);
            assert!(m.size <= SIZE_LIMIT);
        }
        let e = many(10_000);
        let err = merge(None, &input(&b, None, &e)).unwrap_err();
        assert!(
            err.to_string().contains("organization cannot be used"),
            "{err}"
        );
        let org = Org {
            id: "o-abc123defg".into(),
            members: e.iter().map(|x| x.account.to_string()).collect(),
        };
        let m = merge(
            None,
            &PolicyInput {
                org: Some(&org),
                ..input(&b, None, &e)
            },
        )
        .unwrap();
        assert_eq!(m.form, Form::Organization);
        assert!(m.size < 1000);
    }

    #[test]
    fn a_pinned_form_that_does_not_fit_is_an_error_that_says_how_many_fit() {
        let b: BucketName = "sec-log".parse().unwrap();
        let e = many(200);
        let err = merge(
            None,
            &PolicyInput {
                form: PolicyForm::Exact,
                ..input(&b, None, &e)
            },
        )
        .unwrap_err();
        let PolicyError::TooLarge { fit, accounts, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(accounts, 200);
        assert!((80..130).contains(&fit), "{fit}");
        let exact = |k: usize| {
            merge(
                None,
                &PolicyInput {
                    form: PolicyForm::Exact,
                    ..input(&b, None, &e[..k])
                },
            )
        };
        assert!(exact(fit).is_ok());
        assert!(exact(fit + 1).is_err());
    }

    #[test]
    fn a_shared_prefix_is_not_narrowed_so_the_next_run_changes_nothing() {
        // Found by tests/properties.rs: a policy near the limit stepped down to the shared prefix (the
        // source-account form was 2 bytes over); the next run found a per-account form that kept the shared
        // prefix as well (smaller, since the kept accounts' own prefixes had been folded into it), chose it,
        // and changed the policy again. A per-account form cannot keep `AWSLogs/*` without narrowing it.
        let b: BucketName = "sec-log".parse().unwrap();
        let live = parse_live(r#"{"Statement":[{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceAccount":["100000000000","999999999999"]}}},{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":["arn:aws:s3:::sec-log/AWSLogs/*"],"Condition":{"StringEquals":{"aws:SourceAccount":["100000000000","999999999999"],"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#).unwrap();
        let e = many(1);
        let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
        assert_eq!(m.form, Form::SharedPrefix, "{:?}", m.form_sizes);
        assert_eq!(m.created_statements, [DENY_SID], "{:?}", m.form_sizes);
        let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
        assert!(!again.changed, "{:?}", again.form_sizes);
    }

    #[test]
    fn stepping_down_keeps_what_the_live_policy_allowed() {
        let b: BucketName = "sec-log".parse().unwrap();
        let live = parse_live(r#"{"Statement":[{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:999999999999:trail/old"}}}]}"#).unwrap();
        let e = many(120);
        let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
        assert_eq!(m.form, Form::AccountArns);
        assert!(
            m.kept_sources
                .contains(&"arn:aws:cloudtrail:*:999999999999:trail/*".to_owned()),
            "{:?}",
            m.kept_sources
        );
        // and once in a wider form, the narrower one is no longer possible: never narrow silently
        let m2 = merge(
            Some(&m.policy),
            &PolicyInput {
                form: PolicyForm::Exact,
                ..input(&b, None, &e[..2])
            },
        );
        assert!(matches!(m2, Err(PolicyError::NoUsableForm(..))), "{m2:?}");
    }

    // ---------------------------------------------------------------------------------------------
    // The delivery.logs statements (issue 11)

    fn ids(e: &[Entry]) -> Vec<AccountId> {
        e.iter().map(|x| x.account.clone()).collect()
    }

    /// `input` with flow logs for `flow` in ap-northeast-2.
    fn with_flow<'a>(inp: PolicyInput<'a>, flow: &'a [AccountId]) -> PolicyInput<'a> {
        PolicyInput {
            flow_logs: FlowLogAccounts {
                accounts: flow,
                region: "ap-northeast-2",
            },
            ..inp
        }
    }

    /// What delivery.logs asks when it writes `account`'s flow logs (a concrete `aws:SourceArn`, as AWS
    /// sends; `org` as `aws:SourceOrgID`).
    fn flow_target(
        account: &str,
        prefix: Option<&str>,
        org: Option<&str>,
    ) -> crate::plan::evaluate::Delivery {
        crate::plan::evaluate::Delivery {
            partition: "aws".into(),
            bucket: "sec-log".into(),
            key_prefix: prefix.map(str::to_owned),
            account_id: account.into(),
            source_arn: format!("arn:aws:logs:ap-northeast-2:{account}:vpc-flow-log-delivery"),
            source_account: account.into(),
            org_id: org.map(str::to_owned),
            service: LOG_DELIVERY.into(),
            log_kind: "vpcflowlogs".into(),
            region: "ap-northeast-2".into(),
        }
    }

    fn allowed(policy: &Value, t: &crate::plan::evaluate::Delivery) -> bool {
        crate::plan::evaluate::check_delivery(policy, t).allowed()
    }

    #[test]
    fn flow_logs_exact_form_snapshot() {
        let b: BucketName = "sec-log".parse().unwrap();
        let p: KeyPrefix = "org".parse().unwrap();
        let e = entries(&["222222222222", "111111111111"]);
        let flow = ids(&e);
        let m = merge(None, &with_flow(input(&b, Some(&p), &e), &flow)).unwrap();
        insta::assert_json_snapshot!(m.policy);
        assert_eq!(m.form, Form::Exact);
        let d = m.log_delivery.as_ref().unwrap();
        assert_eq!(d.form, DeliveryForm::Exact);
        assert_eq!(
            m.created_statements,
            [
                ACL_SID,
                WRITE_SID,
                DENY_SID,
                LOG_ACL_SID,
                LOG_WRITE_SID,
                LOG_DENY_SID
            ]
        );
        assert_eq!(
            d.added_sources,
            [
                "111111111111",
                "222222222222",
                "arn:aws:logs:ap-northeast-2:111111111111:*",
                "arn:aws:logs:ap-northeast-2:222222222222:*"
            ]
        );
        for a in ["111111111111", "222222222222"] {
            assert!(
                allowed(&m.policy, &flow_target(a, Some("org"), None)),
                "{a}"
            );
        }
        // another account, another Region, the wrong prefix, or a key under another account's folder: no
        assert!(!allowed(
            &m.policy,
            &flow_target("333333333333", Some("org"), None)
        ));
        let other_region = crate::plan::evaluate::Delivery {
            source_arn: "arn:aws:logs:us-east-1:111111111111:vpc-flow-log-delivery".into(),
            ..flow_target("111111111111", Some("org"), None)
        };
        assert!(!allowed(&m.policy, &other_region));
        assert!(!allowed(
            &m.policy,
            &flow_target("111111111111", None, None)
        ));
        let into_other = flow_target("111111111111", Some("org/AWSLogs/222222222222"), None);
        let v = crate::plan::evaluate::check_delivery(&m.policy, &into_other);
        assert_eq!(v.write.sid(), Some(LOG_DENY_SID), "{v:?}");
        // idempotent
        let again = merge(Some(&m.policy), &with_flow(input(&b, Some(&p), &e), &flow)).unwrap();
        assert!(!again.changed, "{again:#?}");
        assert_eq!(again.text, m.text);
    }

    /// Without `[flow_logs]` (or without its `s3` destination) the policy is what it was before issue 11.
    #[test]
    fn no_flow_logs_no_delivery_statements() {
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222"]);
        let m = merge(None, &input(&b, None, &e)).unwrap();
        assert!(m.log_delivery.is_none());
        assert!(!m.text.contains(LOG_DELIVERY));
    }

    /// Flow logs are not trails: an account whose trail is someone else's (no CloudTrail entry of
    /// trailhub's) still gets the delivery.logs statements, and the merge needs no trail at all.
    #[test]
    fn flow_logs_without_trails() {
        let b: BucketName = "sec-log".parse().unwrap();
        let flow: Vec<AccountId> = vec!["222222222222".parse().unwrap()];
        let m = merge(None, &with_flow(input(&b, None, &[]), &flow)).unwrap();
        assert_eq!(
            m.created_statements,
            [LOG_ACL_SID, LOG_WRITE_SID, LOG_DENY_SID]
        );
        assert!(allowed(&m.policy, &flow_target("222222222222", None, None)));
        assert!(!m.text.contains(CLOUDTRAIL));
    }

    /// AWS attaches `AWSLogDeliveryWrite` and `AWSLogDeliveryAclCheck` itself: they are someone else's
    /// statements, kept byte for byte; trailhub's go beside them under its own Sids.
    #[test]
    fn aws_own_log_delivery_statements_are_kept_as_foreign() {
        let b: BucketName = "sec-log".parse().unwrap();
        let live = parse_live(r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"AWSLogDeliveryWrite","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999","s3:x-amz-acl":"bucket-owner-full-control"},"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:999999999999:*"}}},
          {"Sid":"AWSLogDeliveryAclCheck","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"},"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:999999999999:*"}}}]}"#).unwrap();
        let e = entries(&["222222222222"]);
        let flow = ids(&e);
        let inp = with_flow(input(&b, None, &e), &flow);
        let m = merge(Some(&live), &inp).unwrap();
        let st = m.policy["Statement"].as_array().unwrap();
        assert_eq!(st[0], live["Statement"][0]);
        assert_eq!(st[1], live["Statement"][1]);
        assert_eq!(st.len(), 8, "AWS's two, trailhub's three and three");
        let d = m.log_delivery.as_ref().unwrap();
        assert!(d.kept_sources.is_empty(), "AWS's are not trailhub's: {d:?}");
        assert!(allowed(&m.policy, &flow_target("222222222222", None, None)));
        let again = merge(Some(&m.policy), &inp).unwrap();
        assert!(!again.changed, "{again:#?}");
    }

    #[test]
    fn a_log_delivery_statement_of_another_shape_is_a_sid_conflict() {
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222"]);
        let flow = ids(&e);
        let cond = r#""Condition":{"StringEquals":{"aws:SourceAccount":"222222222222"}}"#;
        let p = r#""Principal":{"Service":"delivery.logs.amazonaws.com"}"#;
        for bad in [
            format!(
                r#"{{"Sid":"TrailhubLogDeliveryWrite","Effect":"Deny",{p},"Action":"s3:PutObject","Resource":"*",{cond}}}"#
            ),
            format!(
                r#"{{"Sid":"TrailhubLogDeliveryWrite","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"*",{cond}}}"#
            ),
            format!(
                r#"{{"Sid":"TrailhubLogDeliveryAclCheck","Effect":"Allow",{p},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log",{cond}}}"#
            ),
            format!(
                r#"{{"Sid":"TrailhubLogDeliveryAclCheck","Effect":"Allow",{p},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"arn:aws:s3:::sec-log"}}"#
            ),
            format!(
                r#"{{"Sid":"TrailhubLogDeliveryAclCheck","Effect":"Allow",{p},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"arn:aws:s3:::sec-log","Condition":{{"ArnLike":{{"aws:SourceArn":"arn:aws:logs:*:*:*"}}}}}}"#
            ),
            format!(
                r#"{{"Sid":"TrailhubLogDeliveryWrite","Effect":"Allow",{p},"Action":"s3:PutObject","Resource":"*","Condition":{{"StringEquals":{{"aws:SourceAccount":"222222222222","s3:x-amz-acl":"private"}}}}}}"#
            ),
            format!(
                r#"{{"Sid":"TrailhubLogDeliveryWrite","Effect":"Allow",{p},"Action":"s3:PutObject","Resource":"*","Condition":{{"StringEquals":{{"aws:SourceAccount":"222222222222","aws:SourceOrgID":"o-abc"}}}}}}"#
            ),
            r#"{"Sid":"TrailhubDenyLogDeliveryIntoAnotherFolder","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"},{"Sid":"TrailhubDenyLogDeliveryIntoAnotherFolder","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}"#.to_owned(),
        ] {
            let live = parse_live(&format!(r#"{{"Statement":[{bad}]}}"#)).unwrap();
            let r = merge(Some(&live), &with_flow(input(&b, None, &e), &flow));
            assert!(
                matches!(r, Err(PolicyError::SidConflict { .. })),
                "{bad}: {r:?}"
            );
        }
    }

    /// Values in trailhub's delivery.logs statements that the config does not name are kept, whatever the
    /// form; a form that would narrow them cannot be used.
    #[test]
    fn log_delivery_values_the_config_does_not_name_are_kept() {
        let b: BucketName = "sec-log".parse().unwrap();
        let old = "arn:aws:logs:us-east-1:999999999999:*";
        let live = parse_live(&format!(r#"{{"Statement":[
          {{"Sid":"TrailhubLogDeliveryAclCheck","Effect":"Allow","Principal":{{"Service":"delivery.logs.amazonaws.com"}},"Action":["s3:ListBucket","s3:GetBucketAcl"],"Resource":"arn:aws:s3:::sec-log","Condition":{{"StringEquals":{{"aws:SourceAccount":"999999999999"}},"ArnLike":{{"aws:SourceArn":"{old}"}}}}}},
          {{"Sid":"TrailhubLogDeliveryWrite","Effect":"Allow","Principal":{{"Service":"delivery.logs.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{{"StringEquals":{{"aws:SourceAccount":"999999999999","s3:x-amz-acl":"bucket-owner-full-control"}},"ArnLike":{{"aws:SourceArn":"{old}"}},"IpAddress":{{"aws:SourceIp":"10.0.0.0/8"}}}}}}]}}"#)).unwrap();
        let e = entries(&["222222222222"]);
        let flow = ids(&e);
        let inp = with_flow(input(&b, None, &e), &flow);
        let m = merge(Some(&live), &inp).unwrap();
        let d = m.log_delivery.as_ref().unwrap();
        assert_eq!(d.form, DeliveryForm::Exact);
        assert_eq!(d.kept_sources, ["999999999999", old]);
        assert_eq!(
            d.kept_resources,
            ["arn:aws:s3:::sec-log/AWSLogs/999999999999/*"]
        );
        assert_eq!(
            d.added_sources,
            ["222222222222", "arn:aws:logs:ap-northeast-2:222222222222:*"]
        );
        assert!(m.created_statements == [ACL_SID, WRITE_SID, DENY_SID, LOG_DENY_SID]);
        // in place, the condition trailhub does not manage kept
        assert_eq!(
            m.policy["Statement"][1]["Condition"]["IpAddress"],
            json!({"aws:SourceIp": "10.0.0.0/8"})
        );
        let again = merge(Some(&m.policy), &inp).unwrap();
        assert!(!again.changed, "{again:#?}");

        // smaller forms fold the kept logs ARN into its account; once whole accounts are allowed, the exact
        // form (which names logs ARNs) would narrow them and cannot be used
        let pinned = PolicyInput {
            form: PolicyForm::SourceAccount,
            ..inp.clone()
        };
        let m = merge(Some(&m.policy), &pinned).unwrap();
        let d = m.log_delivery.as_ref().unwrap();
        assert_eq!(d.form, DeliveryForm::SourceAccount);
        assert_eq!(d.kept_sources, ["999999999999"]);
        assert!(d.rewritten_sources.contains(&old.to_owned()), "{d:?}");
        let back = merge(Some(&m.policy), &inp).unwrap();
        let d = back.log_delivery.as_ref().unwrap();
        assert_eq!(d.form, DeliveryForm::SourceAccount, "{:?}", d.form_sizes);
        assert!(
            d.form_sizes[0]
                .unusable
                .as_deref()
                .is_some_and(|w| w.contains("whole accounts")),
            "{:?}",
            d.form_sizes
        );
        // the delivery.logs statements stay as they are (the CloudTrail ones go back to the exact form)
        let sid = |p: &Value, sid: &str| {
            p["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .cloned()
        };
        for s in [LOG_ACL_SID, LOG_WRITE_SID] {
            assert_eq!(sid(&back.policy, s), sid(&m.policy, s), "{s}");
        }
    }

    /// One 20 KB for both families: flow logs for the same accounts make the CloudTrail statements step
    /// down sooner, and each combination is the most specific that fits (the widest family as narrow as
    /// possible first).
    #[test]
    fn both_families_share_one_size_budget() {
        let b: BucketName = "sec-log".parse().unwrap();
        let e = many(60);
        let alone = merge(None, &input(&b, None, &e)).unwrap();
        assert_eq!(alone.form, Form::Exact);
        let flow = ids(&e);
        let both = merge(None, &with_flow(input(&b, None, &e), &flow)).unwrap();
        assert_eq!(both.form, Form::AccountArns, "{:?}", both.form_sizes);
        assert!(both.size <= SIZE_LIMIT);
        // the CloudTrail exact form passed over: too large with the delivery.logs statements in their form
        assert!(both.form_sizes[0].size.unwrap() > SIZE_LIMIT);
        assert!(alone.form_sizes[0].size.unwrap() <= SIZE_LIMIT);
        let d = both.log_delivery.as_ref().unwrap();
        assert_eq!(d.form, DeliveryForm::Exact);
        assert_eq!(d.form_sizes.last().unwrap().size, Some(both.size));
        assert_eq!(both.text.len(), both.size);
    }

    #[test]
    fn combinations_step_down_as_the_accounts_grow() {
        let b: BucketName = "sec-log".parse().unwrap();
        use DeliveryForm as D;
        for (n, ct, dl) in [
            (30, Form::Exact, D::Exact),
            (60, Form::AccountArns, D::Exact),
            (68, Form::Exact, D::SourceAccount),
            (80, Form::AccountArns, D::SourceAccount),
            (100, Form::SourceAccount, D::SourceAccount),
            (150, Form::SourceAccount, D::SharedPrefix),
            (250, Form::SharedPrefix, D::SharedPrefix),
        ] {
            let e = many(n);
            let flow = ids(&e);
            let inp = with_flow(input(&b, None, &e), &flow);
            let m = merge(None, &inp).unwrap();
            let d = m.log_delivery.as_ref().unwrap();
            assert_eq!(
                (m.form, d.form),
                (ct, dl),
                "{n}: {:?} {:?}",
                m.form_sizes,
                d.form_sizes
            );
            assert!(m.size <= SIZE_LIMIT);
            for x in [&e[0], &e[e.len() - 1]] {
                assert!(allowed(
                    &m.policy,
                    &flow_target(x.account.as_str(), None, None)
                ));
            }
            let again = merge(Some(&m.policy), &inp).unwrap();
            assert!(!again.changed, "{n}");
        }
        // past that, only an organization fits
        let e = many(1_000);
        let flow = ids(&e);
        let err = merge(None, &with_flow(input(&b, None, &e), &flow)).unwrap_err();
        let PolicyError::TooLarge { log_sizes, fit, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(log_sizes.len(), DeliveryForm::ALL.len());
        assert!((20..60).contains(fit), "{err}");
        assert!(
            err.to_string()
                .contains("the delivery.logs statements: exact is"),
            "{err}"
        );
        let org = Org {
            id: "o-abc123defg".into(),
            members: e.iter().map(|x| x.account.to_string()).collect(),
        };
        let inp = PolicyInput {
            org: Some(&org),
            ..with_flow(input(&b, None, &e), &flow)
        };
        let m = merge(None, &inp).unwrap();
        let d = m.log_delivery.as_ref().unwrap();
        assert_eq!((m.form, d.form), (Form::Organization, D::Organization));
        assert!(m.size < 2_000, "{}", m.size);
        let member = flow_target(e[500].account.as_str(), None, Some("o-abc123defg"));
        assert!(allowed(&m.policy, &member));
        // without aws:SourceOrgID in the request (if delivery.logs does not send it), refused: it shows
        assert!(!allowed(
            &m.policy,
            &flow_target(e[500].account.as_str(), None, None)
        ));
    }

    /// A pinned `policy_form` pins the delivery.logs statements to its counterpart.
    #[test]
    fn a_pinned_form_pins_both_families() {
        let b: BucketName = "sec-log".parse().unwrap();
        let e = many(3);
        let flow = ids(&e);
        for (pin, dl) in [
            (PolicyForm::Exact, DeliveryForm::Exact),
            (PolicyForm::AccountArns, DeliveryForm::Exact),
            (PolicyForm::SourceAccount, DeliveryForm::SourceAccount),
            (PolicyForm::SharedPrefix, DeliveryForm::SharedPrefix),
        ] {
            let inp = PolicyInput {
                form: pin,
                ..with_flow(input(&b, None, &e), &flow)
            };
            let m = merge(None, &inp).unwrap();
            assert_eq!(m.log_delivery.unwrap().form, dl, "{pin:?}");
        }
    }

    #[test]
    fn what_another_writer_lost_is_put_back_with_what_it_added() {
        let wrote = json!({"Version": "2012-10-17", "Id": "x", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "old"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}]});
        assert_eq!(restore_lost(&wrote, Some(&wrote)), None);
        // a statement added beside them loses nothing
        let mut more = wrote.clone();
        more["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Sid": "B"}));
        assert_eq!(restore_lost(&wrote, Some(&more)), None);
        let aws = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "new"},
            {"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": "*", "Action": "s3:GetBucketAcl", "Resource": "b"}]});
        let r = restore_lost(&wrote, Some(&aws)).unwrap();
        assert_eq!(r.lost, ["A", "AWSLogDeliveryWrite", "statement 3 (no Sid)"]);
        assert_eq!(r.kept, ["AWSLogDeliveryWrite2", "AWSLogDeliveryAclCheck"]);
        assert_eq!(
            r.renamed,
            [(
                "AWSLogDeliveryWrite".to_owned(),
                "AWSLogDeliveryWrite2".to_owned()
            )]
        );
        let st = r.policy["Statement"].as_array().unwrap();
        assert_eq!(st[..3], wrote["Statement"].as_array().unwrap()[..]);
        assert_eq!(st[3]["Resource"], "new");
        assert_eq!(st[3]["Sid"], "AWSLogDeliveryWrite2");
        assert_eq!(r.policy["Id"], "x");
        // the restored policy loses nothing of either
        assert_eq!(restore_lost(&wrote, Some(&r.policy)), None);
        // no policy at all: everything was lost
        assert_eq!(restore_lost(&wrote, None).unwrap().policy, wrote);
    }
}
