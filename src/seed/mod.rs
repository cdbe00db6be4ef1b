//! Seeders: idempotent upserts of the staging fixtures, run by `reset` (and later `seed`).
//!
//! Each seeder reports how many rows it inserted, updated and left unchanged.

use serde::Serialize;
use sqlx::postgres::PgConnection;

use crate::error::Error;
use crate::safety::SecretUrl;

/// What one seeder did.
#[derive(Debug, Clone, Serialize)]
pub struct SeederReport {
    pub seeder: String,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// What a seeding run did, seeder by seeder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeedReport {
    pub seeders: Vec<SeederReport>,
}

impl SeedReport {
    /// Rows inserted by all seeders together.
    pub fn inserted(&self) -> u64 {
        self.seeders.iter().map(|seeder| seeder.inserted).sum()
    }
}

/// Runs every seeder in dependency order. No seeder exists yet, so this reports none;
/// the seeders issue adds them here.
pub async fn run_all(
    _connection: &mut PgConnection,
    _url: &SecretUrl,
) -> Result<SeedReport, Error> {
    Ok(SeedReport::default())
}
