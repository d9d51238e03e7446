//! `audit --format csv`: one row per account and check, PASS and FAIL both, with the columns a spreadsheet
//! user filters on (pure rendering).

use std::io::{self, Write};

use crate::audit::{AuditReport, Finding};
use crate::output::csv::record;

const HEADER: [&str; 17] = [
    "account_id",
    "account_name",
    "ou",
    "region",
    "check",
    "title",
    "status",
    "severity",
    "resource_type",
    "resource",
    "detail",
    "remedy",
    "runbook",
    "cis_v3_v5",
    "cis_v6_v7",
    "security_hub",
    "generated_at",
];

pub(super) fn write(
    out: &mut dyn Write,
    r: &AuditReport,
    findings: &[Finding],
    runbooks: &str,
) -> io::Result<()> {
    record(out, &HEADER)?;
    for f in findings {
        let doc = f.code.doc();
        let row = [
            f.account.id.clone(),
            f.account.name.clone(),
            f.account.ou.clone().unwrap_or_default(),
            f.region.clone(),
            f.code.as_str().to_owned(),
            f.controls.title.to_owned(),
            f.status.as_str().to_owned(),
            f.severity.name().to_owned(),
            f.resource.kind.to_owned(),
            f.resource.id.clone(),
            f.detail.clone(),
            doc.remedy.to_owned(),
            format!("{runbooks}{}", doc.runbook),
            f.controls.cis.join(" "),
            f.controls.cis_v6.join(" "),
            f.controls.security_hub.join(" "),
            r.generated_at.clone(),
        ];
        record(out, &row)?;
    }
    Ok(())
}
