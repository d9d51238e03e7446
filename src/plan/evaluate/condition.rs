//! Condition blocks of a policy statement, three-valued (pure): the operators the evaluator knows, the
//! request's keys, and the wildcard matching that `StringLike`, `ArnLike`, actions and resources share.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use super::{Tri, UNKNOWN_VALUE, has_policy_variable};

pub(super) fn conditions_match(v: &Value, context: &BTreeMap<String, String>) -> Tri {
    let Value::Object(operators) = v else {
        return Tri::Unsure;
    };
    Tri::all(
        operators
            .iter()
            .map(|(name, block)| operator_block_matches(name, block, context)),
    )
}

fn operator_block_matches(name: &str, block: &Value, context: &BTreeMap<String, String>) -> Tri {
    let (Some(op), Value::Object(keys)) = (Operator::parse(name), block) else {
        return Tri::Unsure;
    };
    Tri::all(
        keys.iter()
            .map(|(key, expected)| match context_value(context, key) {
                None if unknowable(key) => Tri::Unsure,
                actual => op.test(actual, expected),
            }),
    )
}

/// Keys AWS puts in a service principal's request whose value the evaluator is not given: the resource's
/// tags (trailhub reads none), the Region, the time, the network and agent of the call, the resource's
/// account and organization (IAM User Guide, "AWS global condition context keys", each key's
/// Availability; AWS-rules IAM-4). Absent from a request's context, a test of one is "unsure", never
/// "absent": `StringEquals aws:RequestedRegion` in a Deny may well match.
const UNKNOWABLE: [&str; 10] = [
    "aws:resourcetag/",
    "aws:requestedregion",
    "aws:currenttime",
    "aws:epochtime",
    "aws:sourceip",
    "aws:useragent",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "aws:viaawsservice",
];

/// Whether `key` is one of [`UNKNOWABLE`] (a prefix for the tags; names are case-insensitive).
pub(super) fn unknowable(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    UNKNOWABLE.iter().any(|k| {
        if k.ends_with('/') {
            key.starts_with(k)
        } else {
            key == *k
        }
    })
}

/// Condition key names are case-insensitive.
fn context_value<'a>(context: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// Condition values: a string, boolean or number, or a non-empty list of those, as strings (borrowed from
/// the policy: a list can hold an entry per account).
fn condition_values(v: &Value) -> Option<Vec<Cow<'_, str>>> {
    fn scalar(v: &Value) -> Option<Cow<'_, str>> {
        match v {
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Bool(b) => Some(Cow::Owned(b.to_string())),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }
    match v {
        Value::Array(items) if !items.is_empty() => items.iter().map(scalar).collect(),
        Value::Array(_) => None,
        other => scalar(other).map(|s| vec![s]),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumericCmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    ArnLike,
    Bool,
    Numeric(NumericCmp),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    /// `Null`: `"true"` means the key is absent.
    Null,
    Compare(Comparison),
}

/// A parsed condition operator such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Operator {
    qualifier: Qualifier,
    test: Test,
    negated: bool,
    if_exists: bool,
}

impl Operator {
    /// `None` for operators this evaluator does not implement (they make a statement "unsure").
    pub(super) fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, rest)
        } else {
            (Qualifier::Single, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let (test, negated) = base_operator(base)?;
        if test == Test::Null && (if_exists || qualifier != Qualifier::Single) {
            return None;
        }
        Some(Operator {
            qualifier,
            test,
            negated,
            if_exists,
        })
    }

    /// Tests one condition key: `actual` is the request's value, `expected` the policy's values.
    fn test(&self, actual: Option<&str>, expected: &Value) -> Tri {
        let Some(expected) = condition_values(expected) else {
            return Tri::Unsure;
        };
        match (self.test, actual) {
            (Test::Null, _) => null_test(actual, &expected),
            (Test::Compare(_), None) => self.on_missing_key(),
            (Test::Compare(_), Some(UNKNOWN_VALUE)) => Tri::Unsure,
            (Test::Compare(cmp), Some(actual)) => {
                let any = Tri::any(expected.iter().map(|e| cmp.matches(e, actual)));
                if self.negated { any.not() } else { any }
            }
        }
    }

    fn on_missing_key(&self) -> Tri {
        if self.if_exists {
            return Tri::Yes;
        }
        match self.qualifier {
            Qualifier::ForAllValues => Tri::Yes,
            // AWS says false here, the plain negated operator says true: do not guess.
            Qualifier::ForAnyValue if self.negated => Tri::Unsure,
            _ => Tri::from_bool(self.negated),
        }
    }
}

/// The operator name without qualifier and `IfExists`: its test and whether it is negated.
fn base_operator(base: &str) -> Option<(Test, bool)> {
    use Comparison::*;
    let compare = |c: Comparison, negated: bool| Some((Test::Compare(c), negated));
    match base {
        "StringEquals" => compare(StringEquals, false),
        "StringNotEquals" => compare(StringEquals, true),
        "StringEqualsIgnoreCase" => compare(StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => compare(StringEqualsIgnoreCase, true),
        "StringLike" => compare(StringLike, false),
        "StringNotLike" => compare(StringLike, true),
        "ArnEquals" | "ArnLike" => compare(ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => compare(ArnLike, true),
        "Bool" => compare(Bool, false),
        "NumericEquals" => compare(Numeric(NumericCmp::Eq), false),
        "NumericNotEquals" => compare(Numeric(NumericCmp::Eq), true),
        "NumericLessThan" => compare(Numeric(NumericCmp::Lt), false),
        "NumericLessThanEquals" => compare(Numeric(NumericCmp::Le), false),
        "NumericGreaterThan" => compare(Numeric(NumericCmp::Gt), false),
        "NumericGreaterThanEquals" => compare(Numeric(NumericCmp::Ge), false),
        "Null" => Some((Test::Null, false)),
        _ => None,
    }
}

fn null_test(actual: Option<&str>, expected: &[Cow<'_, str>]) -> Tri {
    Tri::any(expected.iter().map(|e| {
        if e.eq_ignore_ascii_case("true") {
            Tri::from_bool(actual.is_none())
        } else if e.eq_ignore_ascii_case("false") {
            Tri::from_bool(actual.is_some())
        } else {
            Tri::Unsure
        }
    }))
}

impl Comparison {
    /// Whether the request value `actual` matches one policy value `expected`.
    fn matches(self, expected: &str, actual: &str) -> Tri {
        let uses_variables = matches!(
            self,
            Comparison::StringEquals
                | Comparison::StringEqualsIgnoreCase
                | Comparison::StringLike
                | Comparison::ArnLike
        );
        if uses_variables && has_policy_variable(expected) {
            return Tri::Unsure;
        }
        match self {
            Comparison::StringEquals => Tri::from_bool(expected == actual),
            Comparison::StringEqualsIgnoreCase => {
                Tri::from_bool(expected.to_lowercase() == actual.to_lowercase())
            }
            Comparison::StringLike => Tri::from_bool(glob(expected, actual)),
            Comparison::ArnLike => arn_like(expected, actual),
            Comparison::Bool => Tri::from_bool(expected.eq_ignore_ascii_case(actual)),
            Comparison::Numeric(cmp) => numeric(cmp, expected, actual),
        }
    }
}

fn numeric(cmp: NumericCmp, expected: &str, actual: &str) -> Tri {
    let (Ok(e), Ok(a)) = (expected.trim().parse::<f64>(), actual.trim().parse::<f64>()) else {
        return Tri::Unsure;
    };
    Tri::from_bool(match cmp {
        NumericCmp::Eq => a == e,
        NumericCmp::Lt => a < e,
        NumericCmp::Le => a <= e,
        NumericCmp::Gt => a > e,
        NumericCmp::Ge => a >= e,
    })
}

/// `ArnLike`/`ArnEquals`: AWS matches each of the six colon-separated components separately, each
/// with `*`/`?` wildcards. When that and a whole-string wildcard match disagree (a `*` that would
/// span a colon), or the pattern is not a six-component ARN, a would-be match is "unsure".
pub(super) fn arn_like(pattern: &str, value: &str) -> Tri {
    let whole = glob(pattern, value);
    match (arn_components(pattern), arn_components(value)) {
        (Some(p), Some(v)) => {
            let per_component = p.iter().zip(&v).all(|(p, v)| glob(p, v));
            if per_component == whole {
                Tri::from_bool(whole)
            } else {
                Tri::Unsure
            }
        }
        _ if whole => Tri::Unsure,
        _ => Tri::No,
    }
}

fn arn_components(s: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    (parts.len() == 6).then_some(parts)
}

/// Wildcard match of the whole `text`: `*` matches any run of characters, `?` exactly one.
///
/// The planner matches every account's trail against the policy, so this runs tens of thousands of times
/// per plan: plain patterns compare directly, ASCII (every ARN trailhub writes) matches bytes in place, and
/// only other text is decoded into characters.
pub(super) fn glob(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        return glob_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_units(&p, &t, '*', '?')
}

/// [`glob`] over characters (or bytes of ASCII text), `star` and `one` being the two wildcards.
fn glob_units<T: Copy + PartialEq>(p: &[T], t: &[T], star: T, one: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // Position of the last `*` seen and the text position it is currently assumed to end at.
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(&c) if c == star => {
                backtrack = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == one || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((star, end)) => {
                    backtrack = Some((star, end + 1));
                    pi = star + 1;
                    ti = end + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == star)
}
