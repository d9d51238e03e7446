//! `source = "organizations"` against moto's AWS Organizations (issue 2, §6 and §7): every page of
//! ListAccounts is followed, and every ACTIVE account but central and the excluded ones gets its trail.

use crate::support;

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
    let line = support::row(&plan.stdout, &ids[1]).unwrap_or_else(|| panic!("{plan}"));
    assert!(
        line.contains("cannot plan") && line.contains("\"-CLOUDTRAIL\""),
        "{line}"
    );

    let out = w.apply();
    assert_eq!(out.code, 1, "{out}");
    let line = support::row(&out.stdout, &ids[1]).unwrap_or_else(|| panic!("{out}"));
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

/// Issue 13, part 1, against moto: OUs made and accounts moved into them; `organizational_units` scopes
/// the run to one OU and everything below it but an excluded OU; plan and the audit name each account's
/// OU path, and the audit sums coverage per OU. moto's ListAccountsForParent and
/// ListOrganizationalUnitsForParent are what the walk calls (no ListAccounts).
#[test]
fn organizational_units_scope_the_run_and_name_each_accounts_path() {
    let w = World::start();
    let names: Vec<String> = ["Prod-A", "Prod-B", "Dev-A", "Loose"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ids = organization(&w, &names);
    let orgs = aws_sdk_organizations::Client::new(&w.sdk);
    let (workloads, dev) = w.rt.block_on(async {
        let root = orgs.list_roots().send().await.unwrap().roots()[0]
            .id()
            .unwrap()
            .to_owned();
        let ou = |parent: String, name: &'static str| {
            let orgs = orgs.clone();
            async move {
                orgs.create_organizational_unit()
                    .parent_id(parent)
                    .name(name)
                    .send()
                    .await
                    .unwrap()
                    .organizational_unit()
                    .unwrap()
                    .id()
                    .unwrap()
                    .to_owned()
            }
        };
        let workloads = ou(root.clone(), "Workloads").await;
        let prod = ou(workloads.clone(), "Prod").await;
        let dev = ou(workloads.clone(), "Dev").await;
        for (id, to) in [(&ids[0], &prod), (&ids[1], &prod), (&ids[2], &dev)] {
            orgs.move_account()
                .account_id(id)
                .source_parent_id(&root)
                .destination_parent_id(to)
                .send()
                .await
                .unwrap();
        }
        (workloads, dev)
    });
    let config = org_config(&[]).replace(
        "exclude = []",
        &format!(
            "exclude = []\norganizational_units = [\"{workloads}\"]\nexclude_organizational_units = [\"{dev}\"]"
        ),
    );
    w.write_config(&config);
    let plan = w.trailhub(&["plan", "--format", "json"]);
    assert_eq!(plan.code, 0, "{plan}");
    let p: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let accounts: Vec<(String, Option<String>)> = p["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["ou"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let mut want = vec![
        (TEST_ACCOUNT_ID.to_owned(), None),
        (ids[0].clone(), Some("Root/Workloads/Prod".to_owned())),
        (ids[1].clone(), Some("Root/Workloads/Prod".to_owned())),
    ];
    want[1..].sort();
    assert_eq!(accounts, want, "{plan}");
    assert_eq!(w.proxy.count("ListAccounts"), 0);
    assert!(w.proxy.count("ListAccountsForParent") >= 4);

    assert_eq!(w.apply().code, 0);
    let audit = w.trailhub(&["audit"]);
    assert!(
        audit.stdout.contains("  Root/Workloads/Prod: 2/2 accounts"),
        "{audit}"
    );

    let typo = config.replace(&workloads, "ou-zzzz-zzzzzzzz");
    w.write_config(&typo);
    let out = w.trailhub(&["plan"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("ou-zzzz-zzzzzzzz") && out.stderr.contains("is not a root or OU"),
        "{out}"
    );
}

/// Issue 13, part 2, against moto: `offboard` takes trailhub out of an account excluded from scope (its
/// trail deleted, its policy entries removed, backed up), after which `apply` has nothing to do; an account
/// still in scope, or not in the organization, is refused with exit 2 before anything is done.
#[test]
fn offboard_takes_an_excluded_account_out_and_refuses_the_others() {
    let w = World::start();
    let names: Vec<String> = ["Stays", "Leaves"].iter().map(|s| s.to_string()).collect();
    let ids = organization(&w, &names);
    w.write_config(&org_config(&[]));
    assert_eq!(w.apply().code, 0);
    let (stays, leaves) = (ids[0].as_str(), ids[1].as_str());
    assert!(w.trail(leaves, "Leaves-CLOUDTRAIL").is_some());

    let still = w.trailhub(&["offboard", leaves, "--yes"]);
    assert_eq!(still.code, 2, "{still}");
    assert!(still.stderr.contains("still in scope"), "{still}");

    w.write_config(&org_config(&[leaves]));
    let backups = w.backup_dir();
    let out = w.trailhub(&[
        "offboard",
        leaves,
        "--yes",
        "--backup-dir",
        backups.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("  - trail Leaves-CLOUDTRAIL: will be deleted"),
        "{out}"
    );
    assert!(
        out.stdout.contains(&format!(
            "deleted trail Leaves-CLOUDTRAIL in account {leaves}"
        )),
        "{out}"
    );
    assert!(
        out.stdout.contains(&format!("account {leaves} offboarded")),
        "{out}"
    );
    assert_eq!(w.trail(leaves, "Leaves-CLOUDTRAIL"), None);
    let policy = w.policy_text(BUCKET).unwrap();
    assert!(
        !policy.contains(leaves) && policy.contains(stays),
        "{policy}"
    );
    assert!(
        !support::trailhub::files_in(&backups).is_empty(),
        "backed up first"
    );

    let again = w.apply();
    assert!(again.stdout.starts_with("nothing to do"), "{again}");
    let twice = w.trailhub(&["offboard", leaves, "--yes"]);
    assert_eq!(twice.code, 2, "{twice}");
    assert!(twice.stderr.contains("nothing of trailhub's"), "{twice}");

    let stranger = w.trailhub(&["offboard", "999999999999", "--yes"]);
    assert_eq!(stranger.code, 2, "{stranger}");
    assert!(
        stranger.stderr.contains("not in the organization"),
        "{stranger}"
    );
}

/// Issue 20, point 1 (CT-16): trailhub reads an organization trail by its ARN, as AWS requires of a
/// member. moto answers GetTrailStatus and GetEventSelectors by ARN as by name: the management account's
/// organization trail, read so, is seen to cover the central account (moto shows it in no member).
#[test]
fn an_organization_trail_read_by_arn_covers_the_management_account() {
    use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
    let w = World::start();
    organization(&w, &["Dev".to_owned()]);
    w.create_bucket(BUCKET);
    let ct = w.cloudtrail(TEST_ACCOUNT_ID);
    w.rt.block_on(async {
        ct.create_trail()
            .name("OrgTrail")
            .s3_bucket_name(BUCKET)
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true)
            .is_organization_trail(true)
            .send()
            .await
            .unwrap();
        let all = EventSelector::builder()
            .read_write_type(ReadWriteType::All)
            .include_management_events(true)
            .build();
        ct.put_event_selectors()
            .trail_name("OrgTrail")
            .event_selectors(all)
            .send()
            .await
            .unwrap();
        ct.start_logging().name("OrgTrail").send().await.unwrap();
    });
    w.write_config(&org_config(&[]));
    let out = w.trailhub(&["plan"]);
    let org_arn = trail_arn(TEST_ACCOUNT_ID, "OrgTrail");
    let central = support::row(&out.stdout, TEST_ACCOUNT_ID);
    assert!(
        central.is_some_and(|l| l.contains(&format!("covered by {org_arn}"))),
        "{out}"
    );
}

/// Issue 20's done-criterion, as a new user tries it: an organization whose central bucket already holds
/// AWS's data-perimeter statements (aws-samples/data-perimeter-policy-examples: the identity perimeter and
/// the confused-deputy protection, scoped to the bucket) and a TLS Deny. `plan` and `apply` onboard every
/// member, a second `apply` changes nothing, the audit finds no gap of policy, and the statements are kept
/// verbatim. Before `aws:PrincipalIsAWSService` was in the evaluator's request context, every account was
/// blocked by `EnforceOrgIdentities` here.
#[test]
fn data_perimeter_statements_on_the_bucket_let_every_member_onboard_and_are_kept() {
    let w = World::start();
    let ids = organization(&w, &["DEV".to_owned(), "STG".to_owned(), "PRD".to_owned()]);
    let orgs = aws_sdk_organizations::Client::new(&w.sdk);
    let org_id = w.rt.block_on(orgs.describe_organization().send()).unwrap();
    let org_id = org_id.organization().unwrap().id().unwrap().to_owned();
    w.create_bucket(BUCKET);
    let b = format!("arn:aws:s3:::{BUCKET}");
    let perimeter = serde_json::json!([
        {"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [b, format!("{b}/*")],
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id,
                                                    "aws:ResourceTag/dp:exclude:identity": "true"},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
        {"Sid": "EnforceConfusedDeputyProtection", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [b, format!("{b}/*")],
         "Condition": {"StringNotEqualsIfExists": {"aws:SourceOrgID": org_id,
                                                    "aws:ResourceTag/dp:exclude:identity": "true"},
                       "Null": {"aws:SourceAccount": "false"},
                       "Bool": {"aws:PrincipalIsAWSService": "true"}}},
        {"Sid": "EnforceSecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [b, format!("{b}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]);
    let live = serde_json::json!({"Version": "2012-10-17", "Statement": perimeter});
    w.put_policy(BUCKET, &live.to_string());
    w.write_config(&org_config(&[]));

    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    assert!(
        plan.stdout
            .contains("4 accounts to change, 0 up to date, 0 cannot be planned"),
        "{plan}"
    );
    let backups = w.backup_dir();
    let apply = ["apply", "--yes", "--backup-dir", backups.to_str().unwrap()];
    let out = w.trailhub(&apply);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("4 converged (4 changed, 0 unchanged), 0 failed"),
        "{out}"
    );
    let again = w.trailhub(&apply);
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("nothing to do"), "{again}");
    let audit = w.trailhub(&["audit"]);
    assert!(!audit.stdout.contains("policy-denies"), "{audit}");
    assert!(audit.stdout.contains("coverage: 4/4 accounts"), "{audit}");

    let policy = w.policy();
    let statements = policy["Statement"].as_array().unwrap();
    for kept in perimeter.as_array().unwrap() {
        assert!(
            statements.contains(kept),
            "{kept} was not kept verbatim: {policy:#}"
        );
    }
    for (id, name) in ids.iter().zip(["DEV", "STG", "PRD"]) {
        w.assert_onboarded(id, &format!("{name}-CLOUDTRAIL"));
    }
}
