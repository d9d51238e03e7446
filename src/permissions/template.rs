//! The CloudFormation template of the member role (pure): the role `members.role_name`, trusting the
//! central account (a parameter, its root by default) with the `external_id` condition when one is set,
//! and the member policy inline. One template for every member account, deployed with StackSets.

use serde_json::{Value, json};

use crate::config::{BOUNDARY_POLICY_NAME, Config, boundary_document};

/// The template (JSON, which CloudFormation reads as it reads YAML), around the member `policy` (its reads
/// only with `read_only`: a role for scheduled audits).
/// With `boundary`, the stack also makes trailhub's permissions boundary of the delivery roles (and
/// `policy` is the one without iam:CreatePolicy).
pub fn member_role(cfg: &Config, policy: &Value, read_only: bool, boundary: bool) -> Value {
    let p = cfg.central.region.partition();
    let root = format!("arn:{p}:iam::{}:root", cfg.central.account_id);
    let mut trust = json!({
        "Effect": "Allow",
        "Principal": {"AWS": {"Ref": "CentralPrincipal"}},
        "Action": "sts:AssumeRole"
    });
    if let Some(id) = &cfg.members.external_id {
        trust["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    // `path/name`: CloudFormation takes the path apart (`/path/`) from the name
    let (path, name) = match cfg.members.role_name.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name),
        None => ("/".to_owned(), cfg.members.role_name.as_str()),
    };
    let mut t = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "trailhub's member role {}{}: what `trailhub permissions{}` prints for {}. Deploy it to every member account (CloudFormation StackSets).",
            cfg.members.role_name,
            if read_only { ", read only (plan, policy, audit)" } else { "" },
            if read_only { " --read-only" } else { "" },
            cfg.path.file_name().map_or_else(|| cfg.path.display().to_string(), |f| f.to_string_lossy().into_owned())
        ),
        "Parameters": {
            "CentralPrincipal": {
                "Type": "String",
                "Default": root,
                "Description": "Who may assume the role: the ARN of the identity trailhub runs as in the central account (narrower than the account's root, which lets the account's IAM policies decide)."
            }
        },
        "Resources": {
            "TrailhubMemberRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": name,
                    "Path": path,
                    "Description": "Assumed by trailhub from the central account",
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
                    "Policies": [{"PolicyName": "trailhub", "PolicyDocument": policy}]
                }
            }
        },
        "Outputs": {
            "RoleArn": {"Value": {"Fn::GetAtt": ["TrailhubMemberRole", "Arn"]}}
        }
    });
    if boundary && !read_only {
        t["Resources"]["TrailhubDeliveryBoundary"] = boundary_policy(cfg);
    }
    t
}

/// trailhub's permissions boundary of the delivery roles (`permissions_boundary = "create"`), made by the
/// stack beside the role, so that the role needs no iam:CreatePolicy: exactly the document trailhub
/// checks before it uses the policy, the partition and the account filled in by CloudFormation.
fn boundary_policy(cfg: &Config) -> Value {
    let p = cfg.central.region.partition();
    let mut doc = boundary_document(p, "ACCOUNT");
    doc["Statement"][0]["Resource"] =
        json!({"Fn::Sub": "arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:*"});
    json!({
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "ManagedPolicyName": BOUNDARY_POLICY_NAME,
            "Description": "trailhub: the permissions boundary of its log delivery roles (what they need to deliver to CloudWatch Logs, nothing else)",
            "PolicyDocument": doc
        }
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::permissions::{Principal, policy};

    fn config(external_id: Option<&str>) -> Config {
        let external = external_id.map_or(String::new(), |e| format!("external_id = \"{e}\"\n"));
        let text = format!(
            "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"cn-north-1\"\n[members]\nrole_name = \"TrailhubMember\"\ntrail_name = \"{{name}}-CT\"\n{external}[[account]]\nid = \"222222222222\"\nname = \"DEV\"\n"
        );
        Config::parse(Path::new("accounts.toml"), &text).unwrap()
    }

    #[test]
    fn the_role_trusts_the_central_account_with_the_external_id_and_holds_the_member_policy() {
        let cfg = config(Some("s3cr3t-id"));
        let member = policy(&cfg, Principal::Member, false);
        let t = member_role(&cfg, &member, false, false);
        assert_eq!(
            t["Parameters"]["CentralPrincipal"]["Default"],
            "arn:aws-cn:iam::111111111111:root"
        );
        let role = &t["Resources"]["TrailhubMemberRole"]["Properties"];
        assert_eq!(role["RoleName"], "TrailhubMember");
        assert_eq!(role["Path"], "/");
        let trust = &role["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(
            trust["Principal"]["AWS"],
            json!({"Ref": "CentralPrincipal"})
        );
        assert_eq!(trust["Action"], "sts:AssumeRole");
        assert_eq!(
            trust["Condition"],
            json!({"StringEquals": {"sts:ExternalId": "s3cr3t-id"}})
        );
        assert_eq!(role["Policies"][0]["PolicyDocument"], member);
    }

    #[test]
    fn without_an_external_id_the_trust_has_no_condition() {
        let cfg = config(None);
        let t = member_role(&cfg, &policy(&cfg, Principal::Member, false), false, false);
        let trust = &t["Resources"]["TrailhubMemberRole"]["Properties"]["AssumeRolePolicyDocument"]
            ["Statement"][0];
        assert!(trust.get("Condition").is_none(), "{trust}");
    }

    #[test]
    fn a_role_name_with_a_path_is_given_as_path_and_name() {
        let mut cfg = config(None);
        cfg.members.role_name = "security/trailhub/Member".into();
        let t = member_role(&cfg, &json!({}), false, false);
        let role = &t["Resources"]["TrailhubMemberRole"]["Properties"];
        assert_eq!(role["RoleName"], "Member");
        assert_eq!(role["Path"], "/security/trailhub/");
    }
}
