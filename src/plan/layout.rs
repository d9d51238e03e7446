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
        assert_eq!(s3_url("b", Some("org")), "s3://b/org/");
    }
}
