//! The shared bucket policy (pure): build trailhub's two CloudTrail statements, merge them into the live
//! policy without touching anything else, and keep the result under S3's 20 KB limit.
//!
//! trailhub owns exactly two statements, found by the Sids of AWS's documentation. Every other statement is
//! kept as it was, in its order. Entries already in the two statements are kept too (removing accounts is
//! an explicit, separate act), so a merge only ever widens what the two statements allow.
//!
//! The two statements name the trails they allow in one of several forms, from the most specific to the
//! smallest ([`Form`]). With `policy_form = "auto"` the most specific form that fits in 20 KB is chosen;
//! none of them drops the source condition or uses a `*` principal.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::document::strings;
use super::layout;
use crate::config::PolicyForm;
use crate::model::{AccountId, BucketName, KeyPrefix, TrailArn, is_account_id};

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
    #[error(
        "no allowed policy form can be used: {}; choose another policy_form (runbooks/troubleshooting.md#policy-too-large)",
        describe_sizes(.0)
    )]
    NoUsableForm(Vec<FormSize>),
    #[error(
        "the merged bucket policy fits in no allowed form: {}; {fit} of the {accounts} accounts fit in the {} form (runbooks/troubleshooting.md#policy-too-large)",
        describe_sizes(.sizes),
        .sizes.first().map_or("first", |s| s.form.name())
    )]
    TooLarge {
        sizes: Vec<FormSize>,
        accounts: usize,
        fit: usize,
    },
}

fn describe_sizes(sizes: &[FormSize]) -> String {
    sizes
        .iter()
        .map(|s| match (&s.size, &s.unusable) {
            (Some(n), _) => format!("{} is {n} bytes (limit {SIZE_LIMIT})", s.form.name()),
            (None, Some(why)) => format!("{} cannot be used ({why})", s.form.name()),
            (None, None) => format!("{} not tried", s.form.name()),
        })
        .collect::<Vec<_>>()
        .join("; ")
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

/// What the policy is for: the bucket, its optional key prefix, the trails to allow and how to name them.
#[derive(Debug, Clone)]
pub struct PolicyInput<'a> {
    pub bucket: &'a BucketName,
    pub partition: &'a str,
    pub prefix: Option<&'a KeyPrefix>,
    pub entries: &'a [Entry],
    pub form: PolicyForm,
    pub org: Option<&'a Org>,
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
}

/// The size of the policy in one form, or why that form cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormSize {
    pub form: Form,
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
    let conflict = |why: &str| {
        Err(PolicyError::SidConflict {
            sid: sid.to_owned(),
            why: why.to_owned(),
        })
    };
    if stmt.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return conflict("its Effect is not Allow");
    }
    for k in ["NotPrincipal", "NotAction", "NotResource"] {
        if stmt.contains_key(k) {
            return conflict(&format!("it uses {k}"));
        }
    }
    let service = stmt
        .get("Principal")
        .and_then(Value::as_object)
        .filter(|p| p.len() == 1)
        .map(|p| strings(p.get("Service")));
    if service.as_deref() != Some(&[CLOUDTRAIL.to_owned()]) {
        return conflict("its Principal is not {\"Service\": \"cloudtrail.amazonaws.com\"}");
    }
    if strings(stmt.get("Action")) != [action] {
        return conflict(&format!("its Action is not {action}"));
    }
    if !matches!(
        stmt.get("Resource"),
        Some(Value::String(_) | Value::Array(_))
    ) {
        return conflict("its Resource is not a string or a list of strings");
    }
    let mut c = Content {
        resources: strings(stmt.get("Resource")).into_iter().collect(),
        ..Content::default()
    };
    let Some(cond) = stmt.get("Condition").and_then(Value::as_object) else {
        return conflict(
            "it has no source condition: adding one would cut off every trail it allows now",
        );
    };
    for (op, keys) in cond {
        let Some(keys) = keys.as_object() else {
            return conflict(&format!("its {op} condition is not an object"));
        };
        for (key, value) in keys {
            if !is_managed_key(op, key, is_write) {
                c.extra.entry(op.clone()).or_insert_with(|| json!({}))[key] = value.clone();
                continue;
            }
            let values = strings(Some(value));
            match (op.as_str(), key.to_ascii_lowercase().as_str()) {
                ("StringEquals", k) if k == ACL_KEY => {
                    if values != [FULL_CONTROL] {
                        return conflict(
                            "its s3:x-amz-acl condition is not bucket-owner-full-control",
                        );
                    }
                }
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
                                return conflict(&format!(
                                    "its ArnLike pattern {p:?} is not one trailhub writes"
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
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
    let mut deny = None;
    for (index, s) in statements.iter().enumerate() {
        let Value::Object(stmt) = s else {
            return Err(PolicyError::StatementNotObject { index });
        };
        let sid = stmt.get("Sid").and_then(Value::as_str);
        if sid == Some(DENY_SID) {
            if deny.is_some() {
                return Err(PolicyError::SidConflict {
                    sid: DENY_SID.to_owned(),
                    why: "two statements have this Sid".into(),
                });
            }
            deny = Some(index);
            continue;
        }
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
    })
}

/// Merges trailhub's two statements for `input` into `live` (None: the bucket has no policy), in the most
/// specific allowed form that fits.
pub fn merge(live: Option<&Value>, input: &PolicyInput) -> Result<Merged, PolicyError> {
    let l = read_live(live)?;
    let (best, sizes) = try_forms(&l, input, candidates(input.form));
    match best {
        Some(mut m) => {
            m.form_sizes = sizes;
            Ok(m)
        }
        None if sizes.iter().all(|s| s.size.is_none()) => Err(PolicyError::NoUsableForm(sizes)),
        None => {
            let fit = how_many_fit(&l, input);
            Err(PolicyError::TooLarge {
                sizes,
                accounts: input.entries.len(),
                fit,
            })
        }
    }
}

/// The first of `forms` that can express everything and fits, and the size of each form tried.
fn try_forms(l: &Live, input: &PolicyInput, forms: Vec<Form>) -> (Option<Merged>, Vec<FormSize>) {
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
    let mut sizes = Vec::new();
    for form in forms {
        match render(form, input, &kept) {
            Err(why) => sizes.push(FormSize {
                form,
                size: None,
                unusable: Some(why),
            }),
            Ok((acl, write)) => {
                let placed = place(l, input, acl, write);
                sizes.push(FormSize {
                    form,
                    size: Some(placed.size),
                    unusable: None,
                });
                if placed.size <= SIZE_LIMIT {
                    return (Some(assemble(l, input, form, placed)), sizes);
                }
            }
        }
    }
    (None, sizes)
}

/// How many of the entries fit in the first candidate form (for the error message).
fn how_many_fit(l: &Live, input: &PolicyInput) -> usize {
    let first = candidates(input.form)[0];
    let fits = |k: usize| {
        let sub = PolicyInput {
            entries: &input.entries[..k],
            ..input.clone()
        };
        try_forms(l, &sub, vec![first]).0.is_some()
    };
    if !fits(0) {
        return 0;
    }
    let (mut lo, mut hi) = (0, input.entries.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    lo
}

/// A form's policy document, before the bookkeeping of what changed (only the chosen form gets that).
struct Placed {
    policy: Value,
    /// Its minified size.
    size: usize,
    changed: bool,
    created_statements: Vec<String>,
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

/// Puts the two statements in place (where they were, else at the end), keeping a live statement untouched
/// when it already says exactly this, so a second run writes nothing.
fn place(l: &Live, input: &PolicyInput, acl: Content, write: Content) -> Placed {
    let mut statements = l.statements.clone();
    let mut changed = l.normalized || l.doc.get("Version").is_none() && l.statements.is_empty();
    let mut created_statements = Vec::new();
    for (sid, action, is_write, content, found) in [
        (l.sids[0], "s3:GetBucketAcl", false, acl, &l.acl),
        (l.sids[1], "s3:PutObject", true, write, &l.write),
    ] {
        if input.entries.is_empty() && found.is_none() {
            continue;
        }
        let mut content = content;
        if let Some((_, live)) = found {
            content.extra = live.extra.clone();
        }
        match found {
            Some((i, live)) => {
                if *live != content {
                    statements[*i] = statement(sid, action, &content, is_write, input);
                    changed = true;
                }
            }
            None => {
                statements.push(statement(sid, action, &content, is_write, input));
                created_statements.push(sid.to_owned());
                changed = true;
            }
        }
    }
    if !input.entries.is_empty() || l.deny.is_some() {
        let deny = deny_foreign_prefix(input);
        match l.deny {
            Some(i) if statements[i] == deny => {}
            Some(i) => {
                statements[i] = deny;
                changed = true;
            }
            None => {
                statements.push(deny);
                created_statements.push(DENY_SID.to_owned());
                changed = true;
            }
        }
    }
    let mut doc = l.doc.clone();
    doc.insert("Statement".into(), Value::Array(statements));
    let policy = Value::Object(doc);
    let mut size = ByteCount::default();
    serde_json::to_writer(&mut size, &policy).expect("a JSON value serializes");
    Placed {
        policy,
        size: size.0,
        changed,
        created_statements,
    }
}

/// The merged policy in `form`, with what the merge added, kept and rewrote.
fn assemble(l: &Live, input: &PolicyInput, form: Form, placed: Placed) -> Merged {
    let Placed {
        policy,
        size,
        changed,
        created_statements,
    } = placed;
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
    let statements = policy
        .get("Statement")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let new_sources = match statements
        .iter()
        .find(|s| s.get("Sid").and_then(Value::as_str) == Some(l.sids[0]))
    {
        Some(Value::Object(s)) => read_managed(l.sids[0], "s3:GetBucketAcl", s, false)
            .map(|c| source_entries(&c, input))
            .unwrap_or_default(),
        _ => BTreeSet::new(),
    };
    let new_resources = match statements
        .iter()
        .find(|s| s.get("Sid").and_then(Value::as_str) == Some(l.sids[1]))
    {
        Some(s) => strings(s.get("Resource"))
            .into_iter()
            .collect::<BTreeSet<_>>(),
        None => BTreeSet::new(),
    };
    let text = policy.to_string();
    debug_assert_eq!(text.len(), size);
    Merged {
        // an entry kept from the live policy but written in this form's shape is kept, not added (its old
        // spelling shows as rewritten)
        added_sources: new_sources
            .difference(&live_sources)
            .filter(|s| wanted_sources.contains(*s))
            .cloned()
            .collect(),
        rewritten_sources: live_sources.difference(&new_sources).cloned().collect(),
        kept_sources: new_sources.difference(&wanted_sources).cloned().collect(),
        added_resources: new_resources.difference(&live_resources).cloned().collect(),
        rewritten_resources: live_resources.difference(&new_resources).cloned().collect(),
        kept_resources: new_resources
            .difference(&config_resources)
            .cloned()
            .collect(),
        policy,
        text,
        size,
        changed,
        form,
        form_sizes: vec![],
        created_statements,
        legacy_statements: l.legacy.clone(),
        normalized_statement_list: l.normalized,
    }
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
        use crate::plan::evaluate::{DeliveryTarget, check_delivery};
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222", "333333333333"]);
        let shared = PolicyInput {
            form: PolicyForm::SharedPrefix,
            ..input(&b, None, &e)
        };
        let m = merge(None, &shared).unwrap();
        let target = |prefix: Option<&str>| DeliveryTarget {
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
        assert!(matches!(m2, Err(PolicyError::NoUsableForm(_))), "{m2:?}");
    }
}
