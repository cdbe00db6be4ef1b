//! `restage.history`: what restage put into a staging database, written into that database
//! itself — each copy or refresh (into the new database before the swap, so that a rollback
//! brings back the record of what it brings back), each seeding and each reset. `restage
//! status` reads it.

use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::PgConnection;

use crate::error::Error;
use crate::pg::database_error;
use crate::secret::SecretUrl;

/// Creates the history table when missing: a database copied from production, or made by
/// an older restage, gets it on its first record.
const HISTORY_DDL: &str = "
CREATE SCHEMA IF NOT EXISTS restage;
CREATE TABLE IF NOT EXISTS restage.history (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    command         text        NOT NULL,
    run_id          text,
    restage_version text        NOT NULL,
    details         jsonb       NOT NULL
);
COMMENT ON TABLE restage.history IS
    'What restage put into this database: copies, refreshes, seedings, resets (restage status).';
";

/// What one run put into staging, recorded as it commits.
pub struct Record<'a, D: Serialize> {
    /// `copy`, `refresh`, `seed` or `reset`.
    pub command: &'a str,
    pub run_id: Option<&'a str>,
    /// The facts of the run (never a secret: URLs redacted, the key only as a fingerprint).
    pub details: &'a D,
}

/// Writes `record` on `connection` (inside the caller's transaction, when it has one).
pub async fn record<D: Serialize>(
    connection: &mut PgConnection,
    url: &SecretUrl,
    record: &Record<'_, D>,
) -> Result<(), Error> {
    sqlx::raw_sql(HISTORY_DDL)
        .execute(&mut *connection)
        .await
        .map_err(database_error(url, "creating restage.history"))?;
    let details = serde_json::to_value(record.details).unwrap_or_default();
    sqlx::query(
        "INSERT INTO restage.history (command, run_id, restage_version, details)
         VALUES ($1, $2, $3, $4::text::jsonb)",
    )
    .bind(record.command)
    .bind(record.run_id)
    .bind(env!("CARGO_PKG_VERSION"))
    .bind(details.to_string())
    .execute(&mut *connection)
    .await
    .map_err(database_error(url, "recording the run in restage.history"))?;
    Ok(())
}

/// One recorded run, as `restage status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub command: String,
    pub run_id: Option<String>,
    /// RFC 3339, UTC.
    pub recorded_at: String,
    /// Seconds between the record and now.
    pub age_seconds: f64,
    pub restage_version: String,
    pub details: Value,
}

/// Every recorded run, oldest first; `None` when the database has no history (restage did
/// not make it, or a version before the history did).
pub async fn read(
    connection: &mut PgConnection,
    url: &SecretUrl,
) -> Result<Option<Vec<Entry>>, Error> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('restage.history') IS NOT NULL")
        .fetch_one(&mut *connection)
        .await
        .map_err(database_error(url, "looking for restage.history"))?;
    if !exists {
        return Ok(None);
    }
    let rows: Vec<(String, Option<String>, String, f64, String, String)> = sqlx::query_as(
        "SELECT command, run_id,
                to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                extract(epoch FROM now() - recorded_at)::float8,
                restage_version, details::text
           FROM restage.history ORDER BY id",
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(database_error(url, "reading restage.history"))?;
    Ok(Some(
        rows.into_iter()
            .map(
                |(command, run_id, recorded_at, age_seconds, restage_version, details)| Entry {
                    command,
                    run_id,
                    recorded_at,
                    age_seconds: age_seconds.max(0.0).round(),
                    restage_version,
                    details: serde_json::from_str(&details).unwrap_or_default(),
                },
            )
            .collect(),
    ))
}
