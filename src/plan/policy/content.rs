//! Reading one of trailhub's statements back (pure): what it says, whatever its form, as sets, for any
//! family. A statement with trailhub's Sid but another shape is refused: trailhub will not rewrite what it
//! does not understand.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::super::document::strings;
use super::error::PolicyError;
use super::family::{
    ACL_KEY, FULL_CONTROL, Family, Part, SOURCE_ACCOUNT, SOURCE_ARN, SOURCE_ORG, Slot,
};

/// What one of trailhub's statements says, whatever its form: the parts trailhub manages as sets, and the
/// conditions it does not manage, kept verbatim (they AND with the rest, so they can only narrow).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Content {
    /// `StringEquals aws:SourceArn`
    pub arns: BTreeSet<String>,
    /// `ArnLike aws:SourceArn`, one of the family's patterns per account
    pub patterns: BTreeSet<String>,
    pub accounts: BTreeSet<String>,
    pub orgs: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    pub extra: Map<String, Value>,
}

impl Content {
    /// Its sources as the report lists them: ARNs, patterns, account IDs and the organization.
    pub fn sources(&self) -> BTreeSet<String> {
        self.arns
            .iter()
            .chain(&self.patterns)
            .chain(&self.accounts)
            .chain(&self.orgs)
            .cloned()
            .collect()
    }

    fn has(&self, part: Part) -> bool {
        match part {
            Part::Arns => !self.arns.is_empty(),
            Part::Patterns => !self.patterns.is_empty(),
            Part::Accounts => !self.accounts.is_empty(),
            Part::Org => !self.orgs.is_empty(),
            Part::Acl => false,
        }
    }
}

pub(super) fn list(items: &BTreeSet<String>) -> Value {
    Value::Array(items.iter().map(|s| json!(s)).collect())
}

/// Reads the statement `sid` in `slot` of `family`.
pub(super) fn read_managed(
    family: &Family,
    slot: &Slot,
    sid: &str,
    stmt: &Map<String, Value>,
) -> Result<Content, PolicyError> {
    let refused = |why: String| PolicyError::SidConflict {
        sid: sid.to_owned(),
        why,
    };
    check_frame(stmt, family.service).map_err(refused)?;
    check_actions(stmt, slot.actions).map_err(refused)?;
    let mut c = Content {
        resources: resources(stmt).map_err(refused)?,
        ..Content::default()
    };
    let no_source = format!(
        "it has no source condition: adding one would cut off every {} it allows now",
        family.source
    );
    let Some(cond) = stmt.get("Condition").and_then(Value::as_object) else {
        return Err(refused(no_source));
    };
    let mut extra = Map::new();
    let managed = |op: &str, key: &str| is_managed_key(family, op, key, slot.is_write);
    walk_condition(cond, managed, &mut extra, |op, key, values| {
        match (op, key) {
            ("StringEquals", "aws:sourcearn") => c.arns.extend(values),
            ("StringEquals", "aws:sourceaccount") => c.accounts.extend(values),
            ("StringEquals", _) => c.orgs.extend(values),
            _ => take_patterns(family, values, &mut c)?,
        }
        Ok(())
    })
    .map_err(refused)?;
    c.extra = extra;
    if [Part::Arns, Part::Patterns, Part::Accounts, Part::Org]
        .iter()
        .all(|p| !c.has(*p))
    {
        return Err(refused(no_source));
    }
    let groups = family.apart.iter();
    if groups.filter(|g| g.iter().any(|p| c.has(*p))).count() > 1 {
        // several source keys in one statement AND together: a narrowing trailhub cannot keep while widening
        return Err(refused(family.apart_why.to_owned()));
    }
    Ok(c)
}

/// `ArnLike aws:SourceArn` values: the family's patterns; with a family that manages exact ARNs, an ARN
/// without a wildcard is one of those.
fn take_patterns(family: &Family, values: Vec<String>, c: &mut Content) -> Result<(), String> {
    for p in values {
        if (family.pattern_account)(&p).is_some() {
            c.patterns.insert(p);
        } else if family.arn_account.is_some() && !p.contains(['*', '?']) {
            c.arns.insert(p);
        } else {
            return Err(format!(
                "its ArnLike pattern {p:?} is not one trailhub writes"
            ));
        }
    }
    Ok(())
}

fn is_managed_key(family: &Family, op: &str, key: &str, is_write: bool) -> bool {
    let is = |name: &str| key.eq_ignore_ascii_case(name);
    match op {
        "StringEquals" => {
            (family.arn_account.is_some() && is(SOURCE_ARN))
                || is(SOURCE_ACCOUNT)
                || is(SOURCE_ORG)
                || (is_write && key.to_ascii_lowercase() == ACL_KEY)
        }
        "ArnLike" => is(SOURCE_ARN),
        _ => false,
    }
}

/// Its actions are the slot's: exactly the one, or the same set of several.
fn check_actions(stmt: &Map<String, Value>, want: &[&str]) -> Result<(), String> {
    let got = strings(stmt.get("Action"));
    let same = if let [one] = want {
        got == [*one]
    } else {
        got.iter().map(String::as_str).collect::<BTreeSet<_>>()
            == want.iter().copied().collect::<BTreeSet<_>>()
    };
    if same {
        return Ok(());
    }
    let mut names = want.to_vec();
    names.sort_unstable();
    Err(format!("its Action is not {}", names.join(" and ")))
}

/// Allow, no `NotPrincipal`, `NotAction` or `NotResource`, and `{"Service": service}` as the principal.
fn check_frame(stmt: &Map<String, Value>, service: &str) -> Result<(), String> {
    if stmt.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return Err("its Effect is not Allow".into());
    }
    if let Some(k) = ["NotPrincipal", "NotAction", "NotResource"]
        .into_iter()
        .find(|k| stmt.contains_key(*k))
    {
        return Err(format!("it uses {k}"));
    }
    let principal = stmt
        .get("Principal")
        .and_then(Value::as_object)
        .filter(|p| p.len() == 1)
        .map(|p| strings(p.get("Service")));
    if principal.as_deref() != Some(&[service.to_owned()]) {
        return Err(format!(
            "its Principal is not {{\"Service\": \"{service}\"}}"
        ));
    }
    Ok(())
}

/// The statement's `Resource`, a string or a list of strings.
fn resources(stmt: &Map<String, Value>) -> Result<BTreeSet<String>, String> {
    match stmt.get("Resource") {
        Some(r @ (Value::String(_) | Value::Array(_))) => {
            Ok(strings(Some(r)).into_iter().collect())
        }
        _ => Err("its Resource is not a string or a list of strings".into()),
    }
}

/// Walks a statement's `Condition`: keys the family does not manage (`is_managed(op, key)`) go to `extra`
/// as they are; `s3:x-amz-acl` must be `bucket-owner-full-control`; every other managed key is handed to
/// `take` with its operator, its key in lower case and its values.
fn walk_condition(
    cond: &Map<String, Value>,
    is_managed: impl Fn(&str, &str) -> bool,
    extra: &mut Map<String, Value>,
    mut take: impl FnMut(&str, &str, Vec<String>) -> Result<(), String>,
) -> Result<(), String> {
    for (op, keys) in cond {
        let Some(keys) = keys.as_object() else {
            return Err(format!("its {op} condition is not an object"));
        };
        for (key, value) in keys {
            if !is_managed(op, key) {
                extra.entry(op.clone()).or_insert_with(|| json!({}))[key] = value.clone();
                continue;
            }
            let values = strings(Some(value));
            let key = key.to_ascii_lowercase();
            if op == "StringEquals" && key == ACL_KEY {
                if values != [FULL_CONTROL] {
                    return Err(
                        "its s3:x-amz-acl condition is not bucket-owner-full-control".into(),
                    );
                }
                continue;
            }
            take(op, &key, values)?;
        }
    }
    Ok(())
}
