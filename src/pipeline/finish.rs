//! Statistics gathered beside post-data, table by table as their indexes come; then the
//! finish phase: sequences set to the source's values, materialized views filled and
//! analyzed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::PgConnection;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::catalog::quote;
use crate::error::Error;
use crate::pg::{self, database_error};
use crate::secret::SecretUrl;

/// Sequences and materialized views of the loaded `target` (its tables are analyzed beside
/// post-data, [`analyze_as_indexed`]); `leader` reads the source in the copy's snapshot.
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
    let views = relations(connection, target, "'m'").await?;
    analyze(
        target,
        views.into_iter().map(|(view, _)| view).collect(),
        jobs,
    )
    .await
}

/// Lists `(table, indexes)` of the tables of `connection`, largest first (`schema.table`,
/// quoted, as on both sides of a copy).
pub async fn index_counts(
    connection: &mut PgConnection,
    url: &SecretUrl,
) -> Result<Vec<(String, i64)>, Error> {
    relations(connection, url, "'r', 'p'").await
}

/// The relations of these kinds (`'r', 'p'`) with their index counts, largest first.
async fn relations(
    connection: &mut PgConnection,
    url: &SecretUrl,
    kinds: &str,
) -> Result<Vec<(String, i64)>, Error> {
    sqlx::query_as(&format!(
        "SELECT format('%I.%I', n.nspname, c.relname),
                (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ({kinds}) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_%' ORDER BY pg_total_relation_size(c.oid) DESC, 1"
    ))
    .fetch_all(connection)
    .await
    .map_err(database_error(url, "listing tables to analyze"))
}

/// ANALYZE of every table of `target` beside post-data: each table as soon as it has as many
/// indexes as `source_indexes` says it has in the source (ANALYZE also gathers the statistics
/// of expression indexes), and every table left once `post_data_done` turns true, `jobs` at
/// a time. Tables waiting for their indexes are looked at again every 200 ms.
pub async fn analyze_as_indexed(
    target: &SecretUrl,
    source_indexes: Vec<(String, i64)>,
    mut post_data_done: watch::Receiver<bool>,
    jobs: usize,
) -> Result<(), Error> {
    let wanted: BTreeMap<String, i64> = source_indexes.into_iter().collect();
    let mut connection = pg::connect(target, "target database", "restage copy").await?;
    let mut analyzed = BTreeSet::new();
    loop {
        let finished = *post_data_done.borrow_and_update();
        let ready: Vec<String> = index_counts(&mut connection, target)
            .await?
            .into_iter()
            .filter(|(table, indexes)| {
                !analyzed.contains(table)
                    && (finished || *indexes >= wanted.get(table).copied().unwrap_or(0))
            })
            .map(|(table, _)| table)
            .collect();
        if finished {
            return analyze(target, ready, jobs).await;
        }
        if ready.is_empty() {
            tokio::select! {
                _ = post_data_done.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
        for table in ready {
            analyze_one(&mut connection, target, &table).await?;
            analyzed.insert(table);
        }
    }
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

/// ANALYZE of `tables`, `jobs` at a time, in this order.
async fn analyze(target: &SecretUrl, tables: Vec<String>, jobs: usize) -> Result<(), Error> {
    if tables.is_empty() {
        return Ok(());
    }
    let queue = Arc::new(Mutex::new(VecDeque::from(tables)));
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
        analyze_one(&mut connection, &url, &table).await?;
    }
}

async fn analyze_one(
    connection: &mut PgConnection,
    url: &SecretUrl,
    table: &str,
) -> Result<(), Error> {
    sqlx::query(&format!("ANALYZE {table}"))
        .execute(connection)
        .await
        .map_err(database_error(url, &format!("ANALYZE {table}")))?;
    Ok(())
}
