//! Anonymizer profiles (`anonymizers/*.toml`): which transformer applies to which
//! table.column, row filters, schema-only tables and subsets — parsed, then checked against
//! the source catalog before anything is written.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::conditional::{self, ColumnSetting, Condition};
use super::{BuildContext, CompiledRule, REGISTRY};
use crate::catalog::{Catalog, Table, parse_profile_name};
use crate::error::Error;
use crate::judgment::Decided;
use crate::judgment::names::{self, Reading};
use crate::toml_source::{self, Problem};

/// The versions of the fakes a profile may ask for with `fakes = N`. Every transformer's
/// output for a key and input is pinned per version (`anonymize/golden.tsv`); a change of any
/// fake comes as a new version that profiles opt into, and the old one stays.
pub const FAKES_VERSIONS: &[i64] = &[1];

/// The environment variable that holds the key when the profile names none.
pub const DEFAULT_KEY_ENV: &str = "RESTAGE_ANONYMIZE_KEY";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    version: Spanned<i64>,
    /// The version of the fakes (see [`FAKES_VERSIONS`]); 1 when absent.
    #[serde(default)]
    fakes: Option<Spanned<i64>>,
    #[serde(default)]
    key_env: Option<String>,
    #[serde(default)]
    key_file: Option<String>,
    #[serde(default)]
    tables: BTreeMap<Spanned<String>, TableEntry>,
    #[serde(default)]
    subset: SubsetEntry,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableEntry {
    #[serde(rename = "where")]
    filter: Option<Spanned<String>>,
    data: Option<bool>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    public: Vec<Spanned<String>>,
    /// Columns that describe one person: `[tables.users.person]`.
    person: Option<PersonEntry>,
}

/// A column's name and rule, each where the profile wrote it.
type ColumnRule = (Spanned<String>, Spanned<toml::Value>);

/// The columns of a table that describe one person, and what names the source person.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonEntry {
    first_name: Option<Spanned<String>>,
    last_name: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    email: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    /// The column(s) naming the source person (comma-separated); default: `email`'s column.
    identity: Option<Spanned<String>>,
    /// The domain of the fake e-mails.
    domain: Option<String>,
}

impl PersonEntry {
    /// `(part, column)` of each column it names.
    fn parts(&self) -> Vec<(&'static str, &Spanned<String>)> {
        [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("name", &self.name),
            ("email", &self.email),
            ("username", &self.username),
        ]
        .into_iter()
        .filter_map(|(part, column)| column.as_ref().map(|column| (part, column)))
        .collect()
    }

    /// The rules of its columns: `{ transform = "person", part, identity, domain }` each;
    /// the identity defaults to the e-mail column.
    fn rules(&self) -> Result<Vec<ColumnRule>, String> {
        let identity = match (&self.identity, &self.email) {
            (Some(identity), _) => identity.get_ref().clone(),
            (None, Some(email)) => email.get_ref().clone(),
            (None, None) => {
                return Err(
                    "a person needs an identity: name its e-mail column (email = \"…\"), \
                            or the column(s) that name the source person (identity = \"id\")"
                        .to_owned(),
                );
            }
        };
        Ok(self
            .parts()
            .into_iter()
            .map(|(part, column)| {
                let mut rule = toml::Table::new();
                rule.insert("transform".into(), "person".into());
                rule.insert("part".into(), part.into());
                rule.insert("identity".into(), identity.clone().into());
                if let Some(domain) = &self.domain {
                    rule.insert("domain".into(), domain.clone().into());
                }
                (column.clone(), Spanned::new(column.span(), rule.into()))
            })
            .collect())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubsetEntry {
    #[serde(default)]
    limits: BTreeMap<Spanned<String>, Spanned<i64>>,
}

/// A column's rule as written in the profile, and the line it is on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WrittenRule {
    /// The rule's TOML, on one line (`public` for a column the table lists as public).
    pub rule: String,
    pub line: usize,
}

/// A profile as read, not yet checked against a database.
#[derive(Debug)]
pub struct Profile {
    /// The file, as given, for messages.
    pub path: String,
    text: String,
    file: ProfileFile,
}

/// The rules and settings of one table, checked against the catalog.
#[derive(Debug, Default)]
pub struct TableRules {
    /// Rules by column position; `keep` rules are left out (those columns pass through).
    pub rules: Vec<(usize, CompiledRule)>,
    /// Columns with an explicit `keep` (public ones included).
    pub kept: Vec<String>,
    /// Columns whose values are public on purpose (a shop's support address): kept, and
    /// left out of verification's token scan.
    pub public: Vec<String>,
    /// The row filter (SQL on the source table).
    pub filter: Option<String>,
    /// The profile's line of the row filter.
    pub filter_line: Option<usize>,
    /// `data = false`: schema only.
    pub schema_only: bool,
    /// The conditions of its rules (`when`), whose results follow the columns in the row.
    pub conditions: Vec<Condition>,
}

impl TableRules {
    /// What these rules decide about `table`'s columns, as detection asks.
    pub fn decided(&self, table: &Table) -> Decided {
        Decided {
            schema_only: self.schema_only,
            columns: table
                .columns
                .iter()
                .enumerate()
                .filter(|(position, column)| {
                    self.kept.contains(&column.name)
                        || self.rules.iter().any(|(ruled, _)| ruled == position)
                })
                .map(|(position, _)| position)
                .collect(),
        }
    }
}

/// A profile checked against a catalog: what to do with every table.
#[derive(Debug)]
pub struct CompiledProfile {
    pub path: String,
    pub key_env: String,
    /// By profile table name; partitions get their root's rules.
    pub tables: BTreeMap<String, TableRules>,
    /// Subset roots and their row limits.
    pub limits: BTreeMap<String, u64>,
}

impl CompiledProfile {
    /// What the profile decides about table `name` of `catalog`, as detection asks.
    pub fn decided(&self, catalog: &Catalog, name: &str) -> Decided {
        match (self.tables.get(name), catalog.tables.get(name)) {
            (Some(rules), Some(table)) => rules.decided(table),
            _ => Decided::default(),
        }
    }
}

impl Profile {
    /// Reads and parses a profile file.
    pub fn load(path: &Path) -> Result<Profile, Error> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ProfileRead {
            path: shown.clone(),
            source,
        })?;
        let file: ProfileFile = toml_source::parse(&text).map_err(|problems| Error::Profile {
            path: shown.clone(),
            problems,
        })?;
        if *file.version.get_ref() != 1 {
            let problem = Problem::at(
                &text,
                file.version.span().start,
                "version",
                "only version 1 exists",
            );
            return Err(Error::Profile {
                path: shown,
                problems: vec![problem],
            });
        }
        if let Some(fakes) = &file.fakes
            && !FAKES_VERSIONS.contains(fakes.get_ref())
        {
            let reason = format!(
                "fakes version {} does not exist; this restage has version(s) {}",
                fakes.get_ref(),
                FAKES_VERSIONS
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let problem = Problem::at(&text, fakes.span().start, "fakes", &reason);
            return Err(Error::Profile {
                path: shown,
                problems: vec![problem],
            });
        }
        Ok(Profile {
            path: shown,
            text,
            file,
        })
    }

    /// The environment variable holding the key.
    pub fn key_env(&self) -> &str {
        self.file.key_env.as_deref().unwrap_or(DEFAULT_KEY_ENV)
    }

    /// The file holding the key (a Kubernetes or ECS secret mount), which wins over the
    /// environment variable when the profile names one.
    pub fn key_file(&self) -> Option<&str> {
        self.file.key_file.as_deref()
    }

    /// Each column's rule as the profile writes it (a `public` column as `public`, a column
    /// of a `[tables.T.person]` as its part), by catalog table name and column, with its
    /// line: what a privacy report shows.
    pub fn written_rules(&self, catalog: &Catalog) -> BTreeMap<(String, String), WrittenRule> {
        let mut written = BTreeMap::new();
        for (table_name, entry) in &self.file.tables {
            let Some((name, _)) = find_table(catalog, table_name.get_ref()) else {
                continue;
            };
            let mut add = |column: &Spanned<String>, rule: String, offset: usize| {
                let line = toml_source::line_of(&self.text, offset);
                let key = (name.clone(), column.get_ref().clone());
                written.insert(key, WrittenRule { rule, line });
            };
            for (column, rule) in &entry.columns {
                let text = self.text[rule.span()]
                    .split_whitespace()
                    .collect::<Vec<_>>();
                add(column, text.join(" "), rule.span().start);
            }
            for public in &entry.public {
                add(public, "public".to_owned(), public.span().start);
            }
            for (part, column) in entry.person.iter().flat_map(PersonEntry::parts) {
                let rule = format!("person ({part})");
                add(column, rule, column.span().start);
            }
        }
        written
    }

    /// Checks every table, column, transformer and option against `catalog`; all problems at
    /// once, each with its line, table.column and what to do.
    pub fn compile(
        &self,
        catalog: &Catalog,
        test_cards: &[String],
    ) -> Result<CompiledProfile, Error> {
        let mut problems = Vec::new();
        let mut tables = BTreeMap::new();
        for (table_name, entry) in &self.file.tables {
            let Some((name, table)) = find_table(catalog, table_name.get_ref()) else {
                let reason = format!(
                    "no table '{}' in the source database{}",
                    table_name.get_ref(),
                    suggest(catalog, table_name.get_ref())
                );
                problems.push(Problem::at(
                    &self.text,
                    table_name.span().start,
                    &format!("tables.{}", table_name.get_ref()),
                    &reason,
                ));
                continue;
            };
            match self.compile_table(table, entry, test_cards) {
                Ok(rules) => {
                    tables.insert(name, rules);
                }
                Err(mut table_problems) => problems.append(&mut table_problems),
            }
        }
        let mut limits = BTreeMap::new();
        for (table_name, limit) in &self.file.subset.limits {
            let found = find_table(catalog, table_name.get_ref());
            if found.is_none() {
                let reason = format!(
                    "no table '{}' in the source database{}",
                    table_name.get_ref(),
                    suggest(catalog, table_name.get_ref())
                );
                problems.push(Problem::at(
                    &self.text,
                    table_name.span().start,
                    "subset.limits",
                    &reason,
                ));
            }
            match u64::try_from(*limit.get_ref()) {
                Ok(limit) if limit > 0 => {
                    let name = found.map_or_else(|| table_name.get_ref().clone(), |(name, _)| name);
                    limits.insert(name, limit);
                }
                _ => problems.push(Problem::at(
                    &self.text,
                    limit.span().start,
                    "subset.limits",
                    "a limit is a positive number of rows",
                )),
            }
        }
        if !problems.is_empty() {
            toml_source::sort_by_line(&mut problems);
            return Err(Error::Profile {
                path: self.path.clone(),
                problems,
            });
        }
        inherit_partition_rules(catalog, &mut tables, self, test_cards)?;
        Ok(CompiledProfile {
            path: self.path.clone(),
            key_env: self.key_env().to_owned(),
            tables,
            limits,
        })
    }

    fn compile_table(
        &self,
        table: &Table,
        entry: &TableEntry,
        test_cards: &[String],
    ) -> Result<TableRules, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut rules = TableRules {
            filter: entry.filter.as_ref().map(|filter| filter.get_ref().clone()),
            filter_line: (entry.filter.as_ref())
                .map(|filter| toml_source::line_of(&self.text, filter.span().start)),
            schema_only: entry.data == Some(false),
            ..TableRules::default()
        };
        for public in &entry.public {
            let key = format!("{}.public", table.profile_name());
            let reason = if table.column(public.get_ref()).is_none() {
                no_such_column(table)
            } else if entry
                .columns
                .keys()
                .any(|ruled| ruled.get_ref() == public.get_ref())
            {
                format!(
                    "'{}' is public, so it is kept as it is; remove its rule or take it out of public",
                    public.get_ref()
                )
            } else {
                rules.kept.push(public.get_ref().clone());
                rules.public.push(public.get_ref().clone());
                continue;
            };
            problems.push(Problem::at(&self.text, public.span().start, &key, &reason));
        }
        let mut readings = None;
        for (column_name, rule) in &self.column_rules(table, entry, &mut problems) {
            let key = format!("{}.{}", table.profile_name(), column_name.get_ref());
            let Some(position) = table
                .columns
                .iter()
                .position(|column| &column.name == column_name.get_ref())
            else {
                let reason = no_such_column(table);
                problems.push(Problem::at(
                    &self.text,
                    column_name.span().start,
                    &key,
                    &reason,
                ));
                continue;
            };
            let column = &table.columns[position];
            if column.generated {
                let reason = "a generated column is recomputed by staging; remove its rule";
                problems.push(Problem::at(
                    &self.text,
                    column_name.span().start,
                    &key,
                    reason,
                ));
                continue;
            }
            let context = BuildContext {
                column,
                table_columns: &table.columns,
                test_cards,
                registry: &REGISTRY,
            };
            let locate = |when: &str| {
                // The condition's own line in a list written over several lines.
                let start = rule.span().start;
                let offset = self.text[start..].find(when).map_or(start, |at| start + at);
                toml_source::line_of(&self.text, offset)
            };
            let personal = personal_reading(&mut readings, table, position);
            let setting = ColumnSetting {
                conditions: &mut rules.conditions,
                key: &key,
                locate: &locate,
                personal: personal.as_deref(),
            };
            let built = conditional::build(rule.get_ref(), &context, setting).and_then(|built| {
                built.map_or_else(|| CompiledRule::build(rule.get_ref(), &context), Ok)
            });
            match built {
                Ok(compiled) if compiled.is_keep => rules.kept.push(column.name.clone()),
                Ok(compiled) => rules.rules.push((position, compiled)),
                Err(reason) => {
                    problems.push(Problem::at(&self.text, rule.span().start, &key, &reason))
                }
            }
        }
        if problems.is_empty() {
            Ok(rules)
        } else {
            Err(problems)
        }
    }
}

/// Why column `position` of `table` looks like personal data by its name, if it does; the
/// table's names are read once, when a rule first asks.
fn personal_reading(
    readings: &mut Option<Vec<Reading>>,
    table: &Table,
    position: usize,
) -> Option<String> {
    let readings = readings.get_or_insert_with(|| names::read_table(table));
    match &readings[position] {
        Reading::Personal { why, .. } => Some(why.clone()),
        _ => None,
    }
}

impl Profile {
    /// The rules of `entry`'s columns: its `columns`, its person's, and each `same_as` given
    /// the rule of the column it names. A column ruled twice is a problem.
    fn column_rules(
        &self,
        table: &Table,
        entry: &TableEntry,
        problems: &mut Vec<Problem>,
    ) -> Vec<ColumnRule> {
        let mut rules: Vec<ColumnRule> = entry
            .columns
            .iter()
            .map(|(column, rule)| (column.clone(), rule.clone()))
            .collect();
        if let Some(person) = &entry.person {
            let key = format!("{}.person", table.profile_name());
            match person.rules() {
                Ok(person_rules) => {
                    for (column, rule) in person_rules {
                        if rules
                            .iter()
                            .any(|(ruled, _)| ruled.get_ref() == column.get_ref())
                        {
                            let reason = format!(
                                "'{}' has a rule in columns too; a column takes one rule",
                                column.get_ref()
                            );
                            problems.push(Problem::at(
                                &self.text,
                                column.span().start,
                                &key,
                                &reason,
                            ));
                        } else {
                            rules.push((column, rule));
                        }
                    }
                }
                Err(reason) => {
                    let offset = person.parts().first().map_or(0, |(_, c)| c.span().start);
                    problems.push(Problem::at(&self.text, offset, &key, &reason));
                }
            }
        }
        let repeated: Vec<(usize, toml::Value)> = rules
            .iter()
            .enumerate()
            .filter_map(|(index, (_, rule))| {
                let table = rule.get_ref().as_table()?;
                let other = table.get("column")?.as_str()?;
                let same_as = table.get("transform")?.as_str()? == "same_as";
                let (_, other_rule) = rules.iter().find(|(c, _)| c.get_ref() == other)?;
                (same_as && !table.contains_key("rule"))
                    .then(|| (index, other_rule.get_ref().clone()))
            })
            .collect();
        for (index, other_rule) in repeated {
            let rule = rules[index].1.get_mut();
            if let Some(table) = rule.as_table_mut() {
                table.insert("rule".into(), other_rule);
            }
        }
        rules
    }
}

fn no_such_column(table: &Table) -> String {
    let known: Vec<&str> = table
        .columns
        .iter()
        .map(|column| column.name.as_str())
        .collect();
    format!(
        "no such column; columns of {}: {}",
        table.profile_name(),
        known.join(", ")
    )
}

/// Partitions without an entry of their own take their root table's rules (compiled again
/// for the partition, whose column positions may differ).
fn inherit_partition_rules(
    catalog: &Catalog,
    tables: &mut BTreeMap<String, TableRules>,
    profile: &Profile,
    test_cards: &[String],
) -> Result<(), Error> {
    for (name, table) in &catalog.tables {
        let Some(root) = &table.partition_root else {
            continue;
        };
        if tables.contains_key(name) {
            continue;
        }
        let Some((_, entry)) = profile
            .file
            .tables
            .iter()
            .find(|(key, _)| key.get_ref() == root)
        else {
            continue;
        };
        let rules = profile
            .compile_table(table, entry, test_cards)
            .map_err(|problems| Error::Profile {
                path: profile.path.clone(),
                problems,
            })?;
        tables.insert(name.clone(), rules);
    }
    Ok(())
}

/// ", did you mean X?" for a near miss.
/// The table a profile key names, with its profile name: the key as it is, else read as a
/// possibly SQL-quoted `schema.table` (`"Sales"."Customer"`, `public."user"`).
pub fn find_table<'c>(catalog: &'c Catalog, written: &str) -> Option<(String, &'c Table)> {
    if let Some(table) = catalog.tables.get(written) {
        return Some((written.to_owned(), table));
    }
    let name = parse_profile_name(written)?;
    let table = catalog.tables.get(&name)?;
    Some((name, table))
}

/// "; did you mean …" with up to three tables whose names are close to `written` (same name
/// in another case or schema, or a few letters apart), else where to find the tables.
pub fn suggest(catalog: &Catalog, written: &str) -> String {
    let wanted = parse_profile_name(written)
        .unwrap_or_else(|| written.to_owned())
        .to_lowercase();
    let bare = wanted.rsplit('.').next().unwrap_or(&wanted).to_owned();
    let mut close: Vec<(usize, &String)> = catalog
        .tables
        .keys()
        .filter_map(|candidate| {
            let lower = candidate.to_lowercase();
            let candidate_bare = lower.rsplit('.').next().unwrap_or(&lower);
            let distance = if lower == wanted || candidate_bare == bare {
                0
            } else {
                strsim::levenshtein(&lower, &wanted)
            };
            (distance <= (wanted.chars().count() / 3).max(2)).then_some((distance, candidate))
        })
        .collect();
    close.sort();
    let names: Vec<String> = close
        .iter()
        .take(3)
        .map(|(_, name)| format!("'{name}'"))
        .collect();
    if names.is_empty() {
        "; `restage copy --dry-run` lists the tables".to_owned()
    } else {
        format!("; did you mean {}?", names.join(" or "))
    }
}
