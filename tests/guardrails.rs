//! Issue 25 (prevention) against moto, as a new user would try it: over a moto organization with an OU, one
//! apply with `[guardrails]` writes trailhub's SCP and attaches it to the OU; an SCP detached behind
//! trailhub's back is `unguarded` in the audit for every account of the OU; the next apply attaches it
//! again; a third writes nothing. moto does not enforce SCP limits nor apply SCPs (tests/MOTO-SCP.md): those
//! are tested over the fake and the policy evaluator.

use crate::support;

use aws_sdk_organizations::types::{OrganizationFeatureSet, PolicyType};
use serde_json::Value;
use support::TEST_ACCOUNT_ID;
use support::trailhub::{BUCKET, REGION, World};

/// The organization (moto's caller is its management account), an OU below the root and two accounts in
/// it: the OU's ID and the accounts' IDs.
fn organization(w: &World) -> (String, Vec<String>) {
    let orgs = aws_sdk_organizations::Client::new(&w.sdk);
    w.rt.block_on(async {
        orgs.create_organization()
            .feature_set(OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
        let root = orgs.list_roots().send().await.unwrap().roots()[0]
            .id()
            .unwrap()
            .to_owned();
        let ou = orgs
            .create_organizational_unit()
            .parent_id(&root)
            .name("Workloads")
            .send()
            .await
            .unwrap();
        let ou = ou.organizational_unit().unwrap().id().unwrap().to_owned();
        let mut ids = Vec::new();
        for i in 0..2 {
            let out = orgs
                .create_account()
                .account_name(format!("Prod{i}"))
                .email(format!("aws+g{i}@example.com"))
                .send()
                .await
                .unwrap();
            let id = out
                .create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_owned();
            orgs.move_account()
                .account_id(&id)
                .source_parent_id(&root)
                .destination_parent_id(&ou)
                .send()
                .await
                .unwrap();
            ids.push(id);
        }
        (ou, ids)
    })
}

/// The IDs of the SCPs attached right at `target`.
fn attached(w: &World, target: &str) -> Vec<(String, String)> {
    let orgs = aws_sdk_organizations::Client::new(&w.sdk);
    let out =
        w.rt.block_on(
            orgs.list_policies_for_target()
                .target_id(target)
                .filter(PolicyType::ServiceControlPolicy)
                .send(),
        )
        .unwrap();
    out.policies()
        .iter()
        .map(|p| (p.id().unwrap().to_owned(), p.name().unwrap().to_owned()))
        .collect()
}

/// The accounts the audit flags `unguarded`.
fn unguarded(w: &World) -> Vec<String> {
    let out = w.trailhub(&["audit", "--format", "json"]);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    let mut ids: Vec<String> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["code"] == "unguarded")
        })
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn apply_guards_the_ou_a_detachment_is_flagged_and_repaired_and_a_third_apply_writes_nothing() {
    let w = World::start();
    let (ou, mut ids) = organization(&w);
    ids.sort();
    w.write_config(&format!(
        "[central]\naccount_id = \"{TEST_ACCOUNT_ID}\"\nbucket = \"{BUCKET}\"\nregion = \"{REGION}\"\n\n[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\nrole_name = \"TrailhubMember\"\norganizational_units = [\"{ou}\"]\n\n[guardrails]\n"
    ));
    let backups = w.backup_dir();
    let apply = || w.trailhub(&["apply", "--yes", "--backup-dir", backups.to_str().unwrap()]);

    let first = apply();
    assert_eq!(first.code, 0, "{first}");
    assert!(
        first.stdout.contains(&format!(
            "scp trailhub-protect-logging: created; attached to {ou}"
        )),
        "{first}"
    );
    assert!(
        support::says(&first.stdout, "SCPs do not apply to it"),
        "{first}"
    );
    let ours = attached(&w, &ou);
    let (id, _) = ours
        .iter()
        .find(|(_, name)| name == "trailhub-protect-logging")
        .unwrap_or_else(|| panic!("{ours:?}"))
        .clone();
    assert!(unguarded(&w).is_empty());

    // detached behind trailhub's back: both accounts of the OU are flagged
    let orgs = aws_sdk_organizations::Client::new(&w.sdk);
    w.rt.block_on(orgs.detach_policy().policy_id(&id).target_id(&ou).send())
        .unwrap();
    assert_eq!(unguarded(&w), ids);

    let second = apply();
    assert_eq!(second.code, 0, "{second}");
    assert!(
        second.stdout.contains(&format!("attached to {ou}")),
        "{second}"
    );
    assert!(unguarded(&w).is_empty());

    let third = apply();
    assert_eq!(third.code, 0, "{third}");
    assert!(third.stdout.starts_with("nothing to do"), "{third}");
}
