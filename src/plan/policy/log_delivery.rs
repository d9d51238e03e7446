//! trailhub's `delivery.logs.amazonaws.com` statements (pure): the second family of the one bucket policy,
//! which lets VPC Flow Logs write each flow-log account's files under `[prefix/]AWSLogs/<id>/`.
//!
//! AWS documents the statements in the VPC User Guide, "Amazon S3 bucket permissions for flow logs"
//! (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html): principal
//! `delivery.logs.amazonaws.com`; `s3:GetBucketAcl` on the bucket; `s3:PutObject` on
//! `my-s3-arn/*` with `s3:x-amz-acl = bucket-owner-full-control`; both with `StringEquals aws:SourceAccount`
//! and `ArnLike aws:SourceArn = arn:aws:logs:region:account_id:*`. trailhub writes them under its own Sids:
//! AWS attaches `AWSLogDeliveryWrite` and `AWSLogDeliveryAclCheck` itself, and those stay foreign statements,
//! kept byte for byte. The AclCheck statement also allows `s3:ListBucket` (docs/aws-rules.md, DL-1).
//!
//! Like the CloudTrail statements, these are written in one of several forms ([`DeliveryForm`]), and the
//! values already in them that the config does not name are kept.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    ACL_KEY, FULL_CONTROL, FormSize, Org, PolicyError, PolicyInput, SOURCE_ACCOUNT, SOURCE_ARN,
    SOURCE_ORG, list, strings,
};
use crate::config::PolicyForm;
use crate::model::is_account_id;

/// The service that delivers flow logs (and other vended logs) to S3.
pub const LOG_DELIVERY: &str = "delivery.logs.amazonaws.com";
/// trailhub's Sids for its two delivery.logs statements (not AWS's `AWSLogDelivery*`, which AWS writes).
pub const LOG_ACL_SID: &str = "TrailhubLogDeliveryAclCheck";
pub const LOG_WRITE_SID: &str = "TrailhubLogDeliveryWrite";
/// trailhub's Deny of delivery.logs writes into another account's folder (see [`deny_foreign_prefix`]).
pub const LOG_DENY_SID: &str = "TrailhubDenyLogDeliveryIntoAnotherFolder";
/// The AclCheck statement's actions: `s3:GetBucketAcl`, which AWS's example allows, and `s3:ListBucket`,
/// which CloudWatch Logs says to grant so that delivery.logs' checks of the bucket are not refused (never
/// AWS's other example's `s3:Get*`, `s3:List*`: more than delivery needs).
pub const ACL_ACTIONS: [&str; 2] = ["s3:GetBucketAcl", "s3:ListBucket"];
const WRITE_ACTION: &str = "s3:PutObject";

/// How the two delivery.logs statements name what may write, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryForm {
    /// AWS's documented shape: `StringEquals aws:SourceAccount` = every account and `ArnLike
    /// aws:SourceArn` = `arn:<p>:logs:<region>:<id>:*` per account; one `AWSLogs/<id>/*` resource per
    /// account.
    Exact,
    /// `StringEquals aws:SourceAccount` = every account (its flow logs in any Region); per-account
    /// resources.
    SourceAccount,
    /// `StringEquals aws:SourceAccount` = every account; one `AWSLogs/*` resource (trailhub's Deny keeps each
    /// account's flow logs out of the others' folders).
    SharedPrefix,
    /// `StringEquals aws:SourceOrgID` = the organization; one `AWSLogs/*` resource. Constant size. Only with
    /// `source = "organizations"`; AWS does not document that delivery.logs sends `aws:SourceOrgID`
    /// (docs/aws-rules.md, DL-3).
    Organization,
}

impl DeliveryForm {
    pub const ALL: [DeliveryForm; 4] = [
        DeliveryForm::Exact,
        DeliveryForm::SourceAccount,
        DeliveryForm::SharedPrefix,
        DeliveryForm::Organization,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DeliveryForm::Exact => "exact",
            DeliveryForm::SourceAccount => "source-account",
            DeliveryForm::SharedPrefix => "shared-prefix",
            DeliveryForm::Organization => "organization",
        }
    }

    fn per_account_resources(self) -> bool {
        matches!(self, DeliveryForm::Exact | DeliveryForm::SourceAccount)
    }

    /// How far the form widens what may write, on the scale of the CloudTrail forms' (see
    /// `super::width`): the exact form names a whole account's logs in one Region, as the CloudTrail
    /// account-arns form names any trail of an account.
    pub(super) fn width(self) -> u8 {
        match self {
            DeliveryForm::Exact => 1,
            DeliveryForm::SourceAccount => 2,
            DeliveryForm::SharedPrefix => 3,
            DeliveryForm::Organization => 4,
        }
    }
}

/// The forms a `policy_form` setting allows for the delivery.logs statements, most specific first: `auto`
/// all of them; a pinned form its counterpart (exact and account-arns both name each account's own
/// sources, which is what the delivery exact form does).
pub(super) fn candidates(p: PolicyForm) -> Vec<DeliveryForm> {
    match p {
        PolicyForm::Auto => DeliveryForm::ALL.to_vec(),
        PolicyForm::Exact | PolicyForm::AccountArns => vec![DeliveryForm::Exact],
        PolicyForm::SourceAccount => vec![DeliveryForm::SourceAccount],
        PolicyForm::SharedPrefix => vec![DeliveryForm::SharedPrefix],
        PolicyForm::Organization => vec![DeliveryForm::Organization],
    }
}

/// What one of the two statements says, whatever its form: the parts trailhub manages as sets, and the
/// conditions it does not manage, kept verbatim (they AND with the rest, so they can only narrow).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Content {
    pub accounts: BTreeSet<String>,
    /// `ArnLike aws:SourceArn` patterns, `arn:<p>:logs:<region>:<id>:*`
    pub arns: BTreeSet<String>,
    pub orgs: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    pub extra: Map<String, Value>,
}

impl Content {
    /// Its sources as the report lists them: account IDs, patterns and the organization.
    pub fn sources(&self) -> BTreeSet<String> {
        self.accounts
            .iter()
            .chain(&self.arns)
            .chain(&self.orgs)
            .cloned()
            .collect()
    }
}

/// The account of an `arn:<p>:logs:<region>:<id>:*` pattern (the Region may be `*`).
fn pattern_account(p: &str) -> Option<String> {
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "logs"
        && !parts[3].is_empty()
        && parts[5] == "*";
    (ok && is_account_id(parts[4])).then(|| parts[4].to_owned())
}

fn is_managed_key(op: &str, key: &str, is_write: bool) -> bool {
    let k = key.to_ascii_lowercase();
    match op {
        "StringEquals" => {
            k == SOURCE_ACCOUNT.to_ascii_lowercase()
                || k == SOURCE_ORG.to_ascii_lowercase()
                || (is_write && k == ACL_KEY)
        }
        "ArnLike" => k == SOURCE_ARN.to_ascii_lowercase(),
        _ => false,
    }
}

/// Reads one of trailhub's delivery.logs statements. One with trailhub's Sid but another shape is an error:
/// trailhub will not rewrite what it does not understand.
pub(super) fn read_managed(
    sid: &str,
    stmt: &Map<String, Value>,
    is_write: bool,
) -> Result<Content, PolicyError> {
    let refused = |why: String| PolicyError::SidConflict {
        sid: sid.to_owned(),
        why,
    };
    let conflict = |why: &str| Err(refused(why.to_owned()));
    super::statement::check_frame(stmt, LOG_DELIVERY).map_err(refused)?;
    let actions: BTreeSet<String> = strings(stmt.get("Action")).into_iter().collect();
    let want: BTreeSet<String> = if is_write {
        BTreeSet::from([WRITE_ACTION.to_owned()])
    } else {
        ACL_ACTIONS.iter().map(|a| (*a).to_owned()).collect()
    };
    if actions != want {
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        return conflict(&format!("its Action is not {}", want.join(" and ")));
    }
    let mut c = Content {
        resources: super::statement::resources(stmt).map_err(refused)?,
        ..Content::default()
    };
    let Some(cond) = stmt.get("Condition").and_then(Value::as_object) else {
        return conflict(
            "it has no source condition: adding one would cut off every account it allows now",
        );
    };
    let mut extra = Map::new();
    let managed = |op: &str, key: &str| is_managed_key(op, key, is_write);
    super::statement::walk_condition(cond, managed, &mut extra, |op, key, values| {
        match (op, key) {
            ("StringEquals", "aws:sourceaccount") => c.accounts.extend(values),
            ("StringEquals", _) => c.orgs.extend(values),
            _ => {
                for p in values {
                    if pattern_account(&p).is_none() {
                        return Err(format!(
                            "its ArnLike pattern {p:?} is not one trailhub writes"
                        ));
                    }
                    c.arns.insert(p);
                }
            }
        }
        Ok(())
    })
    .map_err(refused)?;
    c.extra = extra;
    if c.accounts.is_empty() && c.arns.is_empty() && c.orgs.is_empty() {
        return conflict(
            "it has no source condition: adding one would cut off every account it allows now",
        );
    }
    if !c.orgs.is_empty() && (!c.accounts.is_empty() || !c.arns.is_empty()) {
        // an organization ANDed with accounts: a narrowing trailhub cannot keep while widening
        return conflict("it combines an organization with accounts, which AND together");
    }
    Ok(c)
}

/// What must be kept from the live statements, beyond what the config asks for.
#[derive(Debug, Default)]
pub(super) struct Kept {
    /// `aws:SourceArn` patterns the config does not write
    arns: BTreeSet<String>,
    /// accounts listed in `aws:SourceAccount` that the config does not name
    accounts: BTreeSet<String>,
    /// of those, the ones a live statement allows whole (it has no `aws:SourceArn` to narrow them)
    whole: BTreeSet<String>,
    orgs: BTreeSet<String>,
    resources: BTreeSet<String>,
}

impl Kept {
    /// What the live statements allow that the config's own values do not cover.
    pub fn of(acl: Option<&Content>, write: Option<&Content>, input: &PolicyInput) -> Kept {
        let wanted: BTreeSet<&str> = input
            .flow_logs
            .accounts
            .iter()
            .map(|a| a.as_str())
            .collect();
        let mut kept = Kept::default();
        for c in acl.into_iter().chain(write) {
            kept.arns.extend(c.arns.iter().cloned());
            kept.accounts.extend(c.accounts.iter().cloned());
            if c.arns.is_empty() {
                kept.whole.extend(c.accounts.iter().cloned());
            }
            kept.orgs.extend(c.orgs.iter().cloned());
        }
        if let Some(w) = write {
            kept.resources = w.resources.clone();
        }
        // the config's own values are not "kept": they are wanted
        for a in &wanted {
            kept.arns.remove(&input.log_pattern(a));
            kept.accounts.remove(*a);
            kept.whole.remove(*a);
        }
        kept
    }
}

/// The source condition of both statements in `form`: the accounts (and their logs ARNs) or organization
/// that may write, the config's and those kept from the live policy; or why the form cannot express what
/// must be kept.
fn sources(form: DeliveryForm, input: &PolicyInput, kept: &Kept) -> Result<Content, String> {
    let wanted = input.flow_logs.accounts.iter().map(|a| a.to_string());
    let mut accounts: BTreeSet<String> = wanted.clone().collect();
    accounts.extend(kept.accounts.iter().cloned());
    accounts.extend(kept.arns.iter().filter_map(|p| pattern_account(p)));
    let mut sources = Content::default();
    if form != DeliveryForm::Organization && !kept.orgs.is_empty() {
        return Err(
            "the live statements allow an organization; naming accounts would narrow that".into(),
        );
    }
    match form {
        DeliveryForm::Exact => {
            if !kept.whole.is_empty() {
                return Err("the live statements allow whole accounts; naming their logs ARNs would narrow that".into());
            }
            sources.arns = wanted
                .map(|a| input.log_pattern(&a))
                .chain(kept.arns.iter().cloned())
                .collect();
            sources.accounts = accounts;
        }
        DeliveryForm::SourceAccount | DeliveryForm::SharedPrefix => sources.accounts = accounts,
        DeliveryForm::Organization => {
            sources.orgs = BTreeSet::from([organization(input.org, &kept.orgs, &accounts)?]);
        }
    }
    Ok(sources)
}

/// The organization's ID, when every account that may write is in it.
fn organization(
    org: Option<&Org>,
    kept: &BTreeSet<String>,
    accounts: &BTreeSet<String>,
) -> Result<String, String> {
    let Some(org) = org else {
        return Err(
            "the accounts do not come from AWS Organizations (source = \"organizations\")".into(),
        );
    };
    if kept.iter().any(|o| o != &org.id) {
        return Err("the live statements allow another organization".into());
    }
    if let Some(outside) = accounts.iter().find(|a| !org.members.contains(*a)) {
        return Err(format!(
            "account {outside} is not in organization {}",
            org.id
        ));
    }
    Ok(org.id.clone())
}

/// `[PREFIX/]AWSLogs/<id>/*` per flow-log account, or the shared `AWSLogs/*`.
pub(super) fn config_resources(form: DeliveryForm, input: &PolicyInput) -> BTreeSet<String> {
    if form.per_account_resources() {
        input.log_write_resources().collect()
    } else {
        BTreeSet::from([input.shared_resource()])
    }
}

/// Builds the content of both statements in `form`, or says why that form cannot express what must be kept.
pub(super) fn render(
    form: DeliveryForm,
    input: &PolicyInput,
    kept: &Kept,
) -> Result<(Content, Content), String> {
    let sources = sources(form, input, kept)?;
    let shared = input.shared_resource();
    if form.per_account_resources() && kept.resources.contains(&shared) {
        return Err(format!(
            "the live statements allow {shared}; per-account prefixes would narrow that"
        ));
    }
    let mut write = Content {
        resources: kept.resources.clone(),
        ..sources.clone()
    };
    if !form.per_account_resources() {
        let base = shared.trim_end_matches('*').to_owned();
        write.resources.retain(|r| !r.starts_with(&base));
    }
    write.resources.extend(config_resources(form, input));
    let acl = Content {
        resources: BTreeSet::from([input.bucket_arn()]),
        ..sources
    };
    Ok((acl, write))
}

/// One of the two statements, as trailhub writes it: AWS's documented shape (`StringEquals` first, then
/// `ArnLike`), with the live statement's other conditions kept in front.
pub(super) fn statement(sid: &str, c: &Content, is_write: bool) -> Value {
    let mut cond = c.extra.clone();
    let mut op = |name: &str, key: &str, v: Value| {
        let m = cond.entry(name.to_owned()).or_insert_with(|| json!({}));
        m[key] = v;
    };
    if !c.accounts.is_empty() {
        op("StringEquals", SOURCE_ACCOUNT, list(&c.accounts));
    }
    if let Some(org) = c.orgs.first() {
        op("StringEquals", SOURCE_ORG, json!(org));
    }
    if is_write {
        op("StringEquals", ACL_KEY, json!(FULL_CONTROL));
    }
    if !c.arns.is_empty() {
        op("ArnLike", SOURCE_ARN, list(&c.arns));
    }
    let (action, resource) = if is_write {
        (json!(WRITE_ACTION), list(&c.resources))
    } else {
        (json!(ACL_ACTIONS), json!(c.resources.first()))
    };
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": LOG_DELIVERY},
        "Action": action,
        "Resource": resource,
        "Condition": Value::Object(cond),
    })
}

/// The Deny that closes the other side of granting accounts and prefixes as two lists: a listed account
/// could give its flow log the destination `arn:aws:s3:::BUCKET/AWSLogs/<B>/` and write into account B's
/// folder. Flow logs always add `AWSLogs/<account>/` after the destination's folder, so such a key has a
/// second `AWSLogs/` segment, which no key of a flow log delivering at its own place has (trailhub's key
/// prefix has no `AWSLogs` segment). The same shape as the CloudTrail Deny; constant size.
pub(super) fn deny_foreign_prefix(input: &PolicyInput) -> Value {
    let bucket = input.bucket_arn();
    json!({
        "Sid": LOG_DENY_SID,
        "Effect": "Deny",
        "Principal": {"Service": LOG_DELIVERY},
        "Action": WRITE_ACTION,
        "Resource": [
            format!("{bucket}/AWSLogs/*/AWSLogs/*"),
            format!("{bucket}/*/AWSLogs/*/AWSLogs/*"),
        ],
    })
}

/// What the merge did to the delivery.logs statements (`Merged::log_delivery`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogDelivery {
    /// The form the two statements are written in, and the size of the whole policy in each form tried
    /// (with the CloudTrail statements in their chosen form); the chosen one is last.
    pub form: DeliveryForm,
    pub form_sizes: Vec<FormSize<DeliveryForm>>,
    /// The accounts whose flow logs the config sends to the bucket.
    pub accounts: usize,
    /// Source entries (account IDs, `arn:<p>:logs:<region>:<id>:*` patterns, organization) and resources
    /// added.
    pub added_sources: Vec<String>,
    pub added_resources: Vec<String>,
    /// Entries already in the two statements that the config does not name: kept, not managed here.
    pub kept_sources: Vec<String>,
    pub kept_resources: Vec<String>,
    /// Entries of the live statements that the chosen form writes differently.
    pub rewritten_sources: Vec<String>,
    pub rewritten_resources: Vec<String>,
}

/// What the config itself needs as sources, in `form`'s terms.
pub(super) fn wanted_sources(form: DeliveryForm, input: &PolicyInput) -> BTreeSet<String> {
    let accounts = input.flow_logs.accounts.iter().map(|a| a.to_string());
    match form {
        DeliveryForm::Exact => accounts
            .clone()
            .chain(accounts.map(|a| input.log_pattern(&a)))
            .collect(),
        DeliveryForm::SourceAccount | DeliveryForm::SharedPrefix => accounts.collect(),
        DeliveryForm::Organization => input.org.map(|o| o.id.clone()).into_iter().collect(),
    }
}
