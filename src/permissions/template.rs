//! The CloudFormation template of the member role (pure): the role `members.role_name`, trusting the
//! central account (a parameter, its root by default) with the `external_id` condition when one is set,
//! and the member policy inline. One template for every member account, deployed with StackSets.

use serde_json::{Value, json};

use crate::config::Config;

/// The template (JSON, which CloudFormation reads as it reads YAML), around the member `policy`.
pub fn member_role(cfg: &Config, policy: &Value) -> Value {
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
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "trailhub's member role {}: what `trailhub permissions` prints for {}. Deploy it to every member account (CloudFormation StackSets).",
            cfg.members.role_name,
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
                    "RoleName": cfg.members.role_name,
                    "Description": "Assumed by trailhub from the central account",
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
                    "Policies": [{"PolicyName": "trailhub", "PolicyDocument": policy}]
                }
            }
        },
        "Outputs": {
            "RoleArn": {"Value": {"Fn::GetAtt": ["TrailhubMemberRole", "Arn"]}}
        }
    })
}
