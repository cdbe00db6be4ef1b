//! The reset of staging (`restage reset`): drop and recreate the managed schemas, migrate,
//! seed, flush the staging Redis — what the old runbook did by hand.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgConnection;

use crate::clock::new_run_id;
use crate::config::Settings;
use crate::error::Error;
use crate::history::{self, Record};
use crate::hooks::{HookReport, HookRun, HookRunner, hooks_summary};
use crate::interrupt::Shutdown;
use crate::notify::NotifiedReport;
use crate::output::{Output, Report, seconds_since};
use crate::pg::database_error;
use crate::pipeline::swap::{self, SwapNames};
use crate::privileges::{self, Captured, PrivilegeReport};
use crate::schema::{self, AppliedMigration, MigrationCommand, RESTAGE_SCHEMA, Runner};
use crate::secret::SecretUrl;
use crate::seed::data::SeedData;
use crate::seed::{self, SeedOptions, SeedReport};
use crate::{pg, redis, safety};

/// What staging holds when a reset stopped after it was rebuilt: everything but the Redis
/// flush (and the hooks after it).
const RESET_DONE: &str = "staging was reset: migrated and seeded; staging Redis was not flushed \
     (`restage redis flush` flushes it)";

/// What `reset` did.
#[derive(Debug, Serialize)]
pub struct ResetReport {
    pub command: &'static str,
    pub database: String,
    pub recreated_schemas: Vec<String>,
    /// The application's migration command, when that is how staging is migrated.
    pub migration_command: Option<String>,
    pub migrations: Vec<AppliedMigration>,
    /// With a migration command the reset is built beside staging and swapped in; the old
    /// staging is kept under this name for `restage rollback`.
    pub previous: Option<String>,
    /// The grants and owners staging had, given back (and `[staging]`'s).
    pub privileges: PrivilegeReport,
    pub seed: SeedReport,
    /// The staging Redis, when one is configured.
    pub redis: Option<String>,
    pub redis_keys_removed: Option<u64>,
    /// The `[hooks]` that ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookRun>,
    /// Whether the `[notify]` webhook was told how the run ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    pub seconds: f64,
}

impl NotifiedReport for ResetReport {
    fn set_notification(&mut self, outcome: String) {
        self.notification = Some(outcome);
    }
}

impl HookReport for ResetReport {
    fn set_hooks(&mut self, runs: Vec<HookRun>) {
        self.hooks = runs;
    }
}

impl Report for ResetReport {
    fn human(&self) -> String {
        let redis = match (&self.redis, self.redis_keys_removed) {
            (Some(url), Some(removed)) => format!("flushed {url} ({removed} keys removed)"),
            _ => "no staging Redis configured, nothing flushed".to_owned(),
        };
        let schema = match (&self.migration_command, &self.previous) {
            (Some(command), previous) => format!(
                "built a new database with `{command}` and swapped it in{}",
                previous
                    .as_ref()
                    .map(|name| format!(" (the old one is kept as {name})"))
                    .unwrap_or_default()
            ),
            (None, _) => format!(
                "recreated schema {}, applied {} migration(s)",
                self.recreated_schemas.join(", "),
                self.migrations.len()
            ),
        };
        format!(
            "{} reset in {:.1}s: {schema}, {redis}\n{}\n{}{}",
            self.database,
            self.seconds,
            self.seed.table(),
            self.privileges.human(),
            hooks_summary(&self.hooks),
        )
    }
}

/// What a reset records in staging's `restage.history`.
#[derive(Serialize)]
struct ResetRecord<'a> {
    /// How the schema was made.
    migrations: String,
    schemas: &'a [String],
}

/// The new staging's seeds and privileges.
struct Rebuilt {
    seed: SeedReport,
    privileges: PrivilegeReport,
}

/// One reset of the configured staging, checked for safety before anything is touched.
pub struct Reset<'a> {
    settings: &'a Settings,
    run_id: String,
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
        let seed_data = SeedData::load(seeds, &settings.mapping)?;
        if let Some(redis_url) = &settings.redis_url {
            safety::ensure_writable_redis(redis_url, &settings.production)?;
        }
        Ok(Reset {
            settings,
            run_id: new_run_id(),
            staging,
            seed_data,
            rng_seed,
        })
    }

    /// This reset's id, for its hooks and its record in staging.
    pub fn run_id(&self) -> &str {
        &self.run_id
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

    /// Rebuilds the schema, seeds and flushes Redis; the caller holds the lock. With sqlx
    /// migrations everything up to the seeds is one transaction on staging; with a migration
    /// command (which makes its own connections) the new staging is built beside it and
    /// swapped in. Either way a failure leaves staging as it was.
    /// A signal stops it the same way: the transaction is rolled back, or the database
    /// beside staging dropped.
    pub async fn run(
        self,
        shutdown: &Shutdown,
        out: &Output,
        hooks: &HookRunner,
    ) -> Result<ResetReport, Error> {
        let start = Instant::now();
        let runner = Runner::load(&self.settings.migrations, &self.settings.hooks.pass_env).await?;
        let (migrations, rebuilt, previous) = match &runner {
            Runner::Sqlx(migrations) => {
                // Staging changes in place: the "swap" is the whole reset transaction.
                shutdown.guard(hooks.before_swap(self.staging)).await?;
                let (applied, rebuilt) =
                    shutdown.guard(self.reset_in_place(migrations, out)).await?;
                shutdown.guard_in(RESET_DONE, hooks.after_swap()).await?;
                (applied, rebuilt, None)
            }
            Runner::Command(command) => {
                let (rebuilt, previous) = self.reset_beside(command, shutdown, out, hooks).await?;
                (Vec::new(), rebuilt, previous)
            }
        };
        let redis_keys_removed = shutdown
            .guard_in(RESET_DONE, redis::flush_staging(self.settings, out))
            .await?;
        Ok(ResetReport {
            command: "reset",
            database: self.staging.to_string(),
            recreated_schemas: match runner {
                Runner::Sqlx(_) => self.recreated_schemas(),
                Runner::Command(_) => Vec::new(),
            },
            migration_command: runner.command().map(str::to_owned),
            migrations,
            previous,
            seed: rebuilt.seed,
            privileges: rebuilt.privileges,
            redis: self.settings.redis_url.as_ref().map(ToString::to_string),
            redis_keys_removed,
            hooks: Vec::new(),
            notification: None,
            seconds: seconds_since(start),
        })
    }

    fn recreated_schemas(&self) -> Vec<String> {
        let mut schemas = self.settings.app_schemas.clone();
        schemas.push(RESTAGE_SCHEMA.to_owned());
        schemas
    }

    /// Recreates the application's schemas, migrates, seeds and grants back what the
    /// schemas' objects granted, in one transaction.
    async fn reset_in_place(
        &self,
        migrations: &Migrator,
        out: &Output,
    ) -> Result<(Vec<AppliedMigration>, Rebuilt), Error> {
        let url = self.staging;
        let mut connection = pg::connect(url, "staging database", "restage reset").await?;
        let mut transaction = connection
            .begin()
            .await
            .map_err(database_error(url, "starting the reset transaction"))?;
        out.step(format!(
            "Recreating schema {} and migrating {url}",
            self.recreated_schemas().join(", ")
        ));
        let captured = privileges::capture_objects(&mut transaction, url).await?;
        schema::recreate_schemas(&mut transaction, url, &self.settings.app_schemas).await?;
        let applied = schema::migrate_in(&mut transaction, url, migrations).await?;
        out.step("Seeding");
        let rebuilt = self
            .seed_and_grant(&mut transaction, url, &captured)
            .await?;
        transaction
            .commit()
            .await
            .map_err(database_error(url, "committing the reset"))?;
        Ok((applied, rebuilt))
    }

    /// Builds a new database beside staging with the migration command, seeds it and swaps it
    /// in; on any failure the new database is dropped. Returns the seeds and the name the old
    /// staging is kept under.
    async fn reset_beside(
        &self,
        command: &MigrationCommand,
        shutdown: &Shutdown,
        out: &Output,
        hooks: &HookRunner,
    ) -> Result<(Rebuilt, Option<String>), Error> {
        let names = SwapNames::beside(self.staging)?;
        let admin_url = pg::with_database(self.staging, &self.settings.maintenance_database);
        let mut admin = pg::connect(&admin_url, pg::MAINTENANCE, "restage reset").await?;
        let captured =
            swap::staging_privileges(&mut admin, &admin_url, &names, self.staging).await?;
        swap::create_next(&mut admin, &admin_url, &names).await?;
        let next = pg::with_database(self.staging, &names.next);
        out.step(format!(
            "Building {} with `{}`",
            names.next, command.command
        ));
        let built = shutdown
            .guard(async {
                let rebuilt = self.build(command, &next, &captured, out).await?;
                hooks.before_swap(&next).await?;
                Ok(rebuilt)
            })
            .await;
        let rebuilt = match built {
            Ok(seed) => seed,
            Err(error) => {
                if let Err(cleanup) = swap::drop_database(&mut admin, &admin_url, &names.next).await
                {
                    tracing::warn!(error = %cleanup, "removing the half-built database");
                }
                return Err(error);
            }
        };
        out.step(format!("Swapping {} in as {}", names.next, names.staging));
        let kept = swap::swap_in(&mut admin, &admin_url, &names).await?;
        shutdown.check(RESET_DONE)?;
        shutdown.guard_in(RESET_DONE, hooks.after_swap()).await?;
        Ok((rebuilt, kept.then_some(names.previous)))
    }

    /// Migrates the new database with the command, seeds it and gives it staging's
    /// privileges.
    async fn build(
        &self,
        command: &MigrationCommand,
        next: &SecretUrl,
        captured: &Captured,
        out: &Output,
    ) -> Result<Rebuilt, Error> {
        schema::run_command(
            command,
            next,
            "Staging was left as it was; the half-built database beside it is removed.",
        )
        .await?;
        out.step("Seeding");
        let mut connection = pg::connect(next, "new staging database", "restage reset").await?;
        self.seed_and_grant(&mut connection, next, captured).await
    }

    async fn seed_and_grant(
        &self,
        connection: &mut PgConnection,
        url: &SecretUrl,
        captured: &Captured,
    ) -> Result<Rebuilt, Error> {
        let record = ResetRecord {
            migrations: self.settings.migrations.describe(),
            schemas: &self.settings.app_schemas,
        };
        let record = Record {
            command: "reset",
            run_id: Some(&self.run_id),
            details: &record,
        };
        history::record(connection, url, &record).await?;
        let seed = seed::run(
            connection,
            url,
            &self.seed_data,
            &self.settings.mapping,
            &SeedOptions::all(&self.settings.mapping, &self.seed_data, self.rng_seed),
        )
        .await?;
        let database = pg::database_name(url).unwrap_or_default();
        let privileges = privileges::apply(
            connection,
            url,
            &database,
            captured,
            &self.settings.privileges,
        )
        .await?;
        Ok(Rebuilt { seed, privileges })
    }
}
