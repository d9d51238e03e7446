//! `trailhub policy`: the bucket policy `apply` would write, and the form it is written in (pure rendering).

use std::io::{self, Write};

use serde_json::Value;

use super::{Console, Render, print_json};
use crate::plan::policy::{Form, FormSize, Merged, SIZE_LIMIT};

/// The document itself (text), the document with its form and size (JSON), or both for a ticket
/// (Markdown). In text, the form goes to the console so that stdout stays the document alone, ready for a
/// pipe.
impl Render for Merged {
    fn text(&self, out: &mut dyn Write, console: &mut dyn Console) -> io::Result<()> {
        console.note(&format!("policy form: {}", form_line(self)));
        print_json(out, &self.policy)
    }

    fn json(&self) -> serde_json::Result<Value> {
        let mut v = serde_json::to_value(self)?;
        v["policy"] = self.policy.clone();
        Ok(v)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "**policy form:** {}\n", form_line(self))?;
        writeln!(out, "```json")?;
        print_json(out, &self.policy)?;
        writeln!(out, "```")
    }
}

/// "exact, 1289 of 20480 bytes" and, when a more specific form was passed over, why; then the same for the
/// delivery.logs statements, when the policy has them.
pub(super) fn form_line(p: &Merged) -> String {
    let mut line = format!(
        "{}, {} of {SIZE_LIMIT} bytes{}",
        p.form.name(),
        p.size,
        passed_over(&p.form_sizes, p.form)
    );
    if p.evidence.is_global() {
        line += &format!(
            "; note: it rests on aws:SourceOrgID, which AWS documents as a global condition key ({}) but not \
             for the delivery of a member's own trail: what the plan says of the trails rests on that global \
             rule, not proved by a CloudTrail page (docs/aws-rules.md, {})",
            p.evidence.page, p.evidence.rule
        );
    }
    if let Some(d) = &p.log_delivery {
        line += &format!(
            "; delivery.logs statements (flow logs of {} account{}): {}{}",
            d.accounts,
            if d.accounts == 1 { "" } else { "s" },
            d.form.name(),
            passed_over(&d.form_sizes, d.form)
        );
        if d.evidence.is_global() {
            line += &format!(
                "; note: they rest on aws:SourceOrgID, which AWS does not document for delivery.logs, only \
                 as a global condition key ({}): what the plan says of the flow logs rests on that global \
                 rule, not proved by a service page (docs/aws-rules.md, {})",
                d.evidence.page, d.evidence.rule
            );
        }
    }
    line
}

/// " (the most specific form that fits: exact would be 21000 bytes)": the forms tried before `chosen`.
fn passed_over(sizes: &[FormSize], chosen: Form) -> String {
    let passed: Vec<String> = sizes
        .iter()
        .filter(|f| f.form != chosen)
        .map(|f| match (&f.size, &f.unusable) {
            (Some(n), _) => format!("{} would be {n} bytes", f.form.name()),
            (None, Some(why)) => format!("{} cannot be used: {why}", f.form.name()),
            (None, None) => format!("{} not tried", f.form.name()),
        })
        .collect();
    if passed.is_empty() {
        String::new()
    } else {
        format!(" (the most specific form that fits: {})", passed.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PolicyForm;
    use crate::plan::policy::{Org, PolicyInput, merge};

    #[test]
    fn the_organization_form_says_what_it_rests_on() {
        let bucket = "sec-log".parse().unwrap();
        let org = Org {
            id: "o-abc123".into(),
            members: Default::default(),
        };
        let input = |form| PolicyInput {
            bucket: &bucket,
            partition: "aws",
            prefix: None,
            entries: &[],
            form,
            org: Some(&org),
            flow_logs: Default::default(),
        };
        let m = merge(None, &input(PolicyForm::Pinned(Form::Organization))).unwrap();
        assert!(
            form_line(&m).contains("rests on aws:SourceOrgID"),
            "{}",
            form_line(&m)
        );
        let m = merge(None, &input(PolicyForm::Auto)).unwrap();
        assert!(!form_line(&m).contains("SourceOrgID"), "{}", form_line(&m));
    }

    /// Issue 11: the line names the delivery.logs statements' form too, and what the organization form
    /// rests on.
    #[test]
    fn the_delivery_logs_form_is_named() {
        let bucket = "sec-log".parse().unwrap();
        let flow: Vec<crate::model::AccountId> = vec!["222222222222".parse().unwrap()];
        let org = Org {
            id: "o-abc123".into(),
            members: ["222222222222".to_owned()].into(),
        };
        let input = |form| PolicyInput {
            bucket: &bucket,
            partition: "aws",
            prefix: None,
            entries: &[],
            form,
            org: Some(&org),
            flow_logs: crate::plan::policy::FlowLogAccounts {
                accounts: &flow,
                region: "ap-northeast-2",
                hive: false,
            },
        };
        let m = merge(None, &input(PolicyForm::Auto)).unwrap();
        let line = form_line(&m);
        assert!(
            line.contains("delivery.logs statements (flow logs of 1 account): exact"),
            "{line}"
        );
        let m = merge(None, &input(PolicyForm::Pinned(Form::Organization))).unwrap();
        let line = form_line(&m);
        assert!(
            line.contains("they rest on aws:SourceOrgID, which AWS does not document"),
            "{line}"
        );
        // issue 20, point 7: never "proved", and the page of the global rule
        assert!(
            line.contains("rests on that global rule, not proved by a service page"),
            "{line}"
        );
        assert!(line.contains("condition-keys-sourceorgid"), "{line}");
    }
}
