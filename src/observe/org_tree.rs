//! Walking the organization by OU (async I/O over the `Central` trait, read only): from each root, the
//! OUs and accounts right below each node listed at once, nodes in parallel within a bound, so that a
//! deep or wide organization lists in a few round trips per level rather than ListAccounts' pages one
//! after another.
//! Each account comes with its OU path (`Root/Workloads/Prod`) and the IDs of the nodes above it.

use futures::stream::{FuturesUnordered, StreamExt};

use crate::aws::{AwsError, Central, OrgAccount, OuNode};

/// An account where the walk found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub account: OrgAccount,
    /// The names from the root down to its OU, joined by `/`.
    pub path: String,
    /// The IDs of the root and every OU above the account, the root first.
    pub ancestors: Vec<String>,
}

/// A node to list: its ID, its path and the IDs above it (itself included).
struct Node {
    id: String,
    path: String,
    ancestors: Vec<String>,
}

/// Walks every root and OU, at most `concurrency` nodes at once (two calls each), handing each account to
/// `found` as its node is listed. Returns the ID of every root and OU seen.
pub async fn walk<C: Central>(
    central: &C,
    concurrency: usize,
    mut found: impl FnMut(Placed),
) -> Result<Vec<String>, AwsError> {
    let mut pending: Vec<Node> = central
        .list_roots()
        .await?
        .into_iter()
        .map(|r| Node {
            path: r.name,
            ancestors: vec![r.id.clone()],
            id: r.id,
        })
        .collect();
    let mut seen: Vec<String> = pending.iter().map(|n| n.id.clone()).collect();
    let mut in_flight = FuturesUnordered::new();
    let bound = (concurrency / 2).max(1);
    loop {
        while in_flight.len() < bound
            && let Some(node) = pending.pop()
        {
            in_flight.push(list_node(central, node));
        }
        let Some(listed) = in_flight.next().await else {
            return Ok(seen);
        };
        let (node, ous, accounts) = listed?;
        for account in accounts {
            found(Placed {
                account,
                path: node.path.clone(),
                ancestors: node.ancestors.clone(),
            });
        }
        for ou in ous {
            seen.push(ou.id.clone());
            let mut ancestors = node.ancestors.clone();
            ancestors.push(ou.id.clone());
            pending.push(Node {
                path: format!("{}/{}", node.path, ou.name),
                id: ou.id,
                ancestors,
            });
        }
    }
}

/// The OUs and the accounts right below one node, listed at once.
async fn list_node<C: Central>(
    central: &C,
    node: Node,
) -> Result<(Node, Vec<OuNode>, Vec<OrgAccount>), AwsError> {
    let (ous, accounts) = tokio::join!(
        central.list_child_ous(&node.id),
        central.list_accounts_for_parent(&node.id)
    );
    Ok((node, ous?, accounts?))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crate::aws::{OrgAccount, OuNode};
    use crate::config::Config;
    use crate::fake::{FAKE_ROOT, FakeAws};

    const WORKLOADS: &str = "ou-fake-workload";
    const PROD: &str = "ou-fake-prod0001";
    const DEV: &str = "ou-fake-dev00001";
    const SANDBOX: &str = "ou-fake-sandbox1";

    /// Root: central and 200000000000; Workloads: 200000000001; Workloads/Prod: 200000000002 and 3;
    /// Workloads/Dev: 200000000004; Sandbox: 200000000005.
    fn organization() -> FakeAws {
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(50));
        let mut w = aws.world();
        let ou = |parent: &str, id: &str, name: &str| {
            (
                parent.to_owned(),
                OuNode {
                    id: id.into(),
                    name: name.into(),
                },
            )
        };
        w.org_ous = vec![
            ou(FAKE_ROOT, WORKLOADS, "Workloads"),
            ou(WORKLOADS, PROD, "Prod"),
            ou(WORKLOADS, DEV, "Dev"),
            ou(FAKE_ROOT, SANDBOX, "Sandbox"),
        ];
        w.org_id = Some("o-fake12345".into());
        let place = [
            None,
            Some(WORKLOADS),
            Some(PROD),
            Some(PROD),
            Some(DEV),
            Some(SANDBOX),
        ];
        w.org_accounts.push(OrgAccount {
            id: "111111111111".into(),
            name: "central".into(),
            active: true,
        });
        for (i, parent) in place.iter().enumerate() {
            let id = format!("{:012}", 200_000_000_000u64 + i as u64);
            w.org_accounts.push(OrgAccount {
                id: id.clone(),
                name: format!("A{i}"),
                active: true,
            });
            if let Some(p) = parent {
                w.org_parent.insert(id, (*p).to_owned());
            }
        }
        drop(w);
        aws
    }

    fn config(extra: &str) -> Config {
        let text = format!(
            "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\n{extra}"
        );
        Config::parse(Path::new("t.toml"), &text).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn an_ou_with_everything_below_it_but_the_excluded_one() {
        let aws = organization();
        let cfg = config(&format!(
            "organizational_units = [\"{WORKLOADS}\"]\nexclude_organizational_units = [\"{DEV}\"]\n"
        ));
        let scope = crate::observe::scope(&aws, &cfg).await.unwrap();
        let got: Vec<(String, Option<String>)> = scope
            .targets
            .iter()
            .map(|t| (t.id.to_string(), t.ou.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("200000000001".to_owned(), Some("Root/Workloads".to_owned())),
                (
                    "200000000002".to_owned(),
                    Some("Root/Workloads/Prod".to_owned())
                ),
                (
                    "200000000003".to_owned(),
                    Some("Root/Workloads/Prod".to_owned())
                ),
            ]
        );
        // the organization's members are every account listed, in scope or not (the policy's forms)
        assert_eq!(scope.org.unwrap().members.len(), 7);
        assert_eq!(aws.calls("ListAccounts"), 0);
        assert_eq!(aws.calls("ListOrganizationalUnitsForParent"), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn only_exclusions_and_an_unknown_ou() {
        let aws = organization();
        let cfg = config(&format!("exclude_organizational_units = [\"{SANDBOX}\"]\n"));
        let scope = crate::observe::scope(&aws, &cfg).await.unwrap();
        assert_eq!(scope.targets.len(), 5, "{:?}", scope.targets);
        assert!(
            scope
                .targets
                .iter()
                .all(|t| t.ou.as_deref() != Some("Root/Sandbox"))
        );

        let typo = config("organizational_units = [\"ou-fake-prod0002\"]\n");
        let e = crate::observe::scope(&aws, &typo).await.unwrap_err();
        assert_eq!(e.code, "OrganizationalUnitNotFound");
        assert!(e.message.contains("ou-fake-prod0002"), "{e}");
    }

    /// Levels are listed one round trip each, nodes of a level at once: 1 + 3 levels of 2 calls in parallel,
    /// not one call after another.
    #[tokio::test(start_paused = true)]
    async fn nodes_are_listed_in_parallel() {
        let aws = organization();
        let start = tokio::time::Instant::now();
        let mut n = 0;
        super::walk(&aws, 64, |_| n += 1).await.unwrap();
        assert_eq!(n, 7);
        assert!(
            start.elapsed() <= Duration::from_millis(50 * 4),
            "{:?}",
            start.elapsed()
        );
    }
}
