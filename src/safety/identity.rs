//! Which server and database a URL really reaches: PostgreSQL's system identifier and the
//! start time of its postmaster (together they tell one running server from any other,
//! including a replica or an instance restored from a snapshot of it), and the database's
//! name. Compared by connecting, so that an alias, a CNAME, `127.1` or `[::ffff:127.0.0.1]`
//! is the same server as the name it stands for.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use sqlx::postgres::PgConnection;

use crate::pg;
use crate::secret::SecretUrl;

/// How long restage tries to reach production to compare identities before it compares
/// addresses instead.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(5);

/// One running PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `pg_control_system()`'s system identifier (set by initdb; a replica shares it), when
    /// the role may read it.
    pub system_identifier: Option<String>,
    /// `pg_postmaster_start_time()` to the microsecond: tells the servers that share a system
    /// identifier apart.
    pub started: String,
    /// The port it listens on (`current_setting('port')`).
    pub port: String,
}

impl Server {
    /// Whether `self` and `other` are the same running server.
    pub fn same_as(&self, other: &Server) -> bool {
        let identifiers_agree = match (&self.system_identifier, &other.system_identifier) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => self.port == other.port,
        };
        identifiers_agree && self.started == other.started
    }

    /// `system identifier 7715113011573225624, started 2026-12-03 16:00:00.123456+00`.
    pub fn describe(&self) -> String {
        match &self.system_identifier {
            Some(identifier) => {
                format!("system identifier {identifier}, started {}", self.started)
            }
            None => format!("port {}, started {}", self.port, self.started),
        }
    }
}

/// The server and database a connection reached.
#[derive(Debug, Clone)]
pub struct Identity {
    pub server: Server,
    /// `current_database()`: the real name, whatever a pooler calls it.
    pub database: String,
}

/// Reads the identity of the server and database `connection` is on (outside a transaction).
pub async fn read(connection: &mut PgConnection) -> Result<Identity, sqlx::Error> {
    let system_identifier = match sqlx::query_scalar::<_, Option<String>>(
        "SELECT CASE WHEN has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE') \
                     THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) END",
    )
    .fetch_one(&mut *connection)
    .await
    {
        Ok(identifier) => identifier,
        // Servers that do not offer it (some managed services): start time and port.
        Err(error) => {
            tracing::debug!(%error, "no system identifier");
            None
        }
    };
    let (started, port, database): (String, String, String) = sqlx::query_as(
        "SELECT to_char(pg_catalog.pg_postmaster_start_time() AT TIME ZONE 'UTC', \
                        'YYYY-MM-DD HH24:MI:SS.US'), \
                pg_catalog.current_setting('port'), pg_catalog.current_database()",
    )
    .fetch_one(connection)
    .await?;
    Ok(Identity {
        server: Server {
            system_identifier,
            started,
            port,
        },
        database,
    })
}

/// Connects to `url` (within [`REACH_TIMEOUT`]) and reads its identity; the reason when it
/// cannot be reached.
pub async fn reach(url: &SecretUrl, role: &'static str) -> Result<Identity, String> {
    let connecting = pg::connect(url, role, "restage safety check");
    let mut connection = match tokio::time::timeout(REACH_TIMEOUT, connecting).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => return Err(crate::error::error_chain(&error)),
        Err(_) => return Err(format!("no answer within {}s", REACH_TIMEOUT.as_secs())),
    };
    read(&mut connection)
        .await
        .map_err(|error| format!("reading its identity: {error}"))
}

/// Every address a PostgreSQL URL's host resolves to, with its port ([`resolve`]); a Unix
/// socket is loopback.
pub async fn addresses(url: &SecretUrl) -> Result<BTreeSet<(IpAddr, u16)>, String> {
    let options = pg::parse_options(url)?;
    let host = options.get_host();
    if host.starts_with('/') {
        return Ok(BTreeSet::from([(
            IpAddr::from([127, 0, 0, 1]),
            options.get_port(),
        )]));
    }
    resolve(host, options.get_port()).await
}

/// Every address `host` resolves to (A and AAAA records; an IPv4-mapped IPv6 address counts
/// as its IPv4 address), with `port`.
pub async fn resolve(host: &str, port: u16) -> Result<BTreeSet<(IpAddr, u16)>, String> {
    let host = host.trim_matches(|c| c == '[' || c == ']');
    let resolved = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| format!("{host} does not resolve: {error}"))?;
    Ok(resolved
        .map(|address| (address.ip().to_canonical(), address.port()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(identifier: Option<&str>, started: &str, port: &str) -> Server {
        Server {
            system_identifier: identifier.map(str::to_owned),
            started: started.to_owned(),
            port: port.to_owned(),
        }
    }

    #[test]
    fn servers_are_the_same_only_when_identifier_and_start_agree() {
        let primary = server(Some("1"), "2026-12-01 00:00:00.000001", "5432");
        assert!(primary.same_as(&primary.clone()));
        // A replica, or an instance restored from a snapshot: same identifier, other start.
        assert!(!primary.same_as(&server(Some("1"), "2026-12-02 00:00:00.5", "5432")));
        assert!(!primary.same_as(&server(Some("2"), "2026-12-01 00:00:00.000001", "5432")));
        // A role that may not read the identifier: start time and port.
        let unreadable = server(None, "2026-12-01 00:00:00.000001", "5432");
        assert!(primary.same_as(&unreadable));
        assert!(!primary.same_as(&server(None, "2026-12-01 00:00:00.000001", "5433")));
    }
}
