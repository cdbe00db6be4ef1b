//! The built-in seeders' tables in the staging database: the `[schema]` mapping bound to
//! real tables and columns, checked against the catalog before anything is written.

use std::collections::{BTreeMap, HashMap};

use sqlx::postgres::PgConnection;

use super::owned::{
    self, Column, IdSource, KeyColumn, NaturalKey, RowId, SeedRow, TableSeed, Target,
};
use super::words::{self, Allowed};
use crate::catalog::{self, Catalog, TypeCategory};
use crate::error::Error;
use crate::mapping::{Entity, FieldKind, Mapping, TableMap};
use crate::password::HashFormat;
use crate::secret::SecretUrl;

/// Which column of the referenced table a reference holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Points {
    Id,
    Key,
}

/// One mapped column as it is in the database.
#[derive(Debug, Clone)]
struct BoundColumn {
    name: String,
    type_name: String,
    category: TypeCategory,
    kind: FieldKind,
    insert_only: bool,
    /// What a reference holds (resolved once every table is bound).
    points: Points,
    /// A word column's seed words → the column's words.
    words: BTreeMap<String, String>,
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

    /// The column's word for the seed word `word`.
    fn word<'a>(&'a self, word: &'a str) -> &'a str {
        self.words.get(word).map_or(word, String::as_str)
    }
}

/// One entity's table, bound.
#[derive(Debug, Clone)]
pub struct BoundTable {
    pub target: Target,
    /// Its catalog name (`Shop.member`).
    name: String,
    key: Option<KeyColumn>,
    columns: BTreeMap<&'static str, BoundColumn>,
    pub password_format: HashFormat,
}

/// A row's values by field; fields the mapping leaves out are dropped.
pub type Fields = Vec<(&'static str, Option<String>)>;

/// Natural key → the row found or made with it: its id as text, or the key itself when the
/// table has no id.
pub type Rows = HashMap<String, String>;

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

    /// The type of the column of `field`, when mapped.
    pub fn column_type(&self, field: &str) -> Option<&str> {
        self.columns
            .get(field)
            .map(|column| column.type_name.as_str())
    }

    /// The quoted column and type a row is found by in [`Rows`]: the id, else the key.
    pub fn row_column(&self) -> Option<(String, &str)> {
        match (&self.target.id, &self.key) {
            (Some(id), _) => Some((catalog::quote(&id.name), id.sql_type.as_str())),
            (None, Some(key)) => Some((catalog::quote(&key.name), key.sql_type.as_str())),
            (None, None) => None,
        }
    }

    /// What reference `field` writes for the referenced row with natural key `key`, found
    /// in `rows` (the referenced table's): its id or its key, as the column's foreign key
    /// points; `None` when the row is not there.
    pub fn refer(&self, field: &str, key: &str, rows: &Rows) -> Option<String> {
        let row = rows.get(key)?;
        match self.columns.get(field)?.points {
            Points::Id => Some(row.clone()),
            Points::Key => Some(key.to_owned()),
        }
    }

    /// The rows `seeder` wants, keyed by the table's natural key (or, when `ownership_only`,
    /// by a key recorded only in restage's bookkeeping). Seed words are written as the
    /// column's words.
    pub fn seed(
        &self,
        seeder: &str,
        rows: Vec<(String, Fields)>,
        ownership_only: bool,
    ) -> TableSeed {
        let mapped = |fields: &Fields| -> Vec<(&'static str, Option<String>)> {
            fields
                .iter()
                .filter_map(|(field, value)| {
                    let column = self.columns.get(field)?;
                    let value = value.as_deref().map(|value| column.word(value).to_owned());
                    Some((*field, value))
                })
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

    /// The rows with the given natural keys.
    pub async fn ids_by_key(
        &self,
        connection: &mut PgConnection,
        keys: &[String],
    ) -> Result<Rows, sqlx::Error> {
        match &self.key {
            Some(key) => owned::ids_by_key(connection, &self.target, key, keys).await,
            None => Ok(Default::default()),
        }
    }
}

/// The seed words a seeder writes into a word column of an entity.
#[derive(Debug, Clone)]
pub struct SeedWords {
    pub entity: Entity,
    pub field: &'static str,
    pub words: Vec<String>,
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
    /// read once per seeding): every table and column must exist with a fitting type, keys
    /// must be unique, an integer id must draw from a sequence, a reference must hold the
    /// referenced row's id or key, and the seed `words` must be words their columns take.
    /// Returns every problem, one per key, when they do not.
    pub async fn bind(
        connection: &mut PgConnection,
        catalog: &Catalog,
        mapping: &Mapping,
        seeders: &[&str],
        words: &[SeedWords],
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
                    owned::rename_records(connection, &map.table, &table.target.record)
                        .await
                        .map_err(crate::pg::database_error(
                            url,
                            "renaming records in restage.seeded_rows",
                        ))?;
                    table.password_format = map.password_format;
                    tables.tables.insert(entity, table);
                }
                Err(found) => problems.extend(found),
            }
        }
        problems.extend(tables.resolve_references(mapping, catalog));
        problems.extend(
            tables
                .refused_words(connection, catalog, mapping, words)
                .await
                .map_err(database_error)?,
        );
        if problems.is_empty() {
            Ok(tables)
        } else {
            Err(Error::SchemaMapping {
                url: url.to_string(),
                problems,
            })
        }
    }

    /// Decides what each reference holds (the referenced row's id or key); a reference that
    /// can hold neither is a problem.
    fn resolve_references(&mut self, mapping: &Mapping, catalog: &Catalog) -> Vec<String> {
        let mut problems = Vec::new();
        let references: Vec<(Entity, &'static str, Entity)> = self
            .tables
            .iter()
            .flat_map(|(entity, table)| {
                table
                    .columns
                    .iter()
                    .filter_map(|(field, column)| match column.kind {
                        FieldKind::Reference(to) => Some((*entity, *field, to)),
                        _ => None,
                    })
            })
            .collect();
        for (entity, field, to) in references {
            let Some(referenced) = self.tables.get(&to) else {
                continue;
            };
            match points_of(&self.tables[&entity], field, to, referenced, catalog) {
                Ok(points) => {
                    if let Some(column) = self
                        .tables
                        .get_mut(&entity)
                        .and_then(|table| table.columns.get_mut(field))
                    {
                        column.points = points;
                    }
                }
                Err(reason) => problems.push(problem(entity, mapping.table(entity), field, reason)),
            }
        }
        problems
    }

    /// The seed words (as the mapping turns them into the column's words) that their word
    /// columns do not take, one problem per column.
    async fn refused_words(
        &self,
        connection: &mut PgConnection,
        catalog: &Catalog,
        mapping: &Mapping,
        words: &[SeedWords],
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut problems = Vec::new();
        for seed in words {
            let Some(table) = self.tables.get(&seed.entity) else {
                continue;
            };
            let Some(column) = table.columns.get(seed.field) else {
                continue;
            };
            let Some(allowed) =
                words::allowed(connection, catalog, &table.name, &column.name).await?
            else {
                continue;
            };
            let mut refused: Vec<&str> = seed
                .words
                .iter()
                .map(String::as_str)
                .filter(|word| !allowed.takes(column.word(word)))
                .collect();
            refused.sort_unstable();
            refused.dedup();
            if refused.is_empty() {
                continue;
            }
            let map = mapping.table(seed.entity);
            let values_key = format!("{}_values", seed.field);
            let key = if map.words.contains_key(seed.field) {
                values_key.as_str()
            } else {
                seed.field
            };
            let reason = refusal(
                &table.name,
                column,
                &allowed,
                &refused,
                &values_key,
                seed.entity,
            );
            problems.push(problem(seed.entity, map, key, reason));
        }
        Ok(problems)
    }
}

/// Why the seed words `refused` do not fit `column`, and how to map them.
fn refusal(
    table: &str,
    column: &BoundColumn,
    allowed: &Allowed,
    refused: &[&str],
    values_key: &str,
    entity: Entity,
) -> String {
    const SHOWN: usize = 20;
    let takes = if allowed.words.is_empty() {
        format!("takes no word yet ({} allows none)", allowed.by)
    } else {
        let mut shown = allowed
            .words
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if allowed.words.len() > SHOWN {
            shown.push_str(&format!(" and {} more", allowed.words.len() - SHOWN));
        }
        format!("takes only {shown} ({})", allowed.by)
    };
    let named: Vec<String> = refused
        .iter()
        .map(|word| match column.word(word) {
            mapped if mapped != *word => format!("'{word}' (mapped to '{mapped}')"),
            _ => format!("'{word}'"),
        })
        .collect();
    let example: Vec<String> = refused
        .iter()
        .map(|word| format!("{word} = \"…\""))
        .collect();
    let (words, are_not, each) = if refused.len() == 1 {
        ("word", "is not one of them", "it")
    } else {
        ("words", "are not among them", "each")
    };
    format!(
        "column {table}.{} {takes}; the seed {words} {} {are_not}: map {each} in [schema.{}] \
         {values_key} = {{ {} }}",
        column.name,
        named.join(", "),
        entity.name(),
        example.join(", "),
    )
}

/// What reference `field` of `table` holds: the id or the key of the `to` table
/// `referenced`, as its foreign key says; without one, the id (else the key) when the types
/// agree.
fn points_of(
    table: &BoundTable,
    field: &str,
    to: Entity,
    referenced: &BoundTable,
    catalog: &Catalog,
) -> Result<Points, String> {
    let column = &table.columns[field];
    let here = format!("{}.{}", table.name, column.name);
    let key_field = to
        .fields()
        .iter()
        .find(|field| field.kind == FieldKind::Key)
        .map_or("key", |field| field.name);
    let is_id = |name: &str| {
        referenced
            .target
            .id
            .as_ref()
            .is_some_and(|id| id.name == name)
    };
    let is_key = |name: &str| referenced.key.as_ref().is_some_and(|key| key.name == name);
    if let Some(foreign_key) = catalog
        .foreign_keys
        .iter()
        .find(|key| key.table == table.name && key.columns == [column.name.as_str()])
    {
        let target = &foreign_key.referenced_columns[0];
        return if foreign_key.referenced != referenced.name {
            Err(format!(
                "column {here} refers to {} (its foreign key says so), but [schema.{}] is {}: \
                 a reference must point at the table restage writes",
                foreign_key.referenced,
                to.name(),
                referenced.name
            ))
        } else if is_id(target) {
            Ok(Points::Id)
        } else if is_key(target) {
            Ok(Points::Key)
        } else {
            Err(format!(
                "column {here} refers to {}.{target}, which is neither the id nor the {key_field} \
                 of [schema.{}]: a reference holds the referenced row's id or natural key",
                referenced.name,
                to.name()
            ))
        };
    }
    let (points, target, what) = match (&referenced.target.id, &referenced.key) {
        (Some(id), _) => (Points::Id, id.name.as_str(), "id"),
        (None, Some(key)) => (Points::Key, key.name.as_str(), key_field),
        (None, None) => return Ok(Points::Id),
    };
    let Some(held) = catalog
        .tables
        .get(&referenced.name)
        .and_then(|found| found.column(target))
    else {
        return Ok(points);
    };
    let same_type = held.category == column.category
        && (held.category != TypeCategory::Other || held.type_name == column.type_name);
    if same_type {
        Ok(points)
    } else {
        Err(format!(
            "column {here} is {}, but the {what} of {} ({target}) is {}: a reference holds the \
             referenced row's id or natural key; give the column a foreign key to the one it \
             holds, or map a column of type {}",
            column.type_name, referenced.name, held.type_name, held.type_name
        ))
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

/// The id column of `entity`'s table: the mapped one, else an integer or uuid column
/// called `id`.
fn id_column<'a>(entity: Entity, map: &'a TableMap, table: &catalog::Table) -> Option<&'a str> {
    let has_id = entity
        .fields()
        .iter()
        .any(|field| field.kind == FieldKind::Id);
    let id_like = table
        .column("id")
        .is_some_and(|column| unfitting(FieldKind::Id, column).is_none());
    map.column("id")
        .or_else(|| (has_id && id_like).then_some("id"))
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
    let mut id = None;
    for field in entity.fields() {
        let name = match field.kind {
            FieldKind::Id => id_column(entity, map, table),
            _ => map.column(field.name),
        };
        let Some(name) = name else {
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
        match field.kind {
            FieldKind::Id => {
                id = Some(RowId {
                    name: name.to_owned(),
                    sql_type: column.type_name.clone(),
                    made: match column.category {
                        TypeCategory::Uuid => IdSource::NameBased {
                            table: table.profile_name(),
                        },
                        _ => IdSource::Sequence,
                    },
                });
            }
            FieldKind::Key => {
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
            _ => {
                columns.insert(
                    field.name,
                    BoundColumn {
                        name: name.to_owned(),
                        type_name: column.type_name.clone(),
                        category: column.category,
                        kind: field.kind,
                        insert_only: field.insert_only,
                        points: Points::Id,
                        words: map.words.get(field.name).cloned().unwrap_or_default(),
                    },
                );
            }
        }
    }
    if entity == Entity::Movements && id.is_none() && problems.is_empty() {
        problems.push(problem(
            entity,
            map,
            "id",
            format!(
                "table {} has no id column: movements need one (an integer or a uuid), since a \
                 movement has no natural key to be found by; map it with id = \"…\"",
                map.table
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(BoundTable {
        target: Target {
            record: table.profile_name(),
            sql: table.quoted(),
            id,
        },
        name: table.profile_name(),
        key,
        columns,
        password_format: HashFormat::default(),
    })
}

/// What a column of `kind` must be instead, when `column` does not fit.
fn unfitting(kind: FieldKind, column: &catalog::Column) -> Option<&'static str> {
    use TypeCategory as C;
    let fits = match kind {
        FieldKind::Id => matches!(column.category, C::Integer | C::Uuid),
        FieldKind::Reference(_) => {
            matches!(column.category, C::Integer | C::Uuid | C::Text | C::Other)
        }
        FieldKind::Key => matches!(column.category, C::Text | C::Integer | C::Uuid),
        FieldKind::Text | FieldKind::Word => matches!(column.category, C::Text | C::Other),
        FieldKind::Password => column.category == C::Text,
        FieldKind::Time => matches!(column.category, C::Timestamp | C::Date),
        FieldKind::Flag => column.type_name == "boolean",
        FieldKind::Price => matches!(column.category, C::Integer | C::Decimal),
    };
    (!fits).then_some(match kind {
        FieldKind::Id => {
            "an id must be an integer (identity or serial), a uuid, or absent (leave id out \
             when the natural key is the primary key)"
        }
        FieldKind::Reference(_) => {
            "a reference holds the referenced row's id or natural key: an integer, a uuid or a \
             text column"
        }
        FieldKind::Key => "a natural key must be a text, integer or uuid column",
        FieldKind::Text | FieldKind::Word => "a text (or enum) column is needed",
        FieldKind::Password => "a password hash needs a text column",
        FieldKind::Time => "a time column (timestamptz, timestamp or date) is needed",
        FieldKind::Flag => "a boolean column is needed",
        FieldKind::Price => "a price needs a numeric column (or an integer one, in cents)",
    })
}

/// An integer id column must draw its values from a sequence: the seeders take ids from it.
async fn check_sequence(
    connection: &mut PgConnection,
    entity: Entity,
    map: &TableMap,
    table: &BoundTable,
) -> Result<Option<String>, sqlx::Error> {
    let Some(id) = table
        .target
        .id
        .as_ref()
        .filter(|id| id.made == IdSource::Sequence)
    else {
        return Ok(None);
    };
    let sequence: Option<String> = sqlx::query_scalar("SELECT pg_get_serial_sequence($1, $2)")
        .bind(&table.target.sql)
        .bind(&id.name)
        .fetch_one(connection)
        .await?;
    Ok(sequence.is_none().then(|| {
        problem(
            entity,
            map,
            "id",
            format!(
                "column {}.{} draws from no sequence; an integer id must be an identity or \
                 serial column (or the id a uuid, or absent)",
                map.table, id.name
            ),
        )
    }))
}
