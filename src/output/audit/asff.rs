//! `audit --format asff`: the findings in the AWS Security Finding Format, as BatchImportFindings takes
//! them (pure rendering). The central account imports them all under its own default product (AWS: the
//! caller must be the finding's `AwsAccountId` for the default product ARN, docs/aws-rules.md SH-1), so each
//! names the member account it is about as its resource. `Id` is stable from run to run, so that Security
//! Hub updates a finding, and a check that passes again reports `Compliance.Status` PASSED. A check with only warnings is WARNING.

use serde_json::{Value, json};

use crate::audit::{AuditReport, Finding, Status};

/// ASFF's limits: `Title` 256 characters, `Description` 1,024, `Recommendation.Text` 512 (AWS Security
/// Finding Format syntax).
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
const TEXT_MAX: usize = 512;

/// One finding. `at` is the report's time (RFC 3339), `runbooks` the base of the runbook link.
pub(super) fn finding(r: &AuditReport, f: &Finding, at: &str, runbooks: &str) -> Value {
    let c = &r.central;
    let doc = f.code.doc();
    let account_resource = format!("AWS::::Account:{}", f.account.id);
    let mut resources = vec![json!({
        "Type": f.resource.kind,
        "Id": f.resource.id,
        "Partition": c.partition,
        "Region": f.region,
    })];
    if f.resource.id != account_resource {
        resources.push(json!({
            "Type": "AwsAccount",
            "Id": account_resource,
            "Partition": c.partition,
            "Region": f.region,
        }));
    }
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": f.uid,
        "ProductArn": format!(
            "arn:{}:securityhub:{}:{}:product/{}/default",
            c.partition, c.region, c.account, c.account
        ),
        "ProductName": "trailhub",
        "CompanyName": "trailhub",
        "GeneratorId": format!("trailhub-{}", f.code.as_str()),
        "AwsAccountId": c.account,
        "Types": [super::FINDING_TYPE],
        "CreatedAt": at,
        "UpdatedAt": at,
        "Severity": { "Label": f.severity.asff_label() },
        "Title": cut(&format!("{} ({})", f.controls.title, f.account.id), TITLE_MAX),
        "Description": cut(&f.detail, DESCRIPTION_MAX),
        "Resources": resources,
        "Compliance": {
            "Status": match f.status {
                Status::Pass => "PASSED",
                Status::Fail => "FAILED",
                Status::Warning => "WARNING",
            },
            "RelatedRequirements": requirements(f),
        },
        "Remediation": {
            "Recommendation": {
                "Text": cut(doc.remedy, TEXT_MAX),
                "Url": format!("{runbooks}{}", doc.runbook),
            },
        },
        "ProductFields": {
            "trailhub/code": f.code.as_str(),
            "trailhub/account": f.account.id,
        },
        "RecordState": "ACTIVE",
    })
}

/// `Compliance.RelatedRequirements` as Security Hub writes its own (`CIS AWS Foundations Benchmark
/// v3.0.0/3.1`), then the Security Hub control IDs; at most 32 (ASFF's limit).
fn requirements(f: &Finding) -> Vec<String> {
    let m = &f.controls;
    let cis = ["v3.0.0", "v4.0.1", "v5.0.0"].iter().flat_map(|v| {
        m.cis
            .iter()
            .map(move |n| format!("CIS AWS Foundations Benchmark {v}/{n}"))
    });
    let cis_v6 = ["v6.0.0", "v7.0.0"].iter().flat_map(|v| {
        m.cis_v6
            .iter()
            .map(move |n| format!("CIS AWS Foundations Benchmark {v}/{n}"))
    });
    let hub = m
        .security_hub
        .iter()
        .map(|id| format!("AWS Security Hub {id}"));
    cis.chain(cis_v6).chain(hub).take(32).collect()
}

/// At most `max` characters, with "..." at the end when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let kept: String = s.chars().take(max - 3).collect();
            format!("{kept}...")
        }
    }
}
