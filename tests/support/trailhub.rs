//! Driving the real `trailhub` binary against a private moto (through a recording [`Proxy`]), and reading
//! back what moto holds afterwards with the SDK, directly (never through the proxy, so reads made to check
//! a test do not show up in its request log).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use serde_json::{Value, json};

use super::{Moto, Proxy, TEST_ACCOUNT_ID, apply_test_env, create_bucket, s3_client, sdk_config};

pub const BUCKET: &str = "sec-cloudtrail-log";
pub const REGION: &str = super::TEST_REGION;
pub const ROLE: &str = "OrganizationAccountAccessRole";
pub const CENTRAL_TRAIL: &str = "SEC-CLOUDTRAIL";
/// The three static members of the sample accounts.toml: (id, name).
pub const MEMBERS: [(&str, &str); 3] = [
    ("222222222222", "DEV"),
    ("333333333333", "STG"),
    ("444444444444", "PRD"),
];
/// A trailhub run that takes longer than this is a hang: it is killed and the test fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// What a trailhub run showed the user.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Out {
    /// For assertion messages: everything the user saw.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the trailhub binary with `args`, its AWS calls going to `url` (through `AWS_ENDPOINT_URL`, with
/// test credentials and no inherited `AWS_*` variables), plus the extra `env`. Stdin is not a terminal.
pub fn run(url: &str, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhub"));
    apply_test_env(&mut cmd, url);
    cmd.env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("cannot start the trailhub binary");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("trailhub {args:?} did not finish in {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Out {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// An accounts.toml with the central account (moto's caller account, with its own trail) and static
/// `members` given as (id, name).
pub fn static_config(members: &[(&str, &str)]) -> String {
    let mut text = format!(
        r#"[central]
account_id = "{TEST_ACCOUNT_ID}"
bucket = "{BUCKET}"
region = "{REGION}"
trail_name = "{CENTRAL_TRAIL}"

[members]
source = "static"
role_name = "{ROLE}"
trail_name = "{{name}}-CLOUDTRAIL"
"#
    );
    for (id, name) in members {
        text.push_str(&format!(
            "\n[[account]]\nid = \"{id}\"\nname = \"{name}\"\n"
        ));
    }
    text
}

/// `arn:aws:cloudtrail:REGION:<id>:trail/<name>`
pub fn trail_arn(id: &str, name: &str) -> String {
    format!("arn:aws:cloudtrail:{REGION}:{id}:trail/{name}")
}

/// `arn:aws:s3:::BUCKET/AWSLogs/<id>/*`
pub fn log_prefix(id: &str) -> String {
    format!("arn:aws:s3:::{BUCKET}/AWSLogs/{id}/*")
}

/// The trail of an account out of scope that the team's policy already lets write (see [`team_policy`]).
pub const OLD_TRAIL: &str = "arn:aws:cloudtrail:us-east-1:999999999999:trail/old";

/// A bucket policy as the CloudTrail console and a security team leave it: a foreign Deny first, then the
/// console's two statements for another trail, [`OLD_TRAIL`] (string values, `AWS:SourceArn` spelled the
/// console's way).
pub fn team_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Id": "team-policy",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            },
            {
                "Sid": "AWSCloudTrailAclCheck20150319",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": format!("arn:aws:s3:::{BUCKET}"),
                "Condition": {"StringEquals": {"AWS:SourceArn": OLD_TRAIL}}
            },
            {
                "Sid": "AWSCloudTrailWrite20150319",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": log_prefix("999999999999"),
                "Condition": {"StringEquals": {
                    "AWS:SourceArn": OLD_TRAIL,
                    "s3:x-amz-acl": "bucket-owner-full-control"
                }}
            }
        ]
    })
}

/// Every (id, trail name) a config from [`static_config`] with `members` manages, central first.
pub fn managed_trails(members: &[(&str, &str)]) -> Vec<(String, String)> {
    std::iter::once((TEST_ACCOUNT_ID.to_owned(), CENTRAL_TRAIL.to_owned()))
        .chain(
            members
                .iter()
                .map(|(id, name)| (id.to_string(), format!("{name}-CLOUDTRAIL"))),
        )
        .collect()
}

/// A trail as moto holds it, in plain values.
#[derive(Debug, Clone, PartialEq)]
pub struct Trail {
    pub bucket: Option<String>,
    pub multi_region: bool,
    pub global_events: bool,
    pub log_validation: bool,
    pub logging: bool,
}

/// One test's world: a private moto, a recording proxy in front of it, an SDK configuration that talks to
/// moto directly, and a temporary directory holding the accounts file and the backups.
pub struct World {
    // Fields drop in order: the proxy before the moto it forwards to.
    pub proxy: Proxy,
    pub moto: Moto,
    pub rt: tokio::runtime::Runtime,
    /// Central (caller) credentials, straight to moto.
    pub sdk: SdkConfig,
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn start() -> World {
        let moto = Moto::start();
        let proxy = Proxy::start(&moto.url());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sdk = rt.block_on(sdk_config(&moto.url()));
        World {
            proxy,
            moto,
            rt,
            sdk,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Path of the accounts file [`World::write_config`] writes.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("accounts.toml")
    }

    pub fn backup_dir(&self) -> PathBuf {
        self.dir.path().join("backups")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).unwrap();
    }

    /// `trailhub --config FILE <args>` through the proxy.
    pub fn trailhub(&self, args: &[&str]) -> Out {
        let config = self.config_path();
        let mut all = vec!["--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        run(&self.proxy.url(), &all, &[])
    }

    /// `trailhub apply --yes --backup-dir DIR` through the proxy.
    pub fn apply(&self) -> Out {
        let backups = self.backup_dir();
        self.trailhub(&["apply", "--yes", "--backup-dir", backups.to_str().unwrap()])
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        s3_client(&self.sdk)
    }

    pub fn create_bucket(&self, name: &str) {
        self.rt.block_on(create_bucket(&self.s3(), name)).unwrap();
    }

    pub fn put_policy(&self, bucket: &str, text: &str) {
        self.rt
            .block_on(
                self.s3()
                    .put_bucket_policy()
                    .bucket(bucket)
                    .policy(text)
                    .send(),
            )
            .unwrap();
    }

    /// The bucket policy's text as moto holds it (None: no bucket or no policy).
    pub fn policy_text(&self, bucket: &str) -> Option<String> {
        let got = self
            .rt
            .block_on(self.s3().get_bucket_policy().bucket(bucket).send());
        got.ok().and_then(|o| o.policy)
    }

    /// The bucket policy, parsed.
    pub fn policy(&self) -> Value {
        let text = self.policy_text(BUCKET).expect("the bucket has no policy");
        serde_json::from_str(&text).unwrap()
    }

    pub fn buckets(&self) -> Vec<String> {
        let out = self.rt.block_on(self.s3().list_buckets().send()).unwrap();
        out.buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_owned))
            .collect()
    }

    /// SDK configuration for account `id`: the caller's own for the central account, else credentials
    /// from AssumeRole into `arn:aws:iam::<id>:role/OrganizationAccountAccessRole`.
    pub fn account(&self, id: &str) -> SdkConfig {
        if id == TEST_ACCOUNT_ID {
            return self.sdk.clone();
        }
        let sts = aws_sdk_sts::Client::new(&self.sdk);
        let out = self
            .rt
            .block_on(
                sts.assume_role()
                    .role_arn(format!("arn:aws:iam::{id}:role/{ROLE}"))
                    .role_session_name("trailhub-test")
                    .send(),
            )
            .unwrap();
        let c = out.credentials().unwrap();
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "trailhub-test-member",
        );
        self.sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(creds))
            .build()
    }

    pub fn cloudtrail(&self, id: &str) -> aws_sdk_cloudtrail::Client {
        aws_sdk_cloudtrail::Client::new(&self.account(id))
    }

    /// Account `id`'s trail called `name` (moto ignores DescribeTrails' name list: filtered here), with its
    /// logging status.
    pub fn trail(&self, id: &str, name: &str) -> Option<Trail> {
        let ct = self.cloudtrail(id);
        self.rt.block_on(async {
            let all = ct
                .describe_trails()
                .include_shadow_trails(false)
                .send()
                .await
                .unwrap();
            let mut named = all.trail_list().iter().filter(|t| t.name() == Some(name));
            let t = named.next()?;
            assert!(named.next().is_none(), "two trails {name} in {id}");
            let status = ct.get_trail_status().name(name).send().await.unwrap();
            Some(Trail {
                bucket: t.s3_bucket_name().map(str::to_owned),
                multi_region: t.is_multi_region_trail() == Some(true),
                global_events: t.include_global_service_events() == Some(true),
                log_validation: t.log_file_validation_enabled() == Some(true),
                logging: status.is_logging() == Some(true),
            })
        })
    }

    /// Asserts that account `id` has a trail `name` as trailhub makes it: to the bucket, multi-region,
    /// global service events, log file validation, logging.
    pub fn assert_onboarded(&self, id: &str, name: &str) {
        let want = Trail {
            bucket: Some(BUCKET.to_owned()),
            multi_region: true,
            global_events: true,
            log_validation: true,
            logging: true,
        };
        assert_eq!(
            self.trail(id, name).as_ref(),
            Some(&want),
            "trail {name} in {id}"
        );
    }
}

/// The statement of `policy` with this Sid.
pub fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid} in {policy:#}"))
}

/// A string-or-list policy value as a list.
pub fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        Value::Null => vec![],
        other => panic!("not a string or a list: {other}"),
    }
}

/// The `aws:SourceArn` values under a statement's `StringEquals` (the key is case-insensitive: the console
/// writes `AWS:SourceArn`).
pub fn source_arns(stmt: &Value) -> Vec<String> {
    let equals = stmt["Condition"]["StringEquals"].as_object().unwrap();
    let (_, v) = equals
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("aws:SourceArn"))
        .unwrap_or_else(|| panic!("no aws:SourceArn in {stmt:#}"));
    strings(v)
}

/// The files in `dir` (sorted), none when it does not exist.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}
