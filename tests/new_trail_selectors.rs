//! Issue 20, point 12, over moto through the real binary: `apply` reads a new trail's event selectors and
//! writes them only when they miss management events. AWS's new trail logs them all already (aws-rules
//! CT-6; the fake's unit tests show no PutEventSelectors there); moto's has no selector at all, so here the
//! write is still made and the result still converges.

use crate::support;

use support::trailhub::{MEMBERS, World, managed_trails, static_config};

#[test]
fn over_moto_a_new_trail_without_selectors_still_gets_every_management_event() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    let first = w.apply();
    assert_eq!(first.code, 0, "{first}");
    let trails = managed_trails(&MEMBERS);
    // read first, then written: moto's new trail has no selector
    assert_eq!(w.proxy.count("GetEventSelectors"), trails.len(), "{first}");
    assert_eq!(w.proxy.count("PutEventSelectors"), trails.len(), "{first}");
    for (id, name) in &trails {
        w.assert_onboarded(id, name);
        let ct = w.cloudtrail(id);
        let got =
            w.rt.block_on(ct.get_event_selectors().trail_name(name).send())
                .unwrap();
        let basic = got.event_selectors();
        assert_eq!(basic.len(), 1, "{id}: {got:?}");
        assert_eq!(basic[0].include_management_events(), Some(true), "{id}");
        assert_eq!(
            basic[0].read_write_type().map(|r| r.as_str()),
            Some("All"),
            "{id}"
        );
    }

    w.proxy.clear_log();
    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    assert!(w.proxy.writes().is_empty(), "{again}");
}
