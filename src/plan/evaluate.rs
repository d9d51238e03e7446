//! Evaluator for S3 bucket (resource) policies. Pure: no I/O, no AWS SDK types, no clock.
//!
//! It answers one question well enough for trailhub: "does this bucket policy let a log-delivery
//! service principal (CloudTrail, `cloudtrail.amazonaws.com`; VPC Flow Logs,
//! `delivery.logs.amazonaws.com`) read the bucket ACL and write its log objects?". AWS refuses
//! `CreateTrail` with `InsufficientS3BucketPolicyException` when it does not, and the emulator we
//! test against does not check, so trailhub checks itself with [`check_delivery`].
//!
//! # Semantics
//!
//! IAM evaluation of a resource policy in the same account: a statement matches when its
//! `Principal`/`NotPrincipal`, `Action`/`NotAction`, `Resource`/`NotResource` and `Condition` all
//! match. Any matching `Deny` gives [`Decision::ExplicitDeny`]; otherwise the first matching `Allow`
//! gives [`Decision::Allow`]; otherwise [`Decision::ImplicitDeny`].
//!
//! # Conservatism
//!
//! Every part of a statement evaluates to "yes", "no" or "unsure". "Unsure" is what the evaluator
//! says for anything it does not understand: an unknown condition operator (e.g. `IpAddress`,
//! `DateGreaterThan`, `StringEqualsIfExists` spelled in lower case), a policy variable (`${...}`),
//! a value of the wrong JSON type, both `Action` and `NotAction` in one statement, and so on.
//! An "unsure" `Allow` statement does **not** match; an "unsure" `Deny` statement **does** match.
//! So the evaluator may call an allowed delivery denied, but never the other way round.
//!
//! A key AWS sends but the evaluator is not given (the resource's tags, `aws:RequestedRegion`, the time,
//! the caller's IP: see `condition::UNKNOWABLE`) is "unsure" when a condition tests it, never "absent".
//!
//! Two deliberate simplifications, both safe for the single-valued keys delivery requests carry:
//! `ForAnyValue:` behaves like the plain operator (except a negated operator on a missing key, which
//! is "unsure"), and `ForAllValues:` with a missing key is true.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::document::statements;

mod condition;

pub use super::membership::UNKNOWN_VALUE;
#[cfg(test)]
use condition::arn_like;
use condition::{Operator, conditions_match, glob};

/// One request as AWS evaluates it against a resource policy.
#[derive(Debug, Clone)]
pub struct Request {
    /// The calling service principal, e.g. `cloudtrail.amazonaws.com`; or an IAM principal's ARN (an
    /// account's root, `arn:aws:iam::111111111111:root`), which matches an `AWS` principal naming it exactly.
    pub principal_service: String,
    /// The action, e.g. `s3:PutObject`.
    pub action: String,
    /// The resource ARN, e.g. `arn:aws:s3:::bucket/prefix/AWSLogs/111111111111/CloudTrail/...`.
    pub resource: String,
    /// Condition keys present in the request (`aws:SourceArn`, `s3:x-amz-acl`, ...).
    pub context: BTreeMap<String, String>,
}

/// The outcome of evaluating a request against a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The first matching Allow statement's Sid.
    Allow { sid: Option<String> },
    /// A matching Deny wins over any Allow.
    ExplicitDeny { sid: Option<String> },
    /// Nothing allows it.
    ImplicitDeny,
}

impl Decision {
    /// True only for [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    /// The Sid of the deciding statement, if any.
    pub fn sid(&self) -> Option<&str> {
        match self {
            Decision::Allow { sid } | Decision::ExplicitDeny { sid } => sid.as_deref(),
            Decision::ImplicitDeny => None,
        }
    }
}

/// Evaluates `req` against the resource policy `policy`.
///
/// A policy that is not a JSON object, or has no `Statement`, allows nothing. A statement that is
/// not an object, or whose `Effect` is neither `"Allow"` nor `"Deny"`, is ignored. See the module
/// documentation for how uncertainty is resolved (unknown operators: no match in an Allow, match in
/// a Deny).
pub fn evaluate(policy: &Value, req: &Request) -> Decision {
    let mut first_allow: Option<Option<String>> = None;
    for stmt in statements(policy) {
        let Some(effect) = Effect::of(stmt) else {
            continue;
        };
        let applies = statement_applies(stmt, req);
        match effect {
            Effect::Deny if applies != Tri::No => {
                return Decision::ExplicitDeny { sid: sid_of(stmt) };
            }
            Effect::Allow if applies == Tri::Yes && first_allow.is_none() => {
                first_allow = Some(sid_of(stmt));
            }
            _ => {}
        }
    }
    match first_allow {
        Some(sid) => Decision::Allow { sid },
        None => Decision::ImplicitDeny,
    }
}

/// The decision of the resource control policies in force on a resource (`rcps`: every custom RCP
/// attached to the resource's account, its OUs and the root) for `req`. RCPs hold only Deny statements;
/// AWS's `RCPFullAWSAccess`, attached at every level and not removable, allows the rest (Organizations
/// User Guide, "Resource control policies"; AWS-rules IAM-5). So: the first RCP that denies (an unsure Deny
/// denies), else allowed by `RCPFullAWSAccess`. An Allow statement in a custom RCP is ignored. RCPs do not
/// apply to resources in the management account: the caller decides which RCPs are in force.
pub fn evaluate_rcps(rcps: &[Value], req: &Request) -> Decision {
    rcps.iter()
        .map(|rcp| evaluate(rcp, req))
        .find(|d| matches!(d, Decision::ExplicitDeny { .. }))
        .unwrap_or(Decision::Allow {
            sid: Some(RCP_FULL_ACCESS.to_owned()),
        })
}

/// The AWS-managed RCP attached at every level of an organization with RCPs enabled.
pub const RCP_FULL_ACCESS: &str = "RCPFullAWSAccess";

/// What a log-delivery service needs on the bucket: `s3:GetBucketAcl` on the bucket and
/// `s3:PutObject` (with `s3:x-amz-acl` = `bucket-owner-full-control`) on an object under
/// `PREFIX/AWSLogs/<account>/...`.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: String,
    pub bucket: String,
    /// `org` or `a/b` (surrounding slashes are ignored); `None` = no prefix.
    pub key_prefix: Option<String>,
    /// 12 digits: the account whose logs these are (the path segment after `AWSLogs/`).
    pub account_id: String,
    /// e.g. `arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/DEV-CLOUDTRAIL`.
    pub source_arn: String,
    /// The account that owns the trail (usually = `account_id`).
    pub source_account: String,
    /// `aws:SourceOrgID`, when known (`o-abc123`).
    pub org_id: Option<String>,
    /// `aws:SourceOrgPaths`, when known: the source account's path, `o-abc123/r-ab12/ou-ab12-11111111/`.
    pub org_path: Option<String>,
    /// e.g. `cloudtrail.amazonaws.com`.
    pub service: String,
    /// The path segment after the account: `CloudTrail` (flow logs: `vpcflowlogs`; with Hive-compatible
    /// partitions `aws-service=vpcflowlogs`, which [`Delivery::object_key`] lays out as AWS does).
    pub log_kind: String,
    /// The region segment in the object key, e.g. `ap-northeast-2`.
    pub region: String,
}

impl Delivery {
    /// `arn:<partition>:s3:::<bucket>`.
    pub fn bucket_arn(&self) -> String {
        super::layout::bucket_arn(&self.partition, &self.bucket)
    }

    /// A representative object key: `[<prefix>/]AWSLogs/<account>/<kind>/<region>/2026/01/01/<file>`.
    pub fn object_key(&self) -> String {
        let (account, kind, region) = (&self.account_id, &self.log_kind, &self.region);
        if kind == super::layout::HIVE_FLOW_LOGS {
            let folder =
                super::layout::hive_flow_log_prefix(self.key_prefix.as_deref(), account, region);
            return format!(
                "{folder}year=2026/month=01/day=01/{account}_vpcflowlogs_{region}_fl-x_20260101T0000Z_x.log.gz"
            );
        }
        let folder = super::layout::log_prefix(self.key_prefix.as_deref(), None, account, kind);
        // an organization trail's `account_id` is `<org-id>/<account>`: the file is named by the account
        let file_account = account.rsplit('/').next().unwrap_or(account);
        format!(
            "{folder}{region}/2026/01/01/{file_account}_{kind}_{region}_20260101T0000Z_x.json.gz"
        )
    }

    /// `arn:<partition>:s3:::<bucket>/<object_key>`.
    pub fn object_arn(&self) -> String {
        format!("{}/{}", self.bucket_arn(), self.object_key())
    }

    /// The `s3:GetBucketAcl` request the service makes before delivering.
    pub fn acl_check_request(&self) -> Request {
        Request {
            principal_service: self.service.clone(),
            action: "s3:GetBucketAcl".to_owned(),
            resource: self.bucket_arn(),
            context: self.base_context(),
        }
    }

    /// The `s3:PutObject` request that writes one log file.
    pub fn write_request(&self) -> Request {
        let mut context = self.base_context();
        context.insert(
            "s3:x-amz-acl".to_owned(),
            "bucket-owner-full-control".to_owned(),
        );
        Request {
            principal_service: self.service.clone(),
            action: "s3:PutObject".to_owned(),
            resource: self.object_arn(),
            context,
        }
    }

    fn base_context(&self) -> BTreeMap<String, String> {
        let source = Source {
            account: &self.source_account,
            arn: Some(&self.source_arn),
            org_id: self.org_id.as_deref(),
            org_path: self.org_path.as_deref(),
        };
        service_context(&self.service, &source)
    }
}

/// On whose behalf a service principal acts: the resource (a trail, a log delivery) and its account.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// `aws:SourceAccount`.
    pub account: &'a str,
    /// `aws:SourceArn`, when the service sends one.
    pub arn: Option<&'a str>,
    /// `aws:SourceOrgID`: the source account's organization, when it is in one.
    pub org_id: Option<&'a str>,
    /// `aws:SourceOrgPaths`, when known.
    pub org_path: Option<&'a str>,
}

/// The condition keys AWS puts in a request that a service principal makes on behalf of `source` (IAM User
/// Guide, "AWS global condition context keys"): `aws:PrincipalIsAWSService` = true,
/// `aws:PrincipalServiceName`, `aws:SourceAccount`, `aws:SourceArn`, and `aws:SourceOrgID` /
/// `aws:SourceOrgPaths` when the source account is in an organization. Never `aws:PrincipalOrgID`,
/// `aws:PrincipalAccount` or `aws:PrincipalArn`: a service principal has none (AWS-rules IAM-2). And
/// `aws:SecureTransport` = true: AWS's services call S3 and KMS over TLS, so a TLS-only Deny (trailhub's in
/// the bucket policy, S3-14, or a team's in a key policy or an RCP, even with `BoolIfExists`) never
/// refuses them.
pub fn service_context(service: &str, source: &Source<'_>) -> BTreeMap<String, String> {
    let mut context = BTreeMap::from([
        ("aws:PrincipalIsAWSService".to_owned(), "true".to_owned()),
        ("aws:SecureTransport".to_owned(), "true".to_owned()),
        ("aws:PrincipalServiceName".to_owned(), service.to_owned()),
        ("aws:SourceAccount".to_owned(), source.account.to_owned()),
    ]);
    let optional = [
        ("aws:SourceArn", source.arn),
        ("aws:SourceOrgID", source.org_id),
        ("aws:SourceOrgPaths", source.org_path),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            context.insert(key.to_owned(), v.to_owned());
        }
    }
    context
}

/// The decisions for both requests a delivery needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryVerdict {
    pub acl_check: Decision,
    pub write: Decision,
}

impl DeliveryVerdict {
    /// True when both the ACL check and the write are allowed.
    pub fn allowed(&self) -> bool {
        self.acl_check.is_allowed() && self.write.is_allowed()
    }
}

/// Evaluates the ACL-check and the write request of `target` against `policy`.
pub fn check_delivery(policy: &Value, target: &Delivery) -> DeliveryVerdict {
    DeliveryVerdict {
        acl_check: evaluate(policy, &target.acl_check_request()),
        write: evaluate(policy, &target.write_request()),
    }
}

// ---------------------------------------------------------------------------------------------
// Three-valued logic

/// The result of matching one part of a statement: known yes, known no, or not understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Yes,
    No,
    Unsure,
}

impl Tri {
    fn from_bool(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }

    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Unsure => Tri::Unsure,
        }
    }

    /// Conjunction: a definite "no" anywhere wins, then "unsure"; empty = yes.
    fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::Yes, |acc, t| match (acc, t) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Unsure, _) | (_, Tri::Unsure) => Tri::Unsure,
            _ => Tri::Yes,
        })
    }

    /// Disjunction: a definite "yes" anywhere wins, then "unsure"; empty = no.
    fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        Tri::all(items.into_iter().map(Tri::not)).not()
    }
}

// ---------------------------------------------------------------------------------------------
// Statements

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

impl Effect {
    fn of(stmt: &Map<String, Value>) -> Option<Effect> {
        match stmt.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Some(Effect::Allow),
            Some("Deny") => Some(Effect::Deny),
            _ => None,
        }
    }
}

/// The condition operators the evaluator does not understand in the Allow statements that may be meant for
/// `service` (its principal is not ruled out), with their statement's Sid: such a statement never counts as
/// allowing (see the module documentation), which a denial should say.
pub fn unjudged_operators(policy: &Value, service: &str) -> Vec<(Option<String>, String)> {
    statements(policy)
        .into_iter()
        .filter(|stmt| matches!(Effect::of(stmt), Some(Effect::Allow)))
        .filter(|stmt| {
            element_pair(stmt, "Principal", "NotPrincipal", |v| {
                principal_matches(v, service)
            }) != Tri::No
        })
        .flat_map(|stmt| {
            let operators = stmt.get("Condition").and_then(Value::as_object);
            operators
                .into_iter()
                .flat_map(|ops| ops.keys())
                .filter(|name| Operator::parse(name).is_none())
                .map(|name| (sid_of(stmt), name.clone()))
        })
        .collect()
}

fn sid_of(stmt: &Map<String, Value>) -> Option<String> {
    stmt.get("Sid").and_then(Value::as_str).map(str::to_owned)
}

fn statement_applies(stmt: &Map<String, Value>, req: &Request) -> Tri {
    Tri::all([
        element_pair(stmt, "Principal", "NotPrincipal", |v| {
            principal_matches(v, &req.principal_service)
        }),
        element_pair(stmt, "Action", "NotAction", |v| {
            action_matches(v, &req.action)
        }),
        element_pair(stmt, "Resource", "NotResource", |v| {
            resource_matches(v, &req.resource)
        }),
        stmt.get("Condition")
            .map_or(Tri::Yes, |c| conditions_match(c, &req.context)),
    ])
}

/// Evaluates an element that comes as a positive/negative pair (`Action`/`NotAction`, ...).
/// Neither present: no match. Both present: the statement is invalid, so "unsure".
fn element_pair(
    stmt: &Map<String, Value>,
    positive: &str,
    negative: &str,
    matcher: impl Fn(&Value) -> Tri,
) -> Tri {
    match (stmt.get(positive), stmt.get(negative)) {
        (Some(v), None) => matcher(v),
        (None, Some(v)) => matcher(v).not(),
        (None, None) => Tri::No,
        (Some(_), Some(_)) => Tri::Unsure,
    }
}

/// A string or a non-empty list of strings; `None` for anything else. Checked, then borrowed in place.
fn string_list(v: &Value) -> Option<impl Iterator<Item = &str>> {
    let items: &[Value] = match v {
        Value::String(_) => std::slice::from_ref(v),
        Value::Array(items) if !items.is_empty() => items,
        _ => return None,
    };
    items
        .iter()
        .all(Value::is_string)
        .then(|| items.iter().filter_map(Value::as_str))
}

fn principal_matches(v: &Value, service: &str) -> Tri {
    match v {
        Value::String(s) if s == "*" => Tri::Yes,
        Value::Object(map) => Tri::any(
            map.iter()
                .map(|(kind, ids)| principal_entry_matches(kind, ids, service)),
        ),
        _ => Tri::Unsure,
    }
}

fn principal_entry_matches(kind: &str, ids: &Value, service: &str) -> Tri {
    let Some(mut ids) = string_list(ids) else {
        return Tri::Unsure;
    };
    match kind {
        // `*`, or (a key policy's reader, KMS-10) the request's principal when it is an IAM ARN, exactly
        "AWS" => Tri::from_bool(ids.any(|id| id == "*" || id == service)),
        "Service" => Tri::from_bool(ids.any(|id| id.eq_ignore_ascii_case(service))),
        "Federated" | "CanonicalUser" => Tri::No,
        _ => Tri::Unsure,
    }
}

fn action_matches(v: &Value, action: &str) -> Tri {
    let Some(patterns) = string_list(v) else {
        return Tri::Unsure;
    };
    // most patterns and actions are plain ASCII names: compare them without lowering copies
    let mut lowered: Option<String> = None;
    Tri::any(patterns.map(|p| {
        let plain = p.is_ascii() && action.is_ascii() && !p.contains(['*', '?']);
        Tri::from_bool(if plain {
            p.eq_ignore_ascii_case(action)
        } else {
            let action = lowered.get_or_insert_with(|| action.to_lowercase());
            glob(&p.to_lowercase(), action)
        })
    }))
}

fn resource_matches(v: &Value, resource: &str) -> Tri {
    let Some(patterns) = string_list(v) else {
        return Tri::Unsure;
    };
    Tri::any(patterns.map(|p| {
        if has_policy_variable(p) {
            Tri::Unsure
        } else {
            Tri::from_bool(glob(p, resource))
        }
    }))
}

fn has_policy_variable(s: &str) -> bool {
    s.contains("${")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const CT: &str = "cloudtrail.amazonaws.com";
    const SEC_ARN: &str = "arn:aws:cloudtrail:ap-northeast-2:111111111111:trail/SEC";
    const DEV_ARN: &str = "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/DEV";

    /// The documented CloudTrail bucket policy shape for `trails` = (account, trail ARN).
    fn reference_policy(bucket: &str, prefix: &str, trails: &[(String, String)]) -> Value {
        let arns: Vec<&str> = trails.iter().map(|(_, arn)| arn.as_str()).collect();
        let objects: Vec<String> = trails
            .iter()
            .map(|(account, _)| format!("arn:aws:s3:::{bucket}/{prefix}/AWSLogs/{account}/*"))
            .collect();
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow",
             "Principal": {"Service": CT}, "Action": "s3:GetBucketAcl",
             "Resource": format!("arn:aws:s3:::{bucket}"),
             "Condition": {"StringEquals": {"aws:SourceArn": arns}}},
            {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow",
             "Principal": {"Service": CT}, "Action": "s3:PutObject",
             "Resource": objects,
             "Condition": {"StringEquals": {
                 "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": arns}}}
        ]})
    }

    fn sec_dev() -> Vec<(String, String)> {
        vec![
            ("111111111111".into(), SEC_ARN.into()),
            ("222222222222".into(), DEV_ARN.into()),
        ]
    }

    fn reference() -> Value {
        reference_policy("sec-log", "org", &sec_dev())
    }

    fn target(account: &str, source_arn: &str) -> Delivery {
        Delivery {
            partition: "aws".into(),
            bucket: "sec-log".into(),
            key_prefix: Some("org".into()),
            account_id: account.into(),
            source_arn: source_arn.into(),
            source_account: account.into(),
            org_id: Some("o-abc123".into()),
            org_path: None,
            service: CT.into(),
            log_kind: "CloudTrail".into(),
            region: "ap-northeast-2".into(),
        }
    }

    fn dev() -> Delivery {
        target("222222222222", DEV_ARN)
    }

    /// The reference policy with its statements replaced by `statements`.
    fn with_statements(statements: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    /// The reference statements plus `extra`.
    fn reference_plus(extra: Value) -> Value {
        let mut policy = reference();
        if let Some(Value::Array(items)) = policy.get_mut("Statement") {
            items.push(extra);
        }
        policy
    }

    /// A single Allow statement for any action on the bucket and its objects, with `condition`.
    fn allow_all_with(condition: Value) -> Value {
        with_statements(json!([{"Sid": "A", "Effect": "Allow", "Principal": "*",
            "Action": "s3:*", "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
            "Condition": condition}]))
    }

    /// A statement that would allow everything, plus a Deny of everything with `condition`.
    fn deny_all_with(condition: Value) -> Value {
        with_statements(json!([
            {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
             "Condition": condition}]))
    }

    #[test]
    fn reference_policy_allows_both_trails() {
        for t in [target("111111111111", SEC_ARN), dev()] {
            let verdict = check_delivery(&reference(), &t);
            assert!(verdict.allowed(), "{verdict:?}");
            assert_eq!(
                verdict.acl_check.sid(),
                Some("AWSCloudTrailAclCheck20150319")
            );
            assert_eq!(verdict.write.sid(), Some("AWSCloudTrailWrite20150319"));
        }
    }

    #[test]
    fn requests_have_the_documented_shape() {
        let t = dev();
        assert_eq!(t.acl_check_request().resource, "arn:aws:s3:::sec-log");
        let write = t.write_request();
        assert_eq!(
            write.resource,
            "arn:aws:s3:::sec-log/org/AWSLogs/222222222222/CloudTrail/ap-northeast-2/2026/01/01/\
             222222222222_CloudTrail_ap-northeast-2_20260101T0000Z_x.json.gz"
        );
        assert_eq!(
            write.context.get("s3:x-amz-acl").map(String::as_str),
            Some("bucket-owner-full-control")
        );
        assert_eq!(
            write.context.get("aws:SourceOrgID").map(String::as_str),
            Some("o-abc123")
        );
        let no_prefix = Delivery {
            key_prefix: None,
            ..dev()
        };
        assert!(
            no_prefix
                .object_arn()
                .starts_with("arn:aws:s3:::sec-log/AWSLogs/222222222222/")
        );
    }

    #[test]
    fn trail_missing_from_the_policy_is_refused() {
        let policy = reference_policy("sec-log", "org", &sec_dev()[..1]);
        let verdict = check_delivery(&policy, &dev());
        assert_eq!(verdict.acl_check, Decision::ImplicitDeny);
        assert_eq!(verdict.write, Decision::ImplicitDeny);
        assert!(!verdict.allowed());
    }

    #[test]
    fn wrong_acl_condition_is_refused() {
        let mut policy = reference();
        policy["Statement"][1]["Condition"]["StringEquals"]["s3:x-amz-acl"] = json!("private");
        let verdict = check_delivery(&policy, &dev());
        assert!(verdict.acl_check.is_allowed());
        assert_eq!(verdict.write, Decision::ImplicitDeny);
    }

    #[test]
    fn wrong_prefix_is_refused() {
        let t = Delivery {
            key_prefix: Some("other".into()),
            ..dev()
        };
        assert_eq!(
            check_delivery(&reference(), &t).write,
            Decision::ImplicitDeny
        );
        let policy = reference_policy("sec-log", "logs", &sec_dev());
        assert!(!check_delivery(&policy, &dev()).allowed());
    }

    /// The key's requests (CloudTrail's kms:GenerateDataKey, as `key_policy` and `rcp` build them with
    /// `service_context`) are made over TLS too: a TLS-only Deny, even with `BoolIfExists`, spares them.
    #[test]
    fn insecure_transport_deny_does_not_hit_the_keys_requests() {
        let source = Source {
            account: "222222222222",
            arn: Some("arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/T"),
            org_id: None,
            org_path: None,
        };
        let req = Request {
            principal_service: CT.to_owned(),
            action: "kms:GenerateDataKey".to_owned(),
            resource: "arn:aws:kms:ap-northeast-2:111111111111:key/k".to_owned(),
            context: service_context(CT, &source),
        };
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": CT}, "Action": "kms:GenerateDataKey",
             "Resource": "*"},
            {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]});
        assert!(evaluate(&policy, &req).is_allowed());
    }

    #[test]
    fn insecure_transport_deny_does_not_hit_delivery() {
        let policy = reference_plus(json!({"Sid": "DenyInsecure", "Effect": "Deny",
            "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::sec-log/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}));
        assert!(check_delivery(&policy, &dev()).allowed());
        let mut insecure = dev().write_request();
        insecure
            .context
            .insert("aws:SecureTransport".into(), "false".into());
        assert_eq!(
            evaluate(&policy, &insecure),
            Decision::ExplicitDeny {
                sid: Some("DenyInsecure".into())
            }
        );
    }

    #[test]
    fn explicit_deny_wins_over_allow() {
        let policy = reference_plus(json!({"Sid": "NoDev", "Effect": "Deny",
            "Principal": {"Service": CT}, "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::sec-log/org/AWSLogs/222222222222/*"}));
        let verdict = check_delivery(&policy, &dev());
        assert!(verdict.acl_check.is_allowed());
        assert_eq!(
            verdict.write,
            Decision::ExplicitDeny {
                sid: Some("NoDev".into())
            }
        );
        assert!(check_delivery(&policy, &target("111111111111", SEC_ARN)).allowed());
    }

    #[test]
    fn arn_like_with_wildcards() {
        let policy = with_statements(json!([{"Effect": "Allow", "Principal": {"Service": CT},
            "Action": ["s3:GetBucketAcl", "s3:PutObject"],
            "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/org/AWSLogs/*"],
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:222222222222:trail/*"}}}]));
        assert!(check_delivery(&policy, &dev()).allowed());
        let other_region = target(
            "222222222222",
            "arn:aws:cloudtrail:us-east-1:222222222222:trail/X",
        );
        assert!(check_delivery(&policy, &other_region).allowed());
        assert!(!check_delivery(&policy, &target("111111111111", SEC_ARN)).allowed());
    }

    #[test]
    fn arn_like_is_per_component() {
        assert_eq!(
            arn_like("arn:aws:cloudtrail:*:222222222222:trail/*", DEV_ARN),
            Tri::Yes
        );
        assert_eq!(arn_like("arn:aws:cloudtrail:*", DEV_ARN), Tri::Unsure);
        assert_eq!(arn_like("arn:aws:s3:::*", DEV_ARN), Tri::No);
        // A `*` spanning a colon matches as a string but not per component.
        assert_eq!(
            arn_like("arn:aws:cloudtrail:*:trail/DEV", DEV_ARN),
            Tri::Unsure
        );
    }

    /// Flow logs (issue 11): AWS documents delivery.logs' `aws:SourceArn` only as the pattern
    /// `arn:<p>:logs:<region>:<account>:*`; the request carries a concrete ARN of that shape.
    #[test]
    fn arn_like_matches_a_logs_source_arn() {
        let value = "arn:aws:logs:ap-northeast-2:222222222222:vpc-flow-log-delivery";
        let pattern = "arn:aws:logs:ap-northeast-2:222222222222:*";
        assert_eq!(arn_like(pattern, value), Tri::Yes);
        assert_eq!(arn_like("arn:aws:logs:*:222222222222:*", value), Tri::Yes);
        assert_eq!(
            arn_like("arn:aws:logs:us-east-1:222222222222:*", value),
            Tri::No
        );
        assert_eq!(
            arn_like("arn:aws:logs:ap-northeast-2:333333333333:*", value),
            Tri::No
        );
        assert_eq!(
            arn_like("arn:aws:cloudtrail:*:222222222222:trail/*", value),
            Tri::No
        );
        // a resource part with colons is still the sixth component
        let group = "arn:aws:logs:ap-northeast-2:222222222222:log-group:/a/b:*";
        assert_eq!(arn_like(pattern, group), Tri::Yes);
        let flow_logs = Delivery {
            service: "delivery.logs.amazonaws.com".into(),
            log_kind: "vpcflowlogs".into(),
            source_arn: value.into(),
            ..dev()
        };
        let like = allow_all_with(json!({"ArnLike": {"aws:SourceArn": pattern}}));
        assert!(check_delivery(&like, &flow_logs).allowed());
        // StringEquals compares text: the documented pattern is not the value AWS sends
        let equals = allow_all_with(json!({"StringEquals": {"aws:SourceArn": pattern}}));
        assert!(!check_delivery(&equals, &flow_logs).allowed());
    }

    #[test]
    fn source_account_list_and_org_id_forms() {
        let by_account = with_statements(json!([{"Effect": "Allow", "Principal": {"Service": CT},
            "Action": "s3:*", "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
            "Condition": {"StringEquals": {"aws:SourceAccount": ["111111111111", "222222222222"]}}}]));
        assert!(check_delivery(&by_account, &dev()).allowed());
        assert!(!check_delivery(&by_account, &target("333333333333", DEV_ARN)).allowed());

        let by_org = with_statements(json!([{"Effect": "Allow", "Principal": {"Service": CT},
            "Action": "s3:*", "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
            "Condition": {"StringEquals": {"aws:SourceOrgID": "o-abc123"}}}]));
        assert!(check_delivery(&by_org, &dev()).allowed());
        let unknown_org = Delivery {
            org_id: None,
            org_path: None,
            ..dev()
        };
        assert!(!check_delivery(&by_org, &unknown_org).allowed());
        let other_org = Delivery {
            org_id: Some("o-zzz".into()),
            org_path: None,
            ..dev()
        };
        assert!(!check_delivery(&by_org, &other_org).allowed());
    }

    #[test]
    fn statement_may_be_a_single_object() {
        let policy = json!({"Statement": {"Sid": "One", "Effect": "Allow",
            "Principal": {"Service": CT}, "Action": "s3:GetBucketAcl",
            "Resource": "arn:aws:s3:::sec-log"}});
        assert_eq!(
            check_delivery(&policy, &dev()).acl_check,
            Decision::Allow {
                sid: Some("One".into())
            }
        );
    }

    #[test]
    fn not_principal_not_action_not_resource() {
        let not_principal = json!({"Effect": "Allow",
            "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "s3:*", "Resource": "*"});
        assert!(check_delivery(&with_statements(json!([not_principal])), &dev()).allowed());
        let not_us = json!({"Effect": "Allow", "NotPrincipal": {"Service": CT},
            "Action": "s3:*", "Resource": "*"});
        assert!(!check_delivery(&with_statements(json!([not_us])), &dev()).allowed());

        let not_action = json!({"Effect": "Allow", "Principal": "*",
            "NotAction": "s3:Delete*", "Resource": "*"});
        assert!(check_delivery(&with_statements(json!([not_action])), &dev()).allowed());
        let not_put = json!({"Effect": "Allow", "Principal": "*",
            "NotAction": ["s3:put*"], "Resource": "*"});
        let verdict = check_delivery(&with_statements(json!([not_put])), &dev());
        assert!(verdict.acl_check.is_allowed());
        assert!(!verdict.write.is_allowed());

        let not_resource = json!({"Effect": "Allow", "Principal": "*", "Action": "*",
            "NotResource": "arn:aws:s3:::sec-log/org/AWSLogs/111111111111/*"});
        let policy = with_statements(json!([not_resource]));
        assert!(check_delivery(&policy, &dev()).allowed());
        assert!(!check_delivery(&policy, &target("111111111111", SEC_ARN)).allowed());
    }

    #[test]
    fn condition_keys_are_case_insensitive() {
        let policy = allow_all_with(json!({"StringEquals": {
            "AWS:SOURCEARN": DEV_ARN, "S3:X-Amz-Acl": "bucket-owner-full-control"}}));
        assert!(check_delivery(&policy, &dev()).write.is_allowed());
        // ...but values are not.
        let policy =
            allow_all_with(json!({"StringEquals": {"aws:SourceArn": DEV_ARN.to_lowercase()}}));
        assert!(!check_delivery(&policy, &dev()).write.is_allowed());
        let policy = allow_all_with(
            json!({"StringEqualsIgnoreCase": {"aws:SourceArn": DEV_ARN.to_lowercase()}}),
        );
        assert!(check_delivery(&policy, &dev()).write.is_allowed());
    }

    #[test]
    fn if_exists_and_missing_keys() {
        // The ACL check carries no s3:x-amz-acl key.
        let plain =
            allow_all_with(json!({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}));
        let verdict = check_delivery(&plain, &dev());
        assert!(!verdict.acl_check.is_allowed());
        assert!(verdict.write.is_allowed());

        let if_exists = allow_all_with(
            json!({"StringEqualsIfExists": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
        );
        assert!(check_delivery(&if_exists, &dev()).allowed());

        let if_exists_wrong =
            allow_all_with(json!({"StringEqualsIfExists": {"s3:x-amz-acl": "private"}}));
        let verdict = check_delivery(&if_exists_wrong, &dev());
        assert!(verdict.acl_check.is_allowed());
        assert!(!verdict.write.is_allowed());

        // A negated operator on a missing key is true.
        let not_equals = allow_all_with(json!({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}));
        assert!(check_delivery(&not_equals, &dev()).allowed());

        let for_all = allow_all_with(json!({"ForAllValues:StringEquals": {"aws:TagKeys": "x"}}));
        assert!(check_delivery(&for_all, &dev()).allowed());
        let for_any =
            allow_all_with(json!({"ForAnyValue:StringEquals": {"aws:SourceArn": DEV_ARN}}));
        assert!(check_delivery(&for_any, &dev()).allowed());
    }

    #[test]
    fn null_bool_and_numeric() {
        let org_present = allow_all_with(json!({"Null": {"aws:SourceOrgID": "false"}}));
        assert!(check_delivery(&org_present, &dev()).allowed());
        let org_absent = allow_all_with(json!({"Null": {"aws:SourceOrgID": true}}));
        assert!(!check_delivery(&org_absent, &dev()).allowed());
        let secure = allow_all_with(json!({"Bool": {"aws:SecureTransport": true}}));
        assert!(check_delivery(&secure, &dev()).allowed());
        let account = allow_all_with(
            json!({"NumericGreaterThan": {"aws:SourceAccount": 200_000_000_000u64}}),
        );
        assert!(check_delivery(&account, &dev()).allowed());
        assert!(!check_delivery(&account, &target("111111111111", SEC_ARN)).allowed());
    }

    #[test]
    fn unknown_operator_never_allows_and_always_denies() {
        let allow = allow_all_with(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}));
        assert_eq!(
            check_delivery(&allow, &dev()).acl_check,
            Decision::ImplicitDeny
        );
        let lower_case = allow_all_with(json!({"stringequals": {"aws:SourceArn": DEV_ARN}}));
        assert!(!check_delivery(&lower_case, &dev()).allowed());

        let deny =
            deny_all_with(json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}));
        assert_eq!(
            check_delivery(&deny, &dev()).write,
            Decision::ExplicitDeny {
                sid: Some("D".into())
            }
        );
        // A Deny with a known, false condition does not deny.
        let deny = deny_all_with(json!({"StringNotEquals": {"aws:SourceAccount": "222222222222"}}));
        assert!(check_delivery(&deny, &dev()).allowed());

        // a denial can name what the evaluator did not understand (only in Allow statements)
        let service = "cloudtrail.amazonaws.com";
        assert_eq!(
            unjudged_operators(&allow, service),
            [(Some("A".to_owned()), "IpAddress".to_owned())]
        );
        assert_eq!(
            unjudged_operators(&lower_case, service),
            [(Some("A".to_owned()), "stringequals".to_owned())]
        );
        assert!(unjudged_operators(&deny_all_with(json!({"IpAddress": {}})), service).is_empty());
        // another principal's statement is not the service's business
        let for_a_role = with_statements(json!([{"Sid": "R", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:role/reader"}, "Action": "s3:GetObject",
            "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]));
        assert!(unjudged_operators(&for_a_role, service).is_empty());
    }

    #[test]
    fn policy_variables_are_unsure() {
        let allow = allow_all_with(
            json!({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}),
        );
        assert!(!check_delivery(&allow, &dev()).allowed());
        let deny = deny_all_with(
            json!({"StringNotEquals": {"aws:SourceAccount": "${aws:ResourceAccount}"}}),
        );
        assert!(!check_delivery(&deny, &dev()).allowed());
    }

    #[test]
    fn service_principal_forms() {
        let list = with_statements(json!([{"Effect": "Allow",
            "Principal": {"Service": ["delivery.logs.amazonaws.com", "CloudTrail.amazonaws.com"]},
            "Action": "s3:*", "Resource": "arn:aws:s3:::sec-log*"}]));
        assert!(check_delivery(&list, &dev()).allowed());
        let flow_logs = Delivery {
            service: "delivery.logs.amazonaws.com".into(),
            log_kind: "vpcflowlogs".into(),
            ..dev()
        };
        assert!(check_delivery(&list, &flow_logs).allowed());

        let star = with_statements(json!([{"Effect": "Allow", "Principal": "*",
            "Action": "*", "Resource": "*"}]));
        assert!(check_delivery(&star, &dev()).allowed());
        let aws_star = with_statements(json!([{"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "*", "Resource": "*"}]));
        assert!(check_delivery(&aws_star, &dev()).allowed());

        for principal in [
            json!({"AWS": "arn:aws:iam::222222222222:root"}),
            json!({"AWS": ["222222222222"]}),
            json!({"Federated": "cognito-identity.amazonaws.com"}),
            json!({"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}),
            json!({"Service": "delivery.logs.amazonaws.com"}),
        ] {
            let policy = with_statements(json!([{"Effect": "Allow", "Principal": principal,
                "Action": "*", "Resource": "*"}]));
            assert!(!check_delivery(&policy, &dev()).allowed(), "{policy}");
        }
    }

    #[test]
    fn malformed_policies_allow_nothing() {
        for policy in [
            json!("not a policy"),
            json!([]),
            json!(null),
            json!({"Version": "2012-10-17"}),
            json!({"Statement": "nope"}),
            with_statements(json!(["string statement", 3])),
            // No principal, no resource, wrong effect spelling, bad action type.
            with_statements(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
            with_statements(json!([{"Effect": "Allow", "Principal": "*", "Action": "*"}])),
            with_statements(
                json!([{"Effect": "allow", "Principal": "*", "Action": "*", "Resource": "*"}]),
            ),
            with_statements(
                json!([{"Effect": "Allow", "Principal": "*", "Action": 7, "Resource": "*"}]),
            ),
            with_statements(json!([{"Effect": "Allow", "Principal": "*", "Action": "*",
                "NotAction": "s3:Delete*", "Resource": "*"}])),
        ] {
            assert_eq!(
                check_delivery(&policy, &dev()),
                DeliveryVerdict {
                    acl_check: Decision::ImplicitDeny,
                    write: Decision::ImplicitDeny
                },
                "{policy}"
            );
        }
    }

    #[test]
    fn keys_aws_sends_but_the_evaluator_is_not_given_are_unsure() {
        // a region deny: AWS sends aws:RequestedRegion, so the Deny may match (IAM-4)
        let deny = deny_all_with(json!({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}));
        assert!(!check_delivery(&deny, &dev()).allowed());
        // an exclusion by the bucket's tag: trailhub reads no tags, so it cannot count on one
        let tagged = allow_all_with(json!({"StringEquals": {"aws:ResourceTag/team": "sec"}}));
        assert!(!check_delivery(&tagged, &dev()).allowed());
        // a key documented as absent for a service principal stays absent
        let org = deny_all_with(json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}));
        assert!(check_delivery(&org, &dev()).allowed());
        // a definite "no" elsewhere in the statement still decides
        let perimeter = deny_all_with(json!({
            "StringNotEqualsIfExists": {"aws:SourceOrgID": "o-abc123",
                                        "aws:ResourceTag/dp:exclude:identity": "true"},
            "Bool": {"aws:PrincipalIsAWSService": "true"}}));
        assert!(check_delivery(&perimeter, &dev()).allowed());
        let outside = Delivery {
            org_id: Some("o-other".into()),
            ..dev()
        };
        assert!(!check_delivery(&perimeter, &outside).allowed());
    }

    #[test]
    fn resource_control_policies_deny_or_leave_it_to_the_policy() {
        let req = dev().write_request();
        assert_eq!(
            evaluate_rcps(&[], &req),
            Decision::Allow {
                sid: Some(RCP_FULL_ACCESS.into())
            }
        );
        let deny_outside = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Outside",
            "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:SourceOrgID": "o-abc123"}}}]});
        // an Allow in a custom RCP grants nothing beyond RCPFullAWSAccess
        let allow = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
            "Resource": "*"}]});
        let rcps = [allow, deny_outside];
        assert!(evaluate_rcps(&rcps, &req).is_allowed());
        let outside = Delivery {
            org_id: None,
            ..dev()
        };
        assert_eq!(
            evaluate_rcps(&rcps, &outside.write_request()),
            Decision::ExplicitDeny {
                sid: Some("Outside".into())
            }
        );
    }

    #[test]
    fn malformed_deny_denies() {
        let policy = with_statements(json!([
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {"Sid": "Odd", "Effect": "Deny", "Principal": "*", "Action": {"x": 1}, "Resource": "*"}]));
        assert_eq!(
            check_delivery(&policy, &dev()).acl_check,
            Decision::ExplicitDeny {
                sid: Some("Odd".into())
            }
        );
    }

    #[test]
    fn glob_wildcards() {
        assert!(glob("*", ""));
        assert!(glob("s3:Put*", "s3:PutObject"));
        assert!(glob("s3:?etBucketAcl", "s3:GetBucketAcl"));
        assert!(glob("a*b*c", "aXXbYYbc"));
        assert!(!glob("a*b*c", "aXXbYYbd"));
        assert!(!glob("s3:Put", "s3:PutObject"));
        assert!(!glob("?", ""));
        assert!(glob("**x", "abx"));
        // `?` is one character, not one byte
        assert!(glob("a?c", "a\u{e9}c"));
        assert!(!glob("a??c", "a\u{e9}c"));
        assert!(glob("*\u{e9}", "caf\u{e9}"));
    }

    fn account() -> impl Strategy<Value = String> {
        "[0-9]{12}"
    }

    proptest! {
        #[test]
        fn reference_shape_allows_exactly_its_trails(
            trails in proptest::collection::btree_map(account(), "[A-Za-z0-9_-]{1,20}", 1..6),
            outsider in account(),
            prefix in "[a-z]{1,8}(/[a-z]{1,8})?",
        ) {
            prop_assume!(!trails.contains_key(&outsider));
            let region = "ap-northeast-2";
            let arn = |account: &str, name: &str| {
                format!("arn:aws:cloudtrail:{region}:{account}:trail/{name}")
            };
            let set: Vec<(String, String)> =
                trails.iter().map(|(a, n)| (a.clone(), arn(a, n))).collect();
            let policy = reference_policy("sec-log", &prefix, &set);
            let with_prefix = |t: Delivery| Delivery { key_prefix: Some(prefix.clone()), ..t };
            for (account, source_arn) in &set {
                let verdict = check_delivery(&policy, &with_prefix(target(account, source_arn)));
                prop_assert!(verdict.allowed(), "{:?}", verdict);
            }
            // An outsider is refused, whether it names its own trail or borrows a listed trail's
            // ARN while writing under its own account.
            let (_, borrowed) = &set[0];
            for source_arn in [arn(&outsider, "T"), borrowed.clone()] {
                let verdict = check_delivery(&policy, &with_prefix(target(&outsider, &source_arn)));
                prop_assert!(!verdict.write.is_allowed(), "{:?}", verdict);
            }
        }
    }
}
