//! Bad input (issue 4): accounts files, command lines, live bucket policies trailhub does not expect, and
//! AWS answers it must not take for success. Each case drives the real binary against moto through the
//! recording proxy and asserts the exit code, the message on stderr (it names the problem), zero write
//! calls where trailhub stopped before writing, and for the safe merges that every statement trailhub does
//! not own is still there, unchanged, afterwards.
//!
//! Every case is also a row of the catalogue in docs/bad-inputs.md, which is generated from a run:
//! `cargo bench --bench bad_inputs_catalogue`.

use crate::support;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};
use support::trailhub::{
    BUCKET, MEMBERS, Out, World, log_prefix, managed_trails, static_config, trail_arn,
};
use support::{Fault, Rule, TEST_ACCOUNT_ID};

const ACL_SID: &str = "AWSCloudTrailAclCheck20150319";
const WRITE_SID: &str = "AWSCloudTrailWrite20150319";
const OWN_ACL_SID: &str = "TrailhubCloudTrailAclCheck";
const OWN_WRITE_SID: &str = "TrailhubCloudTrailWrite";
const DENY_SID: &str = "TrailhubDenyCloudTrailIntoAnotherFolder";
const TLS_SID: &str = "TrailhubDenyInsecureTransport";
const OLD_TRAIL: &str = "arn:aws:cloudtrail:us-east-1:999999999999:trail/old";
/// Central and two members: enough accounts to see a merge, few enough to be quick.
const TWO: [(&str, &str); 2] = [MEMBERS[0], MEMBERS[1]];

// ---------------------------------------------------------------------------------------------
// The catalogue row each case returns

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Area {
    Config,
    Cli,
    LivePolicy,
    AwsAnswer,
    Restore,
    Offboard,
}

impl Area {
    fn title(self) -> &'static str {
        match self {
            Area::Config => "Accounts file (accounts.toml)",
            Area::Cli => "Command line",
            Area::LivePolicy => "The live bucket policy",
            Area::AwsAnswer => "AWS answers",
            Area::Restore => "restore-policy",
            Area::Offboard => "offboard",
        }
    }
}

/// What one bad input did, as the catalogue shows it.
#[derive(Debug, Clone)]
struct Row {
    area: Area,
    what: &'static str,
    /// The bad input itself (a file excerpt, a policy, a proxy rule), short.
    input: String,
    /// The trailhub command line, without `--config FILE`.
    command: String,
    code: i32,
    /// What the user sees: the error on stderr (log lines left out), or the failed account lines.
    message: String,
    /// Write calls that reached the proxy, and what that means.
    writes: String,
    /// The outcome in words, for the safe merges.
    outcome: &'static str,
}

type CaseFn = fn(&World) -> Row;

/// Lines trailhub printed as an error: stderr without `tracing` log lines (they start with a timestamp).
fn error_text(out: &Out) -> String {
    out.stderr
        .lines()
        .filter(|l| !is_log_line(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

fn is_log_line(l: &str) -> bool {
    let b = l.as_bytes();
    b.len() > 20 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T'
}

/// The account lines of an apply report that failed.
fn failed_lines(out: &Out) -> String {
    out.stdout
        .lines()
        .filter(|l| l.contains("FAILED") || l.starts_with("summary:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts exit 2, an `error: ` on stderr saying each of `says`, nothing on stdout but the plan.
#[track_caller]
fn assert_error(out: &Out, says: &[&str]) {
    assert_eq!(out.code, 2, "{out}");
    let text = error_text(out);
    assert!(text.starts_with("error: "), "{out}");
    for s in says {
        assert!(text.contains(s), "{s:?} is not said:\n{out}");
    }
}

/// Asserts that no write call reached the proxy; returns the catalogue's words for it.
#[track_caller]
fn assert_no_writes(w: &World) -> String {
    let writes = w.proxy.writes();
    assert!(writes.is_empty(), "writes: {writes:#?}");
    "0".into()
}

/// Asserts that not one request reached the proxy (checks that need no AWS).
#[track_caller]
fn assert_no_requests(w: &World) -> String {
    let log = w.proxy.log();
    assert!(log.is_empty(), "requests: {log:#?}");
    "0 (no AWS call at all)".into()
}

/// The paths of this test's temporary directory, as `$DIR` in the catalogue.
fn redact(w: &World, s: &str) -> String {
    s.replace(w.dir.path().to_str().unwrap(), "$DIR")
}

#[allow(clippy::too_many_arguments)] // one argument per column of the catalogue
fn row(
    w: &World,
    area: Area,
    what: &'static str,
    input: impl Into<String>,
    args: &[&str],
    out: &Out,
    message: String,
    writes: String,
) -> Row {
    Row {
        area,
        what,
        input: redact(w, &input.into()),
        command: redact(w, &format!("trailhub {}", args.join(" "))),
        code: out.code,
        message: redact(w, &message),
        writes,
        outcome: "",
    }
}

// ---------------------------------------------------------------------------------------------
// Policies

fn deny_insecure() -> Value {
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })
}

fn console_acl(extra_condition: Option<(&str, Value)>) -> Value {
    let mut s = json!({
        "Sid": ACL_SID,
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:GetBucketAcl",
        "Resource": format!("arn:aws:s3:::{BUCKET}"),
        "Condition": {"StringEquals": {"AWS:SourceArn": OLD_TRAIL}}
    });
    if let Some((op, v)) = extra_condition {
        s["Condition"][op] = v;
    }
    s
}

fn console_write() -> Value {
    json!({
        "Sid": WRITE_SID,
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": log_prefix("999999999999"),
        "Condition": {"StringEquals": {
            "AWS:SourceArn": OLD_TRAIL,
            "s3:x-amz-acl": "bucket-owner-full-control"
        }}
    })
}

fn policy_of(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Id": "team-policy", "Statement": statements})
}

fn is_trailhubs(s: &Value) -> bool {
    // trailhub's Sids: the console's, its own beside the console's old default, and its Denies (issue 10,
    // and the TLS-only Deny of issue 21)
    let sid = s["Sid"].as_str().unwrap_or_default();
    [
        ACL_SID,
        WRITE_SID,
        OWN_ACL_SID,
        OWN_WRITE_SID,
        DENY_SID,
        TLS_SID,
    ]
    .contains(&sid)
}

/// Every statement of `before` that trailhub does not own is in `after`, unchanged and in the same order,
/// and the policy's other top-level fields are kept.
#[track_caller]
fn assert_foreign_intact(before: &Value, after: &Value) {
    let list = |p: &Value| -> Vec<Value> {
        match &p["Statement"] {
            Value::Array(a) => a.clone(),
            o @ Value::Object(_) => vec![o.clone()],
            _ => vec![],
        }
    };
    let foreign =
        |p: &Value| -> Vec<Value> { list(p).into_iter().filter(|s| !is_trailhubs(s)).collect() };
    assert_eq!(foreign(after), foreign(before), "after: {after:#}");
    for (k, v) in before.as_object().unwrap() {
        if k != "Statement" {
            assert_eq!(&after[k], v, "top-level {k}");
        }
    }
}

fn seed(w: &World, text: &str) {
    w.create_bucket(BUCKET);
    w.put_policy(BUCKET, text);
}

/// Runs `apply --yes` over a seeded live policy that trailhub must refuse: exit 2, the error says `says`,
/// zero writes, and the policy is exactly as it was.
fn refused_policy(w: &World, what: &'static str, text: &str, says: &[&str]) -> Row {
    w.write_config(&static_config(&TWO));
    seed(w, text);
    let out = w.apply();
    assert_error(&out, says);
    let writes = assert_no_writes(w);
    assert_eq!(w.policy_text(BUCKET).as_deref(), Some(text), "untouched");
    assert!(
        support::trailhub::files_in(&w.backup_dir()).is_empty(),
        "no backup: nothing was replaced"
    );
    for (id, name) in managed_trails(&TWO) {
        assert_eq!(w.trail(&id, &name), None, "no trail in {id}");
    }
    row(
        w,
        Area::LivePolicy,
        what,
        text,
        &["apply", "--yes"],
        &out,
        error_text(&out),
        writes,
    )
}

/// The write calls by operation, in the order they first came: "PutBucketPolicy, 2 CreateTrail, ...".
fn tally(writes: &[support::Logged]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for l in writes {
        match seen.iter_mut().find(|(op, _)| *op == l.operation) {
            Some((_, n)) => *n += 1,
            None => seen.push((&l.operation, 1)),
        }
    }
    seen.iter()
        .map(|(op, n)| {
            if *n == 1 {
                (*op).to_owned()
            } else {
                format!("{n} {op}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `apply --yes` over a seeded live policy trailhub must merge safely: exit 0, every trail made,
/// every foreign statement intact. Returns the row and the policy afterwards.
fn merged_policy(w: &World, what: &'static str, text: &str) -> (Row, Value) {
    w.write_config(&static_config(&TWO));
    seed(w, text);
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("summary: 3 accounts: 3 converged"),
        "{out}"
    );
    let before: Value = serde_json::from_str(text).unwrap();
    let after = w.policy();
    assert_foreign_intact(&before, &after);
    assert!(after["Statement"].is_array(), "{after:#}");
    for (id, name) in managed_trails(&TWO) {
        w.assert_onboarded(&id, &name);
    }
    let backups = support::trailhub::files_in(&w.backup_dir());
    assert_eq!(backups.len(), 1, "backed up first");
    assert_eq!(std::fs::read_to_string(&backups[0]).unwrap(), text);
    let writes = w.proxy.writes();
    let policy_writes = writes
        .iter()
        .filter(|l| l.operation == "PutBucketPolicy")
        .count();
    assert_eq!(policy_writes, 1, "{writes:#?}");
    let r = row(
        w,
        Area::LivePolicy,
        what,
        text,
        &["apply", "--yes"],
        &out,
        out.stdout
            .lines()
            .filter(|l| l.starts_with("policy:") || l.starts_with("summary:"))
            .collect::<Vec<_>>()
            .join("\n"),
        format!("{} ({})", writes.len(), tally(&writes)),
    );
    (r, after)
}

// ---------------------------------------------------------------------------------------------
// The live bucket policy

fn policy_not_json(w: &World) -> Row {
    refused_policy(
        w,
        "not JSON (moto and old tools accept anything)",
        "{\"Version\": \"2012-10-17\", \"Statement\": [",
        &[
            "the live bucket policy is not JSON",
            "will not replace a policy it cannot read",
        ],
    )
}

fn policy_json_array(w: &World) -> Row {
    refused_policy(
        w,
        "a JSON array, not an object",
        &json!([deny_insecure()]).to_string(),
        &["the live bucket policy is not a JSON object"],
    )
}

fn policy_json_null(w: &World) -> Row {
    refused_policy(
        w,
        "JSON null",
        "null",
        &["the live bucket policy is not a JSON object"],
    )
}

fn policy_statement_single_object(w: &World) -> Row {
    let text = serde_json::to_string_pretty(&json!({
        "Version": "2012-10-17",
        "Statement": deny_insecure()
    }))
    .unwrap();
    let (mut r, after) = merged_policy(w, "`Statement` a single object, not a list", &text);
    assert_eq!(after["Statement"][0], deny_insecure(), "kept, first");
    assert_eq!(after["Statement"].as_array().unwrap().len(), 4);
    r.outcome = "safe merge: written as a list of one, the statement kept as it was, trailhub's two and its Deny added";
    r
}

fn policy_statement_string(w: &World) -> Row {
    refused_policy(
        w,
        "`Statement` a string",
        r#"{"Version":"2012-10-17","Statement":"allow everything"}"#,
        &["\"Statement\" is a string, not a list of statements"],
    )
}

fn policy_statement_number(w: &World) -> Row {
    let text = policy_of(vec![deny_insecure(), json!(42)]).to_string();
    refused_policy(
        w,
        "a statement that is a number",
        &text,
        &["statement 1 of the live bucket policy is not a JSON object"],
    )
}

fn policy_not_elements(w: &World) -> Row {
    let statements = vec![
        json!({
            "Sid": "OnlyAdminsMayDelete",
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [format!("arn:aws:iam::{TEST_ACCOUNT_ID}:root"), format!("arn:aws:iam::{TEST_ACCOUNT_ID}:role/Admin")]},
            "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"],
            "Resource": format!("arn:aws:s3:::{BUCKET}")
        }),
        json!({
            "Sid": "NothingButReadsForAuditors",
            "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
            "NotAction": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")]
        }),
        json!({
            "Sid": "AuditorsReadAllButPrivate",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
            "Action": "s3:GetObject",
            "NotResource": format!("arn:aws:s3:::{BUCKET}/private/*")
        }),
    ];
    let text = serde_json::to_string_pretty(&policy_of(statements.clone())).unwrap();
    let (mut r, after) = merged_policy(
        w,
        "foreign statements with NotPrincipal, NotAction, NotResource",
        &text,
    );
    assert_eq!(
        &after["Statement"].as_array().unwrap()[..3],
        &statements[..]
    );
    r.outcome = "safe merge: the three kept verbatim, trailhub's two and its Deny added after them";
    r
}

fn policy_sid_on_deny(w: &World) -> Row {
    let mut deny = console_write();
    deny["Effect"] = json!("Deny");
    let text = policy_of(vec![deny_insecure(), console_acl(None), deny]).to_string();
    refused_policy(
        w,
        "trailhub's Sid on a Deny statement",
        &text,
        &[
            "AWSCloudTrailWrite20150319",
            "its Effect is not Allow",
            "trailhub will not change it",
        ],
    )
}

fn policy_sid_without_source_condition(w: &World) -> Row {
    // issue 10, point 5: the console's old default statement is kept, trailhub's go beside it
    let mut acl = console_acl(None);
    acl.as_object_mut().unwrap().remove("Condition");
    let text = policy_of(vec![deny_insecure(), acl.clone()]).to_string();
    let (mut r, after) = merged_policy(
        w,
        "the console's old default: trailhub's Sid without any source condition",
        &text,
    );
    assert_eq!(after["Statement"][1], acl, "kept as it was");
    let sids: Vec<&str> = after["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert!(sids.contains(&"TrailhubCloudTrailAclCheck"), "{sids:?}");
    r.outcome = "safe merge: the console's statement kept as it was, trailhub's two added beside it (its own Sid for the AclCheck) with its Deny; plan warns that the old statement lets any trail write (confused deputy)";
    r
}

fn policy_sid_with_not_principal(w: &World) -> Row {
    let mut acl = console_acl(None);
    let p = acl.as_object_mut().unwrap().remove("Principal").unwrap();
    acl["NotPrincipal"] = p;
    let text = policy_of(vec![acl, console_write()]).to_string();
    refused_policy(
        w,
        "trailhub's Sid on a statement with NotPrincipal",
        &text,
        &["AWSCloudTrailAclCheck20150319", "it uses NotPrincipal"],
    )
}

fn policy_two_statements_with_the_sid(w: &World) -> Row {
    let text = policy_of(vec![console_acl(None), console_write(), console_acl(None)]).to_string();
    refused_policy(
        w,
        "two statements with trailhub's Sid",
        &text,
        &[
            "AWSCloudTrailAclCheck20150319",
            "two statements have this Sid",
        ],
    )
}

fn policy_star_pattern(w: &World) -> Row {
    let acl = console_acl(Some((
        "ArnLike",
        json!({"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/*"}),
    )));
    let mut acl = acl;
    acl["Condition"]
        .as_object_mut()
        .unwrap()
        .remove("StringEquals");
    let text = policy_of(vec![acl, console_write()]).to_string();
    refused_policy(
        w,
        "trailhub's Sid allowing any account's trail (ArnLike arn:aws:cloudtrail:*:*:trail/*)",
        &text,
        &["is not one trailhub writes"],
    )
}

/// A condition operator trailhub does not manage, which its evaluator understands: kept and ANDed with
/// trailhub's own condition; CloudTrail's requests satisfy it, so every trail is made.
fn policy_extra_condition_understood(w: &World) -> Row {
    let cond = json!({"aws:SecureTransport": "true"});
    let text = policy_of(vec![
        deny_insecure(),
        console_acl(Some(("Bool", cond.clone()))),
        console_write(),
    ])
    .to_string();
    let (mut r, after) = merged_policy(
        w,
        "an extra condition on trailhub's own statement (Bool aws:SecureTransport)",
        &text,
    );
    let acl = support::trailhub::statement(&after, ACL_SID);
    assert_eq!(acl["Condition"]["Bool"], cond, "kept: {acl:#}");
    let arns = support::trailhub::source_arns(acl);
    assert!(arns.contains(&OLD_TRAIL.to_owned()), "{arns:?}");
    for (id, name) in managed_trails(&TWO) {
        assert!(arns.contains(&trail_arn(&id, &name)), "{arns:?}");
    }
    r.outcome = "safe merge: the condition kept (ANDed), the old trail kept, the new ones added";
    r
}

/// A condition operator neither the merge nor the evaluator knows: kept (never dropped: it may be someone's
/// narrowing). The evaluator cannot tell whether CloudTrail satisfies it, so it calls every trail blocked:
/// the policy is written (the old trail's entries stay), no trail is created, every account FAILED, exit 1.
fn policy_extra_condition_unknown(w: &World) -> Row {
    let cond = json!({"aws:CurrentTime": "2020-01-01T00:00:00Z"});
    let text = policy_of(vec![
        deny_insecure(),
        console_acl(Some(("DateGreaterThan", cond.clone()))),
        console_write(),
    ])
    .to_string();
    w.write_config(&static_config(&TWO));
    seed(w, &text);
    let out = w.apply();
    assert_eq!(out.code, 1, "{out}");
    for (id, name) in managed_trails(&TWO) {
        let line = support::row(&out.stdout, &id).unwrap_or_else(|| panic!("{out}"));
        assert!(
            line.contains("FAILED: PolicyCheck PolicyDenies")
                && line.contains("s3:GetBucketAcl")
                && line.contains(
                    "condition operator DateGreaterThan, which trailhub does not evaluate"
                )
                && line.contains("runbooks/troubleshooting.md#policy-denies"),
            "{line}"
        );
        assert_eq!(w.trail(&id, &name), None, "no trail in {id}");
    }
    let before: Value = serde_json::from_str(&text).unwrap();
    let after = w.policy();
    assert_foreign_intact(&before, &after);
    let acl = support::trailhub::statement(&after, ACL_SID);
    assert_eq!(acl["Condition"]["DateGreaterThan"], cond, "kept: {acl:#}");
    assert_eq!(w.proxy.count("CreateTrail"), 0);
    let writes = writes_but_bucket_guards(w);
    assert_eq!(writes, ["PutBucketPolicy"]);
    let mut r = row(
        w,
        Area::LivePolicy,
        "an unknown condition operator on trailhub's own statement (DateGreaterThan)",
        text,
        &["apply", "--yes"],
        &out,
        failed_lines(&out),
        "1 (PutBucketPolicy: the merge, condition kept); no trail created".into(),
    );
    r.outcome = "condition kept (ANDed); the evaluator cannot prove delivery, so every account is blocked (exit 1)";
    r
}

/// Foreign statements of `size` bytes (minified, as a whole policy) that name other teams' principals.
fn foreign_policy_of_size(size: usize) -> String {
    let mut statements = vec![deny_insecure()];
    let text = |st: &Vec<Value>| policy_of(st.clone()).to_string();
    let mut i = 0;
    loop {
        let mut next = statements.clone();
        next.push(json!({
            "Sid": format!("TeamRead{i:04}"),
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{:012}:role/team-reader", 500000000000u64 + i)},
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{BUCKET}/teams/{i:04}/*")
        }));
        if text(&next).len() > size {
            break;
        }
        statements = next;
        i += 1;
    }
    // pad the last Sid to the exact size
    let missing = size - text(&statements).len();
    let last = statements.last_mut().unwrap();
    let sid = format!("{}{}", last["Sid"].as_str().unwrap(), "X".repeat(missing));
    last["Sid"] = json!(sid);
    let t = text(&statements);
    assert_eq!(t.len(), size);
    t
}

fn policy_too_large(w: &World) -> Row {
    // 19.9 KB of other teams' statements: no room left for trailhub's two in any form
    let text = foreign_policy_of_size(20_377);
    let mut r = refused_policy(
        w,
        "19.9 KB of foreign statements: no room for trailhub's two",
        &text,
        &[
            "the merged bucket policy fits in no allowed form",
            "limit 20480",
            "shared-prefix is",
            "organization cannot be used",
        ],
    );
    r.input = format!(
        "{} bytes: DenyInsecureTransport and {} `TeamReadNNNN` statements (Allow s3:GetObject to another account's role)",
        text.len(),
        serde_json::from_str::<Value>(&text).unwrap()["Statement"]
            .as_array()
            .unwrap()
            .len()
            - 1
    );
    r
}

/// Little room left: the auto form steps down to one that fits, and everything foreign is kept.
fn policy_little_room(w: &World) -> Row {
    let text = foreign_policy_of_size(19_500);
    let (mut r, after) = merged_policy(
        w,
        "19.0 KB of foreign statements: room only for a compact form",
        &text,
    );
    let written = w.policy_text(BUCKET).unwrap();
    assert!(written.len() <= 20 * 1024, "{}", written.len());
    let write = support::trailhub::statement(&after, WRITE_SID);
    // not the exact form: there is no room for every trail ARN twice
    let form = form_of(write);
    assert_ne!(form, "exact", "{write:#}");
    r.input = format!("{} bytes of `TeamReadNNNN` statements", text.len());
    r.outcome = "safe merge in a smaller form";
    r.what = match form {
        "account-arns" => {
            "19.0 KB of foreign statements: room only for a compact form (account-arns chosen)"
        }
        "source-account" => {
            "19.0 KB of foreign statements: room only for a compact form (source-account chosen)"
        }
        "shared-prefix" => {
            "19.0 KB of foreign statements: room only for a compact form (shared-prefix chosen)"
        }
        other => panic!("form {other}: {write:#}"),
    };
    r.message = format!(
        "{}\n(written: {} bytes, under the limit of 20480)",
        r.message,
        written.len()
    );
    r
}

/// The form trailhub's write statement is in, from its condition and resources.
fn form_of(write: &Value) -> &'static str {
    let cond = write["Condition"].as_object().unwrap();
    let has = |op: &str, key: &str| {
        cond.get(op)
            .and_then(Value::as_object)
            .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(key)))
    };
    let shared = support::trailhub::strings(&write["Resource"])
        .iter()
        .any(|r| r.ends_with("/AWSLogs/*"));
    if has("StringEquals", "aws:SourceOrgID") {
        "organization"
    } else if has("ArnLike", "aws:SourceArn") {
        "account-arns"
    } else if has("StringEquals", "aws:SourceArn") {
        "exact"
    } else if has("StringEquals", "aws:SourceAccount") && shared {
        "shared-prefix"
    } else if has("StringEquals", "aws:SourceAccount") {
        "source-account"
    } else {
        "none"
    }
}

// ---------------------------------------------------------------------------------------------
// AWS answers

fn aws_get_policy_denied(w: &World) -> Row {
    w.write_config(&static_config(&TWO));
    seed(w, &policy_of(vec![deny_insecure()]).to_string());
    w.proxy
        .add_rule(Rule::on("s3", "GetBucketPolicy").always(Fault::AccessDenied));
    let out = w.apply();
    assert_error(
        &out,
        &[
            "cannot read the policy of bucket sec-cloudtrail-log",
            "GetBucketPolicy",
            "AccessDenied",
        ],
    );
    let writes = assert_no_writes(w);
    row(
        w,
        Area::AwsAnswer,
        "AccessDenied on GetBucketPolicy",
        "proxy: s3 GetBucketPolicy -> 403 AccessDenied",
        &["apply", "--yes"],
        &out,
        error_text(&out),
        writes,
    )
}

fn aws_put_policy_denied(w: &World) -> Row {
    w.write_config(&static_config(&TWO));
    let text = policy_of(vec![deny_insecure()]).to_string();
    seed(w, &text);
    w.proxy
        .add_rule(Rule::on("s3", "PutBucketPolicy").always(Fault::AccessDenied));
    let out = w.apply();
    assert_error(&out, &["PutBucketPolicy", "AccessDenied"]);
    let writes = writes_but_bucket_guards(w);
    assert_eq!(
        writes,
        ["PutBucketPolicy"],
        "the policy comes before any trail"
    );
    for (id, name) in managed_trails(&TWO) {
        assert_eq!(w.trail(&id, &name), None, "no trail in {id}");
    }
    assert_eq!(w.policy_text(BUCKET).as_deref(), Some(text.as_str()));
    row(
        w,
        Area::AwsAnswer,
        "AccessDenied on PutBucketPolicy",
        "proxy: s3 PutBucketPolicy -> 403 AccessDenied",
        &["apply", "--yes"],
        &out,
        error_text(&out),
        "1 (the refused PutBucketPolicy); no trail created or changed".into(),
    )
}

fn aws_head_bucket_forbidden(w: &World) -> Row {
    w.write_config(&static_config(&TWO));
    w.proxy
        .add_rule(Rule::on("s3", "HeadBucket").always(Fault::Http(403)));
    let out = w.apply();
    assert_error(
        &out,
        &[
            "cannot read bucket sec-cloudtrail-log",
            "HeadBucket",
            "Forbidden",
            "belongs to another account",
        ],
    );
    let writes = assert_no_writes(w);
    assert!(w.buckets().is_empty(), "no bucket created");
    row(
        w,
        Area::AwsAnswer,
        "HeadBucket answers 403 (the name is another account's, or no s3:ListBucket)",
        "proxy: s3 HeadBucket -> 403, empty body",
        &["apply", "--yes"],
        &out,
        error_text(&out),
        writes,
    )
}

fn aws_caller_denied(w: &World) -> Row {
    w.write_config(&static_config(&TWO));
    w.proxy
        .add_rule(Rule::on("sts", "GetCallerIdentity").always(Fault::custom(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )));
    let out = w.apply();
    assert_error(
        &out,
        &["cannot identify the caller", "InvalidClientTokenId"],
    );
    let writes = assert_no_writes(w);
    row(
        w,
        Area::AwsAnswer,
        "GetCallerIdentity refuses the credentials",
        "proxy: sts GetCallerIdentity -> 403 InvalidClientTokenId",
        &["apply", "--yes"],
        &out,
        error_text(&out),
        writes,
    )
}

fn aws_list_accounts_denied(w: &World) -> Row {
    let config = static_config(&[]).replace("source = \"static\"", "source = \"organizations\"");
    w.write_config(&config);
    w.proxy
        .add_rule(Rule::on("organizations", "ListAccounts").always(Fault::AccessDenied));
    let out = w.apply();
    assert_error(
        &out,
        &[
            "cannot list the organization's accounts",
            "ListAccounts",
            "AccessDeniedException",
        ],
    );
    let writes = assert_no_writes(w);
    row(
        w,
        Area::AwsAnswer,
        "AccessDenied on Organizations ListAccounts (source = \"organizations\")",
        "proxy: organizations ListAccounts -> AccessDeniedException",
        &["apply", "--yes"],
        &out,
        error_text(&out),
        writes,
    )
}

// ---------------------------------------------------------------------------------------------
// The command line

fn cli(w: &World, what: &'static str, args: &[&str], says: &[&str]) -> Row {
    w.write_config(&static_config(&TWO));
    let out = w.trailhub(args);
    assert_error(&out, says);
    let requests = assert_no_requests(w);
    row(
        w,
        Area::Cli,
        what,
        args.join(" "),
        args,
        &out,
        error_text(&out),
        requests,
    )
}

fn cli_unknown_command(w: &World) -> Row {
    cli(
        w,
        "unknown command",
        &["frobnicate"],
        &["unrecognized subcommand 'frobnicate'"],
    )
}

fn cli_unknown_flag(w: &World) -> Row {
    cli(
        w,
        "unknown flag",
        &["apply", "--yes", "--force"],
        &["unexpected argument '--force'"],
    )
}

fn cli_max_attempts_zero(w: &World) -> Row {
    cli(
        w,
        "--max-attempts 0",
        &["--max-attempts", "0", "plan"],
        &["--max-attempts", "0 is not in 1..=20"],
    )
}

fn cli_concurrency_zero(w: &World) -> Row {
    cli(
        w,
        "--concurrency 0",
        &["--concurrency", "0", "apply", "--yes"],
        &["--concurrency", "0 is not in 1..=256"],
    )
}

fn cli_format_xml(w: &World) -> Row {
    cli(
        w,
        "--format xml",
        &["--format", "xml", "plan"],
        &["invalid value 'xml'", "text", "json", "markdown"],
    )
}

fn cli_bad_max_age(w: &World) -> Row {
    cli(
        w,
        "audit --max-age with no unit",
        &["audit", "--max-age", "soon"],
        &["--max-age"],
    )
}

fn cli_bad_region(w: &World) -> Row {
    cli(
        w,
        "--region that is no region",
        &["--region", "mars", "plan"],
        &["--region: region \"mars\""],
    )
}

fn cli_apply_without_yes(w: &World) -> Row {
    cli(
        w,
        "apply without --yes, stdin not a terminal",
        &["apply"],
        &["refusing to apply without --yes"],
    )
}

// ---------------------------------------------------------------------------------------------
// restore-policy

fn restore(w: &World, what: &'static str, file: &Path, args: &[&str], says: &[&str]) -> Row {
    w.write_config(&static_config(&TWO));
    let text = policy_of(vec![deny_insecure()]).to_string();
    seed(w, &text);
    let backups = w.dir.path().join("restore-backups");
    let mut all = vec!["restore-policy", file.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--backup-dir", backups.to_str().unwrap()]);
    let out = w.trailhub(&all);
    assert_error(&out, says);
    let writes = assert_no_writes(w);
    assert_eq!(w.policy_text(BUCKET).as_deref(), Some(text.as_str()));
    assert!(!backups.exists(), "nothing backed up");
    let input = match std::fs::metadata(file) {
        Ok(m) => format!("{} ({} bytes)", file.display(), m.len()),
        Err(_) => format!("{} (does not exist)", file.display()),
    };
    let command: Vec<&str> = all[..all.len() - 2].to_vec();
    row(
        w,
        Area::Restore,
        what,
        input,
        &command,
        &out,
        error_text(&out),
        writes,
    )
}

fn restore_missing_file(w: &World) -> Row {
    let file = w.dir.path().join("no-such-backup.json");
    restore(
        w,
        "a backup file that does not exist",
        &file,
        &["--yes"],
        &["cannot read", "no-such-backup.json", "No such file"],
    )
}

fn restore_not_json(w: &World) -> Row {
    let file = w.dir.path().join("notes.json");
    std::fs::write(&file, "policy as of Monday: see the wiki\n").unwrap();
    restore(
        w,
        "a backup file that is not JSON",
        &file,
        &["--yes"],
        &["notes.json is not a bucket policy", "not JSON"],
    )
}

fn restore_not_object(w: &World) -> Row {
    let file = w.dir.path().join("list.json");
    std::fs::write(&file, json!([deny_insecure()]).to_string()).unwrap();
    restore(
        w,
        "a backup file that is a JSON list",
        &file,
        &["--yes"],
        &["list.json is not a bucket policy", "not a JSON object"],
    )
}

fn restore_too_large(w: &World) -> Row {
    let file = w.dir.path().join("huge.json");
    std::fs::write(&file, foreign_policy_of_size(20 * 1024 + 1)).unwrap();
    restore(
        w,
        "a backup file over S3's 20 KB limit",
        &file,
        &["--yes"],
        &["huge.json is 20481 bytes, over S3's limit of 20480"],
    )
}

fn restore_without_yes(w: &World) -> Row {
    let file = w.dir.path().join("good.json");
    std::fs::write(&file, policy_of(vec![]).to_string()).unwrap();
    restore(
        w,
        "restore-policy without --yes, stdin not a terminal",
        &file,
        &[],
        &["refusing to restore the bucket policy without --yes"],
    )
}

// ---------------------------------------------------------------------------------------------
// accounts.toml (the kinds of tests/config_errors.rs, plus policy_form)

/// The good file with the one occurrence of `from` replaced.
fn good_with(from: &str, to: &str) -> String {
    let good = static_config(&TWO);
    assert_eq!(good.matches(from).count(), 1, "{from:?}");
    good.replace(from, to)
}

/// The good file with a section added at its end.
fn with_section(section: &str) -> String {
    format!("{}\n{section}", static_config(&TWO))
}

fn config_case(w: &World, what: &'static str, text: String, says: &[&str]) -> Row {
    w.write_config(&text);
    let out = w.trailhub(&["plan"]);
    assert_error(&out, says);
    let path = w.config_path();
    assert!(out.stderr.contains(path.to_str().unwrap()), "{out}");
    let requests = assert_no_requests(w);
    // the lines that differ from the good file
    let good = static_config(&TWO);
    let mut pool: Vec<&str> = good.lines().collect();
    let changed: Vec<&str> = text
        .lines()
        .filter(|l| match pool.iter().position(|g| g == l) {
            Some(i) => {
                pool.remove(i);
                false
            }
            None => !l.is_empty(),
        })
        .collect();
    let input = if changed.is_empty() {
        "(lines removed from the good file)".to_owned()
    } else {
        changed.join("\n")
    };
    row(
        w,
        Area::Config,
        what,
        input,
        &["plan"],
        &out,
        error_text(&out),
        requests,
    )
}

macro_rules! config_cases {
    ($($name:ident: $what:literal, $text:expr, [$($says:literal),*];)*) => {
        $(
            fn $name(w: &World) -> Row {
                config_case(w, $what, $text, &[$($says),*])
            }
        )*
    };
}

config_cases! {
    config_unknown_key: "unknown key",
        good_with("name = \"STG\"", "name = \"STG\"\ncolour = \"blue\""), ["unknown field `colour`"];
    config_wrong_type: "wrong type",
        good_with("trail_name = \"{name}-CLOUDTRAIL\"", "trail_name = \"{name}-CLOUDTRAIL\"\nconcurrency = \"many\""),
        ["invalid type"];
    config_short_account_id: "11-digit account ID",
        good_with("\"333333333333\"", "\"33333333333\""), ["not 12 digits"];
    config_same_account_twice: "the same account twice",
        format!("{}\n[[account]]\nid = \"333333333333\"\nname = \"STG-AGAIN\"\n", static_config(&TWO)),
        ["listed twice"];
    config_name_gives_bad_trail_name: "an account name that gives no valid trail name",
        good_with("name = \"STG\"", "name = \"日本\""), ["\"-CLOUDTRAIL\""];
    config_bad_trail_name: "an account's own trail name invalid",
        good_with("name = \"DEV\"", "name = \"DEV\"\ntrail_name = \"dev trail\""), ["not valid"];
    config_bad_template: "members.trail_name template invalid",
        good_with("\"{name}-CLOUDTRAIL\"", "\"{name}--CLOUDTRAIL\""), ["next to each other"];
    config_bad_bucket: "invalid bucket name",
        good_with("sec-cloudtrail-log", "Sec_CloudTrail_Log"), ["bucket name"];
    config_bad_region: "invalid region",
        good_with("ap-northeast-2", "mars-north-one"), ["region"];
    config_concurrency_zero: "members.concurrency = 0",
        good_with("trail_name = \"{name}-CLOUDTRAIL\"", "trail_name = \"{name}-CLOUDTRAIL\"\nconcurrency = 0"),
        ["concurrency must be 1 to 256"];
    config_org_with_accounts: "source = \"organizations\" with [[account]] entries",
        good_with("source = \"static\"", "source = \"organizations\""),
        ["[[account]] entries are for source = \"static\""];
    config_bad_role_arn: "invalid role_arn",
        good_with("name = \"STG\"", "name = \"STG\"\nrole_arn = \"arn:aws:iam::4444:role/Admin\""), ["role ARN"];
    config_bad_role_name: "empty role_name",
        good_with("role_name = \"OrganizationAccountAccessRole\"", "role_name = \"\""), ["role_name"];
    config_central_as_member: "the central account listed as a member",
        good_with("\"333333333333\"", "\"123456789012\""), ["is the central account"];
    config_bad_exclude: "excluded account ID not 12 digits",
        good_with("[members]\n", "[members]\nexclude = [\"1234\"]\n"), ["not 12 digits"];
    config_bad_external_id: "invalid external_id",
        good_with("[members]\n", "[members]\nexternal_id = \"no spaces please\"\n"), ["external_id"];
    config_prefix_awslogs: "key_prefix naming AWSLogs",
        good_with("[members]\n", "key_prefix = \"org/AWSLogs\"\n\n[members]\n"), ["AWSLogs"];
    config_unknown_source: "unknown members.source",
        good_with("\"static\"", "\"ldap\""), ["unknown variant `ldap`"];
    config_missing_bucket: "a required key missing",
        good_with("bucket = \"sec-cloudtrail-log\"\n", ""), ["missing field `bucket`"];
    config_not_toml: "not TOML (an unterminated string)",
        good_with("name = \"DEV\"", "name = \"DEV"), ["TOML parse error"];
    config_no_accounts: "source = \"static\" with no [[account]]",
        static_config(&[]), ["source = \"static\" needs at least one [[account]] entry"];
    config_bad_retention: "[cloudwatch] retention_days CloudWatch Logs does not accept (366)",
        with_section("[cloudwatch]\nretention_days = 366\n"), ["retention_days 366 is not one CloudWatch Logs accepts"];
    config_bad_log_group: "[cloudwatch] log_group outside CloudWatch Logs' rules",
        with_section("[cloudwatch]\nlog_group = \"/trailhub/cloud trail\"\n"), ["log group name", "not allowed"];
    config_bad_logs_role_name: "[cloudwatch] role_name IAM does not accept",
        with_section("[cloudwatch]\nrole_name = \"Trailhub/ToLogs\"\n"), ["not a valid IAM role name"];
    config_bad_traffic_type: "[flow_logs] unknown traffic_type",
        with_section("[flow_logs]\ntraffic_type = \"DENIED\"\n"), ["unknown variant `DENIED`"];
    config_bad_interval: "[flow_logs] max_aggregation_interval neither 60 nor 600",
        with_section("[flow_logs]\nmax_aggregation_interval = 300\n"), ["must be 60 or 600"];
    config_bad_log_format: "[flow_logs] an unknown field in a custom log_format",
        with_section("[flow_logs]\nlog_format = \"${srcaddr} ${colour}\"\n"), ["unknown field \"colour\""];
    config_bad_flow_destination: "[flow_logs] an unknown destination",
        with_section("[flow_logs]\ndestinations = [\"s3\", \"kinesis\"]\n"), ["unknown variant `kinesis`"];
    config_bad_flow_logs_key: "[flow_logs] an unknown key",
        with_section("[flow_logs]\ntrafic_type = \"ALL\"\n"), ["unknown field `trafic_type`"];
    config_kms_other_account: "kms_key of another account than the central one",
        good_with("[members]\n", "kms_key = \"arn:aws:kms:ap-northeast-2:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n\n[members]\n"),
        ["belongs to account 999999999999, not the central account"];
    config_kms_other_region: "kms_key in another region than the bucket",
        good_with("[members]\n", "kms_key = \"arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n\n[members]\n"),
        ["CloudTrail needs the key in the bucket's region"];
    config_kms_malformed: "kms_key not a KMS ARN",
        good_with("[members]\n", "kms_key = \"arn:aws:kms:ap-northeast-2:123456789012:key/abc\"\n\n[members]\n"),
        ["the resource must be key/ID"];
    config_retention_out_of_range: "retention_days out of range (0)",
        good_with("[members]\n", "retention_days = 0\n\n[members]\n"), ["retention_days must be 1 to 36500"];
    config_access_log_same_bucket: "access_log_bucket is the central bucket",
        good_with("[members]\n", "access_log_bucket = \"sec-cloudtrail-log\"\n\n[members]\n"),
        ["is the central bucket itself"];
    config_ous_with_static: "organizational_units with source = \"static\"",
        good_with("[members]\n", "[members]\norganizational_units = [\"ou-ab12-cdef3456\"]\n"),
        ["need source = \"organizations\""];
    config_bad_ou_shape: "an OU ID of the wrong shape",
        static_config(&[]).replace("source = \"static\"", "source = \"organizations\"\norganizational_units = [\"ou-AB12\"]"),
        ["ou-AB12"];
    config_unknown_policy_form: "unknown policy_form",
        good_with("trail_name = \"SEC-CLOUDTRAIL\"\n", "trail_name = \"SEC-CLOUDTRAIL\"\npolicy_form = \"wide\"\n"),
        ["unknown variant `wide`"];
}

// ---------------------------------------------------------------------------------------------
// offboard, and the organization's OUs

/// Creates moto's organization (the caller's account is its management account).
fn organization(w: &World) {
    let orgs = aws_sdk_organizations::Client::new(&w.sdk);
    w.rt.block_on(async {
        orgs.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
    });
}

fn org_config() -> String {
    static_config(&[]).replace("source = \"static\"", "source = \"organizations\"")
}

/// `args` refused with exit 2 saying each of `says`, nothing written (`no_aws`: not one request).
fn refused(
    w: &World,
    area: Area,
    what: &'static str,
    args: &[&str],
    says: &[&str],
    no_aws: bool,
) -> Row {
    let out = w.trailhub(args);
    assert_error(&out, says);
    let writes = if no_aws {
        assert_no_requests(w)
    } else {
        assert_no_writes(w)
    };
    row(
        w,
        area,
        what,
        args.join(" "),
        args,
        &out,
        error_text(&out),
        writes,
    )
}

fn aws_unknown_ou(w: &World) -> Row {
    organization(w);
    let config = org_config().replace(
        "source = \"organizations\"",
        "source = \"organizations\"\norganizational_units = [\"ou-zzzz-zzzzzzzz\"]",
    );
    w.write_config(&config);
    let what = "an OU of the right shape that the organization does not have";
    refused(
        w,
        Area::AwsAnswer,
        what,
        &["plan"],
        &["ou-zzzz-zzzzzzzz", "is not a root or OU"],
        false,
    )
}

fn offboard_bad_id(w: &World) -> Row {
    w.write_config(&static_config(&TWO));
    let args = ["offboard", "33333333333", "--yes"];
    refused(
        w,
        Area::Offboard,
        "an account ID of 11 digits",
        &args,
        &["not 12 digits"],
        true,
    )
}

fn offboard_without_yes(w: &World) -> Row {
    w.write_config(&static_config(&TWO));
    let args = ["offboard", "333333333333"];
    // issue 23, point 6: the account's own refusal first, not "without --yes"
    let says = ["still in scope"];
    refused(
        w,
        Area::Offboard,
        "offboard without --yes, stdin not a terminal, of an account in scope",
        &args,
        &says,
        false,
    )
}

fn offboard_central(w: &World) -> Row {
    w.write_config(&static_config(&TWO));
    let args = ["offboard", TEST_ACCOUNT_ID, "--yes"];
    refused(
        w,
        Area::Offboard,
        "the central account",
        &args,
        &["is the central account"],
        false,
    )
}

fn offboard_in_scope(w: &World) -> Row {
    w.write_config(&static_config(&TWO));
    let args = ["offboard", "333333333333", "--yes"];
    refused(
        w,
        Area::Offboard,
        "an account still in scope",
        &args,
        &["still in scope"],
        false,
    )
}

fn offboard_nothing_of_trailhubs(w: &World) -> Row {
    w.write_config(&good_with(
        "[members]\n",
        "[members]\nexclude = [\"333333333333\"]\n",
    ));
    let args = ["offboard", "333333333333", "--yes"];
    let what = "an account out of scope with nothing of trailhub's";
    refused(
        w,
        Area::Offboard,
        what,
        &args,
        &["nothing of trailhub's", "STG-CLOUDTRAIL"],
        false,
    )
}

fn offboard_not_in_organization(w: &World) -> Row {
    organization(w);
    w.write_config(&org_config());
    let args = ["offboard", "999999999999", "--yes"];
    let what = "an account not in the organization (source = \"organizations\")";
    refused(
        w,
        Area::Offboard,
        what,
        &args,
        &["not in the organization", "apply --prune"],
        false,
    )
}

fn config_missing_file(w: &World) -> Row {
    let out = w.trailhub(&["plan"]);
    assert_error(&out, &["cannot read", "accounts.toml", "No such file"]);
    let requests = assert_no_requests(w);
    row(
        w,
        Area::Config,
        "the accounts file does not exist",
        "$DIR/accounts.toml (missing)",
        &["plan"],
        &out,
        error_text(&out),
        requests,
    )
}

/// `policy_form = "organization"` needs the organization's ID: with a static list it cannot be used. A
/// config error, with the place, before any AWS call.
fn config_organization_form_with_static(w: &World) -> Row {
    let text = good_with(
        "trail_name = \"SEC-CLOUDTRAIL\"\n",
        "trail_name = \"SEC-CLOUDTRAIL\"\npolicy_form = \"organization\"\n",
    );
    w.write_config(&text);
    let out = w.apply();
    assert_error(
        &out,
        &[
            "policy_form = \"organization\" needs source = \"organizations\"",
            "accounts.toml:",
        ],
    );
    let writes = assert_no_writes(w);
    assert!(w.buckets().is_empty());
    row(
        w,
        Area::Config,
        "policy_form = \"organization\" with source = \"static\"",
        "policy_form = \"organization\"",
        &["apply", "--yes"],
        &out,
        error_text(&out),
        writes,
    )
}

/// A pinned form that cannot hold the accounts: the error says how many fit.
fn config_pinned_form_too_small(w: &World) -> Row {
    let members: Vec<(String, String)> = (0..150)
        .map(|i| {
            (
                format!("{:012}", 600000000000u64 + i),
                format!("ACCOUNT{i:03}"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = members
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let text = static_config(&refs).replace(
        "trail_name = \"SEC-CLOUDTRAIL\"\n",
        "trail_name = \"SEC-CLOUDTRAIL\"\npolicy_form = \"exact\"\n",
    );
    w.write_config(&text);
    let out = w.trailhub(&["policy"]);
    assert_error(&out, &["fits in no allowed form", "exact is"]);
    let writes = assert_no_writes(w);
    row(
        w,
        Area::Config,
        "policy_form = \"exact\" with more accounts than fit (151)",
        "policy_form = \"exact\" and 150 [[account]] entries",
        &["policy"],
        &out,
        error_text(&out),
        writes,
    )
}

// ---------------------------------------------------------------------------------------------
// The cases, one test each, and the catalogue

const CASES: &[(&str, CaseFn)] = &[
    ("config_unknown_key", config_unknown_key),
    ("config_wrong_type", config_wrong_type),
    ("config_short_account_id", config_short_account_id),
    ("config_same_account_twice", config_same_account_twice),
    (
        "config_name_gives_bad_trail_name",
        config_name_gives_bad_trail_name,
    ),
    ("config_bad_trail_name", config_bad_trail_name),
    ("config_bad_template", config_bad_template),
    ("config_bad_bucket", config_bad_bucket),
    ("config_bad_region", config_bad_region),
    ("config_concurrency_zero", config_concurrency_zero),
    ("config_org_with_accounts", config_org_with_accounts),
    ("config_bad_role_arn", config_bad_role_arn),
    ("config_bad_role_name", config_bad_role_name),
    ("config_central_as_member", config_central_as_member),
    ("config_bad_exclude", config_bad_exclude),
    ("config_bad_external_id", config_bad_external_id),
    ("config_prefix_awslogs", config_prefix_awslogs),
    ("config_unknown_source", config_unknown_source),
    ("config_missing_bucket", config_missing_bucket),
    ("config_not_toml", config_not_toml),
    ("config_no_accounts", config_no_accounts),
    ("config_unknown_policy_form", config_unknown_policy_form),
    ("config_ous_with_static", config_ous_with_static),
    ("config_bad_ou_shape", config_bad_ou_shape),
    ("config_kms_other_account", config_kms_other_account),
    ("config_kms_other_region", config_kms_other_region),
    ("config_kms_malformed", config_kms_malformed),
    (
        "config_retention_out_of_range",
        config_retention_out_of_range,
    ),
    (
        "config_access_log_same_bucket",
        config_access_log_same_bucket,
    ),
    ("config_bad_retention", config_bad_retention),
    ("config_bad_log_group", config_bad_log_group),
    ("config_bad_logs_role_name", config_bad_logs_role_name),
    ("config_bad_traffic_type", config_bad_traffic_type),
    ("config_bad_interval", config_bad_interval),
    ("config_bad_log_format", config_bad_log_format),
    ("config_bad_flow_destination", config_bad_flow_destination),
    ("config_bad_flow_logs_key", config_bad_flow_logs_key),
    ("config_missing_file", config_missing_file),
    (
        "config_organization_form_with_static",
        config_organization_form_with_static,
    ),
    ("config_pinned_form_too_small", config_pinned_form_too_small),
    ("cli_unknown_command", cli_unknown_command),
    ("cli_unknown_flag", cli_unknown_flag),
    ("cli_max_attempts_zero", cli_max_attempts_zero),
    ("cli_concurrency_zero", cli_concurrency_zero),
    ("cli_format_xml", cli_format_xml),
    ("cli_bad_max_age", cli_bad_max_age),
    ("cli_bad_region", cli_bad_region),
    ("cli_apply_without_yes", cli_apply_without_yes),
    ("policy_not_json", policy_not_json),
    ("policy_json_array", policy_json_array),
    ("policy_json_null", policy_json_null),
    (
        "policy_statement_single_object",
        policy_statement_single_object,
    ),
    ("policy_statement_string", policy_statement_string),
    ("policy_statement_number", policy_statement_number),
    ("policy_not_elements", policy_not_elements),
    ("policy_sid_on_deny", policy_sid_on_deny),
    (
        "policy_sid_without_source_condition",
        policy_sid_without_source_condition,
    ),
    (
        "policy_sid_with_not_principal",
        policy_sid_with_not_principal,
    ),
    (
        "policy_two_statements_with_the_sid",
        policy_two_statements_with_the_sid,
    ),
    ("policy_star_pattern", policy_star_pattern),
    (
        "policy_extra_condition_understood",
        policy_extra_condition_understood,
    ),
    (
        "policy_extra_condition_unknown",
        policy_extra_condition_unknown,
    ),
    ("policy_too_large", policy_too_large),
    ("policy_little_room", policy_little_room),
    ("aws_get_policy_denied", aws_get_policy_denied),
    ("aws_put_policy_denied", aws_put_policy_denied),
    ("aws_head_bucket_forbidden", aws_head_bucket_forbidden),
    ("aws_caller_denied", aws_caller_denied),
    ("aws_list_accounts_denied", aws_list_accounts_denied),
    ("aws_unknown_ou", aws_unknown_ou),
    ("restore_missing_file", restore_missing_file),
    ("restore_not_json", restore_not_json),
    ("restore_not_object", restore_not_object),
    ("restore_too_large", restore_too_large),
    ("restore_without_yes", restore_without_yes),
    ("offboard_bad_id", offboard_bad_id),
    ("offboard_without_yes", offboard_without_yes),
    ("offboard_central", offboard_central),
    ("offboard_in_scope", offboard_in_scope),
    (
        "offboard_nothing_of_trailhubs",
        offboard_nothing_of_trailhubs,
    ),
    ("offboard_not_in_organization", offboard_not_in_organization),
];

fn run_case(name: &str) -> Row {
    let (_, f) = CASES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    let w = World::start();
    f(&w)
}

macro_rules! tests {
    ($($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                run_case(stringify!($name));
            }
        )*
        /// Every case in CASES has its test.
        #[test]
        fn every_case_has_a_test() {
            let tested = [$(stringify!($name)),*];
            for (name, _) in CASES {
                assert!(tested.contains(name), "{name} has no #[test]");
            }
            assert_eq!(tested.len(), CASES.len());
        }
    };
}

/// One test per case, named after it.
mod case {
    use super::*;

    tests! {
        config_unknown_key config_wrong_type config_short_account_id config_same_account_twice
        config_name_gives_bad_trail_name config_bad_trail_name config_bad_template config_bad_bucket
        config_bad_region config_concurrency_zero config_org_with_accounts config_bad_role_arn
        config_bad_role_name config_central_as_member config_bad_exclude config_bad_external_id
        config_prefix_awslogs config_unknown_source config_missing_bucket config_not_toml
        config_no_accounts config_unknown_policy_form config_missing_file
        config_bad_retention config_bad_log_group config_bad_logs_role_name config_bad_traffic_type
        config_bad_interval config_bad_log_format config_bad_flow_destination config_bad_flow_logs_key
        config_organization_form_with_static config_pinned_form_too_small
        config_kms_other_account config_kms_other_region config_kms_malformed
        config_retention_out_of_range config_access_log_same_bucket
        cli_unknown_command cli_unknown_flag cli_max_attempts_zero cli_concurrency_zero cli_format_xml
        cli_bad_max_age cli_bad_region cli_apply_without_yes
        policy_not_json policy_json_array policy_json_null policy_statement_single_object
        policy_statement_string policy_statement_number policy_not_elements policy_sid_on_deny
        policy_sid_without_source_condition policy_sid_with_not_principal
        policy_two_statements_with_the_sid policy_star_pattern policy_extra_condition_understood
        policy_extra_condition_unknown policy_too_large policy_little_room
        aws_get_policy_denied aws_put_policy_denied aws_head_bucket_forbidden aws_caller_denied
        aws_list_accounts_denied
        restore_missing_file restore_not_json restore_not_object restore_too_large restore_without_yes
        config_ous_with_static config_bad_ou_shape aws_unknown_ou
        offboard_bad_id offboard_without_yes offboard_central offboard_in_scope
        offboard_nothing_of_trailhubs offboard_not_in_organization
    }
}

/// Runs every case (8 at a time) and writes docs/bad-inputs.md from what trailhub printed. Not a test (the
/// cases are, one by one, above): run it with `cargo bench --bench bad_inputs_catalogue`.
#[allow(dead_code)]
pub fn write_catalogue() {
    let started = Instant::now();
    let mut rows: Vec<(usize, Row)> = Vec::new();
    for chunk in CASES.iter().enumerate().collect::<Vec<_>>().chunks(8) {
        let done: Vec<(usize, Row)> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(i, (name, _))| s.spawn(move || (*i, run_case(name))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        rows.extend(done);
    }
    rows.sort_by_key(|(i, r)| (r.area, *i));
    let doc = render(
        &rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
        started.elapsed(),
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bad-inputs.md");
    std::fs::write(&path, doc).unwrap();
    eprintln!("wrote {} in {:.1?}", path.display(), started.elapsed());
}

fn render(rows: &[Row], took: std::time::Duration) -> String {
    let mut d = String::new();
    let stopped = rows.iter().filter(|r| r.writes.starts_with('0')).count();
    let _ = writeln!(
        d,
        "# Bad inputs: what trailhub says and does\n\n\
         Generated by `cargo bench --bench bad_inputs_catalogue` ({} cases, {:.0} s against\n\
         moto through the recording proxy); do not edit by hand. Each case is also a test in\n\
         [tests/bad_input.rs](../tests/bad_input.rs) that asserts the exit code, the message and the writes.\n\n\
         - **exit**: 2 when the run stops as a whole, 1 when only some accounts failed, 0 when it merged safely.\n\
         - **writes**: the write calls (Create*, Put*, Update*, Start*, ...) that reached AWS. `0` means\n  \
         trailhub stopped before writing anything; {} of the {} cases do.\n\
         - The messages are copied from the run; `$DIR` is the test's temporary directory. `tracing` log\n  \
         lines on stderr are left out. What to do about each is in\n  \
         [runbooks/troubleshooting.md](../runbooks/troubleshooting.md).\n",
        rows.len(),
        took.as_secs_f64(),
        stopped,
        rows.len()
    );
    let _ = writeln!(d, "## Summary\n");
    let _ = writeln!(d, "| # | area | bad input | exit | writes |");
    let _ = writeln!(d, "|---|---|---|---|---|");
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(
            d,
            "| {} | {} | {} | {} | {} |",
            i + 1,
            r.area.title(),
            r.what.replace('|', "\\|"),
            r.code,
            r.writes.replace('|', "\\|")
        );
    }
    let mut area = None;
    for (i, r) in rows.iter().enumerate() {
        if area != Some(r.area) {
            area = Some(r.area);
            let _ = writeln!(d, "\n## {}\n", r.area.title());
        }
        let _ = writeln!(d, "### {}. {}\n", i + 1, r.what);
        let input = if r.input.len() > 600 {
            format!(
                "{}… ({} bytes)",
                &r.input[..r.input.floor_char_boundary_compat(600)],
                r.input.len()
            )
        } else {
            r.input.clone()
        };
        let _ = writeln!(d, "Input:\n\n```text\n{input}\n```\n");
        let _ = writeln!(
            d,
            "`{}` → exit **{}**, writes: **{}**{}\n",
            r.command,
            r.code,
            r.writes,
            if r.outcome.is_empty() {
                String::new()
            } else {
                format!("; {}", r.outcome)
            }
        );
        let _ = writeln!(d, "```text\n{}\n```\n", r.message);
    }
    d
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorCharBoundary for String {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// The catalogue keeps at least 30 cases, across all areas (issue 4's figure).
#[test]
fn the_catalogue_has_at_least_30_cases_in_every_area() {
    assert!(CASES.len() >= 30, "{}", CASES.len());
    for prefix in ["config_", "cli_", "policy_", "aws_", "restore_"] {
        assert!(
            CASES.iter().filter(|(n, _)| n.starts_with(prefix)).count() >= 3,
            "{prefix}"
        );
    }
}

/// A pinned form too small for the accounts: the error must say how many fit, as the runbook promises
/// ("90 of the 150 accounts fit in the exact form", runbooks/troubleshooting.md#policy-too-large) and as
/// `PolicyError::TooLarge { fit, accounts }` already knows, and where to read on.
#[test]
fn pinned_form_too_small_says_how_many_accounts_fit() {
    let w = World::start();
    config_pinned_form_too_small(&w);
    let out = w.trailhub(&["policy"]);
    let text = error_text(&out);
    assert!(text.contains("of the 151 accounts fit"), "{out}");
    assert!(
        text.contains("runbooks/troubleshooting.md#policy-too-large"),
        "{out}"
    );
}

/// The writes the proxy saw, leaving out the bucket's guards: moto makes buckets without Block Public
/// Access or default encryption, and trailhub's first apply turns them on.
fn writes_but_bucket_guards(w: &World) -> Vec<String> {
    w.proxy
        .writes()
        .into_iter()
        .map(|l| l.operation)
        .filter(|op| {
            !matches!(
                op.as_str(),
                "PutPublicAccessBlock" | "PutBucketEncryption" | "PutBucketVersioning"
            )
        })
        .collect()
}
