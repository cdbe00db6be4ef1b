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
pub async fn ensure_empty(staging: &SecretUrl) -> Result<(), Error> {
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
    Ok(())
}
