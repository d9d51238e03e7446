//! The key and the bucket's settings, in the plan and in apply's report (pure rendering): one line each,
//! then the trails added to the key policy, and what trailhub leaves alone and why.

use std::io::{self, Write};

use crate::apply::{ApplyRun, KeyOutcome};
use crate::plan::Plan;
use crate::plan::bucket_settings::{BucketChange, BucketNote};
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
            return writeln!(
                out,
                "kms key {}: up to date ({} bytes, {} form)",
                key.arn,
                p.size,
                p.form.name()
            );
        }
        KeyPlan::Blocked { key, reason, .. } => {
            return writeln!(out, "kms key {key}: blocked: {reason}");
        }
    };
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
    let days = |d: u32| match d {
        1 => "1 day".to_owned(),
        d => format!("{d} days"),
    };
    format!(
        "log objects under {} expire {} after delivery (S3 adds a delete marker); the noncurrent copy is removed {} later; the delete marker is then removed: gone for good about {} after delivery",
        r.prefix,
        days(r.days),
        days(r.noncurrent_days),
        days(r.gone_after_days)
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
