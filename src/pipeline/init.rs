//! `restage init`: a starter profile for the source — a suggested rule for every column that
//! looks like personal data, with its evidence beside it; `keep` for the other columns of
//! those tables, so a reviewer sees every decision; `data = false` for session, token and
//! cache tables. `--update FILE` adds suggestions only for the tables and columns the profile
//! does not mention yet, leaving every reviewed line as it was.

use crate::anonymize::transformers::linked::PARTS;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml_edit::{DocumentMut, Item, Table as TomlTable, Value};

use crate::anonymize::profile::{CompiledProfile, DEFAULT_KEY_ENV, Profile};
use crate::anonymize::{BuildContext, CompiledRule, REGISTRY};
use crate::catalog::{Catalog, Column, Table, TypeCategory, parse_profile_name};
use crate::error::Error;
use crate::judgment::{self, Finding, rules};
use crate::output::Report;
use crate::pg::database_error;
use crate::secret::SecretUrl;
use crate::toml_source::{self, Problem};
use sqlx::postgres::PgConnection;

/// Words of a table name that make it a session, token or cache table: rows that are worth
/// nothing in staging and often hold secrets.
const DISPOSABLE_TABLES: &[&str] = &[
    "session", "sessions", "token", "tokens", "cache", "caches", "otp", "otps", "nonce", "nonces",
];

/// What to write: a new profile or the additions to an existing one.
#[derive(Debug, Clone)]
pub enum InitMode {
    /// A new profile at `path`; an existing file is replaced only with `force`.
    Create { path: PathBuf, force: bool },
    /// Suggestions for what the profile at `path` does not mention yet, added in place.
    Update { path: PathBuf },
}

/// What `init` wrote.
#[derive(Debug, Serialize)]
pub struct InitReport {
    pub command: &'static str,
    pub source: String,
    pub profile: String,
    /// `create` or `update`.
    pub mode: &'static str,
    /// Columns given a suggested rule.
    pub suggested: usize,
    /// Columns written as `keep`.
    pub kept: usize,
    /// Tables suggested `data = false`.
    pub schema_only: Vec<String>,
    /// Suggested rules no transformer could apply to the column's type: the profile names
    /// them with a REVIEW comment and does not load until they are fixed.
    pub to_review: Vec<String>,
    /// Tables whose names and e-mail describe one person: the profile suggests a linked
    /// person for them in a comment.
    pub people: Vec<String>,
}

impl Report for InitReport {
    fn human(&self) -> String {
        let verb = if self.mode == "create" {
            "wrote"
        } else {
            "updated"
        };
        let mut text = format!(
            "{verb} {}: {} suggested rules, {} columns kept, {} tables schema-only (data = false). \
             Review every line, then: restage preview TABLE, restage check, restage copy",
            self.profile,
            self.suggested,
            self.kept,
            self.schema_only.len()
        );
        if self.mode == "update" && self.suggested + self.kept + self.schema_only.len() == 0 {
            text = format!(
                "{} already covers every table and column that looks personal; nothing added",
                self.profile
            );
        }
        for table in &self.people {
            text.push_str(&format!(
                "\n  {table}: its names and e-mail describe one person; the profile suggests \
                 [tables.{table}.person] in a comment"
            ));
        }
        for column in &self.to_review {
            text.push_str(&format!(
                "\n  review {column}: no transformer fits its type"
            ));
        }
        text
    }
}

/// One line `init` adds under `[tables.X.columns]`.
#[derive(Clone)]
struct Suggestion {
    table: String,
    column: String,
    rule: String,
    comment: Option<String>,
    fits: bool,
}

/// Writes a starter profile (or the additions to one) for the source at `source`.
pub async fn init(source: &SecretUrl, mode: &InitMode) -> Result<InitReport, Error> {
    let path = match mode {
        InitMode::Create { path, force } => {
            if path.exists() && !force {
                return Err(Error::ProfileExists {
                    path: path.display().to_string(),
                });
            }
            path
        }
        InitMode::Update { path } => path,
    };
    let (mut connection, catalog) = super::read_source(source, "restage init").await?;
    let (mut document, compiled) = match mode {
        InitMode::Create { .. } => (new_document(), empty_profile(path)),
        InitMode::Update { path } => {
            let profile = Profile::load(path)?;
            let compiled = super::validate::compile_profile_with_seed_cards(
                &profile,
                &catalog,
                &mut connection,
                source,
            )
            .await?;
            (parse_document(path)?, compiled)
        }
    };
    let findings = judgment::uncovered(&mut connection, &catalog, |name| {
        compiled.decided(&catalog, name)
    })
    .await
    .map_err(database_error(source, "sampling columns for personal data"))?;
    let mut chosen = Vec::new();
    for finding in &findings {
        let table = &catalog.tables[&finding.table];
        let column = table
            .columns
            .iter()
            .find(|column| column.name == finding.column)
            .expect("findings name columns of the catalog");
        chosen.push(suggest(&mut connection, source, table, column, finding).await?);
    }
    let mut report = InitReport {
        command: "init",
        source: source.to_string(),
        profile: path.display().to_string(),
        mode: match mode {
            InitMode::Create { .. } => "create",
            InitMode::Update { .. } => "update",
        },
        suggested: 0,
        kept: 0,
        schema_only: Vec::new(),
        to_review: Vec::new(),
        people: Vec::new(),
    };
    add_suggestions(&mut document, &catalog, &compiled, &chosen, &mut report).map_err(
        |problem| Error::Profile {
            path: path.display().to_string(),
            problems: vec![Problem::whole_file(problem)],
        },
    )?;
    write(path, &document.to_string())?;
    Ok(report)
}

fn new_document() -> DocumentMut {
    let mut document = DocumentMut::new();
    document["version"] = toml_edit::value(1);
    if let Some(mut key) = document.as_table_mut().key_mut("version") {
        key.leaf_decor_mut().set_prefix(
            "# Anonymizer profile written by `restage init`.\n\
             # Every rule is a suggestion made from the column's name, type and a sample of its\n\
             # values (the evidence is beside it); `keep` says \"not personal data\". Review each\n\
             # line, try the rules with `restage preview TABLE`, then `restage check` and\n\
             # `restage copy`. After a schema change, `restage init --update FILE` adds what is new.\n",
        );
    }
    document
}

fn empty_profile(path: &Path) -> CompiledProfile {
    CompiledProfile {
        path: path.display().to_string(),
        key_env: DEFAULT_KEY_ENV.to_owned(),
        tables: BTreeMap::new(),
        limits: BTreeMap::new(),
    }
}

fn parse_document(path: &Path) -> Result<DocumentMut, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ProfileRead {
        path: path.display().to_string(),
        source,
    })?;
    text.parse().map_err(|error: toml_edit::TomlError| {
        let problem = match error.span() {
            Some(span) => Problem {
                line: Some(toml_source::line_of(&text, span.start)),
                ..Problem::whole_file(error.message())
            },
            None => Problem::whole_file(error.message()),
        };
        Error::Profile {
            path: path.display().to_string(),
            problems: vec![problem],
        }
    })
}

/// Adds to `document`, in catalog order: `data = false` for the disposable tables the
/// profile does not mention, every column of the other unmentioned tables that hold a
/// finding, and the rules chosen for the findings of tables it mentions.
fn add_suggestions(
    document: &mut DocumentMut,
    catalog: &Catalog,
    compiled: &CompiledProfile,
    chosen: &[Suggestion],
    report: &mut InitReport,
) -> Result<(), String> {
    let mut by_table: BTreeMap<&str, Vec<&Suggestion>> = BTreeMap::new();
    for suggestion in chosen {
        by_table
            .entry(&suggestion.table)
            .or_default()
            .push(suggestion);
    }
    let referenced: BTreeSet<&str> = catalog
        .foreign_keys
        .iter()
        .filter(|key| key.table != key.referenced)
        .map(|key| key.referenced.as_str())
        .collect();
    for (name, table) in &catalog.tables {
        if table.partition_root.is_some() {
            continue;
        }
        let mentioned = compiled.tables.contains_key(name);
        if !mentioned && disposable(table) && !referenced.contains(name.as_str()) {
            let entry = table_entry(document, name)?;
            entry["data"] = toml_edit::value(false);
            set_comment(
                &mut entry["data"],
                "suggested: sessions, tokens and caches are not worth copying",
            );
            report.schema_only.push(name.clone());
            continue;
        }
        let Some(found) = by_table.get(name.as_str()) else {
            continue;
        };
        let suggestions = suggestions_for(table, found, !mentioned);
        let person = person_suggestion(name, &suggestions);
        let columns = columns_entry(table_entry(document, name)?, name)?;
        if let Some(person) = person {
            columns.decor_mut().set_prefix(person);
            report.people.push(name.clone());
        }
        for suggestion in suggestions {
            if suggestion.comment.is_none() {
                report.kept += 1;
            } else {
                report.suggested += 1;
            }
            if !suggestion.fits {
                report
                    .to_review
                    .push(format!("{name}.{}", suggestion.column));
            }
            let value: Value = suggestion.rule.parse().expect("suggested rules are TOML");
            columns[suggestion.column.as_str()] = Item::Value(value);
            if let Some(comment) = &suggestion.comment {
                let comment = if mentioned {
                    format!("added by `restage init --update`: {comment}")
                } else {
                    comment.clone()
                };
                set_comment(&mut columns[suggestion.column.as_str()], &comment);
            }
        }
    }
    Ok(())
}

/// The transformer a suggested rule (TOML) names.
fn transform_of(rule: &str) -> Option<String> {
    let value: Value = rule.parse().ok()?;
    match &value {
        Value::String(name) => Some(name.value().clone()),
        Value::InlineTable(table) => table.get("transform")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// A comment suggesting `[tables.NAME.person]` when the suggestions give a table a first and
/// last name (or a full name) and an e-mail: one fake person instead of unrelated fakes.
fn person_suggestion(name: &str, suggestions: &[Suggestion]) -> Option<String> {
    let parts: Vec<(&str, &str)> = PARTS
        .iter()
        .filter_map(|part| {
            let suggestion = suggestions
                .iter()
                .find(|s| transform_of(&s.rule).as_deref() == Some(part))?;
            Some((*part, suggestion.column.as_str()))
        })
        .collect();
    let has = |part: &str| parts.iter().any(|(found, _)| *found == part);
    if !(has("email") && (has("name") || (has("first_name") && has("last_name")))) {
        return None;
    }
    let mut comment = format!(
        "\n# These columns describe one person. To make them one fake person (the e-mail made of\n\
         # the names, the same person wherever this e-mail appears), replace their rules with:\n\
         # [tables.{}.person]\n",
        toml_key(name)
    );
    for (part, column) in parts {
        comment.push_str(&format!("# {part} = \"{column}\"\n"));
    }
    Some(comment)
}

/// The chosen rule of each finding of `table`; with `every_column`, `keep` for its other
/// columns.
fn suggestions_for(table: &Table, found: &[&Suggestion], every_column: bool) -> Vec<Suggestion> {
    table
        .columns
        .iter()
        .filter(|column| !column.generated)
        .filter_map(
            |column| match found.iter().find(|found| found.column == column.name) {
                Some(suggestion) => Some((*suggestion).clone()),
                None if every_column => Some(Suggestion {
                    table: table.profile_name(),
                    column: column.name.clone(),
                    rule: "\"keep\"".to_owned(),
                    comment: None,
                    fits: true,
                }),
                None => None,
            },
        )
        .collect()
}

/// The first candidate rule that compiles for `column` and whose fakes fit its length and
/// CHECKs: the rules of its kind ([`rules::for_kind`]), then what its type takes (`scrub`
/// for text and json, per element or per field for arrays and composites, a network fake for
/// inet and macaddr, a date shift), then `null` where NULL is allowed. When none fits, the
/// first candidate, marked for review.
async fn suggest(
    connection: &mut PgConnection,
    source: &SecretUrl,
    table: &Table,
    column: &Column,
    finding: &Finding,
) -> Result<Suggestion, Error> {
    let candidates: Vec<String> = finding
        .kind
        .map(|kind| rules::for_kind(kind, column))
        .unwrap_or_default()
        .into_iter()
        .chain(by_type(column))
        .chain((!column.not_null).then(|| "\"null\"".to_owned()))
        .collect();
    let mut fitting = None;
    for rule in &candidates {
        if let Some(compiled) = compiled(rule, table, column)
            && super::validate::refused_fake(connection, source, table, column, &compiled)
                .await?
                .is_none()
        {
            fitting = Some(rule);
            break;
        }
    }
    let evidence = finding.reasons.join("; ");
    Ok(match fitting {
        Some(rule) => Suggestion {
            table: finding.table.clone(),
            column: column.name.clone(),
            rule: rule.clone(),
            comment: Some(evidence),
            fits: true,
        },
        None => Suggestion {
            table: finding.table.clone(),
            column: column.name.clone(),
            rule: candidates
                .first()
                .cloned()
                .unwrap_or_else(|| "\"null\"".to_owned()),
            comment: Some(format!(
                "REVIEW: no transformer fits {}; {evidence}",
                column.type_name
            )),
            fits: false,
        },
    })
}

/// Rules for whatever a column of this type may hold.
fn by_type(column: &Column) -> Vec<String> {
    match column.category {
        TypeCategory::Text | TypeCategory::Json => vec!["\"scrub\"".to_owned()],
        TypeCategory::Array => column
            .element
            .as_deref()
            .map(by_type)
            .unwrap_or_default()
            .into_iter()
            .map(|rule| format!("{{ each = {rule} }}"))
            .collect(),
        TypeCategory::Composite => {
            let fields: Vec<String> = column
                .fields
                .iter()
                .filter_map(|field| {
                    by_type(field)
                        .into_iter()
                        .next()
                        .map(|rule| format!("{} = {rule}", toml_key(&field.name)))
                })
                .collect();
            if fields.is_empty() {
                Vec::new()
            } else {
                vec![format!("{{ fields = {{ {} }} }}", fields.join(", "))]
            }
        }
        TypeCategory::Inet => vec!["\"ipv4\"".to_owned(), "\"ipv6\"".to_owned()],
        TypeCategory::Macaddr => vec!["\"mac\"".to_owned()],
        TypeCategory::Date | TypeCategory::Timestamp => {
            vec!["{ transform = \"date\", shift_days = 365 }".to_owned()]
        }
        _ => Vec::new(),
    }
}

/// `rule` (TOML) compiled for `column`, if it compiles.
fn compiled(rule: &str, table: &Table, column: &Column) -> Option<CompiledRule> {
    let parsed = toml::from_str::<toml::Table>(&format!("rule = {rule}")).ok()?;
    let context = BuildContext {
        column,
        table_columns: &table.columns,
        test_cards: &[],
        registry: &REGISTRY,
    };
    CompiledRule::build(&parsed["rule"], &context).ok()
}

fn disposable(table: &Table) -> bool {
    table
        .name
        .to_lowercase()
        .split('_')
        .any(|word| DISPOSABLE_TABLES.contains(&word))
}

/// The profile's entry of the table `name` — under whatever spelling the profile gave it
/// (`'"Sales"."Customer"'` for `Sales.Customer`) — made when missing (`tables` implicit).
fn table_entry<'a>(document: &'a mut DocumentMut, name: &str) -> Result<&'a mut TomlTable, String> {
    let tables = document
        .entry("tables")
        .or_insert_with(implicit_table)
        .as_table_mut()
        .ok_or_else(|| inline_problem("tables"))?;
    let key = tables
        .iter()
        .map(|(key, _)| key)
        .find(|key| *key == name || parse_profile_name(key).as_deref() == Some(name))
        .unwrap_or(name)
        .to_owned();
    tables
        .entry(&key)
        .or_insert_with(implicit_table)
        .as_table_mut()
        .ok_or_else(|| inline_problem(&format!("tables.{key}")))
}

/// `[tables."name".columns]`, made when missing.
fn columns_entry<'a>(table: &'a mut TomlTable, name: &str) -> Result<&'a mut TomlTable, String> {
    table
        .entry("columns")
        .or_insert_with(|| Item::Table(TomlTable::new()))
        .as_table_mut()
        .ok_or_else(|| inline_problem(&format!("tables.{name}.columns")))
}

fn inline_problem(key: &str) -> String {
    format!(
        "{key} is written inline ({{ … }}); `init --update` adds lines only to a [{key}] \
         section: rewrite it as one and run it again"
    )
}

fn implicit_table() -> Item {
    let mut table = TomlTable::new();
    table.set_implicit(true);
    Item::Table(table)
}

fn set_comment(item: &mut Item, comment: &str) {
    if let Some(value) = item.as_value_mut() {
        value.decor_mut().set_suffix(format!("  # {comment}"));
    }
}

/// A key as TOML writes it: bare when it can be, else quoted.
fn toml_key(name: &str) -> String {
    toml_edit::Key::new(name).display_repr().into_owned()
}

/// Writes `text` to `path` through a file beside it, so a failure leaves the old one whole.
fn write(path: &Path, text: &str) -> Result<(), Error> {
    let io = |action: &str| {
        let action = format!("{action} {}", path.display());
        move |source| Error::Io { action, source }
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(io("creating the directory of"))?;
    }
    let partial = path.with_extension("toml.partial");
    std::fs::write(&partial, text).map_err(io("writing"))?;
    std::fs::rename(&partial, path).map_err(io("writing"))
}
