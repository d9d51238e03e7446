//! The write protocol of the one writer of the bucket policy (async, over the `aws` traits): read fresh,
//! merge, back up, write, read back, and merge again on top of another writer's change, a bounded number
//! of times; and, after the bucket owner's own flow logs, put back what AWS's policy replaced.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::backup::backup_policy;
use super::{ApplyError, PolicyOutcome};
use crate::aws::Central;
use crate::config::Config;
use crate::model::AccountId;
use crate::plan::merge_entries;
use crate::plan::policy::{Entry, Org, parse_live, restore_lost};
use crate::plan::prune::Prune;

/// Writes before giving up on a policy that another writer keeps changing.
const MAX_POLICY_WRITES: usize = 5;

/// The one writer of the bucket policy. Reads the live policy fresh, merges (the trails' `entries` and the
/// accounts whose flow logs delivery.logs writes), backs it up, writes, and reads it back; when another writer changed it in between, merges on top of theirs and writes again (bounded).
/// Returns what it did and the policy in force afterwards.
pub(crate) async fn write_policy<C: Central>(
    central: &C,
    cfg: &Config,
    prune: &Prune,
    entries: &[Entry],
    flow_log_accounts: &[AccountId],
    org: Option<&Org>,
    backup_dir: &Path,
) -> Result<(PolicyOutcome, serde_json::Value), ApplyError> {
    let bucket = &cfg.central.bucket;
    let mut outcome = PolicyOutcome::default();
    let mut live = central.get_bucket_policy(bucket).await?;
    for _ in 0..MAX_POLICY_WRITES {
        let merged = merge_entries(cfg, prune, entries, flow_log_accounts, org, live.as_deref())?;
        outcome.size = merged.size;
        if !merged.changed {
            return Ok((outcome, merged.policy));
        }
        if let Some(text) = &live {
            let path = backup_policy(backup_dir, bucket.as_str(), text)?;
            tracing::info!(path = %path.display(), "backed up the bucket policy");
            outcome.backup.get_or_insert(path);
        }
        central.put_bucket_policy(bucket, &merged.text).await?;
        outcome.written = true;
        outcome.writes += 1;
        let back = central.get_bucket_policy(bucket).await?;
        let back_value = back.as_deref().map(parse_live).transpose()?;
        if back_value.as_ref() == Some(&merged.policy) {
            return Ok((outcome, merged.policy));
        }
        tracing::warn!(
            "the bucket policy changed after trailhub wrote it: merging again with the other writer's version"
        );
        live = back;
    }
    Err(ApplyError::PolicyRace {
        attempts: outcome.writes,
    })
}

/// What [`restore_after_owner_flow_logs`] put back, for the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PolicyRestore {
    /// The statements of the policy trailhub had written that were gone (their Sids, or `statement N (no
    /// Sid)`).
    pub lost: Vec<String>,
    /// The statements found in the bucket's policy that trailhub had not written (AWS's own
    /// `AWSLogDeliveryWrite` and `AWSLogDeliveryAclCheck`, say): kept beside trailhub's.
    pub kept: Vec<String>,
    /// Kept statements renamed because trailhub's policy already had their Sid: `[from, to]`.
    pub renamed: Vec<(String, String)>,
    /// Where the policy that was replaced was saved.
    pub backup: Option<PathBuf>,
    /// Writes made: more than one when another writer changed the policy again in between.
    pub writes: usize,
}

/// The bucket owner's trap: when the account that owns the bucket creates a flow log to it, AWS may attach
/// its own policy, which "overwrites any existing policy attached to the bucket" (VPC User Guide, "Amazon
/// S3 bucket permissions for flow logs"; docs/aws-rules.md, DL-2). Call it after the central account's
/// flow logs to S3 are created, with the policy `write_policy` put in force (`wrote`).
///
/// Reads the policy back; when every statement of `wrote` is still there, does nothing (None). Otherwise
/// backs up the policy in force, writes `wrote` again followed by every statement of the policy in force
/// that `wrote` does not have (AWS's own: nothing is lost either way), reads it back, and says what had been
/// lost. Bounded like `write_policy` when another writer keeps changing it.
pub(crate) async fn restore_after_owner_flow_logs<C: Central>(
    central: &C,
    cfg: &Config,
    wrote: &serde_json::Value,
    backup_dir: &Path,
) -> Result<Option<PolicyRestore>, ApplyError> {
    let bucket = &cfg.central.bucket;
    let mut restore: Option<PolicyRestore> = None;
    loop {
        let text = central.get_bucket_policy(bucket).await?;
        let current = text.as_deref().map(parse_live).transpose()?;
        let Some(fix) = restore_lost(wrote, current.as_ref()) else {
            return Ok(restore);
        };
        let r = restore.get_or_insert_with(PolicyRestore::default);
        if r.writes == MAX_POLICY_WRITES {
            return Err(ApplyError::PolicyRace { attempts: r.writes });
        }
        tracing::warn!(
            lost = ?fix.lost,
            "the bucket policy lost statements trailhub wrote (AWS attaches its own policy when the bucket's owner creates a flow log to it): restoring them, and keeping the others"
        );
        for (all, new) in [(&mut r.lost, &fix.lost), (&mut r.kept, &fix.kept)] {
            all.extend(
                new.iter()
                    .filter(|s| !all.contains(s))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        r.renamed.extend(fix.renamed);
        if let Some(text) = &text {
            let path = backup_policy(backup_dir, bucket.as_str(), text)?;
            tracing::info!(path = %path.display(), "backed up the bucket policy");
            r.backup.get_or_insert(path);
        }
        central
            .put_bucket_policy(bucket, &fix.policy.to_string())
            .await?;
        r.writes += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::aws::{Central, DesiredFlowLog, FlowLogDestination, Network};
    use crate::fake::FakeAws;
    use crate::plan::evaluate::check_delivery;
    use crate::plan::{flow_log_accounts, flow_log_delivery, trail_delivery};

    const CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
trail_name = "SEC"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
[flow_logs]
destinations = ["s3"]
"#;

    fn setup() -> (FakeAws, Config, Vec<Entry>, Vec<AccountId>) {
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        aws.world().buckets.insert("sec-log".into(), None);
        let cfg = Config::parse(Path::new("a.toml"), CFG).unwrap();
        let mut targets: Vec<_> = cfg.central_target().into_iter().collect();
        targets.extend(cfg.static_targets());
        let entries = crate::plan::entries(&cfg, &targets);
        let flow = flow_log_accounts(&cfg, &targets);
        (aws, cfg, entries, flow)
    }

    /// The central account creates a flow log to its own bucket: AWS's flow-log policy replaces trailhub's.
    /// `overwrites`: whether AWS replaces the policy this time.
    async fn owner_creates_a_flow_log(aws: &FakeAws, cfg: &Config, overwrites: bool) {
        aws.world().owner_flow_log_overwrites_policy = overwrites;
        let central = cfg.central_target().unwrap();
        let member = aws.member(&central).await.unwrap();
        let flow_log = DesiredFlowLog {
            region: "ap-northeast-2".into(),
            vpc_id: "vpc-1".into(),
            target: FlowLogDestination::S3 {
                arn: "arn:aws:s3:::sec-log".into(),
                options: Default::default(),
            },
            traffic_type: "ALL".into(),
            max_aggregation_interval: 600,
            log_format: crate::config::DEFAULT_FORMAT.into(),
        };
        member.create_flow_log(&flow_log).await.unwrap();
    }

    /// Issue 11, the bucket owner's trap: whatever AWS's policy replaced is put back, AWS's own statements
    /// are kept beside it, the replaced policy is backed up, and a second look changes nothing.
    #[tokio::test]
    async fn what_the_owners_flow_log_replaced_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let (aws, cfg, entries, _) = setup();
        // a policy that does not yet let delivery.logs write the central account's flow logs, so that the
        // fake's CreateFlowLogs by the bucket's owner attaches AWS's policy in its place
        let (_, wrote) = write_policy(&aws, &cfg, &Prune::Off, &entries, &[], None, dir.path())
            .await
            .unwrap();
        owner_creates_a_flow_log(&aws, &cfg, true).await;
        let replaced = aws.world().buckets["sec-log"].clone().unwrap();
        assert!(!replaced.contains("cloudtrail"), "{replaced}");
        let puts = aws.calls("PutBucketPolicy");

        let r = restore_after_owner_flow_logs(&aws, &cfg, &wrote, dir.path())
            .await
            .unwrap()
            .expect("something was lost");
        assert_eq!(
            r.lost,
            [
                "AWSCloudTrailAclCheck20150319",
                "AWSCloudTrailWrite20150319",
                "TrailhubDenyCloudTrailIntoAnotherFolder",
                "TrailhubDenyInsecureTransport"
            ]
        );
        assert_eq!(r.kept, ["AWSLogDeliveryWrite", "AWSLogDeliveryAclCheck"]);
        assert!(r.renamed.is_empty());
        assert_eq!(r.writes, 1);
        assert_eq!(aws.calls("PutBucketPolicy"), puts + 1);
        let backup = r.backup.as_ref().expect("backed up");
        assert_eq!(std::fs::read_to_string(backup).unwrap(), replaced);

        // in force now: every statement trailhub wrote, byte for byte, then AWS's
        let text = aws.world().buckets["sec-log"].clone().unwrap();
        let now = parse_live(&text).unwrap();
        let ours = wrote["Statement"].as_array().unwrap();
        let st = now["Statement"].as_array().unwrap();
        assert_eq!(st[..ours.len()], ours[..]);
        assert_eq!(st.len(), ours.len() + 2);
        for e in &entries {
            let t = trail_delivery(&cfg, &e.account, &e.trail_arn, None, None);
            assert!(check_delivery(&now, &t).allowed(), "{}", e.account);
        }
        let central = cfg.central.account_id.clone();
        assert!(check_delivery(&now, &flow_log_delivery(&cfg, &central)).allowed());

        // nothing lost any more: no write
        let again = restore_after_owner_flow_logs(&aws, &cfg, &wrote, dir.path())
            .await
            .unwrap();
        assert_eq!(again, None);
        assert_eq!(aws.calls("PutBucketPolicy"), puts + 1);
    }

    /// The usual case: trailhub's policy already lets delivery.logs write, nothing was replaced, nothing is
    /// written; and when AWS replaces it anyway (the documentation says it "overwrites any existing
    /// policy"), trailhub's statements come back with AWS's.
    #[tokio::test]
    async fn a_policy_that_lost_nothing_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (aws, cfg, entries, flow) = setup();
        let (_, wrote) = write_policy(&aws, &cfg, &Prune::Off, &entries, &flow, None, dir.path())
            .await
            .unwrap();
        owner_creates_a_flow_log(&aws, &cfg, false).await;
        let puts = aws.calls("PutBucketPolicy");
        let r = restore_after_owner_flow_logs(&aws, &cfg, &wrote, dir.path())
            .await
            .unwrap();
        assert_eq!(r, None);
        assert_eq!(aws.calls("PutBucketPolicy"), puts);

        let aws_policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AWSLogDeliveryWrite","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/111111111111/*","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111","s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;
        aws.world()
            .buckets
            .insert("sec-log".into(), Some(aws_policy.into()));
        let r = restore_after_owner_flow_logs(&aws, &cfg, &wrote, dir.path())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.lost.len(), wrote["Statement"].as_array().unwrap().len());
        assert_eq!(r.kept, ["AWSLogDeliveryWrite"]);
        let now = parse_live(&aws.world().buckets["sec-log"].clone().unwrap()).unwrap();
        assert_eq!(restore_lost(&wrote, Some(&now)), None);
        let dev = "222222222222".parse().unwrap();
        assert!(check_delivery(&now, &flow_log_delivery(&cfg, &dev)).allowed());
    }
}
