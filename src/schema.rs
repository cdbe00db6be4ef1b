//! The staging schema: the application's migrations (restage's embedded reference schema, a
//! directory of SQL migrations, or the application's own command) and the emptying of the
//! schemas a reset recreates.

use std::borrow::Cow;
use std::collections::HashSet;

use sqlx::Connection;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::PgConnection;

use crate::catalog::quote;
use crate::config::Migrations;
use crate::error::Error;
use crate::pg::database_error;
use crate::secret::SecretUrl;
use crate::shell::{self, Ending, ShellCommand};

/// The reference schema's migrations in `migrations/`, compiled into the binary: file name
/// and text. (Listed here rather than read by sqlx's `migrate!` macro, whose proc-macro
/// would compile sqlx a second time for the build host.)
const REFERENCE_MIGRATIONS: &[(&str, &str)] = &[(
    "20261122000001_reference_schema.sql",
    include_str!("../migrations/20261122000001_reference_schema.sql"),
)];

/// The embedded reference schema as an sqlx migration source: version, description and
/// checksum exactly as sqlx derives them from a migrations directory, so that databases
/// migrated by either agree.
#[derive(Debug)]
struct ReferenceSchema;

impl MigrationSource<'static> for ReferenceSchema {
    fn resolve(
        self,
    ) -> futures_util::future::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>>
    {
        Box::pin(async {
            REFERENCE_MIGRATIONS
                .iter()
                .map(|(file, sql)| embedded_migration(file, sql))
                .collect()
        })
    }
}

/// The migration of `<version>_<description>.sql` holding `sql`.
fn embedded_migration(
    file: &str,
    sql: &'static str,
) -> Result<Migration, sqlx::error::BoxDynError> {
    let (version, rest) = file
        .split_once('_')
        .ok_or("a migration file name has no version")?;
    let migration_type = MigrationType::from_filename(rest);
    let description = rest
        .trim_end_matches(migration_type.suffix())
        .replace('_', " ");
    Ok(Migration::new(
        version.parse()?,
        Cow::Owned(description),
        migration_type,
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}

/// The reference schema's migrator.
pub async fn reference_migrator() -> Result<Migrator, Error> {
    Migrator::new(ReferenceSchema)
        .await
        .map_err(|source| Error::MigrationsDir {
            path: "restage's embedded reference schema".to_owned(),
            source,
        })
}

/// restage's own schema (the seeders' bookkeeping), recreated by every reset beside the
/// application's schemas.
pub const RESTAGE_SCHEMA: &str = "restage";

/// A migration applied by this run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AppliedMigration {
    pub version: i64,
    pub description: String,
}

/// The configured migrations, ready to run.
pub enum Runner {
    /// sqlx migrations (the reference schema or a directory): run inside a transaction.
    Sqlx(Migrator),
    /// The application's command: it makes its own connections, so it cannot share a
    /// transaction with restage.
    Command(MigrationCommand),
}

/// The application's migration command, and the variables of restage's environment it
/// inherits beyond the usual ones (`[hooks] pass_env`).
pub struct MigrationCommand {
    pub command: String,
    pub pass_env: Vec<String>,
}

impl Runner {
    /// Reads the migrations directory, if that is the runner, so that a bad directory stops
    /// the command before anything is touched. A migration command inherits the variables
    /// `pass_env` names.
    pub async fn load(migrations: &Migrations, pass_env: &[String]) -> Result<Runner, Error> {
        Ok(match migrations {
            Migrations::Reference => Runner::Sqlx(reference_migrator().await?),
            Migrations::Directory(dir) => {
                let migrator =
                    Migrator::new(dir.as_path())
                        .await
                        .map_err(|source| Error::MigrationsDir {
                            path: dir.display().to_string(),
                            source,
                        })?;
                Runner::Sqlx(migrator)
            }
            Migrations::Command(command) => Runner::Command(MigrationCommand {
                command: command.clone(),
                pass_env: pass_env.to_vec(),
            }),
        })
    }

    /// The command, when the runner is one.
    pub fn command(&self) -> Option<&str> {
        match self {
            Runner::Command(migration) => Some(&migration.command),
            Runner::Sqlx(_) => None,
        }
    }
}

/// Applies the pending migrations of `runner` to the database at `url`: sqlx migrations in
/// one transaction (returned), a command as it is (nothing to list).
pub async fn migrate(
    runner: &Runner,
    url: &SecretUrl,
    consequence: &'static str,
) -> Result<Vec<AppliedMigration>, Error> {
    match runner {
        Runner::Sqlx(migrations) => {
            let mut connection =
                crate::pg::connect(url, "staging database", "restage migrate").await?;
            let mut transaction = connection
                .begin()
                .await
                .map_err(database_error(url, "starting a transaction"))?;
            let applied = migrate_in(&mut transaction, url, migrations).await?;
            transaction
                .commit()
                .await
                .map_err(database_error(url, "committing the migrations"))?;
            Ok(applied)
        }
        Runner::Command(migration) => {
            run_command(migration, url, consequence).await?;
            Ok(Vec::new())
        }
    }
}

/// Drops `schemas` (and restage's own) with everything in them and creates them again empty,
/// and forgets the sqlx migration history wherever it lives (`public` need not be one of the
/// schemas), on a connection inside the caller's transaction.
pub async fn recreate_schemas(
    connection: &mut PgConnection,
    url: &SecretUrl,
    schemas: &[String],
) -> Result<(), Error> {
    for schema in schemas.iter().map(String::as_str).chain([RESTAGE_SCHEMA]) {
        let recreate = format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}; \
             GRANT USAGE ON SCHEMA {name} TO PUBLIC;",
            name = quote(schema)
        );
        sqlx::raw_sql(&recreate)
            .execute(&mut *connection)
            .await
            .map_err(database_error(url, &format!("recreating schema {schema}")))?;
    }
    sqlx::raw_sql("DROP TABLE IF EXISTS _sqlx_migrations")
        .execute(&mut *connection)
        .await
        .map_err(database_error(url, "forgetting the migration history"))?;
    Ok(())
}

/// Runs the migrator on a connection that is already inside a transaction (sqlx then
/// wraps each migration in a savepoint), after noting which migrations are pending.
pub async fn migrate_in(
    connection: &mut PgConnection,
    url: &SecretUrl,
    migrator: &Migrator,
) -> Result<Vec<AppliedMigration>, Error> {
    let done = applied_versions(connection, url).await?;
    let pending: Vec<AppliedMigration> = migrator
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .filter(|migration| !done.contains(&migration.version))
        .map(|migration| AppliedMigration {
            version: migration.version,
            description: migration.description.to_string(),
        })
        .collect();
    migrator
        .run(&mut *connection)
        .await
        .map_err(|source| Error::Migrate {
            url: url.to_string(),
            source,
        })?;
    Ok(pending)
}

/// Runs the application's migration command with `sh -c`, `DATABASE_URL` and
/// `STAGING_DATABASE_URL` set to `url`; its standard output goes to restage's standard error
/// (so `--json` output stays one document), its standard error is passed through.
pub async fn run_command(
    migration: &MigrationCommand,
    url: &SecretUrl,
    consequence: &'static str,
) -> Result<(), Error> {
    let command = migration.command.as_str();
    tracing::info!(command, database = %url, "running the migration command");
    let finished = shell::run(ShellCommand {
        command,
        pass_env: &migration.pass_env,
        label: "migrate",
        env: vec![
            ("DATABASE_URL", url.expose().to_owned()),
            ("STAGING_DATABASE_URL", url.expose().to_owned()),
        ],
        timeout: None,
    })
    .await;
    if finished.ending == Ending::Success {
        return Ok(());
    }
    let outcome = finished.ending.describe();
    Err(Error::MigrationCommand {
        command: command.to_owned(),
        outcome,
        url: url.to_string(),
        consequence,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded migrations are the ones sqlx reads from `migrations/`, checksums
    /// included: a staging migrated by an earlier build (or by sqlx's own CLI) agrees.
    #[tokio::test]
    async fn the_embedded_reference_schema_is_sqlx_s_reading_of_the_migrations_directory() {
        let directory =
            Migrator::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
                .await
                .expect("migrations/");
        let embedded = reference_migrator().await.expect("embedded");
        let fields = |migrator: &Migrator| -> Vec<(i64, String, Vec<u8>, bool)> {
            migrator
                .iter()
                .map(|m| {
                    (
                        m.version,
                        m.description.to_string(),
                        m.checksum.to_vec(),
                        m.no_tx,
                    )
                })
                .collect()
        };
        assert_eq!(fields(&embedded), fields(&directory));
        assert!(!fields(&embedded).is_empty());
    }
}
