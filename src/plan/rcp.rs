//! Resource control policies (RCPs) in force on the central account, and whether they let a delivery
//! through: an RCP applies to the central bucket and key whoever calls, service principals included
//! (ORG-7). Pure.
//!
//! AWS combines them as it does SCPs: at each level from the root down to the account an allow-list (the
//! RCPs attached there; `RCPFullAWSAccess` allows everything), and an explicit Deny in any of them wins.
//! So a request gets through when every level's RCPs allow it and none denies it; the bucket (or key)
//! policy must still allow it as well.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::evaluate::{Decision, Delivery, Request, Source, evaluate, service_context};
use super::membership::SourceOrg;
use super::policy::CLOUDTRAIL;
use super::verdict::{DeliveryRequest, Denial, DenialReason};
use crate::model::TrailArn;
use crate::world::OrgPolicy;

/// One RCP: its ID (`p-...`), name and document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rcp {
    pub id: String,
    pub name: String,
    /// The parsed content; `null` when it is not JSON (then it allows nothing).
    pub document: Value,
}

impl From<&OrgPolicy> for Rcp {
    fn from(p: &OrgPolicy) -> Self {
        Rcp {
            id: p.id.clone(),
            name: p.name.clone(),
            document: serde_json::from_str(&p.content).unwrap_or(Value::Null),
        }
    }
}

/// The RCPs attached at one level: the central account, one of its OUs, or the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcpLevel {
    /// The account ID, OU ID (`ou-...`) or root ID (`r-...`).
    pub target: String,
    pub policies: Vec<Rcp>,
}

/// What is known of the RCPs in force on the central account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RcpState {
    /// Not read (a command that does not need them, or a test).
    #[default]
    NotRead,
    /// The central account is in no organization: no RCP applies.
    NoOrganization,
    /// The central account is the organization's management account, whose resources RCPs do not affect
    /// (ORG-7).
    ManagementAccount,
    /// The caller may not read them (not the management account nor a delegated administrator for
    /// Organizations policies): the AWS error, in words. The plan then proves nothing about RCPs.
    Unreadable { reason: String },
    /// Every level from the central account up to its root, the account first.
    Read { levels: Vec<RcpLevel> },
}

impl RcpState {
    /// Whether the JSON leaves it out: nothing read, or nothing to read.
    pub fn is_silent(&self) -> bool {
        matches!(
            self,
            RcpState::NotRead | RcpState::NoOrganization | RcpState::ManagementAccount
        )
    }

    /// The levels read (none unless read).
    pub fn levels(&self) -> &[RcpLevel] {
        match self {
            RcpState::Read { levels } => levels,
            _ => &[],
        }
    }

    /// Each RCP read, once, with the levels it is attached to.
    pub fn policies(&self) -> Vec<(&Rcp, Vec<&str>)> {
        let RcpState::Read { levels } = self else {
            return vec![];
        };
        let mut out: Vec<(&Rcp, Vec<&str>)> = Vec::new();
        for level in levels {
            for p in &level.policies {
                match out.iter_mut().find(|(q, _)| q.id == p.id) {
                    Some((_, at)) => at.push(&level.target),
                    None => out.push((p, vec![&level.target])),
                }
            }
        }
        out
    }
}

/// `{"status": "read", "policies": [{"id", "name", "attached_to": [...]}]}` or
/// `{"status": "unreadable", "reason": ...}`.
impl Serialize for RcpState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Named<'a> {
            id: &'a str,
            name: &'a str,
            attached_to: Vec<&'a str>,
        }
        let mut st = s.serialize_struct("RcpState", 2)?;
        match self {
            RcpState::Unreadable { reason } => {
                st.serialize_field("status", "unreadable")?;
                st.serialize_field("reason", reason)?;
            }
            RcpState::Read { .. } => {
                let named: Vec<Named<'_>> = self
                    .policies()
                    .into_iter()
                    .map(|(p, attached_to)| Named {
                        id: &p.id,
                        name: &p.name,
                        attached_to,
                    })
                    .collect();
                st.serialize_field("status", "read")?;
                st.serialize_field("policies", &named)?;
            }
            RcpState::NotRead => st.serialize_field("status", "not-read")?,
            RcpState::NoOrganization => st.serialize_field("status", "no-organization")?,
            RcpState::ManagementAccount => st.serialize_field("status", "management-account")?,
        }
        st.end()
    }
}

/// Why the RCPs refuse one request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// A statement of this RCP denies it.
    DeniedBy { rcp: Rcp, sid: Option<String> },
    /// No RCP attached at this level allows it.
    NotAllowed { target: String },
}

/// Why the RCPs of `levels` refuse `req`, if they do: an explicit Deny anywhere first, then the first level
/// (from the account up) whose RCPs allow nothing for it.
fn refusal(levels: &[RcpLevel], req: &Request) -> Option<Refusal> {
    let mut not_allowed = None;
    for level in levels {
        let mut allowed = false;
        for rcp in &level.policies {
            match evaluate(&rcp.document, req) {
                Decision::ExplicitDeny { sid } => {
                    let rcp = rcp.clone();
                    return Some(Refusal::DeniedBy { rcp, sid });
                }
                Decision::Allow { .. } => allowed = true,
                Decision::ImplicitDeny => {}
            }
        }
        if !allowed && !level.policies.is_empty() && not_allowed.is_none() {
            not_allowed = Some(Refusal::NotAllowed {
                target: level.target.clone(),
            });
        }
    }
    not_allowed
}

/// Why the RCPs in force refuse `target`'s delivery to the bucket (its ACL check or its write), if they
/// do; None when they let both through or were not read.
pub fn delivery_denial(rcps: &RcpState, target: &Delivery) -> Option<Denial> {
    let RcpState::Read { levels } = rcps else {
        return None;
    };
    let requests = [
        (DeliveryRequest::AclCheck, target.acl_check_request()),
        (DeliveryRequest::Write, target.write_request()),
    ];
    let reasons: Vec<DenialReason> = requests
        .into_iter()
        .filter_map(|(request, req)| {
            refusal(levels, &req).map(|r| match r {
                Refusal::DeniedBy { rcp, sid } => DenialReason::RcpDenies {
                    request,
                    rcp: rcp.id,
                    name: rcp.name,
                    sid,
                },
                Refusal::NotAllowed { target } => DenialReason::RcpNotAllowed { request, target },
            })
        })
        .collect();
    (!reasons.is_empty()).then_some(Denial { reasons })
}

/// The encryption context CloudTrail gives the key for a trail's log files (KMS-4).
const CLOUDTRAIL_CONTEXT: &str = "kms:EncryptionContext:aws:cloudtrail:arn";

/// Why the RCPs in force refuse CloudTrail's use of the key for `trail` (GenerateDataKey with the trail's
/// encryption context, as for the key policy: KMS-4), if they do; None when they let it through or were
/// not read.
pub fn key_denial(
    rcps: &RcpState,
    key_arn: &str,
    trail: &TrailArn,
    source: &SourceOrg,
) -> Option<String> {
    let RcpState::Read { levels } = rcps else {
        return None;
    };
    let trail_arn = trail.to_string();
    let from = Source {
        account: &trail.account,
        arn: Some(&trail_arn),
        org_id: source.id.as_deref(),
        org_path: source.path.as_deref(),
    };
    let mut context = service_context(CLOUDTRAIL, &from);
    context.insert(CLOUDTRAIL_CONTEXT.to_owned(), trail_arn.clone());
    let req = Request {
        principal_service: CLOUDTRAIL.to_owned(),
        action: "kms:GenerateDataKey".to_owned(),
        resource: key_arn.to_owned(),
        context,
    };
    let why = match refusal(levels, &req)? {
        Refusal::DeniedBy { rcp, sid } => format!(
            "is denied by statement {} of resource control policy {} ({})",
            sid.as_deref().unwrap_or("(no Sid)"),
            rcp.id,
            rcp.name
        ),
        Refusal::NotAllowed { target } => {
            format!("is allowed by no resource control policy attached to {target}")
        }
    };
    Some(format!(
        "kms:GenerateDataKey on {key_arn} for trail {trail} {why} (runbooks/troubleshooting.md#denied-by-a-resource-control-policy)"
    ))
}

#[cfg(test)]
pub(crate) mod tests;
