//! The judge's check of the delivery roles' permissions boundary (pure, facts in, problems out; issue 21,
//! point 2): each delivery role trailhub keeps must have the configured boundary
//! (`delivery-role-without-boundary`), and trailhub's boundary policy must hold exactly trailhub's document
//! (`boundary-policy-differs`). A role that does not exist is the other checks' gap (`no-cloudwatch`,
//! `flow-logs-missing`), not this one's.

use crate::config::ScopedAccount;
use crate::plan::DeliveryState;
use crate::plan::cloudwatch::{self, LogsSetup};
use crate::world::ObservedRole;

use super::judge::Judge;
use super::{Code, Problem};

const RUNBOOK: &str = "runbooks/cloudwatch-logs.md";

/// The problems of the account's delivery roles and their boundary, where `[cloudwatch]` or `[flow_logs]`
/// to `cloudwatch` apply to it.
pub(super) fn problems(j: &Judge, target: &ScopedAccount, d: &DeliveryState) -> Vec<Problem> {
    let trail = cloudwatch::trail_setup(j.cfg, target).and_then(Result::ok);
    let flow = cloudwatch::flow_setup(j.cfg, target).and_then(Result::ok);
    let mut out = Vec::new();
    let setups = [(&trail, &d.trail_role), (&flow, &d.flow_role)];
    for (setup, role) in setups {
        if let (Some(s), Some(r)) = (setup, role) {
            out.extend(unbounded(s, r));
        }
    }
    let differs = [&trail, &flow]
        .into_iter()
        .flatten()
        .find_map(|s| cloudwatch::boundary_policy(s, d.boundary_policy.as_deref()).err());
    if let Some(f) = differs {
        out.push(Problem::gap(
            Code::BoundaryPolicyDiffers,
            format!(
                "{}: someone changed it, and trailhub neither uses it nor makes its delivery roles \
                 ({RUNBOOK}#boundary-policy-differs)",
                f.message()
            ),
        ));
    }
    out
}

/// A role without the configured boundary: whoever may write it could give it any permission.
fn unbounded(s: &LogsSetup, r: &ObservedRole) -> Option<Problem> {
    let have = r.permissions_boundary.as_deref();
    if have == Some(s.boundary_arn.as_str()) {
        return None;
    }
    let has = have.map_or_else(
        || "no permissions boundary".to_owned(),
        |b| format!("the boundary {b}"),
    );
    Some(Problem::gap(
        Code::DeliveryRoleWithoutBoundary,
        format!(
            "delivery role {} has {has}, not {}: run trailhub apply, which puts it on \
             ({RUNBOOK}#delivery-role-without-boundary)",
            r.name, s.boundary_arn
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixtures::{applied_delivery, judge};

    const CFG: &str = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\ntrail_name = \"{name}-CT\"\n[[account]]\nid = \"222222222222\"\nname = \"DEV\"\n[cloudwatch]\n[flow_logs]\ndestinations = [\"cloudwatch\"]\n";

    #[test]
    fn a_role_without_the_boundary_and_a_changed_policy_are_gaps() {
        let cfg = crate::config::Config::parse(std::path::Path::new("a.toml"), CFG).unwrap();
        let t = &cfg.static_targets()[0];
        let policy = serde_json::json!({});
        let j = judge(&cfg, &policy);
        let mut d = applied_delivery(&cfg, t, &[]);
        assert!(problems(&j, t, &d).is_empty(), "{:?}", problems(&j, t, &d));
        d.trail_role.as_mut().unwrap().permissions_boundary = None;
        d.boundary_policy = Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.into());
        let p = problems(&j, t, &d);
        let codes: Vec<Code> = p.iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            [
                Code::DeliveryRoleWithoutBoundary,
                Code::BoundaryPolicyDiffers
            ],
            "{p:?}"
        );
        assert!(
            p[0].message
                .contains("TrailhubCloudTrailToLogs has no permissions boundary")
        );
    }
}
