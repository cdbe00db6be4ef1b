//! The reset of staging (`restage reset`): drop and recreate the managed schemas, migrate,
//! seed, flush the staging Redis — what the old runbook did by hand.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report, seconds_since};
use crate::schema::{self, AppliedMigration, MANAGED_SCHEMAS};
use crate::secret::SecretUrl;
use crate::seed::data::SeedData;
use crate::seed::{self, SeedOptions, SeedReport};
use crate::{pg, redis, safety};

/// What `reset` did.
#[derive(Debug, Serialize)]
pub struct ResetReport {
    pub command: &'static str,
    pub database: String,
    pub recreated_schemas: Vec<String>,
    pub migrations: Vec<AppliedMigration>,
    pub seed: SeedReport,
    /// The staging Redis, when one is configured.
    pub redis: Option<String>,
    pub redis_keys_removed: Option<u64>,
    pub seconds: f64,
}

impl Report for ResetReport {
    fn human(&self) -> String {
        let redis = match (&self.redis, self.redis_keys_removed) {
            (Some(url), Some(removed)) => format!("flushed {url} ({removed} keys removed)"),
            _ => "no staging Redis configured, nothing flushed".to_owned(),
        };
        format!(
            "{} reset in {:.1}s: recreated schema {}, applied {} migration(s), {redis}\n{}",
            self.database,
            self.seconds,
            self.recreated_schemas.join(", "),
            self.migrations.len(),
            self.seed.table(),
        )
    }
}

/// One reset of the configured staging, checked for safety before anything is touched.
pub struct Reset<'a> {
    settings: &'a Settings,
    staging: &'a SecretUrl,
    seed_data: SeedData,
    rng_seed: u64,
}

impl<'a> Reset<'a> {
    /// Refuses production (database and Redis) as the target and loads the seed data
    /// (`seeds`, else the default), so that bad seed data stops the reset before it starts.
    pub fn new(settings: &'a Settings, seeds: Option<&Path>, rng_seed: u64) -> Result<Self, Error> {
        let staging = settings.staging_url()?;
        safety::ensure_writable_target(staging, &settings.production, None)?;
        let seed_data = SeedData::load(seeds)?;
        if let Some(redis_url) = &settings.redis_url {
            safety::ensure_writable_redis(redis_url, &settings.production)?;
        }
        Ok(Reset {
            settings,
            staging,
            seed_data,
            rng_seed,
        })
    }

    /// The staging database this reset wipes.
    pub fn staging(&self) -> &SecretUrl {
        self.staging
    }

    /// What the reset will do, for the confirmation question.
    pub fn consequences(&self) -> String {
        let redis_note = self
            .settings
            .redis_url
            .as_ref()
            .map(|redis_url| format!(" and flush every key in Redis {redis_url}"))
            .unwrap_or_default();
        format!(
            "This will DROP all tables and data in {}{redis_note}.",
            self.staging
        )
    }

    /// Recreates the schemas, migrates, seeds and flushes Redis; the caller holds the lock.
    pub async fn run(self, out: &Output) -> Result<ResetReport, Error> {
        let start = Instant::now();
        let url = self.staging;
        let mut connection = pg::connect(url, "staging database", "restage reset").await?;
        out.step(format!(
            "Recreating schema {} and migrating {url}",
            MANAGED_SCHEMAS.join(", ")
        ));
        let migrations = schema::reset(&mut connection, url).await?;
        out.step("Seeding");
        let seed = seed::run(
            &mut connection,
            url,
            &self.seed_data,
            &SeedOptions::all(self.rng_seed),
        )
        .await?;
        let redis_keys_removed = redis::flush_staging(self.settings, out).await?;
        Ok(ResetReport {
            command: "reset",
            database: url.to_string(),
            recreated_schemas: MANAGED_SCHEMAS
                .iter()
                .map(|schema| schema.to_string())
                .collect(),
            migrations,
            seed,
            redis: self.settings.redis_url.as_ref().map(ToString::to_string),
            redis_keys_removed,
            seconds: seconds_since(start),
        })
    }
}
