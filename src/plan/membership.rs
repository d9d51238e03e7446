//! Each account's organization as the policies in force see it: the `aws:SourceOrgID` and
//! `aws:SourceOrgPaths` a service principal's request carries for it, and whether a policy in force tests
//! an organization key at all (only then is an account's organization worth learning). Pure.

use std::collections::BTreeMap;

use serde_json::Value;

use super::document::statements;
use super::evaluate::Delivery;
use super::policy::Org;
use super::rcp::RcpState;
use crate::model::AccountId;
use crate::world::Membership;

/// A context value that is present but not known (an account's `aws:SourceOrgPaths` when only its
/// organization's ID was learned): the evaluator judges every comparison with it "unsure", so an Allow
/// resting on it never counts and a Deny testing it always may apply; `Null` sees the key as present.
pub const UNKNOWN_VALUE: &str = "\u{1}unknown";

/// The condition keys whose value is an account's organization (IAM User Guide, "AWS global condition
/// context keys").
pub const ORG_KEYS: [&str; 3] = [
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:PrincipalOrgID",
];

/// What was learned of the organizations around the central bucket: the RCPs in force on it and each
/// writer's own organization.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrgFacts {
    /// The resource control policies in force on the central account (ORG-7).
    pub rcps: RcpState,
    /// Each account's organization where it was learned: with `source = "organizations"` from the listing
    /// (and its path from the OU walk), with `source = "static"` by DescribeOrganization with the account's
    /// role, only when a policy in force tests an organization key. An account with no entry is taken to be
    /// in the run's organization, when there is one.
    pub accounts: BTreeMap<AccountId, Membership>,
}

/// `aws:SourceOrgID` and `aws:SourceOrgPaths` of a request made on an account's behalf (None: absent).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceOrg {
    pub id: Option<String>,
    /// [`UNKNOWN_VALUE`] when the account is in an organization whose path for it is not known.
    pub path: Option<String>,
}

impl SourceOrg {
    /// `target` with these organization keys.
    pub fn on(&self, target: Delivery) -> Delivery {
        Delivery {
            org_id: self.id.clone(),
            org_path: self.path.clone(),
            ..target
        }
    }
}

impl OrgFacts {
    /// The organization keys of a request made for `account`: its own organization where learned, else the
    /// run's (`org`); a path not known is present with [`UNKNOWN_VALUE`], so that no statement testing it is
    /// taken on a guess.
    pub fn source(&self, account: &AccountId, org: Option<&Org>) -> SourceOrg {
        let in_org = |id: &str, path: Option<&str>| SourceOrg {
            id: Some(id.to_owned()),
            path: Some(path.unwrap_or(UNKNOWN_VALUE).to_owned()),
        };
        match self.accounts.get(account) {
            Some(Membership::Outside) => SourceOrg::default(),
            Some(Membership::In { id, path }) => in_org(id, path.as_deref()),
            None => org.map_or_else(SourceOrg::default, |o| in_org(&o.id, None)),
        }
    }
}

/// The organizations as an account's plan sees them: the run's (with `source = "organizations"`) and what
/// was learned of each account and of the RCPs.
#[derive(Debug, Clone, Copy)]
pub struct Orgs<'a> {
    pub run: Option<&'a Org>,
    pub facts: &'a OrgFacts,
}

impl Orgs<'_> {
    /// See [`OrgFacts::source`].
    pub fn source(&self, account: &AccountId) -> SourceOrg {
        self.facts.source(account, self.run)
    }
}

/// Whether a policy in force on the bucket's writes tests one of [`ORG_KEYS`]: the live bucket policy, the
/// key policy, or an RCP. Only then is each account's organization worth learning.
pub fn org_keys_in_force(live: Option<&str>, key_policy: Option<&str>, rcps: &RcpState) -> bool {
    let texts = [live, key_policy].into_iter().flatten();
    texts.into_iter().any(tests_org_keys)
        || rcps
            .levels()
            .iter()
            .flat_map(|l| &l.policies)
            .any(|p| document_tests_org_keys(&p.document))
}

/// Whether a policy text tests one of [`ORG_KEYS`] in a condition (key names in any case, under any
/// operator). Text that is not a JSON policy tests nothing.
pub fn tests_org_keys(policy: &str) -> bool {
    serde_json::from_str::<Value>(policy).is_ok_and(|doc| document_tests_org_keys(&doc))
}

fn document_tests_org_keys(doc: &Value) -> bool {
    statements(doc).into_iter().any(|stmt| {
        let blocks = stmt.get("Condition").and_then(Value::as_object);
        blocks
            .into_iter()
            .flat_map(|ops| ops.values())
            .filter_map(Value::as_object)
            .flat_map(|keys| keys.keys())
            .any(|key| ORG_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)))
    })
}

/// The aws:SourceOrgPaths value of an account placed below `ancestors` (the root's ID first, then each OU's)
/// in organization `org_id`: `o-.../r-.../ou-.../`.
pub fn org_path(org_id: &str, ancestors: &[String]) -> String {
    let mut path = format!("{org_id}/");
    for a in ancestors {
        path.push_str(a);
        path.push('/');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_key_in_any_case_under_any_operator() {
        let deny = |op: &str, key: &str| {
            format!(
                r#"{{"Statement":[{{"Sid":"aws:SourceOrgID","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{{"{op}":{{"{key}":"o-1"}}}}}}]}}"#
            )
        };
        assert!(tests_org_keys(&deny(
            "StringNotEqualsIfExists",
            "aws:sourceorgid"
        )));
        assert!(tests_org_keys(&deny(
            "ForAnyValue:StringLike",
            "AWS:SourceOrgPaths"
        )));
        assert!(tests_org_keys(&deny("StringEquals", "aws:PrincipalOrgID")));
        // a Sid that names a key tests nothing
        assert!(!tests_org_keys(&deny("StringEquals", "aws:SourceAccount")));
        assert!(!tests_org_keys("not json"));
    }

    #[test]
    fn an_accounts_own_organization_wins_over_the_runs() {
        let (a, b, c): (AccountId, AccountId, AccountId) = (
            "222222222222".parse().unwrap(),
            "333333333333".parse().unwrap(),
            "444444444444".parse().unwrap(),
        );
        let facts = OrgFacts {
            accounts: BTreeMap::from([
                (a.clone(), Membership::Outside),
                (
                    b.clone(),
                    Membership::In {
                        id: "o-b".into(),
                        path: Some(org_path("o-b", &["r-1".into(), "ou-1-2".into()])),
                    },
                ),
            ]),
            ..OrgFacts::default()
        };
        let org = Org {
            id: "o-run".into(),
            members: Default::default(),
        };
        assert_eq!(facts.source(&a, Some(&org)), SourceOrg::default());
        assert_eq!(
            facts.source(&b, Some(&org)).path.as_deref(),
            Some("o-b/r-1/ou-1-2/")
        );
        let c_src = facts.source(&c, Some(&org));
        assert_eq!(c_src.id.as_deref(), Some("o-run"));
        assert_eq!(c_src.path.as_deref(), Some(UNKNOWN_VALUE));
        assert_eq!(facts.source(&c, None), SourceOrg::default());
    }
}
