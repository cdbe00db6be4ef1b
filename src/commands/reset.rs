//! `restage reset`: drop and recreate the staging schema, migrate, seed, flush Redis.

use std::time::Instant;

use serde::Serialize;

use crate::cli::ResetArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report};
use crate::schema::{self, AppliedMigration, MANAGED_SCHEMAS};
use crate::seed::data::SeedData;
use crate::seed::{self, SeedOptions, SeedReport};
use crate::{pg, safety};

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

/// Resets staging after the safety checks and the confirmation, under the staging lock.
pub async fn run(
    settings: &Settings,
    args: &ResetArgs,
    out: &Output,
) -> Result<ResetReport, Error> {
    let start = Instant::now();
    let url = settings.staging_url()?;
    safety::ensure_writable_target(url, &settings.production, None)?;
    let seed_data = SeedData::load(args.data.seeds.as_deref())?;
    if let Some(redis_url) = &settings.redis_url {
        safety::ensure_writable_redis(redis_url, &settings.production)?;
    }
    let redis_note = settings
        .redis_url
        .as_ref()
        .map(|redis_url| format!(" and flush every key in Redis {redis_url}"))
        .unwrap_or_default();
    safety::confirm(
        args.confirmation.yes,
        "reset",
        &format!("This will DROP all tables and data in {url}{redis_note}."),
    )?;
    let lock = safety::StagingLock::acquire(url, &settings.maintenance_database, "reset").await?;
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
        &seed_data,
        &SeedOptions::all(args.data.rng_seed),
    )
    .await?;
    let redis_keys_removed = crate::redis::flush_staging(settings, out).await?;
    lock.release().await;
    Ok(ResetReport {
        command: "reset",
        database: url.to_string(),
        recreated_schemas: MANAGED_SCHEMAS
            .iter()
            .map(|schema| schema.to_string())
            .collect(),
        migrations,
        seed,
        redis: settings.redis_url.as_ref().map(ToString::to_string),
        redis_keys_removed,
        seconds: crate::output::seconds_since(start),
    })
}
