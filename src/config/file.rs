//! The configuration file as written: its sections, parsed with every problem located,
//! and turned into settings.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::pg::Session;
use crate::secret::SecretUrl;

use super::*;

/// The parsed file, as written (see `restage.example.toml` for every key).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ConfigFile {
    pub(super) production: ProductionSection,
    pub(super) staging: StagingSection,
    pub(super) refresh: RefreshSection,
    pub(super) rds: RdsSection,
    pub(super) hooks: HooksSection,
    pub(super) session: SessionSection,
    pub(super) notify: Option<Spanned<NotifySection>>,
    pub(super) schema: BTreeMap<String, Spanned<toml::Value>>,
}

/// `[hooks]`: a command line, or `{ command, timeout }`, per moment.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct HooksSection {
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) pass_env: Vec<String>,
    pub(super) before_swap: Option<Spanned<HookEntry>>,
    pub(super) after_swap: Option<Spanned<HookEntry>>,
    pub(super) after_refresh: Option<Spanned<HookEntry>>,
    pub(super) on_failure: Option<Spanned<HookEntry>>,
}

/// `[session]`: the timeouts restage sets for its own database sessions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct SessionSection {
    pub(super) statement_timeout: Option<Spanned<String>>,
    pub(super) idle_in_transaction_session_timeout: Option<Spanned<String>>,
    pub(super) lock_timeout: Option<Spanned<String>>,
}

impl SessionSection {
    pub(super) fn entries(&self) -> [(&'static str, &Option<Spanned<String>>, Duration); 3] {
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

    /// Validated by [`SessionSection::problems`].
    pub(super) fn into_session(self) -> Session {
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
pub(super) struct NotifySection {
    pub(super) webhook_url: Option<Spanned<String>>,
    pub(super) webhook_url_env: Option<Spanned<String>>,
    pub(super) on: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a command line, or { command = \"…\", timeout = \"…\" }"
)]
pub(super) enum HookEntry {
    Command(String),
    Table(HookTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HookTable {
    pub(super) command: String,
    pub(super) timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ProductionSection {
    pub(super) rds_instance_id: Option<Spanned<String>>,
    pub(super) region: Option<Spanned<String>>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) endpoint: Option<Spanned<String>>,
    pub(super) redis_url: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct StagingSection {
    pub(super) database_url: Option<Spanned<String>>,
    pub(super) redis_url: Option<Spanned<String>>,
    pub(super) maintenance_database: Option<Spanned<String>>,
    pub(super) migrate: Option<Spanned<MigrateSection>>,
    pub(super) schemas: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) owner: Option<Spanned<String>>,
    pub(super) grants: BTreeMap<String, Spanned<String>>,
}

/// `[staging] migrate = { command = "…" }` or `{ dir = "…" }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MigrateSection {
    pub(super) command: Option<String>,
    pub(super) dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RefreshSection {
    pub(super) anonymizers: Option<Spanned<String>>,
    pub(super) jobs: Option<Spanned<i64>>,
    pub(super) exclude_tables: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RdsSection {
    pub(super) snapshot: Option<Spanned<String>>,
    pub(super) database: Option<Spanned<String>>,
    pub(super) instance_class: Option<Spanned<String>>,
    pub(super) db_subnet_group: Option<Spanned<String>>,
    pub(super) vpc_security_group_ids: Vec<Spanned<String>>,
    pub(super) parameter_group: Option<Spanned<String>>,
    pub(super) ca_bundle: Option<Spanned<String>>,
    pub(super) sslmode: Option<Spanned<String>>,
    pub(super) keep_snapshots: Option<Spanned<i64>>,
    pub(super) snapshot_timeout: Option<Spanned<String>>,
    pub(super) restore_timeout: Option<Spanned<String>>,
    pub(super) poll_interval: Option<Spanned<String>>,
    pub(super) endpoint_url: Option<Spanned<String>>,
    pub(super) connect_to: Option<Spanned<String>>,
}

impl ProductionSection {
    pub(super) fn into_production(self) -> Production {
        Production {
            rds_instance_id: self.rds_instance_id.map(Spanned::into_inner),
            region: self.region.map(Spanned::into_inner),
            url: self.url.map(|url| SecretUrl::new(url.into_inner())),
            endpoint: self.endpoint.map(Spanned::into_inner),
            redis_url: self.redis_url.map(|url| SecretUrl::new(url.into_inner())),
        }
    }
}

impl HooksSection {
    pub(super) fn entries(&self) -> [(&'static str, &Option<Spanned<HookEntry>>); 4] {
        [
            ("before_swap", &self.before_swap),
            ("after_swap", &self.after_swap),
            ("after_refresh", &self.after_refresh),
            ("on_failure", &self.on_failure),
        ]
    }

    /// Validated by [`HooksSection::problems`].
    pub(super) fn into_hooks(self) -> Hooks {
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
    /// Validated by [`NotifySection::problems`].
    pub(super) fn into_notify(self) -> Notify {
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

impl HookEntry {
    /// The command and its own timeout.
    pub(super) fn parts(&self) -> (&str, Option<&str>) {
        match self {
            HookEntry::Command(command) => (command, None),
            HookEntry::Table(table) => (&table.command, table.timeout.as_deref()),
        }
    }
}

impl MigrateSection {
    /// Validated by [`StagingSection::problems`]: exactly one of the two is set.
    pub(super) fn into_migrations(self) -> Migrations {
        match (self.command, self.dir) {
            (Some(command), _) => Migrations::Command(command),
            (None, Some(dir)) => Migrations::Directory(PathBuf::from(dir)),
            (None, None) => Migrations::Reference,
        }
    }
}

impl RdsSection {
    pub(super) fn into_rds(self) -> Rds {
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

impl RefreshSection {
    pub(super) fn into_refresh(self) -> Refresh {
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
