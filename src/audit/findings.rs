//! The audit as findings (pure): one per account and check, PASS and FAIL both, so that a dashboard shows
//! coverage and not only gaps. `audit --format ocsf|asff|csv` render them (src/output/audit/); each carries
//! its code's mapping to CIS, Security Hub, Prowler and AWS Config ([`controls`]).

use super::controls::{Controls, Level, controls};
use super::report::{AccountKind, AccountReport, AuditReport, Code, Problem, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    /// A gap: coverage is missing.
    Fail,
    /// Only warnings: coverage holds, but something needs a look (ASFF's WARNING).
    Warning,
}

impl Status {
    /// The `status_code` of OCSF (PASS and FAIL as Prowler writes them) and the CSV's status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warning => "WARNING",
        }
    }
}

/// What a finding is about, as ASFF names resource types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `AwsCloudTrailTrail`, `AwsS3Bucket` or `AwsAccount`.
    pub kind: &'static str,
    /// The trail's or the bucket's ARN, or `AWS::::Account:<id>`.
    pub id: String,
    /// A short name: the trail's or the bucket's name, or the account ID.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding<'a> {
    /// Stable from run to run (`trailhub/<account>/<code>`), so that Security Hub updates a finding.
    pub uid: String,
    pub account: &'a AccountReport,
    pub region: String,
    pub resource: Resource,
    pub code: Code,
    pub controls: Controls,
    pub status: Status,
    pub severity: Level,
    /// The problems' messages; for a pass, what was found true.
    pub detail: String,
}

/// Every finding of the report: per account (central first, then members, then accounts the policy still
/// names), its checks in code order; the bucket's under the central account.
pub fn findings(r: &AuditReport) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for a in &r.accounts {
        let mut codes = a.checked.clone();
        codes.extend(a.problems.iter().map(|p| p.code));
        if a.scope == AccountKind::Central {
            codes.extend(r.central.bucket_checked.iter().copied());
            codes.extend(r.bucket_problems.iter().map(|p| p.code));
        }
        codes.sort();
        codes.dedup();
        for code in codes {
            let problems: Vec<&Problem> = match is_bucket(code) {
                true => r
                    .bucket_problems
                    .iter()
                    .filter(|p| p.code == code)
                    .collect(),
                false => a.problems.iter().filter(|p| p.code == code).collect(),
            };
            out.push(finding(r, a, code, &problems));
        }
    }
    out
}

fn is_bucket(code: Code) -> bool {
    code.as_str().starts_with("bucket-")
}

fn finding<'a>(
    r: &'a AuditReport,
    a: &'a AccountReport,
    code: Code,
    problems: &[&Problem],
) -> Finding<'a> {
    let controls = controls(code);
    let (status, severity, detail) = match problems {
        [] => (
            Status::Pass,
            controls.severity,
            format!("{}.", controls.title),
        ),
        _ => {
            let (status, severity) = match problems.iter().any(|p| p.severity == Severity::Gap) {
                true => (Status::Fail, controls.severity),
                // a warning does not break coverage: at most Low
                false => (Status::Warning, controls.severity.min(Level::Low)),
            };
            let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
            (status, severity, messages.join("; "))
        }
    };
    let (resource, region) = place(r, a, code);
    Finding {
        uid: format!("trailhub/{}/{}", a.id, code.as_str()),
        account: a,
        region,
        resource,
        code,
        controls,
        status,
        severity,
        detail,
    }
}

/// The resource a finding is about, and its Region: the bucket for its own codes, the trail judged where
/// there is one (in its home Region), else the account (in the central Region).
fn place(r: &AuditReport, a: &AccountReport, code: Code) -> (Resource, String) {
    let c = &r.central;
    if is_bucket(code) {
        let name = c.bucket_arn.rsplit(':').next().unwrap_or_default();
        let bucket = Resource {
            kind: "AwsS3Bucket",
            id: c.bucket_arn.clone(),
            name: name.to_owned(),
        };
        return (bucket, c.region.clone());
    }
    let trail = a.trail_arn.as_deref().and_then(|arn| {
        let mut parts = arn.splitn(6, ':');
        let region = parts.nth(3)?;
        let name = parts.nth(1)?.strip_prefix("trail/")?;
        Some((arn, region, name))
    });
    match trail {
        Some((arn, region, name)) if code != Code::Unreachable => (
            Resource {
                kind: "AwsCloudTrailTrail",
                id: arn.to_owned(),
                name: name.to_owned(),
            },
            region.to_owned(),
        ),
        _ => (
            Resource {
                kind: "AwsAccount",
                id: format!("AWS::::Account:{}", a.id),
                name: a.id.clone(),
            },
            c.region.clone(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::CentralPlace;

    fn account(
        id: &str,
        trail: Option<&str>,
        checked: &[Code],
        problems: Vec<Problem>,
    ) -> AccountReport {
        AccountReport {
            id: id.into(),
            name: format!("n{id}"),
            ou: None,
            scope: AccountKind::Member,
            covered: problems.is_empty(),
            trail_arn: trail.map(str::to_owned),
            problems,
            checked: checked.to_vec(),
            controls: vec![],
        }
    }

    fn report(accounts: Vec<AccountReport>, bucket_problems: Vec<Problem>) -> AuditReport {
        AuditReport {
            bucket: "logs".into(),
            key_prefix: None,
            generated_at: "2027-01-15T08:00:00Z".into(),
            max_age_seconds: 3600,
            summary: crate::audit::Summary {
                accounts: accounts.len(),
                covered: 0,
                stale: 0,
                by_ou: vec![],
            },
            accounts,
            stale_policy_entries: vec![],
            bucket_problems,
            central: CentralPlace {
                account: "111111111111".into(),
                region: "eu-west-1".into(),
                partition: "aws".into(),
                bucket_arn: "arn:aws:s3:::logs".into(),
                bucket_checked: vec![Code::BucketAllowsHttp],
            },
        }
    }

    const TRAIL: &str = "arn:aws:cloudtrail:us-east-2:222222222222:trail/org";

    #[test]
    fn one_finding_per_check_pass_and_fail_with_the_trail_as_resource() {
        let stopped = Problem {
            code: Code::NotLogging,
            severity: Severity::Gap,
            message: "trail org is not logging".into(),
        };
        let r = report(
            vec![account(
                "222222222222",
                Some(TRAIL),
                &[Code::NoTrail, Code::NotLogging, Code::NoLogValidation],
                vec![stopped],
            )],
            vec![],
        );
        let f = findings(&r);
        let got: Vec<(Code, Status)> = f.iter().map(|f| (f.code, f.status)).collect();
        assert_eq!(
            got,
            [
                (Code::NoTrail, Status::Pass),
                (Code::NotLogging, Status::Fail),
                (Code::NoLogValidation, Status::Pass),
            ]
        );
        let failed = &f[1];
        assert_eq!(failed.uid, "trailhub/222222222222/not-logging");
        assert_eq!(
            (failed.resource.kind, failed.resource.id.as_str()),
            ("AwsCloudTrailTrail", TRAIL)
        );
        assert_eq!(
            (failed.region.as_str(), failed.resource.name.as_str()),
            ("us-east-2", "org")
        );
        assert_eq!(failed.detail, "trail org is not logging");
        assert_eq!(failed.controls.cis, ["3.1"]);
    }

    #[test]
    fn an_account_without_a_trail_is_the_resource_and_a_warning_is_at_most_low() {
        let warn = Problem {
            code: Code::NoLogValidation,
            severity: Severity::Warning,
            message: "no validation".into(),
        };
        let r = report(vec![account("333333333333", None, &[], vec![warn])], vec![]);
        let f = findings(&r);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].resource.id, "AWS::::Account:333333333333");
        assert_eq!((f[0].status, f[0].severity), (Status::Warning, Level::Low));
        assert_eq!(f[0].region, "eu-west-1");
    }

    #[test]
    fn the_bucket_findings_go_with_the_central_account() {
        let http = Problem {
            code: Code::BucketAllowsHttp,
            severity: Severity::Gap,
            message: "allows http".into(),
        };
        let mut central = account("111111111111", None, &[Code::NoTrail], vec![]);
        central.scope = AccountKind::Central;
        let member = account("222222222222", Some(TRAIL), &[Code::NoTrail], vec![]);
        let r = report(vec![central, member], vec![http]);
        let f = findings(&r);
        let bucket: Vec<_> = f
            .iter()
            .filter(|f| f.resource.kind == "AwsS3Bucket")
            .collect();
        assert_eq!(bucket.len(), 1);
        assert_eq!(
            (bucket[0].account.id.as_str(), bucket[0].status),
            ("111111111111", Status::Fail)
        );
        assert_eq!(bucket[0].resource.name, "logs");
    }
}
