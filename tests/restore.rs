//! `trailhub restore-policy BACKUP.json` (issue 4): puts a backed-up bucket policy back byte for byte,
//! backs up the current one first, names the trails the restored policy no longer lets write, asks like
//! apply does; and a later `apply` converges again.

use crate::support;

use serde_json::{Value, json};
use support::trailhub::{BUCKET, MEMBERS, World, files_in, managed_trails, static_config};

const ACL_SID: &str = "AWSCloudTrailAclCheck20150319";
const WRITE_SID: &str = "AWSCloudTrailWrite20150319";
const TWO: [(&str, &str); 2] = [MEMBERS[0], MEMBERS[1]];

/// A team's policy as a person leaves it: pretty, with a foreign Deny and the console's statements for
/// another trail. Restoring must give back this very text, whitespace and key order included.
fn team_policy() -> String {
    let p = support::trailhub::team_policy();
    // tabs and a trailing newline, which no serializer of trailhub's would write
    serde_json::to_string_pretty(&p)
        .unwrap()
        .replace("  ", "\t")
        + "\n"
}

/// Applies over the team's policy; returns the backup apply made of it.
fn applied(w: &World) -> std::path::PathBuf {
    w.write_config(&static_config(&TWO));
    w.create_bucket(BUCKET);
    w.put_policy(BUCKET, &team_policy());
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    let backups = files_in(&w.backup_dir());
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(std::fs::read_to_string(&backups[0]).unwrap(), team_policy());
    backups[0].clone()
}

#[test]
fn restore_puts_the_original_back_byte_for_byte_then_apply_converges() {
    let w = World::start();
    let backup = applied(&w);
    let merged = w.policy_text(BUCKET).unwrap();
    assert_ne!(merged, team_policy());

    // restore
    w.proxy.clear_log();
    let restore_dir = w.dir.path().join("restore-backups");
    let out = w.trailhub(&[
        "restore-policy",
        backup.to_str().unwrap(),
        "--yes",
        "--backup-dir",
        restore_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        w.policy_text(BUCKET).as_deref(),
        Some(team_policy().as_str()),
        "byte for byte"
    );
    // what it showed: the two statements that change, going and coming back; the foreign one not at all
    for line in [
        format!("  - statement {ACL_SID} (as it is now) goes"),
        format!("  - statement {WRITE_SID} (as it is now) goes"),
        format!("  + statement {ACL_SID} (as it was) comes back"),
        format!("  + statement {WRITE_SID} (as it was) comes back"),
        "policy: restored and read back".to_owned(),
    ] {
        assert!(out.stdout.lines().any(|l| l == line), "{line:?}: {out}");
    }
    assert!(!out.stdout.contains("DenyInsecureTransport"), "{out}");
    // the current one was backed up first, as it was
    let saved = files_in(&restore_dir);
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(std::fs::read_to_string(&saved[0]).unwrap(), merged);
    assert!(
        out.stdout.contains(&format!(
            "policy: the current one backed up to {}",
            saved[0].display()
        )),
        "{out}"
    );
    // which trails may no longer write: all three of ours
    let warning = out
        .stdout
        .lines()
        .find(|l| l.starts_with("warning: the restored policy does not let these trails write: "))
        .unwrap_or_else(|| panic!("{out}"));
    for (id, name) in [
        ("123456789012", "central"),
        ("222222222222", "DEV"),
        ("333333333333", "STG"),
    ] {
        assert!(warning.contains(&format!("{id} ({name})")), "{warning}");
    }
    assert!(
        warning.contains("`trailhub apply` adds them back"),
        "{warning}"
    );
    // one write: the policy; the trails are left as they are
    let writes: Vec<String> = w.proxy.writes().into_iter().map(|l| l.operation).collect();
    assert_eq!(writes, ["PutBucketPolicy"]);
    for (id, name) in managed_trails(&TWO) {
        w.assert_onboarded(&id, &name);
    }

    // restoring again: nothing to do, nothing written
    w.proxy.clear_log();
    let again = w.trailhub(&[
        "restore-policy",
        backup.to_str().unwrap(),
        "--yes",
        "--backup-dir",
        restore_dir.to_str().unwrap(),
    ]);
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("nothing to do"), "{again}");
    assert!(w.proxy.writes().is_empty(), "{:#?}", w.proxy.writes());
    assert_eq!(files_in(&restore_dir).len(), 1);

    // apply converges again: our entries back, theirs kept, the restored text backed up
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        w.policy_text(BUCKET).unwrap(),
        merged,
        "the same merge as before"
    );
    let backups = files_in(&w.backup_dir());
    assert_eq!(backups.len(), 2, "{backups:?}");
    assert!(
        backups
            .iter()
            .all(|b| std::fs::read_to_string(b).unwrap() == team_policy()),
        "both backups hold the team's text"
    );
    w.proxy.clear_log();
    let settled = w.apply();
    assert_eq!(settled.code, 0, "{settled}");
    assert!(settled.stdout.contains("nothing to do"), "{settled}");
    assert!(w.proxy.writes().is_empty(), "{:#?}", w.proxy.writes());
}

#[test]
fn restore_without_yes_and_without_a_terminal_refuses_and_writes_nothing() {
    let w = World::start();
    let backup = applied(&w);
    let merged = w.policy_text(BUCKET).unwrap();
    w.proxy.clear_log();
    let restore_dir = w.dir.path().join("restore-backups");
    let out = w.trailhub(&[
        "restore-policy",
        backup.to_str().unwrap(),
        "--backup-dir",
        restore_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr
            .contains("refusing to restore the bucket policy without --yes"),
        "{out}"
    );
    assert!(out.stdout.is_empty(), "{out}");
    assert!(
        w.proxy.log().is_empty(),
        "not even a read: {:#?}",
        w.proxy.log()
    );
    assert_eq!(w.policy_text(BUCKET).unwrap(), merged);
    assert!(!restore_dir.exists());
}

/// A backup of a bucket that had no trailhub statements restores just as well, and the warning then names
/// every trail; the restored policy's foreign statement is the team's, unchanged.
#[test]
fn restore_of_a_policy_trailhub_never_touched_warns_for_every_trail() {
    let w = World::start();
    w.write_config(&static_config(&TWO));
    w.create_bucket(BUCKET);
    let original = serde_json::to_string_pretty(&json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "ReadOnlyAuditors", "Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
                       "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*")}]
    }))
    .unwrap();
    w.put_policy(BUCKET, &original);
    assert_eq!(w.apply().code, 0);
    let backup = files_in(&w.backup_dir()).remove(0);
    let restore_dir = w.dir.path().join("restore-backups");
    let out = w.trailhub(&[
        "restore-policy",
        backup.to_str().unwrap(),
        "--yes",
        "--backup-dir",
        restore_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(w.policy_text(BUCKET).unwrap(), original);
    let p: Value = serde_json::from_str(&original).unwrap();
    assert_eq!(w.policy()["Statement"], p["Statement"]);
    assert!(
        out.stdout.contains(
            "warning: the restored policy does not let these trails write: 123456789012 (central), 222222222222 (DEV), 333333333333 (STG)"
        ),
        "{out}"
    );
}
