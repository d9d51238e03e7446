//! Helpers for the fault-tolerance tests (`tests/faults.rs`) and the reliability figures
//! (`benches/reliability.rs`): many generated member accounts, a foreign statement to guard, the chaos rules,
//! a trailhub run in the background that can be interrupted or killed, and the checks made after each run
//! (the policy parses, the foreign statements are all there, every trail may write).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::trailhub::{BUCKET, Out, REGION, World, managed_trails, static_config};
use super::{Fault, Rule, apply_test_env};

/// `n` member accounts with ids from `first` on: (`"200000000000"`, `"M000"`), ...
pub fn members(first: u64, n: usize, prefix: &str) -> Vec<(String, String)> {
    (0..n as u64)
        .map(|i| (format!("{:012}", first + i), format!("{prefix}{i:03}")))
        .collect()
}

/// The borrowed form [`super::trailhub::static_config`] and [`managed_trails`] take.
pub fn borrowed(members: &[(String, String)]) -> Vec<(&str, &str)> {
    members
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

/// Statements another team keeps in the shared bucket policy: trailhub must never drop or alter them.
pub fn foreign_statements() -> Vec<Value> {
    vec![
        json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }),
        json!({
            "Sid": "SecurityTeamRead",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999999999999:role/security-audit"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")]
        }),
    ]
}

/// A bucket policy holding only the foreign statements (pretty, as a person leaves it).
pub fn foreign_policy() -> String {
    serde_json::to_string_pretty(&json!({
        "Version": "2012-10-17",
        "Statement": foreign_statements(),
    }))
    .unwrap()
}

/// Rules that fault every operation with these *marginal* chances (the proxy tries rules in order, so the
/// later ones are scaled by what the earlier left): throttling (in each protocol's own shape), a bare
/// HTTP 500, a connection reset.
pub fn chaos_rules(throttle: f64, http500: f64, reset: f64) -> Vec<Rule> {
    let after_throttle = 1.0 - throttle;
    let after_500 = after_throttle - http500;
    vec![
        Rule::any().probability(throttle).fault(Fault::Throttle),
        Rule::any()
            .probability(http500 / after_throttle)
            .fault(Fault::Http(500)),
        Rule::any()
            .probability(reset / after_500)
            .fault(Fault::Reset),
    ]
}

/// What is wrong with the bucket policy text `text` for the checks every test makes: it must parse as a
/// JSON object with a Statement list holding every foreign statement unchanged. None when all is well.
pub fn foreign_problem(text: &str) -> Option<String> {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Some(format!("not JSON ({e}): {text}")),
    };
    let Some(list) = v["Statement"].as_array() else {
        return Some(format!("no Statement list: {text}"));
    };
    let missing: Vec<String> = foreign_statements()
        .into_iter()
        .filter(|s| !list.contains(s))
        .map(|s| s["Sid"].to_string())
        .collect();
    (!missing.is_empty()).then(|| format!("foreign statements {missing:?} lost or altered: {v:#}"))
}

/// The (id, trail name) pairs of `managed` whose trail `policy` does NOT let deliver to the bucket (as
/// trailhub's own evaluator judges it: the ACL check and the write, with the foreign Deny in force).
pub fn undeliverable(policy: &Value, managed: &[(String, String)]) -> Vec<String> {
    use trailhub::plan::evaluate::{Delivery, check_delivery};
    managed
        .iter()
        .filter(|(id, name)| {
            let target = Delivery {
                partition: "aws".into(),
                bucket: BUCKET.into(),
                key_prefix: None,
                account_id: id.clone(),
                source_arn: format!("arn:aws:cloudtrail:{REGION}:{id}:trail/{name}"),
                source_account: id.clone(),
                org_id: None,
                org_path: None,
                service: "cloudtrail.amazonaws.com".into(),
                log_kind: "CloudTrail".into(),
                region: REGION.into(),
            };
            !check_delivery(policy, &target).allowed()
        })
        .map(|(id, name)| format!("{id}/{name}"))
        .collect()
}

/// A fresh [`World`] whose accounts file names the central account and `members`, and whose bucket exists
/// and holds only the [`foreign_policy`] (written straight to moto, so not in the proxy's log).
pub fn seeded_world(members: &[(String, String)]) -> World {
    let w = World::start();
    w.write_config(&static_config(&borrowed(members)));
    w.create_bucket(BUCKET);
    w.put_policy(BUCKET, &foreign_policy());
    w
}

/// Every (id, trail name) a static config with `members` manages, central first, owned.
pub fn managed(members: &[(String, String)]) -> Vec<(String, String)> {
    managed_trails(&borrowed(members))
}

/// The trails of `managed` that moto does not hold as trailhub makes them (to the bucket, logging...).
pub fn not_onboarded(w: &World, managed: &[(String, String)]) -> Vec<String> {
    managed
        .iter()
        .filter(|(id, name)| {
            let t = w.trail(id, name);
            !t.is_some_and(|t| {
                t.bucket.as_deref() == Some(BUCKET)
                    && t.multi_region
                    && t.global_events
                    && t.log_validation
                    && t.logging
            })
        })
        .map(|(id, name)| format!("{id}/{name}"))
        .collect()
}

/// A trailhub process running in the background, to be interrupted or killed.
pub struct Running {
    child: Child,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    pub started: Instant,
}

impl Running {
    /// Starts `trailhub <args>` against `url` with the test environment (as [`super::trailhub::run`]).
    pub fn start(url: &str, args: &[&str]) -> Running {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhub"));
        apply_test_env(&mut cmd, url);
        cmd.env_remove("RUST_LOG").args(args);
        Running::spawn(cmd)
    }

    /// Starts `cmd` as it is set up (program, arguments, environment), stdin closed, stdout and stderr
    /// captured: any program to time and wait for, e.g. the aws CLI baseline of `benches/e2e.rs`.
    pub fn spawn(mut cmd: Command) -> Running {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
        let drain = |mut r: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = r.read_to_string(&mut s);
                s
            })
        };
        let stdout = Some(drain(Box::new(child.stdout.take().unwrap())));
        let stderr = Some(drain(Box::new(child.stderr.take().unwrap())));
        Running {
            child,
            stdout,
            stderr,
            started: Instant::now(),
        }
    }

    /// `trailhub --config CONFIG apply --yes --backup-dir BACKUPS` through `w`'s proxy.
    pub fn apply(w: &World, config: &Path, backups: &Path) -> Running {
        Running::start(
            &w.proxy.url(),
            &[
                "--config",
                config.to_str().unwrap(),
                "apply",
                "--yes",
                "--backup-dir",
                backups.to_str().unwrap(),
            ],
        )
    }

    /// Sends SIGINT, as Ctrl-C does (`kill -INT PID`).
    pub fn interrupt(&self) {
        let ok = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -INT {} failed", self.child.id());
    }

    /// SIGKILL (kill -9): no chance to clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
    }

    /// Whether the process has exited.
    pub fn finished(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Waits (at most `timeout`, else kills it and panics) and returns what it printed and when it ended,
    /// counted from its start. A process ended by a signal has code -1.
    pub fn wait(mut self, timeout: Duration) -> (Out, Duration) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("trailhub did not finish in {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let took = self.started.elapsed();
        let out = Out {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout.take().unwrap().join().unwrap(),
            stderr: self.stderr.take().unwrap().join().unwrap(),
        };
        (out, took)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// splitmix64, seeded: the random moments of the kill tests are the same on every run.
pub struct Seeded(pub u64);

impl Seeded {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let f = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo).mul_f64(f)
    }
}

/// Whether the bucket has Block Public Access, versioning and default encryption, as trailhub creates it
/// (None: all on; else what is missing).
pub fn unhardened(w: &World) -> Option<String> {
    let s3 = w.s3();
    let mut missing = Vec::new();
    w.rt.block_on(async {
        let block = s3.get_public_access_block().bucket(BUCKET).send().await;
        let all_on = block.ok().and_then(|b| {
            b.public_access_block_configuration().map(|c| {
                [
                    c.block_public_acls(),
                    c.ignore_public_acls(),
                    c.block_public_policy(),
                    c.restrict_public_buckets(),
                ] == [Some(true); 4]
            })
        });
        if all_on != Some(true) {
            missing.push("Block Public Access");
        }
        let sse = s3.get_bucket_encryption().bucket(BUCKET).send().await;
        if sse.is_err() {
            missing.push("default encryption");
        }
    });
    // moto answers GetBucketVersioning with a root element the SDK cannot parse: read it raw.
    let versioning = raw_get(w.moto.port(), &format!("/{BUCKET}?versioning"));
    if !versioning.contains("<Status>Enabled</Status>") {
        missing.push("versioning");
    }
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// An unsigned GET to moto (which checks no signature), answer as text.
pub fn raw_get(port: u16, path: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}
