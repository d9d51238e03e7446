//! The bucket's TLS-only Deny (pure): the statement trailhub writes so that S3 refuses every request made
//! without TLS (`aws:SecureTransport` = false), AWS Security Hub control S3.5, and how an equivalent
//! statement of another writer is recognized, so that it counts as present and no second one is added
//! (docs/aws-rules.md, S3-14). Constant size, whatever the number of accounts; the fitter counts it with
//! the rest of the policy.
//!
//! The shape is AWS's (AWS Config rule `s3-bucket-ssl-requests-only`, and the re:Post article "Bucket
//! policy that complies with the s3-bucket-ssl-requests-only rule"): Deny, Principal `*`, Action `s3:*`,
//! Resource the bucket and its objects, `Bool aws:SecureTransport false`. The services that deliver into the
//! bucket (CloudTrail, delivery.logs) always use TLS, so it never refuses them (`evaluate::Delivery`
//! sends `aws:SecureTransport` = true).

use serde_json::{Map, Value, json};

use super::super::document::strings;

/// trailhub's Sid for its TLS-only Deny.
pub const TLS_SID: &str = "TrailhubDenyInsecureTransport";
const SECURE_TRANSPORT: &str = "aws:SecureTransport";

/// The Deny trailhub writes, over `bucket_arn` and its objects.
pub fn deny_insecure_transport(bucket_arn: &str) -> Value {
    json!({
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, format!("{bucket_arn}/*")],
        "Condition": {"Bool": {SECURE_TRANSPORT: "false"}},
    })
}

/// Whether `stmt` refuses every request without TLS to the bucket and to all of its objects, whoever makes
/// it: a Deny for every principal (`*` or `{"AWS": "*"}`), of every S3 action (`s3:*` or `*`), over the
/// bucket and every object (or `*`), whose only condition is `Bool` or `BoolIfExists`
/// `aws:SecureTransport` false. Its Sid does not matter. A statement with any other condition, or one
/// that names principals, actions or objects, refuses less and does not count.
pub fn is_tls_deny(stmt: &Map<String, Value>, bucket_arn: &str) -> bool {
    let effect = stmt.get("Effect").and_then(Value::as_str) == Some("Deny");
    let negated = ["NotPrincipal", "NotAction", "NotResource"]
        .iter()
        .any(|k| stmt.contains_key(*k));
    let principal = match stmt.get("Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(p)) => p.len() == 1 && strings(p.get("AWS")) == ["*"],
        _ => false,
    };
    let actions = strings(stmt.get("Action"));
    let every_action = actions
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case("s3:*"));
    let resources = strings(stmt.get("Resource"));
    let covers = |want: &str| resources.iter().any(|r| r == "*" || r == want);
    let every_resource = covers(bucket_arn) && covers(&format!("{bucket_arn}/*"));
    effect
        && !negated
        && principal
        && every_action
        && every_resource
        && stmt.get("Condition").is_some_and(only_insecure_transport)
}

/// A condition block that tests `aws:SecureTransport` false (under `Bool` or `BoolIfExists`) and nothing
/// else.
fn only_insecure_transport(cond: &Value) -> bool {
    let Some(cond) = cond.as_object() else {
        return false;
    };
    let [(op, keys)] = cond.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    let bool_op = op.eq_ignore_ascii_case("Bool") || op.eq_ignore_ascii_case("BoolIfExists");
    let Some(keys) = keys.as_object().filter(|k| k.len() == 1) else {
        return false;
    };
    let Some((key, value)) = keys.iter().next() else {
        return false;
    };
    let is_false = match value {
        Value::Bool(b) => !b,
        Value::String(s) => s.eq_ignore_ascii_case("false"),
        Value::Array(a) => {
            a.len() == 1
                && (a[0] == json!(false)
                    || a[0]
                        .as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case("false")))
        }
        _ => false,
    };
    bool_op && key.eq_ignore_ascii_case(SECURE_TRANSPORT) && is_false
}

/// Whether `policy` holds a statement that refuses every request without TLS to the bucket ([`is_tls_deny`]),
/// trailhub's or another writer's.
pub fn denies_insecure_transport(policy: &Value, bucket_arn: &str) -> bool {
    super::super::document::statements(policy)
        .into_iter()
        .any(|s| is_tls_deny(s, bucket_arn))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUCKET: &str = "arn:aws:s3:::sec-log";

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn trailhubs_own_statement_is_a_tls_deny() {
        let ours = deny_insecure_transport(BUCKET);
        assert!(is_tls_deny(ours.as_object().unwrap(), BUCKET));
        assert!(!is_tls_deny(
            ours.as_object().unwrap(),
            "arn:aws:s3:::other"
        ));
    }

    /// AWS's example (re:Post), in the spellings other writers use: any Sid, `{"AWS": "*"}`, `BoolIfExists`,
    /// a JSON boolean, `Resource: "*"`.
    #[test]
    fn equivalent_statements_of_other_writers_count() {
        let shapes = [
            json!({"Sid": "AllowSSLRequestsOnly", "Action": "s3:*", "Effect": "Deny",
                "Resource": [BUCKET, format!("{BUCKET}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}, "Principal": "*"}),
            json!({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:*"],
                "Resource": "*", "Condition": {"BoolIfExists": {"aws:SecureTransport": false}}}),
            json!({"Sid": "x", "Effect": "Deny", "Principal": "*", "Action": "*",
                "Resource": [format!("{BUCKET}/*"), BUCKET],
                "Condition": {"Bool": {"aws:securetransport": ["false"]}}}),
        ];
        for s in shapes {
            assert!(is_tls_deny(&object(s.clone()), BUCKET), "{s}");
        }
    }

    /// A statement that refuses less (objects only, some actions, some principals, another condition too,
    /// an Allow) is not the TLS-only Deny.
    #[test]
    fn narrower_statements_do_not_count() {
        let base = deny_insecure_transport(BUCKET);
        let with = |k: &str, v: Value| {
            let mut s = object(base.clone());
            s.insert(k.to_owned(), v);
            s
        };
        let narrower = [
            with("Resource", json!(format!("{BUCKET}/*"))),
            with("Action", json!("s3:PutObject")),
            with(
                "Principal",
                json!({"AWS": "arn:aws:iam::111111111111:root"}),
            ),
            with("Effect", json!("Allow")),
            with(
                "Condition",
                json!({"Bool": {"aws:SecureTransport": "false"},
                    "StringEquals": {"aws:PrincipalAccount": "111111111111"}}),
            ),
            with(
                "Condition",
                json!({"Bool": {"aws:SecureTransport": "true"}}),
            ),
            with(
                "Condition",
                json!({"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
            ),
        ];
        for s in narrower {
            assert!(!is_tls_deny(&s, BUCKET), "{s:?}");
        }
        let mut no_condition = object(base);
        no_condition.remove("Condition");
        assert!(!is_tls_deny(&no_condition, BUCKET));
    }
}
