//! `trailhub audit`: does every account's CloudTrail still reach the central bucket (and, where configured,
//! CloudWatch Logs), and does every VPC have its flow logs? Strictly read-only.
//!
//! [`audit`] is the flow: `crate::observe::audit` gathers the facts over the `aws` traits (at most
//! `concurrency` accounts at once, never a write); `judge` turns each account's facts into problems
//! (`logs` for the CloudWatch Logs and flow log checks) and `stale` finds the policy entries of accounts
//! no longer in scope, all pure; `report` holds the report's schema (documented in
//! `runbooks/scheduled-audit.md`) and builds it; `bucket` judges the bucket's guards (TLS-only policy, Block
//! Public Access, versioning); `codes` says what each code means and where its runbook
//! section is; `duration` reads and writes ages.

mod alarms;
mod boundary;
mod bucket;
mod checks;
mod codes;
mod controls;
mod duration;
mod findings;
#[cfg(test)]
mod fixtures;
mod guardrails;
mod judge;
mod kms;
mod logs;
mod queues;
mod report;
mod stale;
pub mod subscriptions;

pub use codes::CodeDoc;
pub use controls::{Controls, Level, controls};
pub use duration::{age, parse_max_age};
pub use findings::{Finding, Resource, Status, findings};
pub use report::{
    AccountKind, AccountReport, AuditReport, CentralPlace, Code, OuCoverage, Problem, Severity,
    StaleEntry, Summary,
};

use std::collections::BTreeMap;
use std::time::Duration;

use crate::aws::{AwsError, Central, Member, Membership};
use crate::config::Config;
use crate::model::AccountId;
use crate::observe::Observation;
use crate::observe::audit::{Placed, Window, gather, observe_all, org_trail};
use crate::observe::central::{BucketPolicy, read_key, read_policy, read_settings};
use crate::observe::organizations::{memberships, read_rcps};
use crate::plan::membership::{OrgFacts, Orgs, org_keys_in_force};
use crate::plan::policy::Org;
use crate::progress::{Phase, SharedProgress};
use judge::{Judge, live_policy};
use report::report;

#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub concurrency: usize,
    pub max_age: Duration,
    /// Told of each account observed, then of each audited; silent unless the command gives one that shows.
    pub progress: SharedProgress,
}

/// The audit could not run: nothing can be said about coverage (exit 2). The AWS error is part of each
/// message and not a `source` as well, so that it is printed once.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "cannot list the organization's accounts: {0} (runbooks/troubleshooting.md#organizations)"
    )]
    Organizations(AwsError),
    #[error(
        "the central bucket {bucket} does not exist: run `trailhub apply` (runbooks/scheduled-audit.md#exit-codes)"
    )]
    NoBucket { bucket: String },
    #[error("cannot read the central bucket {bucket}: {error}; {hint}", hint = error.hint())]
    Bucket { bucket: String, error: AwsError },
    #[error(
        "the central account has an organization trail, but the organization's ID cannot be read: {0}"
    )]
    OrganizationId(AwsError),
    #[error("cannot read the KMS key (kms_key): {0}; {hint} (runbooks/kms.md#kms-key-not-usable)", hint = .0.hint())]
    Key(AwsError),
    #[error("{0}")]
    Guardrails(crate::observe::guardrails::GuardrailsError),
}

/// Runs the audit. Err only when it cannot run at all (exit 2); every account's failure is in the report.
pub async fn audit<C: Central>(
    central: &C,
    cfg: &Config,
    opts: &AuditOptions,
    now: time::OffsetDateTime,
) -> Result<AuditReport, AuditError> {
    let concurrency = opts.concurrency.max(1);
    let progress = &*opts.progress;
    progress.start(Phase::Observing, 0);
    let (scoped, live, key, settings, rcps, guards) = tokio::join!(
        observe_all(cfg, central, concurrency, progress),
        read_policy(central, cfg),
        read_key(central, cfg),
        read_settings(central, cfg, true),
        read_rcps(central, cfg),
        central.bucket_guards(&cfg.central.bucket),
    );
    progress.finish();
    let (observations, org, placed) = scoped.map_err(AuditError::Organizations)?;
    let live = match live.map_err(|e| bucket_error(cfg, e))? {
        BucketPolicy::NoBucket => {
            let bucket = cfg.central.bucket.to_string();
            return Err(AuditError::NoBucket { bucket });
        }
        BucketPolicy::Read(policy) => policy,
    };
    let (policy, policy_note) = live_policy(live.as_deref());
    let key = key.map_err(AuditError::Key)?.map(|k| key_facts(cfg, k));
    let key_policy = key.as_ref().map(|k| k.policy.to_string());
    let in_force = org_keys_in_force(live.as_deref(), key_policy.as_deref(), &rcps);
    let run = (org.as_ref(), &placed);
    let (observations, accounts) = memberships_of(observations, run, in_force, concurrency).await;
    let facts = OrgFacts { rcps, accounts };
    let settings = settings.map_err(|e| bucket_error(cfg, e))?;
    let guards = guards.map_err(|e| bucket_error(cfg, e))?;
    let org_trail = org_trail(central, cfg, &observations, org.as_ref())
        .await
        .map_err(AuditError::OrganizationId)?;
    let window = Window::new(now, opts.max_age);
    let org_id = org.as_ref().map(|o| o.id.as_str());
    let org_id = org_id.or(org_trail.as_ref().map(|t| t.org_id.as_str()));
    progress.start(Phase::Auditing, observations.len());
    let audited = gather(
        central,
        cfg,
        observations,
        org_trail.as_ref(),
        org_id,
        window,
        (concurrency, progress),
    )
    .await;
    progress.finish();
    let judge = Judge {
        cfg,
        policy: &policy,
        orgs: Orgs {
            run: org.as_ref(),
            facts: &facts,
        },
        policy_note: policy_note.as_deref(),
        now: now.unix_timestamp(),
        max_age: opts.max_age,
        key: key.as_ref(),
    };
    let mut bucket_problems = kms::bucket_problems(&judge, &settings);
    bucket_problems.extend(bucket::guard_problems(&judge, &guards));
    let generated_at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string());
    let mut report = report(&judge, &audited, bucket_problems, generated_at);
    if let Some(g) = &cfg.guardrails {
        let seen = crate::observe::guardrails::read_guardrails(central, cfg, g)
            .await
            .map_err(AuditError::Guardrails)?;
        let plan = crate::plan::guardrails::plan(cfg, &g.policy_name, &seen, false);
        guardrails::add_unguarded(&mut report, &plan, &placed);
    }
    queues::add_queue_problems(central, &judge, &audited, org_id, &mut report).await;
    Ok(report)
}

/// Each account's organization, learned as the plan learns it (with the account's role, only when a policy
/// in force tests an organization key), so that the audit judges each writer as AWS and the plan do.
async fn memberships_of<M: Member>(
    observed: Vec<(Observation<M>, bool)>,
    run: (Option<&Org>, &Placed),
    in_force: bool,
    concurrency: usize,
) -> (Vec<(Observation<M>, bool)>, BTreeMap<AccountId, Membership>) {
    let (mut observations, managed): (Vec<_>, Vec<_>) = observed.into_iter().unzip();
    let accounts = memberships(run, &mut observations, in_force, concurrency).await;
    (observations.into_iter().zip(managed).collect(), accounts)
}

/// The key as the judge holds it: with no such key, its configured name and a policy that allows nothing.
fn key_facts(cfg: &Config, k: crate::plan::kms::KeyState) -> kms::KeyFacts {
    let lookup = cfg
        .central
        .kms_key
        .as_ref()
        .map(|k| k.lookup().to_owned())
        .unwrap_or_default();
    let policy = k
        .policy
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(serde_json::Value::Null);
    let mut names = vec![lookup.clone()];
    let arn = match k.info {
        Some(i) => {
            names.extend([i.arn.clone(), i.id]);
            i.arn
        }
        None => lookup,
    };
    kms::KeyFacts { arn, names, policy }
}

/// A failure to read the central bucket.
fn bucket_error(cfg: &Config, error: AwsError) -> AuditError {
    AuditError::Bucket {
        bucket: cfg.central.bucket.to_string(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn at(secs: i64) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    /// Each variant's message together with its `Caused by:` lines, as `main` prints them.
    fn printed(e: &AuditError) -> String {
        let mut out = e.to_string();
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            out.push_str(&format!("\n  Caused by: {c}"));
            cause = c.source();
        }
        out
    }

    #[test]
    fn each_cause_is_printed_once() {
        let aws = || AwsError::new("HeadBucket", "Forbidden", "S3 answered 403");
        for e in [
            AuditError::Organizations(aws()),
            AuditError::Bucket {
                bucket: "sec-log".into(),
                error: aws(),
            },
            AuditError::OrganizationId(aws()),
        ] {
            let text = printed(&e);
            assert_eq!(text.matches("S3 answered 403").count(), 1, "{text}");
            assert_eq!(text.lines().count(), 1, "{text}");
        }
        let e = AuditError::Bucket {
            bucket: "sec-log".into(),
            error: aws(),
        };
        assert_eq!(
            e.to_string(),
            format!(
                "cannot read the central bucket sec-log: HeadBucket failed: Forbidden: S3 answered 403; {}",
                aws().hint()
            )
        );
    }
}

#[cfg(test)]
mod fake_tests {
    //! The async part over the in-memory fake: scope, the organization trail and the concurrency bound.
    use super::*;
    use crate::aws::{OrgAccount, TrailStatus};
    use crate::fake::{FakeAws, fake_trail, log_file_key};
    use crate::plan::policy::CLOUDTRAIL;
    use std::path::Path;

    const ORG_CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
[members]
source = "organizations"
trail_name = "{name}-CT"
concurrency = 3
"#;

    fn now() -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[tokio::test]
    async fn an_organization_trail_covers_every_account_within_the_bound() {
        let cfg = Config::parse(Path::new("a.toml"), ORG_CFG).unwrap();
        let region: crate::model::Region = "ap-northeast-2".parse().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(5));
        let org_arn = "arn:aws:cloudtrail:ap-northeast-2:111111111111:trail/ORG";
        let ids: Vec<String> = (2..=13).map(|i| format!("{i:012}")).collect();
        {
            let mut w = aws.world();
            w.org_id = Some("o-abc123".into());
            w.org_accounts = ids
                .iter()
                .map(|id| OrgAccount {
                    id: id.clone(),
                    name: format!("A{id}"),
                    active: true,
                })
                .collect();
            let policy = serde_json::json!({"Statement": [
                {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:GetBucketAcl",
                 "Resource": "arn:aws:s3:::sec-log",
                 "Condition": {"StringEquals": {"aws:SourceArn": org_arn}}},
                {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::sec-log/AWSLogs/o-abc123/*",
                 "Condition": {"StringEquals": {"aws:SourceArn": org_arn}}}]});
            w.buckets.insert("sec-log".into(), Some(policy.to_string()));
            let mut t = fake_trail(&region, "111111111111", "ORG", "sec-log");
            t.organization_trail = true;
            let status = TrailStatus {
                is_logging: true,
                start_logging_time: Some(1_799_000_000),
                ..Default::default()
            };
            w.trails.insert("111111111111".into(), vec![(t, status)]);
            let objects = w.objects.entry("sec-log".into()).or_default();
            // every account but the last has fresh logs under the organization's prefix
            for id in std::iter::once("111111111111")
                .chain(ids[..ids.len() - 1].iter().map(String::as_str))
            {
                let key = log_file_key(None, Some("o-abc123"), id, "ap-northeast-2", 1_799_999_000);
                objects.insert(key, 1_799_999_000);
            }
        }
        let opts = AuditOptions {
            concurrency: cfg.members.concurrency,
            max_age: Duration::from_secs(86_400),
            progress: Default::default(),
        };
        let r = audit(&aws, &cfg, &opts, now()).await.unwrap();
        assert_eq!(
            r.summary,
            Summary {
                accounts: 13,
                covered: 12,
                stale: 0,
                by_ou: vec![],
            }
        );
        assert_eq!(r.accounts[0].scope, AccountKind::Central);
        assert!(
            r.accounts
                .iter()
                .all(|a| a.trail_arn.as_deref() == Some(org_arn))
        );
        let last = r.accounts.last().unwrap();
        assert_eq!(last.id, ids[ids.len() - 1]);
        assert_eq!(
            last.problems.iter().map(|p| p.code).collect::<Vec<_>>(),
            [Code::NoDelivery]
        );
        // at most 3 accounts' calls at once; the central account's listing, DescribeOrganization and bucket
        // read run alongside them, outside that bound
        assert!(aws.max_in_flight() <= 3 + 3, "{}", aws.max_in_flight());
        // the organization trail's ID, and whether the RCPs are readable (ORG-7)
        assert_eq!(aws.calls("DescribeOrganization"), 2);
        for write in [
            "CreateTrail",
            "UpdateTrail",
            "StartLogging",
            "PutBucketPolicy",
            "CreateBucket",
        ] {
            assert_eq!(aws.calls(write), 0, "{write}");
        }
    }

    #[tokio::test]
    async fn a_missing_bucket_stops_the_audit_and_an_unassumable_role_does_not() {
        let cfg = Config::parse(Path::new("a.toml"), ORG_CFG).unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        aws.world().org_accounts = vec![OrgAccount {
            id: "222222222222".into(),
            name: "DEV".into(),
            active: true,
        }];
        let opts = AuditOptions {
            concurrency: 2,
            max_age: Duration::from_secs(86_400),
            progress: Default::default(),
        };
        let e = audit(&aws, &cfg, &opts, now()).await.unwrap_err();
        assert!(matches!(e, AuditError::NoBucket { .. }), "{e}");

        aws.world().buckets.insert("sec-log".into(), None);
        aws.world().deny_assume.insert("222222222222".into());
        let r = audit(&aws, &cfg, &opts, now()).await.unwrap();
        let codes: Vec<(&str, Vec<Code>)> = r
            .accounts
            .iter()
            .map(|a| (a.id.as_str(), a.problems.iter().map(|p| p.code).collect()))
            .collect();
        assert_eq!(
            codes,
            [
                ("111111111111", vec![Code::NoTrail]),
                ("222222222222", vec![Code::Unreachable]),
            ]
        );
        assert!(
            r.accounts[1].problems[0]
                .message
                .starts_with("AccessDenied")
        );
        assert_eq!(r.exit_code(), 1);
    }

    /// Issue 10, points 6 and 7: the audit lists only the day folders --max-age spans, however long the
    /// history, judges each region, and counts only files CloudTrail named for the account.
    #[tokio::test(start_paused = true)]
    async fn the_audit_lists_what_max_age_needs_and_judges_each_region() {
        let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\n[members]\ntrail_name = \"{name}-CT\"\n[[account]]\nid = \"222222222222\"\nname = \"DEV\"\n";
        let cfg = Config::parse(Path::new("a.toml"), text).unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let dir = tempfile::tempdir().unwrap();
        let opts = crate::apply::ApplyOptions::new(dir.path().to_owned(), 2, Default::default());
        let (scope, plan, obs) = crate::fixtures::observe_and_plan(&aws, &cfg, 2, &opts.interrupt)
            .await
            .unwrap();
        crate::apply::apply(&aws, &cfg, &scope, &plan, obs, &opts)
            .await
            .unwrap();
        let now = now().unix_timestamp();
        {
            let mut w = aws.world();
            let objects = w.objects.entry("sec-log".into()).or_default();
            for id in ["111111111111", "222222222222"] {
                // 90 days of history, 2 regions; us-east-1 went quiet 3 days ago
                for i in 0..3000_i64 {
                    let at = now - 3600 - i * 2592;
                    let region = if i % 2 == 0 {
                        "ap-northeast-2"
                    } else {
                        "us-east-1"
                    };
                    if region == "us-east-1" && now - at < 3 * 86_400 {
                        continue;
                    }
                    objects.insert(log_file_key(None, None, id, region, at), at);
                }
            }
            // another account's trail writing into DEV's us-east-1 folder today does not count
            let forged = log_file_key(None, None, "333333333333", "us-east-1", now - 60)
                .replace("AWSLogs/333333333333/", "AWSLogs/222222222222/");
            objects.insert(forged, now - 60);
        }
        let before = aws.calls("ListObjectsV2");
        let r = audit(
            &aws,
            &cfg,
            &AuditOptions {
                concurrency: 2,
                max_age: Duration::from_secs(86_400),
                progress: Default::default(),
            },
            super::tests::at(now),
        )
        .await
        .unwrap();
        let listed = aws.calls("ListObjectsV2") - before;
        // per account: 1 for the region folders, then ap-northeast-2 today (found), us-east-1 today and
        // yesterday (nothing): 4, within 1 + regions x (days + 1) = 5
        assert_eq!(listed, 2 * 4, "{r:#?}");
        assert_eq!(r.summary.covered, 2, "{r:#?}");
        for a in &r.accounts {
            let p: Vec<(Code, Severity)> =
                a.problems.iter().map(|p| (p.code, p.severity)).collect();
            assert_eq!(p, [(Code::StaleDelivery, Severity::Warning)], "{a:#?}");
            assert!(a.problems[0].message.contains("from us-east-1"), "{a:#?}");
        }
    }

    /// Issue 23, point 4: a stopped trail's gap says who stopped it and when (the latest StopLogging event,
    /// LookupEvents in the member, CT-23), one LookupEvents call for the account with a stopped trail and
    /// none for the others; the text marks it as a gap, with its next step and runbook.
    #[tokio::test(start_paused = true)]
    async fn a_stopped_trail_says_who_stopped_it_and_when() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(1));
        let cfg = crate::fixtures::config(2);
        let opts = crate::apply::ApplyOptions::new(
            dir.path().to_owned(),
            4,
            crate::interrupt::Interrupt::default(),
        );
        let (_, run) = crate::fixtures::plan_and_apply(&aws, &cfg, &opts).await;
        assert_eq!(run.exit_code(), 0);
        let m1 = "200000000001";
        let mallory = "arn:aws:iam::200000000001:user/mallory";
        aws.stop_logging(
            m1,
            "M1-CT",
            "arn:aws:iam::200000000001:user/alice",
            1_799_000_000,
        );
        aws.stop_logging(m1, "M1-CT", mallory, 1_799_990_000);
        let opts = AuditOptions {
            concurrency: 4,
            max_age: Duration::from_secs(86_400),
            progress: Default::default(),
        };
        let r = audit(&aws, &cfg, &opts, now()).await.unwrap();
        assert_eq!(
            aws.calls("LookupEvents"),
            1,
            "only the account with a stopped trail"
        );
        let a = r.accounts.iter().find(|a| a.id == m1).unwrap();
        let stopped = a
            .problems
            .iter()
            .find(|p| p.code == Code::NotLogging)
            .unwrap();
        assert_eq!(
            stopped.message,
            format!(
                "trail M1-CT exists but is not logging: stopped by {mallory} at 2027-01-15T05:13:20Z"
            )
        );
        let mut out = Vec::new();
        let mut console = crate::output::Scripted::answering(&[]);
        crate::output::print(&mut out, &mut console, crate::cli::Format::Text, &r).unwrap();
        let text = crate::fixtures::unwrapped(&String::from_utf8(out).unwrap());
        let gap = format!(
            "[GAP] {m1} not-logging: {} next: Run trailhub apply",
            stopped.message
        );
        assert!(text.contains(&gap), "{text}");
        assert!(
            text.contains(" runbook: runbooks/scheduled-audit.md#not-logging"),
            "{text}"
        );
        let gaps = text.find("gaps: ").unwrap();
        assert!(
            text.find("warnings (").is_none_or(|w| w > gaps),
            "gaps first: {text}"
        );
    }
}
