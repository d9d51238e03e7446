//! What a form's source condition rests on (pure): a condition key the service's own page documents for these
//! requests, or only IAM's global rule for `aws:SourceOrgID` (issue 20, point 7). A result that rests on the
//! global rule is trailhub's reading of that rule, not something a service page proves; the reports say which.

use serde::Serialize;

use crate::config::Form;

/// Where a form's condition key is documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The service's page documents the key for these requests (`aws:SourceArn`, `aws:SourceAccount`).
    Documented,
    /// Only IAM's "AWS global condition context keys" says the key is sent (`aws:SourceOrgID`); no page of the
    /// service does.
    GlobalConditionKey,
}

/// The basis of a form, the page it rests on and the row of docs/aws-rules.md that quotes it. In the JSON
/// reports, flattened: `evidence`, `evidence_page`, `evidence_rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Evidence {
    #[serde(rename = "evidence")]
    pub basis: Basis,
    #[serde(rename = "evidence_page")]
    pub page: &'static str,
    #[serde(rename = "evidence_rule")]
    pub rule: &'static str,
}

/// IAM's "AWS global condition context keys", `aws:SourceOrgID`.
pub const GLOBAL_PAGE: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceorgid";

/// The page and aws-rules row that document a service's source keys, for one family of statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Documented {
    pub page: &'static str,
    pub rule: &'static str,
    /// The row that says `aws:SourceOrgID` is not documented for this service.
    pub org_rule: &'static str,
}

/// CloudTrail's writes to the bucket: "Amazon S3 bucket policy for CloudTrail" (CT-1; `aws:SourceOrgID`: CT-3).
pub const CLOUDTRAIL_BUCKET: Documented = Documented {
    page: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html",
    rule: "CT-1",
    org_rule: "CT-3",
};

/// delivery.logs' writes to the bucket: "Amazon S3 bucket permissions for flow logs" (DL-1; DL-3).
pub const LOG_DELIVERY_BUCKET: Documented = Documented {
    page: "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html",
    rule: "DL-1",
    org_rule: "DL-3",
};

/// CloudTrail's use of the key: "Configure AWS KMS key policies for CloudTrail" (KMS-2).
pub const CLOUDTRAIL_KEY: Documented = Documented {
    page: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html",
    rule: "KMS-2",
    org_rule: "KMS-2",
};

impl Documented {
    /// The evidence of a form that names the organization (`organization`) or not.
    pub fn evidence(self, organization: bool) -> Evidence {
        if organization {
            Evidence {
                basis: Basis::GlobalConditionKey,
                page: GLOBAL_PAGE,
                rule: self.org_rule,
            }
        } else {
            Evidence {
                basis: Basis::Documented,
                page: self.page,
                rule: self.rule,
            }
        }
    }

    /// The evidence of a bucket-policy form.
    pub fn of(self, form: Form) -> Evidence {
        self.evidence(form == Form::Organization)
    }
}

impl Evidence {
    /// Whether the result rests on IAM's global rule only.
    pub fn is_global(&self) -> bool {
        self.basis == Basis::GlobalConditionKey
    }
}
