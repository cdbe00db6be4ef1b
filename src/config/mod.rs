//! Configuration: `restage.toml`, environment variables and flags, merged into [`Settings`].
//!
//! Precedence: a flag beats an environment variable, which beats the file. Unknown keys are
//! errors, and every problem in the file is reported at once with its line and key.

use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::error::Error;
use crate::mapping::Mapping;
use crate::pg::Session;
use crate::secret::SecretUrl;
use crate::toml_source::{self, Problem};

mod file;
mod settings;
mod validate;

use file::ConfigFile;
pub use settings::*;
pub use validate::{parse_duration, parse_host_port};
use validate::{validate_pg_url, validate_redis_url, validate_webhook_url};

/// The file read when `--config` is not given, if it exists in the current directory.
pub const DEFAULT_CONFIG_FILE: &str = "restage.toml";

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
        validate::validate(&file, text)
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use validate::is_region_name;

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
