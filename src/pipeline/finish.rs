//! The finish phase, after post-data: sequences set to the source's values, materialized
//! views filled, statistics gathered.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sqlx::postgres::PgConnection;
use tokio::task::JoinSet;

use crate::catalog::quote;
use crate::error::Error;
use crate::pg::{self, database_error};
use crate::secret::SecretUrl;

/// Sequences, materialized views and ANALYZE of the loaded `target`; `leader` reads the
/// source in the copy's snapshot.
pub async fn finish(
    leader: &mut PgConnection,
    source: &SecretUrl,
    connection: &mut PgConnection,
    target: &SecretUrl,
    jobs: usize,
) -> Result<(), Error> {
    copy_sequences(leader, connection, source, target).await?;
    let populated = populated_materialized_views(leader, source).await?;
    refresh_materialized_views(connection, target, &populated).await?;
    analyze(target, jobs).await
}

/// Sets every sequence of the target to the source's value (past every copied key).
async fn copy_sequences(
    leader: &mut PgConnection,
    target: &mut PgConnection,
    source: &SecretUrl,
    target_url: &SecretUrl,
) -> Result<(), Error> {
    let sequences: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT schemaname::text, sequencename::text, last_value FROM pg_sequences
         WHERE last_value IS NOT NULL AND schemaname NOT IN ('restage')",
    )
    .fetch_all(leader)
    .await
    .map_err(database_error(source, "reading sequences"))?;
    for (schema, name, value) in sequences {
        sqlx::query("SELECT setval($1::regclass, $2)")
            .bind(format!("{}.{}", quote(&schema), quote(&name)))
            .bind(value)
            .execute(&mut *target)
            .await
            .map_err(database_error(
                target_url,
                &format!("setting sequence {schema}.{name}"),
            ))?;
    }
    Ok(())
}

/// The materialized views that hold data in the source (`schema.view`, quoted); one created
/// WITH NO DATA stays without data in staging.
pub async fn populated_materialized_views(
    connection: &mut PgConnection,
    url: &SecretUrl,
) -> Result<Vec<String>, Error> {
    sqlx::query_scalar(
        "SELECT format('%I.%I', schemaname, matviewname) FROM pg_matviews WHERE ispopulated
         ORDER BY 1",
    )
    .fetch_all(connection)
    .await
    .map_err(database_error(url, "listing materialized views"))
}

/// Fills the materialized views (created empty with the schema) that the source's hold data
/// in, oldest first so that views built on views find theirs filled.
async fn refresh_materialized_views(
    target: &mut PgConnection,
    url: &SecretUrl,
    populated: &[String],
) -> Result<(), Error> {
    let views: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' ORDER BY c.oid",
    )
    .fetch_all(&mut *target)
    .await
    .map_err(database_error(url, "listing materialized views"))?;
    for view in views.iter().filter(|view| populated.contains(view)) {
        sqlx::raw_sql(&format!("REFRESH MATERIALIZED VIEW {view}"))
            .execute(&mut *target)
            .await
            .map_err(database_error(
                url,
                &format!("refreshing materialized view {view}"),
            ))?;
    }
    Ok(())
}

/// ANALYZE of every table, `jobs` tables at a time, largest first.
async fn analyze(target: &SecretUrl, jobs: usize) -> Result<(), Error> {
    let mut connection = pg::connect(target, "target database", "restage copy").await?;
    let tables: VecDeque<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_%' ORDER BY pg_total_relation_size(c.oid) DESC",
    )
    .fetch_all(&mut connection)
    .await
    .map_err(database_error(target, "listing tables to analyze"))?
    .into();
    let queue = Arc::new(Mutex::new(tables));
    let mut set = JoinSet::new();
    for _ in 0..jobs.max(1) {
        set.spawn(analyze_from(target.clone(), queue.clone()));
    }
    while let Some(done) = set.join_next().await {
        done.map_err(|source| Error::Worker {
            what: "an ANALYZE worker",
            source,
        })??;
    }
    Ok(())
}

/// One ANALYZE worker: tables from the queue until it is empty.
async fn analyze_from(url: SecretUrl, queue: Arc<Mutex<VecDeque<String>>>) -> Result<(), Error> {
    let mut connection = pg::connect(&url, "target database", "restage copy").await?;
    loop {
        let next = queue.lock().ok().and_then(|mut tables| tables.pop_front());
        let Some(table) = next else { return Ok(()) };
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(&mut connection)
            .await
            .map_err(database_error(&url, &format!("ANALYZE {table}")))?;
    }
}
