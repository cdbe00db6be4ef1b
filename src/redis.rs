//! Staging Redis maintenance: flush the configured database, or only the keys of a pattern.

use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, RedisError};

use crate::config::{Production, Settings};
use crate::error::Error;
use crate::output::Output;
use crate::secret::SecretUrl;

/// How long to wait for Redis to accept a connection or answer a command.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Keys asked for per SCAN round trip.
const SCAN_COUNT: usize = 1000;
/// Keys per UNLINK command inside one pipeline.
const UNLINK_CHUNK: usize = 100;

/// Connects to the Redis database a URL names (the path is the database number).
pub async fn connect(url: &SecretUrl) -> Result<MultiplexedConnection, Error> {
    let failed = |source: RedisError| Error::Redis {
        action: "connecting".into(),
        url: url.to_string(),
        source,
    };
    let client = Client::open(url.expose()).map_err(failed)?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(failed)
}

/// Refuses (exit 3) a staging Redis that is `[production] redis_url` under another name: the
/// same server (its `run_id`, which each Redis process draws at start) and database number;
/// when production's Redis cannot be reached, the same resolved address, port and database.
pub async fn ensure_not_production(url: &SecretUrl, production: &Production) -> Result<(), Error> {
    let Some(production_redis) = &production.redis_url else {
        return Ok(());
    };
    let same_database = database_number(url) == database_number(production_redis);
    let matched = match run_id(production_redis).await {
        Ok(theirs) => {
            let mine = run_id(url).await?;
            (same_database && mine == theirs).then(|| format!("the same server (run_id {mine})"))
        }
        Err(unreachable) => {
            let shared = match (addresses(url).await, addresses(production_redis).await) {
                (Some(mine), Some(theirs)) => mine.intersection(&theirs).next().copied(),
                _ => None,
            };
            tracing::warn!(
                "production's Redis could not be reached to compare servers ({}); compared \
                 the addresses its host resolves to",
                crate::error::error_chain(&unreachable)
            );
            shared.filter(|_| same_database).map(|(address, port)| {
                format!(
                    "the same address ({address} port {port}); production's could not be reached"
                )
            })
        }
    };
    match matched {
        Some(what) => Err(Error::Refused(format!(
            "{url} is the production Redis ([production] redis_url {production_redis}): {what} \
             and database {}; restage never writes to production: point --redis-url at the \
             staging Redis",
            database_number(url)
        ))),
        None => Ok(()),
    }
}

/// The `run_id` of the Redis server `url` reaches (`INFO server`).
async fn run_id(url: &SecretUrl) -> Result<String, Error> {
    let mut connection = connect(url).await?;
    let info: String = ::redis::cmd("INFO")
        .arg("server")
        .query_async(&mut connection)
        .await
        .map_err(|source| Error::Redis {
            action: "asking which server it is (INFO server)".into(),
            url: url.to_string(),
            source,
        })?;
    Ok(info
        .lines()
        .find_map(|line| line.strip_prefix("run_id:"))
        .unwrap_or_default()
        .trim()
        .to_owned())
}

/// The database number a Redis URL names (its path; 0 when it has none).
fn database_number(url: &SecretUrl) -> String {
    url::Url::parse(url.expose())
        .ok()
        .map(|parsed| parsed.path().trim_matches('/').to_owned())
        .filter(|path| !path.is_empty())
        .unwrap_or_else(|| "0".to_owned())
}

/// Every address and port a Redis URL's host resolves to.
async fn addresses(url: &SecretUrl) -> Option<std::collections::BTreeSet<(std::net::IpAddr, u16)>> {
    let parsed = url::Url::parse(url.expose()).ok()?;
    let port = parsed.port().unwrap_or(6379);
    crate::safety::identity::resolve(parsed.host_str()?, port)
        .await
        .ok()
}

/// Empties the whole database with `FLUSHDB ASYNC`; returns how many keys it held.
pub async fn flush_database(url: &SecretUrl) -> Result<u64, Error> {
    let mut connection = connect(url).await?;
    let failed = |action: &str| {
        let action = action.to_owned();
        move |source| Error::Redis {
            action,
            url: url.to_string(),
            source,
        }
    };
    let keys: u64 = ::redis::cmd("DBSIZE")
        .query_async(&mut connection)
        .await
        .map_err(failed("counting keys (DBSIZE)"))?;
    ::redis::cmd("FLUSHDB")
        .arg("ASYNC")
        .query_async::<()>(&mut connection)
        .await
        .map_err(failed("FLUSHDB ASYNC"))?;
    Ok(keys)
}

/// Removes the keys matching a glob with `SCAN MATCH` and pipelined `UNLINK`;
/// returns how many keys were removed. Other keys are left alone.
pub async fn unlink_matching(url: &SecretUrl, pattern: &str) -> Result<u64, Error> {
    let mut connection = connect(url).await?;
    let failed = |source| Error::Redis {
        action: format!("removing keys matching '{pattern}'"),
        url: url.to_string(),
        source,
    };
    let mut removed = 0;
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(&mut connection)
            .await
            .map_err(failed)?;
        removed += unlink(&mut connection, &keys).await.map_err(failed)?;
        if next == 0 {
            return Ok(removed);
        }
        cursor = next;
    }
}

/// UNLINKs a batch of keys in one pipeline; SCAN may repeat a key, which then counts once.
async fn unlink(
    connection: &mut MultiplexedConnection,
    keys: &[String],
) -> Result<u64, RedisError> {
    if keys.is_empty() {
        return Ok(0);
    }
    let mut pipeline = ::redis::pipe();
    for chunk in keys.chunks(UNLINK_CHUNK) {
        pipeline.cmd("UNLINK").arg(chunk);
    }
    let counts: Vec<u64> = pipeline.query_async(connection).await?;
    Ok(counts.iter().sum())
}

/// Flushes the staging Redis (`reset`, `refresh`): the keys removed, or `None` (with a
/// note) when no staging Redis is configured.
pub async fn flush_staging(settings: &Settings, out: &Output) -> Result<Option<u64>, Error> {
    let Some(redis_url) = &settings.redis_url else {
        out.step("No staging Redis configured; skipping the Redis flush");
        return Ok(None);
    };
    ensure_not_production(redis_url, &settings.production).await?;
    out.step(format!("Flushing Redis {redis_url}"));
    Ok(Some(flush_database(redis_url).await?))
}
