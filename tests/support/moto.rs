//! A private `moto_server` per test, and the configuration that points trailhub (or the SDK) at it.
//!
//! [`Moto::start`] picks a free port, spawns `moto_server -H 127.0.0.1 -p PORT` (or the program named by
//! `TRAILHUB_MOTO_SERVER`, or else `python3 -m moto.server`), and waits until it accepts connections.
//! It panics, never skips, when moto cannot be started: a test suite that silently skips its AWS tests
//! proves nothing.
//!
//! A test has the server to itself until it drops the [`Moto`]. A server started without extra
//! environment is then wiped (`POST /moto-api/reset`) and kept for the next test, which gets it
//! like a new one: a fresh server costs about 0.5 s to start and 1 s more for the first EC2 call (moto
//! imports its EC2 models then), against 0.1 s for the reset, over some 60 tests (BENCHMARKS.md §11).
//! A server whose reset fails is killed. Every server dies with the test process, however it ends: each
//! is spawned by one long-lived thread with `PR_SET_PDEATHSIG`.
//!
//! moto maps every access key to account [`TEST_ACCOUNT_ID`]; `MOTO_ACCOUNT_ID` is deliberately never set
//! because it would pin every request (including assumed-role ones) to a single account.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The account moto answers as for any access key (the caller's, i.e. central, account).
pub const TEST_ACCOUNT_ID: &str = "123456789012";
/// The region tests use.
pub const TEST_REGION: &str = "ap-northeast-2";
/// Environment variable naming the moto server program to run instead of `moto_server`.
pub const MOTO_SERVER_ENV: &str = "TRAILHUB_MOTO_SERVER";

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const HOW_TO: &str = "moto_server not found: install it with `pip install 'moto[server]>=5.1'` \
                      (.ci/run does this), or set TRAILHUB_MOTO_SERVER to its path";

/// A running `moto_server` child process, this test's own until dropped; then wiped and kept for the
/// next test (if it was started without extra environment), else killed.
pub struct Moto {
    child: Child,
    port: u16,
    /// moto's stdout and stderr; kept so a failing test can show it, deleted with the server.
    log: tempfile::NamedTempFile,
    /// Where this test's part of `log` begins (a kept server's log holds earlier tests' output).
    log_start: u64,
    /// Started with moto's default environment, so that the next test may have it after a reset.
    reusable: bool,
}

/// The servers no test holds, already wiped.
static IDLE: Mutex<Vec<Moto>> = Mutex::new(Vec::new());

impl Moto {
    /// Starts a fresh moto server on a free port and waits (up to 30 s) until it accepts connections.
    ///
    /// Uses `$TRAILHUB_MOTO_SERVER` if set (and only that), else `moto_server` from `PATH`, else
    /// `python3 -m moto.server`.
    ///
    /// # Panics
    /// If no candidate can be started, with a message saying how to install moto.
    pub fn start() -> Moto {
        Self::start_env(&[])
    }

    /// [`Moto::start`] with these extra variables in moto's environment, such as
    /// `INITIAL_NO_AUTH_ACTION_COUNT` to turn its IAM enforcement on (tests/MOTO-IAM.md).
    ///
    /// # Panics
    /// If no candidate can be started, with a message saying how to install moto.
    pub fn start_env(env: &[(&str, &str)]) -> Moto {
        if env.is_empty() {
            let idle = IDLE.lock().unwrap_or_else(|e| e.into_inner()).pop();
            if let Some(mut moto) = idle {
                moto.log_start = moto.log.as_file().metadata().map_or(0, |m| m.len());
                return moto;
            }
        }
        let server = std::env::var_os(MOTO_SERVER_ENV).filter(|p| !p.is_empty());
        match Self::start_with_env(server, env) {
            Ok(mut moto) => {
                moto.reusable = env.is_empty();
                moto
            }
            Err(how_to) => panic!("{how_to}"),
        }
    }

    /// Starts `server` if given (and only that), else `moto_server` from `PATH`, else
    /// `python3 -m moto.server`; Err is the message that says how to get moto.
    pub fn start_with(server: Option<OsString>) -> Result<Moto, String> {
        Self::start_with_env(server, &[])
    }

    /// [`Moto::start_with`], with these extra variables in moto's environment.
    pub fn start_with_env(server: Option<OsString>, env: &[(&str, &str)]) -> Result<Moto, String> {
        let candidates: Vec<(OsString, Vec<&str>)> = match server {
            Some(program) => vec![(program, vec![])],
            None => vec![
                ("moto_server".into(), vec![]),
                ("python3".into(), vec!["-m", "moto.server"]),
            ],
        };
        let mut failures = Vec::new();
        for (program, args) in &candidates {
            match Self::try_start(program, args, env) {
                Ok(moto) => return Ok(moto),
                Err(e) => failures.push(format!(
                    "{} {}: {e}",
                    program.to_string_lossy(),
                    args.join(" ")
                )),
            }
        }
        Err(format!("{HOW_TO}\n(tried: {})", failures.join("; ")))
    }

    fn try_start(program: &OsStr, args: &[&str], env: &[(&str, &str)]) -> io::Result<Moto> {
        let port = free_port()?;
        let log = tempfile::Builder::new()
            .prefix("moto-")
            .suffix(".log")
            .tempfile()?;
        let mut command = Command::new(program);
        command
            .args(args)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env_remove("MOTO_ACCOUNT_ID")
            .env_remove("INITIAL_NO_AUTH_ACTION_COUNT")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.reopen()?))
            .stderr(Stdio::from(log.reopen()?));
        let child = spawn_for_the_process(command)?;
        // From here on, dropping `moto` kills the child on every early return (not reusable yet).
        let mut moto = Moto {
            child,
            port,
            log,
            log_start: 0,
            reusable: false,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = moto.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "exited with {status} before accepting connections; output:\n{}",
                    moto.log_contents()
                )));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(moto);
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "not accepting connections on {addr} after {READY_TIMEOUT:?}; output:\n{}",
                        moto.log_contents()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything moto printed so far for this test (for failure messages).
    pub fn log_contents(&self) -> String {
        let all = std::fs::read(self.log.path()).unwrap_or_default();
        let start = usize::try_from(self.log_start).unwrap_or(0).min(all.len());
        String::from_utf8_lossy(&all[start..]).into_owned()
    }

    /// Wipes all of moto's state (`POST /moto-api/reset`).
    ///
    /// # Panics
    /// If the reset request fails; see [`Moto::try_reset`].
    pub fn reset(&self) {
        if let Err(e) = self.try_reset() {
            panic!("resetting moto at {} failed: {e}", self.url());
        }
    }

    /// Like [`Moto::reset`], returning the error instead of panicking.
    pub fn try_reset(&self) -> io::Result<()> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let status_line = answer.lines().next().unwrap_or_default();
        if status_line.split_whitespace().nth(1) == Some("200") {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "unexpected answer: {status_line:?}"
            )))
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let running = matches!(self.child.try_wait(), Ok(None));
        if self.reusable && running && !std::thread::panicking() && self.try_reset().is_ok() {
            let kept = Moto {
                // the child and the log move to the pool; this value is left with a dead stand-in
                child: std::mem::replace(&mut self.child, dead_child()),
                port: self.port,
                log: std::mem::replace(&mut self.log, stand_in_log()),
                log_start: 0,
                reusable: true,
            };
            IDLE.lock().unwrap_or_else(|e| e.into_inner()).push(kept);
            return;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child that has already exited, to leave in a [`Moto`] whose server went to the pool.
fn dead_child() -> Child {
    let mut child = Command::new("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("`true` runs");
    let _ = child.wait();
    child
}

fn stand_in_log() -> tempfile::NamedTempFile {
    tempfile::NamedTempFile::new().expect("a temporary file")
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` from one thread that lives as long as the test process, with `PR_SET_PDEATHSIG`:
/// the server is killed when the process ends, even by SIGKILL (the signal follows the thread that
/// forked, so a test's own thread, which ends with the test, would not do).
fn spawn_for_the_process(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (to_spawner, requests) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("moto-spawner".into())
            .spawn(move || {
                for (mut command, answer) in requests {
                    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
                    unsafe {
                        command.pre_exec(|| {
                            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
                                Ok(())
                            } else {
                                Err(io::Error::last_os_error())
                            }
                        });
                    }
                    let _ = answer.send(command.spawn());
                }
            })
            .expect("the moto spawner thread starts");
        Mutex::new(to_spawner)
    });
    let (answer, spawned) = mpsc::channel();
    spawner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((command, answer))
        .map_err(|_| io::Error::other("the moto spawner thread is gone"))?;
    spawned
        .recv()
        .map_err(|_| io::Error::other("the moto spawner thread is gone"))?
}

fn free_port() -> io::Result<u16> {
    // The listener is dropped before moto binds the port: a tiny race, acceptable for tests.
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Environment variables for a trailhub child process talking to the (fake) AWS at `url`.
///
/// `AWS_SESSION_TOKEN` must additionally be *unset*, and other inherited `AWS_*` variables (a developer's
/// `AWS_PROFILE`, `AWS_ENDPOINT_URL_S3`, ...) should be: [`apply_test_env`] does all of that.
pub fn test_env(url: &str) -> Vec<(String, String)> {
    [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", TEST_REGION),
        ("AWS_ENDPOINT_URL", url),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("NO_COLOR", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Configures `cmd` to talk to the (fake) AWS at `url`: removes every inherited `AWS_*` variable
/// (including `AWS_SESSION_TOKEN`, `AWS_PROFILE`, service-specific endpoint URLs), then sets [`test_env`].
pub fn apply_test_env<'c>(cmd: &'c mut Command, url: &str) -> &'c mut Command {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("AWS_SESSION_TOKEN");
    cmd.envs(test_env(url))
}

/// SDK configuration for seeding or inspecting moto (or a [`super::Proxy`]) directly: static test
/// credentials, region [`TEST_REGION`], endpoint `url`, and no profile files (a developer's
/// `~/.aws/config` never leaks in). Build S3 clients with [`s3_client`] (path style).
#[allow(deprecated)] // the non-deprecated names live in aws-runtime, which is not a dependency
pub async fn sdk_config(url: &str) -> SdkConfig {
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
    let no_profiles = ProfileFiles::builder()
        .with_contents(ProfileFileKind::Config, "")
        .with_contents(ProfileFileKind::Credentials, "")
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .profile_files(no_profiles)
        .endpoint_url(url)
        .region(Region::new(TEST_REGION))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "trailhub-test",
        ))
        .load()
        .await
}

/// Creates bucket `name` in [`TEST_REGION`] (outside us-east-1, S3 and moto require the location constraint).
pub async fn create_bucket(
    s3: &aws_sdk_s3::Client,
    name: &str,
) -> Result<(), aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::create_bucket::CreateBucketError>>
{
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let location = CreateBucketConfiguration::builder()
        .location_constraint(BucketLocationConstraint::from(TEST_REGION))
        .build();
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(location)
        .send()
        .await?;
    Ok(())
}

/// An S3 client for `config` with path-style addressing (required with a custom endpoint).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

/// Puts `keys` (each with a body of `{}`) into `bucket` over moto with its policy lifted while it does, then
/// put back as it was. moto applies a bucket policy's Deny without reading its condition, so trailhub's
/// TLS-only Deny (`aws:SecureTransport` false, docs/aws-rules.md S3-14) refuses the test's PutObject
/// even though it would not refuse AWS's services; moto never delivers a log file, so tests place them.
pub async fn put_objects_past_policy(s3: &aws_sdk_s3::Client, bucket: &str, keys: &[String]) {
    let policy = s3
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|p| p.policy);
    if policy.is_some() {
        s3.delete_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
    }
    for key in keys {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(b"{}".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    if let Some(p) = policy {
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(p)
            .send()
            .await
            .unwrap();
    }
}
