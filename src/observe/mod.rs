//! Observation: what the world holds now, read over the `aws` traits (async I/O, never a write). `scope`
//! lists the accounts in scope (`org_tree` walks the organization by OU), `account` observes one account,
//! `central` reads the central bucket's settings and the KMS key, and `audit` gathers the audit's facts.
//! [`scope_and_observe`] overlaps the listing of the scope with the observation of its accounts.

pub mod account;
pub mod alarms;
pub(crate) mod audit;
pub mod central;
pub mod guardrails;
pub mod org_tree;
pub mod organizations;
pub mod queue;
pub mod regions;
pub mod scope;

pub use account::{Observation, observe};
pub use scope::{Rejected, Scope, scope};

use futures::stream::{self, StreamExt};

use crate::aws::{AwsError, Central};
use crate::config::{Config, ScopedAccount};
use crate::interrupt::Interrupt;
use crate::plan::{AccountFailure, AccountState};
use crate::progress::Progress;
use account::{failed, observe_one};
use scope::scope_streaming;

/// The scope and every target observed, the observation of the first accounts overlapping the listing of
/// later ListAccounts pages. At most `concurrency` accounts are observed at once; `progress` hears of each
/// account found and of each observed.
pub async fn scope_and_observe<C: Central>(
    central: &C,
    cfg: &Config,
    concurrency: usize,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Result<(Scope, Vec<Observation<C::Member>>), AwsError> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<ScopedAccount>();
    let limit = regions::region_limit(concurrency);
    let limit = &limit;
    let listing = async move {
        let r = scope_streaming(central, cfg, |t| {
            let _ = tx.send(t.clone());
            progress.found(1);
        })
        .await;
        drop(tx);
        r
    };
    let observing = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|t| (t, rx)) })
        .map(|t| async move {
            if interrupt.is_set() {
                // Ctrl-C: no new account is started, observation included
                return failed(t, AccountFailure::Interrupted, None);
            }
            let observed = observe_one(central, cfg, t, limit).await;
            progress.account_done(matches!(observed.state, AccountState::Failed(_)));
            observed
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>();
    let (scoped, mut observations) = tokio::join!(listing, observing);
    let scope = scoped?;
    observations.sort_by(|a, b| a.target.report_order().cmp(&b.target.report_order()));
    Ok((scope, observations))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use crate::aws::OrgAccount;
    use crate::fake::FakeAws;

    #[tokio::test(start_paused = true)]
    async fn observation_overlaps_the_listing_of_the_organization() {
        // 400 accounts: 20 ListAccounts pages at 50 ms = 1 s serial; observing them 16 at a time, 2 calls
        // each, is 25 rounds * 100 ms = 2.5 s. One after the other: 3.5 s; overlapped: about 2.6 s.
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(50));
        {
            let mut w = aws.world();
            w.org_id = Some("o-abcdef1234".into());
            w.org_accounts = (0..400)
                .map(|i| OrgAccount {
                    id: format!("{:012}", 300000000000u64 + i),
                    name: format!("A{i}"),
                    active: true,
                })
                .collect();
        }
        let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{name}-CT\"\n";
        let cfg = Config::parse(Path::new("t.toml"), text).unwrap();
        let start = Instant::now();
        let silent = crate::progress::Silent;
        let (scope, obs) = scope_and_observe(&aws, &cfg, 16, &Interrupt::default(), &silent)
            .await
            .unwrap();
        let took = start.elapsed();
        assert_eq!(scope.targets.len(), 400);
        assert_eq!(obs.len(), 400);
        assert!(
            obs.iter()
                .zip(&scope.targets)
                .all(|(o, t)| o.target.id == t.id),
            "same order"
        );
        assert_eq!(scope.org.as_ref().map(|o| o.members.len()), Some(400));
        assert!(
            took < Duration::from_millis(2900),
            "took {took:?}: listing and observing did not overlap"
        );
    }
}
