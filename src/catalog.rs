//! The source catalog: tables, columns and their types, keys and sizes — what the anonymizer
//! profile is validated against and what the copy is planned from.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::postgres::PgConnection;

/// What kind of values a column holds, as far as transformers care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeCategory {
    Text,
    Integer,
    Decimal,
    Date,
    Timestamp,
    Json,
    Inet,
    Macaddr,
    Uuid,
    Bytea,
    /// An array (or a domain over one); its element is described in [`Column::element`].
    Array,
    /// A composite type; its fields are described in [`Column::fields`].
    Composite,
    Other,
}

impl TypeCategory {
    /// The category of a type by its base type name (`format_type` without modifiers).
    pub fn of(base_type: &str) -> TypeCategory {
        match base_type {
            "text" | "character varying" | "character" | "citext" | "name" | "bpchar"
            | "varchar" => TypeCategory::Text,
            "smallint" | "integer" | "bigint" => TypeCategory::Integer,
            "numeric" | "real" | "double precision" | "money" => TypeCategory::Decimal,
            "date" => TypeCategory::Date,
            "timestamp without time zone" | "timestamp with time zone" => TypeCategory::Timestamp,
            "json" | "jsonb" => TypeCategory::Json,
            "inet" | "cidr" => TypeCategory::Inet,
            "macaddr" | "macaddr8" => TypeCategory::Macaddr,
            "uuid" => TypeCategory::Uuid,
            "bytea" => TypeCategory::Bytea,
            _ => TypeCategory::Other,
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    /// The type as PostgreSQL spells it, with modifiers: `character varying(50)`.
    pub type_name: String,
    pub category: TypeCategory,
    /// For `varchar(n)` / `char(n)`: n.
    pub max_length: Option<usize>,
    pub not_null: bool,
    /// Covered alone by a unique index or constraint.
    pub unique: bool,
    /// Generated columns are recomputed by the target, never copied.
    pub generated: bool,
    /// Its binary COPY form names no type that may have another OID in the target (arrays
    /// and composites of user-defined types do), so it can travel in the binary format.
    pub binary_safe: bool,
    /// Its binary COPY form is its UTF-8 text (text, varchar, char, citext, name), so a rule
    /// can rewrite it in the binary format.
    pub text_binary: bool,
    /// A type whose binary COPY form restage writes from the text a rule gives (`date`,
    /// `timestamp`, `timestamptz`, `inet`, `cidr`, `jsonb`), so a ruled column of it can
    /// travel in the binary format too.
    pub binary_writer: Option<BinaryWriter>,
    /// The CHECK constraints of its domain and of the domains under it, as SQL.
    pub domain_checks: Vec<String>,
    /// For an array: its elements, as a column of the element type.
    pub element: Option<Box<Column>>,
    /// For a composite: its fields, in order, as columns.
    pub fields: Vec<Column>,
}

impl Column {
    /// A nullable, non-unique `text` column called `name`.
    pub fn text(name: &str) -> Column {
        Column {
            name: name.to_owned(),
            type_name: "text".to_owned(),
            category: TypeCategory::Text,
            max_length: None,
            not_null: false,
            unique: false,
            generated: false,
            binary_safe: true,
            text_binary: true,
            binary_writer: None,
            domain_checks: Vec::new(),
            element: None,
            fields: Vec::new(),
        }
    }
}

/// One table (ordinary, partition, or partitioned parent).
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    /// `r` ordinary (or partition), `p` partitioned parent (holds no rows itself).
    pub kind: char,
    /// For a partition: `schema.table` of its top-most partitioned ancestor.
    pub partition_root: Option<String>,
    pub estimated_rows: i64,
    pub size_bytes: i64,
    /// Pages of the main fork, for splitting a large table into ctid ranges.
    pub pages: i64,
    pub columns: Vec<Column>,
    /// Primary key columns, in key order (empty: no primary key).
    pub primary_key: Vec<String>,
}

impl Table {
    /// The name a profile uses: `table` in public, else `schema.table`.
    pub fn profile_name(&self) -> String {
        profile_name(&self.schema, &self.name)
    }

    /// `"schema"."table"`, quoted for SQL.
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.name))
    }

    /// For SQL: the primary key as one text value (`concat_ws(', ', "a"::text, "b"::text)`)
    /// and the clause that orders by it (` ORDER BY "a", "b"`); `None` without a primary key.
    pub fn primary_key_sql(&self) -> Option<(String, String)> {
        if self.primary_key.is_empty() {
            return None;
        }
        let columns: Vec<String> = self
            .primary_key
            .iter()
            .map(|column| quote(column))
            .collect();
        let as_text: Vec<String> = columns
            .iter()
            .map(|column| format!("{column}::text"))
            .collect();
        Some((
            format!("concat_ws(', ', {})", as_text.join(", ")),
            format!(" ORDER BY {}", columns.join(", ")),
        ))
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

/// `table` in public, else `schema.table`.
pub fn profile_name(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

/// A table name as a profile may write it — `user`, `Sales.Customer`, or SQL-quoted
/// `"Sales"."Customer"`, `public."user"` — as its profile name (`table` in public, else
/// `schema.table`). Unquoted names are taken as they are (case-sensitive). `None` when the
/// text is not one or two names.
pub fn parse_profile_name(text: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let (part, after) = match rest.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None => {
                let (part, after) = rest.split_at(rest.find('.').unwrap_or(rest.len()));
                (part.to_owned(), after)
            }
        };
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None if after.is_empty() => break,
            None => return None,
        }
    }
    match parts.as_slice() {
        [table] => Some(table.clone()),
        [schema, table] => Some(profile_name(schema, table)),
        _ => None,
    }
}

/// The identifier of a quoted name (after its opening quote) and the text after its closing
/// quote; `""` inside stands for one `"`.
fn unquote(quoted: &str) -> Option<(String, &str)> {
    let mut name = String::new();
    let mut chars = quoted.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '"' {
            name.push(c);
        } else if chars.peek().is_some_and(|(_, next)| *next == '"') {
            name.push('"');
            chars.next();
        } else {
            return Some((name, &quoted[at + 1..]));
        }
    }
    None
}

/// Quotes an SQL identifier.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// A foreign key: `columns` of `table` reference `referenced_columns` of `referenced`.
#[derive(Debug, Clone, Serialize)]
pub struct ForeignKey {
    pub table: String,
    pub columns: Vec<String>,
    pub referenced: String,
    pub referenced_columns: Vec<String>,
}

/// Every user table of a database, by profile name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    pub tables: BTreeMap<String, Table>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// schema, table, relkind, partition root, estimated rows, size in bytes, pages.
type TableRow = (String, String, String, Option<String>, i64, i64, i64);

/// schema, table, column, type, base type (through every domain), its type category, its
/// binary send function, max length, not null, generated, binary safe, unique, domain checks;
/// for an array: its element's base type, type category and max length; the OIDs of the base
/// type and of the element's base type (to find composite fields).
struct ColumnRow(
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i32>,
    bool,
    bool,
    bool,
    bool,
    Vec<String>,
    Option<String>,
    Option<String>,
    Option<i32>,
    i64,
    Option<i64>,
);

// Eighteen columns: more than sqlx reads into a tuple, so read by position here.
impl sqlx::FromRow<'_, sqlx::postgres::PgRow> for ColumnRow {
    fn from_row(row: &sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(ColumnRow(
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
            row.try_get(5)?,
            row.try_get(6)?,
            row.try_get(7)?,
            row.try_get(8)?,
            row.try_get(9)?,
            row.try_get(10)?,
            row.try_get(11)?,
            row.try_get(12)?,
            row.try_get(13)?,
            row.try_get(14)?,
            row.try_get(15)?,
            row.try_get(16)?,
            row.try_get(17)?,
        ))
    }
}

/// The category of a base type by its name and PostgreSQL type category: string-category
/// types take text input whatever their schema or extension (citext, domains over varchar);
/// arrays are arrays.
fn category_of(base_type: &str, type_category: &str) -> TypeCategory {
    match type_category {
        "S" => TypeCategory::Text,
        "A" => TypeCategory::Array,
        "C" => TypeCategory::Composite,
        _ => TypeCategory::of(base_type),
    }
}

/// `domains` (every domain with each type under it) and `base_of` (every domain's base type
/// and the first typmod on the way down), for the queries that follow types through domains.
const DOMAIN_BASES: &str = "WITH RECURSIVE domains(domain, base, typmod) AS (
        SELECT oid, typbasetype, typtypmod FROM pg_type WHERE typtype = 'd'
        UNION ALL
        -- a domain over a domain: down to the base type, keeping the first typmod
        SELECT d.domain, t.typbasetype, CASE WHEN d.typmod <> -1 THEN d.typmod ELSE t.typtypmod END
        FROM domains d JOIN pg_type t ON t.oid = d.base WHERE t.typtype = 'd'
    ), base_of AS (
        SELECT domain, base, typmod FROM domains d
        WHERE NOT EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = d.base AND t.typtype = 'd')
    )";

/// The fields of every composite type: (type OID, field name, base type, its type category,
/// max length, base type OID), through domains.
type FieldRow = (i64, String, String, String, Option<i32>, i64);

/// The composite types of a database, to describe composite columns and their elements.
struct Composites {
    fields: BTreeMap<i64, Vec<FieldRow>>,
}

/// How deep composites may nest in a description (a type cannot contain itself, but stay safe).
const MAX_NESTING: usize = 8;

impl Composites {
    async fn read(connection: &mut PgConnection) -> Result<Composites, sqlx::Error> {
        let rows: Vec<FieldRow> = sqlx::query_as(&format!(
            "{DOMAIN_BASES}
             SELECT t.oid::int8, a.attname::text, format_type(bt.oid, NULL), bt.typcategory::text,
                    CASE WHEN bt.oid IN ('varchar'::regtype, 'bpchar'::regtype)
                              AND coalesce(nullif(a.atttypmod, -1), b.typmod) > 4
                         THEN coalesce(nullif(a.atttypmod, -1), b.typmod) - 4 END,
                    bt.oid::int8
             FROM pg_type t JOIN pg_class r ON r.oid = t.typrelid AND r.relkind = 'c'
             JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
             LEFT JOIN base_of b ON b.domain = a.atttypid
             JOIN pg_type bt ON bt.oid = coalesce(b.base, a.atttypid)
             ORDER BY t.oid, a.attnum"
        ))
        .fetch_all(connection)
        .await?;
        let mut fields: BTreeMap<i64, Vec<FieldRow>> = BTreeMap::new();
        for row in rows {
            fields.entry(row.0).or_default().push(row);
        }
        Ok(Composites { fields })
    }

    /// The fields of composite type `oid` as columns (nested composites described too).
    fn fields_of(&self, oid: Option<i64>, depth: usize) -> Vec<Column> {
        let Some(rows) = oid.and_then(|oid| self.fields.get(&oid)) else {
            return Vec::new();
        };
        if depth >= MAX_NESTING {
            return Vec::new();
        }
        rows.iter()
            .map(|(_, name, base_type, category, length, base_oid)| Column {
                type_name: base_type.clone(),
                category: category_of(base_type, category),
                max_length: length.and_then(|n| usize::try_from(n).ok()),
                fields: self.fields_of(Some(*base_oid), depth + 1),
                ..Column::text(name)
            })
            .collect()
    }
}

/// A type whose binary COPY form is not its text but that restage writes from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BinaryWriter {
    Date,
    Timestamp,
    Timestamptz,
    Inet,
    Cidr,
    Jsonb,
}

impl BinaryWriter {
    /// The writer of the type whose send function is `send`.
    fn of_send(send: &str) -> Option<BinaryWriter> {
        match send {
            "date_send" => Some(BinaryWriter::Date),
            "timestamp_send" => Some(BinaryWriter::Timestamp),
            "timestamptz_send" => Some(BinaryWriter::Timestamptz),
            "inet_send" => Some(BinaryWriter::Inet),
            "cidr_send" => Some(BinaryWriter::Cidr),
            "jsonb_send" => Some(BinaryWriter::Jsonb),
            _ => None,
        }
    }

    /// How the source is asked for a column's text: as its output function writes it, the
    /// form a COPY in text gives and rules see (`inet`'s cast to text would add `/32`).
    pub fn source_text(self, column: &str) -> String {
        match self {
            BinaryWriter::Inet => format!(
                "CASE WHEN masklen({column}) = CASE family({column}) WHEN 4 THEN 32 ELSE 128 END \
                 THEN host({column}) ELSE {column}::text END"
            ),
            _ => format!("{column}::text"),
        }
    }

    /// Whether the server checks any text written as this type (a `jsonb` document is sent
    /// as text), so that no rule needs to write the server's own form.
    pub fn takes_any_text(self) -> bool {
        self == BinaryWriter::Jsonb
    }

    /// The SQL name of the type.
    pub fn type_name(self) -> &'static str {
        match self {
            BinaryWriter::Date => "date",
            BinaryWriter::Timestamp => "timestamp",
            BinaryWriter::Timestamptz => "timestamptz",
            BinaryWriter::Inet => "inet",
            BinaryWriter::Cidr => "cidr",
            BinaryWriter::Jsonb => "jsonb",
        }
    }
}

/// The send functions whose binary form is the value's UTF-8 text.
const TEXT_SEND: &[&str] = &[
    "textsend",
    "varcharsend",
    "bpcharsend",
    "namesend",
    "citextsend",
    "json_send",
];

/// schema, table, columns, referenced schema, referenced table, referenced columns.
type ForeignKeyRow = (String, String, Vec<String>, String, String, Vec<String>);

const SYSTEM_SCHEMAS: &str = "('pg_catalog', 'information_schema', 'restage')";

impl Catalog {
    /// Reads the catalog of the database `connection` is on.
    pub async fn read(connection: &mut PgConnection) -> Result<Catalog, sqlx::Error> {
        let tables: Vec<TableRow> = sqlx::query_as(&format!(
            "SELECT n.nspname, c.relname, c.relkind::text,
                    (SELECT rn.nspname || '.' || r.relname FROM pg_partition_root(c.oid) root
                       JOIN pg_class r ON r.oid = root JOIN pg_namespace rn ON rn.oid = r.relnamespace
                      WHERE root <> c.oid),
                    greatest(c.reltuples, 0)::bigint, pg_table_size(c.oid),
                    pg_relation_size(c.oid) / current_setting('block_size')::bigint
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN {SYSTEM_SCHEMAS}
               AND n.nspname NOT LIKE 'pg\\_%' AND NOT EXISTS (
                   SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
             ORDER BY 1, 2"
        ))
        .fetch_all(&mut *connection)
        .await?;
        let columns: Vec<ColumnRow> = sqlx::query_as(&format!(
            "{DOMAIN_BASES}
             SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                    format_type(bt.oid, NULL), bt.typcategory::text, send.proname::text,
                    CASE WHEN bt.oid IN ('varchar'::regtype, 'bpchar'::regtype)
                              AND coalesce(nullif(a.atttypmod, -1), b.typmod) > 4
                         THEN coalesce(nullif(a.atttypmod, -1), b.typmod) - 4 END,
                    a.attnotnull, a.attgenerated <> '',
                    -- judged on the base type of a domain; 16384 is the first user OID
                    bt.typtype <> 'c' AND NOT (bt.typcategory = 'A' AND bt.typelem >= 16384),
                    EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique
                              AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL),
                    ARRAY(SELECT pg_get_constraintdef(con.oid) FROM pg_constraint con
                          WHERE con.contype = 'c' AND (con.contypid = a.atttypid OR con.contypid IN
                                (SELECT d.base FROM domains d WHERE d.domain = a.atttypid))
                          ORDER BY con.conname),
                    format_type(ebt.oid, NULL), ebt.typcategory::text,
                    -- an array column's typmod is its elements'
                    CASE WHEN ebt.oid IN ('varchar'::regtype, 'bpchar'::regtype)
                              AND coalesce(nullif(a.atttypmod, -1), eb.typmod) > 4
                         THEN coalesce(nullif(a.atttypmod, -1), eb.typmod) - 4 END,
                    bt.oid::int8, ebt.oid::int8
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN base_of b ON b.domain = a.atttypid
             JOIN pg_type bt ON bt.oid = coalesce(b.base, a.atttypid)
             JOIN pg_proc send ON send.oid = bt.typsend
             LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
             LEFT JOIN base_of eb ON eb.domain = et.oid
             LEFT JOIN pg_type ebt ON ebt.oid = coalesce(eb.base, et.oid)
             WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
               AND n.nspname NOT IN {SYSTEM_SCHEMAS}
             ORDER BY n.nspname, c.relname, a.attnum"
        ))
        .fetch_all(&mut *connection)
        .await?;
        let composites = Composites::read(connection).await?;
        let mut catalog = Catalog::default();
        for (schema, name, kind, partition_root, estimated_rows, size_bytes, pages) in tables {
            let table = Table {
                kind: kind.chars().next().unwrap_or('r'),
                partition_root: partition_root.map(|root| {
                    let (root_schema, root_name) =
                        root.split_once('.').unwrap_or(("public", &root));
                    profile_name(root_schema, root_name)
                }),
                schema,
                name,
                estimated_rows,
                size_bytes,
                pages,
                columns: Vec::new(),
                primary_key: Vec::new(),
            };
            catalog.tables.insert(table.profile_name(), table);
        }
        for ColumnRow(
            schema,
            table,
            name,
            type_name,
            base_type,
            base_category,
            send,
            max_length,
            not_null,
            generated,
            binary_safe,
            unique,
            domain_checks,
            element_type,
            element_category,
            element_length,
            base_oid,
            element_oid,
        ) in columns
        {
            if let Some(table) = catalog.tables.get_mut(&profile_name(&schema, &table)) {
                table.columns.push(Column {
                    name,
                    type_name,
                    category: category_of(&base_type, &base_category),
                    element: element_type.map(|element_type| {
                        Box::new(Column {
                            type_name: element_type.clone(),
                            category: category_of(
                                &element_type,
                                element_category.as_deref().unwrap_or_default(),
                            ),
                            max_length: element_length.and_then(|n| usize::try_from(n).ok()),
                            fields: composites.fields_of(element_oid, 0),
                            ..Column::text("element")
                        })
                    }),
                    fields: composites.fields_of(Some(base_oid), 0),
                    text_binary: TEXT_SEND.contains(&send.as_str()),
                    binary_writer: BinaryWriter::of_send(&send),
                    max_length: max_length.and_then(|n| usize::try_from(n).ok()),
                    not_null,
                    unique,
                    generated,
                    binary_safe,
                    domain_checks,
                });
            }
        }
        let keys: Vec<(String, String, Vec<String>)> = sqlx::query_as(&format!(
            "SELECT n.nspname, c.relname,
                    ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY u(num, ord)
                          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.num ORDER BY u.ord)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE i.indisprimary AND n.nspname NOT IN {SYSTEM_SCHEMAS}"
        ))
        .fetch_all(&mut *connection)
        .await?;
        for (schema, table, columns) in keys {
            if let Some(table) = catalog.tables.get_mut(&profile_name(&schema, &table)) {
                table.primary_key = columns;
            }
        }
        catalog.foreign_keys = read_foreign_keys(connection).await?;
        Ok(catalog)
    }
}

async fn read_foreign_keys(connection: &mut PgConnection) -> Result<Vec<ForeignKey>, sqlx::Error> {
    let rows: Vec<ForeignKeyRow> = sqlx::query_as(&format!(
        "SELECT n.nspname, c.relname,
                ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.ord),
                rn.nspname, rc.relname,
                ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
                      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.ord)
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_class rc ON rc.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
         WHERE k.contype = 'f' AND n.nspname NOT IN {SYSTEM_SCHEMAS} AND k.conparentid = 0
         ORDER BY 1, 2, k.conname"
    ))
    .fetch_all(connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(schema, table, columns, ref_schema, ref_table, referenced_columns)| ForeignKey {
                table: profile_name(&schema, &table),
                columns,
                referenced: profile_name(&ref_schema, &ref_table),
                referenced_columns,
            },
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_read_plain_or_quoted() {
        let cases = [
            ("users", Some("users")),
            ("Sales.Customer", Some("Sales.Customer")),
            ("\"Sales\".\"Customer\"", Some("Sales.Customer")),
            ("public.\"user\"", Some("user")),
            ("\"public\".orders", Some("orders")),
            ("\"odd\"\"name\"", Some("odd\"name")),
            ("\"has.dot\"", Some("has.dot")),
            ("a.b.c", None),
            ("\"unclosed", None),
            ("\"a\"b", None),
            ("", None),
            ("a.", None),
        ];
        for (written, expected) in cases {
            assert_eq!(
                parse_profile_name(written).as_deref(),
                expected,
                "{written}"
            );
        }
    }
}
