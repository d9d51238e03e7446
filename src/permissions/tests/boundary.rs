//! Issue 21, point 2, proven by trailhub's evaluator: the printed policies let their holder write a delivery
//! role only with the role's permissions boundary, and never change the boundary policy once it exists.
//! An identity policy's statements apply to their holder: each is judged here with the holder as its
//! `Principal`, which is how the (resource policy) evaluator reads them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::config::Config;
use crate::permissions::calls::BOUNDED;
use crate::permissions::{Permissions, Principal, policy};
use crate::plan::evaluate::{Request, evaluate};

const MEMBER: &str = "222222222222";
const CENTRAL: &str = "111111111111";
const BASE: &str = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\n[members]\ntrail_name = \"{name}-CT\"\n[[account]]\nid = \"222222222222\"\nname = \"DEV\"\n";

fn config(extra: &str) -> Config {
    let text =
        format!("{BASE}[cloudwatch]\n{extra}[flow_logs]\ndestinations = [\"cloudwatch\"]\n{extra}");
    Config::parse(Path::new("t.toml"), &text).unwrap()
}

/// `policy` as a resource policy whose every statement names its holder.
fn held(mut policy: Value) -> Value {
    for s in policy["Statement"].as_array_mut().unwrap() {
        s["Principal"] = json!({"AWS": "*"});
    }
    policy
}

/// Whether `who`'s printed policy under `cfg` allows `action` on `role` in `account`, with this boundary
/// in the request (None: the request carries none).
fn allows(cfg: &Config, who: Principal, action: &str, role: &str, boundary: Option<&str>) -> bool {
    let account = if who == Principal::Central {
        CENTRAL
    } else {
        MEMBER
    };
    let mut context = BTreeMap::new();
    if let Some(b) = boundary {
        context.insert("iam:PermissionsBoundary".to_owned(), b.to_owned());
    }
    let req = Request {
        principal_service: format!("arn:aws:iam::{CENTRAL}:root"),
        action: action.to_owned(),
        resource: format!("arn:aws:iam::{account}:role/{role}"),
        context,
    };
    evaluate(&held(policy(cfg, who, false)), &req).is_allowed()
}

fn boundary_of(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy/{name}")
}

#[test]
fn a_role_write_is_allowed_with_the_boundary_only() {
    let cfg = config("");
    for (who, account) in [(Principal::Member, MEMBER), (Principal::Central, CENTRAL)] {
        let ours = boundary_of(account, "trailhub-delivery-boundary");
        for role in ["TrailhubCloudTrailToLogs", "TrailhubFlowLogsToLogs"] {
            for action in BOUNDED {
                let with = allows(&cfg, who, action, role, Some(&ours));
                assert!(with, "{who:?} {action} {role} with {ours}");
                for other in [
                    None,
                    Some(boundary_of(account, "Admin")),
                    Some("arn:aws:iam::aws:policy/AdministratorAccess".to_owned()),
                    Some(boundary_of("333333333333", "trailhub-delivery-boundary")),
                ] {
                    if who == Principal::Member
                        && other.as_deref().is_some_and(|o| o.contains("333333333333"))
                    {
                        // the member's pattern names any account: IAM takes a boundary of the role's own
                        // account only (IAM-10), so this one never reaches a request
                        continue;
                    }
                    let denied = !allows(&cfg, who, action, role, other.as_deref());
                    assert!(denied, "{who:?} {action} {role} with {other:?}");
                }
            }
            // the reads and PassRole need no boundary
            assert!(
                allows(&cfg, who, "iam:GetRole", role, None),
                "{who:?} {role}"
            );
        }
        // another role of the account, with the boundary: out of scope
        assert!(!allows(&cfg, who, "iam:CreateRole", "Admin", Some(&ours)));
    }
}

#[test]
fn a_named_boundary_is_required_and_no_policy_is_made() {
    let cfg = config("permissions_boundary = \"security/TeamBoundary\"\n");
    let team = boundary_of(MEMBER, "security/TeamBoundary");
    let ours = boundary_of(MEMBER, "trailhub-delivery-boundary");
    for action in BOUNDED {
        let role = "TrailhubCloudTrailToLogs";
        assert!(allows(&cfg, Principal::Member, action, role, Some(&team)));
        assert!(!allows(&cfg, Principal::Member, action, role, Some(&ours)));
    }
    for who in [Principal::Member, Principal::Central] {
        let text = policy(&cfg, who, false).to_string();
        assert!(
            !text.contains("iam:CreatePolicy") && !text.contains("iam:GetPolicy"),
            "{text}"
        );
    }
}

/// No variant grants what would change a boundary once made, or take it off a role.
#[test]
fn nothing_widens_or_removes_a_boundary() {
    for extra in ["", "permissions_boundary = \"TeamBoundary\"\n"] {
        let cfg = config(extra);
        for who in [Principal::Member, Principal::Central] {
            let text = policy(&cfg, who, false).to_string();
            for never in [
                "iam:CreatePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:DeletePolicy",
                "iam:DeleteRolePermissionsBoundary",
                "iam:AttachRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:*",
            ] {
                assert!(
                    !text.contains(&format!("\"{never}\"")),
                    "{who:?} {never}: {text}"
                );
            }
        }
    }
}

/// `--format cloudformation`: the stack makes the boundary policy beside the role, whose policy then has
/// no iam:CreatePolicy; the JSON's member policy has it (on the one ARN), for a role made otherwise.
#[test]
fn the_template_makes_the_boundary_and_its_role_makes_no_policy() {
    let cfg = config("");
    let p = Permissions::new(&cfg, false);
    let resources = &p.template["Resources"];
    let boundary = &resources["TrailhubDeliveryBoundary"];
    assert_eq!(boundary["Type"], "AWS::IAM::ManagedPolicy");
    assert_eq!(
        boundary["Properties"]["ManagedPolicyName"],
        "trailhub-delivery-boundary"
    );
    let in_template =
        resources["TrailhubMemberRole"]["Properties"]["Policies"][0]["PolicyDocument"].to_string();
    assert!(!in_template.contains("iam:CreatePolicy"), "{in_template}");
    assert!(
        in_template.contains("iam:GetPolicyVersion"),
        "{in_template}"
    );
    let member = p.member.to_string();
    assert!(member.contains("\"iam:CreatePolicy\""), "{member}");
    assert!(member.contains("arn:aws:iam::*:policy/trailhub-delivery-boundary"));
    // with the account filled in, the stack's document is the one trailhub checks before using the policy
    let mut doc = boundary["Properties"]["PolicyDocument"].clone();
    doc["Statement"][0]["Resource"] = json!(format!("arn:aws:logs:*:{MEMBER}:log-group:*"));
    assert_eq!(doc, crate::config::boundary_document("aws", MEMBER));
    // the read-only template makes none
    let read_only = Permissions::new(&cfg, true);
    assert!(
        read_only.template["Resources"]
            .get("TrailhubDeliveryBoundary")
            .is_none()
    );
}
