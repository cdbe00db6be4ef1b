//! Safety: production never written, one writer at a time.
//!
//! Every command that writes calls [`ensure_writable_target`] before touching anything (a
//! quick look at the URLs' spelling) and holds a [`StagingLock`] while it works; taking the
//! lock compares the *identity* of the staging server with production's, and a copy compares
//! it with the source's ([`ensure_not_the_same`]), by connecting — never by how a host is
//! spelled.

pub mod identity;

use std::io::{BufRead, IsTerminal, Write};

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::config::{Production, Settings};
use crate::error::Error;
use crate::pg::{self, Endpoint, database_error};
use crate::secret::{SecretUrl, redact};
use identity::Identity;

/// Refuses a write target that is production, or that is the source of the same run.
pub fn ensure_writable_target(
    target: &SecretUrl,
    production: &Production,
    source: Option<&SecretUrl>,
) -> Result<(), Error> {
    let target_endpoint = Endpoint::of(target)
        .ok_or_else(|| Error::Refused(format!("cannot tell where {target} points")))?;
    if let Some(production_url) = &production.url
        && Endpoint::of(production_url).as_ref() == Some(&target_endpoint)
    {
        return Err(Error::Refused(format!(
            "{target} is the production database ([production] url); restage never \
             writes to production: point --staging-url at the staging database"
        )));
    }
    if let Some(reason) = production_host_match(&target_endpoint.host, production) {
        return Err(Error::Refused(format!(
            "{target} is on the production server ({reason}); restage never writes to \
             production: point --staging-url at the staging database"
        )));
    }
    if let Some(source) = source
        && Endpoint::of(source).as_ref() == Some(&target_endpoint)
    {
        return Err(Error::Refused(format!(
            "the target {target} is the source database itself; choose another target"
        )));
    }
    Ok(())
}

/// Refuses (exit 3) a staging server that is production's: `[production] url` reached and
/// found to be the same server and one of the databases restage writes there (staging and
/// the two beside it), or — when production cannot be reached — a URL whose host resolves to
/// one of the addresses production's does; and any database on the server of
/// `[production] endpoint`. `server` is the staging server's identity, read on the
/// connection restage writes through.
pub async fn ensure_not_production(
    server: &Identity,
    staging: &SecretUrl,
    production: &Production,
) -> Result<(), Error> {
    if let Some(production_url) = &production.url {
        ensure_not_the_same(
            server,
            staging,
            production_url,
            "the production database ([production] url)",
        )
        .await?;
    }
    if let Some(endpoint) = &production.endpoint {
        ensure_not_on_endpoint(staging, endpoint).await?;
    }
    Ok(())
}

/// Refuses (exit 3) when `other` (the source, production) is the same server as the staging
/// server `server` and its database is one restage would write, create, rename or drop
/// there. `other` is reached and its identity compared; when it cannot be reached, the
/// addresses its host resolves to are compared instead, and the message says so.
pub async fn ensure_not_the_same(
    server: &Identity,
    staging: &SecretUrl,
    other: &SecretUrl,
    what: &str,
) -> Result<(), Error> {
    let written = written_databases(staging);
    match identity::reach(other, "database restage must not write").await {
        Ok(theirs) => {
            if theirs.server.same_as(&server.server) && written.contains(&theirs.database) {
                return Err(Error::Refused(format!(
                    "{staging} is {what} {other}: both reach the same server ({}) and database \
                     {}; restage never writes there: point the staging URL at another database",
                    theirs.server.describe(),
                    theirs.database
                )));
            }
            Ok(())
        }
        Err(unreachable) => {
            let shared = match (
                identity::addresses(staging).await,
                identity::addresses(other).await,
            ) {
                (Ok(mine), Ok(theirs)) => mine.intersection(&theirs).next().copied(),
                (_, Err(reason)) | (Err(reason), _) => {
                    tracing::warn!(
                        %other,
                        "{what} could not be reached ({unreachable}) nor its addresses \
                         compared ({reason}); only the URLs' spelling was compared"
                    );
                    return Ok(());
                }
            };
            let their_database = pg::database_name(other).unwrap_or_default();
            if let Some((address, port)) = shared
                && written.contains(&their_database)
            {
                return Err(Error::Refused(format!(
                    "{staging} may be {what} {other}: it could not be reached to compare \
                     server identities ({unreachable}), and both hosts resolve to {address} \
                     port {port}, database {their_database}; restage never writes there: \
                     point the staging URL at another database"
                )));
            }
            tracing::warn!(
                %other,
                "{what} could not be reached to compare server identities ({unreachable}); \
                 compared the addresses its host resolves to"
            );
            Ok(())
        }
    }
}

/// Refuses a staging URL whose host resolves to an address of the production endpoint (on
/// the staging URL's port): `[production] endpoint`, or the endpoint RDS gives production's
/// instance.
pub async fn ensure_not_on_endpoint(staging: &SecretUrl, endpoint: &str) -> Result<(), Error> {
    let Ok(mine) = identity::addresses(staging).await else {
        return Ok(());
    };
    let Some(port) = mine.iter().map(|(_, port)| *port).next() else {
        return Ok(());
    };
    let theirs = match identity::resolve(endpoint, port).await {
        Ok(theirs) => theirs,
        Err(reason) => {
            tracing::warn!("production's endpoint {endpoint}: {reason}; compared its name only");
            return Ok(());
        }
    };
    match mine.intersection(&theirs).next() {
        Some((address, _)) => Err(Error::Refused(format!(
            "{staging} is on the production server: its host resolves to {address}, an \
             address of production's endpoint {endpoint}; restage never writes to \
             production: point the staging URL at the staging server"
        ))),
        None => Ok(()),
    }
}

/// The databases a run on `staging` may write, create, rename or drop: staging and the two
/// beside it.
fn written_databases(staging: &SecretUrl) -> Vec<String> {
    match SwapNames::beside(staging) {
        Ok(names) => vec![names.staging, names.next, names.previous],
        Err(_) => vec![pg::database_name(staging).unwrap_or_default()],
    }
}

/// The three database names of a swap: staging and the two beside it, the databases a run
/// may write, create, rename or drop (so also what the identity check protects).
#[derive(Debug, Clone)]
pub struct SwapNames {
    pub staging: String,
    pub next: String,
    pub previous: String,
}

/// PostgreSQL's limit on identifier length, in bytes.
const MAX_NAME: usize = 63;

impl SwapNames {
    /// The names beside staging database `staging`.
    pub fn new(staging: &str) -> Result<SwapNames, Error> {
        let names = SwapNames {
            staging: staging.to_owned(),
            next: format!("{staging}_restage_next"),
            previous: format!("{staging}_restage_prev"),
        };
        if names.previous.len() > MAX_NAME {
            return Err(Error::Refused(format!(
                "the staging database name '{staging}' is too long to keep a '_restage_prev' copy beside it \
                 (at most {} characters); use --no-swap or a shorter name",
                MAX_NAME - "_restage_prev".len()
            )));
        }
        Ok(names)
    }

    /// The names beside the staging database `staging` points at.
    pub fn beside(staging: &SecretUrl) -> Result<SwapNames, Error> {
        SwapNames::new(&pg::database_name(staging).unwrap_or_default())
    }
}

/// Why `host` is a production host, if it is one: the configured endpoint, or the
/// `<instance-id>.<…>.rds.amazonaws.com` endpoint of the production RDS instance.
fn production_host_match(host: &str, production: &Production) -> Option<String> {
    if let Some(endpoint) = &production.endpoint
        && pg::normalize_host(endpoint) == host
    {
        return Some(format!("[production] endpoint = {endpoint}"));
    }
    let instance = production.rds_instance_id.as_deref()?.to_ascii_lowercase();
    let is_rds_endpoint = host.starts_with(&format!("{instance}."))
        && (host.ends_with(".rds.amazonaws.com") || host.ends_with(".rds.amazonaws.com.cn"));
    is_rds_endpoint.then(|| format!("the endpoint of RDS instance {instance}"))
}

/// Refuses to flush the production Redis (same host, port and database number).
pub fn ensure_writable_redis(target: &SecretUrl, production: &Production) -> Result<(), Error> {
    let Some(production_redis) = &production.redis_url else {
        return Ok(());
    };
    if redis_endpoint(target) == redis_endpoint(production_redis) {
        return Err(Error::Refused(format!(
            "{target} is the production Redis ([production] redis_url); restage never \
             writes to production: point --redis-url at the staging Redis"
        )));
    }
    Ok(())
}

fn redis_endpoint(url: &SecretUrl) -> Option<(String, u16, String)> {
    let parsed = url::Url::parse(url.expose()).ok()?;
    let db = parsed.path().trim_matches('/');
    Some((
        pg::normalize_host(parsed.host_str()?),
        parsed.port().unwrap_or(6379),
        if db.is_empty() {
            "0".to_owned()
        } else {
            db.to_owned()
        },
    ))
}

/// An advisory lock that keeps two writing commands (reset, refresh, …) off one staging
/// database. It lives on the server's maintenance database, not on staging itself, so that
/// staging can be dropped or renamed while the lock is held. Released when dropped.
pub struct StagingLock {
    connection: PgConnection,
    database: String,
}

/// The first half of the two-part advisory lock key: restage's own namespace.
const LOCK_NAMESPACE: &str = "restage";

impl StagingLock {
    /// Takes the lock for the staging database of `staging`, or fails at once with
    /// [`Error::Locked`] naming the command that holds it. Before that, it refuses (exit 3) a
    /// staging server and database that are production's ([`ensure_not_production`]).
    ///
    /// The lock is one per staging database whatever the configuration: its key is the
    /// staging database's name, and a run that took it in one maintenance database still
    /// gives way to a run holding it in another (advisory locks belong to the database they
    /// are taken in, so restage looks for the key in every database of the server).
    ///
    /// `holder` names the run in `pg_stat_activity` (`refresh 20261203020000-4242`): what
    /// another run that finds the lock taken shows, and how `restage cleanup` tells a run
    /// that is alive ([`live_runs`]).
    pub async fn acquire(
        staging: &SecretUrl,
        maintenance_database: &str,
        holder: &str,
        production: &Production,
    ) -> Result<StagingLock, Error> {
        let database = pg::database_name(staging).unwrap_or_default();
        let maintenance = pg::with_database(staging, maintenance_database);
        let mut connection =
            pg::connect(&maintenance, pg::MAINTENANCE, &format!("restage {holder}")).await?;
        let server = identity::read(&mut connection)
            .await
            .map_err(database_error(
                &maintenance,
                "reading the staging server's identity",
            ))?;
        ensure_not_production(&server, staging, production).await?;
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1), hashtext($2))")
                .bind(LOCK_NAMESPACE)
                .bind(&database)
                .fetch_one(&mut connection)
                .await
                .map_err(database_error(&maintenance, "taking the restage lock"))?;
        let holder = lock_holder(&mut connection, &database).await;
        if !locked || holder.is_some() {
            let _ = connection.close().await;
            return Err(Error::Locked {
                database: format!("{database} on {}", redact(staging.expose())),
                holder: holder.map_or_else(
                    || "held by another session".to_owned(),
                    |holder| format!("held by {holder}"),
                ),
            });
        }
        tracing::debug!(database, "restage lock taken");
        Ok(StagingLock {
            connection,
            database,
        })
    }

    /// [`StagingLock::acquire`] with the maintenance database and production of `settings`.
    pub async fn acquire_configured(
        settings: &Settings,
        staging: &SecretUrl,
        holder: &str,
    ) -> Result<StagingLock, Error> {
        let maintenance = &settings.maintenance_database;
        StagingLock::acquire(staging, maintenance, holder, &settings.production).await
    }

    /// Releases the lock now (dropping it also does, when the connection closes).
    pub async fn release(mut self) {
        let unlocked = sqlx::query("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))")
            .bind(LOCK_NAMESPACE)
            .bind(&self.database)
            .execute(&mut self.connection)
            .await;
        if let Err(error) = unlocked {
            tracing::warn!(%error, "releasing the restage lock; it goes with the connection");
        }
        let _ = self.connection.close().await;
    }
}

/// Who else holds the lock of staging database `database`, in any database of the server,
/// if anyone does: `'restage refresh', server pid 4242, since 2026-12-03 02:00:01 UTC`.
pub async fn lock_holder(connection: &mut PgConnection, database: &str) -> Option<String> {
    let holder: Result<Option<(String, i32, String)>, _> = sqlx::query_as(
        "SELECT a.application_name, a.pid, to_char(a.backend_start AT TIME ZONE 'UTC', \
                'YYYY-MM-DD HH24:MI:SS \"UTC\"') \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
           AND l.classid = hashtext($1)::oid AND l.objid = hashtext($2)::oid \
           AND l.pid <> pg_backend_pid() \
         LIMIT 1",
    )
    .bind(LOCK_NAMESPACE)
    .bind(database)
    .fetch_optional(connection)
    .await;
    match holder {
        Ok(Some((application, pid, since))) => {
            Some(format!("'{application}', server pid {pid}, since {since}"))
        }
        _ => None,
    }
}

/// The run ids of the runs holding a staging lock on the server of `staging` now (in any of
/// its databases): the runs that are alive, whatever their age.
pub async fn live_runs(
    staging: &SecretUrl,
    maintenance_database: &str,
) -> Result<Vec<String>, Error> {
    let maintenance = pg::with_database(staging, maintenance_database);
    let mut connection = pg::connect(&maintenance, pg::MAINTENANCE, "restage cleanup").await?;
    let holders: Vec<String> = sqlx::query_scalar(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
           AND l.classid = hashtext($1)::oid",
    )
    .bind(LOCK_NAMESPACE)
    .fetch_all(&mut connection)
    .await
    .map_err(database_error(
        &maintenance,
        "looking for runs that hold a staging lock",
    ))?;
    Ok(holders
        .iter()
        .filter_map(|holder| holder.split_whitespace().nth(2).map(str::to_owned))
        .collect())
}

/// Asks before a destructive action: `yes` (`--yes`) skips the question; without a terminal on
/// stdin (a scheduler, CI, a pipe) nobody can answer, so the action is refused.
pub fn confirm(yes: bool, action: &str, consequences: &str) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::NotConfirmed {
            action: action.to_owned(),
        });
    }
    let mut stderr = std::io::stderr();
    let prompt = format!("{consequences}\nContinue with {action}? [y/N] ");
    let io_error = |source| Error::Io {
        action: "asking for confirmation".into(),
        source,
    };
    stderr
        .write_all(prompt.as_bytes())
        .and_then(|()| stderr.flush())
        .map_err(io_error)?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(io_error)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Error::Declined {
            action: action.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production(url: Option<&str>, endpoint: Option<&str>, instance: Option<&str>) -> Production {
        Production {
            url: url.map(SecretUrl::new),
            endpoint: endpoint.map(str::to_owned),
            rds_instance_id: instance.map(str::to_owned),
            ..Production::default()
        }
    }

    #[test]
    fn refuses_production_targets() {
        let target = SecretUrl::new("postgres://u:p@localhost:5432/app");
        let same_db = production(Some("postgres://other@127.0.0.1/app"), None, None);
        assert!(ensure_writable_target(&target, &same_db, None).is_err());
        let other_db = production(Some("postgres://127.0.0.1/prod"), None, None);
        assert!(ensure_writable_target(&target, &other_db, None).is_ok());

        let rds = SecretUrl::new("postgres://u@Prod-DB.abc123.eu-west-1.rds.amazonaws.com/app");
        let by_instance = production(None, None, Some("prod-db"));
        assert!(ensure_writable_target(&rds, &by_instance, None).is_err());
        let by_endpoint = production(
            None,
            Some("prod-db.abc123.eu-west-1.rds.amazonaws.com"),
            None,
        );
        assert!(ensure_writable_target(&rds, &by_endpoint, None).is_err());
        let staging = SecretUrl::new("postgres://u@staging.abc123.eu-west-1.rds.amazonaws.com/app");
        assert!(ensure_writable_target(&staging, &by_instance, None).is_ok());
    }

    #[test]
    fn refuses_the_source_as_target() {
        let target = SecretUrl::new("postgres://localhost/app");
        let source = SecretUrl::new("postgres://127.0.0.1:5432/app");
        let result = ensure_writable_target(&target, &Production::default(), Some(&source));
        assert!(matches!(result, Err(Error::Refused(_))));
    }
}
