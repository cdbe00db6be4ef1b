//! Safety: production never written, one writer at a time.
//!
//! Every command that writes calls [`ensure_writable_target`] before touching anything and
//! holds a [`StagingLock`] while it works.

use std::io::{BufRead, IsTerminal, Write};

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::config::Production;
use crate::error::Error;
use crate::pg::{self, Endpoint};
use crate::secret::{SecretUrl, redact};

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
    /// [`Error::Locked`] naming the command that holds it.
    pub async fn acquire(
        staging: &SecretUrl,
        maintenance_database: &str,
        command: &str,
    ) -> Result<StagingLock, Error> {
        let database = pg::database_name(staging).unwrap_or_default();
        let maintenance = pg::with_database(staging, maintenance_database);
        let mut connection =
            pg::connect(&maintenance, pg::MAINTENANCE, &format!("restage {command}")).await?;
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1), hashtext($2))")
                .bind(LOCK_NAMESPACE)
                .bind(&database)
                .fetch_one(&mut connection)
                .await
                .map_err(|source| Error::Database {
                    action: "taking the restage lock".into(),
                    url: maintenance.to_string(),
                    source,
                })?;
        if !locked {
            let holder = lock_holder(&mut connection, &database).await.map_or_else(
                || "held by another session".to_owned(),
                |holder| format!("held by {holder}"),
            );
            return Err(Error::Locked {
                database: format!("{database} on {}", redact(staging.expose())),
                holder,
            });
        }
        tracing::debug!(database, "restage lock taken");
        Ok(StagingLock {
            connection,
            database,
        })
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

/// Who holds the lock of staging database `database`, if anyone does:
/// `'restage refresh', server pid 4242, since 2026-12-03 02:00:01 UTC`.
pub async fn lock_holder(connection: &mut PgConnection, database: &str) -> Option<String> {
    let holder: Result<Option<(String, i32, String)>, _> = sqlx::query_as(
        "SELECT a.application_name, a.pid, to_char(a.backend_start AT TIME ZONE 'UTC', \
                'YYYY-MM-DD HH24:MI:SS \"UTC\"') \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
           AND l.classid = hashtext($1)::oid AND l.objid = hashtext($2)::oid \
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
