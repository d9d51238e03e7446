//! Security invariants (issue 4): no credential reaches the output or the logs, at any log level; no
//! statement trailhub writes has a `*` principal or lacks its source condition, in every policy form; and
//! credentials of the wrong account, from a profile file, are refused before anything is written.

use crate::support;

use aws_sdk_organizations::types::OrganizationFeatureSet;
use serde_json::Value;
use support::TEST_ACCOUNT_ID;
use support::trailhub::{BUCKET, MEMBERS, Out, REGION, World, managed_trails, run, static_config};

const ACL_SID: &str = "AWSCloudTrailAclCheck20150319";
const WRITE_SID: &str = "AWSCloudTrailWrite20150319";
const TWO: [(&str, &str); 2] = [MEMBERS[0], MEMBERS[1]];
/// The static secret access key the runs are given: it must never be printed.
const SECRET: &str = "verysecret-test-key-123";
/// moto's session tokens all start with this (moto/sts/utils.py, SESSION_TOKEN_PREFIX).
const MOTO_TOKEN_PREFIX: &str = "FQoGZXIvYXdzEBYaD";

/// An unsigned GET to moto, the body of the answer.
fn moto_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

/// Every secret access key and session token moto handed out for AssumeRole (its state dump holds them).
fn assumed_role_secrets(w: &World) -> Vec<String> {
    let data: Value =
        serde_json::from_str(&moto_get(w.moto.port(), "/moto-api/data.json")).unwrap();
    let roles = data["sts"]["AssumedRole"]
        .as_array()
        .unwrap_or_else(|| panic!("no assumed roles in moto's state: {data:#}"));
    roles
        .iter()
        .flat_map(|r| {
            [
                r["secret_access_key"].as_str().unwrap().to_owned(),
                r["session_token"].as_str().unwrap().to_owned(),
            ]
        })
        .collect()
}

/// What the run printed holds none of `secrets`, no moto session token, no signature and no security-token
/// header value.
#[track_caller]
fn assert_nothing_secret(out: &Out, secrets: &[String]) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for s in secrets {
            assert!(
                !text.contains(s.as_str()),
                "a credential ({}…) is in {name}",
                &s[..8]
            );
        }
        assert!(!text.contains(SECRET), "the secret key is in {name}");
        assert!(
            !text.contains(MOTO_TOKEN_PREFIX),
            "a session token is in {name}"
        );
        assert!(!text.contains("Signature="), "a signature is in {name}");
        let lower = text.to_ascii_lowercase();
        for (i, _) in lower.match_indices("x-amz-security-token") {
            let after = &text[i..(i + 120).min(text.len())];
            assert!(
                !after.contains(MOTO_TOKEN_PREFIX)
                    && !after.contains("\": \"")
                    && !after.contains(": \"F"),
                "a security token header value is in {name}: {after}"
            );
        }
        assert!(
            !lower.contains("authorization: aws4") && !lower.contains("\"authorization\": \"aws4"),
            "an Authorization header is in {name}"
        );
    }
}

/// (a) A full apply (central + 2 members) at `RUST_LOG=trace` and `-vv`: the static secret key, the
/// assumed roles' secret keys and session tokens, signatures and token headers appear nowhere.
#[test]
fn trace_logs_print_no_credentials() {
    let w = World::start();
    w.write_config(&static_config(&TWO));
    let config = w.config_path();
    let backups = w.backup_dir();
    let out = run(
        &w.proxy.url(),
        &[
            "--config",
            config.to_str().unwrap(),
            "-vv",
            "apply",
            "--yes",
            "--backup-dir",
            backups.to_str().unwrap(),
        ],
        &[
            ("RUST_LOG", "trace"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            // the SDK's own opt-in switches for logging bodies and signing material
            ("LOG_SENSITIVE_BODIES", "true"),
            ("LOG_SIGNABLE_SERIALIZATION", "true"),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    for (id, name) in managed_trails(&TWO) {
        w.assert_onboarded(&id, &name);
    }
    assert!(
        out.stderr.contains("TRACE") && out.stderr.len() > 20_000,
        "trace logs are on: {} bytes",
        out.stderr.len()
    );
    let secrets = assumed_role_secrets(&w);
    assert!(
        secrets.len() >= 4,
        "both members' roles were assumed: {}",
        secrets.len() / 2
    );
    assert_nothing_secret(&out, &secrets);
}

/// The same at the default verbosity, and the SDK's debug logs stay off unless asked for: a run without
/// `-v` and without RUST_LOG prints no DEBUG/TRACE lines (they name credential providers and access keys).
#[test]
fn default_verbosity_prints_no_sdk_debug_logs() {
    let w = World::start();
    w.write_config(&static_config(&TWO));
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    let noisy: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains(" DEBUG ") || l.contains(" TRACE "))
        .take(3)
        .collect();
    assert!(
        noisy.is_empty(),
        "debug logs without -v:\n{}",
        noisy.join("\n")
    );
    assert_nothing_secret(&out, &assumed_role_secrets(&w));
    // RUST_LOG=off means off
    let config = w.config_path();
    let off = run(
        &w.proxy.url(),
        &["--config", config.to_str().unwrap(), "plan"],
        &[("RUST_LOG", "off")],
    );
    assert_eq!(off.code, 0, "{off}");
    assert_eq!(off.stderr, "", "RUST_LOG=off prints nothing on stderr");
}

// ---------------------------------------------------------------------------------------------
// (b) what trailhub writes

/// Asserts that each of trailhub's two statements has only CloudTrail as principal (no `*` anywhere) and a
/// non-empty source condition; returns the source keys used.
#[track_caller]
fn assert_statements_safe(policy: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    let statements = policy["Statement"].as_array().unwrap();
    for sid in [ACL_SID, WRITE_SID] {
        let s = statements
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid}: {policy:#}"));
        assert_eq!(s["Effect"], "Allow");
        assert!(s.get("NotPrincipal").is_none(), "{s:#}");
        assert_eq!(
            s["Principal"],
            serde_json::json!({"Service": "cloudtrail.amazonaws.com"}),
            "{s:#}"
        );
        assert!(!s["Principal"].to_string().contains('*'), "{s:#}");
        let cond = s["Condition"]
            .as_object()
            .unwrap_or_else(|| panic!("{s:#}"));
        let mut sources = Vec::new();
        for (op, block) in cond {
            for (key, v) in block.as_object().unwrap() {
                let k = key.to_ascii_lowercase();
                if ["aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid"].contains(&k.as_str()) {
                    let values = support::trailhub::strings(v);
                    assert!(!values.is_empty(), "{s:#}");
                    for value in &values {
                        // a pattern names its account; never a bare `*` or an any-account pattern
                        assert_ne!(value, "*", "{s:#}");
                        assert!(
                            !value.contains(":*:trail/") || !value.contains("::*:"),
                            "{s:#}"
                        );
                        if op == "ArnLike" {
                            let account = value.split(':').nth(4).unwrap();
                            assert!(
                                account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
                                "{value} names no account"
                            );
                        }
                    }
                    sources.push(format!("{op} {key}"));
                }
            }
        }
        assert!(!sources.is_empty(), "no source condition: {s:#}");
        keys.extend(sources);
    }
    keys.sort();
    keys.dedup();
    keys
}

fn with_form(form: &str) -> String {
    static_config(&TWO).replace(
        "trail_name = \"SEC-CLOUDTRAIL\"\n",
        &format!("trail_name = \"SEC-CLOUDTRAIL\"\npolicy_form = \"{form}\"\n"),
    )
}

#[test]
fn every_static_form_writes_only_cloudtrail_with_a_source_condition() {
    for (form, key) in [
        ("exact", "StringEquals aws:SourceArn"),
        ("account-arns", "ArnLike aws:SourceArn"),
        ("source-account", "StringEquals aws:SourceAccount"),
        ("shared-prefix", "StringEquals aws:SourceAccount"),
    ] {
        let w = World::start();
        w.write_config(&with_form(form));
        let out = w.apply();
        assert_eq!(out.code, 0, "{form}: {out}");
        let policy = w.policy();
        let keys = assert_statements_safe(&policy);
        assert_eq!(keys, [key], "{form}: {policy:#}");
        for (id, name) in managed_trails(&TWO) {
            w.assert_onboarded(&id, &name);
        }
    }
}

#[test]
fn organization_form_writes_only_cloudtrail_with_the_org_condition() {
    let w = World::start();
    let orgs = aws_sdk_organizations::Client::new(&w.sdk);
    let org_id = w.rt.block_on(async {
        let org = orgs
            .create_organization()
            .feature_set(OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
        for i in 0..2 {
            orgs.create_account()
                .account_name(format!("Team{i}"))
                .email(format!("aws+{i}@example.com"))
                .send()
                .await
                .unwrap();
        }
        org.organization().unwrap().id().unwrap().to_owned()
    });
    w.write_config(&format!(
        r#"[central]
account_id = "{TEST_ACCOUNT_ID}"
bucket = "{BUCKET}"
region = "{REGION}"
trail_name = "SEC-CLOUDTRAIL"
policy_form = "organization"

[members]
source = "organizations"
trail_name = "{{name}}-CLOUDTRAIL"
"#
    ));
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    let policy = w.policy();
    let keys = assert_statements_safe(&policy);
    assert_eq!(keys, ["StringEquals aws:SourceOrgID"], "{policy:#}");
    let acl = support::trailhub::statement(&policy, ACL_SID);
    assert_eq!(
        acl["Condition"]["StringEquals"]["aws:SourceOrgID"],
        org_id.as_str()
    );
    assert!(
        out.stdout.contains("summary: 3 accounts: 3 converged"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// (c) the wrong account, through --profile

/// A profile file whose credentials moto maps to account 123456789012, while accounts.toml says the
/// central account is 111111111111: refused (exit 2) after GetCallerIdentity, before any other call. The
/// same profile with the right account_id works, so it was the profile's credentials that were checked.
#[test]
fn a_profile_of_the_wrong_account_is_refused_before_any_write() {
    let w = World::start();
    let aws_dir = w.dir.path().join("aws");
    std::fs::create_dir_all(&aws_dir).unwrap();
    let config_file = aws_dir.join("config");
    let credentials_file = aws_dir.join("credentials");
    std::fs::write(&config_file, "[profile sec]\nregion = ap-northeast-2\n").unwrap();
    let profile_secret = "profile-secret-never-printed-456";
    std::fs::write(
        &credentials_file,
        format!("[sec]\naws_access_key_id = AKIAPROFILESEC000001\naws_secret_access_key = {profile_secret}\n"),
    )
    .unwrap();
    let env = [
        ("AWS_CONFIG_FILE", config_file.to_str().unwrap()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials_file.to_str().unwrap(),
        ),
    ];
    let wrong = static_config(&TWO).replacen(TEST_ACCOUNT_ID, "111111111111", 1);
    w.write_config(&wrong);
    let config = w.config_path();
    let backups = w.backup_dir();
    let args = |cmd: &[&'static str]| -> Vec<String> {
        let mut a = vec![
            "--config".to_owned(),
            config.to_str().unwrap().to_owned(),
            "--profile".to_owned(),
            "sec".to_owned(),
        ];
        a.extend(cmd.iter().map(|s| s.to_string()));
        a.extend([
            "--backup-dir".to_owned(),
            backups.to_str().unwrap().to_owned(),
        ]);
        a
    };
    let a = args(&["apply", "--yes"]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = run(&w.proxy.url(), &refs, &env);
    assert_eq!(out.code, 2, "{out}");
    for part in ["123456789012", "111111111111", "wrong account", "--profile"] {
        assert!(out.stderr.contains(part), "{part:?}: {out}");
    }
    assert!(out.stdout.is_empty(), "{out}");
    let ops: Vec<String> = w.proxy.log().into_iter().map(|l| l.operation).collect();
    assert_eq!(ops, ["GetCallerIdentity"], "only the caller is asked");
    assert!(w.proxy.writes().is_empty());
    assert!(w.buckets().is_empty());
    assert!(!out.stderr.contains(profile_secret) && !out.stdout.contains(profile_secret));

    // the same profile, the right account: it goes through (plan only: read-only)
    w.write_config(&static_config(&TWO));
    let mut a = args(&["plan"]);
    a.truncate(a.len() - 2);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let ok = run(&w.proxy.url(), &refs, &env);
    assert_eq!(ok.code, 0, "{ok}");
    assert!(!ok.stderr.contains(profile_secret) && !ok.stdout.contains(profile_secret));

    // and a profile that is not in the file is not quietly replaced by the environment's credentials
    let mut a = args(&["plan"]);
    a.truncate(a.len() - 2);
    a[3] = "nope".to_owned();
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let missing = run(&w.proxy.url(), &refs, &env);
    assert_eq!(missing.code, 2, "{missing}");
    assert!(missing.stderr.contains("nope"), "{missing}");
    assert!(w.proxy.writes().is_empty());
}
