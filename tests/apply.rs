//! `trailhub policy`, `plan` and `apply` against moto, end to end through the real binary (issue 2, §7):
//! what the user sees, and what moto holds afterwards.

use crate::support;

use serde_json::Value;
use support::trailhub::OLD_TRAIL;
use support::trailhub::{
    BUCKET, CENTRAL_TRAIL, MEMBERS, World, files_in, log_prefix, managed_trails, source_arns,
    statement, static_config, strings, trail_arn,
};
use support::{Fault, Rule, TEST_ACCOUNT_ID};

const ACL_SID: &str = "AWSCloudTrailAclCheck20150319";
const WRITE_SID: &str = "AWSCloudTrailWrite20150319";

/// The team's policy (a foreign Deny, the console's statements for another trail), pretty.
fn seeded_policy() -> String {
    let policy = support::trailhub::team_policy();
    // Pretty, as a person or the console would leave it: trailhub must back this text up as it is.
    serde_json::to_string_pretty(&policy).unwrap()
}

fn cloudtrail_statements(policy: &Value) -> Vec<&Value> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["Principal"]["Service"] == "cloudtrail.amazonaws.com" && s["Effect"] == "Allow"
        })
        .collect()
}

/// Issue 2 §7: central + 3 static members from scratch, into a bucket whose policy the console and a
/// security team wrote. Every trail is made and logging; the policy is extended in place, nothing of
/// theirs is lost, and the policy replaced is backed up first.
#[test]
fn apply_onboards_central_and_members_and_extends_the_console_policy_in_place() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    w.create_bucket(BUCKET);
    let seeded = seeded_policy();
    w.put_policy(BUCKET, &seeded);

    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    assert!(
        plan.stdout.contains("4 sources and 4 prefixes added"),
        "{plan}"
    );
    for kept in [OLD_TRAIL.to_owned(), log_prefix("999999999999")] {
        assert!(
            plan.stdout
                .contains(&format!("  = {kept} (kept, not managed here)")),
            "{plan}"
        );
    }

    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    for (id, name) in MEMBERS {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(
            line.contains(name) && line.contains("done: 2 changes to the trail"),
            "{line}"
        );
    }
    assert!(
        out.stdout.contains("summary: 4 accounts: 4 converged"),
        "{out}"
    );

    // The trails: one per account, to the bucket, as trailhub makes them, logging.
    let trails = managed_trails(&MEMBERS);
    for (id, name) in &trails {
        w.assert_onboarded(id, name);
    }

    // The policy: the foreign statement untouched, the console's two extended in place.
    let before: Value = serde_json::from_str(&seeded).unwrap();
    let after = w.policy();
    assert_eq!(after["Statement"][0], before["Statement"][0], "{after:#}");
    assert_eq!(after["Id"], "team-policy");
    assert_eq!(cloudtrail_statements(&after).len(), 2, "{after:#}");
    // and trailhub's Deny of writes into another account's folder (issue 10, point 6)
    let last = after["Statement"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["Sid"], "TrailhubDenyCloudTrailIntoAnotherFolder",
        "{after:#}"
    );
    assert_eq!(after["Statement"][1]["Sid"], ACL_SID);
    assert_eq!(after["Statement"][2]["Sid"], WRITE_SID);
    let mut want_arns: Vec<String> = trails
        .iter()
        .map(|(id, name)| trail_arn(id, name))
        .collect();
    want_arns.push(OLD_TRAIL.to_owned());
    want_arns.sort();
    let mut want_prefixes: Vec<String> = trails.iter().map(|(id, _)| log_prefix(id)).collect();
    want_prefixes.push(log_prefix("999999999999"));
    want_prefixes.sort();
    let (acl, write) = (statement(&after, ACL_SID), statement(&after, WRITE_SID));
    assert_eq!(source_arns(acl), want_arns);
    assert_eq!(source_arns(write), want_arns);
    assert_eq!(strings(&write["Resource"]), want_prefixes);
    assert_eq!(
        strings(&acl["Resource"]),
        [format!("arn:aws:s3:::{BUCKET}")]
    );
    assert_eq!(
        write["Condition"]["StringEquals"]["s3:x-amz-acl"],
        "bucket-owner-full-control"
    );

    // The backup: the original text, byte for byte, at the path printed.
    let backups = files_in(&w.backup_dir());
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(std::fs::read_to_string(&backups[0]).unwrap(), seeded);
    assert!(
        out.stdout
            .contains(&format!("policy: backed up to {}", backups[0].display())),
        "{out}"
    );
}

/// Issue 2 §7: a second apply reports nothing to do, and makes no write call at all.
#[test]
fn second_apply_has_nothing_to_do_and_writes_nothing() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    w.create_bucket(BUCKET);
    w.put_policy(BUCKET, &seeded_policy());
    let first = w.apply();
    assert_eq!(first.code, 0, "{first}");
    let policy = w.policy_text(BUCKET);
    w.proxy.clear_log();

    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("nothing to do"), "{again}");
    assert!(w.proxy.writes().is_empty(), "{:#?}", w.proxy.writes());
    assert!(
        w.proxy.count("GetTrailStatus") > 0,
        "it did look: {:#?}",
        w.proxy.log()
    );
    assert_eq!(w.policy_text(BUCKET), policy);
    assert_eq!(files_in(&w.backup_dir()).len(), 1, "no second backup");

    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    assert!(plan.stdout.contains("policy: up to date"), "{plan}");
    assert!(
        plan.stdout
            .contains("summary: 0 accounts to change, 4 up to date"),
        "{plan}"
    );
}

/// Issue 2 §7: a member whose trail delivers to another bucket is shown as an update, and updated.
#[test]
fn member_trail_pointing_at_another_bucket_is_updated() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    w.create_bucket("other-trail-bucket");
    let (stg, stg_trail) = ("333333333333", "STG-CLOUDTRAIL");
    w.rt.block_on(
        w.cloudtrail(stg)
            .create_trail()
            .name(stg_trail)
            .s3_bucket_name("other-trail-bucket")
            .send(),
    )
    .unwrap();

    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    let line = support::row(&plan.stdout, stg).unwrap_or_else(|| panic!("{plan}"));
    assert!(
        line.contains("update trail (bucket: other-trail-bucket -> sec-cloudtrail-log"),
        "{line}"
    );
    assert!(line.contains("multi_region: false -> true"), "{line}");
    assert!(!line.contains("create trail"), "{line}");

    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(stg))
        .unwrap_or_else(|| panic!("{out}"));
    // one line an account: what was done is counted (the JSON lists it)
    assert!(
        line.contains("done: ") && line.contains(" to the trail"),
        "{line}"
    );
    assert_eq!(
        w.proxy.count("CreateTrail"),
        3,
        "only the other three are created"
    );
    for (id, name) in managed_trails(&MEMBERS) {
        w.assert_onboarded(&id, &name);
    }
}

/// Issue 2 §7: one member's AssumeRole is refused. The others converge; its line names the account, the
/// operation, the error and what to do; exit 1. Once the role works, a re-run converges.
#[test]
fn assume_role_denied_for_one_member_fails_only_that_member() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    let (stg, stg_trail) = ("333333333333", "STG-CLOUDTRAIL");
    w.proxy.add_rule(
        Rule::on("sts", "AssumeRole")
            .role_contains(stg)
            .always(Fault::AccessDenied),
    );

    let out = w.apply();
    assert_eq!(out.code, 1, "{out}");
    let line = support::row(&out.stdout, stg).unwrap_or_else(|| panic!("{out}"));
    for part in [
        "STG",
        "FAILED",
        "AssumeRole",
        "AccessDenied",
        "runbooks/troubleshooting.md#assumerole-accessdenied",
    ] {
        assert!(line.contains(part), "{part:?} not in: {line}");
    }
    assert!(
        out.stdout
            .contains("summary: 4 accounts: 3 converged (3 changed, 0 unchanged), 1 failed"),
        "{out}"
    );
    for (id, name) in managed_trails(&MEMBERS) {
        if id == stg {
            assert_eq!(w.trail(&id, &name), None);
        } else {
            w.assert_onboarded(&id, &name);
        }
    }

    w.proxy.clear_rules();
    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    let line = again
        .stdout
        .lines()
        .find(|l| l.starts_with(stg))
        .unwrap_or_else(|| panic!("{again}"));
    assert!(line.contains("done: 2 changes to the trail"), "{line}");
    assert!(
        again
            .stdout
            .contains("summary: 4 accounts: 4 converged (1 changed, 3 unchanged), 0 failed"),
        "{again}"
    );
    w.assert_onboarded(stg, stg_trail);
}

/// Issue 2 §3: credentials for another account than central.account_id stop the run (exit 2) before
/// anything is written, with a message naming both accounts.
#[test]
fn wrong_caller_account_is_refused_before_any_write() {
    let w = World::start();
    let config = static_config(&MEMBERS).replacen(TEST_ACCOUNT_ID, "111111111111", 1);
    w.write_config(&config);

    for args in [&["apply", "--yes"][..], &["plan"], &["policy"]] {
        let out = w.trailhub(args);
        assert_eq!(out.code, 2, "{args:?}: {out}");
        assert!(out.stderr.contains("123456789012"), "{out}");
        assert!(out.stderr.contains("111111111111"), "{out}");
        assert!(out.stderr.contains("wrong account"), "{out}");
        assert!(out.stdout.is_empty(), "{out}");
    }
    let ops: Vec<String> = w.proxy.log().into_iter().map(|l| l.operation).collect();
    assert_eq!(ops, ["GetCallerIdentity"; 3], "only the caller is asked");
    assert!(w.proxy.writes().is_empty());
    assert!(w.buckets().is_empty());
}

/// Issue 2 §3: `policy` prints, pretty, exactly the policy `apply` then writes (minified); `plan --format
/// json` is data with a status per account, and reads only.
#[test]
fn policy_prints_what_apply_writes_and_plan_json_is_data() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));

    // Global options before the command.
    let plan = w.trailhub(&["--format", "json", "plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("{e}: {plan}"));
    assert_eq!(plan["bucket"], BUCKET);
    assert_eq!(plan["bucket_action"], "create");
    assert_eq!(plan["has_changes"], true);
    let accounts = plan["accounts"].as_array().unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            TEST_ACCOUNT_ID,
            "222222222222",
            "333333333333",
            "444444444444"
        ]
    );
    for a in accounts {
        assert_eq!(a["status"], "changes", "{a:#}");
        let actions: Vec<&str> = a["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["create", "start-logging"], "{a:#}");
    }
    assert_eq!(
        accounts[0]["trail_arn"],
        trail_arn(TEST_ACCOUNT_ID, CENTRAL_TRAIL)
    );

    // ... and after the command.
    let printed = w.trailhub(&["policy", "--format", "text"]);
    assert_eq!(printed.code, 0, "{printed}");
    let shown: Value =
        serde_json::from_str(&printed.stdout).unwrap_or_else(|e| panic!("{e}: {printed}"));
    assert_eq!(
        printed.stdout,
        serde_json::to_string_pretty(&shown).unwrap() + "\n",
        "pretty"
    );
    assert!(
        w.proxy.writes().is_empty(),
        "plan and policy read only: {:#?}",
        w.proxy.writes()
    );
    assert!(w.buckets().is_empty());

    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains(&format!("bucket {BUCKET}: created")),
        "{out}"
    );
    assert_hardened(&w);
    // Issue 21, point 5: moto's GetBucketVersioning answer, which the SDK cannot parse, is read (S3-15): a
    // plan after apply finds versioning on, and says nothing about it.
    let after = w.trailhub(&["plan"]);
    assert_eq!(after.code, 0, "{after}");
    assert!(
        !after.stdout.contains("cannot tell whether versioning"),
        "{after}"
    );
    let written = w.policy_text(BUCKET).unwrap();
    let written_value: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(written_value, shown);
    assert_eq!(
        written,
        serde_json::to_string(&shown).unwrap(),
        "minified, in the order shown"
    );
    assert!(
        files_in(&w.backup_dir()).is_empty(),
        "there was no policy to back up"
    );
}

/// Issue 2 §5.1: a bucket trailhub creates has Block Public Access on, versioning on and default encryption.
fn assert_hardened(w: &World) {
    let s3 = w.s3();
    w.rt.block_on(async {
        let block = s3
            .get_public_access_block()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap();
        let block = block.public_access_block_configuration().unwrap();
        assert_eq!(
            [
                block.block_public_acls(),
                block.ignore_public_acls(),
                block.block_public_policy(),
                block.restrict_public_buckets()
            ],
            [Some(true); 4]
        );
        let sse = s3
            .get_bucket_encryption()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap();
        let rules = sse.server_side_encryption_configuration().unwrap().rules();
        assert!(
            rules
                .iter()
                .any(|r| r.apply_server_side_encryption_by_default().is_some()),
            "{rules:?}"
        );
    });
    // moto answers GetBucketVersioning with a root element the SDK cannot parse: read it raw.
    let versioning = raw_get(w.moto.port(), &format!("/{BUCKET}?versioning"));
    assert!(
        versioning.contains("<Status>Enabled</Status>"),
        "{versioning}"
    );
}

/// An unsigned GET to moto (which checks no signature), answer as text.
fn raw_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Issue 2 §2: with `key_prefix`, trails deliver under it and the policy's prefixes carry it; a second
/// apply then has nothing to do.
#[test]
fn key_prefix_reaches_trails_and_policy_and_converges() {
    let w = World::start();
    let config =
        static_config(&MEMBERS).replace("[members]", "key_prefix = \"org/logs\"\n\n[members]");
    w.write_config(&config);

    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    let policy = w.policy();
    let write = statement(&policy, WRITE_SID);
    let mut want: Vec<String> = managed_trails(&MEMBERS)
        .iter()
        .map(|(id, _)| format!("arn:aws:s3:::{BUCKET}/org/logs/AWSLogs/{id}/*"))
        .collect();
    want.sort();
    assert_eq!(strings(&write["Resource"]), want);
    for (id, name) in managed_trails(&MEMBERS) {
        let ct = w.cloudtrail(&id);
        let trails =
            w.rt.block_on(ct.describe_trails().include_shadow_trails(false).send())
                .unwrap();
        let t = trails
            .trail_list()
            .iter()
            .find(|t| t.name() == Some(name.as_str()))
            .unwrap();
        assert_eq!(
            (t.s3_bucket_name(), t.s3_key_prefix()),
            (Some(BUCKET), Some("org/logs")),
            "{id}"
        );
    }

    w.proxy.clear_log();
    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("nothing to do"), "{again}");
    assert!(w.proxy.writes().is_empty(), "{:#?}", w.proxy.writes());
}

/// Issue 2 §3: without a terminal to ask on, apply without --yes refuses (exit 2) and writes nothing.
#[test]
fn apply_without_yes_and_without_a_terminal_refuses() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    let out = w.trailhub(&["apply"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("--yes"), "{out}");
    assert!(w.proxy.writes().is_empty(), "{:#?}", w.proxy.writes());
    assert!(w.buckets().is_empty());
}

/// Issue 10, point 4: the central bucket may live in another region than the trails (CloudTrail
/// delivers to a bucket in any region of the partition). Named in `central.bucket_region`, trailhub
/// creates it there; not named, HeadBucket's `x-amz-bucket-region` says where it is and trailhub talks to
/// it there.
#[test]
fn a_bucket_in_another_region_than_the_trails_is_reached_there() {
    let w = World::start();
    let one = &MEMBERS[..1];
    let with_region =
        static_config(one).replace("\n[members]", "bucket_region = \"eu-west-1\"\n\n[members]");
    w.write_config(&with_region);
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    let location =
        w.rt.block_on(w.s3().get_bucket_location().bucket(BUCKET).send())
            .unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some("eu-west-1")
    );
    for (id, name) in managed_trails(one) {
        w.assert_onboarded(&id, &name);
    }
    // without bucket_region: found by HeadBucket, and the second run changes nothing
    w.write_config(&static_config(one));
    let backups = w.backup_dir();
    let out = w.trailhub(&[
        "-v",
        "apply",
        "--yes",
        "--backup-dir",
        backups.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("nothing to do"), "{out}");
    assert!(
        out.stderr.contains("talking to it there") && out.stderr.contains("eu-west-1"),
        "{out}"
    );
}

/// Issue 10, point 3, over moto (which shows a multi-region trail homed elsewhere as a shadow trail with its
/// HomeRegion): a trail of trailhub's name made in another region is that account's clear failure, and
/// apply makes no second trail of that name in the central region.
#[test]
fn a_trail_of_trailhubs_name_homed_in_another_region_is_reported() {
    let w = World::start();
    let one = &MEMBERS[..1];
    let (id, name) = &managed_trails(one)[1];
    w.create_bucket(BUCKET);
    let elsewhere = {
        let config = w
            .account(id)
            .to_builder()
            .region(aws_config::Region::new("us-east-1"))
            .build();
        aws_sdk_cloudtrail::Client::new(&config)
    };
    w.rt.block_on(
        elsewhere
            .create_trail()
            .name(name)
            .s3_bucket_name(BUCKET)
            .is_multi_region_trail(true)
            .send(),
    )
    .unwrap();
    w.write_config(&static_config(one));
    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 1, "{plan}");
    assert!(
        plan.stdout.contains("TrailHomedElsewhere") && plan.stdout.contains("homed in us-east-1"),
        "{plan}"
    );
    let out = w.apply();
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(
        w.trail(id, name),
        None,
        "no trail of that name homed in the central region"
    );
}

/// Issue 13, part 2, against moto: an account taken out of accounts.toml keeps its entries until
/// `--prune`; `plan --prune` shows each with `-`, `apply --prune` removes them (backed up first), and a
/// second `apply --prune` has nothing to do.
#[test]
fn prune_removes_the_entries_of_an_account_taken_out_of_the_file() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS[..2]));
    assert_eq!(w.apply().code, 0);
    let (gone, gone_name) = MEMBERS[1];
    w.write_config(&static_config(&MEMBERS[..1]));
    let kept = w.apply();
    assert_eq!(kept.code, 0, "{kept}");
    assert!(
        w.policy_text(BUCKET).unwrap().contains(gone),
        "kept without --prune"
    );

    let plan = w.trailhub(&["plan", "--prune"]);
    assert_eq!(plan.code, 0, "{plan}");
    let trail = trail_arn(gone, &format!("{gone_name}-CLOUDTRAIL"));
    assert!(
        support::says(
            &plan.stdout,
            &format!("  - {trail} (account no longer in scope: removed, --prune)")
        ),
        "{plan}"
    );
    let backups = w.backup_dir();
    let out = w.trailhub(&[
        "apply",
        "--yes",
        "--prune",
        "--backup-dir",
        backups.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(!w.policy_text(BUCKET).unwrap().contains(gone), "{out}");
    let again = w.trailhub(&[
        "apply",
        "--yes",
        "--prune",
        "--backup-dir",
        backups.to_str().unwrap(),
    ]);
    assert!(again.stdout.starts_with("nothing to do"), "{again}");
}

/// Issue 13, part 2, against moto: an account taken out of accounts.toml is offboarded by its trail's name
/// (the file no longer says it): without `--trail` offboard finds it (its one trail that fits the template
/// and delivers to the bucket, issue 23 point 6); without `--yes` off a terminal it shows what it will do
/// and refuses (exit 2); with it, the trail goes and its entries with it.
#[test]
fn offboard_an_account_taken_out_of_the_file_by_its_trails_name() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS[..2]));
    assert_eq!(w.apply().code, 0);
    let (gone, gone_name) = MEMBERS[1];
    let trail = format!("{gone_name}-CLOUDTRAIL");
    w.write_config(&static_config(&MEMBERS[..1]));

    let unattended = w.trailhub(&["offboard", gone]);
    assert_eq!(unattended.code, 2, "{unattended}");
    assert!(unattended.stderr.contains("without --yes"), "{unattended}");
    assert!(
        unattended
            .stdout
            .contains(&format!("  - trail {trail}: will be deleted")),
        "{unattended}"
    );
    let named = w.trailhub(&["offboard", gone, "--trail", &trail]);
    assert_eq!(named.code, 2, "{named}");
    assert!(named.stderr.contains("without --yes"), "{named}");
    assert!(w.trail(gone, &trail).is_some(), "nothing done");

    let out = w.trailhub(&["offboard", gone, "--yes", "--format", "json"]);
    assert_eq!(out.code, 0, "{out}");
    let v: Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(v["outcome"], "offboarded", "{v}");
    assert_eq!(v["done"]["trail_deleted"], trail.as_str(), "{v}");
    assert_eq!(w.trail(gone, &trail), None);
    assert!(!w.policy_text(BUCKET).unwrap().contains(gone));
    assert!(w.apply().stdout.starts_with("nothing to do"));
}
