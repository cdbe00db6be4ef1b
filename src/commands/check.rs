//! `restage check`: personal data the profile leaves uncovered.

use serde::Serialize;

use crate::anonymize::profile::Profile;
use crate::catalog::Catalog;
use crate::cli::CheckArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::output::Report;
use crate::pg::database_error;
use crate::{pg, pii, pipeline};

/// What `check` found: nothing uncovered (else it fails with the list).
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub command: &'static str,
    pub source: String,
    pub profile: String,
    pub tables: usize,
    pub columns: usize,
    pub uncovered: Vec<pii::Finding>,
}

impl Report for CheckReport {
    fn human(&self) -> String {
        format!(
            "{}: every column of {} tables ({} columns) that looks like personal data has a rule in {}",
            self.source, self.tables, self.columns, self.profile
        )
    }
}

/// Checks the profile against the source and samples its columns.
pub async fn run(settings: &Settings, args: &CheckArgs) -> Result<CheckReport, Error> {
    let source = settings.source_url(args.source.source_url.as_deref())?;
    let profile = Profile::load(&settings.anonymizers(args.source.anonymizers.as_deref()))?;
    let mut connection = pg::connect(&source, "source database", "restage check").await?;
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut connection)
        .await
        .map_err(database_error(&source, "starting a read-only transaction"))?;
    let catalog = Catalog::read(&mut connection)
        .await
        .map_err(database_error(&source, "reading the catalog"))?;
    let compiled = pipeline::compile_profile(&profile, &catalog, &mut connection, &source).await?;
    let findings = pii::uncovered(&mut connection, &catalog, &compiled)
        .await
        .map_err(database_error(
            &source,
            "sampling columns for personal data",
        ))?;
    if !findings.is_empty() {
        return Err(Error::UncoveredPii {
            profile: profile.path.clone(),
            findings: findings.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(CheckReport {
        command: "check",
        source: source.to_string(),
        profile: profile.path.clone(),
        tables: catalog.tables.len(),
        columns: catalog
            .tables
            .values()
            .map(|table| table.columns.len())
            .sum(),
        uncovered: findings,
    })
}
