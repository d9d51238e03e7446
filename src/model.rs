//! Validated names of the AWS world (pure): account IDs, trail and bucket names, regions, key prefixes,
//! role ARNs. Each newtype checks its value once, when it is made, with the rule AWS itself applies, so
//! the rest of the program never meets an invalid one.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_newtype {
    ($name:ident, $check:path) => {
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(into = "String")]
        pub struct $name(String);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = d.deserialize_any(Text)?;
                Self::try_from(s).map_err(serde::de::Error::custom)
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $check(&s)?;
                Ok(Self(s))
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::try_from(s.to_owned())
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// A string in a file, where a number written without quotes (`id = 222222222222`, which TOML reads as an
/// integer) gets "quote it" rather than serde's "invalid type: integer".
struct Text;

impl serde::de::Visitor<'_> for Text {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<String, E> {
        Ok(s.to_owned())
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<String, E> {
        Err(E::custom(format!(
            "{n} is a number here, and this is text: quote it, as in \"{n}\" (an account ID is 12 digits in quotes)"
        )))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<String, E> {
        self.visit_i64(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

string_newtype!(AccountId, check_account_id);
string_newtype!(TrailName, check_trail_name);
string_newtype!(BucketName, check_bucket_name);
string_newtype!(Region, check_region);
string_newtype!(KeyPrefix, check_key_prefix);
string_newtype!(RoleArn, check_role_arn);

/// Whether `s` has the shape of an AWS account ID: 12 digits. The one place that says so.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_account_id(s: &str) -> Result<(), String> {
    if is_account_id(s) {
        Ok(())
    } else {
        Err(format!("account ID {s:?} is not 12 digits"))
    }
}

fn looks_like_ip(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// CloudTrail's rule for trail names (CreateTrail `Name`).
fn check_trail_name(s: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("trail name {s:?} is not valid: {why}"));
    if !(3..=128).contains(&s.len()) {
        return bad("it must be 3 to 128 characters long");
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return bad(&format!(
            "{c:?} is not allowed (only ASCII letters, digits, '.', '_' and '-')"
        ));
    }
    let first = s.as_bytes()[0];
    let last = s.as_bytes()[s.len() - 1];
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return bad("it must start and end with a letter or digit");
    }
    if s.as_bytes()
        .windows(2)
        .any(|w| !w[0].is_ascii_alphanumeric() && !w[1].is_ascii_alphanumeric())
    {
        return bad("'.', '_' and '-' may not stand next to each other");
    }
    if looks_like_ip(s) {
        return bad("it may not look like an IP address");
    }
    Ok(())
}

/// S3's rule for general purpose bucket names.
fn check_bucket_name(s: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("bucket name {s:?} is not valid: {why}"));
    if !(3..=63).contains(&s.len()) {
        return bad("it must be 3 to 63 characters long");
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-')))
    {
        return bad(&format!(
            "{c:?} is not allowed (only lowercase letters, digits, '.' and '-')"
        ));
    }
    let b = s.as_bytes();
    if !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return bad("it must start and end with a letter or digit");
    }
    if s.contains("..") {
        return bad("it may not contain two adjacent periods");
    }
    if looks_like_ip(s) {
        return bad("it may not look like an IP address");
    }
    for p in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if s.starts_with(p) {
            return bad(&format!("it may not start with {p:?}"));
        }
    }
    for p in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if s.ends_with(p) {
            return bad(&format!("it may not end with {p:?}"));
        }
    }
    Ok(())
}

/// A region code such as `ap-northeast-2`, `us-gov-west-1` or `cn-north-1`.
fn check_region(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('-').collect();
    let ok = parts.len() >= 3
        && (2..=4).contains(&parts[0].len())
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| {
            !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "region {s:?} is not a region code like \"ap-northeast-2\""
        ))
    }
}

/// An S3 key prefix for log files: `org` or `a/b`; no leading or trailing slash, no wildcard characters
/// (they would change the meaning of the policy's Resource).
fn check_key_prefix(s: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("key prefix {s:?} is not valid: {why}"));
    if s.is_empty() || s.len() > 200 {
        return bad("it must be 1 to 200 characters long");
    }
    if s.starts_with('/') || s.ends_with('/') || s.contains("//") {
        return bad("write it without leading, trailing or doubled '/'");
    }
    if let Some(c) = s.chars().find(|c| {
        !(c.is_ascii_alphanumeric() || matches!(c, '/' | '!' | '-' | '_' | '.' | '\'' | '(' | ')'))
    }) {
        return bad(&format!(
            "{c:?} is not allowed (letters, digits and / ! - _ . ' ( ) only)"
        ));
    }
    if s.split('/').any(|seg| seg == "AWSLogs") {
        return bad("CloudTrail adds AWSLogs/ itself");
    }
    Ok(())
}

/// IAM's rule for a role name with an optional path: `[path/]name`, the name 1 to 64 characters of
/// letters, digits and `+=,.@_-`.
fn valid_role_path(p: &str) -> bool {
    let name = p.rsplit('/').next().unwrap_or_default();
    let name_ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    let path_ok = p.len() <= 512
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
        && !p.contains("//");
    name_ok && path_ok
}

fn check_role_arn(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && check_account_id(parts[4]).is_ok()
        && parts[5].strip_prefix("role/").is_some_and(valid_role_path);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "role ARN {s:?} is not like \"arn:aws:iam::222222222222:role/NAME\""
        ))
    }
}

impl Region {
    /// The partition the region belongs to, as it appears in ARNs.
    pub fn partition(&self) -> &'static str {
        let r = self.as_str();
        if r.starts_with("cn-") {
            "aws-cn"
        } else if r.starts_with("us-gov-") {
            "aws-us-gov"
        } else if r.starts_with("eusc-") {
            "aws-eusc"
        } else if r.starts_with("us-isob-") {
            "aws-iso-b"
        } else if r.starts_with("us-iso-") {
            "aws-iso"
        } else {
            "aws"
        }
    }
}

impl RoleArn {
    pub fn new(partition: &str, account: &AccountId, role_name: &str) -> Result<Self, String> {
        let name = role_name.trim_start_matches('/');
        Self::try_from(format!("arn:{partition}:iam::{account}:role/{name}"))
    }
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }
}

/// A trail as CloudTrail names it: `arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct TrailArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl TrailArn {
    pub fn new(region: &Region, account: &AccountId, name: &TrailName) -> Self {
        TrailArn {
            partition: region.partition().to_owned(),
            region: region.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        }
    }
    /// Parses a trail ARN as DescribeTrails returns it.
    pub fn parse(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "cloudtrail" {
            return None;
        }
        Some(TrailArn {
            partition: parts[1].to_owned(),
            region: parts[3].to_owned(),
            account: parts[4].to_owned(),
            name: parts[5].strip_prefix("trail/")?.to_owned(),
        })
    }
}

impl fmt::Display for TrailArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:cloudtrail:{}:{}:trail/{}",
            self.partition, self.region, self.account, self.name
        )
    }
}
impl From<TrailArn> for String {
    fn from(a: TrailArn) -> String {
        a.to_string()
    }
}

/// Fills a trail-name template: `{id}` with the account ID and `{name}` with the account's name made
/// safe for CloudTrail (runs of other characters become one '-', leading and trailing ones dropped).
/// The literal text of the template is not changed; the result is checked as a whole.
pub fn fill_trail_template(
    template: &str,
    id: &AccountId,
    name: &str,
) -> Result<TrailName, String> {
    let safe = sanitize_name(name);
    let filled = template
        .replace("{id}", id.as_str())
        .replace("{name}", &safe);
    TrailName::try_from(filled.clone()).map_err(|e| {
        format!(
            "template {template:?} with {{id}} = {id} and {{name}} = {name:?} gives {filled:?}: {e}"
        )
    })
}

fn sanitize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    // collapse separators that stand next to each other, trim them at both ends
    let mut collapsed = String::with_capacity(out.len());
    for c in out.chars() {
        let sep = !c.is_ascii_alphanumeric();
        if sep
            && collapsed
                .chars()
                .last()
                .is_some_and(|p: char| !p.is_ascii_alphanumeric())
        {
            continue;
        }
        collapsed.push(c);
    }
    collapsed
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(AccountId::try_from("123456789012".to_owned()).is_ok());
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901a",
            "",
            " 23456789012",
        ] {
            assert!(AccountId::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn trail_names() {
        for ok in ["SEC-CLOUDTRAIL", "a.b_c-d", "abc", "Trail1"] {
            assert!(ok.parse::<TrailName>().is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "a-_b",
            "a b c",
            "1.2.3.4",
            &"x".repeat(129),
            "ünï",
        ] {
            assert!(bad.parse::<TrailName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bucket_names() {
        for ok in ["sec-cloudtrail-log", "a.b-c", "abc"] {
            assert!(ok.parse::<BucketName>().is_ok(), "{ok}");
        }
        for bad in [
            "Sec-Log",
            "ab",
            "a..b",
            "-ab",
            "ab-",
            "192.168.1.1",
            "xn--abc",
            "a_b",
            "abc-s3alias",
        ] {
            assert!(bad.parse::<BucketName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_and_partitions() {
        for (r, p) in [
            ("ap-northeast-2", "aws"),
            ("us-gov-west-1", "aws-us-gov"),
            ("cn-north-1", "aws-cn"),
        ] {
            assert_eq!(r.parse::<Region>().unwrap().partition(), p);
        }
        for bad in ["mars-1", "us-east", "US-EAST-1", "useast1", ""] {
            assert!(bad.parse::<Region>().is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_fill_and_sanitize() {
        let id: AccountId = "222222222222".parse().unwrap();
        let t = |tpl: &str, name: &str| fill_trail_template(tpl, &id, name).map(|n| n.to_string());
        assert_eq!(t("{name}-CLOUDTRAIL", "DEV").unwrap(), "DEV-CLOUDTRAIL");
        assert_eq!(
            t("{name}-CLOUDTRAIL", "Team A (prod)").unwrap(),
            "Team-A-prod-CLOUDTRAIL"
        );
        assert_eq!(t("org-{id}", "x").unwrap(), "org-222222222222");
        assert_eq!(t("{name}-trail", "a -_ b").unwrap(), "a-b-trail");
        assert!(
            t("{name}-CLOUDTRAIL", "日本")
                .unwrap_err()
                .contains("\"-CLOUDTRAIL\"")
        );
        assert!(t("{name} trail", "DEV").is_err());
    }

    #[test]
    fn trail_arns_round_trip() {
        let arn = TrailArn::new(
            &"ap-northeast-2".parse().unwrap(),
            &"222222222222".parse().unwrap(),
            &"DEV-CT".parse().unwrap(),
        );
        assert_eq!(
            arn.to_string(),
            "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/DEV-CT"
        );
        assert_eq!(TrailArn::parse(&arn.to_string()), Some(arn));
    }
}
