//! The built-in seeders' tables in the staging database: the `[schema]` mapping bound to
//! real tables and columns, checked against the catalog before anything is written.

use std::collections::BTreeMap;

use sqlx::postgres::PgConnection;

use super::owned::{self, Column, KeyColumn, NaturalKey, SeedRow, TableSeed, Target};
use crate::catalog::{self, Catalog, TypeCategory};
use crate::error::Error;
use crate::mapping::{Entity, FieldKind, Mapping, TableMap};
use crate::password::HashFormat;
use crate::secret::SecretUrl;

/// One mapped column as it is in the database.
#[derive(Debug, Clone)]
struct BoundColumn {
    name: String,
    type_name: String,
    category: TypeCategory,
    kind: FieldKind,
    insert_only: bool,
}

impl BoundColumn {
    /// The SQL that writes the text value `{v}` (Unix seconds for times, an amount for
    /// prices) into this column.
    fn value_sql(&self) -> String {
        let to = &self.type_name;
        match (self.kind, self.category) {
            (FieldKind::Time, _) => format!("to_timestamp({{v}}::bigint)::{to}"),
            (FieldKind::Price, TypeCategory::Integer) => {
                format!("round({{v}}::numeric * 100)::{to}")
            }
            _ => owned::cast_value(to),
        }
    }
}

/// One entity's table, bound.
#[derive(Debug, Clone)]
pub struct BoundTable {
    pub target: Target,
    key: Option<KeyColumn>,
    columns: BTreeMap<&'static str, BoundColumn>,
    pub password_format: HashFormat,
}

/// A row's values by field; fields the mapping leaves out are dropped.
pub type Fields = Vec<(&'static str, Option<String>)>;

impl BoundTable {
    /// Whether the mapping writes `field`.
    pub fn has(&self, field: &str) -> bool {
        self.columns.contains_key(field)
    }

    /// The quoted column of `field`, when mapped.
    pub fn column_sql(&self, field: &str) -> Option<String> {
        self.columns
            .get(field)
            .map(|column| catalog::quote(&column.name))
    }

    /// The rows `seeder` wants, keyed by the table's natural key (or, when `ownership_only`,
    /// by a key recorded only in restage's bookkeeping).
    pub fn seed(
        &self,
        seeder: &str,
        rows: Vec<(String, Fields)>,
        ownership_only: bool,
    ) -> TableSeed {
        let mapped = |fields: &Fields| -> Vec<(&'static str, Option<String>)> {
            fields
                .iter()
                .filter(|(field, _)| self.has(field))
                .cloned()
                .collect()
        };
        let columns = rows
            .first()
            .map(|(_, fields)| {
                mapped(fields)
                    .into_iter()
                    .map(|(field, _)| {
                        let column = &self.columns[field];
                        Column {
                            name: column.name.clone(),
                            value_sql: column.value_sql(),
                            insert_only: column.insert_only,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let key = match (&self.key, ownership_only) {
            (Some(key), false) => NaturalKey::Columns(vec![key.clone()]),
            _ => NaturalKey::OwnershipOnly,
        };
        TableSeed {
            seeder: seeder.to_owned(),
            table: self.target.clone(),
            key,
            columns,
            rows: rows
                .into_iter()
                .map(|(key, fields)| {
                    SeedRow::keyed(key, mapped(&fields).into_iter().map(|(_, v)| v).collect())
                })
                .collect(),
        }
    }

    /// Natural key → id of the rows with the given keys.
    pub async fn ids_by_key(
        &self,
        connection: &mut PgConnection,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, i64>, sqlx::Error> {
        match &self.key {
            Some(key) => owned::ids_by_key(connection, &self.target, key, keys).await,
            None => Ok(Default::default()),
        }
    }
}

/// Every table the chosen seeders use, bound.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    tables: BTreeMap<Entity, BoundTable>,
}

impl Tables {
    /// The table of `entity`. Only entities of the seeders the tables were bound for exist.
    pub fn get(&self, entity: Entity) -> &BoundTable {
        &self.tables[&entity]
    }

    /// Binds the tables `seeders` use and checks them against the database (its `catalog`,
    /// read once per seeding): every table and
    /// column must exist with a fitting type, keys must be unique and ids must draw from a
    /// sequence. Returns every problem, one per key, when they do not.
    pub async fn bind(
        connection: &mut PgConnection,
        catalog: &Catalog,
        mapping: &Mapping,
        seeders: &[&str],
        url: &SecretUrl,
    ) -> Result<Tables, Error> {
        let mut entities: Vec<Entity> = seeders
            .iter()
            .flat_map(|seeder| mapping.entities_for(seeder))
            .collect();
        entities.sort_unstable();
        entities.dedup();
        if entities.is_empty() {
            return Ok(Tables::default());
        }
        let database_error = |source| Error::Database {
            action: "reading the staging catalog".to_owned(),
            url: url.to_string(),
            source,
        };
        let mut tables = Tables::default();
        let mut problems = Vec::new();
        for entity in entities {
            let map = mapping.table(entity);
            match bind_table(entity, map, catalog) {
                Ok(mut table) => {
                    if let Some(problem) = check_sequence(connection, entity, map, &table)
                        .await
                        .map_err(database_error)?
                    {
                        problems.push(problem);
                    }
                    table.password_format = map.password_format;
                    tables.tables.insert(entity, table);
                }
                Err(found) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            Ok(tables)
        } else {
            Err(Error::SchemaMapping {
                url: url.to_string(),
                problems,
            })
        }
    }
}

/// Where a problem of `entity`'s mapping is: the configuration line, or that it is the
/// reference schema's default.
fn problem(entity: Entity, map: &TableMap, key: &str, reason: String) -> String {
    let origin = match map.line_of(key) {
        Some(line) => format!("line {line}: "),
        None => String::new(),
    };
    let hint = match map.line {
        Some(_) => "",
        None => {
            " (the reference schema's default: describe the table in [schema.<section>], or \
             leave its seeder out of [schema] seeders)"
        }
    };
    format!(
        "{origin}schema.{}.{key}: {reason}{}",
        entity.name(),
        hint.replace("<section>", entity.name())
    )
}

fn bind_table(
    entity: Entity,
    map: &TableMap,
    catalog: &Catalog,
) -> Result<BoundTable, Vec<String>> {
    let Some(table) =
        catalog::parse_profile_name(&map.table).and_then(|name| catalog.tables.get(&name))
    else {
        return Err(vec![problem(
            entity,
            map,
            "table",
            format!("table {} does not exist in the staging database", map.table),
        )]);
    };
    let mut problems = Vec::new();
    let mut columns = BTreeMap::new();
    let mut key = None;
    for field in entity.fields() {
        let Some(name) = map.column(field.name) else {
            continue;
        };
        let Some(column) = table.column(name) else {
            let known: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            problems.push(problem(
                entity,
                map,
                field.name,
                format!(
                    "column {}.{name} does not exist; its columns are {}",
                    map.table,
                    known.join(", ")
                ),
            ));
            continue;
        };
        if let Some(needed) = unfitting(field.kind, column) {
            problems.push(problem(
                entity,
                map,
                field.name,
                format!(
                    "column {}.{name} is {}; {needed}",
                    map.table, column.type_name
                ),
            ));
            continue;
        }
        if field.kind == FieldKind::Key {
            if !column.unique {
                problems.push(problem(
                    entity,
                    map,
                    field.name,
                    format!(
                        "column {}.{name} is not unique; the seeders find rows by it, so it \
                         needs a unique constraint or index of its own",
                        map.table
                    ),
                ));
            }
            key = Some(KeyColumn {
                name: name.to_owned(),
                sql_type: column.type_name.clone(),
            });
        }
        if field.kind != FieldKind::Id && field.kind != FieldKind::Key {
            columns.insert(
                field.name,
                BoundColumn {
                    name: name.to_owned(),
                    type_name: column.type_name.clone(),
                    category: column.category,
                    kind: field.kind,
                    insert_only: field.insert_only,
                },
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(BoundTable {
        target: Target {
            record: map.table.clone(),
            sql: table.quoted(),
            id: map.column("id").map(str::to_owned),
        },
        key,
        columns,
        password_format: HashFormat::default(),
    })
}

/// What a column of `kind` must be instead, when `column` does not fit.
fn unfitting(kind: FieldKind, column: &catalog::Column) -> Option<&'static str> {
    use TypeCategory as C;
    let fits = match kind {
        FieldKind::Id | FieldKind::Reference => column.category == C::Integer,
        FieldKind::Key => matches!(column.category, C::Text | C::Integer | C::Uuid),
        FieldKind::Text => matches!(column.category, C::Text | C::Other),
        FieldKind::Password => column.category == C::Text,
        FieldKind::Time => matches!(column.category, C::Timestamp | C::Date),
        FieldKind::Flag => column.type_name == "boolean",
        FieldKind::Price => matches!(column.category, C::Integer | C::Decimal),
    };
    (!fits).then_some(match kind {
        FieldKind::Id => "an id must be an integer column (identity or serial)",
        FieldKind::Reference => "a reference to another table's id must be an integer column",
        FieldKind::Key => "a natural key must be a text, integer or uuid column",
        FieldKind::Text => "a text (or enum) column is needed",
        FieldKind::Password => "a password hash needs a text column",
        FieldKind::Time => "a time column (timestamptz, timestamp or date) is needed",
        FieldKind::Flag => "a boolean column is needed",
        FieldKind::Price => "a price needs a numeric column (or an integer one, in cents)",
    })
}

/// An id column must draw its values from a sequence: the seeders take ids from it.
async fn check_sequence(
    connection: &mut PgConnection,
    entity: Entity,
    map: &TableMap,
    table: &BoundTable,
) -> Result<Option<String>, sqlx::Error> {
    let Some(id) = &table.target.id else {
        return Ok(None);
    };
    let sequence: Option<String> = sqlx::query_scalar("SELECT pg_get_serial_sequence($1, $2)")
        .bind(&table.target.sql)
        .bind(id)
        .fetch_one(connection)
        .await?;
    Ok(sequence.is_none().then(|| {
        problem(
            entity,
            map,
            "id",
            format!(
                "column {}.{id} draws from no sequence; the id must be an identity or serial \
                 column",
                map.table
            ),
        )
    }))
}
