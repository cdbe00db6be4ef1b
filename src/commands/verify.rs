//! `restage verify`: check a copy against its source.

use serde::Serialize;

use crate::cli::VerifyArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::output::Report;
use crate::pipeline::verify::Verification;
use crate::pipeline::{self, CopyOptions};

/// What `verify` checked (it fails, listing the problems, when anything is wrong).
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub command: &'static str,
    pub source: String,
    pub staging: String,
    #[serde(flatten)]
    pub verification: Verification,
}

impl Report for VerifyReport {
    fn human(&self) -> String {
        let mut text = format!(
            "{} against {}: {}",
            self.staging,
            self.source,
            self.verification.summary()
        );
        for count in &self.verification.tables {
            text.push_str(&format!(
                "\n  {:<40} {:>10} rows",
                count.table, count.staging
            ));
        }
        text.push_str(&format!("\nleak check: {}", self.verification.method));
        text
    }
}

/// Verifies staging against the source as `copy` would plan it.
pub async fn run(settings: &Settings, args: &VerifyArgs) -> Result<VerifyReport, Error> {
    let source = settings.source_url(args.source.source_url.as_deref())?;
    let options = CopyOptions {
        limit: args.limit,
        ..CopyOptions::from_settings(
            settings,
            source,
            args.source.anonymizers.as_deref(),
            Some(1),
        )?
    };
    let verification = pipeline::verify_staging(&options).await?;
    Ok(VerifyReport {
        command: "verify",
        source: options.source.to_string(),
        staging: options.staging.to_string(),
        verification,
    })
}
