//! The `[schema]` section: which tables and columns of the application's database the five
//! built-in seeders write. The defaults describe restage's reference schema; a section the
//! user writes describes one of their tables entirely (only `id` has a default, "id").
//!
//! ```toml
//! [schema]
//! seeders = ["accounts", "products"]     # the built-in seeders this schema has
//!
//! [schema.accounts]
//! table = "shop.customers"
//! id = "customer_id"
//! email = "email"
//! name = "display_name"
//! password = "password_digest"
//! password_format = "bcrypt"
//! ```
//!
//! A table's `id` may be an integer drawn from a sequence, a uuid, or absent (its natural
//! key is its primary key): unwritten, it is the table's `id` column when there is one. A
//! reference holds whatever the foreign key's target column holds (the referenced row's id or
//! its natural key). A word column (a status, a kind) takes the seed files' words, mapped
//! through `<field>_values = { seed_word = "column value" }` where the column's words differ.
//!
//! This module checks the section's shape; whether the tables and columns exist with
//! compatible types is checked against the staging database when a seeder starts.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::password::HashFormat;
use crate::toml_source::Problem;

/// The built-in seeders, by the names `--only` and `[schema] seeders` use, in the order
/// they run.
pub const BUILT_IN_SEEDERS: [&str; 5] = ["roles", "accounts", "products", "inventory", "movements"];

/// A table a built-in seeder writes or reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entity {
    Roles,
    Permissions,
    RolePermissions,
    Accounts,
    ItemTypes,
    Products,
    Locations,
    Items,
    Movements,
}

/// What a mapped column holds: decides which column types fit and how a value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// The row id: an integer drawn from the column's sequence (identity or serial), or a
    /// uuid restage derives from the row's natural key.
    Id,
    /// The natural key the seeders find rows by: unique.
    Key,
    /// Text (or an enum, or anything PostgreSQL reads from text).
    Text,
    /// A row of the given mapped table: its id or its natural key, whichever the column's
    /// foreign key points at (the id when it has none).
    Reference(Entity),
    /// A word from a fixed set (a status, a kind, a code): the column may allow only a CHECK's
    /// values, an enum's labels or a lookup table's codes.
    Word,
    /// A point in time (timestamptz, timestamp or date).
    Time,
    /// A boolean.
    Flag,
    /// An amount: numeric as it is, an integer column in cents.
    Price,
    /// A password hash, in the section's `password_format`.
    Password,
}

/// One column a seeder can write.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The key in the `[schema.<entity>]` section.
    pub name: &'static str,
    /// The reference schema's column.
    pub default_column: &'static str,
    pub kind: FieldKind,
    /// A written section must map it.
    pub required: bool,
    /// Written when the row is made, then left alone (state another seeder moves on).
    pub insert_only: bool,
}

const fn field(name: &'static str, default_column: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        default_column,
        kind,
        required: false,
        insert_only: false,
    }
}

const fn required(name: &'static str, default_column: &'static str, kind: FieldKind) -> Field {
    Field {
        required: true,
        ..field(name, default_column, kind)
    }
}

const fn on_insert(name: &'static str, default_column: &'static str, kind: FieldKind) -> Field {
    Field {
        insert_only: true,
        ..field(name, default_column, kind)
    }
}

use FieldKind::{Flag, Id, Key, Password, Price, Reference, Text, Time, Word};

const ID: Field = field("id", "id", Id);

impl Entity {
    /// Every entity.
    pub const ALL: [Entity; 9] = [
        Entity::Roles,
        Entity::Permissions,
        Entity::RolePermissions,
        Entity::Accounts,
        Entity::ItemTypes,
        Entity::Products,
        Entity::Locations,
        Entity::Items,
        Entity::Movements,
    ];

    /// Its `[schema.<name>]` section.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Roles => "roles",
            Entity::Permissions => "permissions",
            Entity::RolePermissions => "role_permissions",
            Entity::Accounts => "accounts",
            Entity::ItemTypes => "item_types",
            Entity::Products => "products",
            Entity::Locations => "locations",
            Entity::Items => "items",
            Entity::Movements => "movements",
        }
    }

    /// The reference schema's table.
    pub fn default_table(self) -> &'static str {
        match self {
            Entity::Accounts => "users",
            other => other.name(),
        }
    }

    /// The columns it has, the id first when it has one.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Entity::Roles => {
                const FIELDS: &[Field] = &[
                    ID,
                    required("name", "name", Key),
                    field("description", "description", Text),
                    field("created_at", "created_at", Time),
                ];
                FIELDS
            }
            Entity::Permissions => {
                const FIELDS: &[Field] = &[
                    ID,
                    required("code", "code", Key),
                    field("description", "description", Text),
                ];
                FIELDS
            }
            Entity::RolePermissions => {
                const FIELDS: &[Field] = &[
                    required("role", "role_id", Reference(Entity::Roles)),
                    required(
                        "permission",
                        "permission_id",
                        Reference(Entity::Permissions),
                    ),
                ];
                FIELDS
            }
            Entity::Accounts => {
                const FIELDS: &[Field] = &[
                    ID,
                    required("email", "email", Key),
                    field("name", "full_name", Text),
                    field("phone", "phone", Text),
                    required("password", "password_hash", Password),
                    field("role", "role_id", Reference(Entity::Roles)),
                    field("active", "is_active", Flag),
                    field("created_at", "created_at", Time),
                    on_insert("updated_at", "updated_at", Time),
                ];
                FIELDS
            }
            Entity::ItemTypes => {
                const FIELDS: &[Field] = &[
                    ID,
                    required("code", "code", Key),
                    field("name", "name", Text),
                    field("description", "description", Text),
                ];
                FIELDS
            }
            Entity::Products => {
                const FIELDS: &[Field] = &[
                    ID,
                    required("key", "sku", Key),
                    field("name", "name", Text),
                    field("description", "description", Text),
                    field("type", "item_type_id", Reference(Entity::ItemTypes)),
                    field("price", "price", Price),
                    field("currency", "currency", Word),
                    field("created_at", "created_at", Time),
                    on_insert("updated_at", "updated_at", Time),
                ];
                FIELDS
            }
            Entity::Locations => {
                const FIELDS: &[Field] = &[
                    ID,
                    required("code", "code", Key),
                    field("name", "name", Text),
                    field("kind", "kind", Word),
                    field("street", "street_address", Text),
                    field("city", "city", Text),
                    field("postcode", "postcode", Text),
                    field("country", "country", Word),
                    field("created_at", "created_at", Time),
                ];
                FIELDS
            }
            Entity::Items => {
                const FIELDS: &[Field] = &[
                    ID,
                    required("serial", "serial", Key),
                    required("product", "product_id", Reference(Entity::Products)),
                    field("parent", "parent_item_id", Reference(Entity::Items)),
                    field("status", "status", Word),
                    field("created_at", "created_at", Time),
                    // Where an item is now is the movements seeder's business once it has arrived.
                    on_insert("location", "location_id", Reference(Entity::Locations)),
                ];
                FIELDS
            }
            Entity::Movements => {
                const FIELDS: &[Field] = &[
                    ID,
                    required("item", "item_id", Reference(Entity::Items)),
                    field("from", "from_location_id", Reference(Entity::Locations)),
                    required("to", "to_location_id", Reference(Entity::Locations)),
                    field("by", "moved_by", Reference(Entity::Accounts)),
                    field("at", "moved_at", Time),
                    field("note", "note", Text),
                ];
                FIELDS
            }
        }
    }
}

/// Where one entity lives in the application's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMap {
    /// The table as written: `table` (in public) or `schema.table`.
    pub table: String,
    /// Field name → column, for the fields it maps.
    pub columns: BTreeMap<&'static str, String>,
    /// How account passwords are hashed (accounts only).
    pub password_format: HashFormat,
    /// The configuration line of its section, when the user wrote one.
    pub line: Option<usize>,
    /// The configuration line of each key of a written section.
    pub key_lines: BTreeMap<String, usize>,
    /// Word field → seed word → the column's word for it (`status_values = { … }`).
    pub words: BTreeMap<&'static str, BTreeMap<String, String>>,
}

impl TableMap {
    /// The reference schema's table of `entity`.
    fn reference(entity: Entity) -> TableMap {
        TableMap {
            table: entity.default_table().to_owned(),
            columns: entity
                .fields()
                .iter()
                .map(|field| (field.name, field.default_column.to_owned()))
                .collect(),
            password_format: HashFormat::Argon2id,
            line: None,
            key_lines: BTreeMap::new(),
            words: BTreeMap::new(),
        }
    }

    /// The configuration line of `key` in a written section (else of the section).
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.key_lines.get(key).copied().or(self.line)
    }

    /// The column of `field`, when mapped.
    pub fn column(&self, field: &str) -> Option<&str> {
        self.columns.get(field).map(String::as_str)
    }
}

/// The whole `[schema]` section, with the reference schema where it is silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The built-in seeders this schema has, in run order.
    pub seeders: Vec<&'static str>,
    tables: BTreeMap<Entity, TableMap>,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            seeders: BUILT_IN_SEEDERS.to_vec(),
            tables: Entity::ALL
                .into_iter()
                .map(|entity| (entity, TableMap::reference(entity)))
                .collect(),
        }
    }
}

impl Mapping {
    /// The entities built-in seeder `seeder` writes or looks rows up in, as mapped here (an
    /// account's role, a product's type and a movement's author only when mapped).
    pub fn entities_for(&self, seeder: &str) -> Vec<Entity> {
        let when = |entity: Entity, field: &str, then: Entity| {
            self.table(entity).column(field).is_some().then_some(then)
        };
        let mut entities = match seeder {
            "roles" => vec![Entity::Permissions, Entity::Roles, Entity::RolePermissions],
            "accounts" => vec![Entity::Accounts],
            "products" => vec![Entity::Products],
            "inventory" => vec![
                Entity::Locations,
                Entity::Items,
                Entity::Products,
                Entity::Movements,
            ],
            "movements" => vec![Entity::Movements, Entity::Items, Entity::Locations],
            _ => Vec::new(),
        };
        entities.extend(match seeder {
            "accounts" => when(Entity::Accounts, "role", Entity::Roles),
            "products" => when(Entity::Products, "type", Entity::ItemTypes),
            "movements" => when(Entity::Movements, "by", Entity::Accounts),
            _ => None,
        });
        entities
    }

    /// Whether the configured seeders need the seed file `file` (`roles.toml`, …).
    pub fn needs_seed_file(&self, file: &str) -> bool {
        let entities: Vec<Entity> = self
            .seeders
            .iter()
            .flat_map(|seeder| self.entities_for(seeder))
            .collect();
        let uses = |entity| entities.contains(&entity);
        let seeds = |seeder: &str| self.seeders.contains(&seeder);
        match file {
            "roles.toml" => uses(Entity::Roles),
            "accounts.toml" => uses(Entity::Accounts),
            "item_types.toml" => {
                uses(Entity::ItemTypes) || seeds("inventory") || seeds("movements")
            }
            "locations.toml" => uses(Entity::Locations),
            "products.toml" => uses(Entity::Products) || seeds("movements"),
            _ => false,
        }
    }

    /// Where `entity` lives.
    pub fn table(&self, entity: Entity) -> &TableMap {
        &self.tables[&entity]
    }

    /// Reads the `[schema]` section of the configuration file `text`; every problem comes
    /// back with its line and key.
    pub fn from_section(
        section: &BTreeMap<String, Spanned<toml::Value>>,
        text: &str,
    ) -> Result<Mapping, Vec<Problem>> {
        let mut mapping = Mapping::default();
        let mut problems = Vec::new();
        for (key, value) in section {
            let at = value.span().start;
            let mut problem =
                |key: &str, reason: String| problems.push(Problem::at(text, at, key, &reason));
            if key == "seeders" {
                match read_seeders(value.get_ref()) {
                    Ok(seeders) => mapping.seeders = seeders,
                    Err(reason) => problem("schema.seeders", reason),
                }
                continue;
            }
            let Some(entity) = Entity::ALL.into_iter().find(|entity| entity.name() == key) else {
                let known: Vec<&str> = Entity::ALL.iter().map(|entity| entity.name()).collect();
                problem(
                    &format!("schema.{key}"),
                    format!(
                        "unknown section; the seeders' tables are {}",
                        known.join(", ")
                    ),
                );
                continue;
            };
            match read_table(entity, value.get_ref()) {
                Ok(mut table) => {
                    let line = crate::toml_source::line_of(text, at);
                    table.key_lines = key_lines(text, line);
                    table.line = Some(line);
                    mapping.tables.insert(entity, table);
                }
                Err(reasons) => {
                    for (key, reason) in reasons {
                        problem(&format!("schema.{}.{key}", entity.name()), reason);
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(mapping)
        } else {
            crate::toml_source::sort_by_line(&mut problems);
            Err(problems)
        }
    }
}

/// The line of each `key = …` of the section that starts at line `first` (up to the next
/// section header).
fn key_lines(text: &str, first: usize) -> BTreeMap<String, usize> {
    text.lines()
        .enumerate()
        .skip(first)
        .take_while(|(_, line)| !line.trim_start().starts_with('['))
        .filter_map(|(index, line)| {
            let (key, _) = line.split_once('=')?;
            let key = key.trim();
            (!key.is_empty() && !key.starts_with('#')).then(|| (key.to_owned(), index + 1))
        })
        .collect()
}

fn read_seeders(value: &toml::Value) -> Result<Vec<&'static str>, String> {
    let names = value
        .as_array()
        .ok_or("must be a list of seeder names, like [\"accounts\", \"products\"]")?;
    let mut seeders = Vec::new();
    for name in names {
        let name = name.as_str().unwrap_or_default();
        match BUILT_IN_SEEDERS.iter().find(|known| **known == name) {
            Some(known) => seeders.push(*known),
            None => {
                return Err(format!(
                    "unknown seeder '{name}'; the built-in seeders are {}",
                    BUILT_IN_SEEDERS.join(", ")
                ));
            }
        }
    }
    seeders.sort_by_key(|name| BUILT_IN_SEEDERS.iter().position(|known| known == name));
    seeders.dedup();
    Ok(seeders)
}

/// One written `[schema.<entity>]` section; problems as (key, reason).
fn read_table(entity: Entity, value: &toml::Value) -> Result<TableMap, Vec<(String, String)>> {
    let Some(section) = value.as_table() else {
        return Err(vec![(
            "table".to_owned(),
            "must be a section with table = \"…\" and its columns".to_owned(),
        )]);
    };
    let mut problems = Vec::new();
    let mut table = TableMap {
        table: String::new(),
        columns: BTreeMap::new(),
        password_format: HashFormat::Argon2id,
        line: None,
        key_lines: BTreeMap::new(),
        words: BTreeMap::new(),
    };
    for (key, value) in section {
        if let Some(field) = key.strip_suffix("_values") {
            match read_words(entity, field, value, section) {
                Ok((field, words)) => {
                    table.words.insert(field, words);
                }
                Err(reason) => problems.push((key.clone(), reason)),
            }
            continue;
        }
        let Some(text) = value.as_str().filter(|text| !text.trim().is_empty()) else {
            problems.push((key.clone(), "must be a non-empty name in quotes".to_owned()));
            continue;
        };
        match key.as_str() {
            "table" => table.table = text.to_owned(),
            "password_format" if entity == Entity::Accounts => match HashFormat::named(text) {
                Some(format) => table.password_format = format,
                None => problems.push((
                    key.clone(),
                    format!("unknown format '{text}'; one of {}", HashFormat::names()),
                )),
            },
            _ => match entity.fields().iter().find(|field| field.name == key) {
                Some(field) => {
                    table.columns.insert(field.name, text.to_owned());
                }
                None => problems.push((
                    key.clone(),
                    format!("unknown key; {} has {}", entity.name(), keys_of(entity)),
                )),
            },
        }
    }
    if table.table.is_empty() && !section.contains_key("table") {
        problems.push(("table".to_owned(), "missing: name the table".to_owned()));
    }
    for field in entity.fields().iter().filter(|field| field.required) {
        if !table.columns.contains_key(field.name) && !section.contains_key(field.name) {
            problems.push((
                field.name.to_owned(),
                format!("missing: {} needs its {} column", entity.name(), field.name),
            ));
        }
    }
    if problems.is_empty() {
        Ok(table)
    } else {
        Err(problems)
    }
}

/// `<field>_values = { seed_word = "column word", … }` of a word field the section maps.
fn read_words(
    entity: Entity,
    name: &str,
    value: &toml::Value,
    section: &toml::Table,
) -> Result<(&'static str, BTreeMap<String, String>), String> {
    let words_of = || {
        let words: Vec<&str> = word_fields(entity).map(|field| field.name).collect();
        match words.as_slice() {
            [] => format!("{} has no word column", entity.name()),
            words => format!("{} has {}", entity.name(), words.join(", ")),
        }
    };
    let Some(field) = word_fields(entity).find(|field| field.name == name) else {
        return Err(format!(
            "unknown key; seed words are mapped for word columns only, and {}",
            words_of()
        ));
    };
    if !section.contains_key(field.name) {
        return Err(format!(
            "{name} is not mapped here: map it ({name} = \"…\") or leave {name}_values out"
        ));
    }
    let example = format!("like {name}_values = {{ available = \"in_stock\" }}");
    let table = value
        .as_table()
        .ok_or_else(|| format!("must map seed words to the column's words, {example}"))?;
    table
        .iter()
        .map(|(word, to)| match to.as_str() {
            Some(to) => Ok((word.clone(), to.to_owned())),
            None => Err(format!(
                "{word} must map to the column's word in quotes, {example}"
            )),
        })
        .collect::<Result<_, _>>()
        .map(|words| (field.name, words))
}

/// The word fields of `entity` (statuses, kinds, codes).
fn word_fields(entity: Entity) -> impl Iterator<Item = &'static Field> {
    entity.fields().iter().filter(|field| field.kind == Word)
}

/// The keys a section of `entity` accepts, for messages.
fn keys_of(entity: Entity) -> String {
    let mut keys = vec!["table".to_owned()];
    keys.extend(entity.fields().iter().map(|field| field.name.to_owned()));
    keys.extend(word_fields(entity).map(|field| format!("{}_values", field.name)));
    if entity == Entity::Accounts {
        keys.push("password_format".to_owned());
    }
    keys.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Mapping, Vec<String>> {
        #[derive(serde::Deserialize)]
        struct File {
            schema: BTreeMap<String, Spanned<toml::Value>>,
        }
        let file: File = toml::from_str(text).expect("toml");
        Mapping::from_section(&file.schema, text)
            .map_err(|problems| problems.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn the_default_is_the_reference_schema() {
        let mapping = Mapping::default();
        assert_eq!(mapping.seeders, BUILT_IN_SEEDERS);
        let accounts = mapping.table(Entity::Accounts);
        assert_eq!(accounts.table, "users");
        assert_eq!(accounts.column("password"), Some("password_hash"));
        assert_eq!(accounts.password_format, HashFormat::Argon2id);
        assert_eq!(mapping.table(Entity::Products).column("key"), Some("sku"));
    }

    #[test]
    fn a_written_section_describes_its_table_entirely() {
        let mapping = parse(
            "[schema]\nseeders = [\"products\", \"accounts\"]\n\n[schema.accounts]\n\
             table = \"shop.customers\"\nid = \"customer_id\"\nemail = \"email\"\n\
             password = \"password_digest\"\npassword_format = \"bcrypt\"\n",
        )
        .expect("valid");
        assert_eq!(mapping.seeders, ["accounts", "products"]);
        let accounts = mapping.table(Entity::Accounts);
        assert_eq!(accounts.table, "shop.customers");
        assert_eq!(accounts.column("id"), Some("customer_id"));
        assert_eq!(
            accounts.column("name"),
            None,
            "unwritten fields are not mapped"
        );
        assert_eq!(accounts.password_format, HashFormat::Bcrypt);
        assert_eq!(accounts.line, Some(4));
        assert_eq!(mapping.table(Entity::Products).table, "products");
    }

    #[test]
    fn seed_words_are_mapped_for_word_columns_and_an_unwritten_id_is_left_to_the_table() {
        let mapping = parse(
            "[schema.items]\ntable = \"unit\"\nserial = \"serial\"\nproduct = \"article\"\n\
             status = \"state\"\nstatus_values = { in_stock = \"available\" }\n",
        )
        .expect("valid");
        let items = mapping.table(Entity::Items);
        assert_eq!(
            items.column("id"),
            None,
            "bind decides whether the table has one"
        );
        assert_eq!(items.words["status"]["in_stock"], "available");
        assert_eq!(items.line_of("status_values"), Some(6));
    }

    #[test]
    fn seed_word_mappings_name_what_is_wrong_with_them() {
        let problems = parse(
            "[schema.items]\ntable = \"unit\"\nserial = \"s\"\nproduct = \"p\"\n\
             serial_values = { a = \"b\" }\nstatus_values = { a = \"b\" }\n\
             [schema.locations]\ntable = \"site\"\ncode = \"code\"\nkind = \"kind\"\n\
             kind_values = [\"depot\"]\ncountry = \"country\"\ncountry_values = { de = 49 }\n",
        )
        .expect_err("invalid");
        let expected = [
            "schema.items.serial_values: unknown key; seed words are mapped for word columns \
             only, and items has status",
            "schema.items.status_values: status is not mapped here: map it (status = \"…\") or \
             leave status_values out",
            "schema.locations.kind_values: must map seed words to the column's words, like \
             kind_values = { available = \"in_stock\" }",
            "schema.locations.country_values: de must map to the column's word in quotes",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for want in expected {
            assert!(
                problems.iter().any(|problem| problem.contains(want)),
                "no {want:?} in {problems:#?}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_line_and_key() {
        let problems = parse(
            "[schema]\nseeders = [\"acounts\"]\n[schema.accounts]\nemail = \"email\"\n\
             passwd = \"x\"\npassword_format = \"md5\"\n[schema.orders]\ntable = \"orders\"\n",
        )
        .expect_err("invalid");
        let expected = [
            "line 3: schema.accounts.passwd: unknown key; accounts has table, id, email",
            "line 3: schema.accounts.password_format: unknown format 'md5'; one of argon2id",
            "line 3: schema.accounts.table: missing: name the table",
            "line 3: schema.accounts.password: missing: accounts needs its password column",
            "line 7: schema.orders: unknown section; the seeders' tables are roles",
            "line 2: schema.seeders: unknown seeder 'acounts'; the built-in seeders are roles",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for want in expected {
            assert!(
                problems.iter().any(|problem| problem.starts_with(want)),
                "no {want:?} in {problems:#?}"
            );
        }
    }
}
