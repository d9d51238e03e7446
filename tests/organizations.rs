//! `source = "organizations"` against moto's AWS Organizations (issue 2, §6 and §7): every page of
//! ListAccounts is followed, and every ACTIVE account but central and the excluded ones gets its trail.

mod support;

use aws_sdk_organizations::types::OrganizationFeatureSet;
use support::TEST_ACCOUNT_ID;
use support::trailhub::{
    BUCKET, CENTRAL_TRAIL, REGION, World, log_prefix, source_arns, statement, strings, trail_arn,
};

/// Creates the organization (moto's caller account is its management account) and one account per name;
/// returns their ids, in the order of `names` (moto picks random 12-digit ids).
fn organization(w: &World, names: &[String]) -> Vec<String> {
    let orgs = aws_sdk_organizations::Client::new(&w.sdk);
    w.rt.block_on(async {
        orgs.create_organization()
            .feature_set(OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let out = orgs
                .create_account()
                .account_name(name)
                .email(format!("aws+{i}@example.com"))
                .send()
                .await
                .unwrap();
            ids.push(
                out.create_account_status()
                    .unwrap()
                    .account_id()
                    .unwrap()
                    .to_owned(),
            );
        }
        ids
    })
}

fn org_config(exclude: &[&str]) -> String {
    let exclude: Vec<String> = exclude.iter().map(|id| format!("\"{id}\"")).collect();
    format!(
        r#"[central]
account_id = "{TEST_ACCOUNT_ID}"
bucket = "{BUCKET}"
region = "{REGION}"
trail_name = "{CENTRAL_TRAIL}"

[members]
source = "organizations"
trail_name = "{{name}}-CLOUDTRAIL"
exclude = [{}]
"#,
        exclude.join(", ")
    )
}

/// Issue 2 §7: 25 members, read 5 at a time; names with spaces and brackets still make valid trail names;
/// an excluded account is left alone.
#[test]
fn every_organization_account_is_onboarded_across_pages() {
    let w = World::start();
    let mut names: Vec<String> = (1..=25).map(|i| format!("Team {i:02} (prod)")).collect();
    names.push("Sandbox".to_owned());
    let ids = organization(&w, &names);
    let sandbox = ids[25].as_str();
    w.write_config(&org_config(&[sandbox]));

    let backups = w.backup_dir();
    let out = w.trailhub(&[
        "apply",
        "--yes",
        "--backup-dir",
        backups.to_str().unwrap(),
        "--org-page-size",
        "5",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("summary: 26 accounts: 26 converged (26 changed, 0 unchanged), 0 failed"),
        "{out}"
    );
    // 27 accounts (25 members, the excluded one, the management account), 5 a page: 6 pages at least.
    assert!(
        w.proxy.count("ListAccounts") >= 6,
        "ListAccounts x{}",
        w.proxy.count("ListAccounts")
    );

    let mut trails = vec![(TEST_ACCOUNT_ID.to_owned(), CENTRAL_TRAIL.to_owned())];
    for (i, id) in ids[..25].iter().enumerate() {
        trails.push((id.clone(), format!("Team-{:02}-prod-CLOUDTRAIL", i + 1)));
    }
    for (id, name) in &trails {
        w.assert_onboarded(id, name);
    }
    let ct = w.cloudtrail(sandbox);
    let sandbox_trails = w.rt.block_on(ct.describe_trails().send()).unwrap();
    assert!(
        sandbox_trails.trail_list().is_empty(),
        "the excluded account is left alone: {sandbox_trails:?}"
    );

    let policy = w.policy();
    let mut want_arns: Vec<String> = trails
        .iter()
        .map(|(id, name)| trail_arn(id, name))
        .collect();
    want_arns.sort();
    let mut want_prefixes: Vec<String> = trails.iter().map(|(id, _)| log_prefix(id)).collect();
    want_prefixes.sort();
    let write = statement(&policy, "AWSCloudTrailWrite20150319");
    assert_eq!(
        source_arns(statement(&policy, "AWSCloudTrailAclCheck20150319")),
        want_arns
    );
    assert_eq!(source_arns(write), want_arns);
    assert_eq!(strings(&write["Resource"]), want_prefixes);
}

/// Issue 2 §2: an Organizations account whose name gives no valid trail name is a clear error for that
/// account (named, with the reason), exit 1; the others are still onboarded.
#[test]
fn organization_account_whose_name_makes_no_trail_name_is_reported_and_others_converge() {
    let w = World::start();
    let ids = organization(&w, &["Payments".to_owned(), "日本".to_owned()]);
    w.write_config(&org_config(&[]));

    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 1, "{plan}");
    let line = plan
        .stdout
        .lines()
        .find(|l| l.starts_with(&ids[1]))
        .unwrap_or_else(|| panic!("{plan}"));
    assert!(
        line.contains("cannot plan") && line.contains("\"-CLOUDTRAIL\""),
        "{line}"
    );

    let out = w.apply();
    assert_eq!(out.code, 1, "{out}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(&ids[1]))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("FAILED") && line.contains("not valid"),
        "{line}"
    );
    assert!(
        out.stdout
            .contains("summary: 3 accounts: 2 converged (2 changed, 0 unchanged), 1 failed"),
        "{out}"
    );
    w.assert_onboarded(&ids[0], "Payments-CLOUDTRAIL");
    w.assert_onboarded(TEST_ACCOUNT_ID, CENTRAL_TRAIL);
}
