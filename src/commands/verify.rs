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

/// Plans as `copy` would (without a key) and verifies staging against the plan.
pub async fn run(settings: &Settings, args: &VerifyArgs) -> Result<VerifyReport, Error> {
    let staging = settings.staging_url()?.clone();
    let source = settings.source_url(args.source.source_url.as_deref())?;
    let options = CopyOptions {
        source: source.clone(),
        staging: staging.clone(),
        profile: settings.anonymizers(args.source.anonymizers.as_deref()),
        jobs: 1,
        limit: args.limit,
        swap: false,
        // Verification compares; it never computes a fake, so it needs no key.
        random_key: true,
        quiet: true,
        exclude_tables: settings.refresh.exclude_tables.clone(),
    };
    let planned = pipeline::plan(&options).await?;
    let verification = planned.verify(&source, &staging).await?;
    if !verification.problems.is_empty() {
        return Err(Error::VerifyFailed {
            target: staging.to_string(),
            problems: verification.problems,
        });
    }
    Ok(VerifyReport {
        command: "verify",
        source: source.to_string(),
        staging: staging.to_string(),
        verification,
    })
}
