//! The command line. Doc comments here are the `--help` text users read.

// That text is written for a terminal, where `[refresh] jobs` and `<name>_restage_prev` are
// plain text, not rustdoc links or HTML.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Arg, ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::seed::DEFAULT_RNG_SEED;

/// Keep a staging PostgreSQL and its Redis a faithful, safe copy of production.
///
/// Settings come from flags, then environment variables, then the configuration file
/// (restage.toml in the current directory, or --config). Every command that writes refuses
/// to touch the production database and takes a lock so that only one runs at a time.
///
/// Exit codes: 0 success, 1 failed verification, interruption or other failure, 2 usage or
/// configuration error, 3 refused by a safety check, 4 database error, 5 Redis error,
/// 6 AWS error, 7 personal data without a rule.
#[derive(Debug, Parser)]
#[command(
    name = "restage",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The global options a command does not use, by command: its help leaves them out (they
/// are still accepted, so a wrapper that passes them to every command keeps working).
const UNUSED_GLOBALS: &[(&str, &[(&str, &str)])] = &[
    ("init", &[STAGING_URL, REDIS_URL]),
    ("check", &[STAGING_URL, REDIS_URL]),
    ("preview", &[STAGING_URL, REDIS_URL]),
    ("anonymizers", &[STAGING_URL, REDIS_URL]),
    ("generate", &[STAGING_URL, REDIS_URL]),
    ("report", &[REDIS_URL]),
    ("copy", &[REDIS_URL]),
    ("verify", &[REDIS_URL]),
    ("seed", &[REDIS_URL]),
    ("migrate", &[REDIS_URL]),
    ("rollback", &[REDIS_URL]),
    ("status", &[REDIS_URL]),
    ("snapshot", &[STAGING_URL, REDIS_URL]),
    ("redis", &[STAGING_URL]),
];
const STAGING_URL: (&str, &str) = ("staging_url", "staging-url");
const REDIS_URL: (&str, &str) = ("redis_url", "redis-url");

/// The command line, each command's help listing only the global options it uses.
pub fn command() -> clap::Command {
    UNUSED_GLOBALS
        .iter()
        .fold(Cli::command(), |command, (name, unused)| {
            command.mut_subcommand(name, |sub| hide_globals(sub, unused))
        })
}

/// `command` and its subcommands with the global options `unused` hidden: an argument of
/// the same id, defined here, is not replaced by the global one.
fn hide_globals(command: clap::Command, unused: &[(&'static str, &'static str)]) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    let command = unused.iter().fold(command, |command, (id, long)| {
        command.arg(Arg::new(*id).long(*long).value_name("URL").hide(true))
    });
    names.iter().fold(command, |command, name| {
        command.mut_subcommand(name, |sub| hide_globals(sub, unused))
    })
}

/// Parses the process's arguments.
pub fn parse() -> Result<Cli, clap::Error> {
    Cli::from_arg_matches(&command().try_get_matches()?)
}

/// Options every command accepts, listed after the command's own.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Configuration file [default: restage.toml when it exists]
    #[arg(long, global = true, value_name = "FILE", env = "RESTAGE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Staging database URL, libpq style (postgres://user@host:5432/db?sslmode=require)
    /// [env: STAGING_DATABASE_URL, then DATABASE_URL; file: staging.database_url]
    #[arg(long, global = true, value_name = "URL")]
    pub staging_url: Option<String>,

    /// Staging Redis URL, with the database number as path (redis://host:6379/0)
    /// [env: STAGING_REDIS_URL, then REDIS_URL; file: staging.redis_url]
    #[arg(long, global = true, value_name = "URL")]
    pub redis_url: Option<String>,

    /// Print nothing but errors (and the --json summary)
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Print a machine-readable summary of the run on stdout, also on failure
    #[arg(long, global = true)]
    pub json: bool,

    /// Log more: -v debug, -vv trace (RUST_LOG overrides)
    #[arg(long, short, global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
}

impl GlobalArgs {
    /// What these flags set over the environment and the configuration file.
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            config: self.config.clone(),
            staging_url: self.staging_url.clone(),
            redis_url: self.redis_url.clone(),
        }
    }
}

impl Command {
    /// The command's name as typed (`snapshot`, not `snapshot create`), for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Migrate => "migrate",
            Command::Reset(_) => "reset",
            Command::Seed(_) => "seed",
            Command::Copy(_) => "copy",
            Command::Check(_) => "check",
            Command::Init(_) => "init",
            Command::Preview(_) => "preview",
            Command::Report(_) => "report",
            Command::Refresh(_) => "refresh",
            Command::Snapshot(_) => "snapshot",
            Command::Cleanup(_) => "cleanup",
            Command::Verify(_) => "verify",
            Command::Rollback(_) => "rollback",
            Command::Status => "status",
            Command::Redis(_) => "redis",
            Command::Generate(_) => "generate",
            Command::Anonymizers(_) => "anonymizers",
        }
    }
}

/// What restage can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply staging's pending migrations (a no-op when up to date)
    ///
    /// The migrations [staging] migrate names: the embedded reference schema (default), a
    /// directory of SQL migrations (one transaction), or the application's own command (run
    /// with DATABASE_URL and STAGING_DATABASE_URL set to staging).
    Migrate,

    /// Wipe staging and start over: drop and recreate the schema, migrate, seed, flush Redis
    ///
    /// Drops and recreates the application's schemas ([staging] schemas, default public) and
    /// restage's own, migrates and seeds in one transaction; with a migration command (which
    /// makes its own connections) the new staging is built beside the old one and swapped in.
    /// Either way a failure leaves staging as it was. Asks for confirmation on a terminal;
    /// without a terminal (a scheduler, CI) it refuses unless --yes is given.
    Reset(ResetArgs),

    /// Upsert the staging fixtures: the built-in seeders, then the fixture sets
    ///
    /// Built-in seeders: roles (permissions, roles and their links), accounts (test accounts
    /// with known passwords), products (item types and the catalogue), inventory (locations,
    /// items and their arrival), movements (further item movements) — on the tables the
    /// [schema] mapping names (default: the reference schema). Fixture sets: every
    /// seeds/fixtures/<name>.toml, rows for any table. Idempotent: a second run inserts and
    /// updates nothing. Seeders change only rows they made (recorded in restage.seeded_rows);
    /// rows copied from production are never touched. All chosen seeders run in one
    /// transaction: an error anywhere writes nothing.
    Seed(SeedArgs),

    /// Copy the source (production) into staging, anonymizing every row on the way
    ///
    /// Plans from the source catalog, refuses while any column that looks like personal data
    /// has no rule (see `check`), then loads schema and rows (one consistent snapshot, tables in
    /// parallel) into a new database beside staging and swaps it in only when everything
    /// succeeded; the previous staging is kept as <name>_restage_prev for `rollback`.
    Copy(CopyArgs),

    /// List the columns that look like personal data and have no rule; exit 7 if any
    Check(CheckArgs),

    /// Write a starter anonymizer profile for the source, to review before the first copy
    ///
    /// A suggested rule for every column that looks like personal data (by name, type or a
    /// sample of its values), with the evidence as a comment; `keep` for the other columns of
    /// those tables; `data = false` for session, token and cache tables. The output is the
    /// same for the same database. --update FILE adds suggestions only for the tables and
    /// columns the profile does not mention yet (after a schema change), leaving reviewed
    /// lines alone.
    Init(InitArgs),

    /// Show source rows before and after the profile's rules, side by side; writes nothing
    ///
    /// For writing a profile: the ruled columns of the first --rows rows (by primary key) of
    /// TABLE that match --where, each value before and after its rule. With the key set
    /// (RESTAGE_ANONYMIZE_KEY or the profile's key_env) the fakes are the ones a copy writes;
    /// without it, a throwaway key shows their shape.
    Preview(PreviewArgs),

    /// Write the privacy report for the people who sign off on staging; writes nothing else
    ///
    /// Every table and column of the source: what restage detects in it (kind and evidence),
    /// its rule in the profile or why it is kept, and who decided (the profile's line, or
    /// restage); the last copy's verification as staging records it (row counts, constraints,
    /// sampled values compared, tokens searched for, problems), the key's fingerprint, the
    /// profile's SHA-256 and the run history. --output FILE.html writes one self-contained
    /// page (no script, nothing from the network); FILE.md, or no --output, Markdown.
    Report(ReportArgs),

    /// The weekly job: snapshot production, restore it, anonymized copy, seed, flush, clean up
    ///
    /// Phases, each timed: (1) a snapshot: --snapshot ID, --latest-automated, or (default,
    /// [rds] snapshot) a new manual one; (2) restore it into a temporary, private, tagged
    /// instance; (3) give it a fresh random master password and connect over TLS; (4) the
    /// anonymized copy into staging (as `copy`: checked, verified, swapped in); (5) all
    /// seeders; (6) flush staging Redis; (7) delete the temporary instance and prune old
    /// restage snapshots. Step 7 runs after success, failure, Ctrl-C and SIGTERM, unless
    /// --keep-restore. With --source-url (or $SOURCE_DATABASE_URL) steps 1-3 and 7 are
    /// skipped: the copy reads that database (a replica, a non-RDS production).
    Refresh(RefreshArgs),

    /// Manual snapshots of the production RDS instance
    #[command(subcommand)]
    Snapshot(SnapshotCommand),

    /// Delete what a crashed refresh left: temporary instances and surplus restage snapshots
    ///
    /// Finds DB instances tagged restage:temporary=true older than --older-than and deletes
    /// them (no final snapshot); then prunes restage's own snapshots down to [rds]
    /// keep_snapshots, if set. Untagged instances and snapshots are never touched.
    Cleanup(CleanupArgs),

    /// Check a copy: row counts, constraints, sequences, and that no personal data leaked
    ///
    /// Compares staging with the source as the profile says it was copied (filters, subsets,
    /// schema-only tables); exits 1 naming the table.column of every problem. The source is read
    /// as it is now: run it right after a copy (`copy` runs the same checks before swapping).
    Verify(VerifyArgs),

    /// Swap the previous staging copy (<name>_restage_prev) back in
    Rollback(RollbackArgs),

    /// What staging holds now: its last copy or refresh, reset and seedings
    ///
    /// Reads the record restage keeps in staging (restage.history): when and from what the
    /// data was copied (source, snapshot), with which profile (path and SHA-256) and key
    /// (its fingerprint, never the key), by which restage version, how many rows; the last
    /// reset; when each seeder last ran; whether a previous copy is kept for `rollback`.
    /// Writes nothing.
    Status,

    /// Staging Redis maintenance
    #[command(subcommand)]
    Redis(RedisCommand),

    /// Fill a new database with production-like fake data (for demos, tests and benchmarks)
    ///
    /// Creates the database when it does not exist, applies the reference schema and fills it
    /// with realistic personal data at a scale factor (scale 1: about 340,000 rows, 60 MB;
    /// sizes grow linearly). Refuses a database that already holds data, and production.
    Generate(GenerateArgs),

    /// The transformers anonymizer profiles can use
    #[command(subcommand)]
    Anonymizers(AnonymizersCommand),
}

/// AWS options of the commands that call RDS.
#[derive(Debug, Args, Default)]
pub struct AwsArgs {
    /// AWS region [default: production.region of the config, else AWS_REGION / the profile's]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// RDS API endpoint (VPC endpoints, tests) [default: rds.endpoint_url of the config, else
    /// AWS_ENDPOINT_URL_RDS or AWS_ENDPOINT_URL, else AWS's own]
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl AwsArgs {
    /// What these flags set over the configuration.
    pub fn overrides(&self) -> crate::rds::ApiOverrides {
        crate::rds::ApiOverrides {
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}

/// Arguments of `restage refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Restore this snapshot instead of making a new one
    #[arg(long, value_name = "ID", conflicts_with_all = ["latest_automated", "source_url"])]
    pub snapshot: Option<String>,

    /// Restore production's newest automated snapshot instead of making a new one
    #[arg(long, conflicts_with = "source_url")]
    pub latest_automated: bool,

    /// Leave the temporary instance running afterwards (to look at it); delete it later with
    /// `restage cleanup`
    #[arg(long, conflicts_with = "source_url")]
    pub keep_restore: bool,

    /// Parallel copy workers [default: refresh.jobs of the config, else 4]
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,

    /// Print the whole plan and call nothing that changes anything (AWS, databases, Redis)
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub data: SeedDataArgs,

    #[command(flatten)]
    pub confirmation: Confirmation,
}

/// Commands under `restage snapshot`.
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Start a manual snapshot of production, tagged restage:made-by=restage
    Create(SnapshotCreateArgs),

    /// List production's manual and automated snapshots, newest first
    List(SnapshotListArgs),

    /// Delete a snapshot restage made (any manual snapshot with --force)
    Delete(SnapshotDeleteArgs),

    /// Delete restage's snapshots of production but the newest N
    Prune(SnapshotPruneArgs),
}

/// Arguments of `restage snapshot create`.
#[derive(Debug, Args)]
pub struct SnapshotCreateArgs {
    /// The DB instance to snapshot [default: production.rds_instance_id of the config]
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,

    /// Wait until the snapshot is available (bounded by rds.snapshot_timeout)
    #[arg(long)]
    pub wait: bool,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `restage snapshot list`.
#[derive(Debug, Args)]
pub struct SnapshotListArgs {
    /// The DB instance [default: production.rds_instance_id of the config]
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `restage snapshot delete`.
#[derive(Debug, Args)]
pub struct SnapshotDeleteArgs {
    /// The snapshot identifier
    #[arg(value_name = "ID")]
    pub id: String,

    /// Also delete a manual snapshot restage did not make
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub confirmation: Confirmation,
}

/// Arguments of `restage snapshot prune`.
#[derive(Debug, Args)]
pub struct SnapshotPruneArgs {
    /// How many of restage's newest snapshots to keep
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub keep: u16,

    /// The DB instance [default: production.rds_instance_id of the config]
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,

    /// List what would be deleted, delete nothing
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub confirmation: Confirmation,
}

/// Arguments of `restage cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Only what is older than this (30m, 6h, 2d): younger ones may belong to a running refresh
    #[arg(long, value_name = "AGE", default_value = "6h", value_parser = crate::config::parse_duration)]
    pub older_than: std::time::Duration,

    /// List what would be deleted, delete nothing
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub confirmation: Confirmation,
}

/// Commands under `restage anonymizers`.
#[derive(Debug, Subcommand)]
pub enum AnonymizersCommand {
    /// List every transformer with its options and the column types it writes
    List,
}

/// Arguments of `restage seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Run only these seeders (comma-separated; they still run in dependency order): built-in
    /// seeders of the schema (roles, accounts, products, inventory, movements by default; see
    /// [schema] seeders) and fixture sets (seeds/fixtures/<name>.toml)
    #[arg(long, value_delimiter = ',', value_name = "SEEDER,...")]
    pub only: Vec<String>,

    /// Report what would change, write nothing
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub data: SeedDataArgs,
}

/// Where seed data comes from and how random choices are made.
#[derive(Debug, Args)]
pub struct SeedDataArgs {
    /// Directory of the seed files [default: ./seeds when it exists, else the built-in seeds]
    #[arg(long, value_name = "DIR")]
    pub seeds: Option<PathBuf>,

    /// Seed of the random choices (where items are, how they move): same seed, same data
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RNG_SEED)]
    pub rng_seed: u64,
}

/// Where production data comes from and which profile anonymizes it.
#[derive(Debug, Args, Default)]
pub struct SourceArgs {
    /// Source database URL (production or a replica; only read)
    /// [env: SOURCE_DATABASE_URL; file: production.url]
    #[arg(long, value_name = "URL")]
    pub source_url: Option<String>,

    /// Anonymizer profile [default: refresh.anonymizers of the config, else anonymizers/default.toml]
    #[arg(long, value_name = "FILE")]
    pub anonymizers: Option<PathBuf>,
}

/// Arguments of `restage copy`.
#[derive(Debug, Args, Default)]
pub struct CopyArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Parallel workers [default: refresh.jobs of the config, else 4]
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,

    /// Row limit of every subset root of the profile (overrides [subset] limits)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Load straight into the (empty) staging database instead of beside it
    #[arg(long)]
    pub no_swap: bool,

    /// Print the plan (tables, sizes, rules per column, filters, order) and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Without a key, anonymize with a random one (outputs change on every run)
    #[arg(long)]
    pub random: bool,

    #[command(flatten)]
    pub confirmation: Confirmation,
}

/// Arguments of `restage check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Arguments of `restage report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Where to write the report: FILE.html (a page for a browser) or FILE.md (Markdown);
    /// without it, Markdown on standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `restage init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Source database URL (production or a replica; only read)
    /// [env: SOURCE_DATABASE_URL; file: production.url]
    #[arg(long, value_name = "URL")]
    pub source_url: Option<String>,

    /// Where to write the profile [default: refresh.anonymizers of the config, else
    /// anonymizers/default.toml]
    #[arg(long, short, value_name = "FILE", conflicts_with = "update")]
    pub output: Option<PathBuf>,

    /// Replace the file if it exists
    #[arg(long, conflicts_with = "update")]
    pub force: bool,

    /// Add suggestions to this profile for what it does not mention yet
    #[arg(long, value_name = "FILE")]
    pub update: Option<PathBuf>,
}

/// Arguments of `restage preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The table: `table` in public, else `schema.table`
    pub table: String,

    #[command(flatten)]
    pub source: SourceArgs,

    /// How many rows
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rows: u32,

    /// Only rows matching this SQL condition on the source table
    #[arg(long = "where", value_name = "SQL")]
    pub filter: Option<String>,
}

/// Arguments of `restage verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// The --limit the copy was made with
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

/// Arguments of `restage generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The database to fill (created when missing)
    #[arg(long, value_name = "URL")]
    pub target_url: String,

    /// Size: row counts are multiplied by this
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub scale: u64,

    /// Seed of the fake data: same seed, same database
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

/// Arguments of `restage rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub confirmation: Confirmation,
}

/// Arguments of `restage reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    #[command(flatten)]
    pub confirmation: Confirmation,

    #[command(flatten)]
    pub data: SeedDataArgs,
}

/// Commands under `restage redis`.
#[derive(Debug, Subcommand)]
pub enum RedisCommand {
    /// Remove keys from staging Redis: the whole database, or only the keys matching --pattern
    ///
    /// Without --pattern: FLUSHDB ASYNC on the configured database number. With --pattern:
    /// SCAN MATCH and pipelined UNLINK in batches, so other keys survive. Prints how many
    /// keys were removed.
    Flush(FlushArgs),
}

/// Arguments of `restage redis flush`.
#[derive(Debug, Args)]
pub struct FlushArgs {
    /// Only remove keys matching this glob (Redis MATCH syntax: `*`, `?`, `[abc]`), e.g. 'cache:*'
    #[arg(long, value_name = "GLOB")]
    pub pattern: Option<String>,

    #[command(flatten)]
    pub confirmation: Confirmation,
}

/// The `--yes` switch of destructive commands.
#[derive(Debug, Args, Default, Clone, Copy)]
pub struct Confirmation {
    /// Do not ask for confirmation (needed when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}
