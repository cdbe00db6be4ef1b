//! Judgment: which columns hold personal data, and what kind. A column is read like a person
//! reads it — its name as words in its table's context ([`names`], with the vocabulary of
//! [`vocabulary`] as data a reviewer reads), its type, and a sample of its values
//! ([`content`], tokens as [`tokens`] shapes them) — and `init` chooses its rule by that
//! kind ([`rules`]). `check` and every copy refuse a profile that leaves such a column
//! uncovered.

pub mod content;
pub mod names;
pub mod rules;
pub mod tokens;
pub mod vocabulary;
mod words;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnection;

use crate::catalog::{Catalog, Column, Table, TypeCategory, quote};
use names::{Reading, TableContext};

/// Rows sampled per column.
pub const SAMPLE_ROWS: i64 = 200;
/// Pages read at most per table for the sample: random blocks spread over the whole table
/// (`TABLESAMPLE SYSTEM`), so rows written last count as much as the first.
pub const SAMPLE_PAGES: i64 = 200;

/// The kinds of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Name,
    Email,
    Phone,
    Address,
    City,
    Postcode,
    Region,
    BirthDate,
    NationalId,
    BankAccount,
    Card,
    Ip,
    FreeText,
    Photo,
    Login,
    Password,
    Secret,
}

impl Kind {
    /// What people call it, as in "its name says a phone number".
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Name => "a person's name",
            Kind::Email => "an e-mail address",
            Kind::Phone => "a phone number",
            Kind::Address => "a street address",
            Kind::City => "a city",
            Kind::Postcode => "a postcode",
            Kind::Region => "a region of an address",
            Kind::BirthDate => "a date of birth",
            Kind::NationalId => "a national id",
            Kind::BankAccount => "a bank account",
            Kind::Card => "a card number",
            Kind::Ip => "an IP address",
            Kind::FreeText => "free text people write",
            Kind::Photo => "a photo of a person",
            Kind::Login => "a login name",
            Kind::Password => "a password",
            Kind::Secret => "a secret",
        }
    }
}

/// A column that looks like personal data and has no rule.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub table: String,
    pub column: String,
    pub type_name: String,
    /// The kind of personal data it holds, when its name or values tell (a composite whose
    /// fields do is ruled field by field).
    pub kind: Option<Kind>,
    pub reasons: Vec<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{} ({}): {}",
            self.table,
            self.column,
            self.type_name,
            self.reasons.join("; ")
        )
    }
}

/// What a profile already decides about a table: `data = false`, or which of its columns
/// (by position) have a rule or an explicit `keep`.
#[derive(Debug, Clone, Default)]
pub struct Decided {
    pub schema_only: bool,
    pub columns: BTreeSet<usize>,
}

/// The columns of `catalog` that look personal and that the profile leaves uncovered;
/// `decided` says what it decides about a table (by its profile name).
pub async fn uncovered(
    connection: &mut PgConnection,
    catalog: &Catalog,
    decided: impl Fn(&str) -> Decided,
) -> Result<Vec<Finding>, sqlx::Error> {
    let mut findings = Vec::new();
    for (name, table) in &catalog.tables {
        // Partitions are judged (and ruled) through their root.
        if table.partition_root.is_some() {
            continue;
        }
        let decided = decided(name);
        if decided.schema_only {
            continue;
        }
        let sample = Sample::of(catalog, table);
        let readings = names::read_table(table);
        let context = TableContext::of(table);
        for (position, (column, reading)) in table.columns.iter().zip(readings).enumerate() {
            if decided.columns.contains(&position) || column.generated {
                continue;
            }
            let shown = if holds_text(column) {
                let values: Vec<String> = sqlx::query_scalar(&sample.sql(&column.name))
                    .fetch_all(&mut *connection)
                    .await?;
                content::classify(&values)
            } else {
                None
            };
            let (kind, mut reasons) = judge(&reading, shown);
            let kind = kind.or_else(|| holds_network_addresses(column).then_some(Kind::Ip));
            if holds_network_addresses(column) {
                reasons.push("its type holds network addresses".to_owned());
            }
            reasons.extend(field_reasons(&context, column));
            if !reasons.is_empty() {
                findings.push(Finding {
                    table: name.clone(),
                    column: column.name.clone(),
                    type_name: column.type_name.clone(),
                    kind,
                    reasons,
                });
            }
        }
    }
    Ok(findings)
}

/// Whether values of `column` can hold text: text, json and jsonb, arrays and composites.
fn holds_text(column: &Column) -> bool {
    matches!(
        column.category,
        TypeCategory::Text | TypeCategory::Json | TypeCategory::Array | TypeCategory::Composite
    )
}

/// Whether `column` is (or its elements or fields are) of a network address type.
fn holds_network_addresses(column: &Column) -> bool {
    matches!(column.category, TypeCategory::Inet | TypeCategory::Macaddr)
        || column
            .element
            .as_deref()
            .is_some_and(holds_network_addresses)
        || column.fields.iter().any(holds_network_addresses)
}

/// What the column's name and the sample of its values say together: the kind and why.
/// Values that are, as a whole, of a kind outweigh the name (`contact` holding e-mail
/// addresses is an e-mail column); a name outweighs phone and IP shapes.
fn judge(reading: &Reading, shown: Option<content::Shown>) -> (Option<Kind>, Vec<String>) {
    // A shape (digits in groups) does not outweigh a name that says what the column is: a
    // ZIP+4 code looks like a phone number, and it is a postcode; nor is it evidence then.
    let shown = shown.filter(|shown| {
        !shown.by_shape
            || match reading {
                Reading::LookAlike => false,
                Reading::Personal { kind, .. } => *kind == shown.kind,
                Reading::Silent => true,
            }
    });
    match (reading, shown) {
        (Reading::Personal { kind, why }, Some(shown)) => {
            let kind = if shown.kind == Kind::FreeText {
                *kind
            } else {
                shown.kind
            };
            (Some(kind), vec![why.clone(), shown.why])
        }
        (Reading::Personal { kind, why }, None) => (Some(*kind), vec![why.clone()]),
        (_, Some(shown)) => (Some(shown.kind), vec![shown.why]),
        (_, None) => (None, Vec::new()),
    }
}

/// Whether a column called `name` holds phone numbers, by its name (an `extension` counts).
pub fn name_says_phone(name: &str) -> bool {
    let beside = BTreeSet::from([Kind::Phone]);
    matches!(
        names::read_column(name, &Column::text(name), &TableContext::default(), &beside),
        Reading::Personal {
            kind: Kind::Phone,
            ..
        }
    )
}

/// What the names of a composite column's fields (or its elements' fields) say:
/// `contact.email`, `signer.full_name`.
fn field_reasons(context: &TableContext, column: &Column) -> Vec<String> {
    let fields = match &column.element {
        Some(element) => &element.fields,
        None => &column.fields,
    };
    let beside = BTreeSet::new();
    fields
        .iter()
        .flat_map(|field| {
            let nested = field_reasons(context, field);
            let reading = names::read_column(&field.name, field, context, &beside);
            let own = match reading {
                Reading::Personal { why, .. } => Some(format!("its field {}: {why}", field.name)),
                _ => None,
            };
            own.into_iter().chain(nested).collect::<Vec<_>>()
        })
        .collect()
}

/// How a table's rows are sampled: random blocks over the whole table, through a partitioned
/// parent's partitions, never through an inheritance parent's children (they are tables of
/// their own, judged on their own rows).
struct Sample {
    from: String,
    percent: f64,
}

impl Sample {
    fn of(catalog: &Catalog, table: &Table) -> Sample {
        let (from, pages) = if table.kind == 'p' {
            let name = table.profile_name();
            let pages = catalog
                .tables
                .values()
                .filter(|part| part.partition_root.as_deref() == Some(name.as_str()))
                .map(|part| part.pages)
                .sum();
            (table.quoted(), pages)
        } else {
            (format!("ONLY {}", table.quoted()), table.pages)
        };
        let percent = if pages <= SAMPLE_PAGES {
            100.0
        } else {
            (SAMPLE_PAGES as f64 * 100.0 / pages as f64).max(0.0001)
        };
        Sample { from, percent }
    }

    /// Up to SAMPLE_ROWS non-null values of `column` as text (their first
    /// [`SAMPLED_CHARACTERS`]), spread over the sampled blocks and the same from one run to
    /// the next (`REPEATABLE`, ordered by a hash of the value).
    fn sql(&self, column: &str) -> String {
        format!(
            "SELECT left(v, {SAMPLED_CHARACTERS}) FROM (SELECT {column}::text AS v FROM {from} \
             TABLESAMPLE SYSTEM ({percent}) REPEATABLE (0) WHERE {column} IS NOT NULL) sampled \
             ORDER BY md5(v), v LIMIT {SAMPLE_ROWS}",
            column = quote(column),
            from = self.from,
            percent = self.percent
        )
    }
}

/// How much of each sampled value detection reads: what a value holds shows in its start,
/// and a column of documents must not cost their size.
pub const SAMPLED_CHARACTERS: usize = 8192;
