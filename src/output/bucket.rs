//! The key and the bucket's settings, in the plan and in apply's report (pure rendering): one line each,
//! then the trails added to the key policy, and what trailhub leaves alone and why.

use std::io::{self, Write};

use crate::apply::{ApplyRun, KeyOutcome};
use crate::plan::Plan;
use crate::plan::bucket_settings::{BucketChange, BucketNote};
use crate::plan::key_policy::KeyMerged;
use crate::plan::kms::KeyPlan;
use crate::world::RetentionRule;

/// `kms key ...: create / change its policy / up to date / blocked`, with the trails added and kept.
pub(super) fn write_key_plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let Some(key) = &plan.key else {
        return Ok(());
    };
    let merged = match key {
        KeyPlan::Create {
            alias, policy: p, ..
        } => {
            writeln!(
                out,
                "kms key: create {alias} (symmetric, yearly rotation on; key policy {} bytes, {} form)",
                p.size,
                p.form.name()
            )?;
            p
        }
        KeyPlan::Use { key, policy: p } if p.changed => {
            writeln!(
                out,
                "kms key {}: change its policy ({} statements of others kept; {} bytes, {} form; backed up first)",
                key.arn,
                p.foreign.len(),
                p.size,
                p.form.name()
            )?;
            p
        }
        KeyPlan::Use { key, policy: p } => {
            writeln!(
                out,
                "kms key {}: up to date ({} bytes, {} form)",
                key.arn,
                p.size,
                p.form.name()
            )?;
            return write_key_evidence(out, p);
        }
        KeyPlan::Blocked { key, reason, .. } => {
            return writeln!(out, "kms key {key}: blocked: {reason}");
        }
    };
    write_key_evidence(out, merged)?;
    for sid in &merged.created {
        writeln!(out, "  + statement {sid}")?;
    }
    for t in &merged.added {
        writeln!(out, "  + {t}")?;
    }
    for t in &merged.kept {
        writeln!(out, "  = {t} (kept, not managed here)")?;
    }
    for t in &merged.pruned {
        writeln!(
            out,
            "  - {t} (account no longer in scope: removed, --prune)"
        )?;
    }
    Ok(())
}

/// With the organization form: what it rests on (IAM's global rule, not CloudTrail's key policy page), so that
/// the trails' key checks are not taken as proved by a service page (issue 20, point 7).
fn write_key_evidence(out: &mut dyn Write, p: &KeyMerged) -> io::Result<()> {
    if !p.evidence.is_global() {
        return Ok(());
    }
    writeln!(
        out,
        "  note: the organization form rests on aws:SourceOrgID, which AWS documents only as a global condition key ({}), not for CloudTrail's use of a key: the trails' key checks rest on that global rule, not proved by a CloudTrail page (docs/aws-rules.md, {})",
        p.evidence.page, p.evidence.rule
    )
}

/// The bucket's settings to change (made after the trails), and the notes.
pub(super) fn write_settings_plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    for c in &plan.settings.changes {
        let when = match c {
            BucketChange::Encryption { .. } => " (after the trails, once each took the key)",
            _ => "",
        };
        writeln!(out, "bucket {}: {}{when}", plan.bucket, c.describe())?;
        if let BucketChange::Retention { rule, .. } = c {
            writeln!(out, "  {}", when_data_goes(rule))?;
        }
    }
    write_notes(out, &plan.bucket, &plan.settings.notes)
}

/// When a log object is gone, from the retention's values (S3-12).
pub(super) fn when_data_goes(r: &RetentionRule) -> String {
    let days = match r.gone_after_days {
        1 => "1 day".to_owned(),
        d => format!("{d} days"),
    };
    // the line above names each step (expiry, noncurrent copy, delete marker): this one says what they add up to
    format!(
        "so a log object under {} is gone for good about {days} after delivery",
        r.prefix
    )
}

fn write_notes(out: &mut dyn Write, bucket: &str, notes: &[BucketNote]) -> io::Result<()> {
    for n in notes {
        let kind = if n.blocking { "blocked" } else { "left alone" };
        writeln!(out, "bucket {bucket}: {} {kind}: {}", n.setting, n.message)?;
    }
    Ok(())
}

/// What apply did to the key and the bucket's settings.
pub(super) fn write_key_and_settings(out: &mut dyn Write, r: &ApplyRun) -> io::Result<()> {
    if let Some(k) = &r.key {
        write_key_outcome(out, k)?;
    }
    if let Some(why) = &r.key_blocked {
        writeln!(out, "kms key: blocked: {why}")?;
    }
    for s in &r.settings {
        match (&s.error, &s.skipped) {
            (Some(e), _) => writeln!(out, "bucket {}: failed: {}: {e}", r.bucket, s.done)?,
            (None, Some(why)) => writeln!(out, "bucket {}: not yet: {}: {why}", r.bucket, s.done)?,
            (None, None) => writeln!(out, "bucket {}: {}", r.bucket, s.done)?,
        }
        if let (BucketChange::Retention { rule, .. }, None) = (&s.change, &s.error) {
            writeln!(out, "  {}", when_data_goes(rule))?;
        }
    }
    write_notes(out, &r.bucket, &r.bucket_notes)
}

fn write_key_outcome(out: &mut dyn Write, k: &KeyOutcome) -> io::Result<()> {
    if k.created {
        return writeln!(
            out,
            "kms key: created {} (rotation on, alias {}; key policy {} bytes, {} form)",
            k.arn,
            crate::config::KEY_ALIAS,
            k.size,
            k.form.name()
        );
    }
    if let Some(b) = &k.backup {
        writeln!(out, "kms key policy: backed up to {}", b.display())?;
    }
    if k.written {
        writeln!(
            out,
            "kms key policy: written and read back, {} bytes, {} form{}",
            k.size,
            k.form.name(),
            if k.writes > 1 {
                format!(
                    " ({} writes: another writer changed it in between)",
                    k.writes
                )
            } else {
                String::new()
            }
        )
    } else {
        writeln!(out, "kms key policy: up to date")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, BucketName, TrailArn};
    use crate::plan::key_policy::{KeyInput, merge_key_policy};

    /// Issue 20, point 7: the key's organization form is said to rest on IAM's global rule, never proved; a
    /// documented form says nothing.
    #[test]
    fn the_keys_organization_form_says_what_it_rests_on() {
        let central: AccountId = "111111111111".parse().unwrap();
        let bucket: BucketName = "sec-log".parse().unwrap();
        let trails: Vec<(AccountId, TrailArn)> = (0..3_000u64)
            .map(|i| {
                let a: AccountId = format!("{:012}", 200_000_000_000u64 + i).parse().unwrap();
                let arn =
                    TrailArn::parse(&format!("arn:aws:cloudtrail:eu-west-1:{a}:trail/t")).unwrap();
                (a, arn)
            })
            .collect();
        let note = |n: usize, org: Option<&str>| {
            let input = KeyInput {
                partition: "aws",
                central: &central,
                bucket: &bucket,
                trails: &trails[..n],
                flow_log_accounts: &[],
                org_id: org,
                prune: None,
            };
            let mut out = Vec::new();
            write_key_evidence(&mut out, &merge_key_policy(None, &input).unwrap()).unwrap();
            String::from_utf8(out).unwrap()
        };
        let line = note(3_000, Some("o-abc123def4"));
        assert!(
            line.contains("rest on that global rule, not proved by a CloudTrail page"),
            "{line}"
        );
        assert!(line.contains("KMS-2"), "{line}");
        assert_eq!(note(3, Some("o-abc123def4")), "");
    }
}
