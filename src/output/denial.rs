//! The words for why a policy refuses a delivery ([`Denial`]), wherever it is shown: a plan's blocked
//! account, an apply's failure, an audit's problem, and the `message` of the JSON reports. Pure.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::plan::{DeliveryRequest, Denial, DenialReason};

/// `; `-separated, one clause a reason: "s3:PutObject on its AWSLogs prefix is denied by statement NoDev".
impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, reason) in self.reasons.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{reason}")?;
        }
        Ok(())
    }
}

impl fmt::Display for DenialReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenialReason::DeniedBy { request, sid } => {
                write!(
                    f,
                    "{} is denied by statement {}",
                    what(*request),
                    named(sid)
                )
            }
            DenialReason::NotAllowed { request } => {
                write!(f, "no statement allows {}", what(*request))
            }
            DenialReason::RcpDenies {
                request,
                rcp,
                name,
                sid,
            } => write!(
                f,
                "{} is denied by statement {} of resource control policy {rcp} ({name})",
                what(*request),
                named(sid)
            ),
            DenialReason::RcpNotAllowed { request, target } => write!(
                f,
                "no resource control policy attached to {target} allows {}",
                what(*request)
            ),
            DenialReason::Unjudged { sid, operator } => write!(
                f,
                "statement {} has condition operator {operator}, which trailhub does not evaluate, so it \
                 counts as allowing nothing",
                named(sid)
            ),
        }
    }
}

/// As its words, the string the JSON reports have always carried.
impl Serialize for Denial {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn what(request: DeliveryRequest) -> &'static str {
    match request {
        DeliveryRequest::AclCheck => "s3:GetBucketAcl on the bucket",
        DeliveryRequest::Write => "s3:PutObject on its AWSLogs prefix",
    }
}

fn named(sid: &Option<String>) -> &str {
    sid.as_deref().unwrap_or("(no Sid)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_is_one_clause() {
        let denial = Denial {
            reasons: vec![
                DenialReason::NotAllowed {
                    request: DeliveryRequest::AclCheck,
                },
                DenialReason::DeniedBy {
                    request: DeliveryRequest::Write,
                    sid: None,
                },
                DenialReason::Unjudged {
                    sid: Some("A".into()),
                    operator: "IpAddress".into(),
                },
            ],
        };
        assert_eq!(
            denial.to_string(),
            "no statement allows s3:GetBucketAcl on the bucket; s3:PutObject on its AWSLogs prefix is \
             denied by statement (no Sid); statement A has condition operator IpAddress, which trailhub \
             does not evaluate, so it counts as allowing nothing"
        );
        assert_eq!(
            serde_json::to_value(&denial).unwrap(),
            serde_json::Value::String(denial.to_string())
        );
    }
}
