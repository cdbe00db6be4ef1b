//! Staging Redis maintenance: flush the configured database, or only the keys of a pattern.

use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, RedisError};

use crate::config::Settings;
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
    out.step(format!("Flushing Redis {redis_url}"));
    Ok(Some(flush_database(redis_url).await?))
}
