//! Listing the organization (issue 13, part 1): ListAccounts' pages one after another, against the walk by
//! OU (observe/org_tree.rs), over the fake AWS at L = 50 ms a call, real time. 10,000 accounts:
//!
//! - `list-accounts`: no OU configured, 501 pages of 20, one after another (the figure to beat: ~25 s);
//! - `ou-tree`: `organizational_units = [the root]` over a tree of 10 OUs of 10 OUs of 100 accounts each,
//!   at C = 16 and 64;
//! - `ou-flat`: the same 10,000 accounts right below the root (a large flat root still works: its pages are
//!   one after another, as ListAccounts').
//!
//! The bound of a walk is the larger of its critical path (ListRoots, then one round trip per level, the
//! leaves' 5 pages of ListAccountsForParent one after another) and its calls through the C calls allowed at
//! once. `cargo bench --bench listing`.

mod common;

use std::time::{Duration, Instant};

use common::median;
use trailhub::aws::{OrgAccount, OuNode};
use trailhub::config::Source;
use trailhub::fake::{FAKE_ROOT, FakeAws};

const L: Duration = Duration::from_millis(50);
const ACCOUNTS: usize = 10_000;

/// The organization: the central account and 10,000 members, in a tree of 10 x 10 OUs (`tree`) or right
/// below the root.
fn organization(tree: bool) -> FakeAws {
    let aws = FakeAws::new(common::CENTRAL, common::REGION, L);
    let mut w = aws.world();
    w.org_id = Some(common::ORG_ID.to_owned());
    w.org_accounts.push(OrgAccount {
        id: common::CENTRAL.to_owned(),
        name: "central".into(),
        active: true,
    });
    for i in 0..ACCOUNTS {
        let id = common::member_id(i);
        w.org_accounts.push(OrgAccount {
            id: id.clone(),
            name: common::member_name(i),
            active: true,
        });
        if tree {
            w.org_parent.insert(id, leaf(i / 100));
        }
    }
    if tree {
        for top in 0..10 {
            let top_id = format!("ou-fake-top{top:05}");
            w.org_ous.push((
                FAKE_ROOT.to_owned(),
                OuNode {
                    id: top_id.clone(),
                    name: format!("T{top}"),
                },
            ));
            for sub in 0..10 {
                let name = format!("S{}", top * 10 + sub);
                w.org_ous.push((
                    top_id.clone(),
                    OuNode {
                        id: leaf(top * 10 + sub),
                        name,
                    },
                ));
            }
        }
    }
    drop(w);
    aws
}

fn leaf(n: usize) -> String {
    format!("ou-fake-leaf{n:04}")
}

fn run(name: &str, tree: bool, ous: bool, concurrency: usize, runs: usize) -> Duration {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let extra = format!(
        "concurrency = {concurrency}\n{}",
        if ous {
            format!("organizational_units = [\"{FAKE_ROOT}\"]\n")
        } else {
            String::new()
        }
    );
    let cfg = common::config_with(Source::Organizations, ACCOUNTS, &extra);
    let mut times = Vec::new();
    let mut calls = 0;
    for _ in 0..runs {
        let aws = organization(tree);
        let start = Instant::now();
        let scope = rt
            .block_on(trailhub::observe::scope(&aws, &cfg))
            .expect("the scope");
        times.push(start.elapsed());
        assert_eq!(scope.targets.len(), ACCOUNTS + 1, "{name}");
        calls = aws.total_calls();
    }
    let m = median(times.clone());
    println!(
        "{name:<28} C={concurrency:<3} median {:>7.2} s of {runs} (min {:.2}, max {:.2}); {calls} calls",
        m.as_secs_f64(),
        times.iter().min().unwrap().as_secs_f64(),
        times.iter().max().unwrap().as_secs_f64()
    );
    m
}

fn main() {
    println!("{}", common::machine());
    println!(
        "listing 10,000 accounts over the fake AWS, L = {} ms a call, real time",
        L.as_millis()
    );
    let serial = run("list-accounts (no OU)", false, false, 64, 1);
    for c in [16, 64] {
        let walk = run("ou-tree (10 x 10 OUs)", true, true, c, 5);
        // critical path: ListRoots, root, top OUs, then the leaves (their 5 pages one after another)
        let path = L * 8;
        // the walk lists C/2 nodes at once (two calls each); a leaf holds its place for its 5 pages, so
        // the 100 leaves take ceil(100 / (C/2)) turns of 5 L after the 3 L above them
        let turns = 100_u32.div_ceil((c as u32 / 2).max(1));
        let through = L * (3 + turns * 5);
        let bound = path.max(through);
        let calls = 1 + 111 + 11 + 100 * 5;
        println!(
            "  bound {:.2} s (critical path {:.2} s; {calls} calls, the leaves {c}/2 at a time: {:.2} s); ratio {:.2}; {:.1}x faster than list-accounts",
            bound.as_secs_f64(),
            path.as_secs_f64(),
            through.as_secs_f64(),
            walk.as_secs_f64() / bound.as_secs_f64(),
            serial.as_secs_f64() / walk.as_secs_f64()
        );
    }
    run("ou-flat (all under the root)", false, true, 64, 1);
}
