//! `trailhub inventory` (issue 23, point 8) against moto, through the recording proxy: after an apply, a
//! member's own trail (stopped, not trailhub's) and a multi-region trail homed in another region show in
//! the CSV and the JSON with their home region, bucket and logging; an unreachable account is its row;
//! and the inventory makes no write.

use crate::support;

use std::path::Path;
use std::process::Command;

use aws_credential_types::Credentials;
use serde_json::Value;
use support::{Fault, Moto, Proxy, Rule, TEST_ACCOUNT_ID, apply_test_env, sdk_config};

const BUCKET: &str = "inventory-logs";
const REGION: &str = "ap-northeast-2";
const DEV: &str = "222222222222";
const STG: &str = "333333333333";

fn config(dir: &Path) -> std::path::PathBuf {
    let text = format!(
        "[central]\naccount_id = \"{TEST_ACCOUNT_ID}\"\nbucket = \"{BUCKET}\"\nregion = \"{REGION}\"\n\
         trail_name = \"SEC-CLOUDTRAIL\"\n[members]\ntrail_name = \"{{name}}-CLOUDTRAIL\"\n\
         [[account]]\nid = \"{DEV}\"\nname = \"DEV\"\n[[account]]\nid = \"{STG}\"\nname = \"STG\"\n"
    );
    let path = dir.join("accounts.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn trailhub(url: &str, config: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhub"));
    apply_test_env(&mut cmd, url);
    let out = cmd.arg("--config").arg(config).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A CloudTrail client of `id` in `region`, straight to moto.
async fn member_trail(
    config: &aws_config::SdkConfig,
    id: &str,
    region: &'static str,
) -> aws_sdk_cloudtrail::Client {
    let sts = aws_sdk_sts::Client::new(config);
    let out = sts
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{id}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("test")
        .send()
        .await
        .unwrap();
    let c = out.credentials.unwrap();
    let creds = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "test",
    );
    let config = config
        .to_builder()
        .region(aws_config::Region::new(region))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(creds),
        );
    aws_sdk_cloudtrail::Client::new(&config.build())
}

#[test]
fn inventory_lists_every_trail_and_writes_nothing() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let backups = dir.path().join("backups");
    let (code, out, err) = trailhub(
        &proxy.url(),
        &cfg,
        &["apply", "--yes", "--backup-dir", backups.to_str().unwrap()],
    );
    assert_eq!(code, 0, "apply: {out}\n{err}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sdk = rt.block_on(sdk_config(&moto.url()));
    rt.block_on(async {
        let dev = member_trail(&sdk, DEV, REGION).await;
        dev.create_trail()
            .name("Audit")
            .s3_bucket_name(BUCKET)
            .send()
            .await
            .unwrap();
        dev.start_logging().name("Audit").send().await.unwrap();
        dev.stop_logging().name("Audit").send().await.unwrap();
        let virginia = member_trail(&sdk, DEV, "us-east-1").await;
        virginia
            .create_trail()
            .name("Everywhere")
            .s3_bucket_name(BUCKET)
            .is_multi_region_trail(true)
            .send()
            .await
            .unwrap();
    });
    proxy.clear_log();

    let (code, csv, err) = trailhub(&proxy.url(), &cfg, &["--format", "csv", "inventory"]);
    assert_eq!(code, 0, "{csv}\n{err}");
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows[0].starts_with("account,account_name,type,region,name,kind,logging,destination"),
        "{csv}"
    );
    let trail = |name: &str| {
        rows.iter()
            .find(|r| {
                r.starts_with(&format!("{DEV},DEV,trail,")) && r.contains(&format!(",{name},"))
            })
            .unwrap_or_else(|| panic!("{name} in:\n{csv}"))
            .to_string()
    };
    assert!(
        trail("DEV-CLOUDTRAIL").starts_with(&format!(
            "{DEV},DEV,trail,{REGION},DEV-CLOUDTRAIL,trailhub,true,s3://{BUCKET},"
        )),
        "{csv}"
    );
    assert!(
        trail("Audit").starts_with(&format!(
            "{DEV},DEV,trail,{REGION},Audit,other,false,s3://{BUCKET},"
        )),
        "{csv}"
    );
    assert!(
        trail("Everywhere").starts_with(&format!("{DEV},DEV,trail,us-east-1,Everywhere,shadow,")),
        "{csv}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with(&format!("{TEST_ACCOUNT_ID},central,trail,")))
    );
    assert!(
        proxy.writes().is_empty(),
        "inventory wrote: {:?}",
        proxy.writes()
    );

    // STG unreachable: its row says why, the others are listed all the same (exit 1)
    proxy.add_rule(
        Rule::on("sts", "AssumeRole")
            .role_contains(STG)
            .always(Fault::custom(403, "AccessDenied", "not authorized")),
    );
    let (code, json, err) = trailhub(&proxy.url(), &cfg, &["--format", "json", "inventory"]);
    assert_eq!(code, 1, "{json}\n{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let accounts = v["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3, "{v:#}");
    let stg = accounts.iter().find(|a| a["id"] == STG).unwrap();
    assert!(
        stg["error"].as_str().unwrap().contains("AccessDenied"),
        "{stg}"
    );
    let dev = accounts.iter().find(|a| a["id"] == DEV).unwrap();
    assert_eq!(dev["trails"].as_array().unwrap().len(), 3, "{dev:#}");
}
