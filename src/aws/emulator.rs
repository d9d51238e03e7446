//! What trailhub does only because a local emulator (moto, LocalStack) differs from AWS, in one place
//! (pure). Each item says what the emulator does and why the same thing is right on AWS too.
//!
//! One more needs no code: `Member::start_logging` names the trail, never its ARN, because moto answers
//! HTTP 500 to StartLogging by ARN; AWS takes the name of a trail homed in the region of the call. The
//! reads need nothing either: moto answers GetTrailStatus and GetEventSelectors by ARN as by name (moto 5.2
//! looks a trail up by either), so an organization trail is read by ARN everywhere, as AWS requires of a
//! member (CT-16, `observe::account::read_name`).

use crate::aws::{AwsError, ErrorKind, ObservedTrail, RegionInfo};
use crate::model::Region;

/// With a custom endpoint (moto, LocalStack, `AWS_ENDPOINT_URL_S3`), S3 must be addressed in path style:
/// `http://127.0.0.1:PORT/BUCKET`, not `http://BUCKET.127.0.0.1:PORT`. AWS itself takes virtual-hosted
/// style, the SDK's default.
pub fn s3_path_style(custom_endpoint: bool) -> bool {
    custom_endpoint || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
}

/// A log group's metric filters, one a name: the last of each name DescribeMetricFilters listed. AWS's
/// PutMetricFilter "creates or updates" by name (CWL-10), so a group never holds two of one name; moto 5.2
/// appends a second filter of the same name instead (tests/MOTO-ALARMS.md), the last one put being the one
/// AWS would hold. On AWS this changes nothing.
pub fn one_filter_per_name(
    filters: Vec<crate::aws::MetricFilter>,
) -> Vec<crate::aws::MetricFilter> {
    let mut out: Vec<crate::aws::MetricFilter> = Vec::new();
    for f in filters {
        match out.iter_mut().find(|o| o.name == f.name) {
            Some(o) => *o = f,
            None => out.push(f),
        }
    }
    out
}

/// trailhub's trail among those DescribeTrails returned: the one of its name homed in `region`. moto ignores
/// DescribeTrails' `trailNameList`, so the answer is filtered here; on AWS a multi-region trail homed
/// elsewhere also shows in every region (a shadow trail), and that one is not trailhub's to change from here.
pub fn own_trail<'a>(
    trails: &'a [ObservedTrail],
    name: &str,
    region: &str,
    account: &str,
) -> Option<&'a ObservedTrail> {
    trails.iter().find(|t| {
        t.name == name
            && t.owned_by(account)
            && t.home_region.as_deref().is_none_or(|r| r == region)
    })
}

/// Whether a flow log that cannot be made beside the one it replaces must replace it the other way round:
/// the old one deleted first, then the new one made. AWS refuses a second flow log only when it has the
/// same resource, destination *and* settings ("a flow log with the specified configuration already
/// exists"), so trailhub makes the new one first and deletes the old one after, leaving no gap. moto
/// refuses any second flow log of the same resource and destination (`FlowLogAlreadyExists`); so would
/// AWS if it ever read its rule so. Then the only way is delete, then create, with a gap of one call.
pub fn replace_deletes_first(create_error: &AwsError) -> bool {
    create_error.kind == ErrorKind::AlreadyExists
}

/// moto answers GetBucketVersioning with `<GetBucketVersioningResponse>` as its root element where AWS's
/// is `<VersioningConfiguration>` (S3-15), and the SDK refuses the whole answer for it. When the SDK could
/// not read an answer, its body is read here: whether versioning is on (`Status` is `Enabled`) when the body
/// is moto's shape, None for any other body (then versioning stays "unknown", as for any answer that cannot
/// be read). On AWS the SDK reads the answer itself and this is never asked.
pub fn moto_versioning(body: &[u8]) -> Option<bool> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut in_status = false;
    let mut status = None;
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => {
                let name = e.local_name();
                if depth == 0 && name.as_ref() != b"GetBucketVersioningResponse" {
                    return None;
                }
                in_status = depth == 1 && name.as_ref() == b"Status";
                depth += 1;
            }
            Event::Empty(e) if depth == 0 => {
                return (e.local_name().as_ref() == b"GetBucketVersioningResponse")
                    .then_some(false);
            }
            Event::Text(t) if in_status => status = Some(t.decode().ok()?.into_owned()),
            Event::End(_) => {
                in_status = false;
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(status.as_deref() == Some("Enabled"));
                }
            }
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

/// The Regions of DescribeRegions in the partition of the Region it was asked in (`asked_in`; None: all).
/// moto lists the China and GovCloud Regions to every account (as `opt-in-not-required`), where its calls
/// then fail; AWS lists only the Regions of the caller's partition (VPC-13), so on AWS this keeps them all.
pub fn regions_of_the_partition(
    regions: Vec<RegionInfo>,
    asked_in: Option<&str>,
) -> Vec<RegionInfo> {
    let partition = |r: &str| r.parse::<Region>().map(|r| r.partition()).ok();
    let Some(own) = asked_in.and_then(partition) else {
        return regions;
    };
    regions
        .into_iter()
        .filter(|r| partition(&r.name) == Some(own))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::fake_trail;

    /// A member lists the management account's organization trail too (CT-16): one that bears trailhub's
    /// trail name is not trailhub's, and a shadow of the account's own trail homed elsewhere is not either.
    #[test]
    fn own_trail_is_the_accounts_own_of_its_name_in_the_region() {
        let region = "ap-northeast-2".parse().unwrap();
        let mut org = fake_trail(&region, "111111111111", "DEV-CT", "sec-log");
        org.organization_trail = true;
        let shadow = ObservedTrail {
            home_region: Some("us-east-1".into()),
            ..fake_trail(&"us-east-1".parse().unwrap(), "222222222222", "DEV-CT", "b")
        };
        let own = fake_trail(&region, "222222222222", "DEV-CT", "sec-log");
        let region = "ap-northeast-2";
        assert_eq!(
            own_trail(&[org.clone()], "DEV-CT", region, "222222222222"),
            None
        );
        assert_eq!(
            own_trail(
                std::slice::from_ref(&shadow),
                "DEV-CT",
                region,
                "222222222222"
            ),
            None
        );
        let all = [org.clone(), shadow, own.clone()];
        assert_eq!(
            own_trail(&all, "DEV-CT", region, "222222222222"),
            Some(&own)
        );
        assert!(org.owned_by("111111111111") && !org.owned_by("222222222222"));
    }

    /// S3-15: moto's GetBucketVersioning answers, as measured with moto 5.2 (a new bucket, then one with
    /// versioning on, then suspended), are read; AWS's shape and an error are left to the SDK ("unknown").
    #[test]
    fn motos_versioning_answer_is_read_and_nothing_else() {
        let ns = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
        let decl = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
        let never = format!("{decl}<GetBucketVersioningResponse {ns}/>");
        let on = format!(
            "{decl}<GetBucketVersioningResponse {ns}><Status>Enabled</Status></GetBucketVersioningResponse>"
        );
        let suspended = on.replace("Enabled", "Suspended");
        assert_eq!(moto_versioning(never.as_bytes()), Some(false));
        assert_eq!(moto_versioning(on.as_bytes()), Some(true));
        assert_eq!(moto_versioning(suspended.as_bytes()), Some(false));
        let aws = format!(
            "<VersioningConfiguration {ns}><Status>Enabled</Status></VersioningConfiguration>"
        );
        assert_eq!(moto_versioning(aws.as_bytes()), None);
        let denied = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        assert_eq!(moto_versioning(denied.as_bytes()), None);
        assert_eq!(moto_versioning(b"not xml <"), None);
        assert_eq!(moto_versioning(b""), None);
    }

    /// moto lists China and GovCloud Regions to a commercial account; AWS lists only its own partition's.
    #[test]
    fn regions_of_another_partition_are_left_out() {
        let r = |n: &str| RegionInfo {
            name: n.into(),
            opt_in_status: "opt-in-not-required".into(),
        };
        let all = vec![
            r("us-east-1"),
            r("cn-north-1"),
            r("us-gov-west-1"),
            r("eu-west-1"),
        ];
        let names = |v: Vec<RegionInfo>| v.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(regions_of_the_partition(
                all.clone(),
                Some("ap-northeast-2")
            )),
            ["us-east-1", "eu-west-1"]
        );
        assert_eq!(
            names(regions_of_the_partition(
                all.clone(),
                Some("cn-northwest-1")
            )),
            ["cn-north-1"]
        );
        assert_eq!(names(regions_of_the_partition(all, None)).len(), 4);
    }
}
