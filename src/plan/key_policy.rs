//! The KMS key policy (pure): trailhub's statements for the CloudTrail key, merged into the live key policy
//! with the bucket policy's zero-loss rules. Every statement trailhub did not write is kept as it is; the
//! trails and accounts trailhub's own statements already name are kept too (union, never narrowed); the most
//! specific form that fits KMS's 32 KB (KMS-1) is chosen; and a policy that would lock the central account
//! out of its own key is never produced (KMS-5).
//!
//! trailhub's statements, as AWS documents them for CloudTrail (KMS-2):
//! - `TrailhubCloudTrailEncrypt`: `cloudtrail.amazonaws.com` may `kms:GenerateDataKey*`, for the trails in
//!   scope (by `aws:SourceArn`, or `aws:SourceAccount` / `aws:SourceOrgID` once compacted) and only with
//!   CloudTrail's encryption context `kms:EncryptionContext:aws:cloudtrail:arn` of their accounts;
//! - `TrailhubCloudTrailDescribeKey`: CloudTrail may `kms:DescribeKey`;
//! - `TrailhubCloudTrailDecrypt`: CloudTrail may `kms:Decrypt`, for the same trails (by the same source
//!   condition as the Encrypt statement): with the bucket's S3 Bucket Key, which trailhub turns on with the
//!   key, CloudTrail needs it to create or update a trail that encrypts (KMS-9);
//! - `TrailhubDecryptLogs`: the central account's principals may `kms:Decrypt` what CloudTrail encrypted
//!   (`kms:CallerAccount`, and the context present), as their own IAM policies allow;
//! - with flow logs to the bucket, `TrailhubLogDeliveryEncrypt`: `delivery.logs.amazonaws.com` may
//!   `kms:GenerateDataKey*` for the flow-log accounts, since the bucket's default encryption uses the key
//!   (S3-7), and `TrailhubDecryptBucketObjects` lets the central account read those objects.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use super::document::{statements, strings};
use super::evaluate::{Decision, Request, Source, evaluate, service_context};
use super::policy::evidence::{self, Evidence};
use super::policy::family::trail_pattern;
use super::policy::{CLOUDTRAIL, LOG_DELIVERY, SOURCE_ACCOUNT, SOURCE_ARN, SOURCE_ORG};
use super::prune::Gone;
use crate::model::{AccountId, BucketName, TrailArn};

/// KMS's limit on a key policy (KMS-1).
pub const MAX_KEY_POLICY: usize = 32_768;

pub const ENCRYPT: &str = "TrailhubCloudTrailEncrypt";
pub const DESCRIBE: &str = "TrailhubCloudTrailDescribeKey";
/// CloudTrail's `kms:Decrypt`, which the S3 Bucket Key makes necessary (KMS-9).
pub const CLOUDTRAIL_DECRYPT: &str = "TrailhubCloudTrailDecrypt";
pub const DECRYPT: &str = "TrailhubDecryptLogs";
pub const LOG_DELIVERY_ENCRYPT: &str = "TrailhubLogDeliveryEncrypt";
pub const DECRYPT_OBJECTS: &str = "TrailhubDecryptBucketObjects";
/// The Sid of AWS's default key policy statement, which a key trailhub creates starts with.
pub const ROOT_SID: &str = "Enable IAM User Permissions";

pub const OURS: [&str; 6] = [
    ENCRYPT,
    DESCRIBE,
    CLOUDTRAIL_DECRYPT,
    DECRYPT,
    LOG_DELIVERY_ENCRYPT,
    DECRYPT_OBJECTS,
];
const CLOUDTRAIL_CONTEXT: &str = "kms:EncryptionContext:aws:cloudtrail:arn";

/// How `TrailhubCloudTrailEncrypt` names the trails, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyForm {
    /// `aws:SourceArn`: each trail, and each account's CloudTrail context.
    Exact,
    /// `aws:SourceAccount`: each account, and each account's CloudTrail context.
    SourceAccount,
    /// `aws:SourceAccount`: each account; any CloudTrail context.
    Accounts,
    /// `aws:SourceOrgID`: the organization; any CloudTrail context.
    Organization,
}

impl KeyForm {
    pub fn name(self) -> &'static str {
        match self {
            KeyForm::Exact => "exact",
            KeyForm::SourceAccount => "source-account",
            KeyForm::Accounts => "accounts",
            KeyForm::Organization => "organization",
        }
    }
}

/// What the key policy is merged for.
#[derive(Debug, Clone)]
pub struct KeyInput<'a> {
    pub partition: &'a str,
    pub central: &'a AccountId,
    pub bucket: &'a BucketName,
    /// The trails that encrypt with the key (trailhub's, one per account in scope).
    pub trails: &'a [(AccountId, TrailArn)],
    /// The accounts whose flow logs go to the bucket (delivery.logs encrypts with the bucket's key).
    pub flow_log_accounts: &'a [AccountId],
    /// The organization's ID, with `source = "organizations"`.
    pub org_id: Option<&'a str>,
    /// With `--prune` or `offboard`: the accounts whose trails and entries in trailhub's statements are
    /// taken out rather than kept.
    pub prune: Option<Gone<'a>>,
}

/// The merged key policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyMerged {
    #[serde(skip)]
    pub policy: Value,
    /// The document, as it will be written.
    #[serde(skip)]
    pub text: String,
    pub size: usize,
    /// Whether it differs from the live policy (a new key's always does).
    pub changed: bool,
    pub form: KeyForm,
    /// What the form rests on: keys CloudTrail's key policy page documents (`aws:SourceArn`,
    /// `aws:SourceAccount`), or IAM's global rule only (`aws:SourceOrgID`, the organization form).
    #[serde(flatten)]
    pub evidence: Evidence,
    /// The trails (or accounts) this merge adds to trailhub's statements.
    pub added: Vec<String>,
    /// Trails and accounts already named that are not in scope now: kept.
    pub kept: Vec<String>,
    /// The Sids (or positions) of the statements trailhub did not write: kept as they are.
    pub foreign: Vec<String>,
    /// With `--prune`: the trails and accounts taken out, each of an account no longer in scope.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pruned: Vec<String>,
    /// The Sids of trailhub's statements the live policy lacks and this merge adds (a key policy of an older
    /// trailhub gains `TrailhubCloudTrailDecrypt`); empty for a new key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyPolicyError {
    #[error("the key policy is not a JSON policy document: {0}")]
    NotJson(String),
    #[error(
        "the key policy's statement {sid} has trailhub's Sid but not its shape ({why}); trailhub rewrites only what it can read back. Restore it from a backup or delete it (runbooks/kms.md#key-policy-statement-not-trailhubs)"
    )]
    NotOurShape { sid: String, why: String },
    #[error(
        "the merged key policy would be {size} bytes, over KMS's 32,768 even in the {form} form; nothing was written (runbooks/kms.md#key-policy-too-large)",
        form = .form.name()
    )]
    TooLarge { size: usize, form: KeyForm },
    #[error(
        "the key policy has no statement that lets the central account's root (arn:{partition}:iam::{account}:root) manage the key (kms:* or kms:PutKeyPolicy, no condition); trailhub never writes a key policy that could lock the account out of its key. Add AWS's default statement \"Enable IAM User Permissions\" first (runbooks/kms.md#key-policy-lockout)"
    )]
    Lockout { partition: String, account: String },
}

/// What trailhub's statements name in a policy: trails, accounts, the organization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Named {
    trails: BTreeSet<String>,
    accounts: BTreeSet<String>,
    org: Option<String>,
    log_accounts: BTreeSet<String>,
    log_org: Option<String>,
}

/// Merges trailhub's statements for `input` into `live` (None: a new key, which starts with AWS's default
/// statement for the account's root).
pub fn merge_key_policy(live: Option<&str>, input: &KeyInput) -> Result<KeyMerged, KeyPolicyError> {
    let live_doc = live
        .map(|t| {
            serde_json::from_str::<Value>(t).map_err(|e| KeyPolicyError::NotJson(e.to_string()))
        })
        .transpose()?;
    let (foreign, mut named) = match &live_doc {
        Some(doc) => split(doc)?,
        None => (vec![root_statement(input)], Named::default()),
    };
    let pruned = input
        .prune
        .map(|gone| prune(&mut named, gone))
        .unwrap_or_default();
    let want = wanted(input);
    let union = union(&named, &want);
    let mut last = None;
    for form in forms(&named, input.org_id) {
        let floor = size_floor(&union, form);
        if floor > MAX_KEY_POLICY {
            // cannot fit, whatever the rest: not rendered (10,000 trails make a 1 MB document)
            last = Some((floor, form));
            continue;
        }
        let mut stmts = foreign.clone();
        let mine = ours(input, &union, form);
        let created = live_doc
            .as_ref()
            .map(|doc| missing_sids(doc, &mine))
            .unwrap_or_default();
        stmts.extend(mine);
        let policy = json!({"Version": "2012-10-17", "Statement": stmts});
        let text = policy.to_string();
        if text.len() <= MAX_KEY_POLICY {
            if !keeps_admin(&policy, input.partition, input.central) {
                return Err(KeyPolicyError::Lockout {
                    partition: input.partition.to_owned(),
                    account: input.central.to_string(),
                });
            }
            return Ok(KeyMerged {
                changed: live_doc.as_ref() != Some(&policy),
                size: text.len(),
                form,
                evidence: evidence::CLOUDTRAIL_KEY.evidence(form == KeyForm::Organization),
                added: want.trails.difference(&named.trails).cloned().collect(),
                kept: named.trails.difference(&want.trails).cloned().collect(),
                foreign: foreign
                    .iter()
                    .enumerate()
                    .map(|(i, s)| label(s, i))
                    .collect(),
                pruned,
                created,
                policy,
                text,
            });
        }
        last = Some((text.len(), form));
    }
    let (size, form) = last.unwrap_or((0, KeyForm::Exact));
    Err(KeyPolicyError::TooLarge { size, form })
}

/// A size the policy in `form` cannot be below: the quoted values its source conditions list alone (twice:
/// the Encrypt and the Decrypt statement name the same sources).
fn size_floor(n: &Named, form: KeyForm) -> usize {
    let quoted = |s: &String| s.len() + 3;
    2 * match form {
        KeyForm::Exact => n.trails.iter().map(quoted).sum(),
        KeyForm::SourceAccount | KeyForm::Accounts => {
            let accounts: BTreeSet<&str> = n
                .accounts
                .iter()
                .map(String::as_str)
                .chain(n.trails.iter().filter_map(|t| account_of(t)))
                .collect();
            accounts.len() * 15
        }
        KeyForm::Organization => 0,
    }
}

/// The Sids of `mine` that no statement of `live` has.
fn missing_sids(live: &Value, mine: &[Value]) -> Vec<String> {
    let have: BTreeSet<&str> = statements(live)
        .into_iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str))
        .collect();
    mine.iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str))
        .filter(|sid| !have.contains(sid))
        .map(str::to_owned)
        .collect()
}

/// A statement's Sid, or its position when it has none.
fn label(s: &Value, i: usize) -> String {
    s.get("Sid")
        .and_then(Value::as_str)
        .map_or_else(|| format!("#{}", i + 1), str::to_owned)
}

/// The live policy's statements split into those trailhub did not write (kept as they are) and what
/// trailhub's own name.
fn split(doc: &Value) -> Result<(Vec<Value>, Named), KeyPolicyError> {
    let stmts = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => return Err(KeyPolicyError::NotJson("no Statement".into())),
    };
    let mut foreign = Vec::new();
    let mut named = Named::default();
    for s in stmts {
        let sid = s.get("Sid").and_then(Value::as_str).unwrap_or_default();
        if OURS.contains(&sid) {
            read_ours(sid, &s, &mut named)?;
        } else {
            foreign.push(s);
        }
    }
    Ok((foreign, named))
}

/// The trails, accounts and organization one of trailhub's statements names.
fn read_ours(sid: &str, s: &Value, named: &mut Named) -> Result<(), KeyPolicyError> {
    let bad = |why: &str| KeyPolicyError::NotOurShape {
        sid: sid.to_owned(),
        why: why.to_owned(),
    };
    if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return Err(bad("not an Allow"));
    }
    let cond = s.get("Condition").and_then(Value::as_object);
    let equals = cond.and_then(|c| c.get("StringEquals"));
    let field = |k: &str| strings(equals.and_then(|e| e.get(k)));
    match sid {
        ENCRYPT | CLOUDTRAIL_DECRYPT => {
            let trails = field(SOURCE_ARN);
            let accounts = field(SOURCE_ACCOUNT);
            let org = field(SOURCE_ORG);
            if trails.is_empty() && accounts.is_empty() && org.is_empty() {
                return Err(bad(
                    "no aws:SourceArn, aws:SourceAccount or aws:SourceOrgID",
                ));
            }
            named.trails.extend(trails);
            named.accounts.extend(accounts);
            named.org = org.into_iter().next().or(named.org.take());
        }
        LOG_DELIVERY_ENCRYPT => {
            named.log_accounts.extend(field(SOURCE_ACCOUNT));
            named.log_org = field(SOURCE_ORG).into_iter().next();
        }
        _ => {}
    }
    Ok(())
}

/// Takes out of `named` the trails and accounts of the accounts that are `gone`; what was taken out.
fn prune(named: &mut Named, gone: Gone) -> Vec<String> {
    let mut out = Vec::new();
    let mut keep = |v: &String, account: Option<&str>| {
        let keep = account.is_none_or(|a| !gone.contains(a));
        if !keep {
            out.push(v.clone());
        }
        keep
    };
    named.trails.retain(|t| keep(t, account_of(t)));
    named.accounts.retain(|a| keep(a, Some(a)));
    named.log_accounts.retain(|a| keep(a, Some(a)));
    out
}

/// What this run wants named.
fn wanted(input: &KeyInput) -> Named {
    Named {
        trails: input.trails.iter().map(|(_, t)| t.to_string()).collect(),
        accounts: BTreeSet::new(),
        org: None,
        log_accounts: input
            .flow_log_accounts
            .iter()
            .map(ToString::to_string)
            .collect(),
        log_org: None,
    }
}

fn union(have: &Named, want: &Named) -> Named {
    let mut u = have.clone();
    u.trails.extend(want.trails.iter().cloned());
    u.log_accounts.extend(want.log_accounts.iter().cloned());
    u
}

/// The forms to try, most specific first: never more specific than what the live statements already say
/// (a trail named only by its account cannot be named exactly again), the organization's only when known.
fn forms(named: &Named, org_id: Option<&str>) -> Vec<KeyForm> {
    let floor = if named.org.is_some() {
        KeyForm::Organization
    } else if !named.accounts.is_empty() {
        KeyForm::SourceAccount
    } else {
        KeyForm::Exact
    };
    let org_known = org_id.is_some() || named.org.is_some();
    [
        KeyForm::Exact,
        KeyForm::SourceAccount,
        KeyForm::Accounts,
        KeyForm::Organization,
    ]
    .into_iter()
    .filter(|f| *f >= floor && (*f != KeyForm::Organization || org_known))
    .collect()
}

/// The account of a trail ARN (`arn:p:cloudtrail:region:ACCOUNT:trail/name`).
fn account_of(trail: &str) -> Option<&str> {
    trail.split(':').nth(4)
}

/// trailhub's statements in `form`.
fn ours(input: &KeyInput, n: &Named, form: KeyForm) -> Vec<Value> {
    let p = input.partition;
    let mut accounts: BTreeSet<String> = n.accounts.clone();
    accounts.extend(
        n.trails
            .iter()
            .filter_map(|t| account_of(t))
            .map(str::to_owned),
    );
    let org = n.org.as_deref().or(input.org_id).unwrap_or_default();
    let context = |per_account: bool| -> Value {
        if per_account {
            json!(
                accounts
                    .iter()
                    .map(|a| trail_pattern(p, a))
                    .collect::<Vec<_>>()
            )
        } else {
            json!(format!("arn:{p}:cloudtrail:*:*:trail/*"))
        }
    };
    let (source, per_account) = match form {
        KeyForm::Exact => (json!({SOURCE_ARN: n.trails}), true),
        KeyForm::SourceAccount => (json!({SOURCE_ACCOUNT: accounts}), true),
        KeyForm::Accounts => (json!({SOURCE_ACCOUNT: accounts}), false),
        KeyForm::Organization => (json!({SOURCE_ORG: org}), false),
    };
    let cloudtrail = json!({"Service": CLOUDTRAIL});
    let root = json!({"AWS": format!("arn:{p}:iam::{}:root", input.central)});
    let mut out = Vec::new();
    // no trail named at all (every account covered by another trail): no Encrypt statement, rather than
    // one with an empty condition
    if !accounts.is_empty() || form == KeyForm::Organization {
        out.push(json!({"Sid": ENCRYPT, "Effect": "Allow", "Principal": cloudtrail, "Action": "kms:GenerateDataKey*",
            "Resource": "*", "Condition": {"StringEquals": source, "StringLike": {CLOUDTRAIL_CONTEXT: context(per_account)}}}));
        // the CloudTrail guide's "Allow CloudTrail to decrypt a trail", scoped by the same source condition
        // (KMS-9); no encryption-context condition: with the Bucket Key the context S3 sends is not
        // documented for this call
        out.push(
            json!({"Sid": CLOUDTRAIL_DECRYPT, "Effect": "Allow", "Principal": cloudtrail,
            "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": source}}),
        );
    }
    out.extend([
        json!({"Sid": DESCRIBE, "Effect": "Allow", "Principal": cloudtrail, "Action": "kms:DescribeKey", "Resource": "*"}),
        json!({"Sid": DECRYPT, "Effect": "Allow", "Principal": root, "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
            "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": input.central.as_str()},
            "Null": {CLOUDTRAIL_CONTEXT: "false"}}}),
    ]);
    if !n.log_accounts.is_empty() || n.log_org.is_some() {
        let source = match (form, n.log_org.as_deref().or(input.org_id)) {
            (KeyForm::Organization, Some(o)) => json!({SOURCE_ORG: o}),
            _ => json!({SOURCE_ACCOUNT: n.log_accounts}),
        };
        let bucket = format!("arn:{p}:s3:::{}", input.bucket);
        out.push(json!({"Sid": LOG_DELIVERY_ENCRYPT, "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*", "Condition": {"StringEquals": source}}));
        out.push(json!({"Sid": DECRYPT_OBJECTS, "Effect": "Allow", "Principal": root, "Action": "kms:Decrypt",
            "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": input.central.as_str()},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket.clone(), format!("{bucket}/*")]}}}));
    }
    out
}

/// AWS's default key policy statement: the account's root may do everything with the key, which lets the
/// account's IAM policies grant access (KMS-5).
fn root_statement(input: &KeyInput) -> Value {
    json!({"Sid": ROOT_SID, "Effect": "Allow",
        "Principal": {"AWS": format!("arn:{}:iam::{}:root", input.partition, input.central)},
        "Action": "kms:*", "Resource": "*"})
}

/// Whether some statement lets the account's root manage the key: an Allow with no condition, principal the
/// root (or the bare account ID), an action that covers `kms:PutKeyPolicy`, on `*`.
pub fn keeps_admin(policy: &Value, partition: &str, account: &AccountId) -> bool {
    let root = format!("arn:{partition}:iam::{account}:root");
    statements(policy).into_iter().any(|s| {
        let get = |k: &str| s.get(k);
        let principal = get("Principal")
            .and_then(Value::as_object)
            .map(|p| strings(p.get("AWS")))
            .unwrap_or_default();
        get("Effect").and_then(Value::as_str) == Some("Allow")
            && get("Condition").is_none()
            && principal
                .iter()
                .any(|p| *p == root || p == account.as_str())
            && strings(get("Action"))
                .iter()
                .any(|a| matches!(a.as_str(), "*" | "kms:*" | "kms:PutKeyPolicy"))
            && strings(get("Resource")).iter().any(|r| r == "*")
    })
}

/// Whether `policy` lets CloudTrail encrypt `trail`'s log files with the key (GenerateDataKey with the
/// trail's context) and describe it: what CloudTrail checks before it takes a `KmsKeyId` (KMS-4); with the
/// bucket's S3 Bucket Key on (`bucket_key`), also decrypt (KMS-9). None when it does; otherwise why not, in
/// words.
pub fn cloudtrail_denial(
    policy: &Value,
    key_arn: &str,
    trail: &TrailArn,
    org_id: Option<&str>,
    bucket_key: bool,
) -> Option<String> {
    let trail_arn = trail.to_string();
    let source = Source {
        account: &trail.account,
        arn: Some(&trail_arn),
        org_id,
        org_path: None,
    };
    let mut context = service_context(CLOUDTRAIL, &source);
    context.insert(CLOUDTRAIL_CONTEXT.to_owned(), trail_arn.clone());
    let decrypt = bucket_key.then_some("kms:Decrypt");
    let reasons: Vec<String> = ["kms:GenerateDataKey", "kms:DescribeKey"]
        .into_iter()
        .chain(decrypt)
        .filter_map(|action| {
            let why = refused(policy, CLOUDTRAIL, action, key_arn, &context)?;
            let needed = if Some(action) == decrypt {
                " (needed with the bucket's S3 Bucket Key)"
            } else {
                ""
            };
            Some(match why {
                Some(sid) => format!("{action}{needed} is denied by statement {sid}"),
                None => format!("no statement allows {action}{needed}"),
            })
        })
        .collect();
    (!reasons.is_empty()).then(|| {
        format!(
            "the key policy of {key_arn} would not let CloudTrail encrypt for trail {trail}: {}",
            reasons.join("; ")
        )
    })
}

/// Whether `policy` lets delivery.logs encrypt `account`'s flow logs with the key (the bucket's default
/// encryption). None when it does.
pub fn log_delivery_denial(
    policy: &Value,
    key_arn: &str,
    account: &AccountId,
    org_id: Option<&str>,
) -> Option<String> {
    let source = Source {
        account: account.as_str(),
        arn: None,
        org_id,
        org_path: None,
    };
    let context = service_context(LOG_DELIVERY, &source);
    let action = "kms:GenerateDataKey";
    let why = match refused(policy, LOG_DELIVERY, action, key_arn, &context)? {
        Some(sid) => format!("denied by statement {sid}"),
        None => format!("no statement allows {action}"),
    };
    Some(format!(
        "the key policy of {key_arn} would not let delivery.logs encrypt account {account}'s flow logs ({why})"
    ))
}

/// Why `service` may not do `action` on the key with `context`: `Some(sid)` when a statement denies it
/// (`(no Sid)` when it has none), `None` when no statement allows it; nothing when it may.
fn refused(
    policy: &Value,
    service: &str,
    action: &str,
    key_arn: &str,
    context: &BTreeMap<String, String>,
) -> Option<Option<String>> {
    let req = Request {
        principal_service: service.into(),
        action: action.into(),
        resource: key_arn.to_owned(),
        context: context.clone(),
    };
    match evaluate(policy, &req) {
        Decision::Allow { .. } => None,
        Decision::ExplicitDeny { sid } => Some(Some(sid.unwrap_or_else(|| "(no Sid)".into()))),
        Decision::ImplicitDeny => Some(None),
    }
}

#[cfg(test)]
mod tests;
