//! `trailhub permissions` against moto's IAM enforcement (issue 13, part 3): a run as an IAM user holding
//! exactly the printed central policy, through a member role holding exactly the printed member policy,
//! succeeds; the same run without one action fails at the call that needs it, and says which. What moto
//! checks and what it does not is in tests/MOTO-IAM.md.

use crate::support;

use aws_credential_types::Credentials;
use serde_json::{Value, json};
use support::trailhub::{BUCKET, Out, ROLE, run, static_config};
use support::{Moto, TEST_ACCOUNT_ID, sdk_config};

/// One member: its setup takes three of moto's unauthenticated calls.
const MEMBER: (&str, &str) = ("222222222222", "DEV");
const USER: &str = "trailhub";

/// The policies `trailhub permissions --format json [--read-only]` prints for `config` (no AWS call: no
/// endpoint).
fn printed(dir: &std::path::Path) -> (Value, Value) {
    printed_with(dir, &[])
}

fn printed_with(dir: &std::path::Path, flags: &[&str]) -> (Value, Value) {
    let config = dir.join("accounts.toml");
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
        "permissions",
    ];
    args.extend_from_slice(flags);
    let out = run("http://127.0.0.1:9", &args, &[]);
    assert_eq!(out.code, 0, "{out}");
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    (v["central"].clone(), v["member"].clone())
}

/// moto names HeadBucket's action `s3:HeadBucket` (AWS: `s3:ListBucket`, which the policy grants); the only
/// statement the tests add to a printed policy (tests/MOTO-IAM.md).
fn with_moto_head_bucket(mut policy: Value) -> Value {
    let quirk = json!({"Sid": "MotoHeadBucket", "Effect": "Allow", "Action": "s3:HeadBucket",
                       "Resource": format!("arn:aws:s3:::{BUCKET}")});
    policy["Statement"].as_array_mut().unwrap().push(quirk);
    policy
}

/// The services whose requests moto authorizes against a resource: S3 (the bucket or object ARN), IAM (the
/// role's ARN) and STS (the role asked for). moto 5.2.1 checks every other request against the resource
/// `*` (`moto/core/responses.py` `call_action`: `_determine_resource` exists for SQS, IAM and STS only; S3
/// has its own), and matches a statement's `Resource` against that `*` as a regular expression
/// (`moto/iam/access_control.py` `_match`), so `arn:aws:cloudtrail:*:*:trail/*-CLOUDTRAIL` never matches it.
const MOTO_CHECKS_RESOURCE: [&str; 3] = ["s3:", "iam:", "sts:"];

/// `policy` as moto can evaluate it: a statement scoped to ARNs of a service moto checks against `*` only
/// (the `Trails` and `LogGroups` writes, issue 21) on `*` in moto, its actions unchanged, so that the test
/// still proves every action is granted; that the scope covers trailhub's own trails and log groups, and no
/// other, rests on the fake-driven test (`src/permissions/tests/fake.rs` `assert_scoped`).
fn as_moto_checks(mut policy: Value) -> Value {
    for s in policy["Statement"].as_array_mut().unwrap() {
        let actions: Vec<String> = match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(list) => list
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect(),
            other => panic!("Action {other}"),
        };
        let unchecked = actions
            .iter()
            .all(|a| !MOTO_CHECKS_RESOURCE.iter().any(|p| a.starts_with(p)));
        if unchecked && s["Resource"] != "*" {
            s["Resource"] = json!("*");
        }
    }
    policy
}

/// moto authorizes every call on a role that does not exist yet (GetRole, GetRolePolicy, CreateRole before
/// it is made), and every call on a managed policy (CreatePolicy, GetPolicy, GetPolicyVersion), against the
/// resource `*` (`moto/iam/responses.py` `_determine_resource`: the role's ARN only for a `RoleName` that
/// exists): the delivery role statements and the boundary policy's also name `*` in moto. Their actions and
/// conditions are unchanged; the scope rests on trailhub's evaluator and iam-simulate
/// (`src/permissions/tests/boundary.rs`, `tests/second_opinion.rs`).
fn with_moto_iam_resources(mut policy: Value) -> Value {
    for s in policy["Statement"].as_array_mut().unwrap() {
        let resources = s["Resource"].to_string();
        if resources.contains(":role/Trailhub") && resources.contains("ToLogs")
            || resources.contains(":policy/trailhub-delivery-boundary")
        {
            let mut resources = match &s["Resource"] {
                Value::Array(list) => list.clone(),
                one => vec![one.clone()],
            };
            resources.push(json!("*"));
            s["Resource"] = json!(resources);
        }
    }
    policy
}

/// `policy` without `action` (which it must have had).
fn without(mut policy: Value, action: &str) -> Value {
    let mut found = false;
    for s in policy["Statement"].as_array_mut().unwrap() {
        let actions = match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(list) => list
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect(),
            other => panic!("Action {other}"),
        };
        found |= actions.iter().any(|a| a == action);
        let kept: Vec<String> = actions.into_iter().filter(|a| a != action).collect();
        s["Action"] = json!(kept);
    }
    assert!(found, "{action} is not in the policy");
    policy["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| !s["Action"].as_array().unwrap().is_empty());
    policy
}

/// A moto that checks IAM policies once it has made the IAM user with
/// `central` and the member role with `member`; the user's access key.
struct Enforced {
    moto: Moto,
    key: (String, String),
}

/// One identity trailhub runs as: its IAM user in the central account, holding `central`, and its role in
/// the member, holding `member`.
struct Identity<'a> {
    user: &'a str,
    role: &'a str,
    central: &'a Value,
    member: &'a Value,
}

fn enforced(central: &Value, member: &Value) -> Enforced {
    let identity = Identity {
        user: USER,
        role: ROLE,
        central,
        member,
    };
    let (moto, mut keys) = enforced_for(&[identity]);
    Enforced {
        moto,
        key: keys.remove(0),
    }
}

/// A moto that checks IAM policies once `identities` are made (three calls per user, then AssumeRole into
/// the member and two calls per role); each user's access key.
fn enforced_for(identities: &[Identity]) -> (Moto, Vec<(String, String)>) {
    let count = (5 * identities.len() + 1).to_string();
    let moto = Moto::start_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", &count)]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let keys = rt.block_on(async {
        let sdk = sdk_config(&moto.url()).await;
        let mut keys = Vec::new();
        for i in identities {
            keys.push(user(&sdk, i.user, &as_moto_checks(i.central.clone())).await);
        }
        let members: Vec<_> = identities
            .iter()
            .map(|i| as_moto_checks(i.member.clone()))
            .collect();
        let roles: Vec<_> = identities
            .iter()
            .zip(&members)
            .map(|(i, m)| (i.role, m))
            .collect();
        member_roles(&sdk, &roles).await;
        keys
    });
    // from here on moto checks: a call the user may not make is refused
    let refused = rt.block_on(async {
        let creds = Credentials::new(&keys[0].0, &keys[0].1, None, None, "test");
        let sdk = sdk_config(&moto.url()).await.into_builder();
        let sdk = sdk
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(creds),
            )
            .build();
        aws_sdk_iam::Client::new(&sdk)
            .list_users()
            .send()
            .await
            .is_err()
    });
    assert!(
        refused,
        "moto does not enforce IAM: the test would prove nothing\n{}",
        moto.log_contents()
    );
    (moto, keys)
}

/// The IAM user `name` in the central account, holding `policy`: its access key.
async fn user(central: &aws_config::SdkConfig, name: &str, policy: &Value) -> (String, String) {
    let iam = aws_sdk_iam::Client::new(central);
    iam.create_user().user_name(name).send().await.unwrap();
    iam.put_user_policy()
        .user_name(name)
        .policy_name("trailhub")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    (
        key.access_key_id().to_owned(),
        key.secret_access_key().to_owned(),
    )
}

/// The member's roles, as a StackSet would make them: each trusting the central account, holding its policy.
async fn member_roles(central: &aws_config::SdkConfig, roles: &[(&str, &Value)]) {
    let arn = format!("arn:aws:iam::{}:role/{ROLE}", MEMBER.0);
    let sts = aws_sdk_sts::Client::new(central);
    let c = sts
        .assume_role()
        .role_arn(&arn)
        .role_session_name("setup")
        .send()
        .await
        .unwrap();
    let c = c.credentials().unwrap();
    let creds = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "member",
    );
    let sdk = central
        .clone()
        .into_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
        .build();
    let iam = aws_sdk_iam::Client::new(&sdk);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{TEST_ACCOUNT_ID}:root")}, "Action": "sts:AssumeRole"}]});
    for (name, policy) in roles {
        iam.create_role()
            .role_name(*name)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .unwrap();
        iam.put_role_policy()
            .role_name(*name)
            .policy_name("trailhub")
            .policy_document(policy.to_string())
            .send()
            .await
            .unwrap();
    }
}

impl Enforced {
    /// `trailhub --config FILE ARGS` as the IAM user.
    fn trailhub(&self, dir: &std::path::Path, args: &[&str]) -> Out {
        as_user(&self.moto, &self.key, dir, args)
    }
}

/// `trailhub --config DIR/accounts.toml ARGS` against `moto` with the access key `key`.
fn as_user(moto: &Moto, key: &(String, String), dir: &std::path::Path, args: &[&str]) -> Out {
    let config = dir.join("accounts.toml");
    let backups = dir.join("backups");
    let mut all = vec!["--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    if args[0] == "apply" || args[0] == "offboard" {
        all.extend(["--yes", "--backup-dir", backups.to_str().unwrap()]);
    }
    let env = [
        ("AWS_ACCESS_KEY_ID", key.0.as_str()),
        ("AWS_SECRET_ACCESS_KEY", key.1.as_str()),
    ];
    run(&moto.url(), &all, &env)
}

/// The accounts file of these tests, written to a new directory.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accounts.toml"), static_config(&[MEMBER])).unwrap();
    dir
}

/// Whether what the user saw says the run was refused something.
fn denied(out: &Out) -> bool {
    let all = format!("{}{}", out.stdout, out.stderr);
    ["AccessDenied", "Forbidden", "not authorized"]
        .iter()
        .any(|d| all.contains(d))
}

#[test]
fn the_printed_policies_are_enough_for_apply_and_audit() {
    let dir = setup();
    let (central, member) = printed(dir.path());
    let moto = enforced(&with_moto_head_bucket(central), &member);
    let apply = moto.trailhub(dir.path(), &["apply"]);
    assert_eq!(apply.code, 0, "{apply}");
    assert!(!denied(&apply), "{apply}");
    let again = moto.trailhub(dir.path(), &["plan"]);
    assert_eq!(again.code, 0, "{again}");
    // moto delivers no log file: the audit finds gaps (1), but is refused nothing
    let audit = moto.trailhub(dir.path(), &["--format", "json", "audit"]);
    assert!(audit.code == 0 || audit.code == 1, "{audit}");
    assert!(!denied(&audit), "{audit}");
    // the member taken out of scope, then offboarded: DeleteTrail by the member role, the policy by central
    let config = dir.path().join("accounts.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "[members]\n",
        &format!("[members]\nexclude = [\"{}\"]\n", MEMBER.0),
    );
    std::fs::write(&config, text).unwrap();
    let offboard = moto.trailhub(dir.path(), &["offboard", MEMBER.0]);
    assert_eq!(offboard.code, 0, "{offboard}");
    assert!(!denied(&offboard), "{offboard}");
}

/// Issue 21: the flow-log writes, scoped to the VPC and to flow logs carrying trailhub's tag, are enough
/// for `apply` (the member's and the central account's flow logs to the bucket) and for `offboard` (the
/// member's flow log deleted). moto checks the actions only: it authorizes EC2 requests against `*` (so
/// `as_moto_checks` widens the ARNs), evaluates no condition of an identity policy (every `Condition` holds
/// for it) and asks for no `ec2:CreateTags` on a tag on create; the scope and the conditions rest on
/// `src/permissions/tests/fake.rs`.
#[test]
fn the_printed_flow_log_writes_are_enough_for_apply_and_offboard() {
    let dir = setup();
    let config = dir.path().join("accounts.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    // one field: under INITIAL_NO_AUTH_ACTION_COUNT moto checks the SigV4 signature of a form request over
    // the form re-encoded by botocore (a space as `+`), and the Rust SDK signed `%20`: any parameter with a
    // space (the default LogFormat) makes CreateFlowLogs answer AuthFailure (measured, moto 5.2.1)
    std::fs::write(
        &config,
        format!("{text}\n[flow_logs]\ndestinations = [\"s3\"]\nlog_format = \"${{srcaddr}}\"\n"),
    )
    .unwrap();
    let (central, member) = printed(dir.path());
    for p in [&central, &member] {
        let sids: Vec<&str> = p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        for sid in [
            "CreateFlowLogsOnVpcs",
            "CreateTaggedFlowLogs",
            "TagFlowLogsOnCreate",
            "DeleteTaggedFlowLogs",
        ] {
            assert!(sids.contains(&sid), "{sid} not in {sids:?}");
        }
    }
    let moto = enforced(&with_moto_head_bucket(central), &member);
    let apply = moto.trailhub(dir.path(), &["apply"]);
    assert_eq!(apply.code, 0, "{apply}");
    assert!(!denied(&apply), "{apply}");
    let again = moto.trailhub(dir.path(), &["--format", "json", "plan"]);
    assert_eq!(again.code, 0, "{again}");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "[members]\n",
        &format!("[members]\nexclude = [\"{}\"]\n", MEMBER.0),
    );
    std::fs::write(&config, text).unwrap();
    let offboard = moto.trailhub(dir.path(), &["offboard", MEMBER.0]);
    assert_eq!(offboard.code, 0, "{offboard}");
    assert!(!denied(&offboard), "{offboard}");
    assert!(
        offboard.stdout.contains("fl-"),
        "the member's flow log deleted: {offboard}"
    );
}

#[test]
fn without_put_bucket_policy_apply_fails_at_put_bucket_policy() {
    let dir = setup();
    let (central, member) = printed(dir.path());
    let central = without(with_moto_head_bucket(central), "s3:PutBucketPolicy");
    let moto = enforced(&central, &member);
    let apply = moto.trailhub(dir.path(), &["apply"]);
    assert_eq!(apply.code, 2, "{apply}");
    assert!(
        denied(&apply) && apply.stderr.contains("PutBucketPolicy"),
        "{apply}"
    );
}

#[test]
fn without_create_trail_the_members_apply_fails_at_create_trail() {
    let dir = setup();
    let (central, member) = printed(dir.path());
    let member = without(member, "cloudtrail:CreateTrail");
    let moto = enforced(&with_moto_head_bucket(central), &member);
    let apply = moto.trailhub(dir.path(), &["apply"]);
    assert_eq!(apply.code, 1, "{apply}");
    let all = format!("{}{}", apply.stdout, apply.stderr);
    assert!(denied(&apply) && all.contains("CreateTrail"), "{apply}");
    assert!(
        all.contains(MEMBER.0),
        "the member's failure names it: {apply}"
    );
}

/// The sample accounts.toml, through the binary with no credentials and an endpoint that answers nothing:
/// `permissions` needs neither (a call would fail the run).
fn sample(args: &[&str]) -> Out {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/accounts.toml");
    let mut all = vec!["--config", sample];
    all.extend_from_slice(args);
    run(
        "http://127.0.0.1:9",
        &all,
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    )
}

#[test]
fn the_sample_accounts_file_needs_no_aws_and_prints_stable_policies() {
    let json = sample(&["--format", "json", "permissions"]);
    assert_eq!(json.code, 0, "{json}");
    insta::assert_snapshot!("sample_json", json.stdout);
    let template = sample(&["--format", "cloudformation", "permissions"]);
    assert_eq!(template.code, 0, "{template}");
    insta::assert_snapshot!("sample_cloudformation", template.stdout);
    let read_only = sample(&["--format", "json", "permissions", "--read-only"]);
    assert_eq!(read_only.code, 0, "{read_only}");
    insta::assert_snapshot!("sample_read_only_json", read_only.stdout);
    let text = sample(&["permissions"]);
    assert_eq!(text.code, 0, "{text}");
    assert!(text.stdout.starts_with("# The central identity"), "{text}");
}

#[test]
fn cloudformation_is_for_permissions_only_and_html_is_not_for_it() {
    let plan = sample(&["--format", "cloudformation", "plan"]);
    assert_eq!(plan.code, 2, "{plan}");
    assert!(
        plan.stderr
            .contains("--format cloudformation is for `trailhub permissions` only"),
        "{plan}"
    );
    let html = sample(&["--format", "html", "permissions"]);
    assert_eq!(html.code, 2, "{html}");
    assert!(
        html.stderr
            .contains("--format html is for `trailhub audit` only"),
        "{html}"
    );
}

/// The scheduled audit's identity: the same accounts file, with its own member role.
const AUDIT_ROLE: &str = "TrailhubAudit";

/// Issue 21, point 7: a scheduled audit needs no administrator role, nor the writing one. After an apply
/// by the full identity, an IAM user holding exactly `permissions --read-only`'s central policy, through a
/// member role holding exactly its member policy, audits every account and is refused nothing.
#[test]
fn the_read_only_policies_are_enough_for_the_audit() {
    let dir = setup();
    let audit_dir = tempfile::tempdir().unwrap();
    let audit_config = static_config(&[MEMBER]).replace(
        &format!("role_name = \"{ROLE}\""),
        &format!("role_name = \"{AUDIT_ROLE}\""),
    );
    std::fs::write(audit_dir.path().join("accounts.toml"), audit_config).unwrap();
    let (central, member) = printed(dir.path());
    let (ro_central, ro_member) = printed_with(audit_dir.path(), &["--read-only"]);
    let ro_central = with_moto_head_bucket(ro_central);
    let central = with_moto_head_bucket(central);
    let (moto, keys) = enforced_for(&[
        Identity {
            user: USER,
            role: ROLE,
            central: &central,
            member: &member,
        },
        Identity {
            user: "trailhub-audit",
            role: AUDIT_ROLE,
            central: &ro_central,
            member: &ro_member,
        },
    ]);
    // the read-only identity may not write: its apply is refused the bucket
    let refused = as_user(&moto, &keys[1], audit_dir.path(), &["apply"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(denied(&refused), "{refused}");
    let apply = as_user(&moto, &keys[0], dir.path(), &["apply"]);
    assert_eq!(apply.code, 0, "{apply}");
    // moto delivers no log file: the audit finds gaps (1), but is refused nothing
    let audit = as_user(
        &moto,
        &keys[1],
        audit_dir.path(),
        &["--format", "json", "audit"],
    );
    assert!(audit.code == 0 || audit.code == 1, "{audit}");
    assert!(!denied(&audit), "{audit}");
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    assert_eq!(
        report["accounts"].as_array().map(Vec::len),
        Some(2),
        "{audit}"
    );
}

/// Issue 21, point 7: the warning about Organizations' own role is a plain sentence on stderr, not a log
/// line, and stdout stays the template.
#[test]
fn the_template_naming_organizations_role_says_so_in_a_plain_line() {
    let dir = setup();
    let config = dir.path().join("accounts.toml");
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--format",
        "cloudformation",
        "permissions",
    ];
    let out = run("http://127.0.0.1:9", &args, &[]);
    assert_eq!(out.code, 0, "{out}");
    let template: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09", "{out}");
    assert_eq!(
        template["Resources"]["TrailhubMemberRole"]["Properties"]["RoleName"],
        ROLE
    );
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].starts_with(
            "members.role_name is OrganizationAccountAccessRole, the administrator role AWS Organizations made"
        ),
        "{out}"
    );
    assert!(
        lines[0].contains("members.role_name = \"TrailhubMember\""),
        "{out}"
    );
    assert!(
        !lines[0].contains("WARN") && !lines[0].contains("Z "),
        "{out}"
    );
    // the sample names a role of trailhub's own: nothing to say
    let ours = sample(&["--format", "cloudformation", "permissions", "--read-only"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert_eq!(ours.stderr, "", "{ours}");
    let template: Value = serde_json::from_str(&ours.stdout).unwrap();
    let role = &template["Resources"]["TrailhubMemberRole"]["Properties"];
    assert_eq!(role["RoleName"], "TrailhubMember");
    let json = sample(&["--format", "json", "permissions", "--read-only"]);
    let read_only: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(role["Policies"][0]["PolicyDocument"], read_only["member"]);
    assert!(
        template["Description"]
            .as_str()
            .unwrap()
            .contains("read only"),
        "{ours}"
    );
}

/// Issue 21, point 2, under moto's IAM enforcement: with `[cloudwatch]` and flow logs to CloudWatch Logs, the
/// printed policies (moto's resource quirks aside, [`with_moto_iam_resources`]) are enough for `plan`, which
/// reads each delivery role (GetRole, GetRolePolicy) and the boundary policy (GetPolicy), and shows the
/// boundary policy and the bounded roles to make. `apply` cannot be proven here: after its unauthenticated
/// window moto refuses every request of the Rust SDK whose form body holds a space (CreatePolicy's and
/// CreateRole's `Description`, CreateFlowLogs' `LogFormat`) before it looks at any policy
/// (tests/MOTO-IAM.md, "Signatures").
#[test]
fn the_printed_policies_are_enough_to_plan_the_bounded_delivery_roles() {
    let dir = setup_with(DELIVERY_ROLES);
    let (central, member) = printed(dir.path());
    let central = with_moto_iam_resources(with_moto_head_bucket(central));
    let moto = enforced(&central, &with_moto_iam_resources(member));
    let plan = moto.trailhub(dir.path(), &["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    assert!(!denied(&plan), "{plan}");
    for line in [
        "CloudWatch Logs: boundary policy trailhub-delivery-boundary: create, log group /trailhub/cloudtrail: create (365 days), role TrailhubCloudTrailToLogs: create",
        "logs: 4 log groups to create, 4 roles to create, 2 boundary policies to create",
    ] {
        assert!(support::says(&plan.stdout, line), "{line}\n{plan}");
    }
}

/// `[cloudwatch]`, and flow logs to both destinations.
const DELIVERY_ROLES: &str = "\n[cloudwatch]\n\n[flow_logs]\nregions = [\"ap-northeast-2\"]\ndestinations = [\"s3\", \"cloudwatch\"]\n";

/// The accounts file of these tests with `extra` after it, written to a new directory.
fn setup_with(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}{extra}", static_config(&[MEMBER]));
    std::fs::write(dir.path().join("accounts.toml"), text).unwrap();
    dir
}
