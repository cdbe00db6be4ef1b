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

mod file;
mod settings;
mod validate;

use file::load_file;
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
