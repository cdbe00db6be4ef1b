//! The settings commands read, resolved and validated: production, staging's migrations and
//! privileges, hooks, notifications, the refresh and RDS.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::secret::SecretUrl;

use super::*;

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
    pub(super) fn parse(text: &str) -> Option<Access> {
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

    pub(super) fn parse(text: &str) -> Option<SslMode> {
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

impl NotifyOn {
    pub(super) fn parse(text: &str) -> Option<NotifyOn> {
        match text {
            "failure" => Some(NotifyOn::Failure),
            "always" => Some(NotifyOn::Always),
            _ => None,
        }
    }
}
