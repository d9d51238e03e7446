//! The central SQS queue's policy (pure): trailhub's one statement that lets the members' alarm topics send
//! to the queue (`[alarms] subscribe`), merged into the live queue policy with the bucket policy's zero-loss
//! rules. Every statement trailhub did not write is kept as it is, in its place; the topics and accounts
//! trailhub's statement already names are kept too (union, never narrowed; only a prune takes an account
//! out); the most specific form that fits SQS's 8,192 bytes and 20 statements (SQS-1) is chosen.
//!
//! The statement, as SNS documents it for a queue subscribed to a topic (SQS-4): the service principal
//! `sns.amazonaws.com` may `sqs:SendMessage` to the queue, on behalf of the topics named by
//! `aws:SourceArn`. Its forms, most specific first:
//! - [`QueueForm::Exact`]: `ArnEquals` `aws:SourceArn` = each topic's ARN (about 65 bytes a topic: some
//!   110 accounts fit);
//! - [`QueueForm::Accounts`]: `ArnLike` `aws:SourceArn` = the topic name in each Region
//!   (`arn:aws:sns:<region>:*:<name>`) and `StringEquals` `aws:SourceAccount` = each account (15 bytes an
//!   account: some 500 fit);
//! - [`QueueForm::Organization`]: the same `ArnLike` and `StringEquals` `aws:SourceOrgID` = the organization:
//!   any number of accounts (10,000 and more), when the organization is known.
//!
//! None drops the source condition or names a `*` principal.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::document::strings;
use super::evaluate::{Decision, Request, Source, evaluate, service_context};
use super::policy::evidence::{Documented, Evidence};
use super::policy::{SOURCE_ACCOUNT, SOURCE_ARN, SOURCE_ORG};
use super::prune::Gone;
use crate::model::AccountId;

/// SQS's limit on a queue policy's size, in bytes (SQS-1).
pub const MAX_QUEUE_POLICY: usize = 8_192;
/// SQS's limit on a queue policy's statements (SQS-1).
pub const MAX_STATEMENTS: usize = 20;
/// trailhub's statement.
pub const QUEUE_SID: &str = "TrailhubAlarmTopicsSendMessage";
/// The service principal that delivers a topic's messages to a subscribed queue.
pub const SNS: &str = "sns.amazonaws.com";
pub const SEND: &str = "sqs:SendMessage";

/// Where the statement's condition keys are documented: `aws:SourceArn` by SNS's page on subscribing a
/// queue (SQS-4); `aws:SourceAccount` and `aws:SourceOrgID` by IAM's global condition keys only (SQS-5).
pub const SNS_TO_QUEUE: Documented = Documented {
    page: "https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html",
    rule: "SQS-4",
    org_rule: "SQS-5",
};

/// How trailhub's statement names the topics, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueueForm {
    /// `ArnEquals aws:SourceArn`: each topic.
    Exact,
    /// `ArnLike aws:SourceArn` (the topic name in each Region) and `aws:SourceAccount`: each account.
    Accounts,
    /// `ArnLike aws:SourceArn` and `aws:SourceOrgID`: the organization.
    Organization,
}

impl QueueForm {
    pub fn name(self) -> &'static str {
        match self {
            QueueForm::Exact => "exact",
            QueueForm::Accounts => "accounts",
            QueueForm::Organization => "organization",
        }
    }
}

/// What the queue policy is merged for.
#[derive(Debug, Clone, Copy)]
pub struct QueueInput<'a> {
    /// `arn:<partition>:sqs:<region>:<central account>:<name>`.
    pub queue_arn: &'a str,
    /// Each member in scope and its alarm topic's ARN.
    pub topics: &'a [(AccountId, String)],
    /// The organization's ID, when known: allows the organization form.
    pub org_id: Option<&'a str>,
    /// With `--prune` or `offboard`: the accounts whose topics are taken out of trailhub's statement.
    pub prune: Option<Gone<'a>>,
}

/// The merged queue policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueMerged {
    #[serde(skip)]
    pub policy: Value,
    /// The document, as it will be written.
    #[serde(skip)]
    pub text: String,
    pub size: usize,
    /// Whether it differs from the live policy.
    pub changed: bool,
    pub form: QueueForm,
    #[serde(flatten)]
    pub evidence: Evidence,
    /// The topics this merge adds to trailhub's statement.
    pub added: Vec<String>,
    /// Topics (or accounts) trailhub's statement named that are not in scope now: kept.
    pub kept: Vec<String>,
    /// The Sids (or positions) of the statements trailhub did not write: kept as they are.
    pub foreign: Vec<String>,
    /// With a prune: the topics and accounts taken out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pruned: Vec<String>,
}

/// Why trailhub will not write the queue policy. Each names the queue and its runbook section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueuePolicyError {
    #[error(
        "the policy of queue {queue} is not a JSON policy document ({why}); trailhub rewrites only what it can read. Fix or remove it, then run trailhub apply again (runbooks/alarm-queue.md#queue-policy-not-json)"
    )]
    NotJson { queue: String, why: String },
    #[error(
        "the policy of queue {queue} has a statement {sid} with trailhub's Sid but not its shape ({why}); trailhub rewrites only what it can read back. Restore it from a backup or delete it (runbooks/alarm-queue.md#queue-policy-not-json)"
    )]
    NotOurShape {
        queue: String,
        sid: String,
        why: String,
    },
    #[error(
        "the merged policy of queue {queue} would be {size} bytes, over SQS's 8,192 even in the {form} form; nothing was written (runbooks/alarm-queue.md#queue-policy-too-large)",
        form = .form.name()
    )]
    TooLarge {
        queue: String,
        size: usize,
        form: QueueForm,
    },
    #[error(
        "the merged policy of queue {queue} would hold {count} statements, over SQS's 20; nothing was written (runbooks/alarm-queue.md#queue-policy-too-large)"
    )]
    TooManyStatements { queue: String, count: usize },
}

/// What trailhub's statement names: topics, ArnLike patterns, accounts, the organization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Named {
    topics: BTreeSet<String>,
    patterns: BTreeSet<String>,
    accounts: BTreeSet<String>,
    org: Option<String>,
}

/// The live policy, read: its other top-level fields, its statements, and where trailhub's stands.
struct Live {
    doc: Map<String, Value>,
    statements: Vec<Value>,
    ours: Option<usize>,
    named: Named,
}

/// Parses the live queue policy text as SQS returns it (None or empty: the queue has no policy).
pub fn parse_queue_policy(
    queue: &str,
    text: Option<&str>,
) -> Result<Option<Value>, QueuePolicyError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let not_json = |why: String| QueuePolicyError::NotJson {
        queue: queue.to_owned(),
        why,
    };
    let v: Value = serde_json::from_str(text).map_err(|e| not_json(e.to_string()))?;
    if !v.is_object() {
        return Err(not_json("not an object".into()));
    }
    Ok(Some(v))
}

/// Merges trailhub's statement for `input` into `live` (the queue's policy text; None: it has none), in the
/// most specific form that fits.
pub fn merge_queue_policy(
    live: Option<&str>,
    input: &QueueInput,
) -> Result<QueueMerged, QueuePolicyError> {
    let queue = input.queue_arn;
    let live_doc = parse_queue_policy(queue, live)?;
    let mut l = read_live(queue, live_doc.as_ref())?;
    let pruned = input
        .prune
        .map(|gone| prune(&mut l.named, gone))
        .unwrap_or_default();
    let want: BTreeSet<String> = input.topics.iter().map(|(_, t)| t.clone()).collect();
    let mut union = l.named.clone();
    union.topics.extend(want.iter().cloned());
    let count = l.statements.len() + usize::from(l.ours.is_none() && !is_empty(&union));
    if count > MAX_STATEMENTS {
        return Err(QueuePolicyError::TooManyStatements {
            queue: queue.to_owned(),
            count,
        });
    }
    let mut last = None;
    for form in forms(&l.named, input.org_id) {
        let policy = render(&l, &union, input, form);
        let text = policy.to_string();
        if text.len() > MAX_QUEUE_POLICY {
            last = Some((text.len(), form));
            continue;
        }
        return Ok(QueueMerged {
            changed: live_doc.as_ref() != Some(&policy)
                && !(live_doc.is_none() && is_empty(&union)),
            size: text.len(),
            form,
            evidence: SNS_TO_QUEUE.evidence(form != QueueForm::Exact),
            added: want.difference(&l.named.topics).cloned().collect(),
            kept: l.named.topics.difference(&want).cloned().collect(),
            foreign: foreign_labels(&l),
            pruned,
            policy,
            text,
        });
    }
    let (size, form) = last.unwrap_or((0, QueueForm::Exact));
    Err(QueuePolicyError::TooLarge {
        queue: queue.to_owned(),
        size,
        form,
    })
}

fn is_empty(n: &Named) -> bool {
    n.topics.is_empty() && n.accounts.is_empty() && n.org.is_none()
}

fn foreign_labels(l: &Live) -> Vec<String> {
    l.statements
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != l.ours)
        .map(|(i, s)| {
            s.get("Sid")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{}", i + 1), str::to_owned)
        })
        .collect()
}

fn read_live(queue: &str, doc: Option<&Value>) -> Result<Live, QueuePolicyError> {
    let not_json = |why: &str| QueuePolicyError::NotJson {
        queue: queue.to_owned(),
        why: why.to_owned(),
    };
    let mut doc = doc
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| Map::from_iter([("Version".to_owned(), json!("2012-10-17"))]));
    let statements = match doc.remove("Statement") {
        None => vec![],
        Some(Value::Array(a)) => a,
        Some(o @ Value::Object(_)) => vec![o],
        Some(_) => return Err(not_json("its Statement is neither a list nor an object")),
    };
    let mut ours = None;
    let mut named = Named::default();
    for (i, s) in statements.iter().enumerate() {
        let Value::Object(stmt) = s else {
            return Err(not_json("a statement is not an object"));
        };
        if stmt.get("Sid").and_then(Value::as_str) != Some(QUEUE_SID) {
            continue;
        }
        let bad = |why: &str| QueuePolicyError::NotOurShape {
            queue: queue.to_owned(),
            sid: QUEUE_SID.to_owned(),
            why: why.to_owned(),
        };
        if ours.is_some() {
            return Err(bad("two statements have this Sid"));
        }
        ours = Some(i);
        named = read_ours(stmt).map_err(bad)?;
    }
    Ok(Live {
        doc,
        statements,
        ours,
        named,
    })
}

/// What trailhub's statement names, or why it is not trailhub's shape.
fn read_ours(stmt: &Map<String, Value>) -> Result<Named, &'static str> {
    if stmt.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return Err("not an Allow");
    }
    let service = stmt
        .get("Principal")
        .and_then(Value::as_object)
        .map(|p| strings(p.get("Service")));
    if service.as_deref() != Some(&[SNS.to_owned()]) {
        return Err("its principal is not the service sns.amazonaws.com");
    }
    let cond = stmt.get("Condition").and_then(Value::as_object);
    let field =
        |op: &str, key: &str| strings(cond.and_then(|c| c.get(op)).and_then(|o| o.get(key)));
    let mut named = Named::default();
    for arn in field("ArnEquals", SOURCE_ARN)
        .into_iter()
        .chain(field("ArnLike", SOURCE_ARN))
    {
        if arn.contains(['*', '?']) {
            named.patterns.insert(arn);
        } else {
            named.topics.insert(arn);
        }
    }
    named.accounts.extend(field("StringEquals", SOURCE_ACCOUNT));
    named.org = field("StringEquals", SOURCE_ORG).into_iter().next();
    if named.topics.is_empty() && named.patterns.is_empty() {
        return Err("no aws:SourceArn");
    }
    if !named.patterns.is_empty() && named.accounts.is_empty() && named.org.is_none() {
        return Err("an ArnLike aws:SourceArn without aws:SourceAccount or aws:SourceOrgID");
    }
    Ok(named)
}

/// The account of a topic ARN (`arn:p:sns:region:ACCOUNT:name`).
fn account_of(topic: &str) -> Option<&str> {
    topic.split(':').nth(4)
}

/// `arn:<partition>:sns:<region>:*:<name>`: the topic's name in its Region, any account.
fn pattern_of(topic: &str) -> Option<String> {
    let p: Vec<&str> = topic.splitn(6, ':').collect();
    (p.len() == 6).then(|| format!("arn:{}:sns:{}:*:{}", p[1], p[3], p[5]))
}

/// Takes the topics and accounts of the accounts that are `gone` out of `named`; what was taken out.
fn prune(named: &mut Named, gone: Gone) -> Vec<String> {
    let mut out = Vec::new();
    let mut keep = |v: &String, account: Option<&str>| {
        let keep = account.is_none_or(|a| !gone.contains(a));
        if !keep {
            out.push(v.clone());
        }
        keep
    };
    named.topics.retain(|t| keep(t, account_of(t)));
    named.accounts.retain(|a| keep(a, Some(a)));
    out
}

/// The forms to try, most specific first: never more specific than the live statement already is, the
/// organization's only when known.
fn forms(named: &Named, org_id: Option<&str>) -> Vec<QueueForm> {
    let floor = if named.org.is_some() {
        QueueForm::Organization
    } else if !named.patterns.is_empty() {
        QueueForm::Accounts
    } else {
        QueueForm::Exact
    };
    let org_known = org_id.is_some() || named.org.is_some();
    [
        QueueForm::Exact,
        QueueForm::Accounts,
        QueueForm::Organization,
    ]
    .into_iter()
    .filter(|f| *f >= floor && (*f != QueueForm::Organization || org_known))
    .collect()
}

/// The policy with trailhub's statement in `form` in its place (or last), every other statement as it was;
/// with nothing to name, without trailhub's statement.
fn render(l: &Live, n: &Named, input: &QueueInput, form: QueueForm) -> Value {
    let mut statements = l.statements.clone();
    let mine = (!is_empty(n)).then(|| statement(n, input, form));
    match (l.ours, mine) {
        (Some(i), Some(s)) => statements[i] = s,
        (Some(i), None) => {
            statements.remove(i);
        }
        (None, Some(s)) => statements.push(s),
        (None, None) => {}
    }
    let mut doc = l.doc.clone();
    doc.insert("Statement".into(), Value::Array(statements));
    Value::Object(doc)
}

fn statement(n: &Named, input: &QueueInput, form: QueueForm) -> Value {
    let condition = match form {
        QueueForm::Exact => json!({"ArnEquals": {SOURCE_ARN: n.topics}}),
        QueueForm::Accounts | QueueForm::Organization => {
            let mut patterns = n.patterns.clone();
            patterns.extend(n.topics.iter().filter_map(|t| pattern_of(t)));
            let source = if form == QueueForm::Accounts {
                let mut accounts = n.accounts.clone();
                accounts.extend(
                    n.topics
                        .iter()
                        .filter_map(|t| account_of(t))
                        .map(str::to_owned),
                );
                json!({SOURCE_ACCOUNT: accounts})
            } else {
                json!({SOURCE_ORG: n.org.as_deref().or(input.org_id).unwrap_or_default()})
            };
            json!({"ArnLike": {SOURCE_ARN: patterns}, "StringEquals": source})
        }
    };
    json!({"Sid": QUEUE_SID, "Effect": "Allow", "Principal": {"Service": SNS}, "Action": SEND,
        "Resource": input.queue_arn, "Condition": condition})
}

/// Whether `policy` lets SNS deliver `topic`'s messages to the queue (`sqs:SendMessage` by
/// `sns.amazonaws.com` with the topic's `aws:SourceArn` and account, and the organization when known). None
/// when it does; otherwise why not, in words.
pub fn topic_denial(
    policy: Option<&Value>,
    queue_arn: &str,
    topic: &str,
    org_id: Option<&str>,
) -> Option<String> {
    let source = Source {
        account: account_of(topic).unwrap_or_default(),
        arn: Some(topic),
        org_id,
        org_path: None,
    };
    let req = Request {
        principal_service: SNS.to_owned(),
        action: SEND.to_owned(),
        resource: queue_arn.to_owned(),
        context: service_context(SNS, &source),
    };
    let why = match policy.map(|p| evaluate(p, &req)) {
        Some(Decision::Allow { .. }) => return None,
        None => "the queue has no policy".to_owned(),
        Some(Decision::ExplicitDeny { sid }) => format!(
            "statement {} denies it",
            sid.unwrap_or_else(|| "(no Sid)".into())
        ),
        Some(Decision::ImplicitDeny) => "no statement allows it".to_owned(),
    };
    Some(format!(
        "the policy of queue {queue_arn} would not let topic {topic} send to it ({why})"
    ))
}

/// Each topic of `topics` the policy does not let send, with why (for the audit and the tests).
pub fn denials(
    policy: Option<&Value>,
    queue_arn: &str,
    topics: &[(AccountId, String)],
    org_id: Option<&str>,
) -> BTreeMap<String, String> {
    topics
        .iter()
        .filter_map(|(_, t)| Some((t.clone(), topic_denial(policy, queue_arn, t, org_id)?)))
        .collect()
}

#[cfg(test)]
mod tests;
