//! Configuration: `restage.toml`, environment variables and flags, merged into [`Settings`].
//!
//! Precedence: a flag beats an environment variable, which beats the file. Unknown keys are
//! errors, and every problem in the file is reported at once with its line and key.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::cli::GlobalArgs;
use crate::error::Error;
use crate::pg;
use crate::safety::SecretUrl;
use crate::toml_source::{self, located};

/// The file read when `--config` is not given, if it exists in the current directory.
pub const DEFAULT_CONFIG_FILE: &str = "restage.toml";

/// The parsed file, as written (see `restage.example.toml` for every key).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ConfigFile {
    production: ProductionSection,
    staging: StagingSection,
    refresh: RefreshSection,
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
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RefreshSection {
    anonymizers: Option<Spanned<String>>,
    jobs: Option<Spanned<i64>>,
    exclude_tables: Vec<Spanned<String>>,
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
    /// Production, for the safety guard (and the refresh).
    pub production: Production,
    /// The refresh settings.
    pub refresh: Refresh,
}

impl Settings {
    /// Merges flags, environment and the configuration file.
    pub fn resolve(args: &GlobalArgs) -> Result<Settings, Error> {
        let (config_path, file) = load_file(args.config.as_deref())?;
        let mut settings = Settings {
            config_path,
            staging_url: None,
            redis_url: None,
            maintenance_database: file
                .staging
                .maintenance_database
                .map(Spanned::into_inner)
                .unwrap_or_else(|| "postgres".to_owned()),
            production: file.production.into_production(),
            refresh: file.refresh.into_refresh(),
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
fn load_file(explicit: Option<&Path>) -> Result<(Option<PathBuf>, ConfigFile), Error> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if Path::new(DEFAULT_CONFIG_FILE).is_file() => PathBuf::from(DEFAULT_CONFIG_FILE),
        None => return Ok((None, ConfigFile::default())),
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| Error::ConfigRead {
        path: shown.clone(),
        source,
    })?;
    let file = parse_config(&text).map_err(|problems| Error::Config {
        path: shown,
        problems,
    })?;
    Ok((Some(path), file))
}

/// Parses and validates the file text; every problem comes back with its line and key.
fn parse_config(text: &str) -> Result<ConfigFile, Vec<String>> {
    let file: ConfigFile = toml_source::parse(text).map_err(|problem| vec![problem])?;
    let problems = validate(&file, text);
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(problems)
    }
}

/// Checks the values serde cannot: URLs, numbers in range, names.
fn validate(file: &ConfigFile, text: &str) -> Vec<String> {
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

    #[test]
    fn reports_every_invalid_value_with_line_and_key() {
        let text = "[staging]\ndatabase_url = \"mysql://x\"\n\n[refresh]\njobs = 0\n";
        let problems = parse_config(text).expect_err("invalid");
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
        let problems = parse_config("[staging]\ndatabse_url = \"x\"\n").expect_err("unknown key");
        assert!(
            problems[0].contains("line 2, column 1 in [staging]"),
            "{problems:?}"
        );
        assert!(
            problems[0].contains("unknown field `databse_url`"),
            "{problems:?}"
        );
    }

    #[test]
    fn accepts_the_example_file() {
        let text = include_str!("../restage.example.toml");
        let file = parse_config(text).expect("the example parses");
        assert!(file.production.rds_instance_id.is_some());
    }

    #[test]
    fn recognises_region_names() {
        assert!(is_region_name("eu-west-1"));
        assert!(is_region_name("us-gov-west-1"));
        assert!(!is_region_name("Europe"));
        assert!(!is_region_name("eu-west"));
    }
}
