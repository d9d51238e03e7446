//! `offboard` over the in-memory fake: the trail, the flow logs to the bucket and the policy entries of one
//! account out of scope taken out, in that order, backed up; nothing else touched; the next apply has
//! nothing to do; each input it must refuse refused before any write.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::apply::ApplyOptions;
use crate::aws::Keys;
use crate::fake::FakeAws;
use crate::fixtures;
use crate::interrupt::Interrupt;
use crate::output::Scripted;

const CENTRAL: &str = "111111111111";
const GONE: &str = "200000000001";

/// The central account and `members` accounts, a KMS key trailhub makes, flow logs to the bucket;
/// `exclude`: accounts taken out of scope.
fn config(members: usize, exclude: &[&str]) -> Config {
    let mut text = fixtures::config_text(
        "kms_key = \"create\"\n",
        &format!("exclude = {exclude:?}\n"),
        members,
    );
    text += "[flow_logs]\ndestinations = [\"s3\"]\ntraffic_type = \"ALL\"\n";
    fixtures::parse(&text)
}

fn args(account: &str, dir: &Path) -> OffboardArgs {
    OffboardArgs {
        account: account.parse().unwrap(),
        trail: None,
        yes: true,
        backup_dir: dir.to_owned(),
        format: None,
    }
}

async fn apply_all(aws: &FakeAws, cfg: &Config, dir: &Path) -> crate::plan::Plan {
    let opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    let (p, r) = crate::fixtures::plan_and_apply(aws, cfg, &opts).await;
    assert_eq!(r.exit_code(), 0, "{r:#?}");
    p
}

async fn offboard_run(aws: &FakeAws, cfg: &Config, a: &OffboardArgs) -> Result<OffboardReport> {
    run(aws, cfg, a, &mut |_| Ok(true)).await
}

fn bucket_policy(aws: &FakeAws) -> String {
    aws.world().buckets["sec-log"].clone().unwrap_or_default()
}

async fn key_policy(aws: &FakeAws) -> String {
    let key = aws
        .describe_key("arn:aws:kms:ap-northeast-2:111111111111:alias/trailhub-cloudtrail")
        .await
        .unwrap()
        .unwrap();
    aws.key_policy(&key.arn).await.unwrap()
}

fn trails_of(aws: &FakeAws, account: &str) -> Vec<String> {
    let w = aws.world();
    w.trails
        .get(account)
        .map(|v| v.iter().map(|(t, _)| t.name.clone()).collect())
        .unwrap_or_default()
}

fn usage(r: Result<OffboardReport>) -> String {
    let e = r.expect_err("refused");
    assert!(e.downcast_ref::<Usage>().is_some(), "exit 2: {e:#}");
    format!("{e:#}")
}

/// Issue 22: the account's flow logs to the bucket are deleted in every Region it has enabled.
#[tokio::test(start_paused = true)]
async fn offboard_deletes_the_flow_logs_of_every_region() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(5));
    aws.world().use_every_region();
    apply_all(&aws, &config(3, &[]), dir.path()).await;
    assert_eq!(
        aws.world().flow_logs[GONE].len(),
        17,
        "a default VPC in each Region"
    );
    let cfg = config(3, &[GONE]);
    let outcome = offboard_run(&aws, &cfg, &args(GONE, dir.path()))
        .await
        .unwrap();
    let OffboardReport::Offboarded { plan, done } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(plan.flow_logs.len(), 17);
    assert_eq!(done.flow_logs_deleted.len(), 17);
    assert!(
        done.flow_logs_deleted
            .iter()
            .any(|d| d.ends_with(" in eu-west-1")),
        "{done:?}"
    );
    assert!(aws.world().flow_logs[GONE].is_empty());
    assert_eq!(
        aws.world().flow_logs["200000000000"].len(),
        17,
        "the others stay"
    );
}

#[tokio::test(start_paused = true)]
async fn offboard_takes_out_one_account_and_the_next_apply_has_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(5));
    apply_all(&aws, &config(3, &[]), dir.path()).await;
    assert!(bucket_policy(&aws).contains(GONE) && key_policy(&aws).await.contains(GONE));
    let flow_logs_before = aws.world().flow_logs.get(GONE).map_or(0, Vec::len);
    assert_eq!(
        flow_logs_before, 1,
        "the default VPC's flow log to the bucket"
    );

    let cfg = config(3, &[GONE]);
    let outcome = offboard_run(&aws, &cfg, &args(GONE, dir.path()))
        .await
        .unwrap();
    let OffboardReport::Offboarded { plan, done } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(outcome.exit_code(), 0, "{done:?}");
    assert_eq!(plan.trail.as_deref(), Some("M1-CT"));
    assert_eq!(done.trail_deleted.as_deref(), Some("M1-CT"));
    assert_eq!(done.flow_logs_deleted.len(), 1);
    assert!(trails_of(&aws, GONE).is_empty());
    assert!(aws.world().flow_logs.get(GONE).is_none_or(Vec::is_empty));
    assert!(
        !plan.bucket_entries.is_empty() && !plan.key_entries.is_empty(),
        "{plan:?}"
    );
    assert!(
        !bucket_policy(&aws).contains(GONE),
        "{}",
        bucket_policy(&aws)
    );
    assert!(!key_policy(&aws).await.contains(GONE));
    // the others' entries stay, and both policies were backed up before being replaced
    for other in ["200000000000", "200000000002"] {
        assert!(bucket_policy(&aws).contains(other) && key_policy(&aws).await.contains(other));
    }
    assert!(done.policy.as_ref().unwrap().backup.is_some());
    assert!(done.key.as_ref().unwrap().backup.is_some());

    // the next apply, with the account out of scope, writes nothing
    let puts = (aws.calls("PutBucketPolicy"), aws.calls("PutKeyPolicy"));
    let p = apply_all(&aws, &cfg, dir.path()).await;
    assert!(!p.has_changes(), "{p:#?}");
    assert_eq!(
        (aws.calls("PutBucketPolicy"), aws.calls("PutKeyPolicy")),
        puts
    );

    // and a second offboard finds nothing of trailhub's: exit 2, with what it looked for
    let again = usage(offboard_run(&aws, &cfg, &args(GONE, dir.path())).await);
    assert!(
        again.contains("nothing of trailhub's") && again.contains("M1-CT"),
        "{again}"
    );
}

#[tokio::test(start_paused = true)]
async fn offboard_refuses_what_it_must_not_take_out_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(5));
    apply_all(&aws, &config(2, &[]), dir.path()).await;
    let cfg = config(2, &[GONE]);
    let before = (bucket_policy(&aws), aws.total_calls());
    let cases = [
        (CENTRAL, "central account"),
        ("200000000000", "still in scope"),
    ];
    for (account, says) in cases {
        let e = usage(offboard_run(&aws, &cfg, &args(account, dir.path())).await);
        assert!(e.contains(says), "{account}: {e}");
    }
    // an account that never was in the file, whose trail name the template cannot make without its name
    let e = usage(offboard_run(&aws, &cfg, &args("200000000009", dir.path())).await);
    assert!(e.contains("--trail"), "{e}");
    assert_eq!(bucket_policy(&aws), before.0);
    assert_eq!(aws.calls("DeleteTrail"), 0);

    // asked and not answered yes: nothing is done
    let outcome = run(&aws, &cfg, &args(GONE, dir.path()), &mut |_| Ok(false))
        .await
        .unwrap();
    assert_eq!(outcome.exit_code(), crate::report::exit::DECLINED);
    assert_eq!(bucket_policy(&aws), before.0);
    assert_eq!(trails_of(&aws, GONE), ["M1-CT"]);
}

#[tokio::test(start_paused = true)]
async fn a_trail_that_cannot_be_deleted_keeps_its_permission() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(5));
    apply_all(&aws, &config(2, &[]), dir.path()).await;
    aws.world()
        .deny_calls
        .insert((GONE.to_owned(), "DeleteTrail".to_owned()));
    let cfg = config(2, &[GONE]);
    let outcome = offboard_run(&aws, &cfg, &args(GONE, dir.path()))
        .await
        .unwrap();
    assert_eq!(outcome.exit_code(), 1);
    let OffboardReport::Offboarded { done, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        done.failed.as_deref().unwrap().contains("DeleteTrail"),
        "{done:?}"
    );
    // the trail still writes: its entries stay, and so do its flow logs
    assert!(bucket_policy(&aws).contains(GONE));
    assert_eq!(trails_of(&aws, GONE), ["M1-CT"]);
    // once allowed, a re-run converges
    aws.world().deny_calls.clear();
    let outcome = offboard_run(&aws, &cfg, &args(GONE, dir.path()))
        .await
        .unwrap();
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert!(!bucket_policy(&aws).contains(GONE));
}

/// In the organization form the bucket policy names no account alone: offboard deletes the trail and says
/// the account's trails may still write while it is in the organization, rather than claiming otherwise.
#[tokio::test(start_paused = true)]
async fn the_organization_form_is_said_to_still_allow_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(5));
    aws.set_organization("o-abc1234567", &[CENTRAL, "200000000000", GONE]);
    let text = |exclude: &str| {
        format!(
            "[central]\naccount_id = \"{CENTRAL}\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\npolicy_form = \"organization\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\nexclude = [{exclude}]\n"
        )
    };
    let cfg = Config::parse(Path::new("t.toml"), &text("")).unwrap();
    apply_all(&aws, &cfg, dir.path()).await;
    let cfg = Config::parse(Path::new("t.toml"), &text(&format!("\"{GONE}\""))).unwrap();
    let outcome = offboard_run(&aws, &cfg, &args(GONE, dir.path()))
        .await
        .unwrap();
    let OffboardReport::Offboarded { plan, done } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        done.trail_deleted.as_deref(),
        Some(format!("A{GONE}-CT").as_str())
    );
    assert!(plan.bucket_entries.is_empty(), "{plan:?}");
    assert_eq!(plan.still_allowed, Some("organization"));
    assert!(trails_of(&aws, GONE).is_empty());
}

/// A console with no terminal behind it (cron, CI): it cannot ask.
struct NoTerminal;

impl Console for NoTerminal {
    fn can_ask(&self) -> bool {
        false
    }
    fn confirm(&mut self, _: &str) -> std::io::Result<bool> {
        panic!("asked without a terminal")
    }
    fn confirm_typed(&mut self, _: &str, _: &str) -> std::io::Result<bool> {
        panic!("asked without a terminal")
    }
    fn note(&mut self, _: &str) {}
}

/// `offboard ACCOUNT` as the command line runs it, without --yes, in text: the exit code or the error,
/// and stdout.
async fn show_text(
    aws: &FakeAws,
    cfg: &Config,
    account: &str,
    console: &mut dyn Console,
) -> (Result<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut a = args(account, dir.path());
    a.yes = false;
    let mut out = Vec::new();
    let r = show(aws, cfg, &a, (Format::Text, console, &mut out)).await;
    (r, String::from_utf8(out).unwrap())
}

/// Issue 23, point 6: without a terminal the account's own refusal comes first (not "without --yes"); an
/// account offboard would take out is shown in the future tense, then refused for want of --yes.
#[tokio::test(start_paused = true)]
async fn without_a_terminal_the_real_refusal_comes_first_then_the_preview() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(5));
    apply_all(&aws, &config(2, &[]), dir.path()).await;
    let cfg = config(2, &[GONE]);
    let (r, out) = show_text(&aws, &cfg, "200000000000", &mut NoTerminal).await;
    let e = format!("{:#}", r.unwrap_err());
    assert!(e.contains("still in scope") && !e.contains("--yes"), "{e}");
    assert!(out.is_empty(), "{out}");

    let (r, out) = show_text(&aws, &cfg, GONE, &mut NoTerminal).await;
    let e = r.unwrap_err();
    assert!(e.is::<Usage>(), "{e:#}");
    assert!(
        e.to_string()
            .starts_with("refusing to offboard account 200000000001 without --yes"),
        "{e}"
    );
    assert!(
        out.contains(
            "  - trail M1-CT: will be deleted (its log files already in the bucket will stay)"
        ),
        "{out}"
    );
    assert!(
        out.contains("will be removed from trailhub's statements"),
        "{out}"
    );
    assert!(!out.contains(": deleted"), "{out}");
    assert_eq!(aws.calls("DeleteTrail"), 0);
    assert_eq!(trails_of(&aws, GONE), ["M1-CT"]);
}

/// Issue 23, point 6: deleting a trail takes the account's ID typed out; `y` is not enough.
#[tokio::test(start_paused = true)]
async fn deleting_a_trail_takes_the_account_id_typed_out() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(5));
    apply_all(&aws, &config(2, &[]), dir.path()).await;
    let cfg = config(2, &[GONE]);
    let mut console = Scripted::answering(&["y"]);
    let (r, out) = show_text(&aws, &cfg, GONE, &mut console).await;
    // the answer was not the account's ID: not applied (exit 4, docs/commands.md)
    assert_eq!(r.unwrap(), 4, "{out}");
    assert!(out.contains("not applied: nothing was done"), "{out}");
    assert_eq!(
        console.transcript,
        ["ask: Trail M1-CT will be deleted. Type the account ID (200000000001) to offboard it: y"]
    );
    assert_eq!(trails_of(&aws, GONE), ["M1-CT"]);

    let mut console = Scripted::answering(&[GONE]);
    let (r, out) = show_text(&aws, &cfg, GONE, &mut console).await;
    assert_eq!(r.unwrap(), 0, "{out}");
    assert!(out.contains("account 200000000001 offboarded"), "{out}");
    assert!(trails_of(&aws, GONE).is_empty());
}

/// Issue 23, point 6: an account gone from the file, whose trail name needs `{name}`: its one trail that
/// fits the template and delivers to the bucket is trailhub's; with two, offboard names both and asks for
/// --trail.
#[tokio::test(start_paused = true)]
async fn the_trail_is_found_when_the_file_cannot_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(5));
    apply_all(&aws, &config(3, &[]), dir.path()).await;
    // only M0 is left in the file: M1 and M2 are out of scope, their names unknown
    let cfg = config(1, &[]);
    let outcome = offboard_run(&aws, &cfg, &args(GONE, dir.path()))
        .await
        .unwrap();
    let OffboardReport::Offboarded { plan, done } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(plan.trail.as_deref(), Some("M1-CT"));
    assert_eq!(done.trail_deleted.as_deref(), Some("M1-CT"));

    let m2 = "200000000002";
    let region = "ap-northeast-2".parse().unwrap();
    let other = crate::fake::fake_trail(&region, m2, "Old-CT", "sec-log");
    let elsewhere = crate::fake::fake_trail(&region, m2, "Else-CT", "their-bucket");
    {
        let mut w = aws.world();
        let list = w.trails.get_mut(m2).unwrap();
        list.push((other, Default::default()));
        list.push((elsewhere, Default::default()));
    }
    let e = usage(offboard_run(&aws, &cfg, &args(m2, dir.path())).await);
    assert!(
        e.contains("its trails M2-CT, Old-CT all fit \"{name}-CT\"") && e.contains("--trail NAME"),
        "{e}"
    );
    assert_eq!(trails_of(&aws, m2).len(), 3, "nothing deleted");
}

#[test]
fn a_name_fits_a_template_whatever_name_stands_for() {
    for (template, name, fits) in [
        ("{name}-CT", "DEV-CT", true),
        ("{name}-CT", "-CT", true),
        ("{name}-CT", "DEV-CT-2", false),
        ("org-{name}-{id}", "org-DEV-200000000001", true),
        ("org-{name}-{id}", "org-DEV-200000000002", false),
        ("{id}-trail", "200000000001-trail", true),
        ("{id}-trail", "200000000001-trailx", false),
        ("a{name}b{name}c", "aXbYc", true),
        ("a{name}b{name}c", "aXYc", false),
    ] {
        assert_eq!(
            fits_template(template, "200000000001", name),
            fits,
            "{template} {name}"
        );
    }
}
