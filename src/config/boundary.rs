//! `permissions_boundary` of `[cloudwatch]` and `[flow_logs]` (pure): the managed policy every delivery role
//! trailhub makes or keeps has as its permissions boundary (issue 21, point 2), so that whoever holds
//! trailhub's role cannot give a delivery role more than delivering logs. `"create"` (the default): trailhub
//! makes [`BOUNDARY_POLICY_NAME`] in each account, once, and never a new version of it; a name or an ARN: a
//! policy the team made (trailhub then needs no iam:CreatePolicy).

use serde::Serialize;
use serde_json::{Value, json};
use toml::Spanned;

use super::logs::Bad;

/// The policy trailhub makes in each account with `permissions_boundary = "create"`.
pub const BOUNDARY_POLICY_NAME: &str = "trailhub-delivery-boundary";

/// Which managed policy bounds a delivery role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Boundary {
    /// trailhub makes [`BOUNDARY_POLICY_NAME`] in each account with [`document`], and uses it only while it
    /// holds exactly that document.
    Create,
    /// A policy the team made: `path/name` in each account, or an ARN whose account is `{id}` (each
    /// account's) or `aws` (an AWS managed policy).
    Named(String),
}

impl Boundary {
    /// The policy's ARN in `account` of `partition`.
    pub fn arn(&self, partition: &str, account: &str) -> String {
        match self {
            Boundary::Create => {
                format!("arn:{partition}:iam::{account}:policy/{BOUNDARY_POLICY_NAME}")
            }
            Boundary::Named(n) if n.starts_with("arn:") => n.replace("{id}", account),
            Boundary::Named(n) => format!("arn:{partition}:iam::{account}:policy/{n}"),
        }
    }

    pub fn creates(&self) -> bool {
        *self == Boundary::Create
    }
}

/// The document of [`BOUNDARY_POLICY_NAME`] in `account`: what the two delivery roles need and nothing else
/// (their inline policies, `plan::cloudwatch`): writing log streams and events in the account's log groups,
/// and DescribeLogGroups, which takes no resource. The same in every run, whatever the config, so that the
/// policy never needs a new version.
pub fn document(partition: &str, account: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DeliverToTheAccountsLogGroups",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": format!("arn:{partition}:logs:*:{account}:log-group:*"),
        }, {
            "Sid": "ListLogGroups",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": "*",
        }],
    })
}

/// `permissions_boundary` as written: `"create"`, a policy name (with its path: `security/Boundary`), or a
/// policy ARN.
pub(super) fn boundary(raw: Option<Spanned<String>>) -> Result<Boundary, Bad> {
    let Some(b) = raw else {
        return Ok(Boundary::Create);
    };
    let text = b.get_ref().as_str();
    if text == "create" {
        return Ok(Boundary::Create);
    }
    let name = match text.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            match parts.as_slice() {
                [_, "iam", "", "{id}" | "aws", resource] => {
                    resource.strip_prefix("policy/").unwrap_or("")
                }
                [_, "iam", "", _, _] => {
                    // a role's boundary is a policy of its own account, or AWS's (IAM-10)
                    let why = format!(
                        "permissions_boundary {text:?} names one account's policy, but each account's delivery roles need their own: write the account as {{id}} (arn:PARTITION:iam::{{id}}:policy/NAME), or give the policy's name"
                    );
                    return Err((b.span(), why));
                }
                _ => "",
            }
        }
        None => text,
    };
    let ok = (1..=512).contains(&name.len())
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-{}".contains(c))
        });
    if !ok {
        let why = format!(
            "permissions_boundary {text:?} is neither \"create\" nor a managed policy's name (letters, digits, +=,.@_- and / for its path) or ARN (arn:PARTITION:iam::ACCOUNT:policy/NAME)"
        );
        return Err((b.span(), why));
    }
    Ok(Boundary::Named(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Boundary, String> {
        boundary(Some(Spanned::new(0..1, text.to_owned()))).map_err(|(_, why)| why)
    }

    #[test]
    fn create_a_name_or_an_arn() {
        assert_eq!(boundary(None).unwrap(), Boundary::Create);
        assert_eq!(parse("create").unwrap(), Boundary::Create);
        assert_eq!(
            Boundary::Create.arn("aws", "222222222222"),
            "arn:aws:iam::222222222222:policy/trailhub-delivery-boundary"
        );
        let named = parse("security/DeliveryBoundary").unwrap();
        assert_eq!(
            named.arn("aws-cn", "222222222222"),
            "arn:aws-cn:iam::222222222222:policy/security/DeliveryBoundary"
        );
        let arn = parse("arn:aws:iam::{id}:policy/Boundary").unwrap();
        assert_eq!(
            arn.arn("aws", "333333333333"),
            "arn:aws:iam::333333333333:policy/Boundary"
        );
        assert!(parse("arn:aws:s3:::bucket").is_err());
        assert!(
            parse("arn:aws:iam::222222222222:policy/Boundary")
                .unwrap_err()
                .contains("{id}")
        );
        assert!(parse("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        assert!(parse("two words").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn a_bad_value_is_refused_where_it_is_written() {
        let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"us-east-1\"\n[members]\ntrail_name = \"{name}-CT\"\n[[account]]\nid = \"222222222222\"\nname = \"DEV\"\n[cloudwatch]\npermissions_boundary = \"two words\"\n";
        let e = crate::config::Config::parse(std::path::Path::new("a.toml"), text).unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains("a.toml:11:") && shown.contains("permissions_boundary"),
            "{shown}"
        );
    }

    #[test]
    fn the_document_grants_log_delivery_in_the_account_only() {
        let doc = document("aws", "222222222222").to_string();
        assert!(doc.contains("arn:aws:logs:*:222222222222:log-group:*"));
        assert!(!doc.contains("iam:") && !doc.contains("\"*:*\""));
    }
}
