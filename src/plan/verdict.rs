//! Whether a policy lets a delivery through: the request CloudTrail or delivery.logs makes of the central
//! bucket, and the evaluator's verdict on it. Pure.

use serde_json::Value;

use super::evaluate::{self, Delivery, DeliveryVerdict, check_delivery};
use super::layout;
use super::policy::{self, Org};
use crate::config::Config;
use crate::model::{AccountId, TrailArn};

/// Does `policy` let this target's trail deliver to the central bucket?
pub fn delivery_verdict(
    cfg: &Config,
    policy: &serde_json::Value,
    org: Option<&Org>,
    id: &AccountId,
    trail_arn: &TrailArn,
) -> DeliveryVerdict {
    let org_id = org.map(|o| o.id.as_str());
    check_delivery(policy, &trail_delivery(cfg, id, trail_arn, None, org_id))
}

/// What CloudTrail asks of the central bucket when `trail_arn` delivers `account`'s logs: the request the
/// evaluator judges. `org_trail`: the organization's ID when the trail is an organization trail, which
/// writes under `AWSLogs/<org-id>/<account>/`; `source_org`: `aws:SourceOrgID`, when known.
pub fn trail_delivery(
    cfg: &Config,
    account: &AccountId,
    trail_arn: &TrailArn,
    org_trail: Option<&str>,
    source_org: Option<&str>,
) -> Delivery {
    let central = &cfg.central;
    Delivery {
        partition: central.region.partition().to_owned(),
        bucket: central.bucket.to_string(),
        key_prefix: central.key_prefix.as_ref().map(ToString::to_string),
        account_id: match org_trail {
            Some(o) => format!("{o}/{account}"),
            None => account.to_string(),
        },
        source_arn: trail_arn.to_string(),
        source_account: trail_arn.account.clone(),
        org_id: source_org.map(str::to_owned),
        org_path: None,
        service: policy::CLOUDTRAIL.to_owned(),
        log_kind: "CloudTrail".to_owned(),
        region: trail_arn.region.clone(),
    }
}

/// What VPC Flow Logs asks of the central bucket when it delivers `account`'s flow logs
/// (`delivery.logs.amazonaws.com`, `aws:SourceAccount` the account, `aws:SourceArn` one of its CloudWatch
/// Logs ARNs in the central region, objects under `[prefix/]AWSLogs/<account>/vpcflowlogs/`, or
/// `[prefix/]AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/` with Hive-compatible partitions,
/// DL-6), without `aws:SourceOrgID` (see [`flow_logs_verdict`]).
///
/// AWS documents `aws:SourceArn` only as a pattern, `arn:<p>:logs:<region>:<account>:*` (VPC User Guide,
/// "Amazon S3 bucket permissions for flow logs"), not the value delivery.logs sends. The representative is
/// a concrete ARN of that shape, never the pattern itself, so that a statement comparing the pattern's text
/// with `StringEquals` (which AWS would not match) does not count as allowing.
pub fn flow_log_delivery(cfg: &Config, account: &AccountId) -> Delivery {
    let central = &cfg.central;
    let (partition, region) = (central.region.partition(), central.region.as_str());
    Delivery {
        partition: partition.to_owned(),
        bucket: central.bucket.to_string(),
        key_prefix: central.key_prefix.as_ref().map(ToString::to_string),
        account_id: account.to_string(),
        source_arn: format!("arn:{partition}:logs:{region}:{account}:vpc-flow-log-delivery"),
        source_account: account.to_string(),
        org_id: None,
        org_path: None,
        service: DELIVERY_LOGS.to_owned(),
        log_kind: if super::inputs::hive_flow_logs(cfg) {
            layout::HIVE_FLOW_LOGS
        } else {
            layout::FLOW_LOGS
        }
        .to_owned(),
        region: region.to_owned(),
    }
}

/// Does `policy` let delivery.logs write this account's flow logs to the central bucket? With the
/// organization's ID as `aws:SourceOrgID` when the accounts come from AWS Organizations (the policy's
/// organization form rests on it).
pub fn flow_logs_verdict(
    cfg: &Config,
    policy: &Value,
    org: Option<&Org>,
    account: &AccountId,
) -> DeliveryVerdict {
    let target = Delivery {
        org_id: org.map(|o| o.id.clone()),
        ..flow_log_delivery(cfg, account)
    };
    check_delivery(policy, &target)
}

/// Why AWS would refuse `target`'s delivery by `service`: the bucket policy's denial, else the RCPs in
/// force'. None when both let it through.
pub fn delivery_denial(
    policy: &Value,
    target: &Delivery,
    rcps: &super::rcp::RcpState,
    service: &str,
) -> Option<Denial> {
    let verdict = check_delivery(policy, target);
    if !verdict.allowed() {
        return Some(denial_for(policy, &verdict, service));
    }
    super::rcp::delivery_denial(rcps, target)
}

/// The service that delivers flow logs (and other vended logs) to S3.
pub const DELIVERY_LOGS: &str = policy::LOG_DELIVERY;

/// Why a delivery verdict is not allowed, as values: `output` writes the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// In order: each refused request (the ACL check, then the write), then the statements not judged.
    pub reasons: Vec<DenialReason>,
}

/// One reason of a [`Denial`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenialReason {
    /// This statement (its Sid, if any) denies the request.
    DeniedBy {
        request: DeliveryRequest,
        sid: Option<String>,
    },
    /// No statement allows the request.
    NotAllowed { request: DeliveryRequest },
    /// A statement of a resource control policy in force on the central account denies the request.
    RcpDenies {
        request: DeliveryRequest,
        /// The RCP's ID (`p-...`) and name.
        rcp: String,
        name: String,
        sid: Option<String>,
    },
    /// No RCP attached at this level (the central account, an OU or the root) allows the request.
    RcpNotAllowed {
        request: DeliveryRequest,
        target: String,
    },
    /// An Allow statement for the service has a condition operator trailhub does not evaluate, so it counts
    /// as allowing nothing (said only when some request is allowed by nothing).
    Unjudged {
        sid: Option<String>,
        operator: String,
    },
}

/// The two requests a delivery makes of the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryRequest {
    /// `s3:GetBucketAcl` on the bucket.
    AclCheck,
    /// `s3:PutObject` on its AWSLogs prefix.
    Write,
}

/// Why a CloudTrail delivery verdict is not allowed.
pub fn denial(policy: &Value, v: &DeliveryVerdict) -> Denial {
    denial_for(policy, v, policy::CLOUDTRAIL)
}

/// Why `service`'s delivery verdict is not allowed.
pub fn denial_for(policy: &Value, v: &DeliveryVerdict, service: &str) -> Denial {
    let mut reasons = Vec::new();
    let mut implicit = false;
    for (request, d) in [
        (DeliveryRequest::AclCheck, &v.acl_check),
        (DeliveryRequest::Write, &v.write),
    ] {
        match d {
            evaluate::Decision::Allow { .. } => {}
            evaluate::Decision::ExplicitDeny { sid } => {
                let sid = sid.clone();
                reasons.push(DenialReason::DeniedBy { request, sid });
            }
            evaluate::Decision::ImplicitDeny => {
                implicit = true;
                reasons.push(DenialReason::NotAllowed { request });
            }
        }
    }
    if implicit {
        for (sid, operator) in evaluate::unjudged_operators(policy, service) {
            reasons.push(DenialReason::Unjudged { sid, operator });
        }
    }
    Denial { reasons }
}
