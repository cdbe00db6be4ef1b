//! The configuration file as written: its sections, parsed with every problem located,
//! and turned into settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;
use crate::mapping::Mapping;
use crate::pg::Session;
use crate::secret::SecretUrl;
use crate::toml_source::{self, Problem};

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

/// Reads the file named by `--config`, else `restage.toml` when present, else nothing.
pub(super) fn load_file(
    explicit: Option<&Path>,
) -> Result<(Option<PathBuf>, ConfigFile, Mapping), Error> {
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
pub(super) fn parse_config(text: &str) -> Result<(ConfigFile, Mapping), Vec<Problem>> {
    let (file, mut problems) = toml_source::parse_all::<ConfigFile>(text);
    // What parsed is checked too, so that one run shows every mistake in the file.
    let Some(file) = file else {
        return Err(problems);
    };
    // A value left out for its type is not reported again as missing by the checks.
    let unparsed: Vec<usize> = problems.iter().filter_map(|problem| problem.line).collect();
    problems.extend(
        super::validate::validate(&file, text)
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

#[cfg(test)]
mod tests {
    use super::super::validate::is_region_name;
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
        let text = include_str!("../../restage.example.toml");
        let (file, _) = parse_config(text).expect("the example parses");
        assert!(file.production.rds_instance_id.is_some());
    }

    #[test]
    fn accepts_the_deploy_configuration_with_its_hooks() {
        let (file, _) = parse_config(include_str!("../../deploy/restage.toml"))
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
