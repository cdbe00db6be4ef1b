//! Verification of a copy: row counts (as the plan filtered them), constraints present and
//! valid, sequences ahead of their columns, and two leak checks — no ruled value equals the
//! source value of the same row (sampled), and no source e-mail, phone or card number appears
//! anywhere in staging (every row, see [`super::leaks`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnection;

use crate::anonymize::{CompiledRule, Keyer};
use crate::catalog::{Catalog, Table, quote};
use crate::error::Error;
use crate::judgment::{self, Kind, names::Reading};
use crate::pg::database_error;
use crate::pipeline::finish::populated_materialized_views;
use crate::pipeline::leaks;
use crate::pipeline::plan::TablePlan;
use crate::secret::SecretUrl;

/// Rows of each ruled column compared with the source, by primary key.
pub const SAMPLE_ROWS: i64 = 1000;

/// Transformers whose output may equal the input by chance (a shifted date, a city from a
/// short list); these tolerate up to 1% equal values before it counts as a leak.
const MAY_COINCIDE: &[&str] = &[
    "date",
    "number",
    "city",
    "country",
    "postcode",
    "constant",
    "null",
    "password",
    "mask",
    "regex",
    "template",
    "first_name",
    "last_name",
    "words",
    "json",
    "keep",
];

/// One table's rows in the source (filtered as the plan says) and in staging.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowCount {
    pub table: String,
    pub expected: i64,
    pub staging: i64,
}

/// Everything verification looked at, and what failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verification {
    pub tables: Vec<RowCount>,
    pub constraints: usize,
    pub sequences: usize,
    pub ruled_columns: usize,
    /// Sampled source values compared with staging's, same row (ruled columns, and kept
    /// columns whose name says personal data).
    #[serde(default)]
    pub compared_values: usize,
    /// Distinct e-mail, phone and card tokens of the source searched for in staging.
    pub source_tokens: usize,
    /// What the token scan took: collecting the source's tokens and searching staging for
    /// them (in a copy, beside post-data).
    pub token_scan_seconds: f64,
    /// How the leak checks sampled and searched.
    pub method: String,
    /// Each failure, naming the table (and column).
    pub problems: Vec<String>,
}

impl Verification {
    /// A one-line summary.
    pub fn summary(&self) -> String {
        format!(
            "verified {} tables (row counts), {} constraints, {} sequences, {} anonymized columns \
             ({} sampled values compared with the source), {} source e-mail/phone/card tokens \
             searched for in every row: {}",
            self.tables.len(),
            self.constraints,
            self.sequences,
            self.ruled_columns,
            self.compared_values,
            self.source_tokens,
            if self.problems.is_empty() {
                "all good".to_owned()
            } else {
                format!("{} problem(s)", self.problems.len())
            }
        )
    }
}

/// The two databases being compared, with their URLs for messages.
pub struct Databases<'a> {
    pub source: &'a mut PgConnection,
    pub source_url: &'a SecretUrl,
    pub staging: &'a mut PgConnection,
    pub staging_url: &'a SecretUrl,
}

impl Databases<'_> {
    /// Both connections and URLs at once (the connections are borrowed apart).
    fn parts(&mut self) -> (&mut PgConnection, &SecretUrl, &mut PgConnection, &SecretUrl) {
        (
            &mut *self.source,
            self.source_url,
            &mut *self.staging,
            self.staging_url,
        )
    }
}

/// Verifies `staging` against `source` (ideally in the copy's snapshot) for `plans`. Right
/// after a copy, `copied` holds each table's rows as the source's COPY sent them and as
/// the target's took them, so no table is read again to count it; else both are counted.
/// `scan` is the token scan's finding ([`leaks::token_scan`]), run before or beside.
pub async fn verify(
    mut databases: Databases<'_>,
    catalog: &Catalog,
    plans: &[TablePlan],
    copied: Option<Vec<RowCount>>,
    scan: &leaks::TokenScan,
) -> Result<Verification, Error> {
    let mut problems = Vec::new();
    let tables = match copied {
        Some(copied) => copied,
        None => count_rows(&mut databases, catalog, plans).await?,
    };
    for count in tables
        .iter()
        .filter(|count| count.expected != count.staging)
    {
        problems.push(format!(
            "{}: {} rows in staging, {} expected from the source",
            count.table, count.staging, count.expected
        ));
    }
    let constraints = check_constraints(&mut databases, &mut problems).await?;
    check_materialized_views(&mut databases, &mut problems).await?;
    let sequences =
        check_sequences(databases.staging, databases.staging_url, &mut problems).await?;
    let (ruled_columns, ruled_values) =
        compare_ruled_values(&mut databases, catalog, plans, &mut problems).await?;
    let personal_values =
        compare_personal_values(&mut databases, catalog, plans, &mut problems).await?;
    problems.extend(scan.leaks.iter().map(ToString::to_string));
    Ok(Verification {
        tables,
        constraints,
        sequences,
        ruled_columns,
        compared_values: ruled_values + personal_values,
        source_tokens: scan.source_tokens,
        token_scan_seconds: scan.seconds,
        method: format!(
            "ruled columns: the first {SAMPLE_ROWS} rows by primary key compared with the source's; \
             token scan: every e-mail, phone and card number of the source's text, json, array and \
             composite columns ({} distinct, as keyed hashes joined on disk) searched for in every row of every such \
             column of staging",
            scan.source_tokens
        ),
        problems,
    })
}

/// Source rows (as the plan filters them) against staging rows (but those seeders added),
/// each counted in its database.
async fn count_rows(
    databases: &mut Databases<'_>,
    catalog: &Catalog,
    plans: &[TablePlan],
) -> Result<Vec<RowCount>, Error> {
    let (source, source_url, staging, staging_url) = databases.parts();
    let has_seeded_rows: bool =
        sqlx::query_scalar("SELECT to_regclass('restage.seeded_rows') IS NOT NULL")
            .fetch_one(&mut *staging)
            .await
            .map_err(database_error(staging_url, "looking for seeded rows"))?;
    let mut counts = Vec::new();
    for plan in plans {
        let Some(table) = catalog.tables.get(&plan.table) else {
            continue;
        };
        let filter = plan
            .filter
            .as_deref()
            .map(|filter| format!(" WHERE {filter}"))
            .unwrap_or_default();
        let expected: i64 = if plan.schema_only {
            0
        } else {
            sqlx::query_scalar(&format!(
                "SELECT count(*) FROM ONLY {}{filter}",
                table.quoted()
            ))
            .fetch_one(&mut *source)
            .await
            .map_err(database_error(
                source_url,
                &format!("counting rows of {}", plan.table),
            ))?
        };
        // Rows the seeders added after the copy are not the copy's: those recorded with their
        // id, or by a natural key that is the primary key, and still there.
        let seeded = match (has_seeded_rows, table.primary_key.as_slice()) {
            (true, [key]) => format!(
                " - (SELECT count(*) FROM restage.seeded_rows s WHERE s.table_name = $1 \
                 AND coalesce(s.row_id, s.natural_key) IN (SELECT {}::text FROM ONLY {}))",
                quote(key),
                table.quoted()
            ),
            _ => String::new(),
        };
        let in_staging: i64 = sqlx::query_scalar(&format!(
            "SELECT (SELECT count(*) FROM ONLY {}){seeded}",
            table.quoted()
        ))
        .bind(&plan.table)
        .fetch_one(&mut *staging)
        .await
        .map_err(database_error(
            staging_url,
            &format!("counting rows of {}", plan.table),
        ))?;
        counts.push(RowCount {
            table: plan.table.clone(),
            expected,
            staging: in_staging,
        });
    }
    Ok(counts)
}

const CONSTRAINTS: &str =
    "SELECT format('%s %s (%s)', conrelid::regclass, conname, contype), convalidated
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'restage') AND conrelid <> 0";

/// Every source constraint is in staging, validated where the source's is (a constraint
/// that is NOT VALID in the source stays NOT VALID, as pg_dump writes it).
async fn check_constraints(
    databases: &mut Databases<'_>,
    problems: &mut Vec<String>,
) -> Result<usize, Error> {
    let (source, source_url, staging, staging_url) = databases.parts();
    let wanted: Vec<(String, bool)> = sqlx::query_as(CONSTRAINTS)
        .fetch_all(source)
        .await
        .map_err(database_error(source_url, "listing constraints"))?;
    let present: BTreeMap<String, bool> = sqlx::query_as(CONSTRAINTS)
        .fetch_all(staging)
        .await
        .map_err(database_error(staging_url, "listing constraints"))?
        .into_iter()
        .collect();
    for (constraint, validated_in_source) in &wanted {
        match present.get(constraint) {
            None => problems.push(format!("constraint {constraint} is missing in staging")),
            Some(false) if *validated_in_source => problems.push(format!(
                "constraint {constraint} is not validated in staging"
            )),
            Some(_) => {}
        }
    }
    Ok(wanted.len())
}

/// Materialized views hold data in staging exactly where they do in the source.
async fn check_materialized_views(
    databases: &mut Databases<'_>,
    problems: &mut Vec<String>,
) -> Result<(), Error> {
    let (source, source_url, staging, staging_url) = databases.parts();
    let wanted = populated_materialized_views(source, source_url).await?;
    let present = populated_materialized_views(staging, staging_url).await?;
    for view in wanted.iter().filter(|view| !present.contains(view)) {
        problems.push(format!("materialized view {view} holds no data in staging"));
    }
    for view in present.iter().filter(|view| !wanted.contains(view)) {
        problems.push(format!(
            "materialized view {view} holds data in staging but not in the source (WITH NO DATA)"
        ));
    }
    Ok(())
}

/// Every sequence that feeds a column of the application's is at or past that column's
/// largest value (restage's own bookkeeping in schema `restage` is not the copy's, so it is
/// neither checked nor counted: verify counts the sequences the copy set).
async fn check_sequences(
    staging: &mut PgConnection,
    url: &SecretUrl,
    problems: &mut Vec<String>,
) -> Result<usize, Error> {
    let owned: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT s.seqrelid::regclass::text, d.refobjid::regclass::text, quote_ident(a.attname)
         FROM pg_sequence s JOIN pg_depend d ON d.objid = s.seqrelid AND d.deptype IN ('a', 'i')
         JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         JOIN pg_class t ON t.oid = d.refobjid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE t.relkind IN ('r', 'p') AND n.nspname <> 'restage'",
    )
    .fetch_all(&mut *staging)
    .await
    .map_err(database_error(url, "listing sequences"))?;
    for (sequence, table, column) in &owned {
        let behind: bool = sqlx::query_scalar(&format!(
            "SELECT coalesce((SELECT max({column})::numeric FROM {table}), 0) >
                    (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence})"
        ))
        .fetch_one(&mut *staging)
        .await
        .map_err(database_error(url, &format!("checking sequence {sequence}")))?;
        if behind {
            problems.push(format!(
                "sequence {sequence} is behind {table}.{column}: the next insert would collide"
            ));
        }
    }
    Ok(owned.len())
}

/// For each ruled column: the first rows by primary key, on both sides; values that staging
/// kept unchanged (tables without a primary key: source values found among staging's). Gives
/// the columns and the values compared.
async fn compare_ruled_values(
    databases: &mut Databases<'_>,
    catalog: &Catalog,
    plans: &[TablePlan],
    problems: &mut Vec<String>,
) -> Result<(usize, usize), Error> {
    let mut compared = 0;
    let mut compared_values = 0;
    for plan in plans.iter().filter(|plan| !plan.schema_only) {
        let Some(table) = catalog.tables.get(&plan.table) else {
            continue;
        };
        for (column, transform) in &plan.rules {
            compared += 1;
            let rule = plan.copy.as_deref().and_then(|copy| copy.rule_of(column));
            // Values a condition keeps on purpose are not compared: they are public.
            let kept_when = rule.and_then(CompiledRule::kept_when);
            let (before, after) =
                sample_both(databases, table, column, kept_when.as_deref()).await?;
            let values: Vec<&Sampled> = before
                .iter()
                .filter_map(|(_, value)| value.as_ref())
                .collect();
            compared_values += values.len();
            let keyer = Keyer::random();
            // A value that a rule rewriting parts gives back as it is — a JSON document
            // without the ruled paths, a text without tokens, an array of NULLs, a record
            // whose ruled fields are NULL — is not a leak (the leak check searches it all the
            // same). A value too long to sample whole is compared by digest only, and not at
            // all under such a rule.
            let left_as_is = |value: &Sampled| {
                rule.is_some_and(|rule| {
                    rule.rewrites_parts
                        && value
                            .text
                            .as_ref()
                            .is_none_or(|text| leaves_as_is(rule, &keyer, text))
                })
            };
            let equal = unchanged(table, &before, &after, left_as_is);
            let tolerated = if MAY_COINCIDE.contains(&transform.as_str()) {
                values.len() / 100
            } else {
                0
            };
            if equal > tolerated {
                problems.push(format!(
                    "{}.{column}: {equal} of {} sampled values are unchanged from the source (transform {transform})",
                    plan.table,
                    values.len()
                ));
            }
        }
    }
    Ok((compared, compared_values))
}

/// Rules that may give a value back as it was: a column whose name says personal data (but
/// free text, which the token scan covers) under one of them is compared with the source.
const MAY_KEEP: &[&str] = &["scrub", "template", "regex", "json"];

/// Share of sampled values (percent) that may equal the source's in a column whose name says
/// personal data and whose rule may keep it: above it, the rule kept the data.
const KEPT_SHARE: usize = 50;

/// The columns whose name says personal data (as detection reads it), kept or ruled by a
/// rule that may give values back as they were: more than [`KEPT_SHARE`] of sampled values
/// equal to the source's (same row) is a leak, whatever the token scan found. Columns the
/// profile declares public are left alone. Gives the values compared.
async fn compare_personal_values(
    databases: &mut Databases<'_>,
    catalog: &Catalog,
    plans: &[TablePlan],
    problems: &mut Vec<String>,
) -> Result<usize, Error> {
    let mut compared_values = 0;
    for plan in plans.iter().filter(|plan| !plan.schema_only) {
        let Some(table) = catalog.tables.get(&plan.table) else {
            continue;
        };
        let readings = judgment::names::read_table(table);
        for (column, reading) in table.columns.iter().zip(readings) {
            let Reading::Personal { kind, why } = reading else {
                continue;
            };
            let rule = match plan.rules.get(&column.name) {
                Some(transform) if MAY_KEEP.contains(&transform.as_str()) => transform.as_str(),
                None if plan.kept.contains(&column.name) && !plan.public.contains(&column.name) => {
                    "keep"
                }
                _ => continue,
            };
            if kind == Kind::FreeText || column.generated {
                continue;
            }
            let (before, after) = sample_both(databases, table, &column.name, None).await?;
            let values = before.iter().filter(|(_, value)| value.is_some()).count();
            compared_values += values;
            let equal = unchanged(table, &before, &after, |_| false);
            if values > 0 && equal * 100 > values * KEPT_SHARE {
                problems.push(format!(
                    "{}.{}: {equal} of {values} sampled values are the source's under rule '{rule}', \
                     and {why}: give it a rule of its kind (`restage init --update` suggests one), \
                     or list it in the table's `public` if its values are not personal",
                    plan.table, column.name
                ));
            }
        }
    }
    Ok(compared_values)
}

/// How many sampled source values are in staging as they were: in the same row (by primary
/// key), or anywhere in the sample for a table without one; `excused` values do not count.
fn unchanged(
    table: &Table,
    before: &[(String, Option<Sampled>)],
    after: &BTreeMap<String, Option<Sampled>>,
    excused: impl Fn(&Sampled) -> bool,
) -> usize {
    let keyed = !table.primary_key.is_empty();
    let kept: BTreeSet<&String> = after.values().flatten().map(|v| &v.digest).collect();
    before
        .iter()
        .filter(|(key, value)| match value {
            None => false,
            Some(value) if excused(value) => false,
            Some(value) if keyed => after
                .get(key)
                .is_some_and(|now| now.as_ref().map(|now| &now.digest) == Some(&value.digest)),
            Some(value) => kept.contains(&value.digest),
        })
        .count()
}

/// Whether `rule` gives `value` back unchanged: it has nothing to rewrite there. The key does
/// not matter for that, so a throwaway one keeps the real key out of verification.
fn leaves_as_is(rule: &CompiledRule, keyer: &Keyer, value: &str) -> bool {
    rule.apply(Some(value), keyer, &[])
        .ok()
        .flatten()
        .is_some_and(|output| output == value)
}

/// A sampled value: its digest, and its text when it is short enough to read whole.
#[derive(Debug)]
struct Sampled {
    digest: String,
    text: Option<String>,
}

/// Values longer than this are sampled by digest alone: a sample of documents must not cost
/// their size (a thousand rows of 10 MB).
const LONGEST_SAMPLED_TEXT: i64 = 64 * 1024;

/// The sample of `column` in the source (NULL where `kept_when` holds), and in staging by
/// row key.
async fn sample_both(
    databases: &mut Databases<'_>,
    table: &Table,
    column: &str,
    kept_when: Option<&str>,
) -> Result<
    (
        Vec<(String, Option<Sampled>)>,
        BTreeMap<String, Option<Sampled>>,
    ),
    Error,
> {
    let (source, source_url, staging, staging_url) = databases.parts();
    let quoted = quote(column);
    let source_value = match kept_when {
        Some(kept) => format!("CASE WHEN {kept} THEN NULL ELSE {quoted} END"),
        None => quoted.clone(),
    };
    let before = sample(source, source_url, table, column, &source_value).await?;
    let after = sample(staging, staging_url, table, column, &quoted)
        .await?
        .into_iter()
        .collect();
    Ok((before, after))
}

/// (row key, value) of the first SAMPLE_ROWS rows by primary key (any rows without one);
/// `value` is the column's SQL (its name, or an expression of it).
async fn sample(
    connection: &mut PgConnection,
    url: &SecretUrl,
    table: &Table,
    column: &str,
    value: &str,
) -> Result<Vec<(String, Option<Sampled>)>, Error> {
    let (key, order) = table
        .primary_key_sql()
        .unwrap_or_else(|| ("''".to_owned(), String::new()));
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(&format!(
        "SELECT k, md5(v), CASE WHEN octet_length(v) <= {LONGEST_SAMPLED_TEXT} THEN v END \
         FROM (SELECT {key} AS k, ({value})::text AS v FROM ONLY {table}{order} LIMIT {SAMPLE_ROWS}) s",
        table = table.quoted()
    ))
    .fetch_all(connection)
    .await
    .map_err(database_error(
        url,
        &format!("sampling {}.{column}", table.profile_name()),
    ))?;
    Ok(rows
        .into_iter()
        .map(|(key, digest, text)| (key, digest.map(|digest| Sampled { digest, text })))
        .collect())
}
