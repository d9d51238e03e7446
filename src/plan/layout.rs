//! Where logs go in the central bucket (pure): `[PREFIX/]AWSLogs/[<org-id>/]<account>/<kind>/...`, as object
//! keys, S3 ARNs and `s3://` URLs. The one place that knows the layout AWS's log delivery uses.

/// The key prefix, without surrounding slashes; None when there is none (or it is empty).
fn trimmed(prefix: Option<&str>) -> Option<&str> {
    prefix
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
}

/// `[PREFIX/]AWSLogs/`: where every account's logs start.
pub fn logs_root(prefix: Option<&str>) -> String {
    match trimmed(prefix) {
        Some(p) => format!("{p}/AWSLogs/"),
        None => "AWSLogs/".to_owned(),
    }
}

/// `[PREFIX/]AWSLogs/[<org-id>/]<account>/<kind>/`: where a trail (kind `CloudTrail`) or a flow log writes
/// one account's files. An organization trail writes under the organization's ID.
pub fn log_prefix(prefix: Option<&str>, org_id: Option<&str>, account: &str, kind: &str) -> String {
    let mut p = logs_root(prefix);
    if let Some(o) = org_id {
        p.push_str(o);
        p.push('/');
    }
    p.push_str(account);
    p.push('/');
    p.push_str(kind);
    p.push('/');
    p
}

/// The flow logs' path segment after the account: `vpcflowlogs`, as in `AWSLogs/<id>/vpcflowlogs/`.
pub const FLOW_LOGS: &str = "vpcflowlogs";

/// The same with Hive-compatible partitions (`HiveCompatiblePartitions`): `aws-service=vpcflowlogs`, after
/// `aws-account-id=<id>/` (docs/aws-rules.md DL-6).
pub const HIVE_FLOW_LOGS: &str = "aws-service=vpcflowlogs";

/// The account's folder of Hive-compatible flow logs, as a bucket policy grants it: `aws-account-id=<id>`
/// (the segment after `AWSLogs/`, where it is `<id>` otherwise).
pub fn hive_account_folder(account: &str) -> String {
    format!("aws-account-id={account}")
}

/// `[PREFIX/]AWSLogs/aws-account-id=<id>/aws-service=vpcflowlogs/aws-region=<region>/`: where flow logs with
/// Hive-compatible partitions write one account's files of one Region, then `year=YYYY/month=MM/day=DD/`
/// (and `hour=HH/` per hour). VPC User Guide, "Flow log files" (DL-6).
pub fn hive_flow_log_prefix(prefix: Option<&str>, account: &str, region: &str) -> String {
    format!(
        "{}aws-region={region}/",
        flow_log_prefix(prefix, account, true)
    )
}

/// Where flow logs write one account's files: `[PREFIX/]AWSLogs/<id>/vpcflowlogs/`, or with Hive-compatible
/// partitions `[PREFIX/]AWSLogs/aws-account-id=<id>/aws-service=vpcflowlogs/`.
pub fn flow_log_prefix(prefix: Option<&str>, account: &str, hive: bool) -> String {
    if hive {
        format!(
            "{}{}/{HIVE_FLOW_LOGS}/",
            logs_root(prefix),
            hive_account_folder(account)
        )
    } else {
        log_prefix(prefix, None, account, FLOW_LOGS)
    }
}

/// `arn:<partition>:s3:::<bucket>`.
pub fn bucket_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// `arn:<partition>:s3:::<bucket>/[PREFIX/]AWSLogs/`.
pub fn logs_root_arn(partition: &str, bucket: &str, prefix: Option<&str>) -> String {
    format!("{}/{}", bucket_arn(partition, bucket), logs_root(prefix))
}

/// `s3://<bucket>/` or `s3://<bucket>/<PREFIX>/`: the bucket and prefix as people write them.
pub fn s3_url(bucket: &str, prefix: Option<&str>) -> String {
    match trimmed(prefix) {
        Some(p) => format!("s3://{bucket}/{p}/"),
        None => format!("s3://{bucket}/"),
    }
}

/// The day folders of one region under an account's CloudTrail prefix `base` (from [`log_prefix`]), newest
/// first: `<base><region>/YYYY/MM/DD/` for `today` and each of the `days` days before it.
pub fn day_folders(base: &str, region: &str, today: time::Date, days: u32) -> Vec<String> {
    (0..=days)
        .filter_map(|back| today.checked_sub(time::Duration::days(i64::from(back))))
        .map(|d| {
            format!(
                "{base}{region}/{:04}/{:02}/{:02}/",
                d.year(),
                u8::from(d.month()),
                d.day()
            )
        })
        .collect()
}

/// Whether `key` has the shape CloudTrail gives `account`'s log files under `base`:
/// `<base><region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDD>T<HHMM>Z_<id>.json.gz`, the date of
/// the folder and of the file name the same. A file another account's trail wrote there under a prefix of its
/// choosing does not have it.
pub fn is_cloudtrail_log(key: &str, base: &str, account: &str) -> bool {
    let Some(rest) = key.strip_prefix(base) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let [region, y, m, d, file] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if region.is_empty() || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return false;
    }
    let head = format!("{account}_CloudTrail_{region}_{y}{m}{d}T");
    let Some(tail) = file.strip_prefix(head.as_str()) else {
        return false;
    };
    // HHMMZ_<id>.json.gz
    tail.len() > "HHMMZ_.json.gz".len()
        && digits(&tail[..4], 4)
        && tail[4..].starts_with("Z_")
        && tail.ends_with(".json.gz")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_with_and_without_a_prefix() {
        assert_eq!(
            log_prefix(None, None, "222222222222", "CloudTrail"),
            "AWSLogs/222222222222/CloudTrail/"
        );
        assert_eq!(
            log_prefix(
                Some("/org/"),
                Some("o-abc123"),
                "222222222222",
                "CloudTrail"
            ),
            "org/AWSLogs/o-abc123/222222222222/CloudTrail/"
        );
        assert_eq!(
            logs_root_arn("aws-cn", "b", Some("a/b")),
            "arn:aws-cn:s3:::b/a/b/AWSLogs/"
        );
        assert_eq!(s3_url("b", Some("")), "s3://b/");
        assert_eq!(
            flow_log_prefix(None, "222222222222", false),
            "AWSLogs/222222222222/vpcflowlogs/"
        );
        assert_eq!(
            hive_flow_log_prefix(Some("org"), "222222222222", "eu-west-1"),
            "org/AWSLogs/aws-account-id=222222222222/aws-service=vpcflowlogs/aws-region=eu-west-1/"
        );
        assert_eq!(s3_url("b", Some("org")), "s3://b/org/");
    }

    #[test]
    fn day_folders_go_back_from_today() {
        let today = time::macros::date!(2026 - 03 - 01);
        assert_eq!(
            day_folders("AWSLogs/1/CloudTrail/", "us-east-1", today, 1),
            [
                "AWSLogs/1/CloudTrail/us-east-1/2026/03/01/",
                "AWSLogs/1/CloudTrail/us-east-1/2026/02/28/"
            ]
        );
    }

    #[test]
    fn only_cloudtrail_s_own_file_names_count() {
        let base = "org/AWSLogs/222222222222/CloudTrail/";
        let good = "org/AWSLogs/222222222222/CloudTrail/eu-west-1/2026/11/29/222222222222_CloudTrail_eu-west-1_20261129T0105Z_AbCd1234.json.gz";
        assert!(is_cloudtrail_log(good, base, "222222222222"));
        for bad in [
            // another account's trail writing into this folder under a prefix of its choosing
            "org/AWSLogs/222222222222/CloudTrail/eu-west-1/2026/11/29/333333333333_CloudTrail_eu-west-1_20261129T0105Z_x.json.gz",
            // the date of the file is not the folder's
            "org/AWSLogs/222222222222/CloudTrail/eu-west-1/2026/11/29/222222222222_CloudTrail_eu-west-1_20261128T0105Z_x.json.gz",
            // the region of the file is not the folder's
            "org/AWSLogs/222222222222/CloudTrail/eu-west-1/2026/11/29/222222222222_CloudTrail_us-east-1_20261129T0105Z_x.json.gz",
            "org/AWSLogs/222222222222/CloudTrail/eu-west-1/2026/11/29/x.json.gz",
            "org/AWSLogs/222222222222/CloudTrail/eu-west-1/2026/11/29/sub/222222222222_CloudTrail_eu-west-1_20261129T0105Z_x.json.gz",
            "org/AWSLogs/222222222222/CloudTrail/eu-west-1/26/11/29/222222222222_CloudTrail_eu-west-1_261129T0105Z_x.json.gz",
        ] {
            assert!(!is_cloudtrail_log(bad, base, "222222222222"), "{bad}");
        }
    }
}
