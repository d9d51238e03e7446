//! A command run in-process over the in-memory fake, as the binary runs it after connecting (no moto).

use std::path::Path;

use time::OffsetDateTime;
use trailhub::cli::{Command, Format};
use trailhub::commands::{Session, run};
use trailhub::config::Config;
use trailhub::fake::FakeAws;
use trailhub::interrupt::Interrupt;
use trailhub::output::Scripted;

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
