//! Reading the live bucket policy (pure): its document, its statements, and where each family's statements
//! stand in it, read back as [`Content`]. A policy trailhub cannot read, or a statement with one of its
//! Sids but another shape, is an error: trailhub will not replace what it does not understand.

use serde_json::{Map, Value, json};

use super::super::document::strings;
use super::content::{Content, read_managed};
use super::error::PolicyError;
use super::family::{FAMILIES, Family, SOURCE_ACCOUNT, SOURCE_ARN, SOURCE_ORG};
use super::tls::TLS_SID;

/// Parses the live policy text as S3 returns it.
pub fn parse_live(text: &str) -> Result<Value, PolicyError> {
    let v: Value = serde_json::from_str(text).map_err(|e| PolicyError::NotJson(e.to_string()))?;
    if !v.is_object() {
        return Err(PolicyError::NotObject);
    }
    Ok(v)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Where one family's statements stand in the live policy.
#[derive(Debug)]
pub(super) struct Found {
    /// index and content of the AclCheck and Write statements, when present
    pub slots: [Option<(usize, Content)>; 2],
    /// the Sid of each: the family's, or trailhub's own when the family's is taken by a legacy statement
    pub sids: [&'static str; 2],
    /// index of trailhub's Deny of writes into another account's folder, when present
    pub deny: Option<usize>,
}

impl Found {
    fn new(family: &Family) -> Found {
        Found {
            slots: [None, None],
            sids: family.slots.each_ref().map(|s| s.sid),
            deny: None,
        }
    }

    /// The live contents of the AclCheck and Write statements.
    pub fn contents(&self) -> [Option<&Content>; 2] {
        self.slots.each_ref().map(|s| s.as_ref().map(|f| &f.1))
    }
}

pub(super) struct Live {
    pub doc: Map<String, Value>,
    pub statements: Vec<Value>,
    pub normalized: bool,
    /// each family's statements, in the order of [`FAMILIES`]
    pub found: [Found; 2],
    /// the legacy statements kept as they are (the console's Sid, no source condition)
    pub legacy: Vec<String>,
    /// index of trailhub's TLS-only Deny (by its Sid), when present
    pub tls: Option<usize>,
}

pub(super) fn read_live(live: Option<&Value>) -> Result<Live, PolicyError> {
    let mut doc = match live {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(PolicyError::NotObject),
        None => Map::from_iter([("Version".to_owned(), json!("2012-10-17"))]),
    };
    let mut normalized = false;
    let statements = match doc.remove("Statement") {
        None => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(o @ Value::Object(_)) => {
            normalized = true;
            vec![o]
        }
        Some(other) => return Err(PolicyError::BadStatements(json_kind(&other))),
    };
    let mut found = FAMILIES.map(Found::new);
    let mut legacy = Vec::new();
    let mut tls = None;
    for (index, s) in statements.iter().enumerate() {
        let Value::Object(stmt) = s else {
            return Err(PolicyError::StatementNotObject { index });
        };
        for (family, found) in FAMILIES.iter().zip(&mut found) {
            read_statement(family, stmt, index, found, &mut legacy)?;
        }
        if stmt.get("Sid").and_then(Value::as_str) == Some(TLS_SID) {
            if tls.is_some() {
                return Err(conflict(TLS_SID, "two statements have this Sid".into()));
            }
            tls = Some(index);
        }
    }
    Ok(Live {
        doc,
        statements,
        normalized,
        found,
        legacy,
        tls,
    })
}

/// Finds one of the family's statements: its Deny, or an Allow by the family's Sid (or trailhub's own,
/// when the family's is a legacy statement kept as it is).
fn read_statement(
    family: &Family,
    stmt: &Map<String, Value>,
    index: usize,
    found: &mut Found,
    legacy: &mut Vec<String>,
) -> Result<(), PolicyError> {
    let sid = stmt.get("Sid").and_then(Value::as_str);
    if sid == Some(family.deny_sid) {
        if found.deny.is_some() {
            return Err(conflict(
                family.deny_sid,
                "two statements have this Sid".into(),
            ));
        }
        found.deny = Some(index);
        return Ok(());
    }
    for (k, slot) in family.slots.iter().enumerate() {
        if sid == Some(slot.sid) && slot.own.is_some() && is_console_default(family, stmt) {
            // the console's old default: kept as it is, trailhub's statement goes beside it
            legacy.push(slot.sid.to_owned());
            found.sids[k] = slot.own.unwrap_or(slot.sid);
            continue;
        }
        let names = [Some(slot.sid), slot.own].into_iter().flatten();
        let Some(sid) = names.into_iter().find(|s| sid == Some(*s)) else {
            continue;
        };
        if found.slots[k].is_some() {
            let why = if found.sids[k] == sid {
                "two statements have this Sid".to_owned()
            } else {
                format!("statement {} is trailhub's too", found.sids[k])
            };
            return Err(conflict(sid, why));
        }
        found.slots[k] = Some((index, read_managed(family, slot, sid, stmt)?));
        found.sids[k] = sid;
    }
    Ok(())
}

fn conflict(sid: &str, why: String) -> PolicyError {
    PolicyError::SidConflict {
        sid: sid.to_owned(),
        why,
    }
}

/// The console's old default statement: Allow for the service with no source condition, so any trail of
/// any account may use it (confused deputy).
fn is_console_default(family: &Family, stmt: &Map<String, Value>) -> bool {
    let service = stmt
        .get("Principal")
        .and_then(Value::as_object)
        .is_some_and(|p| strings(p.get("Service")) == [family.service]);
    stmt.get("Effect").and_then(Value::as_str) == Some("Allow")
        && service
        && !has_source_condition(stmt)
}

/// Whether a statement names who may write by a source key (`aws:SourceArn`, `aws:SourceAccount`,
/// `aws:SourceOrgID`) under any operator. The console's old default statements have none.
fn has_source_condition(stmt: &Map<String, Value>) -> bool {
    let Some(cond) = stmt.get("Condition").and_then(Value::as_object) else {
        return false;
    };
    cond.values().filter_map(Value::as_object).any(|keys| {
        keys.keys().any(|k| {
            [SOURCE_ARN, SOURCE_ACCOUNT, SOURCE_ORG]
                .iter()
                .any(|s| k.eq_ignore_ascii_case(s))
        })
    })
}
