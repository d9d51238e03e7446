//! `audit --format ocsf|asff|csv` (issue 26) against moto: after an apply, two accounts broken (one trail
//! stopped, one with management events off). The OCSF is judged by py-ocsf-models (the models Prowler
//! writes OCSF with) and fails exactly those two accounts, naming the CIS control; the ASFF is valid
//! BatchImportFindings input to botocore's model and moto's Security Hub stores it, FAILED for exactly those
//! two; the CSV has one row per account and check. After another apply every finding passes, with the same
//! IDs (so Security Hub updates, not duplicates, them). The judges run in scripts/lint-iam's venv.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
use serde_json::Value;
use support::trailhub::{BUCKET, MEMBERS, REGION, World, static_config};
use support::{TEST_ACCOUNT_ID, put_objects_past_policy};

/// The python of scripts/lint-iam's venv (made there the first time, a minute or so).
fn judges_python() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{root}/scripts/lint-iam"))
        .arg("--python")
        .output()
        .expect("scripts/lint-iam runs");
    assert!(
        out.status.success(),
        "scripts/lint-iam --python could not make the judges' venv (it needs python3 3.11 and PyPI): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn judge(python: &str, args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check-findings.py");
    let out = Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check-findings.py {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn save(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// (account, code) of every finding with this status.
fn with_status(
    findings: &[Value],
    field: &dyn Fn(&Value) -> (String, String, String),
    status: &str,
) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .map(field)
        .filter(|(_, _, s)| s == status)
        .map(|(a, c, _)| (a, c))
        .collect()
}

fn ocsf_fields(e: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (
        s(&e["cloud"]["account"]["uid"]),
        s(&e["metadata"]["event_code"]),
        s(&e["status_code"]),
    )
}

fn asff_fields(f: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (
        s(&f["ProductFields"]["trailhub/account"]),
        s(&f["ProductFields"]["trailhub/code"]),
        s(&f["Compliance"]["Status"]),
    )
}

/// One log file under `AWSLogs/<id>/CloudTrail/` for every account (moto never delivers any), so that
/// only the two broken accounts fail.
fn put_logs(w: &World) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let keys: Vec<String> = std::iter::once(TEST_ACCOUNT_ID)
        .chain(MEMBERS.iter().map(|(id, _)| *id))
        .map(|id| trailhub::fake::log_file_key(None, None, id, REGION, now))
        .collect();
    w.rt.block_on(put_objects_past_policy(&w.s3(), BUCKET, &keys));
}

fn break_two_accounts(w: &World) {
    let (dev, stg) = (MEMBERS[0], MEMBERS[1]);
    let (dev_ct, stg_ct) = (w.cloudtrail(dev.0), w.cloudtrail(stg.0));
    w.rt.block_on(async {
        let name = format!("{}-CLOUDTRAIL", dev.1);
        dev_ct.stop_logging().name(&name).send().await.unwrap();
        let writes_only = EventSelector::builder()
            .read_write_type(ReadWriteType::All)
            .include_management_events(false)
            .build();
        stg_ct
            .put_event_selectors()
            .trail_name(format!("{}-CLOUDTRAIL", stg.1))
            .event_selectors(writes_only)
            .send()
            .await
            .unwrap();
    });
}

/// `audit --format asff` (expecting exit `code`), saved as `name`, judged by botocore's model and imported
/// into moto's Security Hub.
fn asff_imported(w: &World, python: &str, name: &str, code: i32) -> Vec<Value> {
    let out = w.trailhub(&["audit", "--format", "asff"]);
    assert_eq!(out.code, code, "{out}");
    let path = save(w.dir.path(), name, &out.stdout);
    let endpoint = w.moto.url();
    judge(
        python,
        &["asff", &path, "--endpoint", &endpoint, "--region", REGION],
    );
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn findings_fail_exactly_the_broken_accounts_and_pass_after_a_repair() {
    let python = judges_python();
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    let applied = w.apply();
    assert_eq!(applied.code, 0, "{applied}");
    put_logs(&w);
    break_two_accounts(&w);
    let broken: BTreeSet<(String, String)> = [
        (MEMBERS[0].0.to_owned(), "not-logging".to_owned()),
        (MEMBERS[1].0.to_owned(), "management-events-off".to_owned()),
    ]
    .into();

    let out = w.trailhub(&["audit", "--format", "ocsf"]);
    assert_eq!(out.code, 1, "{out}");
    let ocsf_path = save(w.dir.path(), "findings.ocsf.json", &out.stdout);
    judge(&python, &["ocsf", &ocsf_path]);
    let events: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let failed: Vec<&str> = (events.iter().filter(|e| e["status_code"] == "FAIL"))
        .filter_map(|e| e["status_detail"].as_str())
        .collect();
    assert_eq!(
        with_status(&events, &ocsf_fields, "FAIL"),
        broken,
        "{failed:#?}"
    );
    assert!(
        with_status(&events, &ocsf_fields, "PASS").len() > 20,
        "PASS findings too"
    );
    let stopped = events
        .iter()
        .find(|e| e["metadata"]["event_code"] == "not-logging" && e["status_code"] == "FAIL")
        .unwrap();
    assert_eq!(
        stopped["unmapped"]["compliance"]["CIS-3.0"],
        serde_json::json!(["3.1"])
    );
    assert_eq!(
        stopped["unmapped"]["compliance"]["CIS-6.0"],
        serde_json::json!(["4.1"])
    );
    assert_eq!(stopped["resources"][0]["region"], REGION);

    let first = asff_imported(&w, &python, "findings.asff.json", 1);
    assert_eq!(with_status(&first, &asff_fields, "FAILED"), broken);
    let requirements = first
        .iter()
        .find(|f| {
            f["Compliance"]["Status"] == "FAILED"
                && f["ProductFields"]["trailhub/code"] == "not-logging"
        })
        .map(|f| f["Compliance"]["RelatedRequirements"].clone())
        .unwrap();
    assert!(
        requirements
            .as_array()
            .unwrap()
            .contains(&"CIS AWS Foundations Benchmark v3.0.0/3.1".into()),
        "{requirements}"
    );

    let out = w.trailhub(&["audit", "--format", "csv"]);
    let rows: Vec<&str> = out.stdout.lines().collect();
    assert!(
        rows[0].starts_with("account_id,account_name,ou,region,check,title,status,severity"),
        "{}",
        out.stdout
    );
    assert_eq!(rows.len() - 1, events.len(), "one row per finding");
    assert_eq!(
        rows.iter().filter(|r| r.contains(",FAIL,")).count(),
        2,
        "{}",
        out.stdout
    );

    let repaired = w.apply();
    assert_eq!(repaired.code, 0, "{repaired}");
    put_logs(&w);
    let second = asff_imported(&w, &python, "repaired.asff.json", 0);
    assert!(
        with_status(&second, &asff_fields, "FAILED").is_empty(),
        "{second:#?}"
    );
    let ids = |all: &[Value]| {
        all.iter()
            .map(|f| f["Id"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(ids(&first), ids(&second), "the same findings, updated");
}
