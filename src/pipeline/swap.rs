//! Loading beside staging and swapping in: the copy goes into `<staging>_restage_next`; only
//! when everything succeeded is staging renamed to `<staging>_restage_prev` (kept until the
//! next successful copy, for `restage rollback`) and the new database renamed to staging.
//! A failed or killed copy leaves staging as it was.

use sqlx::postgres::PgConnection;

use crate::catalog::quote;
use crate::error::Error;
use crate::pg::{self, database_error};
use crate::privileges::{self, Captured};
pub use crate::safety::SwapNames;
use crate::secret::SecretUrl;

/// Whether database `name` exists on the server.
pub async fn exists(admin: &mut PgConnection, url: &SecretUrl, name: &str) -> Result<bool, Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(admin)
        .await
        .map_err(database_error(url, "looking up databases"))
}

/// Drops database `name` if it exists, disconnecting its sessions.
pub async fn drop_database(
    admin: &mut PgConnection,
    url: &SecretUrl,
    name: &str,
) -> Result<(), Error> {
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote(name)
    ))
    .execute(admin)
    .await
    .map_err(database_error(url, &format!("dropping database {name}")))?;
    Ok(())
}

/// What staging grants now, to give the database swapped in for it (nothing when there is
/// no staging database yet).
pub async fn staging_privileges(
    admin: &mut PgConnection,
    admin_url: &SecretUrl,
    names: &SwapNames,
    staging: &SecretUrl,
) -> Result<Captured, Error> {
    if !exists(admin, admin_url, &names.staging).await? {
        return Ok(Captured::default());
    }
    let mut connection = pg::connect(staging, "staging database", "restage").await?;
    privileges::capture(&mut connection, staging).await
}

/// Creates the empty database the copy loads into (dropping a leftover of a crashed run).
pub async fn create_next(
    admin: &mut PgConnection,
    url: &SecretUrl,
    names: &SwapNames,
) -> Result<(), Error> {
    drop_database(admin, url, &names.next).await?;
    sqlx::query(&format!(
        "CREATE DATABASE {} TEMPLATE template0",
        quote(&names.next)
    ))
    .execute(admin)
    .await
    .map_err(database_error(
        url,
        &format!("creating database {}", names.next),
    ))?;
    Ok(())
}

/// Renames databases in one transaction — `(from, to)` pairs, in order — so that a kill at
/// any instant leaves all of them renamed or none: staging's name always points at a
/// complete database. Sessions on the databases are disconnected first (a database with
/// sessions cannot be renamed); a client that reconnects in between fails the transaction,
/// which is then tried again.
async fn rename_together(
    admin: &mut PgConnection,
    url: &SecretUrl,
    renames: &[(&str, &str)],
) -> Result<(), Error> {
    let action = renames
        .iter()
        .map(|(from, to)| format!("renaming database {from} to {to}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut last_error = None;
    for _ in 0..5 {
        let froms: Vec<String> = renames.iter().map(|(from, _)| (*from).to_owned()).collect();
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()")
            .bind(froms)
            .execute(&mut *admin)
            .await
            .map_err(database_error(url, &action))?;
        match renamed_in_one_transaction(admin, renames).await {
            Ok(()) => return Ok(()),
            Err(error) => last_error = Some(error),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(Error::Database {
        action,
        url: url.to_string(),
        source: last_error.unwrap_or(sqlx::Error::PoolClosed),
    })
}

async fn renamed_in_one_transaction(
    admin: &mut PgConnection,
    renames: &[(&str, &str)],
) -> Result<(), sqlx::Error> {
    let mut transaction = sqlx::Connection::begin(&mut *admin).await?;
    for (from, to) in renames {
        let sql = format!("ALTER DATABASE {} RENAME TO {}", quote(from), quote(to));
        sqlx::query(&sql).execute(&mut *transaction).await?;
    }
    transaction.commit().await
}

/// Swaps the loaded database in, atomically; staging becomes the previous copy. Returns
/// whether there was a staging database to keep.
pub async fn swap_in(
    admin: &mut PgConnection,
    url: &SecretUrl,
    names: &SwapNames,
) -> Result<bool, Error> {
    let had_staging = exists(admin, url, &names.staging).await?;
    if had_staging {
        drop_database(admin, url, &names.previous).await?;
        rename_together(
            admin,
            url,
            &[
                (&names.staging, &names.previous),
                (&names.next, &names.staging),
            ],
        )
        .await?;
    } else {
        rename_together(admin, url, &[(&names.next, &names.staging)]).await?;
    }
    Ok(had_staging)
}

/// Swaps the previous copy back in, atomically; the current staging becomes the previous copy.
pub async fn roll_back(
    admin: &mut PgConnection,
    url: &SecretUrl,
    names: &SwapNames,
) -> Result<(), Error> {
    if !exists(admin, url, &names.previous).await? {
        return Err(Error::Refused(format!(
            "there is no previous staging database {} to roll back to; it exists only after a \
             successful `restage copy` that swapped staging",
            names.previous
        )));
    }
    let parked = format!("{}_restage_swap", names.staging);
    if exists(admin, url, &names.staging).await? {
        rename_together(
            admin,
            url,
            &[
                (&names.staging, &parked),
                (&names.previous, &names.staging),
                (&parked, &names.previous),
            ],
        )
        .await
    } else {
        rename_together(admin, url, &[(&names.previous, &names.staging)]).await
    }
}

/// `--no-swap` loads into staging itself, which must hold no table yet.
pub async fn ensure_empty(staging: &SecretUrl) -> Result<Existing, Error> {
    let mut connection = pg::connect(staging, "staging database", "restage copy").await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_%'",
    )
    .fetch_one(&mut connection)
    .await
    .map_err(database_error(staging, "looking at the staging database"))?;
    if tables > 0 {
        return Err(Error::Refused(format!(
            "{staging} already holds {tables} table(s); --no-swap loads only into an empty database \
             (drop it and create it again, or copy without --no-swap)"
        )));
    }
    let oids: Vec<i64> = sqlx::query_scalar(EXISTING_OBJECTS)
        .fetch_all(&mut connection)
        .await
        .map_err(database_error(staging, "looking at the staging database"))?;
    Ok(Existing(oids))
}

/// The objects an empty staging database held before a `--no-swap` copy loaded into it, so
/// that a failed copy drops what it built and leaves those.
#[derive(Debug, Clone)]
pub struct Existing(Vec<i64>);

const EXISTING_OBJECTS: &str =
    "SELECT oid::int8 FROM pg_namespace UNION ALL SELECT oid::int8 FROM pg_class
    UNION ALL SELECT oid::int8 FROM pg_proc UNION ALL SELECT oid::int8 FROM pg_type
    UNION ALL SELECT oid::int8 FROM pg_extension";

/// `DROP` statements for what a load created in an empty database: extensions, schemas (with
/// what they hold), then tables, views, sequences, routines and types in the schemas that were
/// there before; each `CASCADE`, `IF EXISTS` since an earlier one may have taken it along.
const BUILT_OBJECTS: &str = "
    SELECT format('DROP EXTENSION IF EXISTS %I CASCADE', extname) FROM pg_extension
      WHERE oid::int8 <> ALL($1)
    UNION ALL
    SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', nspname) FROM pg_namespace
      WHERE oid::int8 <> ALL($1) AND nspname NOT LIKE 'pg\\_%'
    UNION ALL
    SELECT format('DROP %s IF EXISTS %s CASCADE',
        CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
          WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, c.oid::regclass)
      FROM pg_class c WHERE c.oid::int8 <> ALL($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND NOT c.relispartition AND c.relnamespace::int8 = ANY($1)
        AND c.relnamespace <> 'pg_catalog'::regnamespace
    UNION ALL
    SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure) FROM pg_proc p
      WHERE p.oid::int8 <> ALL($1) AND p.pronamespace::int8 = ANY($1)
        AND p.pronamespace <> 'pg_catalog'::regnamespace
    UNION ALL
    SELECT format('DROP TYPE IF EXISTS %s CASCADE', t.oid::regtype) FROM pg_type t
      WHERE t.oid::int8 <> ALL($1) AND t.typnamespace::int8 = ANY($1) AND t.typrelid = 0
        AND t.typelem = 0 AND t.typnamespace <> 'pg_catalog'::regnamespace";

/// Drops what a failed `--no-swap` copy built in `staging`, which held only `existing` before:
/// staging is left as empty as it was.
pub async fn drop_built(staging: &SecretUrl, existing: &Existing) -> Result<(), Error> {
    let mut connection = pg::connect(staging, "staging database", "restage copy").await?;
    let statements: Vec<String> = sqlx::query_scalar(BUILT_OBJECTS)
        .bind(&existing.0)
        .fetch_all(&mut connection)
        .await
        .map_err(database_error(staging, "listing what the copy built"))?;
    for statement in statements {
        sqlx::query(&statement)
            .execute(&mut connection)
            .await
            .map_err(database_error(staging, "dropping what the copy built"))?;
    }
    Ok(())
}
