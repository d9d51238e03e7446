//! The shape both families of trailhub's bucket-policy statements share (pure): CloudTrail's and
//! delivery.logs' readers check the same frame and walk the `Condition` the same way, and differ only in
//! the actions and source keys they accept. Each check answers the reason a statement is refused; the
//! reader turns it into its Sid's conflict.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{ACL_KEY, FULL_CONTROL, strings};

/// Allow, no `NotPrincipal`, `NotAction` or `NotResource`, and `{"Service": service}` as the principal.
pub(super) fn check_frame(stmt: &Map<String, Value>, service: &str) -> Result<(), String> {
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
pub(super) fn resources(stmt: &Map<String, Value>) -> Result<BTreeSet<String>, String> {
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
pub(super) fn walk_condition(
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
