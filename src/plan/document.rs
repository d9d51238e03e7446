//! A policy document's loose shapes, read leniently (pure): `Statement` may be a list or one object, and a
//! field may be a string or a list of strings. Used wherever a policy is only read; the merge reads the live
//! policy strictly instead (`policy::read_live`), because it must refuse what it cannot rewrite.

use serde_json::{Map, Value};

/// The statement objects of a policy; none when the policy is malformed.
pub fn statements(policy: &Value) -> Vec<&Map<String, Value>> {
    match policy.as_object().and_then(|p| p.get("Statement")) {
        Some(Value::Object(stmt)) => vec![stmt],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

/// A string or a list of strings, as policy fields are.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}
