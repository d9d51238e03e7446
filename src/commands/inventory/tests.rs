//! `inventory` over the in-memory fake: every trail an account shows (trailhub's, another, the management
//! account's organization trail, a shadow of another region), its logging, selectors and key, the flow
//! logs, an unreachable account as its row; and the same in text, CSV and JSON.

use std::time::Duration;

use super::*;
use crate::apply::ApplyOptions;
use crate::aws::TrailLogs;
use crate::cli::Format;
use crate::fake::{FakeAws, fake_trail};
use crate::fixtures::{self, CENTRAL};
use crate::interrupt::Interrupt;
use crate::output::{self, Scripted};
use crate::progress::Silent;

const M0: &str = "200000000000";
const M1: &str = "200000000001";
const M2: &str = "200000000002";

/// Three members after an apply with flow logs to the bucket; then M1 gets a trail of its own (not
/// logging, with a key and a log group), the central account an organization trail, M2 a trail homed in
/// us-east-1, and M0 refuses AssumeRole.
async fn estate() -> (FakeAws, Config) {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(1));
    aws.set_organization("o-abcdef1234", &[M0, M1, M2]);
    let mut text = fixtures::config_text("", "", 3);
    text += "[flow_logs]\ndestinations = [\"s3\"]\ntraffic_type = \"ALL\"\n";
    let cfg = fixtures::parse(&text);
    let dir = tempfile::tempdir().unwrap();
    let opts = ApplyOptions::new(dir.path().to_owned(), 4, Interrupt::default());
    let (_, run) = fixtures::plan_and_apply(&aws, &cfg, &opts).await;
    assert_eq!(run.exit_code(), 0, "{run:#?}");
    let seoul = "ap-northeast-2".parse().unwrap();
    let virginia = "us-east-1".parse().unwrap();
    let mut w = aws.world();
    let mut own = fake_trail(&seoul, M1, "Audit", "their-bucket");
    own.kms_key_id = Some("arn:aws:kms:ap-northeast-2:200000000001:key/k1".into());
    own.cloudwatch = Some(TrailLogs {
        log_group_arn: "arn:aws:logs:ap-northeast-2:200000000001:log-group:audit-trail:*".into(),
        role_arn: "arn:aws:iam::200000000001:role/ct".into(),
    });
    let stopped = TrailStatus::default();
    w.trails.entry(M1.into()).or_default().push((own, stopped));
    let mut org = fake_trail(&seoul, CENTRAL, "OrgTrail", "org-bucket");
    org.organization_trail = true;
    let logging = TrailStatus {
        is_logging: true,
        ..TrailStatus::default()
    };
    w.trails
        .entry(CENTRAL.into())
        .or_default()
        .push((org, logging.clone()));
    let shadow = fake_trail(&virginia, M2, "Virginia", "sec-log");
    w.trails
        .entry(M2.into())
        .or_default()
        .push((shadow, logging));
    w.deny_assume.insert(M0.into());
    drop(w);
    (aws, cfg)
}

#[tokio::test(start_paused = true)]
async fn inventory_lists_every_trail_flow_log_and_log_group_and_the_account_it_could_not_read() {
    let (aws, cfg) = estate().await;
    let writes = aws.calls("CreateTrail") + aws.calls("PutBucketPolicy");
    let report = run(&aws, &cfg, 4, &Silent).await.unwrap();
    assert_eq!(report.exit_code(), 1, "M0 could not be read");
    assert_eq!(
        aws.calls("CreateTrail") + aws.calls("PutBucketPolicy"),
        writes
    );
    let ids: Vec<&str> = report.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, [CENTRAL, M0, M1, M2]);
    let by = |id: &str| report.accounts.iter().find(|a| a.id == id).unwrap();

    let m0 = by(M0);
    assert!(
        m0.error.as_deref().unwrap().contains("AssumeRole"),
        "{m0:?}"
    );
    assert!(m0.trails.is_empty());

    let m1 = by(M1);
    let kinds: Vec<(&str, TrailKind)> = m1
        .trails
        .iter()
        .map(|t| (t.name.as_str(), t.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("M1-CT", TrailKind::Trailhub),
            ("Audit", TrailKind::Other),
            ("OrgTrail", TrailKind::Organization)
        ]
    );
    let audit = &m1.trails[1];
    assert_eq!(audit.logging, Some(false));
    assert_eq!(
        audit.kms_key.as_deref(),
        Some("arn:aws:kms:ap-northeast-2:200000000001:key/k1")
    );
    assert_eq!(audit.selectors.as_deref(), Some("all management events"));
    let org = &m1.trails[2];
    assert_eq!((org.owner.as_str(), org.logging), (CENTRAL, Some(true)));
    assert_eq!(m1.trails[0].logging, Some(true));
    let flows = m1.flow_logs.as_ref().unwrap();
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert!(flows[0].managed && flows[0].destination.starts_with("s3 arn:aws:s3:::sec-log"));
    assert_eq!(m1.log_groups.len(), 1);
    assert_eq!(
        (
            m1.log_groups[0].name.as_str(),
            m1.log_groups[0].used_by.as_slice()
        ),
        ("audit-trail", ["trail Audit".to_owned()].as_slice())
    );

    let m2 = by(M2);
    let shadow = m2.trails.iter().find(|t| t.name == "Virginia").unwrap();
    assert_eq!(shadow.kind, TrailKind::Shadow);
    assert_eq!(shadow.home_region.as_deref(), Some("us-east-1"));
    assert_eq!(shadow.logging, Some(true), "read by ARN: {shadow:?}");

    let central = by(CENTRAL);
    assert!(central.is_central);
    assert!(central.trails.iter().any(|t| t.name == "OrgTrail"));
}

#[tokio::test(start_paused = true)]
async fn inventory_renders_as_text_csv_and_json() {
    let (aws, cfg) = estate().await;
    let report = run(&aws, &cfg, 4, &Silent).await.unwrap();
    let render = |format| {
        let mut out = Vec::new();
        output::print(&mut out, &mut Scripted::answering(&[]), format, &report).unwrap();
        String::from_utf8(out).unwrap()
    };
    let text = render(Format::Text);
    for want in [
        "200000000000 M0\n  could not be read: ",
        "Audit",
        "OFF",
        "organization of 111111111111",
        "none (SSE-S3)",
        "log group audit-trail in ap-northeast-2: trail Audit",
        "4 accounts: 8 trails (1 not logging), 3 flow logs; 1 account could not be read",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    let csv = render(Format::Csv);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(lines[0].starts_with("account,account_name,type,region,name,kind,logging"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("200000000000,M0,account,,,"))
    );
    assert!(
        lines.contains(&"200000000001,M1,trail,ap-northeast-2,Audit,other,false,s3://their-bucket,all management events,arn:aws:kms:ap-northeast-2:200000000001:key/k1,,"),
        "{csv}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.is_empty() || l.split(',').count() >= 12),
        "{csv}"
    );
    let json: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
    assert_eq!(json["accounts"][2]["trails"][1]["kind"], "other");
    assert_eq!(json["accounts"][2]["trails"][1]["logging"], false);
    assert_eq!(json["accounts"][3]["trails"][1]["kind"], "shadow");
}
