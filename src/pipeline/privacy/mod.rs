//! `restage report`: the privacy report for the people who sign off on staging — every table
//! and column of the source with what restage detects in it and why, the rule the profile
//! gives it (and who decided), the last copy's verification, the key's fingerprint, the
//! profile's hash and the run history. Reads the source (one read-only transaction, as
//! `check`) and staging's record; writes nothing but the report.

mod html;
mod markdown;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::verify::Verification;
use super::{KeyIdentity, configured_key_identity, file_sha256, read_source_with_profile};
use crate::anonymize::profile::{Profile, WrittenRule};
use crate::catalog::{Catalog, Table};
use crate::error::Error;
use crate::history::{self, Entry};
use crate::judgment::{self, Decided, Finding, Kind};
use crate::pg::{self, database_error};
use crate::secret::SecretUrl;

pub use html::to_html;
pub use markdown::to_markdown;

/// The privacy report: what a reviewer needs to sign off on staging.
#[derive(Debug, Serialize)]
pub struct PrivacyReport {
    pub generated_at: String,
    pub restage_version: &'static str,
    pub source: String,
    pub staging: String,
    pub profile: String,
    pub profile_sha256: String,
    /// The key configured now (origin and fingerprint), `None` when none is set.
    pub key: Option<KeyIdentity>,
    pub summary: Summary,
    pub tables: Vec<TableReport>,
    /// Whether the staging database exists (before the first copy it may not).
    pub staging_exists: bool,
    /// The newest copy or refresh recorded in staging.
    pub last_copy: Option<LastCopy>,
    /// Every run recorded in staging, oldest first.
    pub history: Vec<Entry>,
}

/// The counts a reviewer reads first.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub tables: usize,
    pub columns: usize,
    /// Columns restage detects as personal data, by name or content.
    pub personal: usize,
    /// Columns a rule rewrites.
    pub anonymized: usize,
    /// Personal-looking columns the profile keeps on purpose (`keep` or `public`).
    pub kept_on_purpose: usize,
    /// Personal-looking columns without any rule: `check` and `copy` refuse them.
    pub uncovered: usize,
}

/// One table of the source.
#[derive(Debug, Serialize)]
pub struct TableReport {
    pub table: String,
    pub estimated_rows: i64,
    /// `copied`, `copied where …` or `schema only (data = false)`.
    pub data: String,
    /// Its partitions, which take its rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<String>,
    pub columns: Vec<ColumnReport>,
}

/// One column: what restage sees in it and what happens to it.
#[derive(Debug, Serialize)]
pub struct ColumnReport {
    pub column: String,
    pub type_name: String,
    /// The kind of personal data detected, if any.
    pub kind: Option<Kind>,
    /// Why restage thinks so (its name, its values).
    pub evidence: Vec<String>,
    pub treatment: Treatment,
    /// The rule as the profile writes it, if it writes one.
    pub rule: Option<String>,
    /// Who decided what happens to it: the profile's line, or restage.
    pub decided_by: String,
}

/// What happens to a column's values on the way to staging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// A rule rewrites it.
    Anonymized,
    /// The profile keeps it on purpose (`keep`, or listed in `public`).
    Kept,
    /// Nothing personal detected and no rule: copied as it is.
    Copied,
    /// Personal-looking and no rule: `check` and `copy` refuse the profile.
    Uncovered,
    /// The table's rows are not copied, or staging computes the column.
    NotCopied,
}

impl Treatment {
    /// The word a reviewer reads.
    pub fn label(self) -> &'static str {
        match self {
            Treatment::Anonymized => "anonymized",
            Treatment::Kept => "kept on purpose",
            Treatment::Copied => "copied as is",
            Treatment::Uncovered => "UNCOVERED",
            Treatment::NotCopied => "not copied",
        }
    }
}

/// The newest copy or refresh staging records, and whether it matches today's profile and
/// key.
#[derive(Debug, Serialize)]
pub struct LastCopy {
    pub command: String,
    pub run_id: Option<String>,
    pub recorded_at: String,
    pub rows: u64,
    pub profile_sha256: Option<String>,
    pub key_fingerprint: Option<String>,
    /// The profile's file changed since that copy.
    pub profile_changed: bool,
    /// The configured key is not the one that copy used.
    pub key_changed: bool,
    /// What its verification checked; `None` for a copy recorded by an older restage.
    pub verification: Option<Verification>,
}

/// The fields of a copy's record that the report reads.
#[derive(Debug, Deserialize)]
struct CopyDetails {
    #[serde(default)]
    rows: u64,
    profile_sha256: Option<String>,
    key: Option<KeyIdentity>,
    verification: Option<Verification>,
}

/// Builds the report of `profile` on `source`, with what `staging` records.
pub async fn report(
    source: &SecretUrl,
    staging: &SecretUrl,
    profile_path: &Path,
) -> Result<PrivacyReport, Error> {
    let profile = Profile::load(profile_path)?;
    let profile_sha256 = file_sha256(profile_path)?;
    let key = configured_key_identity(&profile)?;
    let (mut connection, catalog, compiled) =
        read_source_with_profile(source, &profile, "restage report").await?;
    // Everything that looks personal, ruled or not: the evidence for every column.
    let findings = judgment::uncovered(&mut connection, &catalog, |_| Decided::default())
        .await
        .map_err(database_error(source, "sampling columns for personal data"))?;
    let generated_at: String = sqlx::query_scalar(
        "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    )
    .fetch_one(&mut connection)
    .await
    .map_err(database_error(source, "reading the time"))?;
    let written = profile.written_rules(&catalog);
    let tables = table_reports(&catalog, &compiled, &written, &findings);
    let history = read_history(staging).await?;
    let staging_exists = history.is_some();
    let history = history.unwrap_or_default();
    let last_copy = last_copy(&history, &profile_sha256, key.as_ref());
    Ok(PrivacyReport {
        generated_at,
        restage_version: env!("CARGO_PKG_VERSION"),
        source: source.to_string(),
        staging: staging.to_string(),
        profile: profile.path.clone(),
        profile_sha256,
        key,
        summary: summarize(&tables),
        tables,
        staging_exists,
        last_copy,
        history,
    })
}

/// Staging's record (empty when staging has none); `None` when the staging database does
/// not exist yet (a report written before the first copy).
async fn read_history(staging: &SecretUrl) -> Result<Option<Vec<Entry>>, Error> {
    let mut connection = match pg::connect(staging, "staging database", "restage report").await {
        Ok(connection) => connection,
        Err(Error::Connect { source, .. }) if is_missing_database(&source) => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(Some(
        history::read(&mut connection, staging)
            .await?
            .unwrap_or_default(),
    ))
}

/// Whether a connection failed because its database does not exist (SQLSTATE 3D000).
fn is_missing_database(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|error| error.code())
        .is_some_and(|code| code == "3D000")
}

/// The report of each table that is not a partition (partitions take their root's rules).
fn table_reports(
    catalog: &Catalog,
    compiled: &crate::anonymize::profile::CompiledProfile,
    written: &BTreeMap<(String, String), WrittenRule>,
    findings: &[Finding],
) -> Vec<TableReport> {
    let found: BTreeMap<(&str, &str), &Finding> = findings
        .iter()
        .map(|finding| ((finding.table.as_str(), finding.column.as_str()), finding))
        .collect();
    let mut partitions: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, table) in &catalog.tables {
        if let Some(root) = &table.partition_root {
            partitions.entry(root).or_default().push(name.clone());
        }
    }
    catalog
        .tables
        .iter()
        .filter(|(_, table)| table.partition_root.is_none())
        .map(|(name, table)| {
            let rules = compiled.tables.get(name);
            let schema_only = rules.is_some_and(|rules| rules.schema_only);
            let data = match rules {
                _ if schema_only => "schema only (data = false)".to_owned(),
                Some(rules) if rules.filter.is_some() => {
                    format!(
                        "copied where {}",
                        rules.filter.as_deref().unwrap_or_default()
                    )
                }
                _ => "copied".to_owned(),
            };
            let columns = table
                .columns
                .iter()
                .map(|column| {
                    let key = (name.clone(), column.name.clone());
                    let finding = found.get(&(name.as_str(), column.name.as_str())).copied();
                    let decision = Decision {
                        written: written.get(&key),
                        kept: rules.is_some_and(|rules| rules.kept.contains(&column.name)),
                        public: rules.is_some_and(|rules| rules.public.contains(&column.name)),
                        schema_only,
                    };
                    column_report(table, column, decision, finding)
                })
                .collect();
            TableReport {
                table: name.clone(),
                estimated_rows: table.estimated_rows.max(0),
                data,
                partitions: partitions.remove(name.as_str()).unwrap_or_default(),
                columns,
            }
        })
        .collect()
}

/// What the profile decides about one column: its rule as written, and what the compiled
/// profile makes of it.
struct Decision<'a> {
    written: Option<&'a WrittenRule>,
    /// An explicit `keep`, or listed in `public`.
    kept: bool,
    public: bool,
    /// The table is `data = false`.
    schema_only: bool,
}

/// What happens to one column, and who decided it.
fn column_report(
    table: &Table,
    column: &crate::catalog::Column,
    decision: Decision<'_>,
    finding: Option<&Finding>,
) -> ColumnReport {
    let Decision {
        written,
        kept,
        public,
        schema_only,
    } = decision;
    let (treatment, decided_by) = match (written, finding) {
        _ if schema_only => (
            Treatment::NotCopied,
            format!("profile: [tables.{}] data = false", table.profile_name()),
        ),
        _ if column.generated => (
            Treatment::NotCopied,
            "staging computes it (generated column)".to_owned(),
        ),
        (Some(written), _) if public => (
            Treatment::Kept,
            format!("profile, line {}: listed in public", written.line),
        ),
        (Some(written), _) if kept => (
            Treatment::Kept,
            format!("profile, line {}: keep", written.line),
        ),
        (Some(written), _) => (
            Treatment::Anonymized,
            format!("profile, line {}", written.line),
        ),
        (None, Some(_)) => (
            Treatment::Uncovered,
            "nobody: it looks personal and the profile has no rule for it".to_owned(),
        ),
        (None, None) => (
            Treatment::Copied,
            "restage: nothing personal in its name or sampled values".to_owned(),
        ),
    };
    ColumnReport {
        column: column.name.clone(),
        type_name: column.type_name.clone(),
        kind: finding.and_then(|finding| finding.kind),
        evidence: finding
            .map(|finding| finding.reasons.clone())
            .unwrap_or_default(),
        treatment,
        rule: written.map(|written| written.rule.clone()),
        decided_by,
    }
}

/// The counts over every column of every table.
fn summarize(tables: &[TableReport]) -> Summary {
    let columns = tables.iter().flat_map(|table| &table.columns);
    let mut summary = Summary {
        tables: tables.len(),
        ..Summary::default()
    };
    for column in columns {
        summary.columns += 1;
        let personal = !column.evidence.is_empty();
        summary.personal += usize::from(personal);
        match column.treatment {
            Treatment::Anonymized => summary.anonymized += 1,
            Treatment::Kept if personal => summary.kept_on_purpose += 1,
            Treatment::Uncovered => summary.uncovered += 1,
            _ => {}
        }
    }
    summary
}

/// The newest copy or refresh of `history`, compared with today's profile and key.
fn last_copy(
    history: &[Entry],
    profile_sha256: &str,
    key: Option<&KeyIdentity>,
) -> Option<LastCopy> {
    let entry = history
        .iter()
        .rev()
        .find(|entry| matches!(entry.command.as_str(), "copy" | "refresh"))?;
    let details: Option<CopyDetails> = serde_json::from_value(entry.details.clone()).ok();
    let (rows, recorded_sha, recorded_key, verification) = match details {
        Some(details) => (
            details.rows,
            details.profile_sha256,
            details.key.map(|key| key.fingerprint),
            details.verification,
        ),
        None => (0, None, None, None),
    };
    Some(LastCopy {
        command: entry.command.clone(),
        run_id: entry.run_id.clone(),
        recorded_at: entry.recorded_at.clone(),
        rows,
        profile_changed: recorded_sha
            .as_deref()
            .is_some_and(|sha| sha != profile_sha256),
        key_changed: match (&recorded_key, key) {
            (Some(recorded), Some(now)) => *recorded != now.fingerprint,
            _ => false,
        },
        profile_sha256: recorded_sha,
        key_fingerprint: recorded_key,
        verification,
    })
}

/// One line of the run history, as both renderings show it.
fn history_line(entry: &Entry) -> String {
    let details = &entry.details;
    match entry.command.as_str() {
        "copy" | "refresh" => format!(
            "{} rows into {} tables, profile {}",
            details["rows"],
            details["tables"],
            details["profile"].as_str().unwrap_or("?")
        ),
        "seed" => {
            let seeders: Vec<&str> = details["seeders"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|seeder| seeder["seeder"].as_str())
                .collect();
            format!("seeders: {}", seeders.join(", "))
        }
        _ => String::new(),
    }
}

/// Markdown or HTML, by the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

impl Format {
    /// The format a file's extension asks for: `.html`/`.htm` or `.md`/`.markdown`.
    pub fn of(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "html" | "htm" => Some(Format::Html),
            "md" | "markdown" => Some(Format::Markdown),
            _ => None,
        }
    }

    /// The report rendered in this format.
    pub fn render(self, report: &PrivacyReport) -> String {
        match self {
            Format::Markdown => to_markdown(report),
            Format::Html => to_html(report),
        }
    }
}

/// The verification lines both renderings show: what was checked, then each problem.
fn verification_facts(verification: &Verification) -> Vec<(String, String)> {
    let rows: i64 = verification.tables.iter().map(|count| count.staging).sum();
    vec![
        (
            "Tables whose rows were counted on both sides".to_owned(),
            format!("{} ({rows} rows in staging)", verification.tables.len()),
        ),
        (
            "Constraints checked".to_owned(),
            verification.constraints.to_string(),
        ),
        (
            "Sequences checked".to_owned(),
            verification.sequences.to_string(),
        ),
        (
            "Anonymized columns compared with the source".to_owned(),
            format!(
                "{} ({} sampled values)",
                verification.ruled_columns, verification.compared_values
            ),
        ),
        (
            "Source e-mail, phone and card tokens searched for in staging".to_owned(),
            verification.source_tokens.to_string(),
        ),
        (
            "Problems".to_owned(),
            if verification.problems.is_empty() {
                "none".to_owned()
            } else {
                verification.problems.len().to_string()
            },
        ),
    ]
}

/// The header facts both renderings show.
fn header_facts(report: &PrivacyReport) -> Vec<(&'static str, String)> {
    vec![
        (
            "Generated",
            format!(
                "{} by restage {}",
                report.generated_at, report.restage_version
            ),
        ),
        ("Source", report.source.clone()),
        ("Staging", report.staging.clone()),
        ("Profile", report.profile.clone()),
        ("Profile SHA-256", report.profile_sha256.clone()),
        (
            "Key",
            report.key.as_ref().map_or_else(
                || "none configured (a copy needs one)".to_owned(),
                |key| format!("fingerprint {} ({})", key.fingerprint, key.origin),
            ),
        ),
    ]
}

/// The summary lines both renderings show.
fn summary_facts(summary: &Summary) -> Vec<(&'static str, String)> {
    vec![
        ("Tables", summary.tables.to_string()),
        ("Columns", summary.columns.to_string()),
        ("Look like personal data", summary.personal.to_string()),
        ("Anonymized by a rule", summary.anonymized.to_string()),
        (
            "Personal-looking, kept on purpose",
            summary.kept_on_purpose.to_string(),
        ),
        ("Uncovered (copy refuses)", summary.uncovered.to_string()),
    ]
}

/// What the report says when staging records no copy.
fn no_copy(report: &PrivacyReport) -> &'static str {
    if report.staging_exists {
        "Staging records no copy or refresh."
    } else {
        "The staging database does not exist yet: no copy has been made."
    }
}

/// What the last copy line says of the profile and key, when they changed since.
fn drift_warnings(copy: &LastCopy) -> Vec<&'static str> {
    let mut warnings = Vec::new();
    if copy.profile_changed {
        warnings.push(
            "The profile changed since this copy: staging was made with another version of it.",
        );
    }
    if copy.key_changed {
        warnings.push(
            "The configured key is not the one this copy used: fakes will change on the next copy.",
        );
    }
    warnings
}
