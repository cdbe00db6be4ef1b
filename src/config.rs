//! Configuration: `restage.toml`, environment variables and flags, merged into [`Settings`].
//!
//! Precedence: a flag beats an environment variable, which beats the file. Unknown keys are
//! errors, and every problem in the file is reported at once with its line and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;
use crate::mapping::Mapping;
use crate::pg::{self, Session};
use crate::secret::SecretUrl;
use crate::toml_source::{self, Problem, located};

/// The file read when `--config` is not given, if it exists in the current directory.
pub const DEFAULT_CONFIG_FILE: &str = "restage.toml";

/// The parsed file, as written (see `restage.example.toml` for every key).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ConfigFile {
    production: ProductionSection,
    staging: StagingSection,
    refresh: RefreshSection,
    rds: RdsSection,
    hooks: HooksSection,
    session: SessionSection,
    notify: Option<Spanned<NotifySection>>,
    schema: BTreeMap<String, Spanned<toml::Value>>,
}

/// `[hooks]`: a command line, or `{ command, timeout }`, per moment.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct HooksSection {
    timeout: Option<Spanned<String>>,
    pass_env: Vec<String>,
    before_swap: Option<Spanned<HookEntry>>,
    after_swap: Option<Spanned<HookEntry>>,
    after_refresh: Option<Spanned<HookEntry>>,
    on_failure: Option<Spanned<HookEntry>>,
}

/// `[session]`: the timeouts restage sets for its own database sessions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SessionSection {
    statement_timeout: Option<Spanned<String>>,
    idle_in_transaction_session_timeout: Option<Spanned<String>>,
    lock_timeout: Option<Spanned<String>>,
}

impl SessionSection {
    fn entries(&self) -> [(&'static str, &Option<Spanned<String>>, Duration); 3] {
        let defaults = Session::default();
        [
            (
                "statement_timeout",
                &self.statement_timeout,
                defaults.statement_timeout,
            ),
            (
                "idle_in_transaction_session_timeout",
                &self.idle_in_transaction_session_timeout,
                defaults.idle_in_transaction_session_timeout,
            ),
            ("lock_timeout", &self.lock_timeout, defaults.lock_timeout),
        ]
    }

    /// Durations that do not parse, with their lines.
    fn problems(&self, text: &str) -> Vec<Problem> {
        self.entries()
            .into_iter()
            .filter_map(|(name, entry, _)| {
                let entry = entry.as_ref()?;
                let reason = parse_duration(entry.get_ref()).err()?;
                Some(located(
                    text,
                    entry.span().start,
                    &format!("session.{name}"),
                    &reason,
                ))
            })
            .collect()
    }

    /// Validated by [`SessionSection::problems`].
    fn into_session(self) -> Session {
        let [statement, idle, lock] = self.entries().map(|(_, entry, default)| {
            entry
                .as_ref()
                .and_then(|entry| parse_duration(entry.get_ref()).ok())
                .unwrap_or(default)
        });
        Session {
            statement_timeout: statement,
            idle_in_transaction_session_timeout: idle,
            lock_timeout: lock,
        }
    }
}

/// `[notify]`: where a run's summary is posted, and when.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct NotifySection {
    webhook_url: Option<Spanned<String>>,
    webhook_url_env: Option<Spanned<String>>,
    on: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a command line, or { command = \"…\", timeout = \"…\" }"
)]
enum HookEntry {
    Command(String),
    Table(HookTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HookTable {
    command: String,
    timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ProductionSection {
    rds_instance_id: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    endpoint: Option<Spanned<String>>,
    redis_url: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StagingSection {
    database_url: Option<Spanned<String>>,
    redis_url: Option<Spanned<String>>,
    maintenance_database: Option<Spanned<String>>,
    migrate: Option<Spanned<MigrateSection>>,
    schemas: Option<Spanned<Vec<Spanned<String>>>>,
    owner: Option<Spanned<String>>,
    grants: BTreeMap<String, Spanned<String>>,
}

/// `[staging] migrate = { command = "…" }` or `{ dir = "…" }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MigrateSection {
    command: Option<String>,
    dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RefreshSection {
    anonymizers: Option<Spanned<String>>,
    jobs: Option<Spanned<i64>>,
    exclude_tables: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RdsSection {
    snapshot: Option<Spanned<String>>,
    database: Option<Spanned<String>>,
    instance_class: Option<Spanned<String>>,
    db_subnet_group: Option<Spanned<String>>,
    vpc_security_group_ids: Vec<Spanned<String>>,
    parameter_group: Option<Spanned<String>>,
    ca_bundle: Option<Spanned<String>>,
    sslmode: Option<Spanned<String>>,
    keep_snapshots: Option<Spanned<i64>>,
    snapshot_timeout: Option<Spanned<String>>,
    restore_timeout: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
    endpoint_url: Option<Spanned<String>>,
    connect_to: Option<Spanned<String>>,
}

/// Where production lives; the safety guard refuses every write that points there.
#[derive(Debug, Clone, Default)]
pub struct Production {
    /// RDS DB instance identifier of production.
    pub rds_instance_id: Option<String>,
    /// AWS region of the production instance.
    pub region: Option<String>,
    /// A URL of the production database (primary or replica).
    pub url: Option<SecretUrl>,
    /// The production endpoint host name, e.g. `prod.abc123.eu-west-1.rds.amazonaws.com`.
    pub endpoint: Option<String>,
    /// The production Redis, never flushed.
    pub redis_url: Option<SecretUrl>,
}

/// Settings of the weekly refresh.
#[derive(Debug, Clone)]
pub struct Refresh {
    /// The anonymizer profile.
    pub anonymizers: PathBuf,
    /// Parallel copy workers.
    pub jobs: usize,
    /// Tables left out of the copy (`schema.table` or `table`).
    pub exclude_tables: Vec<String>,
}

impl Default for Refresh {
    fn default() -> Self {
        Refresh {
            anonymizers: PathBuf::from("anonymizers/default.toml"),
            jobs: 4,
            exclude_tables: Vec::new(),
        }
    }
}

/// How the staging schema is made: `migrate` applies these, `reset` runs them on emptied schemas.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Migrations {
    /// restage's embedded reference schema.
    #[default]
    Reference,
    /// A directory of SQL migrations named like sqlx's (`<version>_<description>.sql`).
    Directory(PathBuf),
    /// The application's own migration command, run by `sh -c` with `DATABASE_URL` and
    /// `STAGING_DATABASE_URL` set to the database to migrate.
    Command(String),
}

impl Migrations {
    /// `restage's reference schema`, `the migrations in db/migrations`, `` `make migrate` ``.
    pub fn describe(&self) -> String {
        match self {
            Migrations::Reference => "restage's reference schema".to_owned(),
            Migrations::Directory(dir) => format!("the migrations in {}", dir.display()),
            Migrations::Command(command) => format!("`{command}`"),
        }
    }
}

/// What a role declared in `[staging] grants` may do in staging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Read every table, view and sequence.
    ReadOnly,
    /// Read and change rows, and draw from sequences.
    ReadWrite,
}

impl Access {
    fn parse(text: &str) -> Option<Access> {
        match text {
            "read-only" => Some(Access::ReadOnly),
            "read-write" => Some(Access::ReadWrite),
            _ => None,
        }
    }
}

/// `[staging] owner` and `grants`: privileges every new staging database gets, beside
/// those carried over from the database it replaces.
#[derive(Debug, Clone, Default)]
pub struct DeclaredPrivileges {
    /// The role that owns the staging database and every object restage creates in it.
    pub owner: Option<String>,
    /// Role → what it may do.
    pub grants: BTreeMap<String, Access>,
}

/// A hook: a command `sh -c` runs at one moment of a copy, refresh or reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub command: String,
    /// Killed (with everything it started) after this long.
    pub timeout: Duration,
}

/// `[hooks]`: the commands run around the swap, after a refresh and on failure.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    /// Before the new database replaces staging; a failure stops the swap.
    pub before_swap: Option<Hook>,
    /// Once the new database is staging.
    pub after_swap: Option<Hook>,
    /// After a whole copy, refresh or reset succeeded.
    pub after_refresh: Option<Hook>,
    /// When a copy, refresh or reset failed.
    pub on_failure: Option<Hook>,
    /// Variables of restage's environment that hooks and the migration command inherit beside
    /// the usual ones (`shell::INHERITED_ENV`).
    pub pass_env: Vec<String>,
}

/// Where the webhook URL of `[notify]` comes from: it is a secret, so usually from the
/// environment.
#[derive(Debug, Clone)]
pub enum Webhook {
    /// `webhook_url`, written in the file.
    Url(SecretUrl),
    /// `webhook_url_env`: the environment variable that holds it.
    Env(String),
}

/// Which runs `[notify]` posts a summary of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyOn {
    /// Only the runs that failed.
    Failure,
    /// Every run.
    Always,
}

/// `[notify]`: a Slack-compatible webhook told how copies, refreshes and resets ended.
#[derive(Debug, Clone)]
pub struct Notify {
    pub webhook: Webhook,
    pub on: NotifyOn,
    /// How long posting may take before restage gives up on it.
    pub timeout: Duration,
}

impl Notify {
    /// The webhook URL, read from the environment when the file names a variable.
    pub fn webhook_url(&self) -> Result<SecretUrl, Error> {
        let url = match &self.webhook {
            Webhook::Url(url) => url.clone(),
            Webhook::Env(name) => std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
                .map(SecretUrl::new)
                .ok_or_else(|| Error::InvalidSetting {
                    origin: "[notify] webhook_url_env".to_owned(),
                    reason: format!(
                        "${name} is not set: export the webhook URL in it (it is a secret, \
                         keep it out of restage.toml), or remove [notify]"
                    ),
                })?,
        };
        validate_webhook_url(&url).map_err(|reason| Error::InvalidSetting {
            origin: "[notify] webhook URL".to_owned(),
            reason,
        })?;
        Ok(url)
    }
}

/// How long posting a notification may take when `[notify] timeout` does not say.
pub const DEFAULT_NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a hook may run when `[hooks] timeout` does not say.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The schemas `reset` drops and recreates when the staging section does not list them.
pub const DEFAULT_APP_SCHEMAS: &[&str] = &["public"];

/// Which snapshot `refresh` restores when the command line does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotChoice {
    /// Create a new manual snapshot of production and wait for it.
    #[default]
    New,
    /// The newest automated (nightly) snapshot of production.
    LatestAutomated,
}

/// How restage connects to the temporary restored instance (libpq `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// TLS, certificate signed by the CA bundle and issued for the endpoint's name.
    #[default]
    VerifyFull,
    /// TLS, certificate signed by the CA bundle.
    VerifyCa,
    /// TLS without checking the certificate.
    Require,
    /// No TLS: only with `connect_to` (a local stand-in for tests).
    Disable,
}

impl SslMode {
    /// The libpq spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::VerifyFull => "verify-full",
            SslMode::VerifyCa => "verify-ca",
            SslMode::Require => "require",
            SslMode::Disable => "disable",
        }
    }

    fn parse(text: &str) -> Option<SslMode> {
        [
            SslMode::VerifyFull,
            SslMode::VerifyCa,
            SslMode::Require,
            SslMode::Disable,
        ]
        .into_iter()
        .find(|mode| mode.as_str() == text)
    }
}

/// The `[rds]` section: how the refresh snapshots production and restores the snapshot.
#[derive(Debug, Clone)]
pub struct Rds {
    /// The snapshot `refresh` restores by default.
    pub snapshot: SnapshotChoice,
    /// The database to copy on the restored instance (default: the instance's DBName).
    pub database: Option<String>,
    /// Instance class of the temporary instance (default: the snapshot's).
    pub instance_class: Option<String>,
    /// DB subnet group of the temporary instance.
    pub db_subnet_group: Option<String>,
    /// VPC security groups of the temporary instance.
    pub vpc_security_group_ids: Vec<String>,
    /// DB parameter group of the temporary instance.
    pub parameter_group: Option<String>,
    /// The RDS CA bundle (PEM) that `verify-full` and `verify-ca` check the server against.
    pub ca_bundle: Option<PathBuf>,
    /// TLS towards the temporary instance.
    pub sslmode: SslMode,
    /// How many of restage's own snapshots to keep; older ones are pruned after a refresh.
    pub keep_snapshots: Option<usize>,
    /// How long a new snapshot may take to become available.
    pub snapshot_timeout: Duration,
    /// How long the restored instance may take to become available.
    pub restore_timeout: Duration,
    /// Time between two status checks while waiting.
    pub poll_interval: Duration,
    /// The RDS API endpoint (else `AWS_ENDPOINT_URL_RDS`, `AWS_ENDPOINT_URL`, AWS's own).
    pub endpoint_url: Option<String>,
    /// For testing and tunnels: connect to this `host:port` instead of the restored
    /// instance's endpoint.
    pub connect_to: Option<String>,
}

impl Default for Rds {
    fn default() -> Self {
        Rds {
            snapshot: SnapshotChoice::New,
            database: None,
            instance_class: None,
            db_subnet_group: None,
            vpc_security_group_ids: Vec::new(),
            parameter_group: None,
            ca_bundle: None,
            sslmode: SslMode::VerifyFull,
            keep_snapshots: None,
            snapshot_timeout: Duration::from_secs(2 * 3600),
            restore_timeout: Duration::from_secs(90 * 60),
            poll_interval: Duration::from_secs(30),
            endpoint_url: None,
            connect_to: None,
        }
    }
}

/// What the command line says over the environment and the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The configuration file to read (else `restage.toml` when it exists).
    pub config: Option<PathBuf>,
    /// The staging database URL.
    pub staging_url: Option<String>,
    /// The staging Redis URL.
    pub redis_url: Option<String>,
}

/// Everything a command needs to know, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file the settings were read from, if any.
    pub config_path: Option<PathBuf>,
    /// The staging database, if configured anywhere.
    pub staging_url: Option<SecretUrl>,
    /// The staging Redis, if configured anywhere.
    pub redis_url: Option<SecretUrl>,
    /// The database the advisory lock lives in (on the staging server).
    pub maintenance_database: String,
    /// How staging's schema is made.
    pub migrations: Migrations,
    /// The schemas the application owns, which `reset` drops and recreates.
    pub app_schemas: Vec<String>,
    /// The owner and grants every new staging database gets.
    pub privileges: DeclaredPrivileges,
    /// The commands run around the swap, after a refresh and on failure.
    pub hooks: Hooks,
    /// `[session]`: timeouts of restage's own database sessions.
    pub session: Session,
    /// The webhook told how runs ended, when one is configured.
    pub notify: Option<Notify>,
    /// Production, for the safety guard (and the refresh).
    pub production: Production,
    /// The refresh settings.
    pub refresh: Refresh,
    /// Snapshots and the temporary restored instance.
    pub rds: Rds,
    /// Which tables and columns the built-in seeders write.
    pub mapping: Mapping,
}

impl Settings {
    /// Merges flags, environment and the configuration file.
    pub fn resolve(args: &Overrides) -> Result<Settings, Error> {
        let (config_path, file, mapping) = load_file(args.config.as_deref())?;
        let mut settings = Settings {
            config_path,
            staging_url: None,
            redis_url: None,
            maintenance_database: file
                .staging
                .maintenance_database
                .map(Spanned::into_inner)
                .unwrap_or_else(|| "postgres".to_owned()),
            migrations: file
                .staging
                .migrate
                .map_or(Migrations::Reference, |section| {
                    section.into_inner().into_migrations()
                }),
            app_schemas: file.staging.schemas.map_or_else(
                || {
                    DEFAULT_APP_SCHEMAS
                        .iter()
                        .map(|name| name.to_string())
                        .collect()
                },
                |names| {
                    names
                        .into_inner()
                        .into_iter()
                        .map(Spanned::into_inner)
                        .collect()
                },
            ),
            privileges: DeclaredPrivileges {
                owner: file.staging.owner.map(Spanned::into_inner),
                grants: file
                    .staging
                    .grants
                    .into_iter()
                    .filter_map(|(role, access)| Some((role, Access::parse(access.get_ref())?)))
                    .collect(),
            },
            hooks: file.hooks.into_hooks(),
            session: file.session.into_session(),
            notify: file
                .notify
                .map(|section| section.into_inner().into_notify()),
            production: file.production.into_production(),
            refresh: file.refresh.into_refresh(),
            rds: file.rds.into_rds(),
            mapping,
        };
        let file_staging = file.staging.database_url.map(Spanned::into_inner);
        let file_redis = file.staging.redis_url.map(Spanned::into_inner);
        settings.staging_url = pick_url(
            args.staging_url.as_deref(),
            &["STAGING_DATABASE_URL", "DATABASE_URL"],
            file_staging,
            "staging database URL",
            validate_pg_url,
        )?;
        settings.redis_url = pick_url(
            args.redis_url.as_deref(),
            &["STAGING_REDIS_URL", "REDIS_URL"],
            file_redis,
            "staging Redis URL",
            validate_redis_url,
        )?;
        Ok(settings)
    }

    /// The staging database URL, or the error that says how to set one.
    pub fn staging_url(&self) -> Result<&SecretUrl, Error> {
        self.staging_url.as_ref().ok_or(Error::MissingStagingUrl)
    }

    /// The source database: `--source-url`, else $SOURCE_DATABASE_URL, else production.url.
    pub fn source_url(&self, flag: Option<&str>) -> Result<SecretUrl, Error> {
        let from_file = self
            .production
            .url
            .as_ref()
            .map(|url| url.expose().to_owned());
        pick_url(
            flag,
            &["SOURCE_DATABASE_URL"],
            from_file,
            "source database URL",
            validate_pg_url,
        )?
        .ok_or(Error::MissingSourceUrl)
    }

    /// The anonymizer profile: the flag, else refresh.anonymizers.
    pub fn anonymizers(&self, flag: Option<&Path>) -> PathBuf {
        flag.map_or_else(|| self.refresh.anonymizers.clone(), Path::to_path_buf)
    }

    /// The staging Redis URL, or the error that says how to set one.
    pub fn redis_url(&self) -> Result<&SecretUrl, Error> {
        self.redis_url.as_ref().ok_or(Error::MissingRedisUrl)
    }
}

/// The first of: the flag, each environment variable in turn, the file; validated.
fn pick_url(
    flag: Option<&str>,
    env_vars: &[&str],
    from_file: Option<String>,
    what: &str,
    validate: fn(&SecretUrl) -> Result<(), String>,
) -> Result<Option<SecretUrl>, Error> {
    let from_env = env_vars.iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
            .map(|value| (*name, value))
    });
    let (origin, raw) = match (flag, from_env, from_file) {
        (Some(value), _, _) => (format!("{what} (command line)"), value.to_owned()),
        (None, Some((name, value)), _) => (format!("{what} (${name})"), value),
        (None, None, Some(value)) => (format!("{what} (configuration file)"), value),
        (None, None, None) => return Ok(None),
    };
    let url = SecretUrl::new(raw);
    validate(&url).map_err(|reason| Error::InvalidSetting { origin, reason })?;
    Ok(Some(url))
}

fn validate_pg_url(url: &SecretUrl) -> Result<(), String> {
    pg::parse_options(url).map(drop)
}

fn validate_webhook_url(url: &SecretUrl) -> Result<(), String> {
    let parsed = url::Url::parse(url.expose())
        .map_err(|e| format!("{} does not parse as a URL: {e}", url.redacted_host()))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(format!(
            "{} is not an http(s) URL; expected https://hooks.slack.com/services/…",
            url.redacted_host()
        ));
    }
    Ok(())
}

fn validate_redis_url(url: &SecretUrl) -> Result<(), String> {
    let parsed = url::Url::parse(url.expose()).map_err(|e| format!("{url} does not parse: {e}"))?;
    if !matches!(parsed.scheme(), "redis" | "rediss") {
        return Err(format!(
            "{url} is not a Redis URL; expected redis://host:6379/0"
        ));
    }
    let db = parsed.path().trim_matches('/');
    if !db.is_empty() && db.parse::<u32>().is_err() {
        return Err(format!(
            "{url}: the path must be a database number, like /0"
        ));
    }
    Ok(())
}

/// Reads the file named by `--config`, else `restage.toml` when present, else nothing.
fn load_file(explicit: Option<&Path>) -> Result<(Option<PathBuf>, ConfigFile, Mapping), Error> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if Path::new(DEFAULT_CONFIG_FILE).is_file() => PathBuf::from(DEFAULT_CONFIG_FILE),
        None => return Ok((None, ConfigFile::default(), Mapping::default())),
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| Error::ConfigRead {
        path: shown.clone(),
        source,
    })?;
    let (file, mapping) = parse_config(&text).map_err(|problems| Error::Config {
        path: shown,
        problems,
    })?;
    Ok((Some(path), file, mapping))
}

/// Parses and validates the file text; every problem comes back with its line and key.
fn parse_config(text: &str) -> Result<(ConfigFile, Mapping), Vec<Problem>> {
    let (file, mut problems) = toml_source::parse_all::<ConfigFile>(text);
    // What parsed is checked too, so that one run shows every mistake in the file.
    let Some(file) = file else {
        return Err(problems);
    };
    // A value left out for its type is not reported again as missing by the checks.
    let unparsed: Vec<usize> = problems.iter().filter_map(|problem| problem.line).collect();
    problems.extend(
        validate(&file, text)
            .into_iter()
            .filter(|problem| problem.line.is_none_or(|line| !unparsed.contains(&line))),
    );
    let mapping = Mapping::from_section(&file.schema, text).unwrap_or_else(|found| {
        problems.extend(found);
        Mapping::default()
    });
    if problems.is_empty() {
        Ok((file, mapping))
    } else {
        toml_source::sort_by_line(&mut problems);
        Err(problems)
    }
}

/// Checks the values serde cannot: URLs, numbers in range, names.
fn validate(file: &ConfigFile, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut check =
        |value: Option<&Spanned<String>>, key: &str, rule: fn(&SecretUrl) -> Result<(), String>| {
            if let Some(value) = value
                && let Err(reason) = rule(&SecretUrl::new(value.get_ref().clone()))
            {
                problems.push(located(text, value.span().start, key, &reason));
            }
        };
    check(
        file.production.url.as_ref(),
        "production.url",
        validate_pg_url,
    );
    check(
        file.production.redis_url.as_ref(),
        "production.redis_url",
        validate_redis_url,
    );
    check(
        file.staging.database_url.as_ref(),
        "staging.database_url",
        validate_pg_url,
    );
    check(
        file.staging.redis_url.as_ref(),
        "staging.redis_url",
        validate_redis_url,
    );
    if let Some(jobs) = &file.refresh.jobs
        && !(1..=256).contains(jobs.get_ref())
    {
        let reason = format!("must be between 1 and 256, not {}", jobs.get_ref());
        problems.push(located(text, jobs.span().start, "refresh.jobs", &reason));
    }
    if let Some(region) = &file.production.region
        && !is_region_name(region.get_ref())
    {
        let reason = format!(
            "'{}' is not an AWS region name like eu-west-1",
            region.get_ref()
        );
        problems.push(located(
            text,
            region.span().start,
            "production.region",
            &reason,
        ));
    }
    problems.extend(file.rds.problems(text));
    problems.extend(file.hooks.problems(text));
    problems.extend(file.session.problems(text));
    if let Some(notify) = &file.notify {
        problems.extend(notify.get_ref().problems(notify.span().start, text));
    }
    problems.extend(file.staging.problems(text));
    for table in &file.refresh.exclude_tables {
        if table.get_ref().trim().is_empty() {
            let reason = "table names must not be empty";
            problems.push(located(
                text,
                table.span().start,
                "refresh.exclude_tables",
                reason,
            ));
        }
    }
    problems
}

/// Parses a duration like `500ms`, `30s`, `90m`, `6h` or `2d`, or with the unit in words:
/// `5 minutes`, `1 hour`, `2 days`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 30s, 90m, 6h or 2d"))?;
    if value == 0 && unit.is_empty() {
        return Ok(Duration::ZERO);
    }
    let seconds_per_unit = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" | "millisecond" | "milliseconds" => return Ok(Duration::from_millis(value)),
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86400,
        "" => {
            return Err(format!(
                "'{text}' has no unit: write ms, s, m, h or d after the number, like 30s, 90m, \
                 6h or 2d"
            ));
        }
        other => {
            return Err(format!(
                "'{text}': '{other}' is not a unit restage knows; use ms, s, m, h or d \
                 (or milliseconds, seconds, minutes, hours, days), like 30s, 90m, 6h or 2d"
            ));
        }
    };
    Ok(Duration::from_secs(value.saturating_mul(seconds_per_unit)))
}

fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()))
}

impl ProductionSection {
    fn into_production(self) -> Production {
        Production {
            rds_instance_id: self.rds_instance_id.map(Spanned::into_inner),
            region: self.region.map(Spanned::into_inner),
            url: self.url.map(|url| SecretUrl::new(url.into_inner())),
            endpoint: self.endpoint.map(Spanned::into_inner),
            redis_url: self.redis_url.map(|url| SecretUrl::new(url.into_inner())),
        }
    }
}

impl StagingSection {
    /// The migration runner and the schema list, checked.
    fn problems(&self, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(migrate) = &self.migrate {
            let reason = match (&migrate.get_ref().command, &migrate.get_ref().dir) {
                (Some(_), Some(_)) => Some("give either command or dir, not both"),
                (None, None) => Some(
                    "give command = \"your migration command\" or dir = \"a directory of SQL migrations\"",
                ),
                (Some(command), None) if command.trim().is_empty() => {
                    Some("the command must not be empty")
                }
                (None, Some(dir)) if dir.trim().is_empty() => {
                    Some("the directory must not be empty")
                }
                _ => None,
            };
            if let Some(reason) = reason {
                problems.push(located(
                    text,
                    migrate.span().start,
                    "staging.migrate",
                    reason,
                ));
            }
        }
        match &self.schemas {
            Some(schemas) if schemas.get_ref().is_empty() => {
                let reason = "list at least one schema the application owns, e.g. [\"public\"]";
                problems.push(located(
                    text,
                    schemas.span().start,
                    "staging.schemas",
                    reason,
                ));
            }
            Some(schemas) => {
                for schema in schemas.get_ref() {
                    let name = schema.get_ref();
                    if name.trim().is_empty()
                        || name == "restage"
                        || name.starts_with("pg_")
                        || name == "information_schema"
                    {
                        let reason = format!(
                            "'{name}' cannot be an application schema (restage, pg_* and \
                             information_schema are not the application's)"
                        );
                        problems.push(located(
                            text,
                            schema.span().start,
                            "staging.schemas",
                            &reason,
                        ));
                    }
                }
            }
            None => {}
        }
        if let Some(owner) = &self.owner
            && owner.get_ref().trim().is_empty()
        {
            let reason = "name the role that owns staging, or leave owner out";
            problems.push(located(text, owner.span().start, "staging.owner", reason));
        }
        for (role, access) in &self.grants {
            if Access::parse(access.get_ref()).is_none() {
                let reason = format!(
                    "'{}' for role '{role}' is neither \"read-only\" nor \"read-write\"",
                    access.get_ref()
                );
                let key = format!("staging.grants.{role}");
                problems.push(located(text, access.span().start, &key, &reason));
            }
        }
        problems
    }
}

impl HooksSection {
    fn entries(&self) -> [(&'static str, &Option<Spanned<HookEntry>>); 4] {
        [
            ("before_swap", &self.before_swap),
            ("after_swap", &self.after_swap),
            ("after_refresh", &self.after_refresh),
            ("on_failure", &self.on_failure),
        ]
    }

    /// Empty commands and durations that do not parse, with their lines.
    fn problems(&self, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(timeout) = &self.timeout
            && let Err(reason) = parse_duration(timeout.get_ref())
        {
            problems.push(located(
                text,
                timeout.span().start,
                "hooks.timeout",
                &reason,
            ));
        }
        for (name, entry) in self.entries() {
            let Some(entry) = entry else { continue };
            let key = format!("hooks.{name}");
            let (command, timeout) = entry.get_ref().parts();
            if command.trim().is_empty() {
                let reason = "the command must not be empty";
                problems.push(located(text, entry.span().start, &key, reason));
            }
            if let Some(Err(reason)) = timeout.map(parse_duration) {
                problems.push(located(text, entry.span().start, &key, &reason));
            }
        }
        problems
    }

    /// Validated by [`HooksSection::problems`].
    fn into_hooks(self) -> Hooks {
        let default = self
            .timeout
            .as_ref()
            .and_then(|timeout| parse_duration(timeout.get_ref()).ok())
            .unwrap_or(DEFAULT_HOOK_TIMEOUT);
        let hook = |entry: &Option<Spanned<HookEntry>>| {
            entry.as_ref().map(|entry| {
                let (command, timeout) = entry.get_ref().parts();
                Hook {
                    command: command.to_owned(),
                    timeout: timeout
                        .and_then(|timeout| parse_duration(timeout).ok())
                        .unwrap_or(default),
                }
            })
        };
        Hooks {
            before_swap: hook(&self.before_swap),
            after_swap: hook(&self.after_swap),
            after_refresh: hook(&self.after_refresh),
            on_failure: hook(&self.on_failure),
            pass_env: self.pass_env,
        }
    }
}

impl NotifySection {
    /// Exactly one webhook source, a known `on` and a duration, with their lines.
    fn problems(&self, section_start: usize, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        match (&self.webhook_url, &self.webhook_url_env) {
            (Some(_), Some(env)) => problems.push(located(
                text,
                env.span().start,
                "notify.webhook_url_env",
                "give either webhook_url or webhook_url_env, not both",
            )),
            (None, None) => problems.push(located(
                text,
                section_start,
                "notify",
                "say where to post: webhook_url_env = \"THE_VARIABLE_HOLDING_THE_URL\" \
                 (or webhook_url = \"https://…\")",
            )),
            (Some(url), None) => {
                if let Err(reason) = validate_webhook_url(&SecretUrl::new(url.get_ref().clone())) {
                    problems.push(located(
                        text,
                        url.span().start,
                        "notify.webhook_url",
                        &reason,
                    ));
                }
            }
            (None, Some(env)) if env.get_ref().trim().is_empty() => problems.push(located(
                text,
                env.span().start,
                "notify.webhook_url_env",
                "name the environment variable that holds the webhook URL",
            )),
            (None, Some(_)) => {}
        }
        if let Some(on) = &self.on
            && NotifyOn::parse(on.get_ref()).is_none()
        {
            let reason = format!("'{}' is not one of failure, always", on.get_ref());
            problems.push(located(text, on.span().start, "notify.on", &reason));
        }
        if let Some(timeout) = &self.timeout
            && let Err(reason) = parse_duration(timeout.get_ref())
        {
            problems.push(located(
                text,
                timeout.span().start,
                "notify.timeout",
                &reason,
            ));
        }
        problems
    }

    /// Validated by [`NotifySection::problems`].
    fn into_notify(self) -> Notify {
        let webhook = match (self.webhook_url, self.webhook_url_env) {
            (Some(url), _) => Webhook::Url(SecretUrl::new(url.into_inner())),
            (None, env) => Webhook::Env(env.map(Spanned::into_inner).unwrap_or_default()),
        };
        Notify {
            webhook,
            on: self
                .on
                .and_then(|on| NotifyOn::parse(on.get_ref()))
                .unwrap_or(NotifyOn::Failure),
            timeout: self
                .timeout
                .and_then(|timeout| parse_duration(timeout.get_ref()).ok())
                .unwrap_or(DEFAULT_NOTIFY_TIMEOUT),
        }
    }
}

impl NotifyOn {
    fn parse(text: &str) -> Option<NotifyOn> {
        match text {
            "failure" => Some(NotifyOn::Failure),
            "always" => Some(NotifyOn::Always),
            _ => None,
        }
    }
}

impl HookEntry {
    /// The command and its own timeout.
    fn parts(&self) -> (&str, Option<&str>) {
        match self {
            HookEntry::Command(command) => (command, None),
            HookEntry::Table(table) => (&table.command, table.timeout.as_deref()),
        }
    }
}

impl MigrateSection {
    /// Validated by [`StagingSection::problems`]: exactly one of the two is set.
    fn into_migrations(self) -> Migrations {
        match (self.command, self.dir) {
            (Some(command), _) => Migrations::Command(command),
            (None, Some(dir)) => Migrations::Directory(PathBuf::from(dir)),
            (None, None) => Migrations::Reference,
        }
    }
}

impl RdsSection {
    /// Every invalid value of the section, with its line.
    fn problems(&self, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut report = |value: &Spanned<String>, key: &str, reason: String| {
            problems.push(located(text, value.span().start, key, &reason));
        };
        if let Some(snapshot) = &self.snapshot
            && !matches!(snapshot.get_ref().as_str(), "new" | "latest-automated")
        {
            let reason = format!(
                "'{}' is neither \"new\" nor \"latest-automated\"",
                snapshot.get_ref()
            );
            report(snapshot, "rds.snapshot", reason);
        }
        if let Some(mode) = &self.sslmode {
            match SslMode::parse(mode.get_ref()) {
                None => report(
                    mode,
                    "rds.sslmode",
                    format!(
                        "'{}' is not one of verify-full, verify-ca, require, disable",
                        mode.get_ref()
                    ),
                ),
                Some(SslMode::Disable) if self.connect_to.is_none() => report(
                    mode,
                    "rds.sslmode",
                    "\"disable\" is only allowed with connect_to (a local stand-in); RDS \
                     enforces TLS"
                        .to_owned(),
                ),
                Some(_) => {}
            }
        }
        for (value, key) in [
            (&self.snapshot_timeout, "rds.snapshot_timeout"),
            (&self.restore_timeout, "rds.restore_timeout"),
            (&self.poll_interval, "rds.poll_interval"),
        ] {
            if let Some(value) = value
                && let Err(reason) = parse_duration(value.get_ref())
            {
                report(value, key, reason);
            }
        }
        if let Some(connect_to) = &self.connect_to
            && parse_host_port(connect_to.get_ref()).is_none()
        {
            let reason = format!("'{}' is not host:port", connect_to.get_ref());
            report(connect_to, "rds.connect_to", reason);
        }
        if let Some(endpoint) = &self.endpoint_url
            && url::Url::parse(endpoint.get_ref()).is_err()
        {
            let reason = format!("'{}' is not a URL", endpoint.get_ref());
            report(endpoint, "rds.endpoint_url", reason);
        }
        if let Some(keep) = &self.keep_snapshots
            && *keep.get_ref() < 1
        {
            let reason = format!("must be at least 1, not {}", keep.get_ref());
            problems.push(located(
                text,
                keep.span().start,
                "rds.keep_snapshots",
                &reason,
            ));
        }
        problems
    }

    fn into_rds(self) -> Rds {
        let defaults = Rds::default();
        let duration = |value: Option<Spanned<String>>, default: Duration| {
            value
                .and_then(|value| parse_duration(value.get_ref()).ok())
                .unwrap_or(default)
        };
        let text = |value: Option<Spanned<String>>| value.map(Spanned::into_inner);
        Rds {
            snapshot: match self.snapshot.as_ref().map(|value| value.get_ref().as_str()) {
                Some("latest-automated") => SnapshotChoice::LatestAutomated,
                _ => SnapshotChoice::New,
            },
            sslmode: self
                .sslmode
                .as_ref()
                .and_then(|mode| SslMode::parse(mode.get_ref()))
                .unwrap_or_default(),
            // Validated to be at least 1 above.
            keep_snapshots: self.keep_snapshots.map(|keep| *keep.get_ref() as usize),
            snapshot_timeout: duration(self.snapshot_timeout, defaults.snapshot_timeout),
            restore_timeout: duration(self.restore_timeout, defaults.restore_timeout),
            poll_interval: duration(self.poll_interval, defaults.poll_interval),
            database: text(self.database),
            instance_class: text(self.instance_class),
            db_subnet_group: text(self.db_subnet_group),
            vpc_security_group_ids: self
                .vpc_security_group_ids
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            parameter_group: text(self.parameter_group),
            ca_bundle: text(self.ca_bundle).map(PathBuf::from),
            endpoint_url: text(self.endpoint_url),
            connect_to: text(self.connect_to),
        }
    }
}

/// `host:port` (a bracketed IPv6 host allowed), split.
pub fn parse_host_port(text: &str) -> Option<(String, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then_some(())?;
    Some((host.to_owned(), port.parse().ok()?))
}

impl RefreshSection {
    fn into_refresh(self) -> Refresh {
        let defaults = Refresh::default();
        Refresh {
            anonymizers: self
                .anonymizers
                .map_or(defaults.anonymizers, |path| path.into_inner().into()),
            // Validated to 1..=256 above.
            jobs: self
                .jobs
                .map_or(defaults.jobs, |jobs| *jobs.get_ref() as usize),
            exclude_tables: self
                .exclude_tables
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The problems of `text`, as printed.
    fn problems_in(text: &str) -> Vec<String> {
        let problems = parse_config(text).expect_err("invalid");
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reports_every_invalid_value_with_line_and_key() {
        let text = "[staging]\ndatabase_url = \"mysql://x\"\n\n[refresh]\njobs = 0\n";
        let problems = problems_in(text);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("line 2: staging.database_url:"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("line 5: refresh.jobs: must be between 1 and 256"),
            "{problems:?}"
        );
    }

    #[test]
    fn names_the_section_of_an_unknown_key() {
        let problems = problems_in("[staging]\ndatabse_url = \"x\"\n");
        assert!(
            problems[0].starts_with("line 2: staging.databse_url: unknown field"),
            "{problems:?}"
        );
        assert!(
            problems[0].contains("unknown field `databse_url`"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_reported_once() {
        let text = "[staging]\nmigrate = { command = 3 }\n[refresh]\njobs = 0\n";
        let problems = problems_in(text);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("line 2: staging.migrate: a number `3`, expected a text"));
        assert!(problems[1].starts_with("line 4: refresh.jobs: must be between 1 and 256"));
    }

    #[test]
    fn accepts_the_example_file() {
        let text = include_str!("../restage.example.toml");
        let (file, _) = parse_config(text).expect("the example parses");
        assert!(file.production.rds_instance_id.is_some());
    }

    #[test]
    fn accepts_the_deploy_configuration_with_its_hooks() {
        let (file, _) = parse_config(include_str!("../deploy/restage.toml"))
            .expect("deploy/restage.toml parses");
        let hooks = file.hooks.into_hooks();
        let after_refresh = hooks.after_refresh.expect("after_refresh");
        assert_eq!(after_refresh.timeout, Duration::from_secs(600));
        let before_swap = hooks.before_swap.expect("before_swap");
        assert_eq!(before_swap.command, "/etc/restage/hooks/ecs-scale down");
        assert_eq!(before_swap.timeout, Duration::from_secs(900));
        let notify = file.notify.expect("[notify]").into_inner().into_notify();
        assert!(
            matches!(&notify.webhook, Webhook::Env(name) if name == "RESTAGE_WEBHOOK_URL"),
            "{notify:?}"
        );
        assert_eq!(notify.on, NotifyOn::Failure);
        assert_eq!(notify.timeout, DEFAULT_NOTIFY_TIMEOUT);
    }

    #[test]
    fn checks_the_rds_section() {
        let text = "[rds]\nsnapshot = \"old\"\nsslmode = \"insecure\"\npoll_interval = \"5\"\n\
                    connect_to = \"nohost\"\nkeep_snapshots = 0\n";
        let problems = problems_in(text);
        let keys = [
            "rds.snapshot",
            "rds.sslmode",
            "rds.poll_interval",
            "rds.connect_to",
            "rds.keep_snapshots",
        ];
        assert_eq!(problems.len(), keys.len(), "{problems:?}");
        for (problem, key) in problems.iter().zip(keys) {
            assert!(problem.contains(key), "{problem} lacks {key}");
        }
        let tls_off = problems_in("[rds]\nsslmode = \"disable\"\n");
        assert!(
            tls_off[0].contains("only allowed with connect_to"),
            "{tls_off:?}"
        );
        let good = "[rds]\nsnapshot = \"latest-automated\"\nsslmode = \"disable\"\n\
                    connect_to = \"127.0.0.1:5432\"\npoll_interval = \"250ms\"\n";
        let rds = parse_config(good).expect("valid").0.rds.into_rds();
        assert_eq!(rds.snapshot, SnapshotChoice::LatestAutomated);
        assert_eq!(rds.sslmode, SslMode::Disable);
        assert_eq!(rds.poll_interval, Duration::from_millis(250));
    }

    #[test]
    fn reads_the_migration_runner_and_the_application_schemas() {
        let command = "[staging]\nmigrate = { command = \"npm run db:migrate\" }\nschemas = [\"app\", \"audit\"]\n";
        let (file, _) = parse_config(command).expect("valid");
        assert_eq!(
            file.staging
                .migrate
                .map(|m| m.into_inner().into_migrations()),
            Some(Migrations::Command("npm run db:migrate".to_owned()))
        );
        let (dir, _) = parse_config("[staging]\nmigrate = { dir = \"db\" }\n").expect("valid");
        assert_eq!(
            dir.staging
                .migrate
                .map(|m| m.into_inner().into_migrations()),
            Some(Migrations::Directory(PathBuf::from("db")))
        );
        let bad = "[staging]\nmigrate = { command = \" \" }\nschemas = [\"public\", \"pg_temp\", \"restage\"]\n";
        let problems = problems_in(bad);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("line 2: staging.migrate: the command must not be empty"));
        assert!(problems[1].starts_with("line 3: staging.schemas: 'pg_temp'"));
        assert!(problems[2].contains("'restage'"));
        let empty = problems_in("[staging]\nschemas = []\n");
        assert!(
            empty[0].starts_with("line 2: staging.schemas: list at least one"),
            "{empty:?}"
        );
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("6h"), Ok(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("6").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(parse_duration("5 minutes"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1 Hour"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500 ms"), Ok(Duration::from_millis(500)));
        let weeks = parse_duration("6 weeks").expect_err("weeks are not a unit");
        assert!(
            weeks.contains("'weeks' is not a unit restage knows"),
            "{weeks}"
        );
        let bare = parse_duration("6").expect_err("no unit");
        assert!(bare.contains("has no unit"), "{bare}");
    }

    #[test]
    fn recognises_region_names() {
        assert!(is_region_name("eu-west-1"));
        assert!(is_region_name("us-gov-west-1"));
        assert!(!is_region_name("Europe"));
        assert!(!is_region_name("eu-west"));
    }
}
