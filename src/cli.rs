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
#[command(next_help_heading = "Global options")]
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
    /// How results are printed on stdout, before the command (`trailhub --format json plan`): each
    /// command's own --format offers the values it takes, and wins over this one.
    #[arg(long, value_enum, hide = true)]
    pub format: Option<Format>,
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
    /// `inventory` and `audit`: one row per trail, flow log and log group; per account and check.
    Csv,
    /// `audit` only: OCSF Detection Findings (class 2004), PASS and FAIL.
    Ocsf,
    /// `audit` only: AWS Security Finding Format, as Security Hub imports it.
    Asff,
}

/// `--format` of the commands that print text, JSON or Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Text,
    /// One document for scripts (docs/json.md).
    Json,
    /// For a ticket or a chat message.
    Markdown,
}

/// `audit --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// For people.
    Text,
    /// One document for scripts (docs/json.md).
    Json,
    /// For a ticket or a chat message.
    Markdown,
    /// One self-contained page to open in a browser.
    Html,
    /// JUnit XML, one test case per account, for CI.
    Junit,
    /// One row per account and check, PASS and FAIL, with the CIS and Security Hub controls.
    Csv,
    /// OCSF Detection Findings (class 2004, schema 1.5.0), one per account and check.
    Ocsf,
    /// AWS Security Finding Format (BatchImportFindings), one per account and check.
    Asff,
}

/// `permissions --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PermissionsFormat {
    /// For people.
    Text,
    /// One document for scripts (docs/json.md).
    Json,
    /// For a ticket or a chat message.
    Markdown,
    /// The member role as a CloudFormation template (JSON), for StackSets.
    Cloudformation,
}

impl From<ReportFormat> for Format {
    fn from(f: ReportFormat) -> Format {
        match f {
            ReportFormat::Text => Format::Text,
            ReportFormat::Json => Format::Json,
            ReportFormat::Markdown => Format::Markdown,
        }
    }
}

/// `inventory --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// For people.
    Text,
    /// One document for scripts (docs/json.md).
    Json,
    /// For a ticket or a chat message.
    Markdown,
    /// One row per trail, flow log and log group, for a spreadsheet.
    Csv,
}

impl From<InventoryFormat> for Format {
    fn from(f: InventoryFormat) -> Format {
        match f {
            InventoryFormat::Text => Format::Text,
            InventoryFormat::Json => Format::Json,
            InventoryFormat::Markdown => Format::Markdown,
            InventoryFormat::Csv => Format::Csv,
        }
    }
}

impl From<AuditFormat> for Format {
    fn from(f: AuditFormat) -> Format {
        match f {
            AuditFormat::Text => Format::Text,
            AuditFormat::Json => Format::Json,
            AuditFormat::Markdown => Format::Markdown,
            AuditFormat::Html => Format::Html,
            AuditFormat::Junit => Format::Junit,
            AuditFormat::Csv => Format::Csv,
            AuditFormat::Ocsf => Format::Ocsf,
            AuditFormat::Asff => Format::Asff,
        }
    }
}

impl From<PermissionsFormat> for Format {
    fn from(f: PermissionsFormat) -> Format {
        match f {
            PermissionsFormat::Text => Format::Text,
            PermissionsFormat::Json => Format::Json,
            PermissionsFormat::Markdown => Format::Markdown,
            PermissionsFormat::Cloudformation => Format::Cloudformation,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the complete bucket policy that `apply` would write (pretty JSON).
    #[command(after_help = "Examples:
  trailhub policy > policy.json
  trailhub policy --format json | jq .size")]
    Policy(PolicyArgs),
    /// Show what `apply` would change: the bucket, the policy, and each account's trail. Read-only.
    #[command(after_help = "Examples:
  trailhub plan
  trailhub plan --out plan.json          # then: trailhub apply plan.json
  trailhub plan --account 222222222222 --detailed-exitcode")]
    Plan(PlanArgs),
    /// Make it so: bucket, policy (backed up first), then every account's trail.
    #[command(after_help = "Examples:
  trailhub apply                         # shows the plan and asks
  trailhub apply plan.json               # a plan saved by `trailhub plan --out plan.json`
  trailhub apply --yes --account 222222222222")]
    Apply(ApplyArgs),
    /// Put a backed-up bucket policy back (the current one is backed up first).
    #[command(after_help = "Example:
  trailhub restore-policy trailhub-backups/sec-cloudtrail-log-20261123T192948Z.json")]
    RestorePolicy(RestoreArgs),
    /// Check that every account's CloudTrail still reaches the central bucket. Read-only. Exit 0: every
    /// account covered; 1: at least one gap; 2: the audit could not run (runbooks/scheduled-audit.md).
    #[command(after_help = "Examples:
  trailhub audit
  trailhub audit --format html --output coverage.html
  trailhub audit --format junit --output audit.xml --max-age 2d")]
    Audit(AuditArgs),
    /// Take trailhub out of one account that left scope: delete its trail and its flow logs to the bucket,
    /// and remove its entries from trailhub's statements in the bucket and key policies (backed up first).
    /// Shows what it will do and asks first (deleting a trail: type the account ID).
    #[command(after_help = "Example:
  trailhub offboard 555555555555")]
    Offboard(OffboardArgs),
    /// List every account's trails (trailhub's or not, organization and shadow trails), flow logs and log
    /// groups: home region, bucket, logging, selectors, KMS key. Read-only (the audit's permissions).
    #[command(after_help = "Examples:
  trailhub inventory
  trailhub inventory --format csv > inventory.csv")]
    Inventory(InventoryArgs),
    /// Print the completion script for SHELL on stdout (see the README for where each shell reads it).
    #[command(after_help = "Example:
  trailhub completions bash > ~/.local/share/bash-completion/completions/trailhub")]
    Completions(CompletionsArgs),
    /// Print trailhub's man page (roff) on stdout: trailhub man > ~/.local/share/man/man1/trailhub.1
    Man,
    /// Print the IAM policies trailhub needs for the features of the accounts file: the central identity's
    /// and the member role's (--format cloudformation: the member role as a template). Makes no AWS call.
    #[command(after_help = "Examples:
  trailhub permissions
  trailhub permissions --format cloudformation > member-role.json")]
    Permissions(PermissionsArgs),
}

#[derive(Debug, Args, Default)]
pub struct PolicyArgs {
    /// How the policy is printed on stdout (default: text, the document itself).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
}

impl Command {
    /// The `--format` given after the command, if any.
    pub fn format(&self) -> Option<Format> {
        match self {
            Command::Policy(a) => a.format.map(Format::from),
            Command::Plan(a) => a.format.map(Format::from),
            Command::Apply(a) => a.format.map(Format::from),
            Command::RestorePolicy(a) => a.format.map(Format::from),
            Command::Offboard(a) => a.format.map(Format::from),
            Command::Audit(a) => a.format.map(Format::from),
            Command::Permissions(a) => a.format.map(Format::from),
            Command::Inventory(a) => a.format.map(Format::from),
            Command::Completions(_) | Command::Man => None,
        }
    }

    /// The accounts the run is limited to (`--account`); empty: every account in scope.
    pub fn accounts(&self) -> &[AccountId] {
        match self {
            Command::Plan(a) => &a.accounts,
            Command::Apply(a) => &a.accounts,
            Command::Audit(a) => &a.accounts,
            _ => &[],
        }
    }
}

#[derive(Debug, Args, Default)]
pub struct InventoryArgs {
    /// How the inventory is printed on stdout (default: text).
    #[arg(long, value_enum)]
    pub format: Option<InventoryFormat>,
}

#[derive(Debug, Args, Default)]
pub struct PermissionsArgs {
    /// Only the read actions: enough for `plan`, `policy`, `audit` and `inventory` (a scheduled audit's
    /// identity).
    #[arg(long)]
    pub read_only: bool,
    /// How the policies are printed on stdout (default: text).
    #[arg(long, value_enum)]
    pub format: Option<PermissionsFormat>,
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
    /// How results are printed on stdout (default: text).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
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
    /// How results are printed on stdout (default: text).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
}

#[derive(Debug, Args, Default)]
pub struct PlanArgs {
    /// Show the entries --prune would remove from trailhub's statements (accounts no longer in scope).
    #[arg(long)]
    pub prune: bool,
    /// Save the plan, with a fingerprint of what it was made from, to FILE: `trailhub apply FILE` then
    /// applies exactly this plan, or refuses when the world changed since (docs/json.md#the-plan-file).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there is nothing to change, 3 when changes are pending (1: some account cannot be
    /// planned; 2: the plan could not be made).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also show the bucket policy's change as a unified diff of its JSON (live, then as apply writes it).
    #[arg(long)]
    pub diff: bool,
    /// How results are printed on stdout (default: text).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Only this account (repeatable): the run works on these accounts of the scope, and changes the
    /// shared bucket and key policies only as they need, keeping every other account's entries.
    #[arg(long = "account", conflicts_with = "prune", value_name = "ID", value_parser = parse_account_id)]
    pub accounts: Vec<AccountId>,
}

#[derive(Debug, Args, Default)]
pub struct ApplyArgs {
    /// A plan saved by `trailhub plan --out FILE`: apply exactly it, without asking (it was reviewed), or
    /// refuse and change nothing when what it was made from changed since (exit 5).
    #[arg(value_name = "PLAN_FILE", conflicts_with = "prune")]
    pub plan: Option<PathBuf>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With the question: also show the bucket policy's change as a unified diff of its JSON (live, then as apply writes it).
    #[arg(long)]
    pub diff: bool,
    /// Also remove, from the statements trailhub manages in the bucket and key policies, the entries of
    /// accounts no longer in scope (left the organization, closed, suspended, excluded, or out of
    /// accounts.toml). Backed up first, as every write; other statements are never touched.
    #[arg(long)]
    pub prune: bool,
    /// Where the bucket policy is backed up before it is replaced.
    #[arg(long, default_value = "trailhub-backups", value_name = "DIR")]
    pub backup_dir: PathBuf,
    /// Only this account (repeatable): the run works on these accounts of the scope, and changes the
    /// shared bucket and key policies only as they need, keeping every other account's entries.
    #[arg(long = "account", conflicts_with_all = ["prune", "plan"], value_name = "ID", value_parser = parse_account_id)]
    pub accounts: Vec<AccountId>,
    /// How results are printed on stdout (default: text).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
}

#[derive(Debug, Args, Default)]
pub struct AuditArgs {
    /// How old the newest log may be before delivery counts as stale: 24h, 90m, 2d, 1d12h...
    #[arg(long, default_value = "24h", value_name = "AGE", value_parser = crate::audit::parse_max_age)]
    pub max_age: std::time::Duration,
    /// Write the report, in the --format chosen, to this file instead of stdout (replaced whole, never left
    /// half-written).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only this account (repeatable): audit these accounts of the scope (and the bucket), not the others.
    #[arg(long = "account", value_name = "ID", value_parser = parse_account_id)]
    pub accounts: Vec<AccountId>,
    /// How the report is printed (default: text).
    #[arg(long, value_enum)]
    pub format: Option<AuditFormat>,
    /// Where the runbooks of the HTML and JUnit reports' links are: a base URL under which
    /// `runbooks/FILE.md#section` is found (default: the repository of Cargo.toml, when it names one, at
    /// this version; else paths relative to a checkout's root).
    #[arg(long, value_name = "URL", env = "TRAILHUB_RUNBOOKS_URL")]
    pub runbooks_url: Option<String>,
}
