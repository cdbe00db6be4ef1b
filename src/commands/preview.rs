//! `restage preview TABLE`: rows before and after the profile's rules.

use crate::cli::PreviewArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::pipeline::preview::{self, PreviewOptions, PreviewReport};

/// Shows rows of one table before and after their rules.
pub async fn run(settings: &Settings, args: &PreviewArgs) -> Result<PreviewReport, Error> {
    let source = settings.source_url(args.source.source_url.as_deref())?;
    let profile = settings.anonymizers(args.source.anonymizers.as_deref());
    let options = PreviewOptions {
        table: args.table.clone(),
        rows: args.rows,
        filter: args.filter.clone(),
    };
    preview::preview(&source, &profile, &options).await
}
