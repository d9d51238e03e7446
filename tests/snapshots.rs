//! Every command in every `--format` (issue 9), run in-process over the in-memory fake AWS through the same
//! `commands::run` that the binary's `execute` calls after checking the caller: what the person at the
//! terminal saw (the console's questions and notes), the exit code, and stdout. The JSON snapshots are the
//! reference for the shapes documented in docs/json.md.
//!
//! Unstable values are replaced before the comparison: the temporary directory by `[TMP]` and the time in a
//! backup's file name by `[TIME]`. The audit runs at a fixed time.

use crate::logs_seed;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use time::OffsetDateTime;
use trailhub::aws::TrailStatus;
use trailhub::cli::{ApplyArgs, AuditArgs, Command, Format, RestoreArgs};
use trailhub::commands::{Session, run};
use trailhub::config::Config;
use trailhub::fake::{FakeAws, fake_trail};
use trailhub::interrupt::Interrupt;
use trailhub::output::Scripted;

const CENTRAL: &str = "111111111111";
const REGION: &str = "ap-northeast-2";
const BUCKET: &str = "sec-log";
const DEV: &str = "222222222222";
const STG: &str = "333333333333";
const PRD: &str = "444444444444";
const FORMATS: [(Format, &str); 3] = [
    (Format::Text, "text"),
    (Format::Json, "json"),
    (Format::Markdown, "markdown"),
];
/// When the audit runs (2027-01-15T08:00:00Z).
const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3600;
use crate::support::in_process::FOUR_ACCOUNTS as CONFIG;

const DAY: i64 = 24 * HOUR;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap()
}

/// A team's policy: a foreign Deny, and CloudTrail's statements for a trail of an account not in scope.
fn team_policy() -> String {
    let old = "arn:aws:cloudtrail:us-east-1:999999999999:trail/old";
    let cloudtrail = json!({"Service": "cloudtrail.amazonaws.com"});
    serde_json::to_string_pretty(&json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow", "Principal": cloudtrail,
             "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{BUCKET}"),
             "Condition": {"StringEquals": {"aws:SourceArn": old}}},
            {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow", "Principal": cloudtrail,
             "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/999999999999/*"),
             "Condition": {"StringEquals": {"aws:SourceArn": old,
                                            "s3:x-amz-acl": "bucket-owner-full-control"}}}
        ]
    }))
    .unwrap()
}

/// Issue 11: each account's trail also delivers to CloudWatch Logs, and every VPC has flow logs to the
/// bucket and to CloudWatch Logs.
const LOGS: &str = r#"
[cloudwatch]
log_group = "/trailhub/cloudtrail"
retention_days = 365

[flow_logs]
destinations = ["s3", "cloudwatch"]
traffic_type = "ALL"
"#;

/// The team's policy with the statements the VPC console documents for flow logs to the bucket
/// (delivery.logs.amazonaws.com).
fn team_flow_logs_policy() -> String {
    let mut policy: serde_json::Value = serde_json::from_str(&team_policy()).unwrap();
    let delivery = json!({"Service": "delivery.logs.amazonaws.com"});
    let statements = policy["Statement"].as_array_mut().unwrap();
    statements.push(
        json!({"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": delivery,
        "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{BUCKET}")}),
    );
    statements.push(
        json!({"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": delivery,
        "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/*"),
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}),
    );
    serde_json::to_string_pretty(&policy).unwrap()
}

/// One test's world: the fake AWS, the accounts file, and a directory for backups and reports.
struct World {
    aws: FakeAws,
    cfg: Config,
    dir: tempfile::TempDir,
}

impl World {
    /// Nothing yet: no bucket, no trail.
    fn empty() -> World {
        World {
            aws: FakeAws::new(CENTRAL, REGION, Duration::ZERO),
            cfg: Config::parse(Path::new("accounts.toml"), CONFIG).unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The bucket with the team's policy and versioning off; DEV's trail pointed elsewhere, without log
    /// file validation, stopped; STG's role cannot be assumed.
    fn drifted() -> World {
        use trailhub::aws::Guard;
        let w = World::team();
        {
            let mut aws = w.aws.world();
            aws.guards.insert(
                BUCKET.into(),
                [Guard::BlockPublicAccess, Guard::DefaultEncryption].into(),
            );
            let mut dev = fake_trail(&REGION.parse().unwrap(), DEV, "DEV-CLOUDTRAIL", "other");
            dev.log_validation = false;
            aws.trails
                .insert(DEV.into(), vec![(dev, TrailStatus::default())]);
            aws.deny_assume.insert(STG.into());
        }
        w
    }

    /// Issue 11's world, over the team's policy with the flow logs statements: the central account is new
    /// (and AWS replaces the bucket policy when it makes a flow log to its own bucket); DEV's trail is
    /// right but does not deliver to CloudWatch Logs, its log group keeps logs forever, it has two VPCs and
    /// one flow log to the bucket that logs REJECT only; STG's role cannot be assumed; PRD is new.
    fn logs() -> World {
        let mut w = World::empty();
        w.cfg = Config::parse(Path::new("accounts.toml"), &format!("{CONFIG}{LOGS}")).unwrap();
        {
            let mut aws = w.aws.world();
            aws.buckets
                .insert(BUCKET.into(), Some(team_flow_logs_policy()));
            aws.owner_flow_log_overwrites_policy = true;
            let dev = fake_trail(&REGION.parse().unwrap(), DEV, "DEV-CLOUDTRAIL", BUCKET);
            let logging = TrailStatus {
                is_logging: true,
                ..Default::default()
            };
            aws.trails.insert(DEV.into(), vec![(dev, logging)]);
            aws.log_groups.insert(
                DEV.into(),
                [("/trailhub/cloudtrail".to_owned(), None)].into(),
            );
            aws.vpcs
                .insert(DEV.into(), vec!["vpc-0de1".into(), "vpc-0de2".into()]);
            let old = trailhub::aws::ObservedFlowLog {
                region: "ap-northeast-2".into(),
                id: "fl-0ld".into(),
                resource_id: "vpc-0de1".into(),
                target: trailhub::aws::FlowLogDestination::S3 {
                    arn: format!("arn:aws:s3:::{BUCKET}"),
                    options: Default::default(),
                },
                traffic_type: "REJECT".into(),
                max_aggregation_interval: Some(600),
                log_format: Some(w.cfg.flow_logs.as_ref().unwrap().log_format.clone()),
                deliver_logs_status: Some("SUCCESS".into()),
                deliver_logs_error: None,
                tags: [(
                    trailhub::world::MANAGED_TAG_KEY.to_owned(),
                    trailhub::world::MANAGED_TAG_VALUE.to_owned(),
                )]
                .into(),
            };
            aws.flow_logs.insert(DEV.into(), vec![old]);
            aws.deny_assume.insert(STG.into());
        }
        w
    }

    /// The bucket, with the team's policy on it.
    fn team() -> World {
        let w = World::empty();
        w.aws
            .world()
            .buckets
            .insert(BUCKET.into(), Some(team_policy()));
        w
    }

    /// A world after `apply` over the team's policy: everything as it should be.
    async fn applied() -> World {
        let w = World::team();
        let (shown, _) = w.run(&w.apply(true), Format::Text, &[]).await;
        assert!(shown.starts_with("exit code: 0"), "{shown}");
        w
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn apply(&self, yes: bool) -> Command {
        Command::Apply(ApplyArgs {
            prune: false,
            yes,
            backup_dir: self.path("backups"),
            ..Default::default()
        })
    }

    fn restore(&self, backup: &Path, yes: bool) -> Command {
        Command::RestorePolicy(RestoreArgs {
            backup: backup.to_owned(),
            yes,
            backup_dir: self.path("restore-backups"),
            format: None,
        })
    }

    /// The only backup `apply` made.
    fn apply_backup(&self) -> PathBuf {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.path("backups"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files.remove(0)
    }

    /// Runs `command` as `commands::execute` would after connecting, the console answering `answers`:
    /// what was shown (exit code, console, stdout, made stable) and stdout as it was.
    async fn run(&self, command: &Command, format: Format, answers: &[&str]) -> (String, String) {
        let mut console = Scripted::answering(answers);
        let mut out = Vec::new();
        let session = Session {
            format,
            concurrency: 4,
            interrupt: Interrupt::default(),
            now,
            console: &mut console,
            out: &mut out,
        };
        let code = match run(&self.aws, &self.cfg, command, session).await {
            Ok(code) => code.to_string(),
            Err(e) => format!("error: {e:#}"),
        };
        let stdout = String::from_utf8(out).unwrap();
        let console = match console.transcript.is_empty() {
            true => "(nothing)".to_owned(),
            false => console.transcript.join("\n"),
        };
        let shown =
            format!("exit code: {code}\n--- console ---\n{console}\n--- stdout ---\n{stdout}");
        (self.stable(&shown), stdout)
    }

    /// `text` with the temporary directory as `[TMP]` and the time in backup names as `[TIME]`.
    fn stable(&self, text: &str) -> String {
        let text = text.replace(self.dir.path().to_str().unwrap(), "[TMP]");
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&format!("{BUCKET}-")) {
            let (head, tail) = rest.split_at(i + BUCKET.len() + 1);
            out.push_str(head);
            rest = if is_stamp(tail) {
                out.push_str("[TIME]");
                &tail[16..]
            } else {
                tail
            };
        }
        out + rest
    }

    fn writes(&self) -> usize {
        [
            "CreateBucket",
            "PutBucketPolicy",
            "CreateTrail",
            "UpdateTrail",
            "StartLogging",
        ]
        .iter()
        .map(|op| self.aws.calls(op))
        .sum()
    }
}

/// `YYYYMMDDTHHMMSSZ` at the start of `s`.
fn is_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
}

#[tokio::test(start_paused = true)]
async fn policy() {
    for (format, name) in FORMATS {
        let w = World::drifted();
        let (shown, _) = w
            .run(&Command::Policy(Default::default()), format, &[])
            .await;
        insta::assert_snapshot!(format!("policy_{name}"), shown);
    }
}

#[tokio::test(start_paused = true)]
async fn plan() {
    for (format, name) in FORMATS {
        let w = World::drifted();
        let (shown, _) = w.run(&Command::Plan(Default::default()), format, &[]).await;
        insta::assert_snapshot!(format!("plan_{name}"), shown);
        assert_eq!(w.writes(), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn apply_with_yes() {
    for (format, name) in FORMATS {
        let w = World::drifted();
        let (shown, _) = w.run(&w.apply(true), format, &[]).await;
        insta::assert_snapshot!(format!("apply_{name}"), shown);
    }
}

#[tokio::test(start_paused = true)]
async fn apply_asks_and_applies() {
    for (format, name) in FORMATS {
        let w = World::drifted();
        let (shown, _) = w.run(&w.apply(false), format, &["y"]).await;
        insta::assert_snapshot!(format!("apply_confirmed_{name}"), shown);
    }
}

#[tokio::test(start_paused = true)]
async fn apply_not_applied() {
    for (format, name) in FORMATS {
        let w = World::drifted();
        let (shown, _) = w.run(&w.apply(false), format, &["n"]).await;
        insta::assert_snapshot!(format!("apply_not_applied_{name}"), shown);
        assert_eq!(w.writes(), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn apply_nothing_to_do() {
    for (format, name) in FORMATS {
        let w = World::applied().await;
        let before = w.writes();
        let (shown, _) = w.run(&w.apply(false), format, &[]).await;
        insta::assert_snapshot!(format!("apply_nothing_to_do_{name}"), shown);
        assert_eq!(w.writes(), before);
    }
}

/// Issue 11: plan lists each account's CloudWatch Logs and flow logs changes, in every format.
#[tokio::test(start_paused = true)]
async fn plan_with_logs() {
    for (format, name) in FORMATS {
        let w = World::logs();
        let (shown, _) = w.run(&Command::Plan(Default::default()), format, &[]).await;
        insta::assert_snapshot!(format!("plan_logs_{name}"), shown);
        assert_eq!(w.writes(), 0);
    }
}

/// Issue 11: apply says what it did of each part, the bucket owner's trap included; a second apply has
/// nothing to do.
#[tokio::test(start_paused = true)]
async fn apply_with_logs() {
    for (format, name) in FORMATS {
        let w = World::logs();
        let (shown, _) = w.run(&w.apply(true), format, &[]).await;
        insta::assert_snapshot!(format!("apply_logs_{name}"), shown);
        w.aws.world().deny_assume.clear();
        let (again, _) = w.run(&w.apply(true), format, &[]).await;
        assert!(again.starts_with("exit code: 0"), "{again}");
        let (again, _) = w.run(&w.apply(false), format, &[]).await;
        insta::assert_snapshot!(format!("apply_logs_again_{name}"), again);
    }
}

#[tokio::test(start_paused = true)]
async fn restore_with_yes() {
    for (format, name) in FORMATS {
        let w = World::applied().await;
        let backup = w.apply_backup();
        let (shown, _) = w.run(&w.restore(&backup, true), format, &[]).await;
        insta::assert_snapshot!(format!("restore_{name}"), shown);
        assert_eq!(
            w.aws.world().buckets[BUCKET].as_deref(),
            Some(team_policy().as_str())
        );
    }
}

#[tokio::test(start_paused = true)]
async fn restore_asks_and_restores() {
    for (format, name) in FORMATS {
        let w = World::applied().await;
        let backup = w.apply_backup();
        let (shown, _) = w.run(&w.restore(&backup, false), format, &["yes"]).await;
        insta::assert_snapshot!(format!("restore_confirmed_{name}"), shown);
    }
}

#[tokio::test(start_paused = true)]
async fn restore_not_applied() {
    for (format, name) in FORMATS {
        let w = World::applied().await;
        let backup = w.apply_backup();
        let before = w.writes();
        let (shown, _) = w.run(&w.restore(&backup, false), format, &[""]).await;
        insta::assert_snapshot!(format!("restore_not_applied_{name}"), shown);
        assert_eq!(w.writes(), before);
    }
}

#[tokio::test(start_paused = true)]
async fn restore_nothing_to_do() {
    for (format, name) in FORMATS {
        let w = World::team();
        let backup = w.path("team.json");
        std::fs::write(&backup, team_policy()).unwrap();
        let (shown, _) = w.run(&w.restore(&backup, false), format, &[]).await;
        insta::assert_snapshot!(format!("restore_nothing_to_do_{name}"), shown);
        assert_eq!(w.writes(), 0);
    }
}

/// After an apply over the team's policy: the central account delivers, DEV's newest log is two days old,
/// STG's trail was stopped, PRD's started an hour ago and has delivered nothing yet; the team's old trail
/// of account 999999999999 is still in the policy.
async fn audited() -> World {
    let w = World::applied().await;
    {
        let mut aws = w.aws.world();
        for (id, trails) in aws.trails.iter_mut() {
            let status = &mut trails[0].1;
            status.start_logging_time = Some(NOW - 30 * DAY);
            status.is_logging = id != STG;
            if id == PRD {
                status.start_logging_time = Some(NOW - HOUR);
            }
        }
        let objects = aws.objects.entry(BUCKET.into()).or_default();
        for (id, age) in [(CENTRAL, 600), (DEV, 2 * DAY), (STG, 600)] {
            let key = trailhub::fake::log_file_key(None, None, id, REGION, NOW - age);
            objects.insert(key, NOW - age);
        }
    }
    w
}

fn audit_command(output: Option<PathBuf>) -> Command {
    Command::Audit(AuditArgs {
        max_age: Duration::from_secs(24 * 3600),
        output,
        ..Default::default()
    })
}

#[tokio::test(start_paused = true)]
async fn audit() {
    let junit = (Format::Junit, "junit");
    for (format, name) in FORMATS.into_iter().chain([junit]) {
        let w = audited().await;
        let before = w.writes();
        let (shown, _) = w.run(&audit_command(None), format, &[]).await;
        insta::assert_snapshot!(format!("audit_{name}"), shown);
        assert_eq!(w.writes(), before);
    }
}

/// `audit --output FILE` (issue 13): in every format, the report goes to the file instead of stdout, which
/// stays empty, and the exit code is still the audit's; a second run replaces the file whole.
#[tokio::test(start_paused = true)]
async fn audit_output_goes_to_the_file_instead_of_stdout() {
    let w = audited().await;
    for (format, name) in FORMATS
        .into_iter()
        .chain([(Format::Html, "html"), (Format::Junit, "junit")])
    {
        let (_, stdout) = w.run(&audit_command(None), format, &[]).await;
        assert!(stdout.len() > 100, "{name}: {stdout}");
        let file = w.path(&format!("coverage.{name}"));
        std::fs::write(&file, "x".repeat(100_000)).unwrap();
        let (shown, to_stdout) = w.run(&audit_command(Some(file.clone())), format, &[]).await;
        assert_eq!(to_stdout, "", "{name}");
        assert!(shown.starts_with("exit code: 1\n"), "{name}: {shown}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout, "{name}");
    }
    let left: Vec<_> = std::fs::read_dir(w.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".trailhub-report-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    // a file that cannot be written is an error of the run (exit 2), not a report on stdout
    let missing = w.path("no-such-dir/coverage.html");
    let (shown, to_stdout) = w
        .run(&audit_command(Some(missing)), Format::Html, &[])
        .await;
    assert_eq!(to_stdout, "");
    assert!(
        shown.starts_with(
            "exit code: error: cannot write the report to [TMP]/no-such-dir/coverage.html"
        ),
        "{shown}"
    );
}

/// Read with a WHATWG tokenizer (no parse error allowed): the first cell of each row of the accounts
/// table, and the text of the coverage figure.
fn account_ids_and_figure(html: &str) -> (Vec<String>, String) {
    use html5gum::{Token, Tokenizer};
    let (mut ids, mut figure) = (Vec::new(), String::new());
    let (mut in_accounts, mut in_figure, mut first_cell) = (false, false, false);
    let mut cell: Option<String> = None;
    for token in Tokenizer::new(html) {
        match token.unwrap() {
            Token::StartTag(t) => {
                let attr = |name: &[u8]| {
                    t.attributes
                        .iter()
                        .find(|(k, _)| k.as_slice() == name)
                        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                };
                match t.name.as_slice() {
                    b"table" => in_accounts = attr(b"class").as_deref() == Some("accounts"),
                    b"tr" => first_cell = in_accounts,
                    b"td" if first_cell => (cell, first_cell) = (Some(String::new()), false),
                    _ => in_figure |= attr(b"id").as_deref() == Some("coverage"),
                }
            }
            Token::EndTag(t) => match t.name.as_slice() {
                b"td" => ids.extend(cell.take()),
                b"p" => in_figure = false,
                _ => {}
            },
            Token::String(text) => {
                let text = String::from_utf8_lossy(&text);
                if let Some(c) = cell.as_mut() {
                    c.push_str(&text);
                }
                if in_figure {
                    figure.push_str(&text);
                }
            }
            Token::Error(e) => panic!("parse error: {}", *e),
            _ => {}
        }
    }
    (ids, figure)
}

/// The page and the JUnit XML of a real audit run (issue 13): what an HTML parser and an XML reader find
/// match the report (one row, one test case per account; the gaps first, as failures).
#[tokio::test(start_paused = true)]
async fn audit_html_and_junit_match_the_report() {
    let w = audited().await;
    let (_, html) = w.run(&audit_command(None), Format::Html, &[]).await;
    let (ids, figure) = account_ids_and_figure(&html);
    assert_eq!(ids, [DEV, STG, PRD, "999999999999", CENTRAL]);
    assert_eq!(figure, "2/4 accounts covered (50.0%)");

    let (_, xml) = w.run(&audit_command(None), Format::Junit, &[]).await;
    let mut reader = quick_xml::Reader::from_str(&xml);
    reader.config_mut().check_end_names = true;
    let (mut cases, mut failures) = (Vec::new(), Vec::new());
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => cases.push(0),
                    b"failure" => {
                        *cases.last_mut().unwrap() += 1;
                        failures.push(
                            e.try_get_attribute("message")
                                .unwrap()
                                .unwrap()
                                .unescape_value()
                                .unwrap()
                                .into_owned(),
                        )
                    }
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(cases.len(), 5 + 1, "the accounts and the bucket");
    // issue 21, point 6: at most one failure in a test case, all of an account's gaps in it
    assert!(cases.iter().all(|n| *n <= 1), "{cases:?}");
    assert_eq!(failures, ["1 gap: stale-delivery", "1 gap: not-logging"]);
}

/// `[cloudwatch]` and `[flow_logs]` for the audit with the new codes (issue 11).
const AUDIT_LOGS: &str = r#"
[cloudwatch]
log_group = "/trailhub/cloudtrail"

[flow_logs]
destinations = ["s3", "cloudwatch"]
"#;

/// [`audited`], then every account's CloudWatch Logs and flow logs made right under [`AUDIT_LOGS`] and one thing
/// of each kind broken: the central trail sends to another log group, DEV's role for the trail is gone and
/// CloudTrail reports an error, STG's latest delivery to its group is two days old and one of its VPCs has
/// a flow log with other settings, PRD's flow log to the bucket fails and the bucket policy does not let
/// delivery.logs write PRD's flow logs.
async fn audited_with_logs() -> World {
    let mut w = audited().await;
    w.cfg = Config::parse(Path::new("accounts.toml"), &format!("{CONFIG}{AUDIT_LOGS}")).unwrap();
    logs_seed::deliveries(&w.aws, &w.cfg, NOW - 600);
    logs_seed::point_trail_elsewhere(
        &w.aws,
        CENTRAL,
        "SEC-CLOUDTRAIL",
        "arn:aws:logs:ap-northeast-2:111111111111:log-group:/team/trails:*",
    );
    let mut aws = w.aws.world();
    aws.roles
        .get_mut(DEV)
        .unwrap()
        .remove("TrailhubCloudTrailToLogs");
    aws.trails.get_mut(DEV).unwrap()[0]
        .1
        .latest_cloudwatch_delivery_error =
        Some("Access denied. Check the permissions for your role.".into());
    aws.trails.get_mut(STG).unwrap()[0]
        .1
        .latest_cloudwatch_delivery_time = Some(NOW - 2 * DAY);
    aws.flow_logs.get_mut(STG).unwrap()[1].traffic_type = "REJECT".into();
    let prd = &mut aws.flow_logs.get_mut(PRD).unwrap()[0];
    prd.deliver_logs_status = Some("FAILED".into());
    prd.deliver_logs_error = Some("Access error".into());
    let mut policy: serde_json::Value =
        serde_json::from_str(aws.buckets[BUCKET].as_deref().unwrap()).unwrap();
    for s in policy["Statement"].as_array_mut().unwrap() {
        if s["Principal"]["Service"] == "delivery.logs.amazonaws.com" {
            let accounts = &mut s["Condition"]["StringEquals"]["aws:SourceAccount"];
            accounts.as_array_mut().unwrap().retain(|a| a != PRD);
        }
    }
    aws.buckets.insert(BUCKET.into(), Some(policy.to_string()));
    drop(aws);
    w
}

#[tokio::test(start_paused = true)]
async fn audit_logs() {
    for (format, name) in FORMATS {
        let w = audited_with_logs().await;
        let command = Command::Audit(AuditArgs {
            max_age: Duration::from_secs(24 * 3600),
            output: None,
            ..Default::default()
        });
        let before = w.writes();
        let (shown, _) = w.run(&command, format, &[]).await;
        insta::assert_snapshot!(format!("audit_logs_{name}"), shown);
        assert_eq!(w.writes(), before);
    }
}
