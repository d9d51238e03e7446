//! Self-test of the test support code (`tests/support/`): moto starts and resets, the proxy forwards,
//! classifies and logs what the Rust SDK sends, and its faults reach the SDK as the errors (or retries)
//! AWS would cause.

use crate::support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use aws_sdk_sts::error::ProvideErrorMetadata;
use hyper::{HeaderMap, Method, Uri};
use support::proxy::{Protocol, classify};
use support::{Fault, Moto, Proxy, Rule, TEST_ACCOUNT_ID, create_bucket, s3_client, sdk_config};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// moto plus a proxy in front of it; fields drop in order (proxy first).
struct Stack {
    proxy: Proxy,
    moto: Moto,
    rt: tokio::runtime::Runtime,
    config: aws_config::SdkConfig,
}

fn stack() -> Stack {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url());
    let rt = runtime();
    let config = rt.block_on(sdk_config(&proxy.url()));
    Stack {
        proxy,
        moto,
        rt,
        config,
    }
}

#[test]
fn sts_through_proxy_and_access_denied_by_role() {
    let s = stack();
    let sts = aws_sdk_sts::Client::new(&s.config);

    let me = s.rt.block_on(sts.get_caller_identity().send()).unwrap();
    assert_eq!(me.account(), Some(TEST_ACCOUNT_ID));

    let assume = |account: &str| {
        s.rt.block_on(
            sts.assume_role()
                .role_arn(format!("arn:aws:iam::{account}:role/R"))
                .role_session_name("selftest")
                .send(),
        )
        .map_err(Box::new)
    };
    let creds = assume("222222222222").unwrap();
    assert!(creds.credentials().is_some());
    let log = s.proxy.log();
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(
        (log[0].service.as_str(), log[0].operation.as_str()),
        ("sts", "GetCallerIdentity")
    );
    assert_eq!(
        (log[1].service.as_str(), log[1].operation.as_str()),
        ("sts", "AssumeRole")
    );
    assert_eq!(
        log[1].role_arn.as_deref(),
        Some("arn:aws:iam::222222222222:role/R")
    );
    assert_eq!(log[1].status, 200);
    assert!(s.proxy.writes().is_empty());

    s.proxy.add_rule(
        Rule::on("sts", "AssumeRole")
            .role_contains("333333333333")
            .always(Fault::AccessDenied),
    );
    let err = assume("333333333333").unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"), "{err:?}");
    assert!(
        err.message().unwrap_or("").contains("sts:AssumeRole"),
        "{err:?}"
    );
    assume("222222222222").unwrap();

    let faulted = s.proxy.faulted();
    assert_eq!(
        faulted.len(),
        1,
        "AccessDenied is not retried: {faulted:#?}"
    );
    assert_eq!(faulted[0].fault.as_deref(), Some("AccessDenied"));
    assert_eq!(faulted[0].status, 403);
    assert_eq!(s.proxy.count("AssumeRole"), 3);
}

#[test]
fn throttled_describe_trails_is_retried() {
    let s = stack();
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&s.config);
    s.proxy.add_rule(
        Rule::on("cloudtrail", "DescribeTrails")
            .once()
            .fault(Fault::Throttle),
    );

    let trails = s.rt.block_on(cloudtrail.describe_trails().send()).unwrap();
    assert!(trails.trail_list().is_empty());

    let log = s.proxy.log();
    assert_eq!(s.proxy.count("DescribeTrails"), 2, "{log:#?}");
    assert_eq!(log[0].fault.as_deref(), Some("Throttle"));
    assert_eq!(log[0].status, 400);
    assert_eq!((log[1].fault.as_deref(), log[1].status), (None, 200));
    assert!(log.iter().all(|l| l.service == "cloudtrail"));
}

#[test]
fn throttle_is_rendered_per_protocol() {
    let s = stack();
    // Every attempt throttled: the SDK gives up and shows the protocol's throttling code.
    s.proxy.add_rule(Rule::any().fault(Fault::Throttle));
    let sts = aws_sdk_sts::Client::new(&s.config);
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&s.config);
    let s3 = s3_client(&s.config);

    let err = s.rt.block_on(sts.get_caller_identity().send()).unwrap_err();
    assert_eq!(err.code(), Some("Throttling"), "{err:?}");
    let err =
        s.rt.block_on(cloudtrail.describe_trails().send())
            .unwrap_err();
    assert_eq!(err.code(), Some("ThrottlingException"), "{err:?}");
    let err = s.rt.block_on(s3.list_buckets().send()).unwrap_err();
    assert_eq!(err.code(), Some("SlowDown"), "{err:?}");
    assert!(
        s.proxy
            .log()
            .iter()
            .all(|l| l.fault.as_deref() == Some("Throttle"))
    );
}

#[test]
fn s3_bucket_policy_round_trip_and_operation_aborted() {
    let s = stack();
    let s3 = s3_client(&s.config);
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;

    s.rt.block_on(async {
        create_bucket(&s3, "trail-logs").await.unwrap();
        s3.put_bucket_policy()
            .bucket("trail-logs")
            .policy(policy)
            .send()
            .await
            .unwrap();
        let got = s3
            .get_bucket_policy()
            .bucket("trail-logs")
            .send()
            .await
            .unwrap();
        assert_eq!(got.policy(), Some(policy));
    });

    let ops: Vec<_> = s
        .proxy
        .log()
        .into_iter()
        .map(|l| (l.service, l.operation))
        .collect();
    let s3op = |op: &str| ("s3".to_string(), op.to_string());
    assert_eq!(
        ops,
        [
            s3op("CreateBucket"),
            s3op("PutBucketPolicy"),
            s3op("GetBucketPolicy")
        ]
    );
    let writes: Vec<_> = s.proxy.writes().into_iter().map(|l| l.operation).collect();
    assert_eq!(writes, ["CreateBucket", "PutBucketPolicy"]);

    s.proxy
        .add_rule(Rule::on("s3", "PutBucketPolicy").fault(Fault::custom(
            409,
            "OperationAborted",
            "A conflicting conditional operation is currently in progress against this resource.",
        )));
    let err =
        s.rt.block_on(
            s3.put_bucket_policy()
                .bucket("trail-logs")
                .policy(policy)
                .send(),
        )
        .unwrap_err();
    assert_eq!(err.code(), Some("OperationAborted"), "{err:?}");
    let last = s.proxy.log().pop().unwrap();
    assert_eq!(
        (last.status, last.fault.as_deref()),
        (409, Some("OperationAborted"))
    );
}

#[test]
fn reset_and_http_500_are_retried() {
    let s = stack();
    let sts = aws_sdk_sts::Client::new(&s.config);
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&s.config);

    s.proxy.set_rules(vec![
        Rule::on("sts", "GetCallerIdentity")
            .once()
            .fault(Fault::Reset),
    ]);
    let me = s.rt.block_on(sts.get_caller_identity().send()).unwrap();
    assert_eq!(me.account(), Some(TEST_ACCOUNT_ID));
    let statuses: Vec<_> = s
        .proxy
        .log()
        .iter()
        .map(|l| (l.status, l.fault.clone()))
        .collect();
    assert_eq!(statuses, [(0, Some("Reset".to_string())), (200, None)]);

    // On the wire: no answer at all, just a closed connection.
    s.proxy
        .set_rules(vec![Rule::any().once().fault(Fault::Reset)]);
    let mut raw =
        std::net::TcpStream::connect(s.proxy.url().trim_start_matches("http://")).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    raw.read_to_end(&mut answer).unwrap();
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));

    s.proxy.clear_log();
    s.proxy.set_rules(vec![
        Rule::service("cloudtrail").once().fault(Fault::Http(500)),
    ]);
    s.rt.block_on(cloudtrail.describe_trails().send()).unwrap();
    let statuses: Vec<_> = s
        .proxy
        .log()
        .iter()
        .map(|l| (l.status, l.fault.clone()))
        .collect();
    assert_eq!(statuses, [(500, Some("Http500".to_string())), (200, None)]);
}

#[test]
fn hang_latency_and_seeded_probability() {
    let s = stack();
    let sts = aws_sdk_sts::Client::new(&s.config);

    // Hang: held, then closed without an answer; the SDK retries.
    s.proxy.set_rules(vec![
        Rule::any()
            .once()
            .fault(Fault::Hang(Duration::from_millis(300))),
    ]);
    let started = Instant::now();
    s.rt.block_on(sts.get_caller_identity().send()).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(s.proxy.count("GetCallerIdentity"), 2);

    // Latency (fault and global): slower, but forwarded.
    s.proxy.clear_log();
    s.proxy.set_rules(vec![
        Rule::any()
            .once()
            .fault(Fault::Latency(Duration::from_millis(200))),
    ]);
    s.proxy.set_latency(Duration::from_millis(100));
    let started = Instant::now();
    s.rt.block_on(sts.get_caller_identity().send()).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let log = s.proxy.log();
    assert_eq!(
        (log.len(), log[0].status, log[0].fault.as_deref()),
        (1, 200, Some("Latency"))
    );
    s.proxy.set_latency(Duration::ZERO);

    // Probability: the same seed fails the same requests.
    let pattern = |seed: u64| {
        s.proxy.clear_log();
        s.proxy.set_seed(seed);
        s.proxy.set_rules(vec![
            Rule::any().probability(0.5).fault(Fault::AccessDenied),
        ]);
        for _ in 0..16 {
            let _ = s.rt.block_on(sts.get_caller_identity().send());
        }
        s.proxy
            .log()
            .iter()
            .map(|l| l.fault.is_some())
            .collect::<Vec<_>>()
    };
    let first = pattern(7);
    assert_eq!(first, pattern(7));
    let failed = first.iter().filter(|f| **f).count();
    assert!((2..=14).contains(&failed), "{first:?}");
}

#[test]
fn moto_reset_wipes_state() {
    let s = stack();
    let s3 = s3_client(&s.config);
    s.rt.block_on(create_bucket(&s3, "before-reset")).unwrap();
    s.moto.reset();
    let buckets = s.rt.block_on(s3.list_buckets().send()).unwrap();
    assert!(buckets.buckets().is_empty(), "{buckets:?}");
}

#[test]
fn classifies_requests() {
    let h = |pairs: &[(&str, &str)]| {
        let mut headers = HeaderMap::new();
        for (k, v) in pairs {
            headers.insert(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        headers
    };
    let auth = |service: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential=testing/20250101/ap-northeast-2/{service}/aws4_request, \
             SignedHeaders=host, Signature=abc"
        )
    };
    let s3 = |method: Method, path: &str| {
        let headers = h(&[("authorization", &auth("s3"))]);
        let c = classify(&method, &path.parse::<Uri>().unwrap(), &headers, b"");
        assert_eq!((c.service.as_str(), c.protocol), ("s3", Protocol::RestXml));
        c.operation
    };
    assert_eq!(s3(Method::GET, "/"), "ListBuckets");
    assert_eq!(s3(Method::PUT, "/b"), "CreateBucket");
    assert_eq!(s3(Method::HEAD, "/b"), "HeadBucket");
    assert_eq!(s3(Method::DELETE, "/b?policy"), "DeleteBucketPolicy");
    assert_eq!(s3(Method::PUT, "/b?versioning"), "PutBucketVersioning");
    assert_eq!(s3(Method::GET, "/b?encryption"), "GetBucketEncryption");
    assert_eq!(
        s3(Method::PUT, "/b?publicAccessBlock"),
        "PutPublicAccessBlock"
    );
    assert_eq!(s3(Method::GET, "/b?location"), "GetBucketLocation");
    assert_eq!(
        s3(Method::PUT, "/b?ownershipControls"),
        "PutBucketOwnershipControls"
    );
    assert_eq!(
        s3(Method::GET, "/b?list-type=2&prefix=AWSLogs%2F"),
        "ListObjectsV2"
    );
    assert_eq!(
        s3(Method::PUT, "/b/k/x.json.gz?x-id=PutObject"),
        "PutObject"
    );
    assert_eq!(s3(Method::GET, "/b/k"), "GetObject");
    assert_eq!(s3(Method::POST, "/b?delete"), "DeleteObjects");

    let json = h(&[
        ("authorization", &auth("organizations")),
        ("x-amz-target", "AWSOrganizationsV20161128.ListAccounts"),
        ("content-type", "application/x-amz-json-1.1"),
    ]);
    let c = classify(&Method::POST, &"/".parse().unwrap(), &json, b"{}");
    assert_eq!(
        (c.service.as_str(), c.operation.as_str(), c.protocol),
        ("organizations", "ListAccounts", Protocol::AwsJson)
    );

    let unsigned = h(&[(
        "x-amz-target",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateTrail",
    )]);
    let c = classify(&Method::POST, &"/".parse().unwrap(), &unsigned, b"{}");
    assert_eq!(
        (c.service.as_str(), c.operation.as_str()),
        ("cloudtrail", "CreateTrail")
    );

    let form = h(&[
        ("authorization", &auth("sts")),
        ("content-type", "application/x-www-form-urlencoded"),
    ]);
    let body = b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR&RoleSessionName=s";
    let c = classify(&Method::POST, &"/".parse().unwrap(), &form, body);
    assert_eq!(
        (c.operation.as_str(), c.protocol),
        ("AssumeRole", Protocol::AwsQuery)
    );
    assert_eq!(
        c.role_arn.as_deref(),
        Some("arn:aws:iam::222222222222:role/R")
    );

    let ec2 = h(&[
        ("authorization", &auth("ec2")),
        ("content-type", "application/x-www-form-urlencoded"),
    ]);
    let c = classify(
        &Method::POST,
        &"/".parse().unwrap(),
        &ec2,
        b"Action=CreateFlowLogs&Version=2016-11-15",
    );
    assert_eq!(
        (c.operation.as_str(), c.protocol),
        ("CreateFlowLogs", Protocol::Ec2Query)
    );
    assert!(support::proxy::is_write_operation(&c.operation));
}

/// A test that cannot find its emulator fails with a message that says how to get one, never skips.
#[test]
fn moto_start_says_how_to_get_moto_when_the_server_is_missing() {
    let Err(text) = Moto::start_with(Some("/nonexistent/moto_server".into())) else {
        panic!("a server that does not exist started");
    };
    assert!(text.contains("moto_server not found"), "{text}");
    assert!(text.contains("pip install 'moto[server]>=5.1'"), "{text}");
    assert!(text.contains("TRAILHUB_MOTO_SERVER"), "{text}");
}

/// A server kept for the next test after a reset is like a new one: what one test made is gone for the next.
#[test]
fn a_kept_moto_server_comes_back_empty() {
    let rt = runtime();
    let bucket_names = |moto: &Moto| {
        let s3 = s3_client(&rt.block_on(sdk_config(&moto.url())));
        let listed = rt.block_on(s3.list_buckets().send()).unwrap();
        listed
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let first = Moto::start();
    let s3 = s3_client(&rt.block_on(sdk_config(&first.url())));
    rt.block_on(create_bucket(&s3, "left-by-an-earlier-test"))
        .unwrap();
    assert_eq!(bucket_names(&first), ["left-by-an-earlier-test"]);
    drop(first);
    // another test may take the kept server first; whichever this one gets holds nothing
    let second = Moto::start();
    assert_eq!(bucket_names(&second), Vec::<String>::new());
    assert!(
        !second.log_contents().contains("left-by-an-earlier-test"),
        "{}",
        second.log_contents()
    );
}
