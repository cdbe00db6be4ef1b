//! `restage migrate`: apply the embedded migrations to staging.

use std::time::Instant;

use serde::Serialize;

use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report};
use crate::schema::{self, AppliedMigration};
use crate::{pg, safety};

/// What `migrate` did.
#[derive(Debug, Serialize)]
pub struct MigrateReport {
    pub command: &'static str,
    pub database: String,
    pub applied: Vec<AppliedMigration>,
    pub seconds: f64,
}

impl Report for MigrateReport {
    fn human(&self) -> String {
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
    let lock = safety::StagingLock::acquire(url, &settings.maintenance_database, "migrate").await?;
    let mut connection = pg::connect(url, "staging database", "restage migrate").await?;
    out.step(format!("Migrating {url}"));
    let applied = schema::migrate(&mut connection, url).await?;
    lock.release().await;
    Ok(MigrateReport {
        command: "migrate",
        database: url.to_string(),
        applied,
        seconds: crate::output::seconds_since(start),
    })
}
