//! The command line (clap derive only; the doc comments are the help text).

use std::path::PathBuf;

use crate::model::{AccountId, TrailName};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Centralize AWS CloudTrail logging of many accounts into one security account's S3 bucket, and prove
/// that coverage stays complete.
#[derive(Debug, Parser)]
#[command(name = "trailhub", version, about, max_term_width = 110)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// The accounts file.
    #[arg(
        long,
        global = true,
        default_value = "accounts.toml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// Send every AWS call to this endpoint (a local emulator). AWS_ENDPOINT_URL works too.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The AWS profile for the central account's credentials (else the standard chain: env, profile, SSO).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// The region of the trails and the bucket (default: central.region of the accounts file).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// How results are printed on stdout.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Attempts per AWS call, retries included (throttling, 5xx, resets and timeouts are retried with backoff).
    #[arg(long, global = true, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// Accounts worked on at once (default: members.concurrency of the accounts file, else 64).
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// ListAccounts page size (AWS returns at most 20).
    #[arg(long, global = true, hide = true, value_parser = clap::value_parser!(i32).range(1..=20))]
    pub org_page_size: Option<i32>,
    /// More logs on stderr (-v: each account's outcome, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No progress bar (plan, apply and audit draw one on stderr only when it is a terminal).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One document for scripts (docs/json.md).
    Json,
    /// For a ticket or a chat message.
    Markdown,
    /// `audit` only: one self-contained page to open in a browser.
    Html,
    /// `audit` only: JUnit XML, one test case per account, for CI.
    Junit,
    /// `permissions` only: the member role as a CloudFormation template (JSON), for StackSets.
    Cloudformation,
    /// `inventory` only: one row per trail, flow log and log group.
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the complete bucket policy that `apply` would write (pretty JSON).
    Policy,
    /// Show what `apply` would change: the bucket, the policy, and each account's trail. Read-only.
    Plan(PlanArgs),
    /// Make it so: bucket, policy (backed up first), then every account's trail.
    Apply(ApplyArgs),
    /// Put a backed-up bucket policy back (the current one is backed up first).
    RestorePolicy(RestoreArgs),
    /// Check that every account's CloudTrail still reaches the central bucket. Read-only. Exit 0: every
    /// account covered; 1: at least one gap; 2: the audit could not run (runbooks/scheduled-audit.md).
    Audit(AuditArgs),
    /// Take trailhub out of one account that left scope: delete its trail and its flow logs to the bucket,
    /// and remove its entries from trailhub's statements in the bucket and key policies (backed up first).
    /// Shows what it will do and asks first (deleting a trail: type the account ID).
    Offboard(OffboardArgs),
    /// List every account's trails (trailhub's or not, organization and shadow trails), flow logs and log
    /// groups: home region, bucket, logging, selectors, KMS key. Read-only (the audit's permissions).
    Inventory,
    /// Print the completion script for SHELL on stdout (see the README for where each shell reads it).
    Completions(CompletionsArgs),
    /// Print trailhub's man page (roff) on stdout: trailhub man > ~/.local/share/man/man1/trailhub.1
    Man,
    /// Print the IAM policies trailhub needs for the features of the accounts file: the central identity's
    /// and the member role's (--format cloudformation: the member role as a template). Makes no AWS call.
    Permissions(PermissionsArgs),
}

#[derive(Debug, Args, Default)]
pub struct PermissionsArgs {
    /// Only the read actions: enough for `plan`, `policy`, `audit` and `inventory` (a scheduled audit's
    /// identity).
    #[arg(long)]
    pub read_only: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct OffboardArgs {
    /// The account to take out: 12 digits, out of scope (excluded, or out of accounts.toml) and, with
    /// source = "organizations", still in the organization.
    #[arg(value_name = "ACCOUNT_ID", value_parser = parse_account_id)]
    pub account: AccountId,
    /// The name of trailhub's trail in the account, when accounts.toml cannot say it (an account no longer
    /// in the file whose trail_template uses {name}) and the account has not exactly one trail that fits
    /// the template and delivers to the bucket.
    #[arg(long, value_name = "NAME", value_parser = parse_trail_name)]
    pub trail: Option<TrailName>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Where the bucket and key policies are backed up before they are replaced.
    #[arg(long, default_value = "trailhub-backups", value_name = "DIR")]
    pub backup_dir: PathBuf,
}

fn parse_account_id(s: &str) -> Result<AccountId, String> {
    AccountId::try_from(s.to_owned())
}

fn parse_trail_name(s: &str) -> Result<TrailName, String> {
    TrailName::try_from(s.to_owned())
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup file written by `apply` (trailhub-backups/BUCKET-TIME.json).
    #[arg(value_name = "BACKUP.json")]
    pub backup: PathBuf,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Where the current bucket policy is backed up before it is replaced.
    #[arg(long, default_value = "trailhub-backups", value_name = "DIR")]
    pub backup_dir: PathBuf,
}

#[derive(Debug, Args, Default)]
pub struct PlanArgs {
    /// Show the entries --prune would remove from trailhub's statements (accounts no longer in scope).
    #[arg(long)]
    pub prune: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Also remove, from the statements trailhub manages in the bucket and key policies, the entries of
    /// accounts no longer in scope (left the organization, closed, suspended, excluded, or out of
    /// accounts.toml). Backed up first, as every write; other statements are never touched.
    #[arg(long)]
    pub prune: bool,
    /// Where the bucket policy is backed up before it is replaced.
    #[arg(long, default_value = "trailhub-backups", value_name = "DIR")]
    pub backup_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// How old the newest log may be before delivery counts as stale: 24h, 90m, 2d, 1d12h...
    #[arg(long, default_value = "24h", value_name = "AGE", value_parser = crate::audit::parse_max_age)]
    pub max_age: std::time::Duration,
    /// Write the report, in the --format chosen, to this file instead of stdout (replaced whole, never left
    /// half-written).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
