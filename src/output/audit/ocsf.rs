//! `audit --format ocsf`: the findings as OCSF Detection Finding events (class 2004), schema 1.5.0 as
//! Prowler emits them (PyPI py-ocsf-models 0.10.0), one JSON array; PASS and FAIL both (pure rendering).
//! docs/findings.md shows one; tests/findings.rs validates a whole report against py-ocsf-models.

use serde_json::{Value, json};

use crate::audit::{Finding, controls};

/// The OCSF schema version of py-ocsf-models 0.10.0 (`OCSF_VERSION`).
pub(super) const OCSF_VERSION: &str = "1.5.0";

/// One finding as a Detection Finding: `time` in milliseconds since the epoch (OCSF's `timestamp_t`),
/// `runbooks` the base of the runbook link.
pub(super) fn event(f: &Finding, time_ms: i64, runbooks: &str) -> Value {
    let doc = f.code.doc();
    json!({
        "message": f.detail,
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": time_ms,
        "severity_id": f.severity.ocsf_id(),
        "severity": f.severity.name(),
        "status_id": 1,
        "status": "New",
        "status_code": f.status.as_str(),
        "status_detail": f.detail,
        "finding_info": {
            "uid": f.uid,
            "title": f.controls.title,
            "desc": doc.meaning,
            "types": [super::FINDING_TYPE],
            "created_time": time_ms,
        },
        "resources": [{
            "uid": f.resource.id,
            "name": f.resource.name,
            "type": f.resource.kind,
            "region": f.region,
            "cloud_partition": partition(f),
            "group": { "name": service(f.resource.kind) },
        }],
        "cloud": {
            "provider": "AWS",
            "region": f.region,
            "account": {
                "uid": f.account.id,
                "name": account_name(f),
                "type_id": 10,
                "type": "AWS Account",
            },
        },
        "remediation": {
            "desc": doc.remedy,
            "references": [format!("{runbooks}{}", doc.runbook)],
        },
        "metadata": {
            "version": OCSF_VERSION,
            "event_code": f.code.as_str(),
            "profiles": ["cloud"],
            "product": {
                "uid": "trailhub",
                "name": "trailhub",
                "vendor_name": "trailhub",
                "version": env!("CARGO_PKG_VERSION"),
            },
        },
        "unmapped": { "compliance": compliance(f) },
    })
}

/// The mapping of the code, keyed as Prowler keys its compliance frameworks.
pub(super) fn compliance(f: &Finding) -> Value {
    let m = controls(f.code);
    let mut out = serde_json::Map::new();
    for (key, ids) in [
        ("CIS-3.0", m.cis),
        ("CIS-4.0", m.cis),
        ("CIS-5.0", m.cis),
        ("CIS-6.0", m.cis_v6),
        ("CIS-7.0", m.cis_v6),
        ("AWS-Security-Hub", m.security_hub),
        ("Prowler", m.prowler),
        ("AWS-Config", m.config_rules),
    ] {
        if !ids.is_empty() {
            out.insert(key.to_owned(), json!(ids));
        }
    }
    Value::Object(out)
}

fn partition<'a>(f: &'a Finding) -> &'a str {
    f.resource
        .id
        .split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

fn account_name<'a>(f: &'a Finding) -> &'a str {
    match f.account.name.as_str() {
        "" => f.account.id.as_str(),
        name => name,
    }
}

/// The OCSF resource group: the service the resource belongs to.
fn service(kind: &str) -> &'static str {
    match kind {
        "AwsCloudTrailTrail" => "cloudtrail",
        "AwsS3Bucket" => "s3",
        _ => "account",
    }
}
