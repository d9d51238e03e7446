//! What can stop the merge of the bucket policy (pure): a live policy trailhub cannot read or will not
//! rewrite, or no allowed form that fits in S3's 20 KB; and the size of the policy in each form tried.

use serde::Serialize;

use crate::config::Form;

/// S3 refuses bucket policies larger than 20 KB.
pub const SIZE_LIMIT: usize = 20 * 1024;

/// The size of the policy in one form, or why that form cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormSize {
    pub form: Form,
    pub size: Option<usize>,
    pub unusable: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error(
        "the live bucket policy is not JSON ({0}); trailhub will not replace a policy it cannot read (runbooks/troubleshooting.md#policy-is-not-json)"
    )]
    NotJson(String),
    #[error(
        "the live bucket policy is not a JSON object (runbooks/troubleshooting.md#policy-is-not-a-json-object)"
    )]
    NotObject,
    #[error(
        "the live bucket policy's \"Statement\" is {0}, not a list of statements (runbooks/troubleshooting.md#statement-is-not-a-list)"
    )]
    BadStatements(&'static str),
    #[error(
        "statement {index} of the live bucket policy is not a JSON object (runbooks/troubleshooting.md#statement-is-not-an-object)"
    )]
    StatementNotObject { index: usize },
    #[error(
        "the live statement {sid:?} has the Sid trailhub manages but another shape ({why}); trailhub will not change it (runbooks/troubleshooting.md#sid-conflict)"
    )]
    SidConflict { sid: String, why: String },
    /// Neither family can be written in any allowed form (the second list: the delivery.logs forms, empty
    /// when there are none).
    #[error(
        "no allowed policy form can be used: {}{}; choose another policy_form (runbooks/troubleshooting.md#policy-too-large)",
        describe_sizes(.0),
        describe_log_sizes(.1)
    )]
    NoUsableForm(Vec<FormSize>, Vec<FormSize>),
    /// Each form with the other family in its smallest usable form: none fits.
    #[error(
        "the merged bucket policy fits in no allowed form: {}{}; {fit} of the {accounts} accounts fit in the {} form (runbooks/troubleshooting.md#policy-too-large)",
        describe_sizes(.sizes),
        describe_log_sizes(.log_sizes),
        .sizes.first().map_or("first", |s| s.form.name())
    )]
    TooLarge {
        sizes: Vec<FormSize>,
        log_sizes: Vec<FormSize>,
        accounts: usize,
        fit: usize,
    },
}

fn describe_sizes(sizes: &[FormSize]) -> String {
    sizes
        .iter()
        .map(|s| match (&s.size, &s.unusable) {
            (Some(n), _) => format!("{} is {n} bytes (limit {SIZE_LIMIT})", s.form.name()),
            (None, Some(why)) => format!("{} cannot be used ({why})", s.form.name()),
            (None, None) => format!("{} not tried", s.form.name()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_log_sizes(sizes: &[FormSize]) -> String {
    if sizes.is_empty() {
        return String::new();
    }
    format!("; the delivery.logs statements: {}", describe_sizes(sizes))
}
