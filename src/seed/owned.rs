//! Upserts of the rows seeders own, and nothing else.
//!
//! The seeders record every row they create in `restage.seeded_rows` (table, natural key,
//! row id, seeder). A seeder updates only rows recorded there; a row with the same natural
//! key that it did not create (copied from production, typed in by hand) is used as it is and
//! counted as `kept`. All writes are batched: one statement per table and kind of change.

use std::collections::{HashMap, HashSet};
use std::ops::AddAssign;

use serde::Serialize;
use sqlx::postgres::PgConnection;

/// Creates the ownership table when missing (it is not part of the migrations, so that a
/// staging database copied from production gets it on the first seed).
pub const OWNERSHIP_DDL: &str = "
CREATE SCHEMA IF NOT EXISTS restage;
CREATE TABLE IF NOT EXISTS restage.seeded_rows (
    table_name  text   NOT NULL,
    natural_key text   NOT NULL,
    row_id      bigint NOT NULL,
    seeder      text   NOT NULL,
    PRIMARY KEY (table_name, natural_key)
);
COMMENT ON TABLE restage.seeded_rows IS
    'Rows made by restage seeders; seeders change these and never any other row.';
";

/// A column a seeder writes: its name and the SQL that turns the text value `{v}` into the
/// column's type (`{v}::numeric(12,2)`, `to_timestamp({v}::bigint)`).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub value_sql: &'static str,
    /// Written when the row is created, then left alone (state other seeders move on).
    pub insert_only: bool,
}

impl Column {
    /// A column that is written and kept in line with the seed data.
    pub const fn new(name: &'static str, value_sql: &'static str) -> Column {
        Column {
            name,
            value_sql,
            insert_only: false,
        }
    }

    /// A column written only when the row is created.
    pub const fn on_insert(name: &'static str, value_sql: &'static str) -> Column {
        Column {
            name,
            value_sql,
            insert_only: true,
        }
    }

    fn value(&self, source: &str) -> String {
        self.value_sql.replace("{v}", source)
    }
}

/// `value_sql` of a text column.
pub const TEXT: &str = "{v}";
/// `value_sql` of a bigint column (ids).
pub const BIGINT: &str = "{v}::bigint";
/// `value_sql` of a timestamptz column given as Unix seconds.
pub const UNIX_TIME: &str = "to_timestamp({v}::bigint)";

/// The natural key of a table: a column and its type, or (for tables without one, like
/// movements) a key that lives only in the ownership table.
#[derive(Debug, Clone, Copy)]
pub enum NaturalKey {
    Column {
        name: &'static str,
        sql_type: &'static str,
    },
    OwnershipOnly,
}

impl NaturalKey {
    /// A natural key in a text column.
    pub const fn text(name: &'static str) -> NaturalKey {
        NaturalKey::Column {
            name,
            sql_type: "text",
        }
    }
}

/// The rows one seeder wants in one table.
#[derive(Debug)]
pub struct TableSeed {
    pub seeder: &'static str,
    pub table: &'static str,
    pub key: NaturalKey,
    pub columns: &'static [Column],
    pub rows: Vec<SeedRow>,
}

/// One wanted row: its natural key and its values (as text, in column order; `None` = NULL).
#[derive(Debug, Clone)]
pub struct SeedRow {
    pub key: String,
    pub values: Vec<Option<String>>,
}

/// What a seeder did to the rows it wants.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows it owned that the seed data no longer has.
    pub deleted: u64,
    /// Rows with a wanted natural key that the seeder did not make, left untouched.
    pub kept: u64,
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.deleted += other.deleted;
        self.kept += other.kept;
    }
}

/// The outcome of one upsert: counts, the id of every wanted key found or made, and which
/// of those keys the seeder owns.
#[derive(Debug, Default)]
pub struct Upserted {
    pub counts: Counts,
    pub ids: HashMap<String, i64>,
    pub owned: HashSet<String>,
}

/// Inserts the missing rows, updates the owned rows that differ, keeps all others.
pub async fn upsert(
    connection: &mut PgConnection,
    seed: &TableSeed,
) -> Result<Upserted, sqlx::Error> {
    let keys: Vec<String> = seed.rows.iter().map(|row| row.key.clone()).collect();
    let existing = existing_rows(connection, seed, &keys).await?;
    let mut result = Upserted::default();
    let mut to_insert = Vec::new();
    let mut to_update = Vec::new();
    for row in &seed.rows {
        match existing.get(&row.key) {
            Some(&(id, true)) => {
                result.ids.insert(row.key.clone(), id);
                result.owned.insert(row.key.clone());
                to_update.push((id, row));
            }
            Some(&(id, false)) => {
                result.ids.insert(row.key.clone(), id);
                result.counts.kept += 1;
            }
            None => to_insert.push(row),
        }
    }
    let inserted_ids = insert_rows(connection, seed, &to_insert).await?;
    for (row, id) in to_insert.iter().zip(&inserted_ids) {
        result.ids.insert(row.key.clone(), *id);
        result.owned.insert(row.key.clone());
    }
    result.counts.inserted = inserted_ids.len() as u64;
    result.counts.updated = update_rows(connection, seed, &to_update).await?;
    result.counts.unchanged = to_update.len() as u64 - result.counts.updated;
    Ok(result)
}

/// Deletes the rows `seeder` owns in `table` whose keys are not in `keep`.
pub async fn delete_owned_except(
    connection: &mut PgConnection,
    seeder: &str,
    table: &'static str,
    keep: &[String],
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "WITH stale AS (
             DELETE FROM restage.seeded_rows
             WHERE table_name = $1 AND seeder = $2 AND NOT (natural_key = ANY($3::text[]))
             RETURNING row_id)
         DELETE FROM {table} WHERE id IN (SELECT row_id FROM stale)"
    );
    let deleted = sqlx::query(&sql)
        .bind(table)
        .bind(seeder)
        .bind(keep)
        .execute(connection)
        .await?;
    Ok(deleted.rows_affected())
}

/// The ids of the rows of `table` whose natural key `column` (of `sql_type`) is in `keys`.
pub async fn ids_by_key(
    connection: &mut PgConnection,
    table: &str,
    column: &str,
    sql_type: &str,
    keys: &[String],
) -> Result<HashMap<String, i64>, sqlx::Error> {
    let sql = format!(
        "SELECT d.key, t.id FROM UNNEST($1::text[]) AS d(key) \
         JOIN {table} t ON t.{column} = d.key::{sql_type}"
    );
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
        .bind(keys)
        .fetch_all(connection)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Wanted key → (row id, owned by this table's seeders).
async fn existing_rows(
    connection: &mut PgConnection,
    seed: &TableSeed,
    keys: &[String],
) -> Result<HashMap<String, (i64, bool)>, sqlx::Error> {
    let table = seed.table;
    let sql = match seed.key {
        NaturalKey::Column { name, sql_type } => format!(
            "SELECT d.key, t.id, (o.row_id IS NOT NULL) FROM UNNEST($2::text[]) AS d(key)
             JOIN {table} t ON t.{name} = d.key::{sql_type}
             LEFT JOIN restage.seeded_rows o ON o.table_name = $1 AND o.row_id = t.id"
        ),
        NaturalKey::OwnershipOnly => format!(
            "SELECT o.natural_key, t.id, true FROM restage.seeded_rows o
             JOIN {table} t ON t.id = o.row_id
             WHERE o.table_name = $1 AND o.natural_key = ANY($2::text[])"
        ),
    };
    let rows: Vec<(String, i64, bool)> = sqlx::query_as(&sql)
        .bind(table)
        .bind(keys)
        .fetch_all(connection)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(key, id, owned)| (key, (id, owned)))
        .collect())
}

/// Inserts rows with ids drawn from the table's sequence (so the ownership records can be
/// written in the same batch), and records them as owned. Returns the ids in row order.
async fn insert_rows(
    connection: &mut PgConnection,
    seed: &TableSeed,
    rows: &[&SeedRow],
) -> Result<Vec<i64>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let table = seed.table;
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
    )
    .bind(table)
    .bind(rows.len() as i64)
    .fetch_all(&mut *connection)
    .await?;
    ids.sort_unstable();
    let keys: Vec<String> = rows.iter().map(|row| row.key.clone()).collect();

    let mut names = vec!["id".to_owned()];
    let mut values = vec!["d.id".to_owned()];
    let mut sources = vec!["$1::bigint[]".to_owned()];
    let mut aliases = vec!["id".to_owned()];
    if let NaturalKey::Column { name, sql_type } = seed.key {
        names.push(name.to_owned());
        values.push(format!("d.key::{sql_type}"));
    }
    sources.push("$2::text[]".to_owned());
    aliases.push("key".to_owned());
    for (index, column) in seed.columns.iter().enumerate() {
        names.push(column.name.to_owned());
        values.push(column.value(&format!("d.c{index}")));
        sources.push(format!("${}::text[]", index + 3));
        aliases.push(format!("c{index}"));
    }
    let sql = format!(
        "INSERT INTO {table} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM UNNEST({}) AS d({})",
        names.join(", "),
        values.join(", "),
        sources.join(", "),
        aliases.join(", "),
    );
    let mut query = sqlx::query(&sql).bind(&ids).bind(&keys);
    for index in 0..seed.columns.len() {
        query = query.bind(column_values(rows.iter().copied(), index));
    }
    query.execute(&mut *connection).await?;

    sqlx::query(
        "INSERT INTO restage.seeded_rows (table_name, natural_key, row_id, seeder)
         SELECT $1, k, i, $4 FROM UNNEST($2::text[], $3::bigint[]) AS u(k, i)
         ON CONFLICT (table_name, natural_key) DO UPDATE SET row_id = EXCLUDED.row_id, seeder = EXCLUDED.seeder",
    )
    .bind(table)
    .bind(&keys)
    .bind(&ids)
    .bind(seed.seeder)
    .execute(connection)
    .await?;
    Ok(ids)
}

/// Updates the owned rows whose values differ from the seed data; returns how many did.
async fn update_rows(
    connection: &mut PgConnection,
    seed: &TableSeed,
    rows: &[(i64, &SeedRow)],
) -> Result<u64, sqlx::Error> {
    let updatable: Vec<(usize, &Column)> = seed
        .columns
        .iter()
        .enumerate()
        .filter(|(_, column)| !column.insert_only)
        .collect();
    if rows.is_empty() || updatable.is_empty() {
        return Ok(0);
    }
    let assignments: Vec<String> = updatable
        .iter()
        .map(|(index, column)| {
            format!("{} = {}", column.name, column.value(&format!("d.c{index}")))
        })
        .collect();
    let current: Vec<String> = updatable
        .iter()
        .map(|(_, column)| format!("t.{}", column.name))
        .collect();
    let wanted: Vec<String> = updatable
        .iter()
        .map(|(index, column)| column.value(&format!("d.c{index}")))
        .collect();
    let sources: Vec<String> = (0..updatable.len())
        .map(|position| format!("${}::text[]", position + 2))
        .collect();
    let aliases: Vec<String> = updatable
        .iter()
        .map(|(index, _)| format!("c{index}"))
        .collect();
    let sql = format!(
        "UPDATE {table} t SET {assignments} FROM UNNEST($1::bigint[], {sources}) AS d(id, {aliases})
         WHERE t.id = d.id AND ROW({current}) IS DISTINCT FROM ROW({wanted})",
        table = seed.table,
        assignments = assignments.join(", "),
        sources = sources.join(", "),
        aliases = aliases.join(", "),
        current = current.join(", "),
        wanted = wanted.join(", "),
    );
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let mut query = sqlx::query(&sql).bind(ids);
    for (index, _) in &updatable {
        query = query.bind(column_values(rows.iter().map(|(_, row)| *row), *index));
    }
    Ok(query.execute(connection).await?.rows_affected())
}

fn column_values<'a>(rows: impl Iterator<Item = &'a SeedRow>, index: usize) -> Vec<Option<String>> {
    rows.map(|row| row.values[index].clone()).collect()
}

/// Key → row id of the rows of `table` recorded as seeded under the given keys (and still there).
pub async fn owned_ids(
    connection: &mut PgConnection,
    table: &'static str,
    keys: &[String],
) -> Result<HashMap<String, i64>, sqlx::Error> {
    let sql = format!(
        "SELECT o.natural_key, o.row_id FROM restage.seeded_rows o JOIN {table} t ON t.id = o.row_id
         WHERE o.table_name = $1 AND o.natural_key = ANY($2::text[])"
    );
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
        .bind(table)
        .bind(keys)
        .fetch_all(connection)
        .await?;
    Ok(rows.into_iter().collect())
}
