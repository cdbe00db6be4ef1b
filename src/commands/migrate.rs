//! `restage migrate`: apply the embedded migrations to staging.

use std::time::Instant;

use serde::Serialize;

use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report};
use crate::safety;
use crate::schema::{self, AppliedMigration, Runner};

/// What `migrate` did.
#[derive(Debug, Serialize)]
pub struct MigrateReport {
    pub command: &'static str,
    pub database: String,
    /// The application's migration command, when that is how staging is migrated.
    pub migration_command: Option<String>,
    pub applied: Vec<AppliedMigration>,
    pub seconds: f64,
}

impl Report for MigrateReport {
    fn human(&self) -> String {
        if let Some(command) = &self.migration_command {
            return format!("{}: ran `{command}`", self.database);
        }
        if self.applied.is_empty() {
            return format!("{}: schema is up to date, nothing to apply", self.database);
        }
        let mut text = format!(
            "{}: applied {} migration(s)",
            self.database,
            self.applied.len()
        );
        for migration in &self.applied {
            text.push_str(&format!(
                "\n  {} {}",
                migration.version, migration.description
            ));
        }
        text
    }
}

/// Applies the pending migrations under the staging lock.
pub async fn run(settings: &Settings, out: &Output) -> Result<MigrateReport, Error> {
    let start = Instant::now();
    let url = settings.staging_url()?;
    safety::ensure_writable_target(url, &settings.production, None)?;
    let runner = Runner::load(&settings.migrations, &settings.hooks.pass_env).await?;
    let lock = safety::StagingLock::acquire_configured(settings, url, "migrate").await?;
    out.step(format!("Migrating {url}"));
    let applied = schema::migrate(
        &runner,
        url,
        "Migrations the command applied before it failed stay applied.",
    )
    .await;
    lock.release().await;
    Ok(MigrateReport {
        command: "migrate",
        database: url.to_string(),
        migration_command: runner.command().map(str::to_owned),
        applied: applied?,
        seconds: crate::output::seconds_since(start),
    })
}
