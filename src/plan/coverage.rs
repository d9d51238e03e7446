//! Coverage that already exists (pure): does another trail of an account already do what trailhub's trail
//! would, so that trailhub creates none; or does another trail already log the account's management events
//! elsewhere, so that trailhub's trail would be a billed second copy of them (AWS bills every copy of
//! management events after the first)?

use serde::Serialize;

use super::policy::Org;
use super::{layout, selectors};
use crate::config::Config;
use crate::model::{AccountId, TrailArn};
use crate::world::{EventSelectors, ObservedTrail, TrailStatus};

/// A trail of the account other than trailhub's, with its status and event selectors: read for the trails
/// that could cover the account and for those that may log its management events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherTrail {
    pub trail: ObservedTrail,
    pub status: TrailStatus,
    pub selectors: EventSelectors,
}

/// What the account's other trails already do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "existing", rename_all = "kebab-case")]
pub enum Existing {
    /// This trail covers the account: it delivers to the central bucket at the account's place (its own
    /// trail under `[PREFIX/]AWSLogs/<id>/`; an organization trail, `org_id` set, under
    /// `AWSLogs/<org-id>/<id>/`), is multi-region, logging, with log file validation and global service
    /// events, and logs every management event. The policy keeps allowing it like trailhub's own trails.
    Covers {
        arn: String,
        org_id: Option<String>,
    },
    /// This trail logs the account's management events but delivers them elsewhere (`to`).
    SecondCopyOf {
        arn: String,
        to: String,
    },
    Nothing,
}

/// What the other trails of account `id` already do. An organization trail can cover only when the
/// organization is known (`source = "organizations"`): its logs go under the organization's ID.
pub fn existing(
    cfg: &Config,
    id: &AccountId,
    others: &[OtherTrail],
    org: Option<&Org>,
) -> Existing {
    if let Some(o) = others.iter().find(|o| covers(cfg, id, o, org)) {
        return Existing::Covers {
            arn: o.trail.arn.clone(),
            org_id: org
                .filter(|_| o.trail.organization_trail)
                .map(|g| g.id.clone()),
        };
    }
    match others
        .iter()
        .find(|o| o.status.is_logging && selectors::management(&o.selectors).any)
    {
        Some(o) => Existing::SecondCopyOf {
            arn: o.trail.arn.clone(),
            to: match &o.trail.bucket {
                Some(b) => layout::s3_url(b, o.trail.key_prefix.as_deref()),
                None => "(no bucket)".to_owned(),
            },
        },
        None => Existing::Nothing,
    }
}

fn covers(cfg: &Config, id: &AccountId, o: &OtherTrail, org: Option<&Org>) -> bool {
    let t = &o.trail;
    let prefix = cfg.central.key_prefix.as_ref().map(|p| p.as_str());
    let settings = super::trails::delivers_to(t, cfg.central.bucket.as_str(), prefix)
        && t.multi_region
        && t.global_events
        && t.log_validation
        && o.status.is_logging
        && selectors::management(&o.selectors).all();
    let Some(arn) = TrailArn::parse(&t.arn).filter(|_| settings) else {
        return false;
    };
    match (t.organization_trail, org) {
        (false, _) => arn.account == id.as_str(),
        (true, org) => org.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::fake::{aws_default_selectors, fake_trail};

    fn cfg() -> Config {
        let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{name}-CT\"\n";
        Config::parse(Path::new("a.toml"), text).unwrap()
    }

    fn other(account: &str, name: &str, bucket: &str, org_trail: bool) -> OtherTrail {
        let mut trail = fake_trail(&"ap-northeast-2".parse().unwrap(), account, name, bucket);
        trail.organization_trail = org_trail;
        OtherTrail {
            trail,
            status: TrailStatus {
                is_logging: true,
                ..TrailStatus::default()
            },
            selectors: aws_default_selectors(),
        }
    }

    #[test]
    fn an_organization_trail_covers_when_the_organization_is_known() {
        let (cfg, id) = (cfg(), "222222222222".parse().unwrap());
        let org = Org {
            id: "o-abc123".into(),
            members: ["222222222222".to_owned()].into(),
        };
        let t = other("999999999999", "org", "sec-log", true);
        assert_eq!(
            existing(&cfg, &id, std::slice::from_ref(&t), Some(&org)),
            Existing::Covers {
                arn: t.trail.arn.clone(),
                org_id: Some("o-abc123".into())
            }
        );
        // the organization unknown (a static list): not covering, but a copy of the management events
        let none = existing(&cfg, &id, std::slice::from_ref(&t), None);
        assert!(matches!(none, Existing::SecondCopyOf { .. }), "{none:?}");
    }

    #[test]
    fn a_trail_covers_only_at_its_own_place_and_with_every_management_event() {
        let (cfg, id) = (cfg(), "222222222222".parse().unwrap());
        let own = other("222222222222", "Legacy", "sec-log", false);
        assert!(matches!(
            existing(&cfg, &id, std::slice::from_ref(&own), None),
            Existing::Covers { .. }
        ));
        // another account's trail delivering to the bucket is not this account's coverage
        let foreign = other("333333333333", "Legacy", "sec-log", false);
        assert!(matches!(
            existing(&cfg, &id, &[foreign], None),
            Existing::SecondCopyOf { .. }
        ));
        let mut reads_only = own.clone();
        reads_only.selectors.basic[0].read_write = crate::world::ReadWrite::ReadOnly;
        assert!(matches!(
            existing(&cfg, &id, &[reads_only], None),
            Existing::SecondCopyOf { .. }
        ));
        let mut stopped = own;
        stopped.status.is_logging = false;
        assert_eq!(existing(&cfg, &id, &[stopped], None), Existing::Nothing);
    }
}
