//! The errors users read. Each message says what failed, where (file, key, redacted URL)
//! and what to do next; the underlying cause is kept as `source` and printed after it.

use std::fmt;
use std::time::Duration;

use crate::toml_source::Problem;

/// Exit codes, documented in `restage --help` and the README.
pub mod exit {
    /// Any failure without a more specific code.
    pub const FAILURE: u8 = 1;
    /// Bad usage or configuration (also clap's own code for bad arguments).
    pub const USAGE: u8 = 2;
    /// A safety check refused to go on: production target, no confirmation, lock held.
    pub const REFUSED: u8 = 3;
    /// PostgreSQL could not be reached or a statement failed.
    pub const DATABASE: u8 = 4;
    /// Redis could not be reached or a command failed.
    pub const REDIS: u8 = 5;
    /// An AWS API call failed: no credentials, access denied, a missing resource, a timeout.
    pub const AWS: u8 = 6;
    /// Columns that look like personal data have no rule (`check`, `copy`, `refresh`).
    pub const UNMASKED_PII: u8 = 7;
}

/// The signal that stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (a scheduler stopping the job).
    Terminate,
}

impl Signal {
    /// The shell's convention, 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        })
    }
}

/// Everything that can make a restage command fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not start the async runtime")]
    Runtime(#[source] std::io::Error),

    #[error("cannot read configuration file {path}")]
    ConfigRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid configuration in {path}:\n{}", bullet_list(.problems))]
    Config {
        path: String,
        problems: Vec<Problem>,
    },

    #[error("invalid {origin}: {reason}")]
    InvalidSetting { origin: String, reason: String },

    #[error(
        "no staging database configured: pass --staging-url, set STAGING_DATABASE_URL \
         (or DATABASE_URL), or set database_url under [staging] in restage.toml"
    )]
    MissingStagingUrl,

    #[error(
        "no source database configured: pass --source-url, set SOURCE_DATABASE_URL, or set \
         url under [production] in restage.toml"
    )]
    MissingSourceUrl,

    #[error(
        "no staging Redis configured: pass --redis-url, set STAGING_REDIS_URL \
         (or REDIS_URL), or set redis_url under [staging] in restage.toml"
    )]
    MissingRedisUrl,

    #[error("refused: {0}")]
    Refused(String),

    #[error(
        "refusing to {action} without confirmation: stdin is not a terminal; \
         pass --yes to confirm"
    )]
    NotConfirmed { action: String },

    #[error("aborted: {action} was not confirmed; nothing was changed")]
    Declined { action: String },

    #[error(
        "another restage command is already working on staging database {database} \
         ({holder}); wait for it to finish and try again"
    )]
    Locked { database: String, holder: String },

    #[error(
        "cannot connect to the {role} at {url}; check that the server is running and \
         that the URL is right"
    )]
    Connect {
        role: &'static str,
        url: String,
        #[source]
        source: sqlx::Error,
    },

    #[error(
        "no answer from the {role} at {url} after {}s; check the host, port and firewall",
        .after.as_secs()
    )]
    ConnectTimeout {
        role: &'static str,
        url: String,
        after: Duration,
    },

    #[error("{action} failed on {url}")]
    Database {
        action: String,
        url: String,
        #[source]
        source: sqlx::Error,
    },

    /// A failure of a reader of whole tables ([`crate::pg::reader`]).
    #[error("{action} failed on {url}")]
    Read {
        action: String,
        url: String,
        #[source]
        source: ReadError,
    },

    #[error("migrating {url} failed; the staging schema was left as it was before")]
    Migrate {
        url: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    #[error("cannot read the migrations in {path}; check [staging] migrate.dir")]
    MigrationsDir {
        path: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    #[error(
        "the migration command `{command}` {outcome} on {url}; its output is above. {consequence}"
    )]
    MigrationCommand {
        command: String,
        outcome: String,
        url: String,
        consequence: &'static str,
    },

    #[error(
        "the {hook} hook `{command}` {outcome}. {consequence}{}",
        if output.is_empty() { String::new() } else { format!("\nIts last output:\n{output}") }
    )]
    Hook {
        hook: &'static str,
        command: String,
        outcome: String,
        /// Its last lines of output.
        output: String,
        consequence: &'static str,
    },

    #[error("{action} failed on Redis {url}")]
    Redis {
        action: String,
        url: String,
        #[source]
        source: ::redis::RedisError,
    },

    #[error("cannot read seed file {path}")]
    SeedFileRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid seed data in {origin}; nothing was written:\n{}", bullet_list(.problems))]
    SeedData {
        origin: String,
        problems: Vec<String>,
    },

    #[error(
        "the [schema] mapping does not fit the tables of {url}; nothing was written:\n{}",
        bullet_list(.problems)
    )]
    SchemaMapping { url: String, problems: Vec<String> },

    #[error(
        "could not give the new staging database the privileges [staging] declares on {url} \
         (staging was not replaced): {statement}: {reason}"
    )]
    Privileges {
        url: String,
        statement: String,
        reason: String,
    },

    #[error(
        "the fixtures do not fit the tables of {url}; nothing was written:\n{}",
        bullet_list(.problems)
    )]
    Fixtures { url: String, problems: Vec<String> },

    #[error(
        "unknown seeder '{name}'; this schema's seeders and fixture sets are: {known} (built-in \
         seeders come from [schema] seeders, fixture sets from seeds/fixtures/<name>.toml)"
    )]
    UnknownSeeder { name: String, known: String },

    #[error(
        "seeder {seeder} cannot run: {missing}; run `restage seed --only {run_first}` first \
         (or `restage seed` for all seeders); nothing was written"
    )]
    SeedPrerequisite {
        seeder: &'static str,
        missing: String,
        run_first: &'static str,
    },

    #[error("seeder {seeder} failed: {cause}; nothing was written")]
    SeedPassword {
        seeder: &'static str,
        cause: crate::password::HashError,
    },

    #[error(
        "{path} exists; pass --force to replace it, or `restage init --update {path}` to add \
         suggestions only for the tables and columns it does not mention yet"
    )]
    ProfileExists { path: String },

    #[error("cannot read anonymizer profile {path}")]
    ProfileRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "invalid anonymizer profile {path} (checked before any row is read):\n{}",
        bullet_list(.problems)
    )]
    Profile {
        path: String,
        problems: Vec<Problem>,
    },

    #[error("{action} failed: {program} said: {detail}")]
    Tool {
        program: String,
        action: String,
        detail: String,
    },

    #[error(
        "no anonymization key: set {env} to a long random secret (the same every week, so \
         fakes stay stable), or pass --random for throwaway output (profile {profile})"
    )]
    MissingKey { env: String, profile: String },

    #[error("cannot read the anonymization key file {path} named by key_file in {profile}")]
    KeyFile {
        path: String,
        profile: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the anonymization key in {origin} is {length} bytes; use a random secret of at least {} \
         bytes (e.g. `openssl rand -base64 32`)",
        crate::secret::MIN_KEY_BYTES
    )]
    WeakKey { origin: String, length: usize },

    #[error(
        "{} column(s) look like personal data and have no rule in {profile}; add a rule for \
         each (or `keep` where it is not personal data) — `restage init --update {profile}` \
         writes a suggested rule for each, with its evidence, for you to review; nothing was \
         written:\n{}",
        .findings.len(), bullet_list(.findings)
    )]
    UncoveredPii {
        profile: String,
        findings: Vec<String>,
    },

    #[error(transparent)]
    Copy(#[from] CopyError),

    #[error("verification of {target} failed:\n{}", bullet_list(.problems))]
    VerifyFailed {
        target: String,
        problems: Vec<String>,
    },

    #[error("{what} stopped unexpectedly")]
    Worker {
        what: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },

    #[error("interrupted by {signal}: {staging}")]
    Interrupted {
        signal: Signal,
        /// What staging holds now, and what to do.
        staging: String,
    },

    /// An AWS failure other than a missing resource, a denial or a timeout. The message
    /// already says what RDS said (code and message); the SDK's own error, when there was
    /// one, is kept for callers that look deeper.
    #[error("{message}")]
    Aws {
        kind: AwsFailure,
        message: String,
        sdk: Option<Box<aws_sdk_rds::Error>>,
    },

    #[error("{0}")]
    AwsNotFound(String),

    /// A failure of a command that reports what it did up to it (`refresh --json`).
    #[error("{error}")]
    WithReport {
        #[source]
        error: Box<Error>,
        report: serde_json::Value,
    },

    #[error(
        "AWS denied {action} on {resource}: grant it to the role restage runs as (deploy/iam-policy.json lists every action restage needs); AWS said: {message}"
    )]
    AwsAccessDenied {
        action: String,
        resource: String,
        message: String,
    },

    #[error("{what} did not become {wanted} within {}s (last status: {status}); if it is just slow, raise {setting} under [rds] in restage.toml", .after.as_secs())]
    AwsTimeout {
        what: String,
        setting: &'static str,
        wanted: &'static str,
        status: String,
        after: Duration,
    },

    #[error("{action} failed")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },
}

/// A failure of a reader of whole tables ([`crate::pg::reader`]), as the server or the
/// connection described it: the server's message and SQLSTATE, never its DETAIL, which can
/// quote a row.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ReadError {
    message: String,
    code: Option<String>,
}

impl ReadError {
    /// The server's SQLSTATE, when the server refused.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The server's message (or the connection's failure).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<tokio_postgres::Error> for ReadError {
    fn from(error: tokio_postgres::Error) -> Self {
        if let Some(refusal) = error.as_db_error() {
            return ReadError {
                message: format!("{}: {}", refusal.severity(), refusal.message()),
                code: Some(refusal.code().code().to_owned()),
            };
        }
        let mut message = error.to_string();
        if let Some(cause) = std::error::Error::source(&error) {
            message.push_str(&format!(": {cause}"));
        }
        ReadError {
            message,
            code: None,
        }
    }
}

/// Why a piece of a table's copy failed; the table (and the row, for a transform) are named.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("copying {table} failed")]
    Database {
        table: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("reading {table} from the source failed")]
    Read {
        table: String,
        #[source]
        source: ReadError,
    },
    #[error("anonymizing {table}.{column} failed on row {row} of its piece {piece}: {reason}")]
    Transform {
        table: String,
        column: String,
        row: u64,
        piece: usize,
        reason: TransformError,
    },
    #[error("row {row} of {table} from the source has {got} fields, not the table's {expected}")]
    FieldCount {
        table: String,
        row: u64,
        expected: usize,
        got: usize,
    },
    #[error(
        "copying {table} failed: the target refused a row{}: {reason} (rules: {ruled}); make \
         the rule write values the column accepts (the value is not shown)",
        column.as_ref().map(|column| format!(", column {column}")).unwrap_or_default()
    )]
    Load {
        table: String,
        column: Option<String>,
        /// The ruled columns concerned, `column = 'rule'`.
        ruled: String,
        reason: String,
    },
    #[error("the binary COPY stream of {table} is broken: {reason}")]
    Stream { table: String, reason: String },
    #[error("{table}: {read} rows read from the source but {written} written to the target")]
    Count {
        table: String,
        read: u64,
        written: u64,
    },
    #[error("the source sent an incomplete last row for {table}")]
    Truncated { table: String },
}

/// Why one value could not be transformed: it is not in the form the transformer reads.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{0}' does not start with a YYYY-MM-DD date")]
    NotADate(String),
    #[error("not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("not an array in PostgreSQL's text form (like {{x,NULL}})")]
    NotAnArray,
    #[error("not a record of the column's type in PostgreSQL's text form (like (x,,y))")]
    NotARecord,
    /// A rule wrote text that is not a value of the column's type (found where restage
    /// writes the type's binary form itself).
    #[error("'{0}' is not a {1} value")]
    NotOfType(String, &'static str),
    /// Every fake drawn equalled the value (a rule whose fakes are too few for the column).
    #[error("no fake different from the value in {0} draws")]
    NoDifferentFake(usize),
    /// The staging password could not be hashed in the format a row needs.
    #[error("{0}")]
    Hashing(String),
}

/// What kind of AWS failure an [`Error::Aws`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsFailure {
    /// No region is configured anywhere.
    NoRegion,
    /// No credentials were found, or AWS rejected them.
    Credentials,
    /// The RDS API did not answer (network, region, endpoint).
    Unreachable,
    /// An account quota is reached.
    Quota,
    /// RDS refused the call with another error code.
    Service,
    /// A snapshot or instance went to a status it will not come back from.
    FailedStatus,
    /// RDS answered without what restage needs (no endpoint, no master user, no snapshot).
    Incomplete,
}

impl Error {
    /// An [`Error::Aws`] without an SDK error behind it.
    pub fn aws(kind: AwsFailure, message: impl Into<String>) -> Error {
        Error::Aws {
            kind,
            message: message.into(),
            sdk: None,
        }
    }

    /// The process exit code for this error (see [`exit`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Runtime(_)
            | Error::Io { .. }
            | Error::SeedPassword { .. }
            | Error::VerifyFailed { .. }
            | Error::Worker { .. } => exit::FAILURE,
            Error::Interrupted { signal, .. } => signal.exit_code(),
            Error::ConfigRead { .. }
            | Error::Config { .. }
            | Error::InvalidSetting { .. }
            | Error::MissingStagingUrl
            | Error::MissingRedisUrl
            | Error::MissingSourceUrl
            | Error::SeedFileRead { .. }
            | Error::MigrationsDir { .. }
            | Error::SeedData { .. }
            | Error::SeedPrerequisite { .. }
            | Error::SchemaMapping { .. }
            | Error::Fixtures { .. }
            | Error::UnknownSeeder { .. }
            | Error::ProfileRead { .. }
            | Error::ProfileExists { .. }
            | Error::Profile { .. }
            | Error::MissingKey { .. }
            | Error::KeyFile { .. }
            | Error::WeakKey { .. } => exit::USAGE,
            Error::Refused(_)
            | Error::NotConfirmed { .. }
            | Error::Declined { .. }
            | Error::Locked { .. } => exit::REFUSED,
            Error::Connect { .. }
            | Error::ConnectTimeout { .. }
            | Error::Database { .. }
            | Error::Read { .. }
            | Error::Migrate { .. }
            | Error::MigrationCommand { .. }
            | Error::Privileges { .. }
            | Error::Tool { .. }
            | Error::Copy(_) => exit::DATABASE,
            Error::Redis { .. } => exit::REDIS,
            Error::Aws { .. }
            | Error::AwsNotFound(_)
            | Error::AwsAccessDenied { .. }
            | Error::AwsTimeout { .. } => exit::AWS,
            Error::UncoveredPii { .. } => exit::UNMASKED_PII,
            Error::Hook { .. } => exit::FAILURE,
            Error::WithReport { error, .. } => error.exit_code(),
        }
    }

    /// The error with `key` set to `value` in its report (`--json`).
    pub fn with_report_field(self, key: &str, value: serde_json::Value) -> Error {
        match self {
            Error::WithReport { error, mut report } => {
                if let Some(object) = report.as_object_mut() {
                    object.insert(key.into(), value);
                }
                Error::WithReport { error, report }
            }
            error => Error::WithReport {
                error: Box::new(error),
                report: serde_json::json!({ key: value }),
            },
        }
    }

    /// The problems of a configuration file or a profile, each naming its file, line and
    /// key (the `problems` of the `--json` error document).
    pub fn problems(&self) -> Option<Vec<Problem>> {
        match self {
            Error::Config { path, problems } | Error::Profile { path, problems } => {
                Some(crate::toml_source::in_file(problems, path))
            }
            Error::WithReport { error, .. } => error.problems(),
            _ => None,
        }
    }

    /// The columns that look personal and have no rule, when that is the failure.
    pub fn uncovered(&self) -> Option<Vec<String>> {
        match self {
            Error::UncoveredPii { findings, .. } => Some(findings.clone()),
            Error::WithReport { error, .. } => error.uncovered(),
            _ => None,
        }
    }

    /// The phase a refresh failed in, when its report says.
    pub fn failed_phase(&self) -> Option<String> {
        match self {
            Error::WithReport { report, .. } => report
                .get("failed_phase")
                .and_then(|phase| phase.as_str())
                .map(str::to_owned),
            _ => None,
        }
    }

    /// The `--json` form of a failure of `command`: the command, status, exit code, the whole
    /// message chain, and what the failure is about (`uncovered` columns).
    pub fn to_json(&self, command: &str) -> serde_json::Value {
        let mut document = match self {
            Error::WithReport { report, .. } => report.clone(),
            _ => serde_json::json!({}),
        };
        if let Some(object) = document.as_object_mut() {
            object
                .entry("command")
                .or_insert_with(|| command.to_owned().into());
            if let Some(findings) = self.uncovered() {
                object.insert("uncovered".into(), findings.into());
            }
            if let Some(problems) = self.problems() {
                let problems = serde_json::to_value(problems).unwrap_or_default();
                object.insert("problems".into(), problems);
            }
            object.insert("status".into(), "error".into());
            object.insert("exit_code".into(), self.exit_code().into());
            object.insert("error".into(), error_chain(self).into());
        }
        crate::secret::scrub_json(document)
    }
}

/// The `--json` form of a command line restage could not parse (exit code 2): the same
/// fields as [`Error::to_json`], with clap's message.
pub fn usage_json(message: &str) -> serde_json::Value {
    serde_json::json!({
        "status": "error",
        "exit_code": exit::USAGE,
        "error": message
            .trim()
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: "),
    })
}

/// `error: cause: cause`, like `{:#}` of an `anyhow::Error`, but a cause that its parent's
/// message already ends with (sqlx repeats its io errors) is printed once.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    let mut hint = None;
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        hint = hint.or_else(|| timeout_hint(cause));
        source = cause.source();
    }
    if let Some(hint) = hint {
        text.push_str("; ");
        text.push_str(hint);
    }
    // A hook's output, a driver's message: none may carry a secret restage knows.
    crate::secret::scrub(&text)
}

/// Which setting a server's cancellation came from, and what to change, when a cause is one
/// of PostgreSQL's timeouts.
fn timeout_hint(cause: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let (code, message) = server_refusal(cause)?;
    match code.as_str() {
        "57014" if message.contains("statement timeout") => Some(
            "the server's statement_timeout cut the statement short: restage sets it for its \
             sessions from [session] statement_timeout (default 0, none), over the role's own \
             (ALTER ROLE … SET statement_timeout); raise [session] statement_timeout, or check \
             what a pooler between restage and the server sets",
        ),
        "25P03" => Some(
            "the server's idle_in_transaction_session_timeout closed the session: restage sets \
             it from [session] idle_in_transaction_session_timeout (default 0, none), over the \
             role's own; raise it, or check what a pooler sets",
        ),
        "55P03" if message.contains("lock timeout") => Some(
            "a lock was not granted within lock_timeout ([session] lock_timeout, default 10m): \
             another session holds it (see pg_locks); wait for it or raise the setting",
        ),
        _ => None,
    }
}

/// The SQLSTATE and message of a server's refusal, from either driver.
fn server_refusal(cause: &(dyn std::error::Error + 'static)) -> Option<(String, String)> {
    if let Some(refusal) = cause
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
    {
        return Some((refusal.code()?.into_owned(), refusal.message().to_owned()));
    }
    let refusal = cause.downcast_ref::<ReadError>()?;
    Some((refusal.code()?.to_owned(), refusal.message().to_owned()))
}

fn bullet_list(items: &[impl std::fmt::Display]) -> String {
    items
        .iter()
        .map(|item| format!("  - {item}"))
        .collect::<Vec<_>>()
        .join("\n")
}
