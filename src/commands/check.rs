//! `restage check`: personal data the profile leaves uncovered.

use crate::cli::CheckArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::pipeline::check::{self, CheckReport};

/// Checks the profile against the source and samples its columns.
pub async fn run(settings: &Settings, args: &CheckArgs) -> Result<CheckReport, Error> {
    let source = settings.source_url(args.source.source_url.as_deref())?;
    let profile = settings.anonymizers(args.source.anonymizers.as_deref());
    check::check(&source, &profile).await
}
