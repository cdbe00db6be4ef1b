//! `check`: the columns of the source that look like personal data and have no rule in the
//! profile. Reads the source in one read-only transaction; writes nothing.

use std::path::Path;

use serde::Serialize;

use crate::anonymize::profile::Profile;
use crate::error::Error;
use crate::judgment;
use crate::output::Report;
use crate::secret::SecretUrl;

/// What `check` found: nothing uncovered (else it fails with the list).
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub command: &'static str,
    pub source: String,
    pub profile: String,
    pub tables: usize,
    pub columns: usize,
    pub uncovered: Vec<judgment::Finding>,
}

impl Report for CheckReport {
    fn human(&self) -> String {
        format!(
            "{}: every column of {} tables ({} columns) that looks like personal data has a rule in {}",
            self.source, self.tables, self.columns, self.profile
        )
    }
}

/// Checks `profile` against the source and samples its columns; fails with the list of
/// uncovered columns when there are any.
pub async fn check(source: &SecretUrl, profile: &Path) -> Result<CheckReport, Error> {
    let profile = Profile::load(profile)?;
    let (mut connection, catalog, compiled) =
        super::read_source_with_profile(source, &profile, "restage check").await?;
    super::refuse_uncovered(&mut connection, &catalog, &compiled, source, &profile).await?;
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
        uncovered: Vec::new(),
    })
}
