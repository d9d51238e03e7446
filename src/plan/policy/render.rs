//! Rendering a family's statements in one of its forms (pure): what must be kept of the live statements,
//! the sources and resources each form names, and the statements as trailhub writes them. One algorithm
//! for every family ([`Family`]).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::content::{Content, list};
use super::family::{
    ACL_KEY, FULL_CONTROL, Family, FormSpec, Names, Part, SOURCE_ACCOUNT, SOURCE_ARN, SOURCE_ORG,
    Slot, WRITE_ACTION, Wanted,
};
use super::input::{Org, PolicyInput};

/// What must be kept from a family's live statements, beyond what the config asks for.
#[derive(Debug, Default)]
pub(super) struct Kept {
    /// exact source ARNs the config does not name
    arns: BTreeSet<String>,
    /// patterns the config does not write (of a family whose pattern is a part of an account)
    patterns: BTreeSet<String>,
    /// accounts the live statements allow that the config does not name
    accounts: BTreeSet<String>,
    /// of those, the ones a live statement allows whole (no pattern narrows them)
    whole: BTreeSet<String>,
    orgs: BTreeSet<String>,
    resources: BTreeSet<String>,
}

impl Kept {
    /// What the live AclCheck and Write statements allow that the config's own values do not cover.
    pub fn of(
        family: &Family,
        live: [Option<&Content>; 2],
        wanted: &Wanted,
        input: &PolicyInput,
    ) -> Kept {
        let mut kept = Kept::default();
        for c in live.iter().flatten() {
            kept.arns.extend(c.arns.iter().cloned());
            kept.accounts.extend(c.accounts.iter().cloned());
            if family.pattern_is_account {
                kept.accounts.extend(
                    c.patterns
                        .iter()
                        .filter_map(|p| (family.pattern_account)(p)),
                );
            } else {
                kept.patterns.extend(c.patterns.iter().cloned());
            }
            if c.patterns.is_empty() {
                kept.whole.extend(c.accounts.iter().cloned());
            }
            kept.orgs.extend(c.orgs.iter().cloned());
        }
        if let Some(w) = live[1] {
            kept.resources = w.resources.clone();
        }
        // the config's own values are not "kept": they are wanted
        for a in &wanted.arns {
            kept.arns.remove(a);
        }
        for a in &wanted.accounts {
            kept.patterns.remove(&(family.pattern)(input, a));
            kept.accounts.remove(a);
            kept.whole.remove(a);
        }
        kept
    }
}

/// The source condition of both statements in `spec`'s form: the sources, accounts or organization that
/// may write, the config's and those kept from the live policy; or why the form cannot express what must
/// be kept.
fn sources(
    family: &Family,
    spec: &FormSpec,
    input: &PolicyInput,
    wanted: &Wanted,
    kept: &Kept,
) -> Result<Content, String> {
    let arn_account = |a: &String| family.arn_account.and_then(|f| f(a));
    let mut accounts = wanted.accounts.clone();
    accounts.extend(kept.accounts.iter().cloned());
    accounts.extend(kept.arns.iter().filter_map(arn_account));
    accounts.extend(
        kept.patterns
            .iter()
            .filter_map(|p| (family.pattern_account)(p)),
    );
    let patterns = |of: &BTreeSet<String>| -> BTreeSet<String> {
        of.iter().map(|a| (family.pattern)(input, a)).collect()
    };
    let mut sources = Content::default();
    if spec.names != Names::Organization && spec.names != Names::Arns && !kept.orgs.is_empty() {
        return Err(
            "the live statements allow an organization; naming accounts would narrow that".into(),
        );
    }
    match spec.names {
        Names::Arns => {
            if !kept.accounts.is_empty() || !kept.orgs.is_empty() {
                return Err("the live statements allow whole accounts or an organization; naming trails would narrow that".into());
            }
            sources.arns = wanted.arns.iter().chain(&kept.arns).cloned().collect();
        }
        Names::Patterns | Names::Accounts => {
            if kept.arns.iter().any(|a| arn_account(a).is_none()) {
                return Err("the live statements name a source ARN that is not a trail's".into());
            }
            if spec.names == Names::Patterns {
                sources.patterns = patterns(&accounts);
            } else {
                sources.accounts = accounts;
            }
        }
        Names::AccountsAndPatterns => {
            if !kept.whole.is_empty() {
                return Err("the live statements allow whole accounts; naming their logs ARNs would narrow that".into());
            }
            sources.patterns = patterns(&wanted.accounts);
            sources.patterns.extend(kept.patterns.iter().cloned());
            sources.accounts = accounts;
        }
        Names::Organization => {
            sources.orgs = BTreeSet::from([organization(input.org, &kept.orgs, &accounts)?]);
        }
    }
    Ok(sources)
}

/// The organization's ID, when every account that may write is in it.
fn organization(
    org: Option<&Org>,
    kept: &BTreeSet<String>,
    accounts: &BTreeSet<String>,
) -> Result<String, String> {
    let Some(org) = org else {
        return Err(
            "the accounts do not come from AWS Organizations (source = \"organizations\")".into(),
        );
    };
    if kept.iter().any(|o| o != &org.id) {
        return Err("the live statements allow another organization".into());
    }
    if let Some(outside) = accounts.iter().find(|a| !org.members.contains(*a)) {
        return Err(format!(
            "account {outside} is not in organization {}",
            org.id
        ));
    }
    Ok(org.id.clone())
}

/// `[PREFIX/]AWSLogs/<folder>/*` per account, or the shared `AWSLogs/*`.
pub(super) fn config_resources(
    spec: &FormSpec,
    input: &PolicyInput,
    wanted: &Wanted,
) -> BTreeSet<String> {
    if spec.per_account_resources {
        wanted.resources.iter().cloned().collect()
    } else {
        BTreeSet::from([input.shared_resource()])
    }
}

/// What the config itself needs as sources, in `spec`'s form's terms (as [`Content::sources`] lists them).
pub(super) fn wanted_sources(
    family: &Family,
    spec: &FormSpec,
    input: &PolicyInput,
    wanted: &Wanted,
) -> BTreeSet<String> {
    let accounts = wanted.accounts.iter().cloned();
    let patterns = wanted.accounts.iter().map(|a| (family.pattern)(input, a));
    match spec.names {
        Names::Arns => wanted.arns.iter().cloned().collect(),
        Names::Patterns => patterns.collect(),
        Names::Accounts => accounts.collect(),
        Names::AccountsAndPatterns => accounts.chain(patterns).collect(),
        Names::Organization => input.org.map(|o| o.id.clone()).into_iter().collect(),
    }
}

/// Builds the content of both statements in `spec`'s form, or says why that form cannot express what must
/// be kept.
pub(super) fn render(
    family: &Family,
    spec: &FormSpec,
    input: &PolicyInput,
    wanted: &Wanted,
    kept: &Kept,
) -> Result<[Content; 2], String> {
    let sources = sources(family, spec, input, wanted, kept)?;
    let shared = input.shared_resource();
    if spec.per_account_resources && kept.resources.contains(&shared) {
        // the live statement lets its sources write anywhere under AWSLogs/: per-account prefixes would narrow
        // that, and a per-account form that kept it would only add bytes (and, near the limit, make the next
        // run choose differently from this one)
        return Err(format!(
            "the live statements allow {shared}; per-account prefixes would narrow that"
        ));
    }
    let mut write = Content {
        resources: kept.resources.clone(),
        ..sources.clone()
    };
    if !spec.per_account_resources {
        let base = shared.trim_end_matches('*').to_owned();
        write.resources.retain(|r| !r.starts_with(&base));
    }
    write
        .resources
        .extend(config_resources(spec, input, wanted));
    let acl = Content {
        resources: BTreeSet::from([input.bucket_arn()]),
        ..sources
    };
    Ok([acl, write])
}

/// One of a family's two statements, as trailhub writes it: the live statement's other conditions kept in
/// front, then the family's parts in its order.
pub(super) fn statement(family: &Family, slot: &Slot, sid: &str, c: &Content) -> Value {
    let mut cond = c.extra.clone();
    let mut op = |name: &str, key: &str, v: Value| {
        let m = cond.entry(name.to_owned()).or_insert_with(|| json!({}));
        m[key] = v;
    };
    for part in family.order {
        match part {
            Part::Arns if !c.arns.is_empty() => op("StringEquals", SOURCE_ARN, list(&c.arns)),
            Part::Patterns if !c.patterns.is_empty() => {
                op("ArnLike", SOURCE_ARN, list(&c.patterns))
            }
            Part::Accounts if !c.accounts.is_empty() => {
                op("StringEquals", SOURCE_ACCOUNT, list(&c.accounts))
            }
            Part::Org => {
                if let Some(org) = c.orgs.first() {
                    op("StringEquals", SOURCE_ORG, json!(org));
                }
            }
            Part::Acl if slot.is_write => op("StringEquals", ACL_KEY, json!(FULL_CONTROL)),
            _ => {}
        }
    }
    let action = match slot.actions {
        [one] => json!(one),
        several => json!(several),
    };
    let resource = if c.resources.len() == 1 && !slot.is_write {
        json!(c.resources.first())
    } else {
        list(&c.resources)
    };
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": family.service},
        "Action": action,
        "Resource": resource,
        "Condition": Value::Object(cond),
    })
}

/// The Deny that closes the other side of granting sources and prefixes as two lists: a listed account's
/// trail could set its own S3 key prefix (a flow log its destination folder) to `[PREFIX/]AWSLogs/<B>/...`
/// and write into account B's folder. CloudTrail and flow logs always add `AWSLogs/<account>/` after the
/// prefix, so such a key has a second `AWSLogs/` segment, which no key of a source delivering at its own
/// place has (trailhub's key prefix has no `AWSLogs` segment). Constant size, whatever the number of
/// accounts.
pub(super) fn deny_foreign_prefix(family: &Family, input: &PolicyInput) -> Value {
    let bucket = input.bucket_arn();
    json!({
        "Sid": family.deny_sid,
        "Effect": "Deny",
        "Principal": {"Service": family.service},
        "Action": WRITE_ACTION,
        "Resource": [
            format!("{bucket}/AWSLogs/*/AWSLogs/*"),
            format!("{bucket}/*/AWSLogs/*/AWSLogs/*"),
        ],
    })
}
