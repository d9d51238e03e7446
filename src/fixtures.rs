//! Fixtures shared by the unit tests (tests only, pure): the accounts.toml of the runs over the in-memory
//! fake, written once.

use std::path::Path;

use crate::apply::{ApplyOptions, ApplyRun, apply};
use crate::aws::Central;
use crate::config::Config;
use crate::interrupt::Interrupt;
use crate::observe::{Observation, Scope};
use crate::plan::Plan;
use crate::plan::prune::Prune;
use crate::progress::Silent;

/// The central account of every fixture.
pub(crate) const CENTRAL: &str = "111111111111";

/// accounts.toml's text: the central account [`CENTRAL`] (bucket `sec-log` in ap-northeast-2, its trail
/// `SEC`) with the lines `central`, members' trails named `{name}-CT` with the lines `members_section`,
/// then `members` static accounts M0, M1... numbered from 200000000000. Append further sections to it.
pub(crate) fn config_text(central: &str, members_section: &str, members: usize) -> String {
    let mut text = format!(
        "[central]\naccount_id = \"{CENTRAL}\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\n{central}[members]\ntrail_name = \"{{name}}-CT\"\n{members_section}"
    );
    for i in 0..members {
        text += &format!(
            "[[account]]\nid = \"{:012}\"\nname = \"M{i}\"\n",
            200000000000u64 + i as u64
        );
    }
    text
}

/// [`config_text`] with nothing added, parsed.
pub(crate) fn config(members: usize) -> Config {
    parse(&config_text("", "", members))
}

/// A fixture's text, parsed (it must be valid).
pub(crate) fn parse(text: &str) -> Config {
    Config::parse(Path::new("t.toml"), text).unwrap()
}

/// `commands::observe_and_plan` as a test calls it: no `--prune`, no progress shown.
pub(crate) async fn observe_and_plan<C: Central>(
    aws: &C,
    cfg: &Config,
    concurrency: usize,
    interrupt: &Interrupt,
) -> anyhow::Result<(Scope, Plan, Vec<Observation<C::Member>>)> {
    crate::commands::observe_and_plan(aws, cfg, &Prune::Off, concurrency, interrupt, &Silent).await
}

/// Plan, then apply, as `trailhub apply --yes` runs them (the plan, and what the apply did).
pub(crate) async fn plan_and_apply<C: Central>(
    aws: &C,
    cfg: &Config,
    opts: &ApplyOptions,
) -> (Plan, ApplyRun) {
    let (scope, plan, obs) = observe_and_plan(aws, cfg, opts.concurrency, &opts.interrupt)
        .await
        .unwrap();
    let run = apply(aws, cfg, &scope, &plan, obs, opts).await.unwrap();
    (plan, run)
}

/// `text` with its lines joined and its spaces collapsed: what the text says, however it was wrapped to
/// 100 columns.
pub(crate) fn unwrapped(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `plan`'s text, as `trailhub plan` prints it.
pub(crate) fn plan_text(plan: &Plan) -> String {
    use crate::output::{Render, Scripted};
    let report = crate::report::PlanReport {
        plan: plan.clone(),
        rejected: vec![],
        live_policy: None,
    };
    let mut out = Vec::new();
    report
        .text(&mut out, &mut Scripted::answering(&[]))
        .unwrap();
    String::from_utf8(out).unwrap()
}
