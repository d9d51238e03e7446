//! The RCPs over a delivery: AWS's own confused-deputy RCP (aws-samples/data-perimeter-policy-examples,
//! `resource_control_policies/identity_perimeter_rcp.json` at 8e0d3c5, kept verbatim beside this file) with
//! `RCPFullAWSAccess`, for accounts inside and outside the organization.

use serde_json::json;

use super::*;
use crate::fixtures;
use crate::model::{AccountId, TrailArn};
use crate::plan::verdict::{flow_log_delivery, trail_delivery};

const ORG: &str = "o-abc123def4";

/// The sample, filled in for the test organization.
pub(crate) fn identity_perimeter_rcp(org_id: &str) -> String {
    include_str!("identity_perimeter_rcp.json")
        .replace("<my-org-id>", org_id)
        .replace("<third-party-account-a>", "999999999991")
        .replace("<third-party-account-b>", "999999999992")
        .replace("<load-balancing-account-id>", "127311923021")
        .replace("<fin-space-account-id>", "999999999993")
}

pub(crate) fn full_access() -> Rcp {
    Rcp {
        id: "p-FullAWSAccess".into(),
        name: "RCPFullAWSAccess".into(),
        document: json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}),
    }
}

fn perimeter() -> Rcp {
    Rcp {
        id: "p-perimeter1".into(),
        name: "identity-perimeter".into(),
        document: serde_json::from_str(&identity_perimeter_rcp(ORG)).unwrap(),
    }
}

/// Full access at the account and the root, the perimeter at the root.
fn in_force() -> RcpState {
    RcpState::Read {
        levels: vec![
            RcpLevel {
                target: fixtures::CENTRAL.into(),
                policies: vec![full_access()],
            },
            RcpLevel {
                target: "r-ab12".into(),
                policies: vec![full_access(), perimeter()],
            },
        ],
    }
}

fn trail(account: &str, org_id: Option<&str>) -> Delivery {
    let cfg = fixtures::config(1);
    let id: AccountId = account.parse().unwrap();
    let arn = TrailArn::new(&cfg.central.region, &id, &"TRAIL-CT".parse().unwrap());
    trail_delivery(&cfg, &id, &arn, None, org_id)
}

#[test]
fn the_confused_deputy_rcp_refuses_only_accounts_outside_the_organization() {
    let rcps = in_force();
    assert_eq!(
        delivery_denial(&rcps, &trail("222222222222", Some(ORG))),
        None
    );
    let outside = delivery_denial(&rcps, &trail("333333333333", None)).unwrap();
    let expected = |request| DenialReason::RcpDenies {
        request,
        rcp: "p-perimeter1".into(),
        name: "identity-perimeter".into(),
        sid: Some("EnforceConfusedDeputyProtection".into()),
    };
    assert_eq!(
        outside.reasons,
        [
            expected(DeliveryRequest::AclCheck),
            expected(DeliveryRequest::Write)
        ]
    );
    // another organization is outside too
    assert!(delivery_denial(&rcps, &trail("333333333333", Some("o-other12345"))).is_some());
    // a third party the statement names is let through
    assert_eq!(delivery_denial(&rcps, &trail("999999999991", None)), None);

    // delivery.logs is a service principal too
    let cfg = fixtures::config(1);
    let inside = Delivery {
        org_id: Some(ORG.into()),
        ..flow_log_delivery(&cfg, &"222222222222".parse().unwrap())
    };
    assert_eq!(delivery_denial(&rcps, &inside), None);
    let outside = flow_log_delivery(&cfg, &"333333333333".parse().unwrap());
    assert!(delivery_denial(&rcps, &outside).is_some());
}

#[test]
fn a_level_whose_rcps_allow_nothing_refuses() {
    let s3_only = Rcp {
        id: "p-s3only".into(),
        name: "s3-reads-only".into(),
        document: json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": "*"}]}),
    };
    let rcps = RcpState::Read {
        levels: vec![
            RcpLevel {
                target: "ou-ab12-11111111".into(),
                policies: vec![s3_only],
            },
            RcpLevel {
                target: "r-ab12".into(),
                policies: vec![full_access()],
            },
        ],
    };
    let denial = delivery_denial(&rcps, &trail("222222222222", Some(ORG))).unwrap();
    assert_eq!(
        denial.reasons,
        [DenialReason::RcpNotAllowed {
            request: DeliveryRequest::Write,
            target: "ou-ab12-11111111".into()
        }]
    );
    // a level with no RCP (a fixture: AWS attaches RCPFullAWSAccess everywhere) caps nothing
    let empty = RcpState::Read {
        levels: vec![RcpLevel {
            target: "r-ab12".into(),
            policies: vec![],
        }],
    };
    assert_eq!(delivery_denial(&empty, &trail("222222222222", None)), None);
    // not read, or no organization: nothing said
    for state in [RcpState::NotRead, RcpState::NoOrganization] {
        assert_eq!(delivery_denial(&state, &trail("333333333333", None)), None);
    }
}

#[test]
fn the_json_names_each_rcp_once_with_where_it_is_attached() {
    let v = serde_json::to_value(in_force()).unwrap();
    assert_eq!(
        v,
        json!({"status": "read", "policies": [
            {"id": "p-FullAWSAccess", "name": "RCPFullAWSAccess",
             "attached_to": [fixtures::CENTRAL, "r-ab12"]},
            {"id": "p-perimeter1", "name": "identity-perimeter", "attached_to": ["r-ab12"]}
        ]})
    );
    let unreadable = RcpState::Unreadable {
        reason: "AccessDeniedException".into(),
    };
    assert_eq!(
        serde_json::to_value(unreadable).unwrap(),
        json!({"status": "unreadable", "reason": "AccessDeniedException"})
    );
}

#[test]
fn the_confused_deputy_rcp_refuses_the_key_to_an_outsiders_trail() {
    let cfg = fixtures::config(1);
    let key = "arn:aws:kms:ap-northeast-2:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let arn = |account: &str| {
        let id: AccountId = account.parse().unwrap();
        TrailArn::new(&cfg.central.region, &id, &"TRAIL-CT".parse().unwrap())
    };
    let inside = crate::plan::membership::SourceOrg {
        id: Some(ORG.into()),
        path: None,
    };
    let rcps = in_force();
    assert_eq!(key_denial(&rcps, key, &arn("222222222222"), &inside), None);
    let why = key_denial(&rcps, key, &arn("333333333333"), &Default::default()).unwrap();
    assert!(
        why.contains(
            "statement EnforceConfusedDeputyProtection of resource control policy p-perimeter1"
        ),
        "{why}"
    );
}
