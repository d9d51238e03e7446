//! `trailhub audit` (issue 3) against moto, through the recording proxy: full coverage after an apply;
//! exactly the right accounts and codes after five kinds of drift, with no write call; full coverage
//! again after another apply. The JSON is checked against the shape documented in
//! runbooks/scheduled-audit.md.

use crate::support;

use std::path::Path;
use std::process::Command;

use aws_credential_types::Credentials;
use serde_json::{Value, json};
use support::{
    Fault, Moto, Proxy, Rule, TEST_ACCOUNT_ID, apply_test_env, put_objects_past_policy, s3_client,
    sdk_config,
};

const BUCKET: &str = "audit-logs";
const REGION: &str = "ap-northeast-2";
const MEMBERS: [(&str, &str); 5] = [
    ("222222222222", "DEV"),
    ("333333333333", "STG"),
    ("444444444444", "PRD"),
    ("555555555555", "QA"),
    ("666666666666", "OPS"),
];
const OUTSIDER: &str = "999999999999";

fn config(dir: &Path, bucket: &str) -> std::path::PathBuf {
    let mut text = format!(
        "[central]\naccount_id = \"{TEST_ACCOUNT_ID}\"\nbucket = \"{bucket}\"\nregion = \"{REGION}\"\n\
         trail_name = \"SEC-CLOUDTRAIL\"\n[members]\ntrail_name = \"{{name}}-CLOUDTRAIL\"\nconcurrency = 4\n"
    );
    for (id, name) in MEMBERS {
        text.push_str(&format!("[[account]]\nid = \"{id}\"\nname = \"{name}\"\n"));
    }
    let path = dir.join("accounts.toml");
    std::fs::write(&path, text).unwrap();
    path
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn trailhub(url: &str, config: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhub"));
    apply_test_env(&mut cmd, url);
    let out = cmd.arg("--config").arg(config).args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn trail_arn(id: &str, name: &str) -> String {
    format!("arn:aws:cloudtrail:{REGION}:{id}:trail/{name}-CLOUDTRAIL")
}

/// A CloudTrail client acting as a member account (AssumeRole, as trailhub does), straight to moto.
async fn member_trail(config: &aws_config::SdkConfig, id: &str) -> aws_sdk_cloudtrail::Client {
    let sts = aws_sdk_sts::Client::new(config);
    let out = sts
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{id}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("test")
        .send()
        .await
        .unwrap();
    let c = out.credentials.unwrap();
    let creds = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "test",
    );
    let config = config.to_builder().credentials_provider(
        aws_credential_types::provider::SharedCredentialsProvider::new(creds),
    );
    aws_sdk_cloudtrail::Client::new(&config.build())
}

/// Puts one log file under `AWSLogs/<id>/CloudTrail/` for every account (moto never delivers any), past
/// trailhub's TLS-only Deny, which moto applies to the test's plain-HTTP PutObject.
async fn put_logs(s3: &aws_sdk_s3::Client) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let keys: Vec<String> = std::iter::once(TEST_ACCOUNT_ID)
        .chain(MEMBERS.iter().map(|(id, _)| *id))
        .map(|id| trailhub::fake::log_file_key(None, None, id, REGION, now))
        .collect();
    put_objects_past_policy(s3, BUCKET, &keys).await;
}

/// Checks the documented shape of the JSON report, and that the runbook documents every field.
fn check_shape(v: &Value) {
    let runbook = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/scheduled-audit.md"),
    )
    .unwrap();
    // the codes of [cloudwatch] and [flow_logs] are documented in the runbooks of those parts (issue 11)
    let sections: String = [
        "scheduled-audit.md",
        "cloudwatch-logs.md",
        "vpc-flow-logs.md",
    ]
    .iter()
    .map(|f| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("runbooks")
                .join(f),
        )
        .unwrap()
    })
    .collect();
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let documented = |keys: &[String]| {
        for k in keys {
            assert!(
                runbook.contains(&format!("`{k}`")),
                "field {k} is not documented in the runbook"
            );
        }
    };
    let top = keys(v);
    assert_eq!(
        top,
        [
            "accounts",
            "bucket",
            "generated_at",
            "key_prefix",
            "max_age_seconds",
            "stale_policy_entries",
            "summary"
        ]
    );
    documented(&top);
    assert!(v["bucket"].is_string());
    assert!(v["key_prefix"].is_null() || v["key_prefix"].is_string());
    let at = v["generated_at"].as_str().unwrap();
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("generated_at {at:?} is not RFC 3339: {e}"));
    assert!(v["max_age_seconds"].is_u64());
    let summary = keys(&v["summary"]);
    assert_eq!(summary, ["accounts", "covered", "stale"]);
    documented(&summary);
    for k in &summary {
        assert!(v["summary"][k].is_u64(), "{k}");
    }
    for a in v["accounts"].as_array().unwrap() {
        let k = keys(a);
        assert_eq!(
            k,
            ["covered", "id", "name", "problems", "scope", "trail_arn"],
            "{a}"
        );
        documented(&k);
        assert!(a["id"].as_str().unwrap().len() == 12);
        assert!(a["name"].is_string() && a["covered"].is_boolean());
        assert!(a["trail_arn"].is_null() || a["trail_arn"].is_string());
        assert!(["central", "member", "stale"].contains(&a["scope"].as_str().unwrap()));
        for p in a["problems"].as_array().unwrap() {
            let k = keys(p);
            assert_eq!(k, ["code", "message", "severity"], "{p}");
            documented(&k);
            let code = p["code"].as_str().unwrap();
            assert!(
                sections.contains(&format!("### `{code}`")),
                "code {code} has no runbook section"
            );
            assert!(["gap", "warning"].contains(&p["severity"].as_str().unwrap()));
            assert!(!p["message"].as_str().unwrap().is_empty());
        }
    }
    for e in v["stale_policy_entries"].as_array().unwrap() {
        let k = keys(e);
        assert_eq!(k, ["account", "field", "statement", "value"], "{e}");
        documented(&k);
    }
}

/// `{id: [codes]}` for every account in the report.
fn codes(v: &Value) -> Vec<(String, Vec<String>)> {
    v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let codes = a["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["code"].as_str().unwrap().to_owned())
                .collect();
            (a["id"].as_str().unwrap().to_owned(), codes)
        })
        .collect()
}

fn expect(rows: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    rows.iter()
        .map(|(id, c)| (id.to_string(), c.iter().map(|s| s.to_string()).collect()))
        .collect()
}

fn audit_json(proxy: &Proxy, config: &Path) -> (i32, Value) {
    proxy.clear_log();
    let run = trailhub(&proxy.url(), config, &["--format", "json", "audit"]);
    let writes = proxy.writes();
    assert!(writes.is_empty(), "the audit wrote: {writes:#?}");
    assert!(!proxy.log().is_empty());
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", run.stdout, run.stderr));
    check_shape(&v);
    (run.code, v)
}

#[test]
fn audit_finds_exactly_the_drift_and_apply_repairs_it() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), BUCKET);
    let backups = dir.path().join("backups");
    let apply = || {
        let run = trailhub(
            &proxy.url(),
            &cfg,
            &["apply", "--yes", "--backup-dir", backups.to_str().unwrap()],
        );
        assert_eq!(run.code, 0, "apply: {}\n{}", run.stdout, run.stderr);
    };
    apply();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Seeding and drift go straight to moto, so the proxy sees only trailhub's calls.
    let sdk = rt.block_on(sdk_config(&moto.url()));
    let s3 = s3_client(&sdk);
    rt.block_on(put_logs(&s3));

    let all: Vec<(&str, &[&str])> = std::iter::once((TEST_ACCOUNT_ID, &[][..]))
        .chain(MEMBERS.iter().map(|(id, _)| (*id, &[][..])))
        .collect();
    let (code, v) = audit_json(&proxy, &cfg);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(codes(&v), expect(&all));
    assert_eq!(
        v["summary"],
        json!({"accounts": 6, "covered": 6, "stale": 0})
    );
    assert_eq!(v["accounts"][0]["scope"], "central");
    assert_eq!(
        v["accounts"][1]["trail_arn"],
        trail_arn("222222222222", "DEV")
    );

    // Drift: stop DEV, delete STG's trail, cut PRD out of the policy, point QA elsewhere, and let an
    // account that is not in scope into the policy.
    rt.block_on(async {
        let dev = member_trail(&sdk, "222222222222").await;
        dev.stop_logging()
            .name("DEV-CLOUDTRAIL")
            .send()
            .await
            .unwrap();
        let stg = member_trail(&sdk, "333333333333").await;
        stg.delete_trail()
            .name("STG-CLOUDTRAIL")
            .send()
            .await
            .unwrap();
        support::create_bucket(&s3, "elsewhere").await.unwrap();
        let qa = member_trail(&sdk, "555555555555").await;
        qa.update_trail()
            .name("QA-CLOUDTRAIL")
            .s3_bucket_name("elsewhere")
            .send()
            .await
            .unwrap();

        let text = s3
            .get_bucket_policy()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap();
        let mut policy: Value = serde_json::from_str(&text).unwrap();
        let prd = trail_arn("444444444444", "PRD");
        let outsider = format!("arn:aws:cloudtrail:{REGION}:{OUTSIDER}:trail/OLD-CLOUDTRAIL");
        for s in policy["Statement"].as_array_mut().unwrap() {
            if s["Effect"] != "Allow" {
                continue; // trailhub's Deny of writes into another account's folder
            }
            let cond = s["Condition"]["StringEquals"].as_object_mut().unwrap();
            let arns = cond
                .get_mut("aws:SourceArn")
                .unwrap()
                .as_array_mut()
                .unwrap();
            arns.retain(|a| a.as_str() != Some(prd.as_str()));
            arns.push(json!(outsider));
            if s["Sid"] == "AWSCloudTrailWrite20150319" {
                s["Resource"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!(format!("arn:aws:s3:::{BUCKET}/AWSLogs/{OUTSIDER}/*")));
            }
        }
        s3.put_bucket_policy()
            .bucket(BUCKET)
            .policy(policy.to_string())
            .send()
            .await
            .unwrap();
    });

    let (code, v) = audit_json(&proxy, &cfg);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        codes(&v),
        expect(&[
            (TEST_ACCOUNT_ID, &[]),
            ("222222222222", &["not-logging"]),
            ("333333333333", &["no-trail"]),
            ("444444444444", &["policy-denies"]),
            ("555555555555", &["no-trail"]),
            ("666666666666", &[]),
            (OUTSIDER, &["stale-policy-entry"]),
        ])
    );
    assert_eq!(
        v["summary"],
        json!({"accounts": 6, "covered": 2, "stale": 1})
    );
    let accounts = v["accounts"].as_array().unwrap();
    let outsider = &accounts[6];
    assert_eq!(
        (outsider["scope"].as_str(), outsider["covered"].as_bool()),
        (Some("stale"), Some(false))
    );
    assert_eq!(outsider["problems"][0]["severity"], "warning");
    let stale: Vec<(&str, &str)> = v["stale_policy_entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["account"].as_str().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stale,
        [
            (OUTSIDER, "aws:SourceArn"),
            (OUTSIDER, "Resource"),
            (OUTSIDER, "aws:SourceArn")
        ]
    );
    assert!(
        accounts[4]["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("QA-CLOUDTRAIL -> s3://elsewhere/")
    );
    assert!(
        accounts[3]["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&trail_arn("444444444444", "PRD"))
    );
    for a in &accounts[1..5] {
        assert_eq!(a["covered"], false);
        assert_eq!(a["problems"][0]["severity"], "gap");
    }

    // The same in text (with --output: in the file, not on stdout) and Markdown.
    let report = dir.path().join("report.txt");
    let text = trailhub(
        &proxy.url(),
        &cfg,
        &["audit", "--output", report.to_str().unwrap()],
    );
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert_eq!(text.stdout, "");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("coverage: 2/6 accounts (33.3%)"), "{text}");
    assert!(
        text.contains("222222222222 not-logging: trail DEV-CLOUDTRAIL exists but is not logging"),
        "{text}"
    );
    let md = trailhub(
        &proxy.url(),
        &cfg,
        &["--format", "markdown", "audit", "--max-age", "2d"],
    );
    assert_eq!(md.code, 1, "{}", md.stderr);
    assert!(
        md.stdout
            .contains("| 333333333333 | STG | **no** | `no-trail`: "),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("**coverage: 2/6 accounts (33.3%)**"),
        "{}",
        md.stdout
    );

    // apply repairs every gap; the stale entry stays (apply never removes one) and is only a warning.
    apply();
    let (code, v) = audit_json(&proxy, &cfg);
    assert_eq!(code, 0, "{v:#}");
    let mut repaired = all.clone();
    repaired.push((OUTSIDER, &["stale-policy-entry"]));
    assert_eq!(codes(&v), expect(&repaired));
    assert_eq!(
        v["summary"],
        json!({"accounts": 6, "covered": 6, "stale": 1})
    );

    // An account whose role cannot be assumed is that account's gap, not a crash.
    proxy.add_rule(
        Rule::on("sts", "AssumeRole")
            .role_contains("666666666666")
            .always(Fault::AccessDenied),
    );
    let (code, v) = audit_json(&proxy, &cfg);
    assert_eq!(code, 1);
    let ops = &v["accounts"][5];
    assert_eq!(ops["problems"][0]["code"], "unreachable");
    assert!(
        ops["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "{ops}"
    );
    assert_eq!(v["summary"]["covered"], 5);
}

#[test]
fn audit_cannot_run_without_the_bucket_or_with_bad_arguments() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "no-such-bucket");
    let run = trailhub(&moto.url(), &cfg, &["audit"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("no-such-bucket does not exist"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());

    let run = trailhub(&moto.url(), &cfg, &["audit", "--max-age", "soon"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a duration like 24h"),
        "{}",
        run.stderr
    );
}
