//! Upserts of the rows seeders own, and nothing else.
//!
//! The seeders record every row they create in `restage.seeded_rows` (table, natural key,
//! row id as text when the table has one, seeder). A seeder updates only rows recorded there; a row
//! with the same natural key that it did not create (copied from production, typed in by
//! hand) is used as it is and counted as `kept`. All writes are batched: one statement per
//! table and kind of change. Table and column names come from the `[schema]` mapping or a
//! fixture file, and are always quoted.

use std::collections::{HashMap, HashSet};
use std::ops::AddAssign;

use serde::Serialize;
use sqlx::postgres::PgConnection;

use crate::catalog::quote;

/// Creates the ownership table when missing (it is not part of the migrations, so that a
/// staging database copied from production gets it on the first seed). Rows of tables
/// without an id are recorded by natural key alone; ids are recorded as text, so that an
/// integer and a uuid fit (a table made before uuid ids, with a bigint `row_id`, is converted).
pub const OWNERSHIP_DDL: &str = "
CREATE SCHEMA IF NOT EXISTS restage;
CREATE TABLE IF NOT EXISTS restage.seeded_rows (
    table_name  text   NOT NULL,
    natural_key text   NOT NULL,
    row_id      text,
    seeder      text   NOT NULL,
    PRIMARY KEY (table_name, natural_key)
);
ALTER TABLE restage.seeded_rows ALTER COLUMN row_id DROP NOT NULL;
DO $$ BEGIN
    IF (SELECT atttypid FROM pg_attribute WHERE attrelid = 'restage.seeded_rows'::regclass
          AND attname = 'row_id') <> 'text'::regtype THEN
        ALTER TABLE restage.seeded_rows ALTER COLUMN row_id TYPE text USING row_id::text;
    END IF;
END $$;
COMMENT ON TABLE restage.seeded_rows IS
    'Rows made by restage seeders; seeders change these and never any other row.';
";

/// A table seeders write: the name its rows are recorded under (the built-in seeders' tables
/// by their catalog name, fixture tables as written), its quoted SQL name and its id column,
/// if it has one the seeders use.
#[derive(Debug, Clone)]
pub struct Target {
    pub record: String,
    pub sql: String,
    pub id: Option<RowId>,
}

/// A table's id column, and how restage makes the id of a row it inserts.
#[derive(Debug, Clone)]
pub struct RowId {
    pub name: String,
    pub sql_type: String,
    pub made: IdSource,
}

/// Where the id of an inserted row comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    /// The column's sequence (identity or serial).
    Sequence,
    /// A name-based uuid of the table (its catalog name) and the row's natural key, so that
    /// every seeding, from any empty database, gives a row the same id.
    NameBased { table: String },
}

/// The namespace of restage's name-based uuids.
const UUID_NAMESPACE: uuid::Uuid = uuid::uuid!("f16a1443-b038-45b4-a74a-9c4c611fcaba");

/// The id restage gives the row of `table` (its catalog name) with the recorded natural key
/// `key`, in a uuid column.
pub fn name_based_uuid(table: &str, key: &str) -> String {
    uuid::Uuid::new_v5(&UUID_NAMESPACE, format!("{table}\n{key}").as_bytes()).to_string()
}

impl Target {
    fn id_sql(&self) -> Option<String> {
        self.id.as_ref().map(|id| quote(&id.name))
    }

    /// `t.<id> = (<text>)::<id type>`: the row whose id is the SQL text `text`.
    fn id_is(&self, text: &str) -> Option<String> {
        self.id
            .as_ref()
            .map(|id| format!("t.{} = ({text})::{}", quote(&id.name), id.sql_type))
    }
}

/// A column a seeder writes: its name and the SQL that turns the text value `{v}` into the
/// column's type (`{v}::numeric(12,2)`, `to_timestamp({v}::bigint)::timestamptz`).
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub value_sql: String,
    /// Written when the row is created, then left alone (state other seeders move on).
    pub insert_only: bool,
}

impl Column {
    fn value(&self, source: &str) -> String {
        self.value_sql.replace("{v}", source)
    }
}

/// One column of a natural key and its type.
#[derive(Debug, Clone)]
pub struct KeyColumn {
    pub name: String,
    pub sql_type: String,
}

/// The natural key of a table: one or more columns, or (for tables without one, like
/// movements) a key that lives only in the ownership table, which needs the id.
#[derive(Debug, Clone)]
pub enum NaturalKey {
    Columns(Vec<KeyColumn>),
    OwnershipOnly,
}

impl NaturalKey {
    /// `t."a" = <a of source> AND …`, where `part(i)` is the SQL text of key part i.
    fn matches(&self, part: impl Fn(usize) -> String) -> String {
        match self {
            NaturalKey::Columns(columns) => key_matches(columns, part),
            NaturalKey::OwnershipOnly => "false".to_owned(),
        }
    }

    fn parts(&self) -> usize {
        match self {
            NaturalKey::Columns(columns) => columns.len(),
            NaturalKey::OwnershipOnly => 0,
        }
    }

    /// Key part i of a recorded natural key `record` (SQL text).
    fn part_of_record(&self, record: &str, index: usize) -> String {
        if self.parts() == 1 {
            record.to_owned()
        } else {
            format!("{record}::jsonb->>{index}")
        }
    }
}

/// The rows one seeder wants in one table.
#[derive(Debug)]
pub struct TableSeed {
    pub seeder: String,
    pub table: Target,
    pub key: NaturalKey,
    pub columns: Vec<Column>,
    pub rows: Vec<SeedRow>,
}

/// One wanted row: its natural key (one text per key column; one text for an
/// ownership-only key) and its values (as text, in column order; `None` = NULL).
#[derive(Debug, Clone)]
pub struct SeedRow {
    pub key: Vec<String>,
    pub values: Vec<Option<String>>,
}

impl SeedRow {
    /// A row with a one-part key.
    pub fn keyed(key: String, values: Vec<Option<String>>) -> SeedRow {
        SeedRow {
            key: vec![key],
            values,
        }
    }

    /// The key as recorded: the text of a one-part key, a JSON list of a longer one.
    pub fn record_key(&self) -> String {
        record_key(&self.key)
    }
}

/// A natural key as `restage.seeded_rows` records it.
pub fn record_key(parts: &[String]) -> String {
    match parts {
        [one] => one.clone(),
        _ => serde_json::to_string(parts).unwrap_or_default(),
    }
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

/// The outcome of one upsert: counts, the row of every wanted key found or made (its id as
/// text, or its recorded key when the table has no id), and which of those keys the seeder
/// owns (by recorded key).
#[derive(Debug, Default)]
pub struct Upserted {
    pub counts: Counts,
    pub ids: HashMap<String, String>,
    pub owned: HashSet<String>,
}

/// An existing row with a wanted key: its id (if the table has one) and whether it is ours.
struct Existing {
    id: Option<String>,
    owned: bool,
}

/// Inserts the missing rows, updates the owned rows that differ, keeps all others.
pub async fn upsert(
    connection: &mut PgConnection,
    seed: &TableSeed,
) -> Result<Upserted, sqlx::Error> {
    let existing = existing_rows(connection, seed).await?;
    let mut result = Upserted::default();
    let mut to_insert = Vec::new();
    let mut to_update = Vec::new();
    for row in &seed.rows {
        let key = row.record_key();
        match existing.get(&key) {
            Some(found) => {
                let id = found.id.clone().unwrap_or_else(|| key.clone());
                result.ids.insert(key.clone(), id);
                if found.owned {
                    result.owned.insert(key);
                    to_update.push((found.id.clone(), row));
                } else {
                    result.counts.kept += 1;
                }
            }
            None => to_insert.push(row),
        }
    }
    let inserted_ids = insert_rows(connection, seed, &to_insert).await?;
    for (index, row) in to_insert.iter().enumerate() {
        let id = inserted_ids.get(index).cloned();
        result
            .ids
            .insert(row.record_key(), id.unwrap_or_else(|| row.record_key()));
        result.owned.insert(row.record_key());
    }
    result.counts.inserted = to_insert.len() as u64;
    result.counts.updated = update_rows(connection, seed, &to_update).await?;
    result.counts.unchanged = to_update.len() as u64 - result.counts.updated;
    Ok(result)
}

/// Moves the records of rows seeded into a table from the name it was written as (`"Shop".site`,
/// `public.users`), under which earlier versions recorded them, to its catalog name (`Shop.site`,
/// `users`), under which they are recorded now.
pub async fn rename_records(
    connection: &mut PgConnection,
    written: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    if written == name {
        return Ok(());
    }
    sqlx::query(
        "UPDATE restage.seeded_rows o SET table_name = $2 WHERE o.table_name = $1
           AND NOT EXISTS (SELECT 1 FROM restage.seeded_rows n
                           WHERE n.table_name = $2 AND n.natural_key = o.natural_key)",
    )
    .bind(written)
    .bind(name)
    .execute(connection)
    .await?;
    Ok(())
}

/// Deletes the rows `seeder` owns in `table` whose recorded keys are not in `keep`.
pub async fn delete_owned_except(
    connection: &mut PgConnection,
    seeder: &str,
    table: &Target,
    key: &NaturalKey,
    keep: &[String],
) -> Result<u64, sqlx::Error> {
    let matched = table
        .id_is("s.row_id")
        .unwrap_or_else(|| key.matches(|index| key.part_of_record("s.natural_key", index)));
    let sql = format!(
        "WITH stale AS (
             DELETE FROM restage.seeded_rows
             WHERE table_name = $1 AND seeder = $2 AND NOT (natural_key = ANY($3::text[]))
             RETURNING row_id, natural_key)
         DELETE FROM {} t USING stale s WHERE {matched}",
        table.sql
    );
    let deleted = sqlx::query(&sql)
        .bind(&table.record)
        .bind(seeder)
        .bind(keep)
        .execute(connection)
        .await?;
    Ok(deleted.rows_affected())
}

/// Key → row (its id as text, or the key itself when the table has no id) of the rows of
/// `table` whose one-part natural key `key` is in `keys`.
pub async fn ids_by_key(
    connection: &mut PgConnection,
    table: &Target,
    key: &KeyColumn,
    keys: &[String],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let id = table
        .id_sql()
        .map_or_else(|| "d.key".to_owned(), |id| format!("t.{id}::text"));
    let sql = format!(
        "SELECT d.key, {id} FROM UNNEST($1::text[]) AS d(key) \
         JOIN {} t ON t.{} = d.key::{}",
        table.sql,
        quote(&key.name),
        key.sql_type
    );
    let rows: Vec<(String, String)> = sqlx::query_as(&sql)
        .bind(keys)
        .fetch_all(connection)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Key → row id of the rows of `table` recorded as seeded under the given keys (and still there).
pub async fn owned_ids(
    connection: &mut PgConnection,
    table: &Target,
    keys: &[String],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let Some(id_is) = table.id_is("o.row_id") else {
        return Ok(HashMap::new());
    };
    let sql = format!(
        "SELECT o.natural_key, o.row_id FROM restage.seeded_rows o JOIN {} t ON {id_is}
         WHERE o.table_name = $1 AND o.natural_key = ANY($2::text[])",
        table.sql
    );
    let rows: Vec<(String, String)> = sqlx::query_as(&sql)
        .bind(&table.record)
        .bind(keys)
        .fetch_all(connection)
        .await?;
    Ok(rows.into_iter().collect())
}

/// `t."a" = (<part 0>)::<type> AND …`: the row of table `t` whose key `columns` are the
/// SQL texts `part(i)`.
pub(crate) fn key_matches(columns: &[KeyColumn], part: impl Fn(usize) -> String) -> String {
    columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            format!(
                "t.{} = ({})::{}",
                quote(&column.name),
                part(index),
                column.sql_type
            )
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The SQL that turns the text value `{v}` into a column of type `sql_type`.
pub(crate) fn cast_value(sql_type: &str) -> String {
    format!("{{v}}::{sql_type}")
}

/// The arrays a statement unnests, and the names it gives them (`d.<alias>`).
#[derive(Default)]
pub(crate) struct Unnest {
    sources: Vec<String>,
    aliases: Vec<String>,
    first_parameter: usize,
}

impl Unnest {
    pub(crate) fn starting_at(first_parameter: usize) -> Unnest {
        Unnest {
            first_parameter,
            ..Unnest::default()
        }
    }

    pub(crate) fn add(&mut self, alias: String, element_type: &str) -> String {
        let parameter = self.first_parameter + self.sources.len();
        self.sources.push(format!("${parameter}::{element_type}[]"));
        self.aliases.push(alias.clone());
        format!("d.{alias}")
    }

    pub(crate) fn source_sql(&self) -> String {
        format!(
            "UNNEST({}) AS d({})",
            self.sources.join(", "),
            self.aliases.join(", ")
        )
    }
}

fn key_parts(rows: &[&SeedRow], index: usize) -> Vec<String> {
    rows.iter().map(|row| row.key[index].clone()).collect()
}

fn column_values<'a>(rows: impl Iterator<Item = &'a SeedRow>, index: usize) -> Vec<Option<String>> {
    rows.map(|row| row.values[index].clone()).collect()
}

/// Wanted key (as recorded) → the existing row with it.
async fn existing_rows(
    connection: &mut PgConnection,
    seed: &TableSeed,
) -> Result<HashMap<String, Existing>, sqlx::Error> {
    let table = &seed.table;
    let rows: Vec<&SeedRow> = seed.rows.iter().collect();
    let keys: Vec<String> = rows.iter().map(|row| row.record_key()).collect();
    let id = table
        .id_sql()
        .map_or_else(|| "NULL::text".to_owned(), |id| format!("t.{id}::text"));
    let sql = match &seed.key {
        NaturalKey::Columns(_) => {
            let mut unnest = Unnest::starting_at(2);
            unnest.add("key".to_owned(), "text");
            let parts: Vec<String> = (0..seed.key.parts())
                .map(|index| unnest.add(format!("k{index}"), "text"))
                .collect();
            let ours = match table.id_sql() {
                Some(id) => format!("o.row_id = t.{id}::text"),
                None => "o.natural_key = d.key".to_owned(),
            };
            format!(
                "SELECT d.key, {id}, (o.table_name IS NOT NULL) FROM {} JOIN {} t ON {}
                 LEFT JOIN restage.seeded_rows o ON o.table_name = $1 AND {ours}",
                unnest.source_sql(),
                table.sql,
                seed.key.matches(|index| parts[index].clone()),
            )
        }
        NaturalKey::OwnershipOnly => format!(
            "SELECT o.natural_key, {id}, true FROM restage.seeded_rows o
             JOIN {} t ON {}
             WHERE o.table_name = $1 AND o.natural_key = ANY($2::text[])",
            table.sql,
            table
                .id_is("o.row_id")
                .unwrap_or_else(|| "false".to_owned()),
        ),
    };
    let mut query = sqlx::query_as(&sql).bind(&table.record).bind(&keys);
    if matches!(seed.key, NaturalKey::Columns(_)) {
        for index in 0..seed.key.parts() {
            query = query.bind(key_parts(&rows, index));
        }
    }
    let found: Vec<(String, Option<String>, bool)> = query.fetch_all(connection).await?;
    Ok(found
        .into_iter()
        .map(|(key, id, owned)| (key, Existing { id, owned }))
        .collect())
}

/// The ids of the rows `rows` of `table`, in row order: drawn from its sequence, or
/// name-based uuids; none when the table has no id.
async fn new_ids(
    connection: &mut PgConnection,
    table: &Target,
    rows: &[&SeedRow],
) -> Result<Vec<String>, sqlx::Error> {
    let Some(id) = &table.id else {
        return Ok(Vec::new());
    };
    match &id.made {
        IdSource::Sequence => {
            let mut ids: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence($1, $2)) FROM generate_series(1, $3)",
            )
            .bind(&table.sql)
            .bind(&id.name)
            .bind(rows.len() as i64)
            .fetch_all(connection)
            .await?;
            ids.sort_unstable();
            Ok(ids.iter().map(i64::to_string).collect())
        }
        IdSource::NameBased { table } => Ok(rows
            .iter()
            .map(|row| name_based_uuid(table, &row.record_key()))
            .collect()),
    }
}

/// Inserts rows and records them as owned. A table with an id gets its ids first (so the
/// ownership records can be written in the same batch); returns them in row order.
async fn insert_rows(
    connection: &mut PgConnection,
    seed: &TableSeed,
    rows: &[&SeedRow],
) -> Result<Vec<String>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let table = &seed.table;
    let ids = new_ids(connection, table, rows).await?;
    let mut names = Vec::new();
    let mut values = Vec::new();
    let mut unnest = Unnest::starting_at(1);
    if let Some(id) = &table.id {
        names.push(quote(&id.name));
        let value = unnest.add("id".to_owned(), "text");
        values.push(format!("{value}::{}", id.sql_type));
    }
    if let NaturalKey::Columns(columns) = &seed.key {
        for (index, column) in columns.iter().enumerate() {
            names.push(quote(&column.name));
            let part = unnest.add(format!("k{index}"), "text");
            values.push(format!("{part}::{}", column.sql_type));
        }
    }
    for (index, column) in seed.columns.iter().enumerate() {
        names.push(quote(&column.name));
        values.push(column.value(&unnest.add(format!("c{index}"), "text")));
    }
    let sql = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}",
        table.sql,
        names.join(", "),
        values.join(", "),
        unnest.source_sql(),
    );
    let mut query = sqlx::query(&sql);
    if table.id.is_some() {
        query = query.bind(&ids);
    }
    for index in 0..seed.key.parts() {
        query = query.bind(key_parts(rows, index));
    }
    for index in 0..seed.columns.len() {
        query = query.bind(column_values(rows.iter().copied(), index));
    }
    query.execute(&mut *connection).await?;

    let keys: Vec<String> = rows.iter().map(|row| row.record_key()).collect();
    let row_ids: Vec<Option<String>> = match table.id {
        Some(_) => ids.iter().cloned().map(Some).collect(),
        None => vec![None; rows.len()],
    };
    sqlx::query(
        "INSERT INTO restage.seeded_rows (table_name, natural_key, row_id, seeder)
         SELECT $1, k, i, $4 FROM UNNEST($2::text[], $3::text[]) AS u(k, i)
         ON CONFLICT (table_name, natural_key) DO UPDATE SET row_id = EXCLUDED.row_id, seeder = EXCLUDED.seeder",
    )
    .bind(&table.record)
    .bind(&keys)
    .bind(&row_ids)
    .bind(&seed.seeder)
    .execute(connection)
    .await?;
    Ok(ids)
}

/// Updates the owned rows whose values differ from the seed data; returns how many did.
async fn update_rows(
    connection: &mut PgConnection,
    seed: &TableSeed,
    rows: &[(Option<String>, &SeedRow)],
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
    let mut unnest = Unnest::starting_at(1);
    let row_match = if seed.table.id.is_some() {
        let id = unnest.add("id".to_owned(), "text");
        seed.table.id_is(&id).unwrap_or_default()
    } else {
        let parts: Vec<String> = (0..seed.key.parts())
            .map(|index| unnest.add(format!("k{index}"), "text"))
            .collect();
        seed.key.matches(|index| parts[index].clone())
    };
    let wanted: Vec<String> = updatable
        .iter()
        .map(|(index, column)| column.value(&unnest.add(format!("c{index}"), "text")))
        .collect();
    let assignments: Vec<String> = updatable
        .iter()
        .zip(&wanted)
        .map(|((_, column), value)| format!("{} = {value}", quote(&column.name)))
        .collect();
    let current: Vec<String> = updatable
        .iter()
        .map(|(_, column)| format!("t.{}", quote(&column.name)))
        .collect();
    let sql = format!(
        "UPDATE {} t SET {} FROM {} WHERE {row_match} AND ROW({}) IS DISTINCT FROM ROW({})",
        seed.table.sql,
        assignments.join(", "),
        unnest.source_sql(),
        current.join(", "),
        wanted.join(", "),
    );
    let seed_rows: Vec<&SeedRow> = rows.iter().map(|(_, row)| *row).collect();
    let mut query = sqlx::query(&sql);
    if seed.table.id.is_some() {
        query = query.bind(rows.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>());
    } else {
        for index in 0..seed.key.parts() {
            query = query.bind(key_parts(&seed_rows, index));
        }
    }
    for (index, _) in &updatable {
        query = query.bind(column_values(seed_rows.iter().copied(), *index));
    }
    Ok(query.execute(connection).await?.rows_affected())
}
