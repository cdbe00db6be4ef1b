//! `restage preview TABLE`: the ruled columns of a few source rows before and after their
//! rules, side by side, for writing a profile. Reads the source in a read-only transaction;
//! writes nothing anywhere.

use std::path::Path;

use serde::Serialize;

use crate::anonymize::conditional::Condition;
use crate::anonymize::profile::{Profile, find_table, suggest};
use crate::catalog::{Table, quote};
use crate::error::Error;
use crate::output::Report;
use crate::pg::database_error;
use crate::secret::SecretUrl;

/// Which rows to show.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    pub table: String,
    pub rows: u32,
    /// A SQL condition on the source table.
    pub filter: Option<String>,
}

/// One ruled value of one row.
#[derive(Debug, Serialize)]
pub struct Change {
    pub column: String,
    /// The rule that applied; for rules with conditions, which one and why.
    pub transform: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One row: its key (primary key values, else its position) and its ruled values.
#[derive(Debug, Serialize)]
pub struct PreviewRow {
    pub key: String,
    pub changes: Vec<Change>,
}

/// What `preview` shows.
#[derive(Debug, Serialize)]
pub struct PreviewReport {
    pub command: &'static str,
    pub table: String,
    pub profile: String,
    /// Whether the fakes are the copy's (the key is set) or made with a throwaway key.
    pub real_key: bool,
    /// Columns the profile keeps as they are.
    pub kept: Vec<String>,
    /// Columns the profile rules; none: no rows are shown.
    pub ruled: Vec<String>,
    pub rows: Vec<PreviewRow>,
}

impl Report for PreviewReport {
    fn human(&self) -> String {
        let width = |pick: fn(&Change) -> usize| {
            self.rows
                .iter()
                .flat_map(|row| row.changes.iter().map(pick))
                .max()
                .unwrap_or(0)
        };
        let column_width = width(|change| change.column.len() + change.transform.len() + 3);
        let before_width = width(|change| shown(&change.before).chars().count()).min(48);
        let mut text = format!(
            "{} under {}{}:",
            self.table,
            self.profile,
            if self.real_key {
                ""
            } else {
                " (no key set: fakes made with a throwaway key, not the copy's)"
            }
        );
        for row in &self.rows {
            text.push_str(&format!("\n\nrow {}", row.key));
            for change in &row.changes {
                let label = format!("{} ({})", change.column, change.transform);
                text.push_str(&format!(
                    "\n  {label:<column_width$}  {:<before_width$}  →  {}",
                    shown(&change.before),
                    shown(&change.after)
                ));
            }
        }
        if self.ruled.is_empty() {
            text.push_str(&format!(
                "\n\n{} has no rules in {}: every column is copied as it is, so there is nothing \
                 to show; rule its personal columns under [tables.{}.columns]",
                self.table, self.profile, self.table
            ));
        } else if self.rows.is_empty() {
            text.push_str("\n\nno rows match");
        }
        if !self.kept.is_empty() {
            text.push_str(&format!("\n\nkept as they are: {}", self.kept.join(", ")));
        }
        text
    }
}

fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "NULL".to_owned())
}

/// Shows `options.rows` rows of a table before and after the profile's rules.
pub async fn preview(
    source: &SecretUrl,
    profile_path: &Path,
    options: &PreviewOptions,
) -> Result<PreviewReport, Error> {
    let profile = Profile::load(profile_path)?;
    let (mut connection, catalog) = super::read_source(source, "restage preview").await?;
    let Some((name, table)) = find_table(&catalog, &options.table) else {
        return Err(Error::InvalidSetting {
            origin: "preview TABLE".into(),
            reason: format!(
                "no table '{}' in the source database{}",
                options.table,
                suggest(&catalog, &options.table)
            ),
        });
    };
    let compiled = super::validate::compile_profile_with_seed_cards(
        &profile,
        &catalog,
        &mut connection,
        source,
    )
    .await?;
    let rules = compiled.tables.get(&name);
    let real_key = super::configured_key(&profile)?.is_some();
    let (keyer, _) = super::keyer(&profile, true)?;
    let conditions = rules.map_or(&[][..], |rules| rules.conditions.as_slice());
    let mut ruled: Vec<_> = rules
        .map_or(&[][..], |rules| rules.rules.as_slice())
        .iter()
        .collect();
    ruled.sort_by_key(|(position, _)| *position);
    let rows = if ruled.is_empty() {
        Vec::new()
    } else {
        read_rows(&mut connection, source, table, conditions, options).await?
    };
    let mut shown = Vec::new();
    for (key, values) in rows {
        let mut changes = Vec::new();
        for (position, rule) in &ruled {
            let column = &table.columns[*position];
            let after = rule
                .apply(values[*position].as_deref(), &keyer, &values)
                .map_err(|reason| Error::InvalidSetting {
                    origin: format!("{name}.{}", column.name),
                    reason: format!("the rule {} fails on row {key}: {reason}", rule.transform),
                })?;
            changes.push(Change {
                column: column.name.clone(),
                transform: rule.applied(&values),
                before: values[*position].clone(),
                after,
            });
        }
        shown.push(PreviewRow { key, changes });
    }
    Ok(PreviewReport {
        command: "preview",
        table: name,
        profile: profile.path.clone(),
        real_key,
        kept: rules.map(|rules| rules.kept.clone()).unwrap_or_default(),
        ruled: ruled
            .iter()
            .map(|(position, _)| table.columns[*position].name.clone())
            .collect(),
        rows: shown,
    })
}

/// (key, every column as text, then whether each condition holds) of the first rows by
/// primary key that match the filter.
async fn read_rows(
    connection: &mut sqlx::PgConnection,
    source: &SecretUrl,
    table: &Table,
    conditions: &[Condition],
    options: &PreviewOptions,
) -> Result<Vec<(String, Vec<Option<String>>)>, Error> {
    let (key, order) = table
        .primary_key_sql()
        .unwrap_or_else(|| ("row_number() OVER ()::text".to_owned(), String::new()));
    let values: Vec<String> = table
        .columns
        .iter()
        .map(|column| format!("{}::text", quote(&column.name)))
        .chain(conditions.iter().map(Condition::select_sql))
        .collect();
    let filter = options
        .filter
        .as_deref()
        .map(|filter| format!(" WHERE {filter}"))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {key}, ARRAY[{}]::text[] FROM {}{filter}{order} LIMIT {}",
        values.join(", "),
        table.quoted(),
        options.rows
    );
    sqlx::query_as(&sql)
        .fetch_all(connection)
        .await
        .map_err(database_error(
            source,
            &format!("reading rows of {}", table.profile_name()),
        ))
}
