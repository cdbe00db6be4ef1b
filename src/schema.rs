//! The reference staging schema: embedded migrations (sqlx's migrator) and schema reset.

use std::collections::HashSet;

use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgConnection;

use crate::error::Error;
use crate::pg::database_error;
use crate::secret::SecretUrl;

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The schemas restage fills — `public` by the migrations, `restage` by the seeders'
/// bookkeeping — which `reset` therefore drops and recreates. A test checks that a reset
/// database has exactly these.
pub const MANAGED_SCHEMAS: &[&str] = &["public", "restage"];

/// A migration applied by this run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AppliedMigration {
    pub version: i64,
    pub description: String,
}

/// Applies the pending migrations in one transaction; returns those it applied.
pub async fn migrate(
    connection: &mut PgConnection,
    url: &SecretUrl,
) -> Result<Vec<AppliedMigration>, Error> {
    let mut transaction = connection
        .begin()
        .await
        .map_err(database_error(url, "starting a transaction"))?;
    let applied = migrate_in(&mut transaction, url).await?;
    transaction
        .commit()
        .await
        .map_err(database_error(url, "committing the migrations"))?;
    Ok(applied)
}

/// Drops the managed schemas with everything in them, recreates them and migrates, all in
/// one transaction: a failure anywhere leaves staging exactly as it was.
pub async fn reset(
    connection: &mut PgConnection,
    url: &SecretUrl,
) -> Result<Vec<AppliedMigration>, Error> {
    let mut transaction = connection
        .begin()
        .await
        .map_err(database_error(url, "starting a transaction"))?;
    for schema in MANAGED_SCHEMAS {
        let recreate = format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}; \
             GRANT USAGE ON SCHEMA {name} TO PUBLIC;",
            name = quote_identifier(schema)
        );
        sqlx::raw_sql(&recreate)
            .execute(&mut *transaction)
            .await
            .map_err(database_error(url, &format!("recreating schema {schema}")))?;
    }
    let applied = migrate_in(&mut transaction, url).await?;
    transaction
        .commit()
        .await
        .map_err(database_error(url, "committing the reset"))?;
    Ok(applied)
}

/// Runs the migrator on a connection that is already inside a transaction (sqlx then
/// wraps each migration in a savepoint), after noting which migrations are pending.
async fn migrate_in(
    connection: &mut PgConnection,
    url: &SecretUrl,
) -> Result<Vec<AppliedMigration>, Error> {
    let done = applied_versions(connection, url).await?;
    let pending: Vec<AppliedMigration> = MIGRATOR
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .filter(|migration| !done.contains(&migration.version))
        .map(|migration| AppliedMigration {
            version: migration.version,
            description: migration.description.to_string(),
        })
        .collect();
    MIGRATOR
        .run(&mut *connection)
        .await
        .map_err(|source| Error::Migrate {
            url: url.to_string(),
            source,
        })?;
    Ok(pending)
}

async fn applied_versions(
    connection: &mut PgConnection,
    url: &SecretUrl,
) -> Result<HashSet<i64>, Error> {
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *connection)
            .await
            .map_err(database_error(url, "reading the migration history"))?;
    if !exists {
        return Ok(HashSet::new());
    }
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM public._sqlx_migrations WHERE success")
            .fetch_all(&mut *connection)
            .await
            .map_err(database_error(url, "reading the migration history"))?;
    Ok(versions.into_iter().collect())
}

/// Quotes an SQL identifier (doubling embedded quotes).
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
