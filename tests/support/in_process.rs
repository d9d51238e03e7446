//! A command run in-process over the in-memory fake, as the binary runs it after connecting (no moto).

use std::path::Path;

use time::OffsetDateTime;
use trailhub::cli::{Command, Format};
use trailhub::commands::{Session, run};
use trailhub::config::Config;
use trailhub::fake::FakeAws;
use trailhub::interrupt::Interrupt;
use trailhub::output::Scripted;

/// The text of [`CENTRAL_AND_DEV`], as a literal that `concat!` can extend.
macro_rules! central_and_dev {
    () => {
        r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
trail_name = "SEC-CLOUDTRAIL"

[members]
trail_name = "{name}-CLOUDTRAIL"

[[account]]
id = "222222222222"
name = "DEV"
"#
    };
}

/// The accounts file of the tests over the fake: the central account 111111111111 (bucket sec-log in
/// ap-northeast-2, its trail SEC-CLOUDTRAIL) and one member, DEV 222222222222.
pub const CENTRAL_AND_DEV: &str = central_and_dev!();

/// [`CENTRAL_AND_DEV`] with two more members, STG 333333333333 and PRD 444444444444.
pub const FOUR_ACCOUNTS: &str = concat!(
    central_and_dev!(),
    r#"
[[account]]
id = "333333333333"
name = "STG"

[[account]]
id = "444444444444"
name = "PRD"
"#
);

/// Runs `command` with the accounts file `config` (text) over `aws`, as text, answering no question:
/// the exit code and stdout.
pub async fn trailhub(aws: &FakeAws, config: &str, command: &Command) -> (i32, String) {
    let cfg = Config::parse(Path::new("accounts.toml"), config).unwrap();
    let mut console = Scripted::answering(&[]);
    let mut out = Vec::new();
    let session = Session {
        format: Format::Text,
        concurrency: 4,
        interrupt: Interrupt::default(),
        now: OffsetDateTime::now_utc,
        console: &mut console,
        out: &mut out,
    };
    let code = run(aws, &cfg, command, session).await.unwrap();
    (code, String::from_utf8(out).unwrap())
}
